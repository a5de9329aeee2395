/**
 * A frame can fail; the station cannot. The pipeline against a real child
 * process that misbehaves on purpose (test/fixtures/workers/misbehaving-worker.mjs):
 * a NaN p(OOF), a job that never gets an answer, a batch that fails as a whole,
 * a worker stuck while the station stops. Real acquisition files, real SQLite.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forkHostFactory } from '../../main/pipeline/fork-host.js';
import { type Harness, harnessesClosedAfterEach, ingest, makePipeline, rows, tempDir, writeAcquisition } from './pipeline-helpers.js';

const SCRIPT = resolve('test/fixtures/workers/misbehaving-worker.mjs');

const open = harnessesClosedAfterEach();

type AttemptRow = { frame_id: number; outcome: string | null; error: string | null };

async function harness(env: Record<string, string>, extra: Parameters<typeof makePipeline>[1] = {}): Promise<Harness> {
  const acq = writeAcquisition(tempDir('acq'), { wells: 2, T: 4, size: 24, oof: () => false });
  const h = makePipeline(tempDir('ws'), { hostFactory: forkHostFactory({ script: SCRIPT, env }), restartBackoffMs: 5, ...extra });
  open.push(h);
  await ingest(acq.root, h.db);
  return h;
}

/** A harness whose pipeline has started and done all the work it could. */
async function idleHarness(env: Record<string, string>): Promise<Harness> {
  const h = await harness(env);
  await h.pipeline.start();
  await h.pipeline.whenIdle();
  return h;
}

const stateOf = (h: Harness, id: number) => rows<{ state: string }>(h.db, 'SELECT state FROM frame WHERE id = ?', id)[0]!.state;

