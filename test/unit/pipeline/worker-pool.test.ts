import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { ModelStatus } from '../../../main/common/domain.js';
import type { ReadyResponse, WorkerExitDetail, WorkerHost, WorkerRequest } from '../../../main/inference/protocol.js';
import { autogroupControl, defaultClassifyWorkers, workerPoolFactory } from '../../../main/pipeline/worker-pool.js';

/** An in-memory worker process: records what it receives; the test answers and ends it. */
class FakeProcess implements WorkerHost {
  readonly received: WorkerRequest[] = [];
  killed = false;
  private message: (m: unknown) => void = () => undefined;
  private exit: (code: number | null, signal: string | null) => void = () => undefined;
  constructor(readonly pid: number) {}
  postMessage(m: WorkerRequest): void {
    this.received.push(m);
  }
  onMessage(cb: (m: unknown) => void): void {
    this.message = cb;
  }
  onExit(cb: (code: number | null, signal: string | null) => void): void {
    this.exit = cb;
  }
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    this.exit(null, 'SIGKILL');
  }
  answer(m: unknown): void {
    this.message(m);
  }
  die(code: number): void {
    this.exit(code, null);
  }
}

function ready(id: number, pid: number, caps: { classify: boolean; restore: boolean }, problems: ReadyResponse['problems'] = []): ReadyResponse {
  return { type: 'ready', id, pid, provider: 'cpu', models: [], capabilities: caps, problems };
}

/** Pids no real process has (above Linux's pid_max): the autogroup control finds nothing to renice. */
const FAKE_PID = 2_000_000_000;

function pool(niceness: number | null = 10, classifyWorkers = 1) {
  const made: FakeProcess[] = [];
  const host = workerPoolFactory(() => {
    const p = new FakeProcess(FAKE_PID + made.length);
    made.push(p);
    return p;
  }, { classifyWorkers, restoreNiceness: niceness })();
  const got: unknown[] = [];
  const exits: [number | null, string | null][] = [];
  const details: (WorkerExitDetail | undefined)[] = [];
  host.onMessage((m) => got.push(m));
  host.onExit((c, s, d) => {
    exits.push([c, s]);
    details.push(d);
  });
  return { host, made, classify: made[0]!, restore: made[1]!, got, exits, details };
}

function pair(niceness = 10) {
  return pool(niceness);
}

const init: WorkerRequest = { type: 'init', id: 1, protocol: 1, modelsDir: '/m', workspace: '/w' };

