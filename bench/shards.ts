/**
 * Sharding benchmark (not a test): `npm run bench:shards`.
 *
 * Simulates one acquisition, then processes it as 1, 2 and 4 shards
 * (`postfocus process --shard i/N`, N processes at once, each with
 * floor(cores / N) ONNX threads, as a cluster would give each task its CPUs),
 * merges the shards (`postfocus merge`) and prints wall time, frames/s and the
 * ratio to the 1-shard run measured in the same run. From the 1-shard
 * workspace it takes the per-frame costs (classification, restoration of an
 * OOF frame, fixed start-up of a task, merge per frame) and projects the
 * wall time of 1.4 million frames on N nodes, with the assumptions printed.
 *
 * On one machine, shards share its cores: this measures the overhead of
 * sharding (start-up per task, merge) and whether N processes use the cores
 * better than one, not the scaling of a cluster, where each task has a node.
 *
 * Merge at scale: 4 synthetic shard workspaces (--merge-frames in all, 10% of
 * them restored, derived files of a 281x281 crop's real sizes) merged in
 * process, then merged again (idempotent: nothing added), in ms per frame.
 *
 * Options: --wells N (default 8), --frames N (default 8), --size N (default 281),
 * --preset nalm6|skov3 (default nalm6), --shards 1,2,4, --seed N, --keep,
 * --merge-frames N (default 10000; 0 skips), -- <process options> (e.g. -- --steps 2 --ensemble 2).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdirSync, writeFileSync } from 'node:fs';
import { formatShard, inShard } from '../main/common/shard.js';
import { closeDb, openWorkspaceDb } from '../main/store/database.js';
import { mergeWorkspaces } from '../main/store/merge.js';
import { insertFrames } from '../main/store/queries/frames.js';
import { createRun } from '../main/store/queries/runs.js';
import { recordClassification, recordRestoration, startAttempts } from '../main/store/queries/work.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(REPO, 'bin/postfocus.js');
const TIMING_FRAMES = 1_400_000;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const dash = process.argv.indexOf('--');
  return i >= 0 && (dash < 0 || i < dash) ? (process.argv[i + 1] ?? fallback) : fallback;
}
const dash = process.argv.indexOf('--');
const processArgs = dash >= 0 ? process.argv.slice(dash + 1) : [];
const wells = Number(arg('wells', '8'));
const frames = Number(arg('frames', '8'));
const size = Number(arg('size', '281'));
const preset = arg('preset', 'nalm6');
const seed = arg('seed', '3');
const shardCounts = arg('shards', '1,2,4').split(',').map(Number);
const cores = availableParallelism();

/** Runs the CLI; resolves with stdout, rejects with stderr on a non-zero exit (3: frames failed, accepted). */
function cli(args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 || code === 3 ? done(out) : fail(new Error(`postfocus ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await f();
  return [v, (performance.now() - t0) / 1000];
}

interface Costs {
  frames: number;
  oof: number;
  restoreS: number;
  restoreFrames: number;
}

/** Frames, OOF frames and the worker's restoration time in a workspace. */
function costsOf(ws: string): Costs {
  const db = openWorkspaceDb(ws, { readonly: true });
  try {
    const one = (sql: string) => (db.prepare(sql).get() as { n: number | null }).n ?? 0;
    return {
      frames: one(`SELECT count(*) AS n FROM frame`),
      oof: one(`SELECT count(*) AS n FROM classification WHERE target = 'original' AND oof = 1`),
      restoreS: one(`SELECT sum(duration_ms) / 1000.0 AS n FROM restoration`),
      restoreFrames: one(`SELECT count(*) AS n FROM restoration`),
    };
  } finally {
    closeDb(db);
  }
}

/** A shard workspace as process leaves it, written through the store: `perWell` frames per nanowell, every 10th restored. */
function syntheticShard(ws: string, index: number, count: number, wellNames: string[], perWell: number): number {
  const db = openWorkspaceDb(ws);
  let n = 0;
  try {
    const run = createRun(db, { root: '/synthetic/acquisition', layout: 'timing', settings: { shard: formatShard({ index, count }) } });
    const metrics = { tenenbaum: 1, vollathF4: 1, vollathF5: 1, normalizedVariance: 1, laplacianVariance: 1 };
    const crop = Buffer.alloc(281 * 281 + 200, 7);
    const members = Buffer.alloc(5 * (281 * 281 + 200), 7);
    mkdirSync(join(ws, 'derived'), { recursive: true });
    db.transaction(() => {
      for (const well of wellNames.filter((w) => inShard({ index, count }, '1', w))) {
        for (let t = 1; t <= perWell; t++) {
          const path = `B1/images/crops_8bit_s/${well}CH0/${well}CH0_t${t}.tif`;
          const [o] = insertFrames(db, [{ runId: run.id, block: '1', well, t, channel: '0', path, page: 0, width: 281, height: 281, bits: 8, size: 79_161, mtimeMs: 1 }]);
          const frameId = o!.frameId;
          const oof = (n++ % 10) === 0;
          const [a] = startAttempts(db, [frameId], 'classify');
          recordClassification(db, { attemptId: a!, frameId, target: 'original', modelId: 'pf-classifier-v1', modelSha256: 'c'.repeat(64), pOof: oof ? 0.9 : 0.1, oof, metrics });
          if (!oof) continue;
          for (const [k, bytes] of [['mean', crop], ['spread', crop], ['members', members]] as const) writeFileSync(join(ws, 'derived', `${frameId}-${k}.tif`), bytes);
          const [r] = startAttempts(db, [frameId], 'restore');
          recordRestoration(db, {
            attemptId: r!, frameId, modelId: 'pf-ddpm-v1', modelSha256: 'd'.repeat(64), sampler: 'ddim', steps: 5, eta: 0, ensemble: 5, seeds: [1, 2, 3, 4, 5],
            meanPath: `derived/${frameId}-mean.tif`, spreadPath: `derived/${frameId}-spread.tif`, membersPath: `derived/${frameId}-members.tif`,
            spreadMean: 0.01, tenenbaumBefore: 1, tenenbaumAfter: 2, durationMs: 1,
          });
        }
      }
    })();
  } finally {
    closeDb(db);
  }
  return n;
}

/** Merges 4 synthetic shards of about `total` frames; returns ms per frame of the merge and of a re-merge. */
async function mergeAtScale(dir: string, total: number): Promise<{ frames: number; mergeMs: number; againMs: number }> {
  const perWell = 25;
  const wellNames = Array.from({ length: Math.ceil(total / perWell) }, (_, i) => `imgNo${String(i + 1).padStart(5, '0')}`);
  const shards = [0, 1, 2, 3].map((i) => join(dir, `synthetic-${i}`));
  let frames = 0;
  shards.forEach((ws, i) => (frames += syntheticShard(ws, i, 4, wellNames, perWell)));
  const [, merge] = await timed(async () => mergeWorkspaces(join(dir, 'synthetic-merged'), shards));
  const [, again] = await timed(async () => mergeWorkspaces(join(dir, 'synthetic-merged'), shards));
  return { frames, mergeMs: (merge * 1000) / frames, againMs: (again * 1000) / frames };
}

const fmt = (s: number) => (s >= 86_400 ? `${(s / 86_400).toFixed(1)} d` : s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pf-bench-shards-'));
  try {
    const acq = join(dir, 'acq');
    console.log(`machine: ${cores} core(s) (${cpus()[0]?.model ?? '?'}); acquisition: ${wells} nanowells x ${frames} frames, ${size}x${size} px, preset ${preset}`);
    console.log(`process options: ${processArgs.length ? processArgs.join(' ') : '(defaults)'}`);
    await cli(['simulate', acq, '--truth', join(dir, 'truth'), '--blocks', '1', '--wells', String(wells), '--frames', String(frames), '--size', String(size), '--preset', preset, '--seed', seed]);

    const rows: { n: number; wall: number; merge: number; frames: number }[] = [];
    let reference: Costs | null = null;
    let startup = 0;
    for (const n of shardCounts) {
      const job = join(dir, `job-${n}`);
      const threads = String(Math.max(1, Math.floor(cores / n)));
      const shardWs = Array.from({ length: n }, (_, i) => join(job, `shard-${i}-of-${n}`));
      const [, wall] = await timed(() =>
        Promise.all(shardWs.map((ws, i) => cli(['process', acq, '-w', ws, '--shard', `${i}/${n}`, '--threads', threads, '--quiet', ...processArgs]))),
      );
      const [, merge] = await timed(() => cli(['merge', join(job, 'merged'), ...shardWs, '--quiet']));
      const merged = costsOf(join(job, 'merged'));
      rows.push({ n, wall, merge, frames: merged.frames });
      if (n === 1 || !reference) {
        reference = costsOf(shardWs[0]!);
        // Fixed cost of a task: process on a finished workspace (worker start, models loaded, nothing to do).
        [, startup] = await timed(() => cli(['process', acq, '-w', shardWs[0]!, '--shard', `0/${n}`, '--threads', threads, '--quiet', ...processArgs]));
      }
      console.log(`${n} shard(s): ${merged.frames} frames in ${wall.toFixed(1)} s (${(merged.frames / wall).toFixed(2)} frames/s), merge ${merge.toFixed(2)} s`);
    }

    const base = rows[0]!;
    console.log('\nshards  wall (s)  frames/s  vs 1 shard  merge (s)  merge/frame (ms)');
    for (const r of rows) {
      console.log(
        `${String(r.n).padStart(6)}  ${r.wall.toFixed(1).padStart(8)}  ${(r.frames / r.wall).toFixed(2).padStart(8)}  ${(base.wall / r.wall).toFixed(2).padStart(9)}x  ${r.merge.toFixed(2).padStart(9)}  ${((r.merge * 1000) / r.frames).toFixed(2).padStart(16)}`,
      );
    }

    // Per-frame costs of one task on this machine (the 1-shard run, all cores).
    const c = reference!;
    const oofFraction = c.oof / c.frames;
    const restorePerOof = c.restoreFrames ? c.restoreS / c.restoreFrames : 0;
    const classifyPerFrame = Math.max(0, (base.wall - startup - c.restoreS) / c.frames);
    const mergeFrames = Number(arg('merge-frames', '10000'));
    const scale = mergeFrames > 0 ? await mergeAtScale(dir, mergeFrames) : null;
    if (scale) {
      console.log(
        `\nmerge at scale: 4 synthetic shards, ${scale.frames} frames (10% restored, 281x281 derived files): ` +
          `${scale.mergeMs.toFixed(3)} ms/frame, merging again (nothing added) ${scale.againMs.toFixed(3)} ms/frame`,
      );
    }
    // Small merges are dominated by the CLI's start; the synthetic one gives the rate per frame.
    const mergePerFrame = scale ? scale.mergeMs / 1000 : Math.max(...rows.map((r) => r.merge / r.frames));
    console.log(
      `\nmeasured per-frame costs (1 task, ${cores} cores): classification + ingest ${(classifyPerFrame * 1000).toFixed(1)} ms/frame, ` +
        `restoration ${(restorePerOof * 1000).toFixed(0)} ms per OOF frame (${c.restoreFrames} restored), ` +
        `OOF fraction ${(oofFraction * 100).toFixed(1)}%, task start-up ${startup.toFixed(1)} s, merge ${(mergePerFrame * 1000).toFixed(2)} ms/frame`,
    );

    // Projection: 1.4 million frames (seven TIMING datasets), N nodes each running one task at a time.
    const perFrame = classifyPerFrame + oofFraction * restorePerOof;
    console.log(
      `\nprojection for ${TIMING_FRAMES.toLocaleString('en')} frames; assumptions: a node processes frames at the rate measured here ` +
        `(speed-up G over this ${cores}-core machine), the OOF fraction above, shards balanced, shared storage not the bottleneck, ` +
        `one start-up per task, the merge serial at the rate measured here; G for a GPU node is NOT measured here`,
    );
    console.log('nodes   G=1 (this machine)   G=10 (assumed)   G=50 (assumed)   merge');
    for (const nodes of [1, 8, 75, 300]) {
      const cell = (g: number) => fmt((TIMING_FRAMES * perFrame) / g / nodes + startup).padStart(g === 1 ? 18 : 14);
      console.log(`${String(nodes).padStart(5)}   ${cell(1)}   ${cell(10)}   ${cell(50)}   ${fmt(TIMING_FRAMES * mergePerFrame)}`);
    }
  } finally {
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

await main();
