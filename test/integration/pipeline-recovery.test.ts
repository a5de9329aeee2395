import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { forkHostFactory } from '../../main/pipeline/fork-host.js';
import { describe, expect, it } from 'vitest';
import { closeDb, openWorkspaceDb } from '../../main/store/database.js';
import { INTERRUPTED_MESSAGE } from '../../main/store/queries/work.js';
import { FIXTURE_MODELS } from '../unit/inference/helpers.js';
import { type Harness, harnessesClosedAfterEach, ingest, makePipeline, rows, startedPipeline, tempDir, writeAcquisition } from './pipeline-helpers.js';

const open = harnessesClosedAfterEach();

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type AttemptRow = { frame_id: number; kind: string; outcome: string | null; error: string | null };

describe('pipeline recovery', () => {
  it('restarts a worker killed (SIGKILL) during a restoration, completes the job and records one retry', async () => {
    const acq = writeAcquisition(tempDir('acq'), { wells: 1, T: 4, size: 32, oof: (_w, t) => t === 2 });
    // Many steps make the restoration long enough to be killed mid-way.
    const h = await startedPipeline(open, acq.root, { restore: { sampler: 'ddim', steps: 400, eta: 0, ensemble: 2 } });
    const openRestore = () => rows(h.db, "SELECT id FROM attempt WHERE kind = 'restore' AND finished_at IS NULL").length === 1;
    await until(() => openRestore() && rows(h.db, "SELECT id FROM frame WHERE state = 'pending'").length === 0, 'a restoration in flight');
    const pid = h.pipeline.engineStatus().workerPid!;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await until(() => h.pipeline.engineStatus().workerPid !== null && h.pipeline.engineStatus().workerPid !== pid, 'a new worker', 30_000);
    await h.pipeline.whenIdle();

    const attempts = rows<AttemptRow>(h.db, "SELECT frame_id, kind, outcome, error FROM attempt WHERE kind = 'restore' ORDER BY id");
    expect(attempts.map((a) => a.outcome)).toEqual(['crash', 'ok']);
    expect(attempts[0]!.error).toMatch(/SIGKILL/);
    expect(rows(h.db, 'SELECT frame_id FROM restoration')).toHaveLength(1);
    expect(rows<{ state: string }>(h.db, 'SELECT state FROM frame WHERE id = ?', attempts[0]!.frame_id)[0]!.state).toBe('restored');
    expect(h.log.some((l) => /killed by SIGKILL/.test(l))).toBe(true);
    expect(h.log.some((l) => /restarting the inference worker/.test(l))).toBe(true);
  });

  it('records a failure after 3 tries (frame.state = failed + error_log) and goes on with the rest', async () => {
    const acq = writeAcquisition(tempDir('acq'), { wells: 1, T: 3, oof: () => false });
    const h = makePipeline(tempDir('ws'));
    open.push(h);
    await ingest(acq.root, h.db);
    // Point one frame at a file that does not exist: every try fails.
    h.db.prepare("UPDATE frame SET path = 'B001/images/crops_8bit_s/imgNo1CH0/gone_t2.tif' WHERE t = 2").run();
    await h.pipeline.start();
    await h.pipeline.whenIdle();
    const frame = rows<{ id: number; state: string }>(h.db, 'SELECT id, state FROM frame WHERE t = 2')[0]!;
    expect(frame.state).toBe('failed');
    const attempts = rows<AttemptRow>(h.db, 'SELECT frame_id, kind, outcome, error FROM attempt WHERE frame_id = ?', frame.id);
    expect(attempts.map((a) => a.outcome)).toEqual(['error', 'error', 'error']);
    const errors = rows<{ source: string; path: string; message: string }>(h.db, 'SELECT source, path, message FROM error_log WHERE frame_id = ?', frame.id);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.source).toBe('classify');
    expect(errors[0]!.message).toMatch(/failed 3 times.*gone_t2\.tif/);
    expect(rows(h.db, "SELECT id FROM frame WHERE state = 'in_focus'")).toHaveLength(2);
  });

  it('a worker that dies on every job: frames fail after 3 crashes each, then the pipeline stops restarting it', async () => {
    // A real child process speaking the protocol: ready at init, exits on any job.
    const script = join(tempDir('crashy'), 'crashy-worker.mjs');
    writeFileSync(script, `process.on('message', (m) => {
      if (m.type === 'init') process.send({ type: 'ready', id: m.id, pid: process.pid, provider: 'cpu', models: [], problems: [], capabilities: { classify: true, restore: false } });
      else process.exit(9);
    });`);
    // Enough frames that they cannot all use up their tries before the 8th restart, however many
    // jobs each crash takes down (every job in flight in the pool fails with it).
    const acq = writeAcquisition(tempDir('acq'), { wells: 1, T: 16, oof: () => false });
    const h = await startedPipeline(open, acq.root, { hostFactory: forkHostFactory({ script }), restartBackoffMs: 5 });
    await h.pipeline.whenIdle();
    expect(h.pipeline.engineStatus().disabledReason).toMatch(/exit code 9; gave up after 8 restarts without progress/);
    const failed = rows<{ id: number }>(h.db, "SELECT id FROM frame WHERE state = 'failed'");
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) {
      // The first crash took down a whole batch: not counted against its frames, which then went alone.
      const a = rows<AttemptRow>(h.db, 'SELECT frame_id, kind, outcome, error FROM attempt WHERE frame_id = ?', f.id);
      const counted = a.filter((x) => !x.error?.startsWith('batch failed'));
      expect(counted.map((x) => x.outcome)).toEqual(['crash', 'crash', 'crash']);
    }
    expect(rows(h.db, 'SELECT id FROM attempt WHERE finished_at IS NULL')).toHaveLength(0);
  });

  it('a `postfocus process` killed mid-run resumes on restart: nothing lost, nothing done twice', async () => {
    const acq = writeAcquisition(tempDir('acq'), { wells: 3, T: 8, size: 48 });
    const ws = tempDir('ws');
    const cli = 'bin/postfocus.js';
    const args = [cli, 'process', acq.root, '--workspace', ws, '--models', FIXTURE_MODELS, '--sampler', 'ddim', '--steps', '40', '--ensemble', '4', '--threads', '1', '--json', '--quiet'];
    const first = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let firstErr = '';
    first.stderr.on('data', (d) => (firstErr += d));
    const firstExit = new Promise<void>((resolve) => first.once('exit', () => resolve()));
    const db = openWorkspaceDb(ws);
    try {
      await until(() => {
        if (first.exitCode !== null) throw new Error(`process ended before it could be killed: ${firstErr}`);
        try {
          // Killed with a job in flight, so the restart has an interrupted attempt to close.
          return rows(db, 'SELECT id FROM restoration').length >= 2 && rows(db, 'SELECT id FROM attempt WHERE finished_at IS NULL').length > 0;
        } catch {
          return false; // tables not created yet
        }
      }, 'two restorations and a job in flight before the kill');
      first.kill('SIGKILL');
      await firstExit;
      const before = {
        classified: rows<{ id: number; created_at: string }>(db, 'SELECT id, created_at FROM classification ORDER BY id'),
        restored: rows<{ id: number; frame_id: number; created_at: string }>(db, 'SELECT id, frame_id, created_at FROM restoration ORDER BY id'),
      };
      const restoredBefore = before.restored.length;
      expect(restoredBefore).toBeGreaterThanOrEqual(2);
      const oofTotal = [...acq.truth.values()].filter(Boolean).length;
      expect(restoredBefore).toBeLessThan(oofTotal);

      const second = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      second.stdout.on('data', (d) => (out += d));
      second.stderr.on('data', (d) => (err += d));
      const code = await new Promise<number | null>((resolve) => second.once('exit', (c) => resolve(c)));
      expect({ code, err }).toEqual({ code: 0, err: expect.any(String) });
      const summary = JSON.parse(out);
      expect(summary.frames.frames).toBe(24);
      expect(summary.frames.pending).toBe(0);
      expect(summary.frames.restored).toBe(oofTotal);

      // Work finished before the kill is untouched ...
      const after = rows<{ id: number; created_at: string }>(db, 'SELECT id, created_at FROM classification ORDER BY id');
      expect(after.slice(0, before.classified.length)).toEqual(before.classified);
      const restoredAfter = rows<{ id: number; frame_id: number; created_at: string }>(db, 'SELECT id, frame_id, created_at FROM restoration ORDER BY id');
      expect(restoredAfter.slice(0, restoredBefore)).toEqual(before.restored);
      expect(restoredAfter).toHaveLength(oofTotal);
      // ... every unit of work succeeded exactly once ...
      const ok = rows<{ frame_id: number; kind: string; n: number }>(db, "SELECT frame_id, kind, count(*) AS n FROM attempt WHERE outcome = 'ok' GROUP BY frame_id, kind");
      expect(ok.filter((r) => r.n !== 1)).toEqual([]);
      expect(ok.filter((r) => r.kind === 'classify')).toHaveLength(24);
      expect(ok.filter((r) => r.kind === 'restore')).toHaveLength(oofTotal);
      expect(ok.filter((r) => r.kind === 'reclassify')).toHaveLength(oofTotal);
      // ... and the only other attempts are those the kill interrupted.
      const other = rows<AttemptRow>(db, "SELECT frame_id, kind, outcome, error FROM attempt WHERE outcome IS NOT 'ok'");
      expect(other.length).toBeGreaterThan(0);
      for (const a of other) expect([a.outcome, a.error]).toEqual(['crash', INTERRUPTED_MESSAGE]);
    } finally {
      closeDb(db);
      if (first.exitCode === null) first.kill('SIGKILL');
    }
  });
});
