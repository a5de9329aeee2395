/**
 * Export benchmark: synthesises a TIMING workspace of N real 281×281 8-bit frame
 * files (default 20,000: 4 blocks, 73 time points per nanowell, ~8 % OOF, most
 * restored and reviewed), then exports it with the curated policy (frame TIFFs,
 * OME-TIFF stacks, manifest, report, training pack) in a child process and
 * reports wall time, frames/s and the child's peak RSS. Reference measured in
 * the same run: a plain read + write copy of every source file.
 *
 * Usage: node dist/bench/export.js [--frames N] [--dir DIR] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { exportDataset } from '../main/export/export.js';
import { encodeTiff } from '../main/imaging/tiff-write.js';
import { closeDb, openWorkspaceDb } from '../main/store/database.js';

const SIZE = 281;
const T = 73;
const BLOCKS = 4;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** xorshift32: fixed seed, so every run synthesises the same workspace. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function frameImage(well: number, t: number, oof: boolean): Uint8Array {
  const img = new Uint8Array(SIZE * SIZE);
  const cx = 140 + 40 * Math.sin(0.1 * t + well);
  const cy = 140 + 40 * Math.cos(0.13 * t + 2 * well);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const d = Math.hypot(x - cx, y - cy);
      const ring = oof ? Math.exp(-((d - 12) ** 2) / 60) : Math.exp(-((d - 12) ** 2) / 4);
      img[y * SIZE + x] = Math.min(255, 90 + ((x * 7 + y * 13 + well) & 15) + 120 * ring);
    }
  }
  return img;
}

function synthesise(root: string, frames: number): { acquisition: string; workspace: string; stats: Record<string, number> } {
  const acquisition = join(root, 'acq');
  const workspace = join(root, 'ws');
  mkdirSync(join(workspace, 'restored'), { recursive: true });
  const db = openWorkspaceDb(workspace);
  const at = new Date().toISOString();
  const runId = Number(
    db.prepare(`INSERT INTO run (root, layout, settings, created_at) VALUES (?, 'timing', ?, ?)`).run(acquisition, JSON.stringify({ pixelSizeUm: 0.325, frameIntervalMin: 5 }), at).lastInsertRowid,
  );
  const insWell = db.prepare(`INSERT INTO nanowell (run_id, block, well, position) VALUES (?, ?, ?, ?)`);
  const insFrame = db.prepare(
    `INSERT INTO frame (nanowell_id, t, channel, path, page, width, height, bits, size, mtime_ms, state, ingested_at) VALUES (?, ?, '0', ?, 0, ${SIZE}, ${SIZE}, 8, ?, 0, ?, ?)`,
  );
  const insClass = db.prepare(`INSERT INTO classification (frame_id, target, model_id, model_sha256, p_oof, oof, tenenbaum, created_at) VALUES (?, ?, 'pf-classifier-v1', 'c1a55', ?, ?, 2.0, ?)`);
  const insRest = db.prepare(
    `INSERT INTO restoration (frame_id, model_id, model_sha256, sampler, steps, eta, ensemble, seeds, mean_path, spread_path, spread_mean, tenenbaum_before, tenenbaum_after, duration_ms, created_at)
     VALUES (?, 'pf-ddpm-v1', 'dd9e', 'ddim', 25, 0, 4, '[1,2,3,4]', ?, ?, 0.01, 1.2, 2.9, 900, ?)`,
  );
  const insDecision = db.prepare(`INSERT INTO decision (frame_id, verdict, reviewer, note, at) VALUES (?, ?, 'bench', '', ?)`);
  const random = rng(8);
  const stats = { frames: 0, oof: 0, restored: 0, accepted: 0, rejected: 0 };
  const wellsPerBlock = Math.ceil(frames / T / BLOCKS);
  const spread = encodeTiff({ width: SIZE, height: SIZE, data: new Float32Array(SIZE * SIZE).fill(0.01) });
  writeFileSync(join(workspace, 'restored', 'spread.tif'), spread);
  let wellIndex = 0;
  const tx = db.transaction((work: () => void) => work());
  outer: for (let b = 1; b <= BLOCKS; b++) {
    for (let w = 1; w <= wellsPerBlock; w++) {
      wellIndex++;
      const wellName = `imgNo${w}`;
      tx(() => {
        const wellId = Number(insWell.run(runId, String(b), wellName, w).lastInsertRowid);
        for (let t = 1; t <= T && stats.frames < frames; t++) {
          const oof = random() < 0.08;
          const rel = `B${b}/images/crops_8bit_s/${wellName}CH0/${wellName}CH0_t${t}.tif`;
          const file = join(acquisition, rel);
          mkdirSync(dirname(file), { recursive: true });
          const bytes = encodeTiff({ width: SIZE, height: SIZE, data: frameImage(wellIndex, t, oof) });
          writeFileSync(file, bytes);
          const restored = oof && random() < 0.85;
          const state = !oof ? 'in_focus' : restored ? 'restored' : 'oof';
          const frameId = Number(insFrame.run(wellId, t, rel, bytes.length, state, at).lastInsertRowid);
          insClass.run(frameId, 'original', oof ? 0.93 : 0.04, oof ? 1 : 0, at);
          stats.frames++;
          if (oof) stats.oof++;
          if (restored) {
            stats.restored++;
            const mean = `restored/${frameId}-mean.tif`;
            const img = frameImage(wellIndex, t, false);
            const f = new Float32Array(img.length);
            for (let i = 0; i < img.length; i++) f[i] = img[i]! / 255;
            writeFileSync(join(workspace, mean), encodeTiff({ width: SIZE, height: SIZE, data: f }));
            insRest.run(frameId, mean, 'restored/spread.tif', at);
            insClass.run(frameId, 'restored', 0.1, 0, at);
            const u = random();
            if (u < 0.7) {
              insDecision.run(frameId, 'accept', at);
              stats.accepted++;
            } else if (u < 0.85) {
              insDecision.run(frameId, 'reject', at);
              stats.rejected++;
            }
          }
        }
      });
      if (stats.frames >= frames) break outer;
    }
  }
  closeDb(db);
  return { acquisition, workspace, stats };
}

/** Reference: read + write every source file once (what any export must at least do). */
function copyReference(acquisition: string, workspace: string, out: string): number {
  const db = openWorkspaceDb(workspace, { readonly: true });
  const rows = db.prepare(`SELECT path FROM frame ORDER BY id`).all() as { path: string }[];
  closeDb(db);
  const start = performance.now();
  for (const r of rows) {
    const dst = join(out, r.path);
    mkdirSync(dirname(dst), { recursive: true });
    const bytes = readFileSync(join(acquisition, r.path));
    const fd = openSync(dst, 'w');
    writeSync(fd, bytes);
    closeSync(fd);
  }
  return performance.now() - start;
}

