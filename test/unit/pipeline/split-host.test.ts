import { describe, expect, it } from 'vitest';
import type { ReadyResponse, WorkerHost, WorkerRequest } from '../../../main/inference/protocol.js';
import { splitHostFactory } from '../../../main/pipeline/split-host.js';

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

function pair(niceness = 10) {
  const made: FakeProcess[] = [];
  const host = splitHostFactory(() => {
    const p = new FakeProcess(100 + made.length);
    made.push(p);
    return p;
  }, niceness)();
  const got: unknown[] = [];
  const exits: [number | null, string | null][] = [];
  host.onMessage((m) => got.push(m));
  host.onExit((c, s) => exits.push([c, s]));
  return { host, classify: made[0]!, restore: made[1]!, got, exits };
}

const init: WorkerRequest = { type: 'init', id: 1, protocol: 1, modelsDir: '/m', workspace: '/w' };

describe('split worker host (classification and restoration in two processes)', () => {
  it('sends init to both, the restoration process with its niceness, and merges their ready answers', () => {
    const { host, classify, restore, got } = pair(10);
    host.postMessage(init);
    expect(classify.received).toEqual([init]);
    expect(restore.received).toEqual([{ ...init, niceness: 10 }]);
    classify.answer(ready(1, 100, { classify: true, restore: true }));
    expect(got).toEqual([]); // waits for its twin
    restore.answer(ready(1, 101, { classify: true, restore: false }, [{ kind: 'ddpm', file: 'ddpm.onnx', message: 'bad hash' }]));
    expect(got).toEqual([ready(1, 100, { classify: true, restore: false }, [{ kind: 'ddpm', file: 'ddpm.onnx', message: 'bad hash' }])]);
    expect(host.pid).toBe(100);
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

  it('niceness 0 leaves the restoration process at normal priority', () => {
    const { host, restore } = pair(0);
    host.postMessage(init);
    expect(restore.received).toEqual([init]);
  });
});
