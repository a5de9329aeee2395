/**
 * Issue 14 as a hostile tester ran it, with the real CLI: hostile files mixed
 * into an acquisition (NaN pixels, a huge frame in a tiny file, truncated, wrong
 * type, links out, linked folders, dangling links, a FIFO), workspaces placed
 * in or around the acquisition, `watch` started before the folder exists, and
 * SIGTERM while the worker is busy.
 */
import { mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameTiff, put, timingPath } from '../helpers/acquisition.js';
import { ensureCliBuilt, runCli, spawnCli } from '../helpers/cli.js';
import { HOSTILE_REASON, writeHostile, type HostileKind } from '../helpers/hostile-files.js';
import { closeDb, openWorkspaceDb } from '../../main/store/database.js';
import { tempDir } from '../helpers/workspace.js';
import { syntheticFrame, writeFrame8 } from '../unit/inference/helpers.js';

const MODELS = 'test/fixtures/models';
const tmp = tempDir('pf-hostile-');
beforeAll(() => ensureCliBuilt());
afterAll(() => tmp.cleanup());

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every path under `root` with its size and mtime: proof the acquisition was not written. */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else {
        const st = e.isFile() ? statSync(abs) : null;
        out.push(`${abs} ${st ? `${st.size} ${st.mtimeMs}` : 'special'}`);
      }
    }
  };
  walk(root);
  return out.sort();
}

interface StatusJson {
  frames: number;
  states: Record<string, number>;
  runs: { ignoredFiles: number }[];
  recentErrors: { source: string; path: string | null; message: string }[];
}

