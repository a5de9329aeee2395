/**
 * Classification benchmark (not a test): `npm run bench:classify`.
 *
 * End to end as `postfocus process --no-restore` runs it: a simulated TIMING
 * acquisition of 281×281 8-bit frames is ingested into a fresh workspace, then
 * the pipeline classifies every frame in its classification worker processes
 * (TIFF decode, focus metrics, network, SQLite, events), the station's default
 * count (main/pipeline/worker-pool.ts), then again in one process as before.
 * References measured in the same run on the same decoded frames in this process:
 *   - the classifier network alone, one frame per call with the station's
 *     session settings (pool threads sleep when idle) — the floor the whole path
 *     can approach;
 *   - the network with the settings before issue 13: batches of 32 frames and
 *     spinning pool threads (ONNX Runtime's defaults);
 *   - the focus metrics the worker computes now (image-domain only) against all
 *     of them including the unstored power-spectrum slope (before).
 *
 * Machines here are shared, so besides wall-clock rates it reports CPU time per
 * frame (station + worker process, from /proc) and the rate that CPU cost
 * allows on otherwise idle cores.
 *
 * Options: --frames <n> (default 600), --acq <dir> (classify this acquisition
 * instead of simulating one), --keep, --json, --profile <dir> (V8 CPU profile of
 * the worker written there), --threads <n> (the worker's ONNX intra-op threads;
 * default: the runtime's choice, as the station).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ingestOnce } from '../main/acquisition/ingest.js';
import { EventBus } from '../main/common/event-bus.js';
import type { Image } from '../main/imaging/image.js';
import { focusMetrics, spatialFocusMetrics } from '../main/imaging/metrics/focus.js';
import { readTiffFloatPage } from '../main/imaging/tiff-read.js';
import { paddedSide } from '../main/inference/classifier.js';
import { modelOfKind, readManifest, verifyModelFile, type Preprocess } from '../main/inference/model-registry.js';
import { ModelSession } from '../main/inference/session.js';
import { standardisation, toModelSpace, toStandardised } from '../main/inference/tensor.js';
import { forkHostFactory } from '../main/pipeline/fork-host.js';
import { defaultModelsDir } from '../main/pipeline/paths.js';
import { Pipeline } from '../main/pipeline/pipeline.js';
import { defaultClassifyWorkers } from '../main/pipeline/worker-pool.js';
import { writeAcquisition } from '../main/simulation/node/acquisition-writer.js';
import { isSimulationWorker, serveSimulationWorker } from '../main/simulation/node/pool.js';
import { closeDb, openWorkspaceDb } from '../main/store/database.js';
import { workCounts } from '../main/store/queries/work.js';

const SIZE = 281;

/** CPU seconds (user + system) of a process from /proc/<pid>/stat, null where unavailable. */
export function procCpuSeconds(pid: number | null): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
  } catch {
    return null;
  }
}