describe('worker pool: classification and restoration in separate processes', () => {
  it('sends init to both, the restoration process with its niceness, and merges their ready answers', () => {
    const { host, classify, restore, got } = pair(10);
    host.postMessage(init);
    expect(classify.received).toEqual([{ ...init, role: 'classify' }]);
    expect(restore.received).toEqual([{ ...init, role: 'restore', niceness: 10 }]);
    classify.answer(ready(1, FAKE_PID, { classify: true, restore: true }));
    expect(got).toEqual([]); // waits for its twin
    restore.answer(ready(1, FAKE_PID + 1, { classify: true, restore: false }, [{ kind: 'ddpm', file: 'ddpm.onnx', message: 'bad hash' }]));
    expect(got).toEqual([ready(1, FAKE_PID, { classify: true, restore: false }, [{ kind: 'ddpm', file: 'ddpm.onnx', message: 'bad hash' }])]);
    expect(host.pid).toBe(FAKE_PID);
  });

  it('reports the classifier as the classification process loaded it and the restorers as the restoration process did', () => {
    const { host, classify, restore, got } = pair();
    host.postMessage(init);
    const model = (kind: ModelStatus['kind']): ModelStatus => ({ id: kind, kind, sha256: 'x', loaded: true, error: null });
    classify.answer({ ...ready(1, FAKE_PID, { classify: true, restore: false }), models: [model('classifier')] });
    restore.answer({ ...ready(1, FAKE_PID + 1, { classify: false, restore: true }), models: [model('ddpm'), model('unet')] });
    expect((got[0] as ReadyResponse).models.map((m) => m.kind)).toEqual(['classifier', 'ddpm', 'unet']);
    expect((got[0] as ReadyResponse).capabilities).toEqual({ classify: true, restore: true });
  });

  it('an init error from either process fails the pair', () => {
    const { host, restore, got } = pair();
    host.postMessage(init);
    restore.answer({ type: 'error', id: 1, message: 'init.protocol must be 1' });
    expect(got).toEqual([{ type: 'error', id: 1, message: 'init.protocol must be 1' }]);
  });

  it('routes classify to the first process, restore and cancel to the second, shutdown to both', () => {
    const { host, classify, restore, got } = pair();
    const c: WorkerRequest = { type: 'classify', id: 2, items: [{ frameId: 1, path: '/a.tif', page: 0, target: 'original' }] };
    const r: WorkerRequest = { type: 'restore', id: 3, frameId: 1, path: '/a.tif', page: 0, options: { sampler: 'ddim', steps: 5, eta: 0, ensemble: 1, seeds: [1] } };
    host.postMessage(c);
    host.postMessage(r);
    host.postMessage({ type: 'cancel', id: 4, jobId: 3 });
    host.postMessage({ type: 'shutdown', id: 5 });
    expect(classify.received.map((m) => m.id)).toEqual([2, 5]);
    expect(restore.received.map((m) => m.id)).toEqual([3, 4, 5]);
    restore.answer({ type: 'log', level: 'info', message: 'step 1' });
    expect(got).toEqual([{ type: 'log', level: 'info', message: 'restoration worker: step 1' }]);
  });

  it('when either process ends the other is stopped and the pair reports one exit with the first cause', () => {
    const { classify, restore, exits } = pair();
    restore.die(70);
    expect(classify.killed).toBe(true);
    expect(exits).toEqual([[70, null]]);
  });

  it('stops the first process when the second cannot be started', () => {
    const first = new FakeProcess(FAKE_PID);
    let n = 0;
    const factory = workerPoolFactory(() => {
      if (n++ === 0) return first;
      throw new Error('cannot fork');
    }, { classifyWorkers: 1, restoreNiceness: 10 });
    expect(() => factory()).toThrow(/cannot fork/);
    expect(first.killed).toBe(true);
  });

  it('niceness 0 leaves the restoration process at normal priority', () => {
    const { host, restore } = pair(0);
    host.postMessage(init);
    expect(restore.received).toEqual([{ ...init, role: 'restore' }]);
  });
});

