/**
 * Benchmark of the virtual microscope (npm run bench:simulate).
 *
 * Throughput of 281×281 frames (frame + in-focus twin + labels, 8-bit), measured
 * in the same run for:
 *   reference   single thread, naive image formation: full 512² FFT pair and a
 *               freshly built dense transfer function for every image
 *   optimised   single thread: pruned FFTs (pupil columns / crop rows), cached
 *               transfer functions, one forward FFT shared by frame and twin
 *   pool        optimised, on worker threads (one per core)
 * plus training-pair throughput and whether live writing holds its rate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { drawNoise, quantize8 } from '../main/simulation/camera.js';
import { blockFocusSchedule, FOCUS_PRESETS } from '../main/simulation/focus.js';
import { VirtualMicroscope, wellScene, type FrameSpec } from '../main/simulation/microscope.js';
import { writeAcquisition } from '../main/simulation/node/acquisition-writer.js';
import { isSimulationWorker, serveSimulationWorker, SimulationPool } from '../main/simulation/node/pool.js';
import { imageNaive } from '../main/simulation/optics.js';
import { hashSeed } from '../main/simulation/prng.js';
import { renderSceneField, WallField } from '../main/simulation/scene.js';
import { TaskRunner } from '../main/simulation/tasks.js';

const SIZE = 281;

function specs(count: number): FrameSpec[] {
  const wells = 36;
  const frames = Math.ceil(count / wells);
  const sched = blockFocusSchedule(1, 1, wells, frames, FOCUS_PRESETS.skov3);
  const out: FrameSpec[] = [];
  for (let t = 0; t < frames && out.length < count; t++) {
    for (let w = 0; w < wells && out.length < count; w++) {
      // Every other frame out of focus, so both paths image two Δz per frame.
      const dz = t % 2 === 0 ? sched.dz[w]![t]! : 5 + (w % 5);
      out.push({ sceneKind: 'skov3', sceneSeed: hashSeed(1, w), t, frames, frameIntervalMin: 5, dzUm: dz, noiseSeed: hashSeed(2, w, t) });
    }
  }
  return out;
}

/** Reference path: same scene and camera, naive optics (no pruning, no caches, no condenser blur). */
function naiveFrames(list: FrameSpec[]): number {
  const mic = new VirtualMicroscope({ size: SIZE });
  const walls = new WallField({ n: mic.n, pixelSizeUm: mic.optics.pixelSizeUm, wavelengthUm: mic.optics.wavelengthUm });
  const field = new Float64Array(2 * mic.n * mic.n);
  const labels = new Uint8Array(mic.n * mic.n);
  const t0 = performance.now();
  for (const s of list) {
    const scene = wellScene(s.sceneKind, s.sceneSeed);
    renderSceneField(scene, mic.posesAt(scene, s.sceneSeed, s.t, s.frames, s.frameIntervalMin), walls, field, labels);
    const noise = drawNoise(SIZE * SIZE, s.noiseSeed);
    quantize8(mic.expose(imageNaive(field, mic.n, 0, mic.crop, mic.optics), undefined, noise));
    quantize8(mic.expose(imageNaive(field, mic.n, s.dzUm, mic.crop, mic.optics), undefined, noise));
  }
  return list.length / ((performance.now() - t0) / 1000);
}

function optimisedFrames(list: FrameSpec[]): number {
  const runner = new TaskRunner();
  runner.run({ type: 'frame', spec: list[0]!, size: SIZE, bits: 8 }); // warm-up: caches, JIT
  const t0 = performance.now();
  for (const s of list) runner.run({ type: 'frame', spec: s, size: SIZE, bits: 8 });
  return list.length / ((performance.now() - t0) / 1000);
}

async function poolFrames(list: FrameSpec[], threads: number): Promise<number> {
  const pool = new SimulationPool({ threads, entryUrl: import.meta.url });
  try {
    await Promise.all(Array.from({ length: threads }, (_, i) => pool.run({ type: 'frame', spec: list[i]!, size: SIZE, bits: 8 })));
    const t0 = performance.now();
    await Promise.all(list.map((s) => pool.run({ type: 'frame', spec: s, size: SIZE, bits: 8 })));
    return list.length / ((performance.now() - t0) / 1000);
  } finally {
    await pool.close();
  }
}

async function pairRate(threads: number, count: number): Promise<number> {
  const pool = new SimulationPool({ threads, entryUrl: import.meta.url });
  try {
    await pool.run({ type: 'pairs', seed: 9, patch: 96, start: 0, count: 4 });
    const t0 = performance.now();
    const chunk = 64;
    const jobs = [];
    for (let s = 0; s < count; s += chunk) jobs.push(pool.run({ type: 'pairs', seed: 1, patch: 96, start: s, count: Math.min(chunk, count - s) }));
    await Promise.all(jobs);
    return count / ((performance.now() - t0) / 1000);
  } finally {
    await pool.close();
  }
}

async function live(rate: number, frames: number, threads: number): Promise<{ achieved: number; lag: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'pf-bench-sim-'));
  try {
    const s = await writeAcquisition({
      acquisitionDir: join(dir, 'acq'),
      truthDir: join(dir, 'truth'),
      blocks: 1,
      wells: 12,
      frames: Math.ceil(frames / 12),
      rate,
      layout: 'timing',
      preset: 'nalm6',
      size: SIZE,
      bits: 8,
      seed: 4,
      threads,
      entryUrl: import.meta.url,
    });
    return { achieved: s.frames_per_second, lag: s.max_lag_s ?? 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const threads = Math.max(1, availableParallelism());
  console.log(`virtual microscope benchmark: ${SIZE}×${SIZE} frames (+ in-focus twin + labels), ${threads} cores\n`);
  const ref = naiveFrames(specs(12));
  const single = optimisedFrames(specs(60));
  const pooled = await poolFrames(specs(240), threads);
  const pairs = await pairRate(threads, 1024);
  const rows: [string, string, string][] = [
    ['reference: naive, 1 thread', `${ref.toFixed(1)} frames/s`, '1.00×'],
    ['optimised, 1 thread', `${single.toFixed(1)} frames/s`, `${(single / ref).toFixed(2)}×`],
    [`optimised, ${threads} worker threads`, `${pooled.toFixed(1)} frames/s`, `${(pooled / ref).toFixed(2)}×`],
    [`training pairs 96², ${threads} threads`, `${pairs.toFixed(0)} pairs/s`, ''],
  ];
  for (const rate of [10, 25]) {
    const l = await live(rate, 48, threads);
    rows.push([`live at ${rate} frames/s (48 frames)`, `${l.achieved.toFixed(2)} frames/s`, `max lag ${(l.lag * 1000).toFixed(0)} ms`]);
  }
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log(`${'case'.padEnd(w0)}  ${'throughput'.padEnd(w1)}  vs reference`);
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
  console.log(`\ntarget ≥ 50 frames/s: ${pooled >= 50 ? 'met' : 'NOT met'} (${pooled.toFixed(1)} frames/s)`);
}

if (isSimulationWorker()) await serveSimulationWorker();
else await main();