function cpuSelf(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

interface Measured {
  frames: number;
  seconds: number;
  perS: number;
  /** CPU seconds per frame (all processes involved), null where not measurable. */
  cpuMsPerFrame: number | null;
}

/** The network alone on frames decoded beforehand: `batch` frames per call, spinning or sleeping pool threads. */
async function networkAlone(images: Image[], modelsDir: string, batch: number, spinning: boolean): Promise<Measured> {
  const manifest = readManifest(modelsDir);
  const entry = modelOfKind(manifest, 'classifier');
  if (!entry) throw new Error(`${modelsDir}: no classifier in the manifest`);
  const session = await ModelSession.open(verifyModelFile(modelsDir, entry), { spinning });
  try {
    const side = images[0]!.width;
    const px = side * side;
    const inputs: Float32Array[] = [];
    for (let k = 0; k < images.length; k += batch) {
      const chunk = images.slice(k, k + batch);
      const x = new Float32Array(chunk.length * px);
      chunk.forEach((img, j) => {
        if (img.width !== side || img.height !== side || paddedSide(side, entry.preprocess) !== side) throw new Error('the network reference assumes square frames that need no padding');
        x.set(modelInput(img, entry.preprocess), j * px);
      });
      inputs.push(x);
    }
    await session.run({ image: { data: inputs[0]!.subarray(0, px), dims: [1, 1, side, side] } }); // warm-up
    const c0 = cpuSelf();
    const t0 = performance.now();
    for (const x of inputs) await session.run({ image: { data: x, dims: [x.length / px, 1, side, side] } });
    const seconds = (performance.now() - t0) / 1000;
    return { frames: images.length, seconds, perS: images.length / seconds, cpuMsPerFrame: ((cpuSelf() - c0) * 1000) / images.length };
  } finally {
    await session.close();
  }
}

/** The classifier's model-space input of one frame (the manifest's standardisation or scale/offset). */
function modelInput(img: Image, pre: Preprocess): Float32Array {
  const out = new Float32Array(img.data.length);
  if (pre.standardise) return toStandardised(img.data, standardisation(img.data, pre.standardise), pre.standardise, out);
  return toModelSpace(img.data, pre, out);
}

/** CPU ms per frame of a per-frame function (single thread). */
function perFrameMs(images: Image[], f: (img: Image) => unknown): number {
  f(images[0]!); // warm-up
  const c0 = cpuSelf();
  for (const img of images) f(img);
  return ((cpuSelf() - c0) * 1000) / images.length;
}

/** The station's path: ingest, then the pipeline (classification only) until idle. */
async function endToEnd(acq: string, workspace: string, modelsDir: string, profileDir: string | undefined, threads: number | undefined, classifyWorkers: number): Promise<Measured & { ingestS: number; workers: number }> {
  const db = openWorkspaceDb(workspace);
  try {
    const t0 = performance.now();
    await ingestOnce(acq, db, {});
    const ingestS = (performance.now() - t0) / 1000;
    const frames = workCounts(db).frames;
    const events = new EventBus();
    let workerPids: number[] = [];
    let workerCpu: number | null = null;
    events.subscribe((e) => {
      if (e.type === 'engine' && e.status.workerPids.length) workerPids = e.status.workerPids;
    });
    const cpuOfWorkers = (): number | null => {
      const each = workerPids.map(procCpuSeconds);
      return each.length && each.every((c) => c !== null) ? each.reduce((a, b) => a! + b!, 0)! : null;
    };
    const pipeline = new Pipeline({
      db,
      workspace,
      events,
      modelsDir,
      noRestore: true,
      classifyWorkers,
      ...(threads ? { threads } : {}),
      hostFactory: forkHostFactory(profileDir ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
      log: (level, m) => level !== 'info' && console.error(`[pipeline ${level}] ${m}`),
    });
    const c0 = cpuSelf();
    const t1 = performance.now();
    await pipeline.start();
    const w0 = cpuOfWorkers();
    await pipeline.whenIdle();
    const seconds = (performance.now() - t1) / 1000;
    const w1 = cpuOfWorkers();
    if (w0 !== null && w1 !== null) workerCpu = w1 - w0;
    const mainCpu = cpuSelf() - c0;
    await pipeline.stop();
    const done = frames - workCounts(db).pending;
    if (done !== frames) throw new Error(`only ${done} of ${frames} frames were classified`);
    return { frames, seconds, perS: frames / seconds, cpuMsPerFrame: workerCpu === null ? null : ((workerCpu + mainCpu) * 1000) / frames, ingestS, workers: workerPids.length };
  } finally {
    closeDb(db);
  }
}

function listFrames(db: ReturnType<typeof openWorkspaceDb>): string[] {
  return (db.prepare(`SELECT r.root || '/' || f.path AS p FROM frame f JOIN nanowell n ON n.id = f.nanowell_id JOIN run r ON r.id = n.run_id ORDER BY f.id`).all() as { p: string }[]).map((r) => r.p);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      frames: { type: 'string', default: '600' },
      acq: { type: 'string' },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      profile: { type: 'string' },
      threads: { type: 'string' },
    },
  });
  const cores = availableParallelism();
  const say = (m: string): void => void (values.json ? process.stderr : process.stdout).write(`${m}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'pf-bench-classify-'));
  try {
    const modelsDir = defaultModelsDir();
    let acq = values.acq ? resolve(values.acq) : join(dir, 'acq');
    if (!values.acq) {
      const wells = 30;
      const frames = Math.max(1, Math.ceil(Number(values.frames) / wells));
      say(`simulating ${wells * frames} frames of ${SIZE}×${SIZE} (TIMING layout)…`);
      await writeAcquisition({
        acquisitionDir: acq, truthDir: join(dir, 'truth'), blocks: 1, wells, frames, layout: 'timing', preset: 'nalm6',
        size: SIZE, bits: 8, seed: 13, threads: cores, entryUrl: import.meta.url,
      });
    }
    const load = loadavg()[0]!;
    const threads = values.threads ? Number(values.threads) : undefined;
    const profile = values.profile ? resolve(values.profile) : undefined;
    // The station's default (classification processes, worker-pool.ts), then one process as before, same frames.
    const e2e = await endToEnd(acq, join(dir, 'workspace'), modelsDir, profile, threads, defaultClassifyWorkers(cores));
    const single = await endToEnd(acq, join(dir, 'workspace-single'), modelsDir, undefined, threads, 1);
    const db = openWorkspaceDb(join(dir, 'workspace'));
    const files = listFrames(db);
    closeDb(db);
    const images: Image[] = [];
    for (const f of files.slice(0, Math.min(files.length, 192))) {
      const p = await readTiffFloatPage(f, 0);
      images.push({ width: p.width, height: p.height, data: p.data });
    }
    const floor = await networkAlone(images, modelsDir, 1, false);
    const before = await networkAlone(images, modelsDir, 32, true);
    const metricsNow = perFrameMs(images, (img) => spatialFocusMetrics(img));
    const metricsBefore = perFrameMs(images, (img) => focusMetrics(img));
    const idle = (m: Measured): number | null => (m.cpuMsPerFrame ? (cores * 1000) / m.cpuMsPerFrame : null);
    const doc = {
      frame_size: SIZE,
      frames: e2e.frames,
      cores,
      load_average: load,
      classify_per_s: e2e.perS,
      classify_workers: e2e.workers,
      classify_cpu_ms_per_frame: e2e.cpuMsPerFrame,
      classify_per_s_idle_cores: idle(e2e),
      single_process_per_s: single.perS,
      single_process_cpu_ms_per_frame: single.cpuMsPerFrame,
      ratio_to_single_process: e2e.perS / single.perS,
      network_per_s: floor.perS,
      network_cpu_ms_per_frame: floor.cpuMsPerFrame,
      network_per_s_idle_cores: idle(floor),
      ratio_to_network: e2e.perS / floor.perS,
      network_before_per_s: before.perS,
      network_before_cpu_ms_per_frame: before.cpuMsPerFrame,
      metrics_cpu_ms_per_frame: metricsNow,
      metrics_before_cpu_ms_per_frame: metricsBefore,
      ingest_s: e2e.ingestS,
    };
    if (values.json) {
      console.log(JSON.stringify(doc));
      return;
    }
    const f = (v: number | null, d = 1): string => (v === null ? 'n/a' : v.toFixed(d));
    say(`classification at frame size: ${e2e.frames} frames of ${SIZE}×${SIZE}, ${cores} cores, load average ${load.toFixed(1)}\n`);
    const rows = [
      ['path', 'wall-clock', 'CPU/frame', `on ${cores} idle cores`],
      [`end to end, ${e2e.workers} classification process(es) (decode + metrics + network + SQLite)`, `${f(e2e.perS)} frames/s`, `${f(e2e.cpuMsPerFrame)} ms`, `${f(idle(e2e), 0)} frames/s`],
      ['before: end to end, one process', `${f(single.perS)} frames/s`, `${f(single.cpuMsPerFrame)} ms`, `${f(idle(single), 0)} frames/s`],
      ['reference: network alone, 1 frame per call', `${f(floor.perS)} frames/s`, `${f(floor.cpuMsPerFrame)} ms`, `${f(idle(floor), 0)} frames/s`],
      ['before: network alone, 32 per call, spinning threads', `${f(before.perS)} frames/s`, `${f(before.cpuMsPerFrame)} ms`, `${f(idle(before), 0)} frames/s`],
      ['focus metrics stored now (image domain)', '', `${f(metricsNow, 2)} ms`, ''],
      ['before: all focus metrics (+ 512² FFT slope)', '', `${f(metricsBefore, 2)} ms`, ''],
    ];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) say(r.map((v, c) => v.padEnd(widths[c]!)).join('  ').trimEnd());
    say(`\nend to end = ${(100 * doc.ratio_to_network).toFixed(0)}% of the network-alone rate (same run); ingest ${e2e.ingestS.toFixed(1)} s`);
    say(`network: ${f((before.cpuMsPerFrame ?? 0) / (floor.cpuMsPerFrame ?? 1), 2)}× less CPU per frame than with the settings before; focus metrics ${f(metricsBefore / metricsNow, 1)}× less`);
    say(`end to end: ${f(doc.ratio_to_single_process, 2)}× the one-process rate (same run, same frames)`);
    say(`target ≥ 50 frames/s wall-clock: ${f(e2e.perS)} frames/s here at load average ${load.toFixed(1)} → ${e2e.perS >= 50 ? 'met' : 'NOT met'} (CPU cost allows ${f(idle(e2e), 0)} frames/s on ${cores} idle cores)`);
  } finally {
    if (values.keep) say(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (isSimulationWorker()) await serveSimulationWorker();
else await main();
