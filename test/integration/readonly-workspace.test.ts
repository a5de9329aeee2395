/**
 * A read-only workspace (an archive on a read-only mount, another user's
 * folder) opens for viewing: status, export to another folder and serve work,
 * nothing is written into it; a workspace path that is a file says so. As root
 * (permissions do not bind root) the commands run as user `nobody`.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameTiff, put, timingPath } from '../helpers/acquisition.js';
import { ensureCliBuilt, runCli, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/workspace.js';

const CLI_BUNDLE = resolve('dist/main/cli.js');
const tmp = tempDir('pf-readonly-');
const asRoot = process.getuid?.() === 0;
beforeAll(async () => {
  await ensureCliBuilt();
  chmodSync(tmp.dir, 0o755);
});
afterAll(() => {
  chmodSync(tmp.dir, 0o755);
  tmp.cleanup();
});

/** Runs the built CLI as a user who cannot write the workspace (nobody, when the tests run as root). */
function runReader(args: string[], onOutput?: (stdout: string, kill: () => void) => void): Promise<CliResult> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(CLI_BUNDLE)}); process.exitCode = await main(process.argv.slice(1));`, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    env: { ...process.env, HOME: '/tmp' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    onOutput?.(stdout, () => child.kill('SIGTERM'));
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((done) => child.on('close', (code, signal) => done({ code, signal, stdout, stderr })));
}

function listing(dir: string): string[] {
  return readdirSync(dir).map((n) => `${n} ${statSync(join(dir, n)).size} ${statSync(join(dir, n)).mtimeMs}`).sort();
}

describe('read-only workspace', () => {
  it('status, export to another folder and serve work without writing the workspace; processing is refused clearly', async () => {
    const acq = join(tmp.dir, 'acq');
    const ws = join(tmp.dir, 'ws');
    for (let t = 1; t <= 3; t++) put(acq, timingPath(1, 1, t), frameTiff(t));
    expect((await runCli(['ingest', acq, '--workspace', ws, '--stable-ms', '0'])).code).toBe(0);
    for (const name of readdirSync(ws)) chmodSync(join(ws, name), 0o444);
    chmodSync(ws, 0o555);
    chmodSync(acq, 0o755);
    const before = listing(ws);

    const status = await runReader(['status', ws, '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ frames: 3 });
    expect(status.stderr).toMatch(/workspace .* is read-only: reading a snapshot of its database/);

    const out = join(tmp.dir, 'out');
    mkdirSync(out, { mode: 0o777 });
    chmodSync(out, 0o777);
    const exported = await runReader(['export', ws, join(out, 'dataset'), '--policy', 'everything', '--json']);
    expect(exported.stderr).not.toMatch(/EROFS|EACCES|unable to open/);
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ framesExported: 3 });

    // serve opens it for viewing; watching and processing are off, and it stops on SIGTERM.
    let url = '';
    let decided: { ok: boolean; error?: string } | null = null;
    let overview: { ok: boolean; result?: { totals?: unknown } } | null = null;
    const served = await runReader(['serve', ws, '--acq', acq, '--json'], (stdout, kill) => {
      const m = /"url":"([^"]+)"/.exec(stdout);
      if (m && !url) {
        url = m[1]!;
        const u = new URL(url);
        const post = (command: string, body?: unknown) =>
          fetch(`${u.origin}/api/${command}`, {
            method: 'POST',
            headers: { 'X-PostFocus-Token': u.searchParams.get('token')!, ...(body ? { 'Content-Type': 'application/json' } : {}) },
            ...(body ? { body: JSON.stringify(body) } : {}),
          }).then((r) => r.json());
        void (async () => {
          overview = (await post('getOverview')) as typeof overview;
          decided = (await post('decide', { frameIds: [1], verdict: 'accept', reviewer: 'r' })) as typeof decided;
        })().finally(kill);
      }
    });
    expect(url, served.stderr).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    expect(overview).toMatchObject({ ok: true });
    expect(decided).toMatchObject({ ok: false, error: expect.stringMatching(/is read-only: decisions cannot be saved/) });
    expect(served.code, served.stderr).toBe(0);
    expect(served.stderr).toMatch(/is read-only: reading a snapshot/);

    const processed = await runReader(['ingest', acq, '--workspace', ws]);
    expect(processed.code).toBe(1);
    expect(processed.stderr).toMatch(/workspace .* is not writable .*a read-only workspace can still be viewed/);

    expect(listing(ws)).toEqual(before);
  }, 120_000);

  it('a workspace path that is a file gets "is a file, not a folder"', async () => {
    const file = join(tmp.dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const acq = join(tmp.dir, 'acq-f');
    put(acq, timingPath(1, 1, 1), frameTiff(1));
    for (const args of [['status', file], ['ingest', acq, '--workspace', file], ['watch', acq, '--workspace', file], ['export', file, join(tmp.dir, 'o2')]]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/workspace .*not-a-folder is a file, not a folder/);
    }
  }, 60_000);
});
