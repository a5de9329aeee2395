// `postfocus status` and the watch command's signal handling, as real processes.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../main/store/database.js';
import { frameTiff, put, timingPath } from '../helpers/acquisition.js';
import { ensureCliBuilt, runCli, spawnCli } from '../helpers/cli.js';
import { brokenTiff } from '../helpers/tiff-fixtures.mjs';
import { tempDir } from '../helpers/workspace.js';

const tmp = tempDir('pf-status-');
beforeAll(() => ensureCliBuilt());
afterAll(() => tmp.cleanup());

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('postfocus status', () => {
  it('says clearly when there is no workspace', async () => {
    const r = await runCli(['status', join(tmp.dir, 'nowhere')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no workspace at .*nowhere \(no postfocus\.sqlite\); create one with `postfocus ingest/);
    expect((await runCli(['status'])).code).toBe(2);
  });

  it('reports runs, states and errors while `watch` runs, and watch closes the workspace on SIGINT', async () => {
    const acq = join(tmp.dir, 'acq');
    const ws = join(tmp.dir, 'ws');
    mkdirSync(acq);
    for (let t = 1; t <= 4; t++) put(acq, timingPath(1, 1, t), frameTiff(t));
    put(acq, timingPath(1, 2, 1), brokenTiff('strip-beyond-end', 1));
    put(acq, 'B1/readme.md', '# run notes');
    const watcher = spawnCli(['watch', acq, '--workspace', ws, '--settle-ms', '500', '--json']);
    try {
      let report: Record<string, unknown> = {};
      await until('status to show 4 frames and 1 error', async () => {
        const r = await runCli(['status', ws, '--json']);
        if (r.code !== 0) return false;
        report = JSON.parse(r.stdout);
        return report.frames === 4 && report.errors === 1;
      });
      expect(report).toMatchObject({
        frames: 4,
        errors: 1,
        wells: 1,
        states: { pending: 4, in_focus: 0, oof: 0, restored: 0, failed: 0 },
        runs: [{ layout: 'timing', wells: 1, frames: 4, ignoredFiles: 1, errors: 1, states: { pending: 4 } }],
      });
      const errors = report.recentErrors as { path: string; message: string; source: string }[];
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ source: 'ingest', path: timingPath(1, 2, 1) });
      expect(errors[0]!.message).toMatch(/truncated TIFF: page 0 strip 0 ends at byte \d+, beyond the end of the file/);

      const human = await runCli(['status', ws]);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/4 frame\(s\) in 1 nanowell\(s\), 1 error\(s\)/);
      expect(human.stdout).toMatch(/layout timing, 1 nanowell\(s\), 4 frame\(s\), 1 ignored file\(s\), 1 error\(s\)/);
      expect(human.stdout).toMatch(/pending 4, in_focus 0/);
      expect(human.stdout).toMatch(/\[ingest\] B1\/images\/crops_8bit_s\/imgNo002CH0\/imgNo002CH0_t1\.tif: truncated TIFF/);
    } finally {
      watcher.child.kill('SIGINT');
    }
    const done = await watcher.exited;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toMatch(/stopped on SIGINT; workspace closed/);
    expect(JSON.parse(done.stdout)).toMatchObject({ state: 'stopped', layout: 'timing', counters: { ingested: 4, errors: 1, ignored: 1 } });
    // A cleanly closed WAL database leaves no -wal file behind.
    expect(existsSync(join(ws, `${DATABASE_FILE}-wal`))).toBe(false);
  });
});
