/**
 * Comparing a merged workspace with a single-process run of the same
 * acquisition, frame by frame (ids differ between workspaces; paths do not).
 */
import { join } from 'node:path';
import { expect } from 'vitest';
import { readTiffAsFloat } from '../../main/imaging/tiff-read.js';
import { closeDb, openWorkspaceDb } from '../../main/store/database.js';
import { runCli } from './cli.js';

export interface FrameJudged {
  path: string;
  page: number;
  state: string;
  p_oof: number | null;
  oof: boolean | null;
  basis: string | null;
}

/** `postfocus frames <ws> --json` (path, page, state, p(OOF), judgement), keyed by path#page. */
export async function framesOf(workspace: string): Promise<Map<string, FrameJudged>> {
  const r = await runCli(['frames', workspace, '--json']);
  if (r.code !== 0) throw new Error(`postfocus frames ${workspace} exited ${r.code}: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { frames: FrameJudged[] };
  return new Map(
    doc.frames.map((f) => [`${f.path}#${f.page}`, { path: f.path, page: f.page, state: f.state, p_oof: f.p_oof, oof: f.oof === null ? null : Boolean(f.oof), basis: f.basis }]),
  );
}

export interface RestorationView {
  seeds: string;
  sampler: string;
  steps: number;
  ensemble: number;
  modelSha256: string;
  mean: Float32Array;
}

/** Every restoration of a workspace with its seeds and decoded mean image, keyed by path#page. */
export async function restorationsOf(workspace: string): Promise<Map<string, RestorationView>> {
  const db = openWorkspaceDb(workspace, { readonly: true });
  let rows: { key: string; seeds: string; sampler: string; steps: number; ensemble: number; modelSha256: string; meanPath: string }[];
  try {
    rows = db
      .prepare(
        `SELECT f.path || '#' || f.page AS key, r.seeds, r.sampler, r.steps, r.ensemble, r.model_sha256 AS modelSha256, r.mean_path AS meanPath
           FROM restoration r JOIN frame f ON f.id = r.frame_id`,
      )
      .all() as typeof rows;
  } finally {
    closeDb(db);
  }
  const out = new Map<string, RestorationView>();
  for (const { key, meanPath, ...r } of rows) out.set(key, { ...r, mean: await readTiffAsFloat(join(workspace, meanPath)) });
  return out;
}

/** Table row counts that must not grow when a finished shard runs again. */
export function rowCounts(workspace: string): Record<string, number> {
  const db = openWorkspaceDb(workspace, { readonly: true });
  try {
    const out: Record<string, number> = {};
    for (const t of ['frame', 'classification', 'judgement', 'restoration', 'attempt', 'error_log']) {
      out[t] = (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    }
    return out;
  } finally {
    closeDb(db);
  }
}

/**
 * Expects `merged` to hold what `single` holds: same frames, states and
 * judgements, p(OOF) equal to 1e-6, restorations with the same seeds and means.
 */
export async function expectSameAsSingleRun(merged: string, single: string): Promise<void> {
  const [a, b] = await Promise.all([framesOf(merged), framesOf(single)]);
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [key, f] of b) {
    const m = a.get(key)!;
    expect({ ...m, p_oof: null }, key).toEqual({ ...f, p_oof: null });
    if (f.p_oof === null) expect(m.p_oof, key).toBeNull();
    else expect(Math.abs(m.p_oof! - f.p_oof), `p(OOF) of ${key}: merged ${m.p_oof}, single ${f.p_oof}`).toBeLessThanOrEqual(1e-6);
  }
  const [ra, rb] = await Promise.all([restorationsOf(merged), restorationsOf(single)]);
  expect(rb.size, `restorations in ${single}`).toBeGreaterThan(0);
  expect([...ra.keys()].sort()).toEqual([...rb.keys()].sort());
  for (const [key, r] of rb) {
    const m = ra.get(key)!;
    expect({ ...m, mean: null }, key).toEqual({ ...r, mean: null });
    expect(m.mean.length, key).toBe(r.mean.length);
    let worst = 0;
    for (let i = 0; i < r.mean.length; i++) worst = Math.max(worst, Math.abs(m.mean[i]! - r.mean[i]!));
    expect(worst, `largest pixel difference of the restored mean of ${key}`).toBeLessThanOrEqual(1e-6);
  }
}
