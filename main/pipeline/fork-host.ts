/**
 * WorkerHost over child_process.fork: the inference worker under plain Node
 * (CLI, tests, web shell). The Electron shell provides the same interface over
 * utilityProcess (main/electron/).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { findMainBundle } from './bundles.js';
import type { WorkerHost, WorkerHostFactory, WorkerRequest } from '../inference/protocol.js';

/** dist/main/inference-worker.js, found next to the running bundle or from the repository root. */
export function defaultWorkerScript(): string {
  return findMainBundle('inference-worker.js', 'inference worker');
}

export interface ForkHostOptions {
  /** Worker script (default: {@link defaultWorkerScript}). */
  script?: string;
  /** Extra environment for the worker. */
  env?: NodeJS.ProcessEnv;
  /** Node flags for the worker, e.g. ['--max-old-space-size=2048']. */
  execArgv?: string[];
  /** Where the worker's stderr goes (default: inherited). */
  stderr?: 'inherit' | 'ignore' | 'pipe';
}

class ForkHost implements WorkerHost {
  private readonly child: ChildProcess;

  constructor(options: ForkHostOptions) {
    this.child = fork(options.script ?? defaultWorkerScript(), [], {
      env: { ...process.env, ...options.env },
      execArgv: options.execArgv ?? [],
      serialization: 'advanced', // structured clone: typed arrays would survive, big JSON is cheaper
      stdio: ['ignore', 'ignore', options.stderr ?? 'inherit', 'ipc'],
      // Own process group: a Ctrl-C in the terminal reaches the station, which stops the
      // worker in order, instead of killing it mid-job (a counted failed try). The worker
      // exits by itself when the station's IPC channel closes, even if the station is killed.
      detached: true,
    });
    // A send to a worker that just died must not crash the station.
    this.child.on('error', () => undefined);
  }

  get pid(): number | null {
    return this.child.pid ?? null;
  }

  postMessage(message: WorkerRequest): void {
    if (this.child.connected) this.child.send(message);
  }

  onMessage(callback: (message: unknown) => void): void {
    this.child.on('message', callback);
  }

  onExit(callback: (code: number | null, signal: string | null) => void): void {
    this.child.once('exit', (code, signal) => callback(code, signal));
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** A factory of forked workers, for `new Pipeline({ hostFactory })`. */
export function forkHostFactory(options: ForkHostOptions = {}): WorkerHostFactory {
  return () => new ForkHost(options);
}
