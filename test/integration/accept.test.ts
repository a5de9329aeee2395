/**
 * The command-line walk-through ends in a meaningful export: an export before
 * any review says why it is empty (exit 3 and a hint); `postfocus accept` (the
 * app's bulk rule) decides exactly the previewed frames; the export after it
 * holds the accepted restorations. `--json` failures print one JSON document.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, openWorkspaceDb } from '../../main/store/database.js';
import { createTestWorkspace, type TestWorkspace } from '../helpers/export/workspace.js';

const cli = join(process.cwd(), 'bin', 'postfocus.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

let root: string;
let ws: TestWorkspace;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pf-accept-'));
  // Every frame out of focus and restored (restorations re-classified at p = 0.12, spread 0.012): nothing is curated before review.
  ws = createTestWorkspace(root, {
    wells: [
      { block: '1', well: 'imgNo1', frames: [1, 2, 3].map((t) => ({ t, kind: 'oof' as const, restored: true })) },
      { block: '1', well: 'imgNo2', frames: [1, 2].map((t) => ({ t, kind: 'oof' as const, restored: true })) },
    ],
  });
  closeDb(ws.db);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('postfocus accept and the export hint', () => {
  it('an export before any review is empty, exits 3 and says why', () => {
    const r = run('export', ws.workspace, join(root, 'before'), '--json');
    expect(r.status, r.stderr).toBe(3);
    const out = JSON.parse(r.stdout) as { framesExported: number; hint: string };
    expect(out.framesExported).toBe(0);
    expect(out.hint).toMatch(/5 out-of-focus frames left out because no reviewer decided/);
    expect(r.stderr).toMatch(/hint: .*postfocus accept/);
  });

  it('--dry-run counts, accept decides the previewed frames with the reviewer and the rule', () => {
    const dry = run('accept', ws.workspace, '--dry-run', '--json');
    expect(dry.status, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, previewed: 5, accepted: 0 });
    const strict = run('accept', ws.workspace, '--reviewer', 'ana', '--max-p-oof-after', '0.1', '--json');
    expect(JSON.parse(strict.stdout)).toMatchObject({ previewed: 0, accepted: 0 });
    const r = run('accept', ws.workspace, '--reviewer', 'ana', '--note', 'walk-through');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/accepted 5 restored frame\(s\) as ana/);
    const db = openWorkspaceDb(ws.workspace, { readonly: true });
    try {
      const rows = db.prepare('SELECT frame_id AS frameId, verdict, reviewer, note, rule FROM decision ORDER BY id').all() as {
        frameId: number; verdict: string; reviewer: string; note: string; rule: string;
      }[];
      expect(rows.map((r) => r.frameId).sort((a, b) => a - b)).toEqual([...ws.frameIds.values()].sort((a, b) => a - b));
      for (const r of rows) {
        expect(r).toMatchObject({ verdict: 'accept', reviewer: 'ana', note: 'walk-through' });
        expect(JSON.parse(r.rule)).toEqual({ maxPOofAfter: 0.2, maxSpread: 0.05, undecidedOnly: true });
      }
    } finally {
      closeDb(db);
    }
    const again = run('accept', ws.workspace, '--reviewer', 'ana', '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ previewed: 0, accepted: 0 });
  });

  it('the export after review holds the accepted restorations, exit 0, no hint', () => {
    const r = run('export', ws.workspace, join(root, 'after'), '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { framesExported: number; hint?: string };
    expect(out.framesExported).toBe(5);
    expect(out.hint).toBeUndefined();
    expect(r.stderr).not.toMatch(/hint:/);
  });

  it('accept refuses without a reviewer; --json failures print one JSON error document on stdout', () => {
    const noName = run('accept', ws.workspace, '--json');
    expect(noName.status).toBe(2);
    expect(JSON.parse(noName.stdout)).toEqual({ ok: false, command: 'accept', error: { kind: 'usage', message: expect.stringMatching(/--reviewer/), exitCode: 2 } });
    const missing = run('export', join(root, 'no-such-workspace'), join(root, 'x'), '--json');
    expect(missing.status).toBe(1);
    const doc = JSON.parse(missing.stdout) as { ok: boolean; error: { kind: string; message: string } };
    expect(doc).toMatchObject({ ok: false, command: 'export', error: { kind: 'failure', exitCode: 1 } });
    expect(doc.error.message).toMatch(/not a PostFocus workspace/);
    expect(missing.stdout.trim().split('\n')).toHaveLength(1);
    // A command that fails by its exit status (not by throwing) gets the document too, with what it said.
    const status = run('status', join(root, 'no-such-workspace'), '--json');
    expect(status.status).not.toBe(0);
    const said = JSON.parse(status.stdout) as { ok: boolean; command: string; error: { message: string; exitCode: number } };
    expect(said).toMatchObject({ ok: false, command: 'status', error: { exitCode: status.status } });
    expect(said.error.message).toContain('no-such-workspace');
  });
});
