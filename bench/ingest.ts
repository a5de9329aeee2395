/**
 * Ingest benchmark (not a test): `npm run bench:ingest`.
 *
 * 1. Throughput: one `ingestOnce` pass over a fresh TIMING tree (frames/s).
 * 2. Latency: a writer process writes frames at 10 and 100 frames/s while an
 *    AcquisitionWatcher runs here; time from "file closed" (writer clock) to
 *    the `frame-ingested` event (same machine clock), with change notifications
 *    and with --poll. Reference: the stability window (stableMs), the floor
 *    any "size stable across two checks" rule must wait.
 * 3. Rescan of a 200,000-file tree already in the database: a restart's
 *    listing (skip known by path), a warm rescan (unchanged folders not listed
 *    again), against a naive rescan that stats and probes every file.
 *
 * Everything is created under the OS temp folder and removed afterwards.
 * Options: --files <n> (rescan tree size, default 200000), --quick (smaller runs).
 */
import { encodeTiff } from '../main/imaging/tiff-write.js';
import { spawn } from 'node:child_process';
import { closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AcquisitionIngestor, ingestOnce } from '../main/acquisition/ingest.js';
import { DirectoryCache, forEachLimit, listTree } from '../main/acquisition/scan.js';
import { AcquisitionWatcher } from '../main/acquisition/watcher.js';
import { EventBus } from '../main/common/event-bus.js';
import { probeTiff } from '../main/imaging/tiff-read.js';
import { closeDb, openWorkspaceDb } from '../main/store/database.js';

// ---------------------------------------------------------------- TIFF frames

/** An uncompressed 8-bit TIFF (the station's own writer) with seeded pixels (xorshift32). */
function frameBytes(width: number, height: number, seed: number): Buffer {
  const data = new Uint8Array(width * height);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = s & 0xff;
  }
  return encodeTiff({ width, height, data });
}

function timingRel(block: number, well: number, t: number): string {
  const w = `imgNo${String(well).padStart(4, '0')}CH0`;
  return `B${block}/images/crops_8bit_s/${w}/${w}_t${t}.tif`;
}

/** Writes a TIMING tree of `count` frames (73 time points per well); returns the relative paths. */
function writeTree(root: string, count: number, width: number, height: number): string[] {
  const paths: string[] = [];
  const wellsPerBlock = 700;
  for (let k = 0; k < count; k++) {
    const well = Math.floor(k / 73);
    const rel = timingRel(1 + Math.floor(well / wellsPerBlock), 1 + (well % wellsPerBlock), 1 + (k % 73));
    if (k % 73 === 0) mkdirSync(join(root, rel, '..'), { recursive: true });
    const fd = openSync(join(root, rel), 'w');
    writeSync(fd, frameBytes(width, height, k + 1));
    closeSync(fd);
    paths.push(rel);
  }
  return paths;
}

// ---------------------------------------------------------------- writer process

interface WriterArgs {
  root: string;
  frames: number;
  rate: number;
  width: number;
  height: number;
}

