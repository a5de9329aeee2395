/**
 * A small pool of worker threads running simulation tasks (tasks.ts), so
 * simulation uses every core and never blocks the calling thread's event loop.
 *
 * Workers load the same esbuild bundle the caller runs from (import.meta.url of
 * a bundled module is the bundle file): a CLI bundle is entered through its
 * exported `main([command])`, whose command module calls
 * serveSimulationWorker() when it finds itself in a pool worker; a bundle
 * without `main` (the benchmark) checks isSimulationWorker() at top level.
 * With threads ≤ 1, or when running from TypeScript sources (tests), tasks run
 * in-process on the calling thread instead.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { TaskRunner, transferables, type SimResult, type SimTask } from '../tasks.js';

const WORKER_FLAG = 'postfocusSimulationWorker';

interface WorkerBoot {
  [WORKER_FLAG]: true;
  entryUrl: string;
  command?: string;
}

/** True inside a simulation pool worker thread. */
export function isSimulationWorker(): boolean {
  return !isMainThread && !!workerData && (workerData as Record<string, unknown>)[WORKER_FLAG] === true;
}

/**
 * For a command whose bundle is also the pool's worker script: in a worker thread,
 * serves the pool's tasks and resolves true once the pool closes; in the main
 * thread, resolves false at once (the command runs).
 */
export async function servedAsSimulationWorker(): Promise<boolean> {
  if (!isSimulationWorker()) return false;
  await serveSimulationWorker();
  return true;
}

/** Serves tasks from the pool until the pool closes the port. */
let serving: Promise<void> | undefined;

export function serveSimulationWorker(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('serveSimulationWorker: not in a worker thread');
  // Idempotent: a second call (e.g. a bundle entered twice) must not answer each task twice.
  serving ??= serve(port);
  return serving;
}

function serve(port: NonNullable<typeof parentPort>): Promise<void> {
  const runner = new TaskRunner();
  return new Promise((resolve) => {
    port.on('message', (msg: { id: number; task: SimTask }) => {
      try {
        const result = runner.run(msg.task);
        port.postMessage({ id: msg.id, result }, transferables(result));
      } catch (err) {
        port.postMessage({ id: msg.id, error: err instanceof Error ? err.stack ?? err.message : String(err) });
      }
    });
    port.once('close', () => resolve());
  });
}

const BOOT = `
const { workerData } = require('node:worker_threads');
import(workerData.entryUrl)
  .then((m) => (workerData.command && typeof m.main === 'function' ? m.main([workerData.command]) : undefined))
  .catch((err) => { console.error(err); process.exit(1); });
`;

export interface PoolOptions {
  /** Worker threads; ≤ 1 runs tasks in-process. */
  threads: number;
  /** URL of the bundle to load in workers (the caller's import.meta.url). */
  entryUrl: string;
  /** CLI command whose module serves workers (bundles entered through `main`). */
  command?: string;
}

interface Pending {
  task: SimTask;
  resolve: (r: SimResult) => void;
  reject: (e: Error) => void;
}

export class SimulationPool {
  readonly threads: number;
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly inFlight = new Map<number, Pending>();
  private readonly byWorker = new Map<Worker, number>();
  private readonly local: TaskRunner | undefined;
  private nextId = 1;
  private failed: Error | undefined;
  private closing = false;

  constructor(options: PoolOptions) {
    const fromSource = options.entryUrl.endsWith('.ts');
    this.threads = fromSource ? 1 : Math.max(1, Math.floor(options.threads));
    if (this.threads <= 1) {
      this.local = new TaskRunner();
      return;
    }
    const boot: WorkerBoot = { [WORKER_FLAG]: true, entryUrl: options.entryUrl };
    if (options.command) boot.command = options.command;
    for (let i = 0; i < this.threads; i++) {
      const w = new Worker(BOOT, { eval: true, workerData: boot });
      w.on('message', (msg: { id: number; result?: SimResult; error?: string }) => this.onMessage(w, msg));
      w.on('error', (err) => this.fail(err));
      w.on('exit', (code) => {
        if (code !== 0 && !this.closing) this.fail(new Error(`simulation worker exited with code ${code}`));
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /** Runs a task; resolves with its result. Order of completion is not guaranteed. */
  run(task: SimTask): Promise<SimResult> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.local) {
      try {
        return Promise.resolve(this.local.run(task));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const p = this.queue.shift()!;
      const id = this.nextId++;
      this.inFlight.set(id, p);
      this.byWorker.set(w, id);
      w.postMessage({ id, task: p.task });
    }
  }

  private onMessage(w: Worker, msg: { id: number; result?: SimResult; error?: string }): void {
    const p = this.inFlight.get(msg.id);
    this.inFlight.delete(msg.id);
    this.byWorker.delete(w);
    this.idle.push(w);
    if (p) {
      if (msg.error !== undefined) p.reject(new Error(`simulation task failed: ${msg.error}`));
      else p.resolve(msg.result!);
    }
    this.dispatch();
  }

  private fail(err: Error): void {
    this.failed ??= err;
    for (const p of [...this.inFlight.values(), ...this.queue]) p.reject(err);
    this.inFlight.clear();
    this.queue.length = 0;
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Default thread count: every core, at most `cap`. */
export function defaultThreads(cap = 2): number {
  return Math.max(1, Math.min(cap, availableParallelism()));
}
