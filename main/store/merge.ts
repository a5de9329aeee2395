/**
 * Merge: builds one workspace from shard workspaces (`postfocus process
 * --shard i/N` on many machines), so review, export and eval work on it as on
 * a single run.
 *
 * Rows are matched by their natural keys, never by id: nanowell (block, well),
 * frame (nanowell, t, channel), classification (frame, target), restoration
 * (frame), judgement (frame); append-only rows (attempts, decisions, focus
 * labels, calibrations, guard events, errors) by their content. Ids are remapped
 * consistently and derived files are copied under the new frame id. Merging a
 * shard again therefore adds nothing; merging it after it was resumed adds what
 * it did since; a late shard can join an existing merge.
 *
 * Refused (nothing written): shards of another acquisition (root, layout,
 * pattern), of another partition (N), a shard already merged from another
 * processing of it, a workspace whose nanowells are not its shard's, different
 * models (classifier / restorer sha256 and sampler settings) or microscope
 * calibrations, a shard still being processed, tables this merge does not know.
 * Export records stay with the workspace that exported.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { formatShard, inShard, nanowellShard } from '../common/shard.js';
import { closeDb, nowIso, openWorkspaceDb, type Db } from './database.js';
import { listRuns, type RunRow } from './queries/runs.js';
import {
  isMergedRun,
  mergedSources,
  runCoverage,
  runSettings,
  runShard,
  updateRunSettings,
  type MergedSource,
  type ShardCoverage,
} from './queries/shards.js';
import { acquireWorkspaceLock, LOCK_FILE, readOwner } from './workspace-lock.js';

/** A merge that would mix what must not be mixed; nothing was written. */
export class MergeRefusedError extends Error {
  override name = 'MergeRefusedError';
}

/** Rows (and files) one shard added to the merged workspace. */
export interface MergeCounts {
  nanowells: number;
  frames: number;
  /** Frames already merged whose state the shard has advanced since (a resumed shard). */
  framesUpdated: number;
  classifications: number;
  judgements: number;
  restorations: number;
  files: number;
  attempts: number;
  decisions: number;
  focusLabels: number;
  calibrations: number;
  guardEvents: number;
  errors: number;
}

export interface ShardMergeReport {
  workspace: string;
  shard: string;
  /** The shard had been merged before (from the same processing). */
  again: boolean;
  frames: number;
  added: MergeCounts;
}

export interface MergeReport {
  output: string;
  root: string;
  shards: ShardMergeReport[];
  /** Shards of the partition merged so far, and those still missing. */
  coverage: { count: number; merged: number[]; missing: number[] };
  /** Frames in the merged workspace after the merge. */
  frames: number;
  durationMs: number;
}

/** Tables whose rows the merge copies, and those it leaves by design. */
const COPIED = [
  'run', 'nanowell', 'frame', 'classification', 'judgement', 'restoration', 'attempt', 'decision',
  'focus_label', 'calibration', 'guard_state', 'guard_event', 'error_log',
];
const NOT_COPIED = ['export'];

interface Shard {
  dir: string;
  db: Db;
  run: RunRow;
  coverage: ShardCoverage;
  source: MergedSource;
}

/** Processing identity of a workspace: models, sampler settings and calibration it used. */
interface Profile {
  classifier: Set<string>;
  restorer: Set<string>;
  calibration: Set<string>;
}

/**
 * Merges shard workspaces into `output` (created when needed). Throws
 * MergeRefusedError, naming the workspaces and values, when they cannot be merged.
 */
export function mergeWorkspaces(output: string, shardDirs: readonly string[], log: (message: string) => void = () => {}): MergeReport {
  const started = Date.now();
  const outDir = resolve(output);
  const dirs = [...new Set(shardDirs.map((d) => resolve(d)))];
  if (dirs.length === 0) throw new MergeRefusedError('no shard workspace given');
  if (dirs.includes(outDir)) throw new MergeRefusedError(`the merged workspace ${outDir} cannot also be one of its shards`);
  const shards: Shard[] = [];
  try {
    for (const dir of dirs) shards.push(openShard(dir));
    const out = openWorkspaceDb(outDir);
    const lock = acquireWorkspaceLock(outDir, 'merge');
    try {
      const outRun = checkCompatible(outDir, out, shards);
      const reports: ShardMergeReport[] = [];
      for (const shard of shards) {
        const run = outRun();
        const report = out.transaction(() => mergeShard(out, outDir, run, shard))();
        log(`${shard.dir} (shard ${report.shard}): ${describe(report)}`);
        reports.push(report);
      }
      const run = outRun();
      const coverage = runCoverage(run);
      const all = Array.from({ length: coverage.count }, (_, i) => i);
      return {
        output: outDir,
        root: run.root,
        shards: reports,
        coverage: { count: coverage.count, merged: coverage.indices, missing: all.filter((i) => !coverage.indices.includes(i)) },
        frames: (out.prepare(`SELECT count(*) AS n FROM frame`).get() as { n: number }).n,
        durationMs: Date.now() - started,
      };
    } finally {
      lock.release();
      closeDb(out);
    }
  } finally {
    for (const s of shards) closeDb(s.db);
  }
}

