// `postfocus ingest` as a real process: exit codes, JSON output, progress on
// stderr, 200 corrupt files among good frames, the real instrument files.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameTiff, put, snapshotTree, timingPath } from '../helpers/acquisition.js';
import { CLI, cliTestDir, REPO_ROOT, runCli, runProcess } from '../helpers/cli.js';
import { BROKEN_KINDS, brokenTiff } from '../helpers/tiff-fixtures.mjs';


const REAL_TIFF_DIR = resolve(REPO_ROOT, '..', 'shared/data/real-tiff');
if (!existsSync(REAL_TIFF_DIR)) console.warn(`skipping the real-file CLI ingest: ${REAL_TIFF_DIR} is absent`);
const tmp = cliTestDir('pf-ingest-cli-');

describe('postfocus ingest', () => {
  it('ingests every good frame among 200 corrupt or truncated files, records 200 errors and exits 3', async () => {
    const acq = join(tmp.dir, 'mixed');
    let good = 0;
    for (let w = 1; w <= 10; w++) {
      for (let t = 1; t <= 30; t++) {
        put(acq, timingPath(1, w, t), frameTiff(w * 100 + t, { bits: t % 2 ? 8 : 16, compression: t % 3 === 0 ? 'deflate' : t % 3 === 1 ? 'lzw' : 'none' }));
        good++;
      }
    }
    for (let k = 0; k < 200; k++) put(acq, timingPath(2, 1 + (k % 20), 1 + Math.floor(k / 20)), brokenTiff(BROKEN_KINDS[k % BROKEN_KINDS.length]!, k));
    const before = snapshotTree(acq);
    const ws = join(tmp.dir, 'ws-mixed');

    const first = await runCli(['ingest', acq, '--workspace', ws, '--json']);
    expect(first.code, first.stderr).toBe(3);
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({ layout: 'timing', ingested: good, errors: 200, newErrors: 200, pending: 0 });
    expect(first.stderr).toMatch(/ingest \d+\/\d+ \[[#.]+\]/);

    const status = await runCli(['status', ws, '--json', '--errors', '500']);
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report).toMatchObject({ frames: good, errors: 200, states: { pending: good } });
    expect(report.recentErrors).toHaveLength(200);
    expect(new Set(report.recentErrors.map((e: { path: string }) => e.path)).size).toBe(200);

    // Again: nothing new, the same errors met (exit 3), no second error row.
    const again = await runCli(['ingest', acq, '--workspace', ws, '--json']);
    expect(again.code).toBe(3);
    expect(JSON.parse(again.stdout)).toMatchObject({ ingested: 0, errors: 200, newErrors: 0 });
    expect(JSON.parse((await runCli(['status', ws, '--json'])).stdout).errors).toBe(200);
    expect(snapshotTree(acq), 'ingest modified the acquisition folder').toEqual(before);
  });

  it('exits 0 with a human summary when all is well', async () => {
    const acq = join(tmp.dir, 'clean');
    for (let t = 1; t <= 3; t++) put(acq, timingPath(1, 1, t), frameTiff(t));
    const r = await runCli(['ingest', acq, '-w', join(tmp.dir, 'ws-clean')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/3 frame\(s\) ingested \(layout timing\), 0 file\(s\) ignored, 0 error\(s\), 0 still being written/);
  });

  it.skipIf(!existsSync(REAL_TIFF_DIR))('ingests the real instrument files (LZW, TIFF named .png) with a user pattern', async () => {
    const ws = join(tmp.dir, 'ws-real');
    const before = snapshotTree(REAL_TIFF_DIR);
    const r = await runCli(['ingest', REAL_TIFF_DIR, '--workspace', ws, '--pattern', '{well}.*', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ layout: 'pattern', pattern: '{well}.*', ingested: 3, errors: 0 });
    const status = JSON.parse((await runCli(['status', ws, '--json'])).stdout);
    expect(status.runs[0]).toMatchObject({ root: REAL_TIFF_DIR, layout: 'pattern', wells: 3, frames: 3 });
    expect(snapshotTree(REAL_TIFF_DIR)).toEqual(before);
  });

  // Root reads any file, so as root the CLI runs as `nobody` (runuser) to meet a real EACCES.
  const isRoot = process.getuid?.() === 0;
  const runuser = isRoot ? spawnSync('which', ['runuser']).stdout?.toString().trim() : '';
  // A checkout under a folder `nobody` cannot enter (a 700 home, a mktemp -d) leaves
  // the CLI out of its reach: then there is no way to meet EACCES as root here.
  const nobodyReaches = (paths: string[]): boolean =>
    spawnSync(runuser!, ['-u', 'nobody', '--', process.execPath, '-e', `for (const p of ${JSON.stringify(paths)}) require('node:fs').accessSync(p, 4)`]).status === 0;
  const nobodyCannotRunCli = Boolean(runuser) && !nobodyReaches([CLI, join(REPO_ROOT, 'dist/main/cli.js'), join(REPO_ROOT, 'node_modules/better-sqlite3/package.json')]);
  if (isRoot && !runuser) console.warn('skipping the permission-denied CLI ingest: running as root without runuser');
  if (nobodyCannotRunCli) console.warn(`skipping the permission-denied CLI ingest: user nobody cannot read the checkout (${REPO_ROOT}) to run the CLI`);
  it.skipIf((isRoot && !runuser) || nobodyCannotRunCli)('records unreadable files and folders (permission denied) and ingests the rest', async () => {
    const base = join(tmp.dir, 'perm');
    const acq = join(base, 'acq');
    const ws = join(base, 'ws');
    for (let t = 1; t <= 3; t++) put(acq, timingPath(1, 1, t), frameTiff(t));
    put(acq, timingPath(1, 2, 1), frameTiff(9));
    mkdirSync(ws, { recursive: true });
    chmodSync(tmp.dir, 0o755);
    chmodSync(base, 0o755);
    chmodSync(ws, 0o777);
    const lockedFile = join(acq, timingPath(1, 1, 2));
    const lockedDir = join(acq, timingPath(1, 2, 1), '..');
    chmodSync(lockedFile, 0o000);
    chmodSync(lockedDir, 0o000);
    try {
      const args = ['ingest', acq, '--workspace', ws, '--json'];
      const r = isRoot ? await runProcess(runuser!, ['-u', 'nobody', '--', process.execPath, CLI, ...args]).exited : await runCli(args);
      expect(r.code, r.stderr).toBe(3);
      expect(JSON.parse(r.stdout)).toMatchObject({ ingested: 2, errors: 2 });
      const status = JSON.parse((await runCli(['status', ws, '--json'])).stdout);
      const messages = status.recentErrors.map((e: { path: string; message: string }) => `${e.path}: ${e.message}`).sort();
      expect(messages[0]).toMatch(/imgNo001CH0_t2\.tif: permission denied: EACCES/);
      expect(messages[1]).toMatch(/imgNo002CH0: cannot list folder \(EACCES\)/);
      expect(status.runs[0].errors).toBe(2);
    } finally {
      chmodSync(lockedFile, 0o644);
      chmodSync(lockedDir, 0o755);
    }
  });

  it('fails clearly: no layout recognised (1), usage errors (2), read-only workspace (1), --help (0)', async () => {
    const acq = join(tmp.dir, 'odd');
    put(acq, 'stuff/a.tif', frameTiff(1));
    const none = await runCli(['ingest', acq, '-w', join(tmp.dir, 'ws-odd')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no acquisition layout recognised .*Expected one of:.*TIMING.*Micro-Manager.*--pattern/s);

    const noWs = await runCli(['ingest', acq]);
    expect(noWs.code).toBe(2);
    expect(noWs.stderr).toMatch(/--workspace is required/);
    const badLayout = await runCli(['ingest', acq, '-w', join(tmp.dir, 'ws-odd'), '--layout', 'zeiss']);
    expect(badLayout.code).toBe(2);
    expect(badLayout.stderr).toMatch(/--layout must be one of auto, timing, micromanager, nikon, pattern, stack; got "zeiss"/);
    const badPattern = await runCli(['ingest', acq, '-w', join(tmp.dir, 'ws-odd'), '--pattern', 'x/{t}.tif']);
    expect(badPattern.code).toBe(2);
    expect(badPattern.stderr).toMatch(/no \{well\} field/);

    const readOnly = process.getuid?.() === 0 ? '/sys/postfocus-ws' : '/proc/postfocus-ws';
    const ro = await runCli(['ingest', acq, '-w', readOnly]);
    expect(ro.code).toBe(1);
    expect(ro.stderr).toMatch(/workspace .* is not writable .*choose a workspace folder on a writable disk/);

    for (const cmd of ['ingest', 'watch', 'status']) {
      const help = await runCli([cmd, '--help']);
      expect(help.code, cmd).toBe(0);
      expect(help.stdout, cmd).toMatch(new RegExp(`^Usage: postfocus ${cmd} `));
    }
    mkdirSync(join(tmp.dir, 'empty'));
    const empty = await runCli(['ingest', join(tmp.dir, 'empty'), '-w', join(tmp.dir, 'ws-empty')]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/no files found yet/);
  });
});
