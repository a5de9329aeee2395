/**
 * Live benchmark (not a test): `npm run bench:live [-- options]`.
 *
 * The virtual microscope writes a TIMING plate live at a chosen rate (its own
 * process, `postfocus simulate --rate`, as `npm start` runs it) while the
 * station watches, classifies and restores exactly as `npm start`'s station
 * does (openStation with the shipped models and the station's default
 * restoration). Reported:
 *   - frame-on-disk → flag latency (file mtime → `frame-classified` event), median and p90;
 *   - classification and restoration throughput;
 *   - both backlogs over time (frames written but not flagged; OOF frames
 *     flagged but not restored) as a PNG and an SVG plot;
 *   - keeps_up: each backlog stays bounded while the microscope writes (its
 *     least-squares growth over the second half of the writing ≤ 5% of its
 *     arrival rate) and drains within `--drain` seconds (default 60) after the
 *     writer stops.
 *
 * Options: --rate <frames/s> (10)  --frames <n> (600 in all)  --wells <n> (40)
 *          --size <px> (281)  --oof-fraction <0–1> (0.15)  --seed <n> (1)
 *          --drain <s> (60)  --plot <file.png> (default: in the OS temp folder)
 *          --sampler <name> (default: the station's default restoration; another
 *          sampler, e.g. student, is reported as not the station default)
 *          --render-live (the simulator renders while it writes, on the station's
 *          cores; default: it renders the plate first, as a microscope's own computer)
 *          --json (one document on stdout)  --keep (keep the temporary folders)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, getPriority, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { renderChartPng, renderChartSvg } from '../main/imaging/chart.js';
import { LIVE_START_LINE } from '../main/cli/commands/simulate.js';
import { SAMPLERS, type SamplerName } from '../main/inference/protocol.js';
import { restoreConfig } from '../main/pipeline/defaults.js';
import { defaultModelsDir, packageRoot } from '../main/pipeline/paths.js';
import { openStation } from '../main/station/open.js';
import { closeDb, openWorkspaceDb } from '../main/store/database.js';

/** CPU seconds and niceness of this process's children, by role (Linux /proc; empty elsewhere). */
function childrenCpu(): Map<number, { role: string; cpuS: number }> {
  const out = new Map<number, { role: string; cpuS: number }>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) !== process.pid) continue; // ppid
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      // The restoration worker runs at a higher niceness than this process (and the classification worker).
      const nice = Number(f[16]);
      const role = cmd.includes('inference-worker') ? (nice > getPriority() ? 'restoration worker' : 'classification worker') : cmd.includes('simulate') ? 'microscope' : 'other';
      out.set(Number(pid), { role, cpuS: (Number(f[11]) + Number(f[12])) / 100 });
    } catch {
      // the process ended between the listing and the read
    }
  }
  return out;
}

/** Share of its arrival rate a backlog may still grow by (per second) over the second half of the writing. */
const GROWTH_TOLERANCE = 0.05;

export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Least-squares slope of y over x (per unit of x); 0 with fewer than two points. */
export function slope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2) return 0;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : 0;
}

interface FrameRow {
  id: number;
  path: string;
  state: string;
  ingestedAt: string;
}

interface BacklogVerdict {
  /** Largest backlog seen (frames). */
  max: number;
  /** Backlog growth over the second half of the writing (frames/s). */
  growthPerS: number;
  bounded: boolean;
  /** Seconds after the writer stopped until the backlog was empty for good; null: not within the drain window. */
  drainedAfterS: number | null;
  keepsUp: boolean;
}

