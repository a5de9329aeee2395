import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatShard, inShard, type ShardSpec } from '../../../main/common/shard.js';
import { closeDb, openWorkspaceDb, type Db } from '../../../main/store/database.js';
import { derivedName, mergeWorkspaces, MergeRefusedError } from '../../../main/store/merge.js';
import { insertFrames } from '../../../main/store/queries/frames.js';
import { createRun } from '../../../main/store/queries/runs.js';
import { recordClassification, recordRestoration, startAttempts } from '../../../main/store/queries/work.js';
import { acquireWorkspaceLock } from '../../../main/store/workspace-lock.js';
import { tempDir } from '../../helpers/workspace.js';

const ROOT = '/data/acquisition-A';
const WELLS = Array.from({ length: 8 }, (_, i) => ({ block: '1', well: `imgNo${String(i + 1).padStart(3, '0')}` }));
const FRAMES = 3;
const CLASSIFIER = { modelId: 'pf-classifier-v1', modelSha256: 'c'.repeat(64) };
const metrics = { tenenbaum: 1, vollathF4: 2, vollathF5: 3, normalizedVariance: 4, laplacianVariance: 5 };

/** p(OOF) of a frame, a function of where it is (so a merge can be checked against it). */
const pOf = (well: string, t: number) => (Number(well.slice(5)) * 7 + t * 13) % 100 / 100;

interface Built {
  dir: string;
  /** Frames (path) left pending, to be finished later. */
  pending: string[];
}

/**
 * A shard workspace as `process --shard` leaves it: frames of its nanowells, t = 2
 * out of focus and restored (derived files written), others in focus, one decision.
 * `leavePending` keeps the last frame of the first well unclassified.
 */
function buildShard(dir: string, shard: ShardSpec | null, opts: { root?: string; classifierSha?: string; extraWell?: { block: string; well: string }; leavePending?: boolean } = {}): Built {
  const db = openWorkspaceDb(dir);
  const run = createRun(db, { root: opts.root ?? ROOT, layout: 'timing', settings: shard ? { shard: formatShard(shard) } : {} });
  const wells = WELLS.filter((w) => !shard || inShard(shard, w.block, w.well));
  if (opts.extraWell) wells.push(opts.extraWell);
  const pending: string[] = [];
  for (const [wi, w] of wells.entries()) {
    for (let t = 1; t <= FRAMES; t++) {
      const path = `B${w.block}/images/crops_8bit_s/${w.well}CH0/${w.well}CH0_t${t}.tif`;
      const [o] = insertFrames(db, [{ runId: run.id, block: w.block, well: w.well, t, channel: '0', path, page: 0, width: 8, height: 8, bits: 8, size: 100, mtimeMs: 1 }]);
      const frameId = o!.frameId;
      if (opts.leavePending && wi === 0 && t === FRAMES) {
        pending.push(path);
        continue;
      }
      const oof = t === 2;
      const [a] = startAttempts(db, [frameId], 'classify');
      recordClassification(db, { attemptId: a!, frameId, target: 'original', modelId: CLASSIFIER.modelId, modelSha256: opts.classifierSha ?? CLASSIFIER.modelSha256, pOof: oof ? 0.9 : pOf(w.well, t) / 2, oof, metrics });
      db.prepare(`INSERT INTO judgement (frame_id, oof, basis, p_used, at) VALUES (?, ?, 'model', ?, ?)`).run(frameId, oof ? 1 : 0, oof ? 0.9 : pOf(w.well, t) / 2, '2026-01-01T00:00:00.000Z');
      if (!oof) continue;
      mkdirSync(join(dir, 'derived'), { recursive: true });
      for (const k of ['mean', 'spread', 'members']) writeFileSync(join(dir, 'derived', `${frameId}-${k}.tif`), `${k} of ${path}`);
      const [r] = startAttempts(db, [frameId], 'restore');
      recordRestoration(db, {
        attemptId: r!, frameId, modelId: 'pf-ddpm-v1', modelSha256: 'd'.repeat(64), sampler: 'ddim', steps: 5, eta: 0, ensemble: 5,
        seeds: [1, 2, 3, 4, 5], meanPath: `derived/${frameId}-mean.tif`, spreadPath: `derived/${frameId}-spread.tif`,
        membersPath: `derived/${frameId}-members.tif`, spreadMean: 0.01, tenenbaumBefore: 1, tenenbaumAfter: 2, durationMs: 10,
      });
      db.prepare(`INSERT INTO decision (frame_id, verdict, reviewer, at) VALUES (?, 'accept', 'ana', ?)`).run(frameId, `2026-01-01T00:00:0${t}.000Z`);
    }
  }
  closeDb(db);
  return { dir, pending };
}