describe('worker pool: several classification processes', () => {
  const classify = (id: number): WorkerRequest => ({ type: 'classify', id, items: [{ frameId: id, path: `/${id}.tif`, page: 0, target: 'original' }] });

  it('gives each classification process a share of the cores unless the station named a thread count', () => {
    const { host, made } = pool(10, 2);
    host.postMessage(init);
    const share = Math.max(1, Math.floor(availableParallelism() / 2));
    expect(made[0]!.received).toEqual([{ ...init, threads: share, role: 'classify' }]);
    expect(made[1]!.received).toEqual([{ ...init, threads: share, role: 'classify' }]);
    expect(made[2]!.received).toEqual([{ ...init, role: 'restore', niceness: 10 }]);
    const { host: named, made: m2 } = pool(10, 2);
    named.postMessage({ ...init, threads: 3 });
    expect(m2[0]!.received).toEqual([{ ...init, threads: 3, role: 'classify' }]);
    // Without a restoration process the first classification process restores too: it loads every model.
    const { host: alone, made: m3 } = pool(null, 2);
    alone.postMessage(init);
    expect(m3.map((p) => (p.received[0] as { role?: string }).role)).toEqual(['all', 'classify']);
  });

  it('answers ready once every process has, classification on only where every classifier can', () => {
    const { host, made, got } = pool(10, 2);
    host.postMessage(init);
    made[0]!.answer(ready(1, FAKE_PID, { classify: true, restore: true }));
    made[2]!.answer(ready(1, FAKE_PID + 2, { classify: true, restore: true }));
    expect(got).toEqual([]);
    made[1]!.answer(ready(1, FAKE_PID + 1, { classify: false, restore: true }));
    expect(got).toEqual([ready(1, FAKE_PID, { classify: false, restore: true })]);
    expect(host.pids).toEqual([FAKE_PID, FAKE_PID + 1, FAKE_PID + 2]);
  });

  it('sends each classify job to the process with the fewest jobs in flight', () => {
    const { host, made } = pool(10, 2);
    for (const id of [10, 11, 12]) host.postMessage(classify(id));
    expect(made[0]!.received.map((m) => m.id)).toEqual([10, 12]);
    expect(made[1]!.received.map((m) => m.id)).toEqual([11]);
    made[1]!.answer({ type: 'classified', id: 11, modelId: 'c', modelSha256: 'x', results: [] });
    host.postMessage(classify(13));
    expect(made[1]!.received.map((m) => m.id)).toEqual([11, 13]);
    // An answer with another process's job id does not free a slot of this one.
    made[1]!.answer({ type: 'classified', id: 10, modelId: 'c', modelSha256: 'x', results: [] });
    host.postMessage(classify(14));
    expect(made[1]!.received.map((m) => m.id)).toEqual([11, 13, 14]);
  });

  it('without a restoration process, restore requests go to the first classifier and one process is the plain worker', () => {
    const { host, made } = pool(null, 2);
    expect(made).toHaveLength(2);
    host.postMessage({ type: 'restore', id: 3, frameId: 1, path: '/a.tif', page: 0, options: { sampler: 'ddim', steps: 5, eta: 0, ensemble: 1, seeds: [1] } });
    expect(made[0]!.received.map((m) => m.id)).toEqual([3]);
    const single = new FakeProcess(FAKE_PID);
    expect(workerPoolFactory(() => single, { classifyWorkers: 1, restoreNiceness: null })()).toBe(single);
  });

  it('when any process ends every other one is stopped and the pool reports one exit', () => {
    const { made, exits } = pool(10, 2);
    made[1]!.die(3);
    expect(made[0]!.killed && made[2]!.killed).toBe(true);
    expect(exits).toEqual([[3, null]]);
  });

  it("names the jobs stopped only because another process ended (collateral), not the dead process's own", () => {
    const restore = (id: number): WorkerRequest => ({ type: 'restore', id, frameId: id, path: '/a.tif', page: 0, options: { sampler: 'ddim', steps: 5, eta: 0, ensemble: 1, seeds: [1] } });
    const { host, made, details } = pool(10, 2);
    for (const id of [10, 11, 12, 13]) host.postMessage(classify(id)); // 10, 12 → process 0; 11, 13 → process 1
    host.postMessage(restore(20));
    host.postMessage(restore(21));
    made[2]!.answer({ type: 'error', id: 21, message: 'bad frame' }); // answered: no longer in flight
    made[1]!.answer({ type: 'classified', id: 13, modelId: 'c', modelSha256: 'x', results: [] });
    made[0]!.die(70);
    expect(details).toEqual([{ collateralJobIds: [11, 20] }]);

    const second = pool(10, 2);
    for (const id of [10, 11]) second.host.postMessage(classify(id));
    second.host.postMessage(restore(20));
    second.made[2]!.die(137); // the restoration process: both classification jobs were healthy
    expect(second.details).toEqual([{ collateralJobIds: [10, 11] }]);
  });

  it('defaults to two classification processes on two cores or more', () => {
    expect(defaultClassifyWorkers(1)).toBe(1);
    expect(defaultClassifyWorkers(2)).toBe(2);
    expect(defaultClassifyWorkers(16)).toBe(2);
  });
});

const autogroups = process.platform === 'linux' && existsSync('/proc/sys/kernel/sched_autogroup_enabled') && readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';

describe.skipIf(!autogroups)('autogroup control (Linux with autogroup scheduling)', () => {
  it('renices the session of a process that leads its own session, and back to 0', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { detached: true, stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300)); // until the child has made its session
      const renice = autogroupControl(child.pid!);
      expect(renice).not.toBeNull();
      const nice = () => readFileSync(`/proc/${child.pid}/autogroup`, 'utf8').trim().split(' nice ')[1];
      renice!(10);
      expect(nice()).toBe('10');
      renice!(0);
      expect(nice()).toBe('0');
    } finally {
      child.kill('SIGKILL');
    }
  });
  it('leaves alone a process that shares its session (renicing it would renice the others) and a missing one', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(autogroupControl(child.pid!)).toBeNull();
    } finally {
      child.kill('SIGKILL');
    }
    expect(autogroupControl(FAKE_PID)).toBeNull();
  });
});