describe('pipeline reliability against a misbehaving worker', () => {
  it('a NaN p(OOF) fails that frame alone, with the reason in its error row; the rest of the batch is classified', async () => {
    const h = await idleHarness({ MISBEHAVE: 'nan', BAD_FRAMES: '3' });
    expect(stateOf(h, 3)).toBe('failed');
    expect(rows(h.db, "SELECT id FROM frame WHERE state = 'in_focus'")).toHaveLength(7);
    const errors = rows<{ source: string; message: string }>(h.db, 'SELECT source, message FROM error_log WHERE frame_id = 3');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.source).toBe('classify');
    expect(errors[0]!.message).toMatch(/invalid result: .*pOof must be a number in \[0, 1\], got NaN/);
    expect(rows(h.db, 'SELECT id FROM attempt WHERE finished_at IS NULL')).toHaveLength(0);
  });

  it('a restoration answered with a NaN spread fails that frame after its tries, with the reason; nothing waits forever', async () => {
    const h = await idleHarness({ MISBEHAVE: 'nan-restore', BAD_FRAMES: '2' });
    expect(stateOf(h, 2)).toBe('failed');
    const tries = rows<AttemptRow>(h.db, "SELECT frame_id, outcome, error FROM attempt WHERE kind = 'restore'");
    expect(tries.map((a) => a.outcome)).toEqual(['error', 'error', 'error']);
    for (const a of tries) expect(a.error).toMatch(/invalid message from the inference worker: restored.spreadMean must be a number/);
    expect(rows(h.db, "SELECT id FROM frame WHERE state = 'in_focus'")).toHaveLength(7);
    expect(rows(h.db, 'SELECT id FROM restoration')).toHaveLength(0);
  });

  it('a job that never gets an answer times out, the stuck worker is replaced and every frame is classified without a counted failure', async () => {
    const marker = join(tempDir('marker'), 'silent');
    const h = await harness({ MISBEHAVE: 'silent-once', SILENT_MARKER: marker }, { classifyTimeoutMs: 1500 });
    await h.pipeline.start();
    await h.pipeline.whenIdle();
    expect(rows(h.db, "SELECT id FROM frame WHERE state = 'in_focus'")).toHaveLength(8);
    const failedTries = rows<AttemptRow>(h.db, "SELECT frame_id, outcome, error FROM attempt WHERE outcome != 'ok'");
    // The unanswered batch: one uncounted attempt per frame, naming the time limit.
    expect(failedTries).toHaveLength(8);
    for (const a of failedTries) expect(a.error).toMatch(/^batch failed \(8 frames\): the inference worker gave no answer within 2 s; retrying each frame alone/);
    expect(h.log.some((l) => /gave no answer to the classify of 8 frame\(s\) in time: restarting it/.test(l))).toBe(true);
  });

  it('a batch that fails as a whole is retried frame by frame: only the bad frame spends its tries', async () => {
    const h = await idleHarness({ MISBEHAVE: 'fail-batch', BAD_FRAMES: '5' });
    expect(stateOf(h, 5)).toBe('failed');
    expect(rows(h.db, "SELECT id FROM frame WHERE state = 'in_focus'")).toHaveLength(7);
    for (let id = 1; id <= 8; id++) {
      const a = rows<AttemptRow>(h.db, 'SELECT frame_id, outcome, error FROM attempt WHERE frame_id = ? ORDER BY id', id);
      expect(a[0]!.error, `frame ${id}`).toMatch(/^batch failed \(8 frames\): session run failed/);
      if (id === 5) expect(a.slice(1).map((x) => x.outcome)).toEqual(['error', 'error', 'error']);
      else expect(a.slice(1).map((x) => x.outcome), `frame ${id}`).toEqual(['ok']);
    }
    expect(rows<{ message: string }>(h.db, 'SELECT message FROM error_log WHERE frame_id = 5')[0]!.message).toMatch(/classify failed 3 times; last error: session run failed/);
  });

  it('a frame that kills its classification process spends only its own tries: jobs stopped in the other process are collateral, not counted', async () => {
    // 24 frames in batches of 4, two jobs in flight per process: the first four batches go out at once, the
    // first (the newest frames, frame 24 among them) to the first process, which dies 50 ms later, while the
    // other process holds two batches (answered after 300 ms).
    const acq = writeAcquisition(tempDir('acq'), { wells: 4, T: 6, size: 24, oof: () => false });
    const h = makePipeline(tempDir('ws'), {
      hostFactory: forkHostFactory({ script: SCRIPT, env: { MISBEHAVE: 'crash', BAD_FRAMES: '24' } }),
      classifyWorkers: 2,
      classifyBatch: 4,
      noRestore: true,
      restartBackoffMs: 5,
    });
    open.push(h);
    await ingest(acq.root, h.db);
    await h.pipeline.start();
    await h.pipeline.whenIdle();
    expect(stateOf(h, 24)).toBe('failed');
    expect(rows(h.db, "SELECT id FROM frame WHERE state = 'in_focus'")).toHaveLength(23);
    const tries = rows<AttemptRow>(h.db, "SELECT frame_id, outcome, error FROM attempt WHERE outcome = 'crash' ORDER BY id");
    const collateral = tries.filter((a) => a.error?.startsWith('collateral: stopped because another inference worker process exited (code 70)'));
    expect(collateral).toHaveLength(8);
    // Frame 24 spent its 3 tries alone; no other frame has a counted failure.
    expect(tries.filter((a) => a.frame_id === 24 && a.error?.startsWith('inference worker exited'))).toHaveLength(3);
    for (const a of tries.filter((x) => x.frame_id !== 24)) expect(a.error, `frame ${a.frame_id}`).toMatch(/^(collateral|batch failed)/);
  });

  it('stop() returns while the worker is stuck on a job; the attempt ends as cancelled, not as a failed try', async () => {
    const h = await harness({ MISBEHAVE: 'hang' }, { stopGraceMs: 300 });
    await h.pipeline.start();
    const end = Date.now() + 20_000;
    while (rows(h.db, 'SELECT id FROM attempt WHERE finished_at IS NULL').length === 0) {
      if (Date.now() > end) throw new Error('no classify job started');
      await new Promise((r) => setTimeout(r, 20));
    }
    await h.pipeline.stop();
    const attempts = rows<AttemptRow>(h.db, 'SELECT frame_id, outcome, error FROM attempt');
    expect(attempts).toHaveLength(8);
    for (const a of attempts) expect(a.error).toMatch(/^cancelled: the station stopped during the job/);
    expect(rows(h.db, "SELECT id FROM frame WHERE state = 'pending'")).toHaveLength(8);
    expect(h.log.some((l) => /did not finish in time: stopping the inference worker/.test(l))).toBe(true);
  });
});
