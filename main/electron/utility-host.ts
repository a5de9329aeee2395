/**
 * WorkerHost over Electron's utilityProcess: the inference worker runs in a
 * Node-enabled utility process, off the main process (DESIGN.md). Same
 * protocol as the child_process.fork host used under plain Node.
 */
import { utilityProcess, type UtilityProcess } from 'electron';
import type { WorkerHost, WorkerHostFactory, WorkerRequest } from '../inference/protocol.js';

export interface UtilityHostOptions {
  /** dist/main/inference-worker.js (unpacked from the asar in a packaged app). */
  script: string;
  /** Extra environment (e.g. ONNX Runtime threads). */
  env?: NodeJS.ProcessEnv;
  log?: (message: string) => void;
}

class UtilityHost implements WorkerHost {
  private readonly child: UtilityProcess;
  private exited = false;

  constructor(private readonly options: UtilityHostOptions) {
    this.child = utilityProcess.fork(options.script, [], {
      serviceName: 'PostFocus inference',
      env: { ...process.env, ...options.env },
      stdio: 'inherit',
    });
    this.child.once('exit', () => (this.exited = true));
    this.child.on('error', (type, location) => options.log?.(`inference worker ${this.pid ?? '?'} error: ${type} at ${location}`));
  }

  get pid(): number | null {
    return this.child.pid ?? null;
  }

  postMessage(message: WorkerRequest): void {
    if (!this.exited) this.child.postMessage(message);
  }

  onMessage(callback: (message: unknown) => void): void {
    this.child.on('message', callback);
  }

  onExit(callback: (code: number | null, signal: string | null) => void): void {
    // utilityProcess reports only a code; a crash shows as a non-zero code.
    this.child.once('exit', (code) => callback(code, null));
  }

  kill(): void {
    if (!this.exited) this.child.kill();
  }
}

/** A factory of utility-process workers, for the pipeline's `hostFactory`. */
export function utilityHostFactory(options: UtilityHostOptions): WorkerHostFactory {
  return () => new UtilityHost(options);
}
