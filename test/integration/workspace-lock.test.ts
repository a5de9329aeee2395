/** `process` and `watch` refuse a workspace another station is processing, and say who holds it. */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireWorkspaceLock } from '../../main/store/workspace-lock.js';
import { ensureCliBuilt, runCli } from '../helpers/cli.js';

describe('one processing station per workspace (CLI)', () => {
  it('process and watch exit 1 naming the holder; both run once it is released', async () => {
    await ensureCliBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'pf-lock-cli-'));
    const acquisition = join(dir, 'acq');
    const workspace = join(dir, 'ws');
    mkdirSync(acquisition);
    mkdirSync(workspace);
    const lock = acquireWorkspaceLock(workspace, 'station');
    try {
      for (const cmd of ['process', 'watch']) {
        const r = await runCli([cmd, acquisition, '--workspace', workspace, '--quiet']);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain(`postfocus ${cmd}: workspace ${workspace} is in use by another PostFocus station (pid ${process.pid}`);
      }
    } finally {
      lock.release();
    }
    const r = await runCli(['process', acquisition, '--workspace', workspace, '--quiet', '--models', join(dir, 'no-models')]);
    expect(r.stderr).not.toContain('in use by another');
  }, 60_000);
});
