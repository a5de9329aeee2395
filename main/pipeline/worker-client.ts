/**
 * Request/response client over a WorkerHost: each request gets a job id and a
 * promise; a crashed worker rejects every job in flight with WorkerCrashedError,
 * a malformed message is reported and ignored.
 */
import {
  PROTOCOL_VERSION,
  ProtocolError,
  parseWorkerResponse,
  responseId,
  type ClassifiedResponse,
  type ClassifyItem,
  type InitRequest,
  type ReadyResponse,
  type RestoredResponse,
  type RestoreRequest,
  type WorkerHost,
  type WorkerHostFactory,
  type WorkerRequest,
  type WorkerResponse,
} from '../inference/protocol.js';

/**
 * The worker process ended while the job was in flight. `collateral`: the job's
 * own process was healthy and was stopped because another process of its pool
 * ended — the job says nothing about its frame.
 */
export class WorkerCrashedError extends Error {
  constructor(
    readonly code: number | null,
    readonly signal: string | null,
    readonly collateral = false,
  ) {
    super(
      collateral
        ? `stopped because another inference worker process exited (${signal ? `signal ${signal}` : `code ${code}`})`
        : `inference worker exited (${signal ? `signal ${signal}` : `code ${code}`}) during the job`,
    );
  }
}

/** The worker answered the job with an error (bad input, model failure, ...). */
export class WorkerJobError extends Error {}

/** The worker gave no answer to the job within its time limit. */
export class WorkerTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the inference worker gave no answer within ${Math.round(timeoutMs / 1000)} s`);
  }
}

/** Per-request options: a time limit (ms; 0 or omitted: none). */
export interface SendOptions {
  timeoutMs?: number;
  /**
   * Asked when the limit is reached: true gives the job another `timeoutMs`
   * (the worker is answering other work the job rightly waits behind).
   */
  extendWhile?: () => boolean;
}

type Pending = { resolve: (r: WorkerResponse) => void; reject: (e: Error) => void };
type RequestBody =
  | Omit<InitRequest, 'id'>
  | { type: 'classify'; items: ClassifyItem[] }
  | Omit<RestoreRequest, 'id'>
  | { type: 'cancel'; jobId: number }
  | { type: 'shutdown' };

export interface WorkerClientEvents {
  onLog?: (level: string, message: string) => void;
  onExit?: (code: number | null, signal: string | null) => void;
}

export class WorkerClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exitInfo: { code: number | null; signal: string | null } | null = null;
  private killed = false;
  private readonly exited: Promise<void>;

  constructor(
    private readonly host: WorkerHost,
    private readonly events: WorkerClientEvents = {},
  ) {
    let markExited!: () => void;
    this.exited = new Promise((resolve) => (markExited = resolve));
    host.onMessage((raw) => this.receive(raw));
    host.onExit((code, signal, detail) => {
      this.exitInfo = { code, signal };
      const collateral = new Set(detail?.collateralJobIds ?? []);
      for (const [id, p] of [...this.pending]) p.reject(new WorkerCrashedError(code, signal, collateral.has(id)));
      this.pending.clear();
      markExited();
      events.onExit?.(code, signal);
    });
  }

  /** Starts a worker and initialises it; resolves with its `ready` report. */
  static async start(
    factory: WorkerHostFactory,
    init: Omit<InitRequest, 'type' | 'id' | 'protocol'>,
    events: WorkerClientEvents = {},
  ): Promise<{ client: WorkerClient; ready: ReadyResponse }> {
    const client = new WorkerClient(factory(), events);
    try {
      const ready = await client.send({ type: 'init', protocol: PROTOCOL_VERSION, ...init });
      if (ready.type !== 'ready') throw new ProtocolError(`worker answered init with ${ready.type}`);
      return { client, ready };
    } catch (err) {
      client.kill();
      throw err;
    }
  }

  get pid(): number | null {
    return this.host.pid;
  }

  /** Process ids of every worker process behind this client. */
  get pids(): number[] {
    return (this.host.pids ?? [this.host.pid]).filter((p): p is number => p !== null);
  }

  /** False once the process exited or was killed (a killed worker takes no new job while it dies). */
  get alive(): boolean {
    return this.exitInfo === null && !this.killed;
  }

  async classify(items: ClassifyItem[], options: SendOptions = {}): Promise<ClassifiedResponse> {
    const r = await this.send({ type: 'classify', items }, undefined, options);
    if (r.type !== 'classified') throw new ProtocolError(`worker answered classify with ${r.type}`);
    return r;
  }

  /** Restores a frame; aborting `signal` asks the worker to abandon the job (it then fails as cancelled). */
  async restore(req: Omit<RestoreRequest, 'id' | 'type'>, signal?: AbortSignal, options: SendOptions = {}): Promise<RestoredResponse> {
    const r = await this.send(
      { type: 'restore', ...req },
      (jobId) => {
        if (!signal) return;
        const cancel = () => void this.send({ type: 'cancel', jobId }).catch(() => undefined);
        if (signal.aborted) cancel();
        else signal.addEventListener('abort', cancel, { once: true });
      },
      options,
    );
    if (r.type !== 'restored') throw new ProtocolError(`worker answered restore with ${r.type}`);
    return r;
  }

  /** Asks the worker to exit; kills it if it has not within `timeoutMs`. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    if (!this.alive) return;
    const timer = setTimeout(() => this.kill(), timeoutMs);
    this.send({ type: 'shutdown' }).catch(() => undefined);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.killed = true;
    this.host.kill();
  }

  /** Resolves when the worker process has exited. */
  whenExited(): Promise<void> {
    return this.exited;
  }

  private send(body: RequestBody, onId?: (id: number) => void, options: SendOptions = {}): Promise<WorkerResponse> {
    const timeoutMs = options.timeoutMs ?? 0;
    if (!this.alive) return Promise.reject(new WorkerCrashedError(this.exitInfo?.code ?? null, this.exitInfo?.signal ?? 'SIGKILL'));
    const id = this.nextId++;
    onId?.(id);
    return new Promise<WorkerResponse>((resolve, reject) => {
      let timer: NodeJS.Timeout | null = null;
      const settle = () => {
        if (timer) clearTimeout(timer);
        this.pending.delete(id);
      };
      this.pending.set(id, {
        resolve: (r) => (settle(), resolve(r)),
        reject: (e) => (settle(), reject(e)),
      });
      // An answer that never comes (a message lost, a worker stuck in a loop) must not hold the job forever.
      const expire = () => {
        if (options.extendWhile?.()) timer = setTimeout(expire, timeoutMs);
        else this.pending.get(id)?.reject(new WorkerTimeoutError(timeoutMs));
      };
      if (timeoutMs > 0) timer = setTimeout(expire, timeoutMs);
      try {
        this.host.postMessage({ ...body, id } as WorkerRequest);
      } catch (err) {
        this.pending.get(id)?.reject(err as Error);
      }
    });
  }

  private receive(raw: unknown): void {
    let msg: WorkerResponse;
    try {
      msg = parseWorkerResponse(raw);
    } catch (err) {
      const message = `invalid message from the inference worker: ${(err as Error).message}`;
      this.events.onLog?.('error', message);
      // A malformed answer to a job fails that job (it is retried), instead of leaving it waiting forever.
      const id = responseId(raw);
      const p = id === null ? undefined : this.pending.get(id);
      if (p) p.reject(new ProtocolError(message));
      return;
    }
    if (msg.type === 'log') {
      this.events.onLog?.(msg.level, msg.message);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.type === 'error') p.reject(new WorkerJobError(msg.message));
    else p.resolve(msg);
  }
}
