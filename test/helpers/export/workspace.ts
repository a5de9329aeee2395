/**
 * Builds small, real workspaces for export tests: TIMING-layout acquisition
 * TIFFs, restoration means (float32 TIFF) in the workspace, and the database
 * rows (run, nanowell, frame, classification, restoration, decision) inserted
 * directly with SQL — no pipeline needed.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Verdict } from '../../../preload/api.js';
import { writeTiff } from '../../../main/imaging/tiff-write.js';
import { closeDb, openWorkspaceDb, type Db } from '../../../main/store/database.js';

/** How a test frame looks to the station. */
export type TestFrameKind = 'in_focus' | 'oof' | 'pending';

export interface TestFrame {
  t: number;
  kind: TestFrameKind;
  /** An OOF frame with a restoration (state 'restored'). */
  restored?: boolean;
  /** Verdicts appended in order (the last is in force). */
  decisions?: Verdict[];
  channel?: string;
}

export interface TestWell {
  block: string;
  well: string;
  frames: TestFrame[];
}

export interface TestWorkspaceSpec {
  wells: TestWell[];
  width?: number;
  height?: number;
  bits?: 8 | 16;
  settings?: Record<string, unknown>;
}

export interface TestWorkspace {
  acquisition: string;
  workspace: string;
  db: Db;
  /** Frame id by `B<block>-<well>-t<t>[-c<channel>]`. */
  frameIds: Map<string, number>;
  runId: number;
}

export function frameKey(block: string, well: string, t: number, channel = '0'): string {
  return `B${block}-${well}-t${t}${channel === '0' ? '' : `-c${channel}`}`;
}

/** Deterministic test pattern: distinct for every (frame seed, pixel). */
export function testPixels(width: number, height: number, bits: 8 | 16, seed: number): Uint8Array | Uint16Array {
  const n = width * height;
  const max = bits === 8 ? 255 : 65535;
  const out = bits === 8 ? new Uint8Array(n) : new Uint16Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s % (max + 1);
  }
  return out;
}

/** Restoration mean: a smooth float32 image in [0, 1] (with a slight overshoot at one pixel, as real means have). */
export function restoredPixels(width: number, height: number, seed: number): Float32Array {
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out[y * width + x] = 0.5 + 0.45 * Math.sin(0.3 * x + 0.2 * y + seed);
  }
  out[0] = 1.02;
  return out;
}