/** Child-process side: writes frames at `rate`, prints `path <tab> closedAtMs` per frame. */
async function writerMain(args: WriterArgs): Promise<void> {
  const start = Date.now();
  const out: string[] = [];
  for (let k = 0; k < args.frames; k++) {
    const due = start + (k / args.rate) * 1000;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const rel = timingRel(1, 1 + (k % 50), 1 + Math.floor(k / 50));
    mkdirSync(join(args.root, rel, '..'), { recursive: true });
    const fd = openSync(join(args.root, rel), 'w');
    writeSync(fd, frameBytes(args.width, args.height, k + 1));
    fsyncSync(fd);
    closeSync(fd);
    out.push(`${rel}\t${Date.now()}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

function runWriter(args: WriterArgs): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--writer', JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`writer exited with ${code}`));
      const closed = new Map<string, number>();
      for (const line of text.trim().split('\n')) {
        const [rel, at] = line.split('\t');
        closed.set(rel!, Number(at));
      }
      resolve(closed);
    });
  });
}

// ---------------------------------------------------------------- helpers

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))));
  return s[i]!;
}

function freshDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `pf-bench-${name}-`));
}

const rows: { measure: string; value: string; reference: string; ratio: string }[] = [];
function row(measure: string, value: string, reference = '', ratio = ''): void {
  rows.push({ measure, value, reference, ratio });
  console.error(`  ${measure}: ${value}${reference ? `  (reference ${reference}${ratio ? `, ${ratio}` : ''})` : ''}`);
}

// ---------------------------------------------------------------- benchmarks

async function benchThroughput(frames: number): Promise<void> {
  const dir = freshDir('throughput');
  try {
    const acq = join(dir, 'acq');
    writeTree(acq, frames, 128, 128);
    const db = openWorkspaceDb(join(dir, 'ws'));
    const stableMs = 300;
    const t0 = performance.now();
    const summary = await ingestOnce(acq, db, { stableMs });
    const ms = performance.now() - t0;
    closeDb(db);
    if (summary.ingested !== frames) throw new Error(`throughput run ingested ${summary.ingested} of ${frames}`);
    const working = ms - stableMs;
    row(`ingestOnce, ${frames} frames 128×128 8-bit (pass incl. ${stableMs} ms stability wait)`, `${(frames / (ms / 1000)).toFixed(0)} frames/s (${(ms / 1000).toFixed(2)} s)`);
    row(`  same, excluding the stability wait`, `${(frames / (working / 1000)).toFixed(0)} frames/s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchLatency(rate: number, seconds: number, poll: boolean): Promise<void> {
  const dir = freshDir('latency');
  const acq = join(dir, 'acq');
  mkdirSync(acq);
  const db = openWorkspaceDb(join(dir, 'ws'));
  const bus = new EventBus();
  const ingestedAt = new Map<string, number>();
  bus.subscribe((e) => {
    if (e.type === 'frame-ingested') ingestedAt.set(e.path, Date.now());
  });
  const stableMs = 300;
  const watcher = new AcquisitionWatcher(db, acq, { layout: 'timing', bus, stableMs, poll, rescanMs: poll ? 250 : 5000 });
  try {
    await watcher.start();
    const frames = Math.round(rate * seconds);
    const closed = await runWriter({ root: acq, frames, rate, width: 256, height: 256 });
    const deadline = Date.now() + 30_000;
    while (ingestedAt.size < frames && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (ingestedAt.size !== frames) throw new Error(`latency run ingested ${ingestedAt.size} of ${frames}`);
    const latencies = [...closed].map(([rel, at]) => ingestedAt.get(rel)! - at);
    const median = quantile(latencies, 0.5);
    row(
      `complete → row at ${rate} frames/s, ${poll ? `--poll (rescan 250 ms)` : 'change notifications'}, ${frames} frames`,
      `median ${median.toFixed(0)} ms, p90 ${quantile(latencies, 0.9).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`,
      `stability window ${stableMs} ms`,
      `median = ${(median / stableMs).toFixed(2)}× window`,
    );
  } finally {
    await watcher.stop();
    closeDb(db);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchRescan(files: number): Promise<void> {
  const dir = freshDir('rescan');
  try {
    const acq = join(dir, 'acq');
    const t0 = performance.now();
    writeTree(acq, files, 8, 8);
    row(`create tree of ${files} tiny TIFFs`, `${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const db = openWorkspaceDb(join(dir, 'ws'));
    const t1 = performance.now();
    const summary = await ingestOnce(acq, db, { layout: 'timing', stableMs: 300 });
    const ingestMs = performance.now() - t1;
    if (summary.ingested !== files) throw new Error(`rescan tree: ingested ${summary.ingested} of ${files}`);
    row(`first ingest of the ${files}-file tree`, `${(ingestMs / 1000).toFixed(1)} s (${(files / (ingestMs / 1000)).toFixed(0)} frames/s)`);

    // Reference: a rescan that knows nothing — stat and probe every file.
    const n0 = performance.now();
    const listing = await listTree(acq);
    let complete = 0;
    await forEachLimit(listing.files, 16, async (rel) => {
      await stat(join(acq, rel));
      if ((await probeTiff(join(acq, rel))).complete) complete++;
    });
    const naiveMs = performance.now() - n0;
    if (complete !== files) throw new Error(`naive rescan probed ${complete} complete of ${files}`);
    row(`naive rescan: list + stat + probe every file`, `${(naiveMs / 1000).toFixed(2)} s`);

    // A restart: the known set comes from the database, the tree is listed, known files skipped.
    const r0 = performance.now();
    const restarted = new AcquisitionIngestor(db, acq, { layout: 'timing' });
    const loadMs = performance.now() - r0;
    const s0 = performance.now();
    await restarted.scan();
    const coldMs = performance.now() - s0;
    if (restarted.pendingCount !== 0) throw new Error(`restart rescan left ${restarted.pendingCount} files to check`);
    row(
      `restart rescan: load ${files} known (path, page) + list tree`,
      `${((loadMs + coldMs) / 1000).toFixed(2)} s (load ${(loadMs / 1000).toFixed(2)} s + list ${(coldMs / 1000).toFixed(2)} s)`,
      `naive ${(naiveMs / 1000).toFixed(2)} s`,
      `${(naiveMs / (loadMs + coldMs)).toFixed(1)}× faster`,
    );

    // Watcher rescans: folders unchanged since the previous scan are only stat'ed.
    await new Promise((r) => setTimeout(r, new DirectoryCache().trustAfterMs + 200));
    await restarted.scan(); // fills the folder cache
    const w0 = performance.now();
    const warm = await restarted.scan();
    const warmMs = performance.now() - w0;
    row(
      `warm rescan (watcher, unchanged folders from cache; listed ${warm.listedDirs} folders)`,
      `${(warmMs / 1000).toFixed(3)} s`,
      `naive ${(naiveMs / 1000).toFixed(2)} s`,
      `${(naiveMs / warmMs).toFixed(0)}× faster`,
    );
    closeDb(db);
  } finally {
    const c0 = performance.now();
    rmSync(dir, { recursive: true, force: true });
    console.error(`  (cleaned up the tree in ${((performance.now() - c0) / 1000).toFixed(1)} s)`);
  }
}

async function main(argv: string[]): Promise<void> {
  const writerAt = argv.indexOf('--writer');
  if (writerAt >= 0) return writerMain(JSON.parse(argv[writerAt + 1]!) as WriterArgs);
  const quick = argv.includes('--quick');
  const filesAt = argv.indexOf('--files');
  const files = filesAt >= 0 ? Number(argv[filesAt + 1]) : quick ? 20_000 : 200_000;
  const started = Date.now();
  console.error(`ingest benchmark (node ${process.versions.node}, ${process.platform}, temp ${tmpdir()})`);
  await benchThroughput(quick ? 1000 : 5000);
  await benchLatency(10, quick ? 5 : 15, false);
  await benchLatency(100, quick ? 3 : 10, false);
  await benchLatency(10, quick ? 5 : 15, true);
  await benchLatency(100, quick ? 3 : 10, true);
  await benchRescan(files);
  const width = Math.max(...rows.map((r) => r.measure.length));
  const vwidth = Math.max(...rows.map((r) => r.value.length));
  console.log(`\n${'measure'.padEnd(width)} | ${'value'.padEnd(vwidth)} | reference / ratio`);
  console.log(`${'-'.repeat(width)}-+-${'-'.repeat(vwidth)}-+------------------`);
  for (const r of rows) {
    console.log(`${r.measure.padEnd(width)} | ${r.value.padEnd(vwidth)} | ${[r.reference, r.ratio].filter(Boolean).join(', ')}`);
  }
  console.log(`\n(total ${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

await main(process.argv.slice(2));