describe('hostile files in the acquisition', () => {
  it('`process` finishes: each hostile file is an error or ignored row with its reason, every good frame is classified once, nothing outside is read', async () => {
    const acq = join(tmp.dir, 'acq1');
    const ws = join(tmp.dir, 'ws1');
    const outside = join(tmp.dir, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'frame.tif'), frameTiff(99));
    for (let w = 1; w <= 2; w++) for (let t = 1; t <= 4; t++) put(acq, timingPath(1, w, t), frameTiff(w * 10 + t));
    const hostile: [HostileKind, string][] = [
      ['nan', timingPath(1, 3, 1)],
      ['huge', timingPath(1, 3, 2)],
      ['truncated', timingPath(1, 3, 3)],
      ['wrong-type', timingPath(1, 3, 4)],
      ['symlink-out', timingPath(1, 4, 1)],
      ['fifo', timingPath(1, 4, 2)],
    ];
    for (const [kind, rel] of hostile) writeHostile(kind, join(acq, rel));
    // More links: to a TIFF outside, to a folder (inside), dangling; a link to a frame inside is read.
    symlinkSync(join(outside, 'frame.tif'), join(acq, timingPath(1, 4, 3)));
    symlinkSync(join(acq, 'B1/images/crops_8bit_s/imgNo001CH0'), join(acq, 'B1/images/crops_8bit_s/imgNo005CH0'));
    symlinkSync(join(acq, 'gone.tif'), join(acq, timingPath(1, 4, 4)));
    mkdirSync(join(acq, 'B1/images/crops_8bit_s/imgNo006CH0'));
    symlinkSync(join(acq, timingPath(1, 1, 1)), join(acq, timingPath(1, 6, 1)));
    const before = snapshot(acq);

    const r = await runCli(['process', acq, '--workspace', ws, '--models', MODELS, '--steps', '2', '--ensemble', '2', '--threads', '1', '--quiet', '--json']);
    expect(r.code, r.stderr).toBe(3);
    const status = JSON.parse((await runCli(['status', ws, '--json', '--errors', '100'])).stdout) as StatusJson;
    // 8 good frames + the link to a frame inside + the NaN frame (ingested, then failed at decode).
    expect(status.frames).toBe(10);
    expect(status.states.failed).toBe(1);
    expect((status.states.in_focus ?? 0) + (status.states.oof ?? 0) + (status.states.restored ?? 0)).toBe(9);
    const byPath = new Map(status.recentErrors.map((e) => [e.path, e]));
    for (const [kind, rel] of hostile) {
      expect(byPath.get(rel)?.message, `${kind} at ${rel}`).toMatch(HOSTILE_REASON[kind]);
    }
    expect(byPath.get(timingPath(1, 4, 1))!.message).toMatch(/symbolic link to \/etc\/passwd, outside/);
    expect(byPath.get(timingPath(1, 4, 3))!.message).toMatch(/ignored, not read: symbolic link to .*outside\/frame\.tif, outside the acquisition folder/);
    expect(byPath.get(timingPath(1, 4, 4))!.message).toMatch(/ignored, not read: dangling symbolic link/);
    expect(byPath.get('B1/images/crops_8bit_s/imgNo005CH0')!.message).toMatch(/ignored, not read: symbolic link to a folder/);
    // /etc/passwd was never opened: it is listed as a link, not reported "not a TIFF".
    expect(status.recentErrors.some((e) => /passwd/.test(e.message) && /not a TIFF/.test(e.message))).toBe(false);
    expect(status.runs[0]!.ignoredFiles).toBeGreaterThanOrEqual(5);
    expect(snapshot(acq)).toEqual(before);
  }, 120_000);

  it('--max-pixels refuses larger frames at ingest with the size in the message', async () => {
    const acq = join(tmp.dir, 'acq2');
    const ws = join(tmp.dir, 'ws2');
    put(acq, timingPath(1, 1, 1), frameTiff(1, { width: 24, height: 16 }));
    put(acq, timingPath(1, 1, 2), frameTiff(2, { width: 40, height: 40 }));
    const r = await runCli(['ingest', acq, '--workspace', ws, '--max-pixels', '30x30', '--stable-ms', '0', '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ ingested: 1, errors: 1 });
    const status = JSON.parse((await runCli(['status', ws, '--json'])).stdout) as StatusJson;
    expect(status.recentErrors[0]!.message).toBe('frame too large: 40×40 = 1600 pixels, above the maximum of 900 (--max-pixels)');
    expect((await runCli(['ingest', acq, '--workspace', ws, '--max-pixels', 'lots'])).stderr).toMatch(/--max-pixels must be a pixel count or WIDTHxHEIGHT/);
  });
});

describe('workspace placement', () => {
  it('every command refuses a workspace equal to, inside or containing the acquisition, and writes nothing there', async () => {
    const parent = join(tmp.dir, 'place');
    const acq = join(parent, 'acq');
    put(acq, timingPath(1, 1, 1), frameTiff(1));
    const before = snapshot(parent);
    const cases: [string, RegExp][] = [
      [acq, /is the acquisition folder/],
      [join(acq, 'ws'), /is inside the acquisition folder/],
      [join(acq, 'B1', '..', 'ws'), /is inside the acquisition folder/],
      [parent, /contains the acquisition folder/],
    ];
    for (const [ws, why] of cases) {
      for (const args of [
        ['process', acq, '--workspace', ws, '--models', MODELS],
        ['ingest', acq, '--workspace', ws],
        ['watch', acq, '--workspace', ws],
        ['serve', ws, '--acq', acq, '--no-pipeline'],
      ]) {
        const r = await runCli(args);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
        expect(r.stderr, args.join(' ')).toMatch(why);
      }
    }
    expect(snapshot(parent)).toEqual(before);
  }, 120_000);
});

describe('watch before the acquisition exists', () => {
  it('waits for the folder, says so, and ingests once it appears (no error row)', async () => {
    const acq = join(tmp.dir, 'later', 'acq');
    const ws = join(tmp.dir, 'ws-later');
    const watch = spawnCli(['watch', acq, '--workspace', ws, '--rescan-ms', '200', '--stable-ms', '50', '--json']);
    try {
      await until('the waiting message', () => /waiting for .*later\/acq \(it does not exist yet\)/.test(watch.output().stderr));
      for (let t = 1; t <= 3; t++) put(acq, timingPath(1, 1, t), frameTiff(t));
      await until('three frames ingested', async () => {
        const s = await runCli(['status', ws, '--json']);
        return s.code === 0 && (JSON.parse(s.stdout) as StatusJson).frames === 3;
      });
    } finally {
      watch.child.kill('SIGINT');
    }
    const done = await watch.exited;
    expect(done.code).toBe(0);
    const status = JSON.parse((await runCli(['status', ws, '--json'])).stdout) as StatusJson;
    expect(status.recentErrors).toEqual([]);
    expect(JSON.parse(done.stdout)).toMatchObject({ state: 'stopped', rootSeen: true });
  }, 60_000);
});

describe('signals', () => {
  it('SIGTERM stops `process` in order while the worker is restoring; the job ends as cancelled, not as a failed try', async () => {
    const acq = join(tmp.dir, 'acq-sig');
    const ws = join(tmp.dir, 'ws-sig');
    // Blurred frames are OOF for the fixture classifier: restorations with many steps keep the worker busy.
    for (let t = 1; t <= 3; t++) writeFrame8(join(acq, 'B1/images/crops_8bit_s/imgNo001CH0'), `imgNo001CH0_t${t}.tif`, syntheticFrame(32, 32, t, 16), 32, 32);
    const run = spawnCli(['process', acq, '--workspace', ws, '--models', MODELS, '--sampler', 'ancestral', '--steps', '1000', '--threads', '1']);
    await until(
      'an OOF frame waiting for its restoration',
      async () => {
        const s = await runCli(['status', ws, '--json']);
        return s.code === 0 && ((JSON.parse(s.stdout) as StatusJson).states.oof ?? 0) > 0;
      },
      60_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    run.child.kill('SIGTERM');
    const r = await run.exited;
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toMatch(/SIGTERM: stopping/);
    const db = openWorkspaceDb(ws, { readonly: true });
    try {
      const restores = db.prepare("SELECT outcome, error FROM attempt WHERE kind = 'restore'").all() as { outcome: string; error: string | null }[];
      expect(restores.length).toBeGreaterThan(0);
      for (const a of restores) expect(a.outcome === 'ok' || /^cancelled/.test(a.error ?? ''), JSON.stringify(a)).toBe(true);
      expect(db.prepare('SELECT count(*) AS n FROM attempt WHERE finished_at IS NULL').get()).toEqual({ n: 0 });
    } finally {
      closeDb(db);
    }
  }, 120_000);

  it('`serve` stops on SIGTERM', async () => {
    const ws = join(tmp.dir, 'ws-serve');
    const acq = join(tmp.dir, 'acq-serve');
    put(acq, timingPath(1, 1, 1), frameTiff(1));
    const serve = spawnCli(['serve', ws, '--acq', acq, '--models', MODELS, '--json']);
    await until('the URL', () => /"url"/.test(serve.output().stdout), 60_000);
    serve.child.kill('SIGTERM');
    const r = await serve.exited;
    expect(r.code, r.stderr).toBe(0);
  }, 90_000);
});