/** Creates `<root>/acq` (TIMING layout) and `<root>/ws` (workspace + database) for `spec`. */
export function createTestWorkspace(root: string, spec: TestWorkspaceSpec): TestWorkspace {
  const width = spec.width ?? 24;
  const height = spec.height ?? 20;
  const bits = spec.bits ?? 8;
  const acquisition = join(root, 'acq');
  const workspace = join(root, 'ws');
  mkdirSync(acquisition, { recursive: true });
  mkdirSync(join(workspace, 'restored'), { recursive: true });
  const db = openWorkspaceDb(workspace);
  const at = '2026-11-23T12:00:00.000Z';
  const runId = Number(
    db
      .prepare(`INSERT INTO run (root, layout, settings, created_at) VALUES (?, 'timing', ?, ?)`)
      .run(acquisition, JSON.stringify(spec.settings ?? { pixelSizeUm: 0.325, frameIntervalMin: 5 }), at).lastInsertRowid,
  );
  const insWell = db.prepare(`INSERT INTO nanowell (run_id, block, well, position) VALUES (?, ?, ?, ?)`);
  const insFrame = db.prepare(
    `INSERT INTO frame (nanowell_id, t, channel, path, page, width, height, bits, size, mtime_ms, state, ingested_at)
     VALUES (?, ?, ?, ?, 0, ?, ?, ?, 0, 0, ?, ?)`,
  );
  const insClass = db.prepare(
    `INSERT INTO classification (frame_id, target, model_id, model_sha256, p_oof, oof, tenenbaum, created_at)
     VALUES (?, ?, 'pf-classifier-v1', 'c1a55', ?, ?, ?, ?)`,
  );
  const insRest = db.prepare(
    `INSERT INTO restoration (frame_id, model_id, model_sha256, sampler, steps, eta, ensemble, seeds, mean_path, spread_path,
       members_path, spread_mean, tenenbaum_before, tenenbaum_after, duration_ms, created_at)
     VALUES (?, 'pf-ddpm-v1', 'dd9e', 'ddim', 25, 0, 4, ?, ?, ?, NULL, 0.012, 1.5, 3.25, 100, ?)`,
  );
  const insDecision = db.prepare(`INSERT INTO decision (frame_id, verdict, reviewer, note, at) VALUES (?, ?, 'reviewer-a', ?, ?)`);
  const frameIds = new Map<string, number>();
  let seed = 1;
  db.transaction(() => {
    spec.wells.forEach((w, position) => {
      const wellId = Number(insWell.run(runId, w.block, w.well, position).lastInsertRowid);
      for (const f of w.frames) {
        const channel = f.channel ?? '0';
        const rel = `B${w.block}/images/crops_8bit_s/${w.well}CH${channel}/${w.well}CH${channel}_t${f.t}.tif`;
        mkdirSync(join(acquisition, rel, '..'), { recursive: true });
        writeTiff(join(acquisition, rel), { width, height, data: testPixels(width, height, bits, seed) });
        const state = f.kind === 'pending' ? 'pending' : f.kind === 'in_focus' ? 'in_focus' : f.restored ? 'restored' : 'oof';
        const frameId = Number(insFrame.run(wellId, f.t, channel, rel, width, height, bits, state, at).lastInsertRowid);
        frameIds.set(frameKey(w.block, w.well, f.t, channel), frameId);
        if (f.kind !== 'pending') {
          const oof = f.kind === 'oof';
          insClass.run(frameId, 'original', oof ? 0.9 : 0.05, oof ? 1 : 0, oof ? 1.5 : 4, at);
        }
        if (f.kind === 'oof' && f.restored) {
          const mean = `restored/${frameId}-mean.tif`;
          const spread = `restored/${frameId}-spread.tif`;
          writeTiff(join(workspace, mean), { width, height, data: restoredPixels(width, height, seed) });
          writeTiff(join(workspace, spread), { width, height, data: new Float32Array(width * height).fill(0.012) });
          insRest.run(frameId, JSON.stringify([seed, seed + 1, seed + 2, seed + 3]), mean, spread, at);
          insClass.run(frameId, 'restored', 0.12, 0, 3.25, at);
        }
        (f.decisions ?? []).forEach((verdict, i) => {
          insDecision.run(frameId, verdict, `note ${i}`, `2026-11-23T12:0${Math.min(9, i + 1)}:00.000Z`);
        });
        seed++;
      }
    });
  })();
  return { acquisition, workspace, db, frameIds, runId };
}

/** The five policy cases of issue 8 in one nanowell (t = 1..5) plus an in-focus well. */
export function policyCasesSpec(): TestWorkspaceSpec {
  return {
    wells: [
      {
        block: '1',
        well: 'imgNo1',
        frames: [
          { t: 1, kind: 'in_focus' },
          { t: 2, kind: 'oof', restored: true, decisions: ['accept'] },
          { t: 3, kind: 'oof', restored: true, decisions: ['accept', 'reject'] },
          { t: 4, kind: 'oof', restored: true },
          { t: 5, kind: 'oof', restored: true, decisions: ['accept', 'clear'] },
          { t: 6, kind: 'in_focus' },
        ],
      },
      {
        block: '2',
        well: 'imgNo2',
        frames: [1, 2, 3, 4].map((t) => ({ t, kind: 'in_focus' as const })),
      },
    ],
  };
}

/**
 * The policy-cases workspace shared by the tests of one file: created in a fresh
 * temporary folder before them (handed to `use`), closed and removed after them.
 */
export function withPolicyWorkspace(prefix: string, use: (root: string, ws: TestWorkspace) => void): void {
  let root = '';
  let ws: TestWorkspace | null = null;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), prefix));
    ws = createTestWorkspace(root, policyCasesSpec());
    use(root, ws);
  });
  afterAll(() => {
    if (ws) closeDb(ws.db);
    rmSync(root, { recursive: true, force: true });
  });
}