function describe(r: ShardMergeReport): string {
  const a = r.added;
  if (Object.values(a).every((n) => n === 0)) return `${r.frames} frame(s), already merged: nothing to add`;
  return (
    `${a.frames} new frame(s)${a.framesUpdated ? `, ${a.framesUpdated} advanced` : ''}, ${a.classifications} classification(s), ` +
    `${a.restorations} restoration(s) (${a.files} file(s)), ${a.decisions} decision(s), ${a.attempts} attempt(s), ${a.errors} error(s)`
  );
}

// ------------------------------------------------------------------ checks

function openShard(dir: string): Shard {
  if (!existsSync(join(dir, 'postfocus.sqlite'))) throw new MergeRefusedError(`${dir} is not a workspace (no postfocus.sqlite)`);
  const owner = readOwner(join(dir, LOCK_FILE));
  if (owner && (owner.host !== hostname() || pidAlive(owner.pid))) {
    throw new MergeRefusedError(
      `shard workspace ${dir} is being processed (PostFocus ${owner.role}, pid ${owner.pid} on ${owner.host}, since ${owner.startedAt}): ` +
        'merge it when that has ended',
    );
  }
  let db: Db;
  try {
    db = openWorkspaceDb(dir, { readonly: true });
  } catch (err) {
    if (!/needs migration/.test((err as Error).message)) throw err;
    // Written by an older version: brought to the current schema once, as any command opening it would.
    closeDb(openWorkspaceDb(dir));
    db = openWorkspaceDb(dir, { readonly: true });
  }
  try {
    const runs = listRuns(db);
    if (runs.length !== 1) {
      throw new MergeRefusedError(
        runs.length === 0 ? `${dir} holds no acquisition yet (nothing ingested)` : `${dir} holds ${runs.length} acquisitions; a shard holds one`,
      );
    }
    const run = runs[0]!;
    if (isMergedRun(run)) throw new MergeRefusedError(`${dir} is itself a merge; merge its shard workspaces instead`);
    const coverage = runCoverage(run);
    const shard = runShard(run) ?? { index: 0, count: 1 };
    // The rule holds for every nanowell of the shard (a workspace could have been filled otherwise).
    const wells = db.prepare(`SELECT block, well FROM nanowell WHERE run_id = ?`).all(run.id) as { block: string; well: string }[];
    const stray = wells.find((w) => !inShard(shard, w.block, w.well));
    if (stray) {
      throw new MergeRefusedError(
        `${dir} claims shard ${formatShard(shard)} but holds nanowell B${stray.block}-${stray.well}, which belongs to shard ` +
          `${nanowellShard(stray.block, stray.well, shard.count)}/${shard.count}`,
      );
    }
    const unknown = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[])
      .map((t) => t.name)
      .filter((t) => !COPIED.includes(t) && !NOT_COPIED.includes(t))
      .filter((t) => db.prepare(`SELECT 1 FROM "${t}" LIMIT 1`).get() !== undefined);
    if (unknown.length) throw new MergeRefusedError(`${dir} has rows in table(s) this merge does not know: ${unknown.join(', ')}`);
    return { dir, db, run, coverage, source: { shard: formatShard(shard), workspace: dir, runCreatedAt: run.createdAt } };
  } catch (err) {
    closeDb(db);
    throw err;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function profileOf(db: Db): Profile {
  const col = (sql: string) => new Set((db.prepare(sql).all() as { v: string }[]).map((r) => r.v));
  return {
    classifier: col(`SELECT DISTINCT model_id || ' sha256 ' || model_sha256 AS v FROM classification`),
    restorer: col(
      `SELECT DISTINCT model_id || ' sha256 ' || model_sha256 || ' (' || sampler || ', ' || steps || ' steps, eta ' || eta ||
         ', ensemble ' || ensemble || ')' AS v FROM restoration`,
    ),
    // The calibration in force (latest row): the microscope profile judgements were made with, named by its fit.
    calibration: new Set(
      (db.prepare(`SELECT source, classifier_id AS model, fit FROM calibration WHERE id = (SELECT max(id) FROM calibration)`).all() as {
        source: string;
        model: string;
        fit: string;
      }[]).map((c) => `${c.source} for ${c.model} (fit sha256 ${createHash('sha256').update(c.fit).digest('hex').slice(0, 12)})`),
    ),
  };
}

const same = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((v) => b.has(v));

/**
 * Refuses shards that cannot be merged with each other or with what `out`
 * already holds; returns a getter for the output run (created on first use).
 */
function checkCompatible(outDir: string, out: Db, shards: Shard[]): () => RunRow {
  const outRuns = listRuns(out);
  if (outRuns.length > 1) throw new MergeRefusedError(`${outDir} holds ${outRuns.length} acquisitions; a merge holds one`);
  const existing = outRuns[0];
  if (existing && !isMergedRun(existing) && (out.prepare(`SELECT 1 FROM frame LIMIT 1`).get() as unknown)) {
    throw new MergeRefusedError(`${outDir} holds a processed acquisition, not a merge; merge into a new folder`);
  }
  const ref = existing ?? shards[0]!.run;
  const refName = existing ? outDir : shards[0]!.dir;
  const count = existing ? runCoverage(existing).count : shards[0]!.coverage.count;
  for (const s of shards) {
    for (const [what, a, b] of [
      ['acquisition', ref.root, s.run.root],
      ['layout', ref.layout, s.run.layout],
      ['pattern', ref.pattern ?? '(none)', s.run.pattern ?? '(none)'],
    ] as const) {
      if (a !== b) throw new MergeRefusedError(`different ${what}s: ${refName} has ${a}, ${s.dir} has ${b}`);
    }
    if (s.coverage.count !== count) {
      throw new MergeRefusedError(
        `different partitions: ${refName} is split into ${count} shard(s), ${s.dir} is shard ${s.source.shard}`,
      );
    }
  }
  // Each shard once: from one processing of it (a re-merge of the same processing adds nothing).
  const byShard = new Map<string, MergedSource & { merged: boolean }>();
  for (const m of existing ? mergedSources(existing) : []) byShard.set(m.shard, { ...m, merged: true });
  for (const s of shards) {
    const prior = byShard.get(s.source.shard);
    if (prior && prior.runCreatedAt !== s.source.runCreatedAt) {
      throw new MergeRefusedError(
        `overlapping shards: shard ${s.source.shard} is ${prior.merged ? `already merged into ${outDir}` : 'also given'} ` +
          `from ${prior.workspace} (run of ${prior.runCreatedAt}); ${s.dir} is another processing of it (run of ${s.source.runCreatedAt})`,
      );
    }
    byShard.set(s.source.shard, { ...s.source, merged: false });
  }
  // Same models, sampler settings and calibration everywhere something was done.
  const profiles = [
    ...(existing ? [{ name: outDir, p: profileOf(out) }] : []),
    ...shards.map((s) => ({ name: s.dir, p: profileOf(s.db) })),
  ];
  for (const key of ['classifier', 'restorer', 'calibration'] as const) {
    const used = profiles.filter((x) => x.p[key].size > 0);
    const first = used[0];
    const other = used.find((x) => !same(x.p[key], first!.p[key]));
    if (first && other) {
      const label = key === 'calibration' ? 'microscope calibrations' : `${key} models`;
      throw new MergeRefusedError(
        `different ${label}: ${first.name} used ${[...first.p[key]].join('; ')}, ${other.name} used ${[...other.p[key]].join('; ')}`,
      );
    }
    if (key === 'calibration' && first && used.length !== profiles.length) {
      const bare = profiles.find((x) => x.p.calibration.size === 0)!;
      throw new MergeRefusedError(`different microscope calibrations: ${first.name} used ${[...first.p.calibration][0]}, ${bare.name} none`);
    }
  }
  let run = existing;
  return () => {
    if (run) return (run = listRuns(out)[0]!);
    const settings = { ...runSettings(ref) };
    delete settings.shard;
    out
      .prepare(`INSERT INTO run (root, layout, pattern, settings, ignored_files, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(ref.root, ref.layout, ref.pattern, JSON.stringify({ ...settings, shards: { count, indices: [] }, merged: [] }), ref.ignoredFiles, nowIso());
    return (run = listRuns(out)[0]!);
  };
}

// ------------------------------------------------------------------ copying

/** Columns of `table` in both databases, `id` excluded (the output's ids are its own). */
function sharedColumns(out: Db, src: Db, table: string): string[] {
  const cols = (db: Db) => (db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]).map((c) => c.name);
  const srcCols = new Set(cols(src));
  return cols(out).filter((c) => c !== 'id' && srcCols.has(c));
}

type Row = Record<string, unknown>;

function mergeShard(out: Db, outDir: string, run: RunRow, shard: Shard): ShardMergeReport {
  const src = shard.db;
  const added: MergeCounts = {
    nanowells: 0, frames: 0, framesUpdated: 0, classifications: 0, judgements: 0, restorations: 0, files: 0,
    attempts: 0, decisions: 0, focusLabels: 0, calibrations: 0, guardEvents: 0, errors: 0,
  };
  const again = mergedSources(run).some((m) => m.shard === shard.source.shard && m.runCreatedAt === shard.source.runCreatedAt);

  // Copies rows of `table` (selected by `where` from the shard), remapping the id columns;
  // `exists` finds the output's row for a remapped row (skipped then), `onInsert` sees new ids.
  const copy = (
    table: string,
    where: string,
    remap: Record<string, Map<number, number> | number>,
    exists: ((row: Row) => number | undefined) | null,
    onRow?: (srcRow: Row, outId: number, inserted: boolean) => void,
  ): number => {
    const cols = sharedColumns(out, src, table);
    const insert = out.prepare(`INSERT INTO "${table}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    let n = 0;
    for (const row of src.prepare(`SELECT * FROM "${table}" ${where} ORDER BY id`).iterate() as IterableIterator<Row>) {
      const mapped: Row = { ...row };
      let skip = false;
      for (const [col, map] of Object.entries(remap)) {
        const v = row[col];
        if (v === null || v === undefined) continue;
        const to = typeof map === 'number' ? map : map.get(Number(v));
        if (to === undefined) skip = true; // refers to a row not merged (e.g. an attempt of an unknown frame)
        mapped[col] = to;
      }
      if (skip) continue;
      const found = exists?.(mapped);
      if (found !== undefined) {
        onRow?.(row, found, false);
        continue;
      }
      const id = Number(insert.run(...cols.map((c) => mapped[c] as never)).lastInsertRowid);
      n++;
      onRow?.(row, id, true);
    }
    return n;
  };
  const one = (sql: string) => {
    const stmt = out.prepare(sql).pluck();
    return (...args: unknown[]) => stmt.get(...args) as number | undefined;
  };

  const runMap = new Map([[shard.run.id, run.id]]);
  const wellMap = new Map<number, number>();
  added.nanowells = copy('nanowell', `WHERE run_id = ${shard.run.id}`, { run_id: runMap },
    ((f) => (r: Row) => f(r.run_id, r.block, r.well))(one(`SELECT id FROM nanowell WHERE run_id = ? AND block = ? AND well = ?`)),
    (r, id) => wellMap.set(Number(r.id), id));

  const frameMap = new Map<number, number>();
  const findFrame = one(`SELECT id FROM frame WHERE nanowell_id = ? AND t = ? AND channel = ?`);
  const outFrame = out.prepare(`SELECT path, page, state FROM frame WHERE id = ?`);
  const setState = out.prepare(`UPDATE frame SET state = ? WHERE id = ?`);
  let frames = 0;
  added.frames = copy('frame', `WHERE nanowell_id IN (SELECT id FROM nanowell WHERE run_id = ${shard.run.id})`, { nanowell_id: wellMap },
    (r) => findFrame(r.nanowell_id, r.t, r.channel),
    (r, id, inserted) => {
      frames++;
      frameMap.set(Number(r.id), id);
      if (inserted) return;
      const o = outFrame.get(id) as { path: string; page: number; state: string };
      if (o.path !== r.path || o.page !== r.page) {
        throw new MergeRefusedError(`overlapping shards: ${shard.dir} has ${r.path} (page ${r.page}) where ${outDir} has ${o.path} (page ${o.page})`);
      }
      if (o.state !== r.state) {
        setState.run(r.state, id);
        added.framesUpdated++;
      }
    });

  added.classifications = copy('classification', '', { frame_id: frameMap }, ((f) => (r: Row) => f(r.frame_id, r.target))(one(`SELECT id FROM classification WHERE frame_id = ? AND target = ?`)));

  const calibrationMap = new Map<number, number>();
  added.calibrations = copy('calibration', '', {},
    ((f) => (r: Row) => f(r.at, r.who, r.fit))(one(`SELECT id FROM calibration WHERE at = ? AND who = ? AND fit = ?`)),
    (r, id) => calibrationMap.set(Number(r.id), id));

  // The judgement in force follows the shard (it is rewritten as a well's history grows).
  const judgementCols = sharedColumns(out, src, 'judgement');
  const upsertJudgement = out.prepare(
    `INSERT INTO judgement (${judgementCols.join(', ')}) VALUES (${judgementCols.map(() => '?').join(', ')})
     ON CONFLICT (frame_id) DO UPDATE SET ${judgementCols.filter((c) => c !== 'frame_id').map((c) => `${c} = excluded.${c}`).join(', ')}`,
  );
  const outJudgement = out.prepare(`SELECT ${judgementCols.join(', ')} FROM judgement WHERE frame_id = ?`);
  for (const j of src.prepare(`SELECT * FROM judgement`).iterate() as IterableIterator<Row>) {
    const frameId = frameMap.get(Number(j.frame_id));
    if (frameId === undefined) continue;
    const mapped: Row = { ...j, frame_id: frameId, calibration_id: j.calibration_id == null ? null : (calibrationMap.get(Number(j.calibration_id)) ?? null) };
    const prev = outJudgement.get(frameId) as Row | undefined;
    if (prev && judgementCols.every((c) => prev[c] === mapped[c])) continue;
    upsertJudgement.run(...judgementCols.map((c) => mapped[c] as never));
    added.judgements++;
  }

  // Restorations with their derived files, renamed for the output's frame ids.
  const restorationCols = sharedColumns(out, src, 'restoration');
  const insertRestoration = out.prepare(
    `INSERT INTO restoration (${restorationCols.join(', ')}) VALUES (${restorationCols.map(() => '?').join(', ')})`,
  );
  const hasRestoration = one(`SELECT id FROM restoration WHERE frame_id = ?`);
  for (const r of src.prepare(`SELECT * FROM restoration ORDER BY id`).iterate() as IterableIterator<Row>) {
    const oldFrame = Number(r.frame_id);
    const frameId = frameMap.get(oldFrame);
    if (frameId === undefined || hasRestoration(frameId) !== undefined) continue;
    const mapped: Row = { ...r, frame_id: frameId };
    for (const col of ['mean_path', 'spread_path', 'members_path']) {
      const rel = r[col];
      if (typeof rel !== 'string') continue;
      const to = derivedName(rel, oldFrame, frameId, shard.source.shard);
      added.files += copyDerived(join(shard.dir, rel), join(outDir, to), shard.dir, String(r.frame_id));
      mapped[col] = to;
    }
    insertRestoration.run(...restorationCols.map((c) => mapped[c] as never));
    added.restorations++;
  }

  // Finished attempts only: one still open belongs to a run in progress (or killed) and is closed there.
  added.attempts = copy('attempt', 'WHERE finished_at IS NOT NULL', { frame_id: frameMap },
    ((f) => (r: Row) => f(r.frame_id, r.kind, r.started_at))(one(`SELECT id FROM attempt WHERE frame_id = ? AND kind = ? AND started_at = ?`)));
  added.decisions = copy('decision', '', { frame_id: frameMap },
    ((f) => (r: Row) => f(r.frame_id, r.verdict, r.reviewer, r.at))(one(`SELECT id FROM decision WHERE frame_id = ? AND verdict = ? AND reviewer = ? AND at = ?`)));
  added.focusLabels = copy('focus_label', '', { frame_id: frameMap },
    ((f) => (r: Row) => f(r.frame_id, r.label, r.who, r.at))(one(`SELECT id FROM focus_label WHERE frame_id = ? AND label = ? AND who = ? AND at = ?`)));
  added.guardEvents = copy('guard_event', '', { run_id: runMap },
    ((f) => (r: Row) => f(r.run_id, r.kind, r.reason, r.at))(one(`SELECT id FROM guard_event WHERE run_id = ? AND kind = ? AND reason = ? AND at = ?`)));
  // Errors: the run's (remapped) and run-less ones (model problems), each once.
  const findError = one(
    `SELECT id FROM error_log WHERE run_id IS ? AND source = ? AND path IS ? AND message = ?`,
  );
  const findErrorPath = one(`SELECT id FROM error_log WHERE run_id IS ? AND source = ? AND path = ?`);
  added.errors = copy('error_log', '', { run_id: runMap, frame_id: frameMap },
    (r) => (r.path != null ? findErrorPath(r.run_id ?? null, r.source, r.path) : findError(r.run_id ?? null, r.source, null, r.message)));

  // Record the shard on the merged run; the guard state is recomputed from every merged shard's.
  const guard = src.prepare(`SELECT state, judged, oof, reason, updated_at AS updatedAt FROM guard_state WHERE run_id = ?`).get(shard.run.id) as
    | GuardSummary
    | undefined;
  const sources = mergedSources(run).filter((m) => m.shard !== shard.source.shard);
  const merged = [...sources, { ...shard.source, ...(guard ? { guard } : {}) }].sort((a, b) => Number(a.shard.split('/')[0]) - Number(b.shard.split('/')[0]));
  const coverage = runCoverage(run);
  const index = Number(shard.source.shard.split('/')[0]);
  updateRunSettings(out, run, {
    shards: { count: coverage.count, indices: [...new Set([...coverage.indices, index])].sort((a, b) => a - b) },
    merged,
  });
  out.prepare(`UPDATE run SET ignored_files = max(ignored_files, ?) WHERE id = ?`).run(shard.run.ignoredFiles, run.id);
  writeGuardState(out, run.id, merged as (MergedSource & { guard?: GuardSummary })[]);

  return { workspace: shard.dir, shard: shard.source.shard, again, frames, added };
}

interface GuardSummary {
  state: string;
  judged: number;
  oof: number;
  reason: string | null;
  updatedAt: string;
}

/** A merged run's guard: tripped if any shard's is, else pending, else released, else clear; counts summed. */
function writeGuardState(out: Db, runId: number, merged: (MergedSource & { guard?: GuardSummary })[]): void {
  const guards = merged.map((m) => m.guard).filter((g): g is GuardSummary => g !== undefined);
  if (guards.length === 0) return;
  const rank = ['tripped', 'pending', 'released', 'clear'];
  const worst = guards.reduce((a, b) => (rank.indexOf(b.state) < rank.indexOf(a.state) ? b : a));
  out
    .prepare(
      `INSERT INTO guard_state (run_id, state, judged, oof, reason, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id) DO UPDATE SET state = excluded.state, judged = excluded.judged, oof = excluded.oof,
         reason = excluded.reason, updated_at = excluded.updated_at`,
    )
    .run(runId, worst.state, guards.reduce((s, g) => s + g.judged, 0), guards.reduce((s, g) => s + g.oof, 0), worst.reason, worst.updatedAt);
}

/** `derived/<old id>-mean.tif` → `derived/<new id>-mean.tif`; other names keep theirs under a per-shard folder. */
export function derivedName(rel: string, oldFrameId: number, newFrameId: number, shard: string): string {
  const name = basename(rel);
  const prefix = `${oldFrameId}-`;
  if (name.startsWith(prefix)) return `${dirname(rel)}/${newFrameId}-${name.slice(prefix.length)}`;
  return `derived/merged/shard-${shard.replace('/', '-of-')}/${rel.replace(/^derived\//, '')}`;
}

/** Links or copies a derived file (temp + rename, so a crash leaves no half file); 0 when it is already there. */
function copyDerived(from: string, to: string, shardDir: string, frame: string): number {
  let size: number;
  try {
    size = statSync(from).size;
  } catch {
    throw new MergeRefusedError(`${shardDir}: the restoration of frame ${frame} has no file ${from}; re-run process on that shard`);
  }
  try {
    if (statSync(to).size === size) return 0;
  } catch {
    // not there yet
  }
  mkdirSync(dirname(to), { recursive: true });
  const tmp = `${to}.${process.pid}.part`;
  rmSync(tmp, { force: true });
  // A hard link where both are on one file system (derived files are never rewritten in
  // place: the worker replaces them by rename), a copy elsewhere: 1.4 M frames' restorations
  // are tens of GB.
  try {
    linkSync(from, tmp);
  } catch {
    copyFileSync(from, tmp);
  }
  renameSync(tmp, to);
  return 1;
}
