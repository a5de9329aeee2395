/**
 * Which part of an acquisition a workspace holds, recorded in its run's
 * settings (JSON): `shard: "i/N"` for a shard workspace (`process --shard`),
 * `shards: { count, indices }` plus `merged` sources for a merge. A run without
 * either holds the whole acquisition (shard 0/1).
 */
import { formatShard, inShard, parseShard, type ShardSpec } from '../../common/shard.js';
import { preparedOnce, type Db } from '../database.js';
import { getRunByRoot, type RunRow } from './runs.js';

/** Shard indices of one partition (`count` shards) that a workspace's run holds. */
export interface ShardCoverage {
  count: number;
  /** Sorted, distinct. */
  indices: number[];
}

/** A shard workspace merged into this one (settings.merged). */
export interface MergedSource {
  shard: string;
  workspace: string;
  /** created_at of the shard's run: tells a re-merge of the same shard from another processing of it. */
  runCreatedAt: string;
}

const stmts = preparedOnce((db) => ({
  setSettings: db.prepare<[string, number]>(`UPDATE run SET settings = ? WHERE id = ?`),
  wells: db.prepare<[number], { block: string; well: string }>(`SELECT block, well FROM nanowell WHERE run_id = ?`),
  frames: db.prepare<[number], { n: number }>(
    `SELECT count(*) AS n FROM frame f JOIN nanowell n ON n.id = f.nanowell_id WHERE n.run_id = ?`,
  ),
}));

/** The run's settings as an object ({} when unreadable). */
export function runSettings(run: Pick<RunRow, 'settings'>): Record<string, unknown> {
  try {
    const parsed = JSON.parse(run.settings) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // unreadable: treated as no settings
  }
  return {};
}

/** Replaces some keys of the run's settings, keeping the others. */
export function updateRunSettings(db: Db, run: RunRow, patch: Record<string, unknown>): void {
  stmts(db).setSettings.run(JSON.stringify({ ...runSettings(run), ...patch }), run.id);
}

/** The shard a shard workspace's run holds, or null (whole acquisition or a merge). */
export function runShard(run: Pick<RunRow, 'settings'>): ShardSpec | null {
  const s = runSettings(run).shard;
  return typeof s === 'string' ? parseShard(s) : null;
}

/** Which shards the run covers: its shard, the shards merged into it, or 0/1 for a whole run. */
export function runCoverage(run: Pick<RunRow, 'settings'>): ShardCoverage {
  const settings = runSettings(run);
  const shard = runShard(run);
  if (shard) return { count: shard.count, indices: [shard.index] };
  const merged = settings.shards as Partial<ShardCoverage> | undefined;
  if (merged && Number.isInteger(merged.count) && Array.isArray(merged.indices)) {
    return { count: merged.count!, indices: [...new Set(merged.indices.map(Number))].sort((a, b) => a - b) };
  }
  return { count: 1, indices: [0] };
}

/** Whether the run is the product of `postfocus merge`. */
export function isMergedRun(run: Pick<RunRow, 'settings'>): boolean {
  return runSettings(run).shards !== undefined;
}

/** Shard sources recorded by merges into this run. */
export function mergedSources(run: Pick<RunRow, 'settings'>): MergedSource[] {
  const m = runSettings(run).merged;
  return Array.isArray(m) ? (m as MergedSource[]) : [];
}

/**
 * Checks that processing `shard` (null: the whole acquisition) of `root` fits
 * what the workspace already holds, then records it on the run when the run
 * exists. Call before ingest (refuses early) and after (records it on the run
 * ingest created). Throws an Error saying what the workspace holds otherwise.
 */
export function claimShard(db: Db, workspace: string, root: string, shard: ShardSpec | null): void {
  const run = getRunByRoot(db, root);
  if (!run) return;
  const wanted = shard ? `shard ${formatShard(shard)}` : 'the whole acquisition';
  if (isMergedRun(run)) {
    throw new Error(
      `workspace ${workspace} is a merge of shards of ${root}; process into shard workspaces and merge them, ` +
        `or use another workspace for ${wanted}`,
    );
  }
  const recorded = runShard(run);
  const hasFrames = stmts(db).frames.get(run.id)!.n > 0;
  if (recorded && (!shard || recorded.index !== shard.index || recorded.count !== shard.count)) {
    throw new Error(
      `workspace ${workspace} holds shard ${formatShard(recorded)} of ${root}, not ${wanted}: ` +
        `run with --shard ${formatShard(recorded)} or use another workspace`,
    );
  }
  if (!recorded && shard && hasFrames) {
    // Frames but no record: a whole run, or a shard stopped between its ingest and this record.
    const outside = stmts(db).wells.all(run.id).find((w) => !inShard(shard, w.block, w.well));
    if (outside) {
      throw new Error(
        `workspace ${workspace} holds nanowells of ${root} outside shard ${formatShard(shard)} ` +
          `(B${outside.block}-${outside.well}, e.g. a whole-acquisition run): use another workspace for the shard`,
      );
    }
  }
  if (!recorded && shard) updateRunSettings(db, run, { shard: formatShard(shard) });
}