/** Finishes the frames left pending (a resumed shard). */
function finishPending(dir: string, paths: string[]): void {
  const db = openWorkspaceDb(dir);
  for (const path of paths) {
    const { id } = db.prepare(`SELECT id FROM frame WHERE path = ?`).get(path) as { id: number };
    const [a] = startAttempts(db, [id], 'classify');
    recordClassification(db, { attemptId: a!, frameId: id, target: 'original', ...CLASSIFIER, pOof: 0.1, oof: false, metrics });
  }
  closeDb(db);
}

interface FrameView {
  path: string;
  state: string;
  pOof: number | null;
  judged: number | null;
  mean: string | null;
  decisions: number;
}

/** What review and export read of a workspace, keyed by frame path (ids differ between workspaces). */
function view(dir: string): Map<string, FrameView> {
  const db = openWorkspaceDb(dir, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT f.path, f.state, c.p_oof AS pOof, j.oof AS judged, r.mean_path AS meanPath,
                (SELECT count(*) FROM decision d WHERE d.frame_id = f.id) AS decisions
           FROM frame f LEFT JOIN classification c ON c.frame_id = f.id AND c.target = 'original'
           LEFT JOIN judgement j ON j.frame_id = f.id LEFT JOIN restoration r ON r.frame_id = f.id`,
      )
      .all() as (Omit<FrameView, 'mean'> & { meanPath: string | null })[];
    return new Map(rows.map(({ meanPath, ...r }) => [r.path, { ...r, mean: meanPath ? readFileSync(join(dir, meanPath), 'utf8') : null }]));
  } finally {
    closeDb(db);
  }
}

function counts(dir: string): Record<string, number> {
  const db = openWorkspaceDb(dir, { readonly: true });
  try {
    const out: Record<string, number> = {};
    for (const t of ['run', 'nanowell', 'frame', 'classification', 'judgement', 'restoration', 'attempt', 'decision', 'error_log']) {
      out[t] = (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    }
    return out;
  } finally {
    closeDb(db);
  }
}

function withDb<T>(dir: string, f: (db: Db) => T): T {
  const db = openWorkspaceDb(dir, { readonly: true });
  try {
    return f(db);
  } finally {
    closeDb(db);
  }
}

let tmp: ReturnType<typeof tempDir>;
const at = (name: string) => join(tmp.dir, name);
beforeEach(() => (tmp = tempDir('pf-merge-')));
afterEach(() => tmp.cleanup());

describe('mergeWorkspaces', () => {
  it('builds from two shards what one whole run holds: frames, p(OOF), judgements, restorations with their files, decisions', () => {
    buildShard(at('whole'), null);
    buildShard(at('s0'), { index: 0, count: 2 });
    buildShard(at('s1'), { index: 1, count: 2 });
    const report = mergeWorkspaces(at('merged'), [at('s0'), at('s1')]);
    expect(report.coverage).toEqual({ count: 2, merged: [0, 1], missing: [] });
    expect(report.frames).toBe(WELLS.length * FRAMES);
    const merged = view(at('merged'));
    expect(merged).toEqual(view(at('whole')));
    const c = counts(at('merged'));
    expect(c).toMatchObject({ run: 1, nanowell: WELLS.length, frame: WELLS.length * FRAMES, restoration: WELLS.length, decision: WELLS.length });
    // Ids remapped consistently: each restoration's file is named for its frame in the merged workspace.
    withDb(at('merged'), (db) => {
      for (const r of db.prepare(`SELECT frame_id, mean_path FROM restoration`).all() as { frame_id: number; mean_path: string }[]) {
        expect(r.mean_path).toBe(`derived/${r.frame_id}-mean.tif`);
      }
      const settings = JSON.parse((db.prepare(`SELECT settings FROM run`).get() as { settings: string }).settings);
      expect(settings.shard).toBeUndefined();
      expect(settings.shards).toEqual({ count: 2, indices: [0, 1] });
    });
  });

  it('is idempotent: merging the same shards again adds nothing', () => {
    buildShard(at('s0'), { index: 0, count: 2 });
    buildShard(at('s1'), { index: 1, count: 2 });
    mergeWorkspaces(at('merged'), [at('s0'), at('s1')]);
    const before = counts(at('merged'));
    const again = mergeWorkspaces(at('merged'), [at('s1'), at('s0'), at('s0')]);
    expect(again.shards.map((s) => s.again)).toEqual([true, true]);
    for (const s of again.shards) expect(Object.values(s.added).every((n) => n === 0), JSON.stringify(s.added)).toBe(true);
    expect(counts(at('merged'))).toEqual(before);
  });

  it('adds a late shard to an existing merge, and what a resumed shard did since', () => {
    buildShard(at('whole'), null);
    const s0 = buildShard(at('s0'), { index: 0, count: 2 }, { leavePending: true });
    buildShard(at('s1'), { index: 1, count: 2 });
    const first = mergeWorkspaces(at('merged'), [at('s0')]);
    expect(first.coverage.missing).toEqual([1]);
    const late = mergeWorkspaces(at('merged'), [at('s1')]);
    expect(late.coverage).toEqual({ count: 2, merged: [0, 1], missing: [] });
    expect(view(at('merged')).get(s0.pending[0]!)!.state).toBe('pending');
    finishPending(at('s0'), s0.pending);
    const resumed = mergeWorkspaces(at('merged'), [at('s0')]);
    expect(resumed.shards[0]!.added).toMatchObject({ frames: 0, framesUpdated: 1, classifications: 1, restorations: 0 });
    const merged = view(at('merged'));
    expect(merged.get(s0.pending[0]!)).toMatchObject({ state: 'in_focus', pOof: 0.1 });
  });

  describe('refuses, naming what differs, and writes nothing', () => {
    const refused = (shards: string[], pattern: RegExp) => {
      let err: unknown;
      try {
        mergeWorkspaces(at('merged'), shards);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MergeRefusedError);
      expect((err as Error).message).toMatch(pattern);
      if (existsSync(join(at('merged'), 'postfocus.sqlite'))) expect(counts(at('merged')).frame).toBe(0);
    };

    it('shards of different acquisitions', () => {
      buildShard(at('s0'), { index: 0, count: 2 });
      buildShard(at('s1'), { index: 1, count: 2 }, { root: '/data/acquisition-B' });
      refused([at('s0'), at('s1')], /different acquisitions: .*s0 has \/data\/acquisition-A, .*s1 has \/data\/acquisition-B/);
    });

    it('shards of different partitions', () => {
      buildShard(at('s0'), { index: 0, count: 2 });
      buildShard(at('t1'), { index: 1, count: 3 });
      refused([at('s0'), at('t1')], /different partitions: .*split into 2 shard\(s\), .*t1 is shard 1\/3/);
    });

    it('overlapping shards: another processing of a shard already given or merged', () => {
      buildShard(at('s0'), { index: 0, count: 2 });
      buildShard(at('s0-again'), { index: 0, count: 2 });
      refused([at('s0'), at('s0-again')], /overlapping shards: shard 0\/2 is also given from .*s0 .*s0-again is another processing/);
      mergeWorkspaces(at('merged'), [at('s0')]);
      expect(() => mergeWorkspaces(at('merged'), [at('s0-again')])).toThrow(/shard 0\/2 is already merged into .*merged/);
    });

    it('a workspace holding a nanowell of another shard', () => {
      const foreign = WELLS.find((w) => !inShard({ index: 0, count: 2 }, w.block, w.well))!;
      buildShard(at('s0'), { index: 0, count: 2 }, { extraWell: foreign });
      refused([at('s0')], new RegExp(`claims shard 0/2 but holds nanowell B1-${foreign.well}, which belongs to shard 1/2`));
    });

    it('different classifier models', () => {
      buildShard(at('s0'), { index: 0, count: 2 });
      buildShard(at('s1'), { index: 1, count: 2 }, { classifierSha: 'e'.repeat(64) });
      refused([at('s0'), at('s1')], new RegExp(`different classifier models: .*s0 used pf-classifier-v1 sha256 ${'c'.repeat(64)}, .*s1 used pf-classifier-v1 sha256 ${'e'.repeat(64)}`));
    });

    it('different microscope calibrations', () => {
      buildShard(at('s0'), { index: 0, count: 2 });
      buildShard(at('s1'), { index: 1, count: 2 });
      const db = openWorkspaceDb(at('s1'));
      db.prepare(
        `INSERT INTO calibration (who, source, classifier_id, classifier_sha256, n_in_focus, n_oof, fit, labels, at)
         VALUES ('ana', 'profile scope-3.json', 'pf-classifier-v1', ?, 10, 10, '{"w":[1]}', '[]', '2026-01-01T00:00:00Z')`,
      ).run(CLASSIFIER.modelSha256);
      closeDb(db);
      refused([at('s0'), at('s1')], /different microscope calibrations: .*s1 used profile scope-3.json for pf-classifier-v1 \(fit sha256 [0-9a-f]{12}\), .*s0 none/);
    });

    it('a shard still being processed', () => {
      buildShard(at('s0'), { index: 0, count: 2 });
      const lock = acquireWorkspaceLock(at('s0'), 'process');
      try {
        refused([at('s0')], new RegExp(`${at('s0')} is being processed \\(PostFocus process, pid ${process.pid}`));
      } finally {
        lock.release();
      }
    });

    it('a folder that is not a workspace', () => {
      mkdirSync(at('empty'));
      refused([at('empty')], /is not a workspace \(no postfocus.sqlite\)/);
    });
  });
});

describe('derivedName', () => {
  it('renames a frame-id file for the new id and keeps other names apart per shard', () => {
    expect(derivedName('derived/17-mean.tif', 17, 3, '1/4')).toBe('derived/3-mean.tif');
    expect(derivedName('derived/custom.tif', 17, 3, '1/4')).toBe('derived/merged/shard-1-of-4/custom.tif');
  });
});