/** Judges one backlog series sampled at `t` (s since the writer started). */
function judge(t: number[], backlog: number[], writeEndS: number, arrivalPerS: number, drainS: number): BacklogVerdict {
  const half = t.map((v, i) => [v, backlog[i]!] as const).filter(([v]) => v >= writeEndS / 2 && v <= writeEndS);
  const growthPerS = slope(half.map(([v]) => v), half.map(([, b]) => b));
  const bounded = growthPerS <= GROWTH_TOLERANCE * Math.max(arrivalPerS, 1e-9);
  let lastNonZero = -1;
  backlog.forEach((b, i) => {
    if (b > 0) lastNonZero = i;
  });
  const emptyAt = lastNonZero + 1 < t.length ? (lastNonZero < 0 ? 0 : t[lastNonZero + 1]!) : null;
  const drainedAfterS = emptyAt === null ? null : Math.max(0, emptyAt - writeEndS);
  return { max: Math.max(0, ...backlog), growthPerS, bounded, drainedAfterS, keepsUp: bounded && drainedAfterS !== null && drainedAfterS <= drainS };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '10' },
      frames: { type: 'string', default: '600' },
      wells: { type: 'string', default: '40' },
      size: { type: 'string', default: '281' },
      'oof-fraction': { type: 'string', default: '0.15' },
      seed: { type: 'string', default: '1' },
      drain: { type: 'string', default: '60' },
      sampler: { type: 'string' },
      plot: { type: 'string' },
      json: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'render-live': { type: 'boolean', default: false },
    },
  });
  const rate = Number(values.rate);
  const wells = Number(values.wells);
  const timePoints = Math.max(1, Math.ceil(Number(values.frames) / wells));
  const size = Number(values.size);
  const oofFraction = Number(values['oof-fraction']);
  const drainS = Number(values.drain);
  for (const [name, v] of Object.entries({ rate, wells, size, drain: drainS })) {
    if (!(Number.isFinite(v) && v > 0)) throw new Error(`--${name} must be a positive number, got ${String(v)}`);
  }
  if (!(oofFraction >= 0 && oofFraction <= 1)) throw new Error(`--oof-fraction must be within [0, 1], got ${values['oof-fraction']}`);
  const say = (m: string): void => void process.stderr.write(`${m}\n`);
  const root = packageRoot();
  const dir = mkdtempSync(join(tmpdir(), 'pf-bench-live-'));
  const acq = join(dir, 'acquisition');
  const truth = join(dir, 'truth');
  const workspace = join(dir, 'workspace');
  mkdirSync(acq);
  const plotPng = resolve(values.plot ?? join(tmpdir(), `pf-bench-live-${Date.now()}.png`));
  const sampler = values.sampler as SamplerName | undefined;
  if (sampler !== undefined && !SAMPLERS.includes(sampler)) throw new Error(`--sampler must be one of ${SAMPLERS.join(', ')}`);
  const restore = restoreConfig(sampler ? { sampler } : {});
  const load = loadavg()[0]!;

  // The station, as `npm start` composes it (serve → openStation with the shipped models).
  const station = await openStation({
    workspace, acquisition: acq, modelsDir: defaultModelsDir(), appVersion: 'bench-live', log: () => undefined,
    ...(sampler ? { restore: { sampler, steps: restore.steps } } : {}),
  });
  const classifiedAt = new Map<number, number>();
  const restoredAt = new Map<number, number>();
  station.events.subscribe((e) => {
    if (e.type === 'frame-classified' && e.target === 'original' && !classifiedAt.has(e.frameId)) classifiedAt.set(e.frameId, Date.now());
    if (e.type === 'frame-restored' && !restoredAt.has(e.frameId)) restoredAt.set(e.frameId, Date.now());
  });
  await station.start();
  say(`station ready (restoration: ${restore.sampler}, ${restore.steps} step(s) × ${restore.ensemble}); microscope writing ${wells * timePoints} frames of ${size}×${size} at ${rate} frames/s, ${Math.round(oofFraction * 100)}% OOF…`);

  // The microscope, in its own process as in `npm start`. By default it renders the whole
  // plate first and then writes it live (--prerender): a real microscope writes from its own
  // computer, so the station gets the machine to itself; --render-live renders while writing
  // (the simulator then takes about half a core from the station).
  const renderLive = values['render-live'];
  const writer = spawn(
    process.execPath,
    [join(root, 'bin/postfocus.js'), 'simulate', acq, '--truth', truth, '--blocks', '1', '--wells', String(wells), '--frames', String(timePoints),
      '--rate', String(rate), '--size', String(size), '--oof-fraction', String(oofFraction), '--seed', String(values.seed), '--json', ...(renderLive ? [] : ['--prerender'])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let writerOut = '';
  let writerErr = '';
  const liveStarted = new Promise<void>((started) => {
    writer.stderr.on('data', (d) => {
      writerErr += d;
      if (writerErr.includes(LIVE_START_LINE)) started();
    });
    writer.once('exit', () => started());
  });
  writer.stdout.on('data', (d) => (writerOut += d));
  if (!renderLive) say('microscope rendering the plate before writing it live…');
  await liveStarted;
  // The clock (backlogs and CPU shares; latencies are per frame) starts when the first frame is written.
  const writeStart = Date.now();
  const cpuAtStart = new Map(childrenCpu());
  const selfAtStart = process.cpuUsage();
  // CPU per role, sampled every second (a process's last sample stands after it exits).
  const cpuByPid = new Map<number, { role: string; cpuS: number }>();
  const cpuSampler = setInterval(() => childrenCpu().forEach((v, k) => cpuByPid.set(k, v)), 1000);
  const code = await new Promise<number | null>((done) => writer.once('exit', (c) => done(c)));
  const writeEnd = Date.now();
  if (code !== 0) throw new Error(`the virtual microscope failed (exit ${code}): ${writerErr.trim().split('\n').slice(-3).join(' | ')}`);
  const written = JSON.parse(writerOut.trim().split('\n').pop()!) as { frames_written: number; oof_frames: number; frames_per_second: number; max_lag_s?: number };
  say(`microscope done: ${written.frames_written} frames in ${((writeEnd - writeStart) / 1000).toFixed(1)} s (${written.frames_per_second.toFixed(2)} frames/s); draining up to ${drainS} s…`);

  // Drain: until every written frame is flagged and no OOF frame waits, or the window ends.
  const db = openWorkspaceDb(workspace, { readonly: true });
  const waiting = () =>
    db.prepare(`SELECT (SELECT count(*) FROM frame) AS frames, (SELECT count(*) FROM frame WHERE state = 'pending') AS pending,
                       (SELECT count(*) FROM frame WHERE state = 'oof') AS oof`).get() as { frames: number; pending: number; oof: number };
  for (;;) {
    const w = waiting();
    if (w.frames >= written.frames_written && w.pending === 0 && w.oof === 0) break;
    if (Date.now() - writeEnd > drainS * 1000) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const endAt = Date.now();
  clearInterval(cpuSampler);
  childrenCpu().forEach((v, k) => cpuByPid.set(k, v));
  const self = process.cpuUsage(selfAtStart);
  const cores: Record<string, number> = { station: (self.user + self.system) / 1e6 / ((endAt - writeStart) / 1000) };
  for (const [pid, v] of cpuByPid) cores[v.role] = (cores[v.role] ?? 0) + (v.cpuS - (cpuAtStart.get(pid)?.cpuS ?? 0)) / ((endAt - writeStart) / 1000);
  const frames = db.prepare('SELECT id, path, state, ingested_at AS ingestedAt FROM frame ORDER BY id').all() as FrameRow[];
  closeDb(db);
  await station.close();

  // Per frame: on disk (mtime of the complete file), flagged, restored.
  const onDisk = new Map(frames.map((f) => [f.id, statSync(join(acq, f.path)).mtimeMs]));
  const latencies = frames.filter((f) => classifiedAt.has(f.id)).map((f) => (classifiedAt.get(f.id)! - onDisk.get(f.id)!) / 1000).sort((a, b) => a - b);
  // Where the latency goes: on disk → in the database (the watcher), in the database → flagged (the pipeline).
  const ingestedAt = new Map(frames.map((f) => [f.id, Date.parse(f.ingestedAt)]));
  const ingestLatencies = frames.map((f) => (ingestedAt.get(f.id)! - onDisk.get(f.id)!) / 1000).sort((a, b) => a - b);
  const oofFrames = frames.filter((f) => f.state === 'oof' || f.state === 'restored' || restoredAt.has(f.id));
  const t: number[] = [];
  const classifyBacklog: number[] = [];
  const notIngested: number[] = [];
  const ingestTimes = [...ingestedAt.values()];
  const restoreBacklog: number[] = [];
  const writtenTimes = [...onDisk.values()];
  const unIngested = written.frames_written - frames.length; // written but never seen: counted as waiting throughout
  // One sample a second, and one at the end (the last restoration may fall inside the last second).
  const sampleTimes: number[] = [];
  for (let at = writeStart; at < endAt; at += 1000) sampleTimes.push(at);
  sampleTimes.push(endAt);
  for (const at of sampleTimes) {
    t.push((at - writeStart) / 1000);
    const onDiskNow = writtenTimes.filter((m) => m <= at).length + (at >= writeEnd ? unIngested : 0);
    const flagged = [...classifiedAt.values()].filter((c) => c <= at).length;
    classifyBacklog.push(Math.max(0, onDiskNow - flagged));
    notIngested.push(Math.max(0, onDiskNow - ingestTimes.filter((c) => c <= at).length));
    restoreBacklog.push(oofFrames.filter((f) => (classifiedAt.get(f.id) ?? Infinity) <= at && !((restoredAt.get(f.id) ?? Infinity) <= at)).length);
  }
  const writeS = (writeEnd - writeStart) / 1000;
  const classify = judge(t, classifyBacklog, writeS, written.frames_written / writeS, drainS);
  const restoreV = judge(t, restoreBacklog, writeS, oofFrames.length / writeS, drainS);
  const flaggedTimes = [...classifiedAt.values()];
  const classifySpan = (Math.max(...flaggedTimes) - writeStart) / 1000;
  const firstOof = Math.min(...oofFrames.map((f) => classifiedAt.get(f.id) ?? Infinity));
  const restoreEnd = restoreV.drainedAfterS !== null ? Math.max(...restoredAt.values()) : endAt;
  const restoreSpan = Number.isFinite(firstOof) ? (restoreEnd - firstOof) / 1000 : 0;

  const chart = {
    kind: 'line' as const,
    title: `bench:live ${size}px, ${rate}/s, ${Math.round(oofFraction * 100)}% OOF; writer stops at ${writeS.toFixed(0)} s`,
    xLabel: 's since the microscope started',
    yLabel: 'frames waiting',
    series: [
      { name: 'classification backlog', x: t, y: classifyBacklog },
      { name: 'of which not yet ingested', x: t, y: notIngested },
      { name: `restoration backlog (${restore.sampler} ${restore.steps}x${restore.ensemble})`, x: t, y: restoreBacklog },
    ],
    xMin: 0,
    yMin: 0,
  };
  mkdirSync(dirname(plotPng), { recursive: true });
  writeFileSync(plotPng, renderChartPng(chart, { width: 900, height: 460 }));
  writeFileSync(plotPng.replace(/\.png$/i, '') + '.svg', renderChartSvg(chart, { width: 900, height: 460 }));

  const doc = {
    rate,
    frame_size: size,
    oof_fraction: oofFraction,
    frames_written: written.frames_written,
    writer_frames_per_s: written.frames_per_second,
    microscope: values['render-live'] ? 'rendered while writing (on this machine)' : 'rendered before, written live',
    oof_frames: oofFrames.length,
    restoration: restore,
    restoration_is_station_default: sampler === undefined,
    cores: availableParallelism(),
    load_average: load,
    latency_median_s: quantile(latencies, 0.5),
    latency_p90_s: quantile(latencies, 0.9),
    ingest_latency_median_s: quantile(ingestLatencies, 0.5),
    ingest_latency_p90_s: quantile(ingestLatencies, 0.9),
    flagged: latencies.length,
    classify_per_s: classifySpan > 0 ? flaggedTimes.length / classifySpan : 0,
    restore_per_s: restoreSpan > 0 ? restoredAt.size / restoreSpan : 0,
    restored: restoredAt.size,
    classify_backlog: classify,
    restore_backlog: restoreV,
    keeps_up: classify.keepsUp && restoreV.keepsUp,
    /** Mean cores busy per process role from the microscope's start to the end (CPU s / wall s). */
    cores_used: Object.fromEntries(Object.entries(cores).map(([k, v]) => [k, Math.round(v * 1000) / 1000])),
    plot: plotPng,
  };
  if (values.json) console.log(JSON.stringify(doc));
  else {
    const f = (v: number | null, d = 2): string => (v === null ? 'n/a' : v.toFixed(d));
    const drained = (b: BacklogVerdict) => (b.drainedAfterS === null ? `not drained within ${drainS} s` : `drained ${f(b.drainedAfterS, 0)} s after the writer stopped`);
    console.log(`bench:live — ${written.frames_written} frames of ${size}×${size} written at ${f(written.frames_per_second)} frames/s (asked ${rate}), ${oofFrames.length} OOF; ${doc.cores} cores, load average ${load.toFixed(1)}`);
    console.log(`restoration (${sampler ? 'chosen with --sampler, not the station default' : 'station default'}): ${restore.sampler}, ${restore.steps} step(s) × ${restore.ensemble} members`);
    console.log(`frame on disk → flag: median ${f(doc.latency_median_s)} s, p90 ${f(doc.latency_p90_s)} s (${latencies.length} frames flagged); of it on disk → ingested: median ${f(doc.ingest_latency_median_s)} s, p90 ${f(doc.ingest_latency_p90_s)} s`);
    console.log(`classification: ${f(doc.classify_per_s)} frames/s; backlog max ${classify.max}, growth ${f(classify.growthPerS)} frames/s, ${drained(classify)}`);
    console.log(`restoration:    ${f(doc.restore_per_s, 3)} frames/s (${restoredAt.size} of ${oofFrames.length}); backlog max ${restoreV.max}, growth ${f(restoreV.growthPerS)} frames/s, ${drained(restoreV)}`);
    console.log(`cores busy on average: ${Object.entries(doc.cores_used).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
    console.log(`keeps up: ${doc.keeps_up} (classification ${classify.keepsUp}, restoration ${restoreV.keepsUp}); plot ${plotPng}`);
  }
  if (values.keep) say(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

await main();