async function childExport(workspace: string, destination: string): Promise<void> {
  const db = openWorkspaceDb(workspace);
  let lastRss = 0;
  let peakSampled = 0;
  const start = performance.now();
  const result = await exportDataset({
    db,
    workspace,
    destination,
    policy: { include: 'curated', layout: 'mirror', omeStacks: true, trainingPack: true },
    appVersion: 'bench',
    onProgress: (p) => {
      const rss = process.memoryUsage.rss();
      peakSampled = Math.max(peakSampled, rss);
      if (p.phase === 'progress' && p.done - lastRss >= 2000) {
        lastRss = p.done;
        process.stderr.write(`  ${p.done}/${p.total} frames, rss ${(rss / 2 ** 20).toFixed(0)} MiB\n`);
      }
    },
  });
  const ms = performance.now() - start;
  closeDb(db);
  const maxRssKiB = process.resourceUsage().maxRSS;
  process.stdout.write(JSON.stringify({ ms, result, maxRssMiB: maxRssKiB / 1024, peakSampledMiB: peakSampled / 2 ** 20 }) + '\n');
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    await childExport(process.argv[3]!, process.argv[4]!);
    return;
  }
  const frames = Number(arg('frames') ?? 20000);
  if (!Number.isInteger(frames) || frames < 1) throw new Error(`--frames must be a positive whole number, got ${arg('frames')}`);
  const base = arg('dir') ?? tmpdir();
  const root = mkdtempSync(join(base, 'pf-bench-export-'));
  try {
    console.log(`synthesising ${frames} frames (${SIZE}×${SIZE} 8-bit TIFF files) in ${root} ...`);
    let start = performance.now();
    const { acquisition, workspace, stats } = synthesise(root, frames);
    console.log(`  done in ${((performance.now() - start) / 1000).toFixed(1)} s: ${JSON.stringify(stats)}`);

    const refMs = copyReference(acquisition, workspace, join(root, 'copy'));
    rmSync(join(root, 'copy'), { recursive: true, force: true });
    console.log(`reference (read + write each source file): ${(refMs / 1000).toFixed(2)} s, ${(frames / (refMs / 1000)).toFixed(0)} files/s`);

    start = performance.now();
    const child = spawnSync(process.execPath, [process.argv[1]!, '--child', workspace, join(root, 'export')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 * 1024 * 1024,
    });
    if (child.status !== 0) throw new Error(`export child failed (${child.status}): ${child.stdout}`);
    const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
      ms: number;
      maxRssMiB: number;
      peakSampledMiB: number;
      result: { framesExported: number; framesExcluded: number };
    };
    const s = r.ms / 1000;
    console.log(
      `export (curated, TIFF per frame + OME stacks + manifest + report + training pack): ${s.toFixed(2)} s, ` +
        `${(frames / s).toFixed(0)} frames/s, ${r.result.framesExported} exported, ${r.result.framesExcluded} excluded`,
    );
    console.log(`peak RSS of the export process: ${r.maxRssMiB.toFixed(0)} MiB (sampled during export: ${r.peakSampledMiB.toFixed(0)} MiB)`);
    console.log(`ratio export / reference copy: ${(r.ms / refMs).toFixed(1)}×`);
    console.log(JSON.stringify({ bench: 'export', frames, exportSeconds: s, framesPerSecond: frames / s, peakRssMiB: r.maxRssMiB, referenceSeconds: refMs / 1000, ratio: r.ms / refMs }));
  } finally {
    if (!process.argv.includes('--keep')) rmSync(root, { recursive: true, force: true });
    else console.log(`kept ${root}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
