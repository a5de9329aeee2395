/**
 * One WorkerHost over two inference worker processes: classification runs in
 * one, restoration in the other at a lower CPU priority (a higher niceness).
 *
 * ONNX Runtime runs a network synchronously on the worker's JavaScript thread,
 * so inside a single worker a restoration step (about a second for a 281² frame
 * and five ensemble members) holds back every classification behind it, and
 * "classification first" gating starves restoration while frames keep coming.
 * With two processes the operating system shares the cores: a classification
 * that wakes up preempts restoration (priority), and restoration keeps every
 * cycle classification leaves, plus its weighted share while classification is
 * saturated (niceness 10: weight 110 against 1024 on Linux, about a tenth of
 * the contended CPU) — never only "when idle".
 *
 * Linux weighs sessions (autogroups) against each other before the threads in
 * them, and a detached worker leads its own session, so its thread niceness
 * alone would not yield to classification. There the restoration worker's
 * session is reniced only while a classification job is in flight, and back to
 * 0 when none is: restoration yields to classification, not to every other
 * program on the machine. Elsewhere (no autogroups, a shared session) the
 * worker's static thread niceness does the work.
 *
 * Classification itself can run in several processes (`classifyWorkers`, one
 * intra-op thread each on two cores): ONNX Runtime's Node binding runs the
 * network on the calling JavaScript thread, so in one process TIFF decoding,
 * standardisation and the focus metrics wait for the network and the network
 * for them. Two single-threaded processes overlap them and spend no CPU on
 * intra-op synchronisation (bench:classify measures both).
 *
 * The pipeline keeps seeing one worker: init goes to every process (each loads
 * only the models of its role) and their `ready` answers are merged
 * (classification capability and model from the classification processes, the
 * restorers from the restoration process); a classify request goes
 * to the classification process with the fewest jobs in flight; restore and
 * cancel requests to the restoration process; shutdown to all. If any process
 * ends, the others are stopped and the pool reports one exit (the pipeline
 * restarts the pool as it restarts a single worker); jobs in flight in any
 * process fail as crashed, and the exit names those whose own process was
 * healthy (collateral), so the pipeline does not count them as tries of their
 * frames: a frame that kills its process must not use up the tries of frames
 * that happened to be in flight beside it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { ReadyResponse, WorkerExitDetail, WorkerHost, WorkerHostFactory, WorkerRequest } from '../inference/protocol.js';

/** Niceness of the restoration process: classification preempts it; it still gets ~10% of contended CPU. */
export const RESTORE_NICENESS = 10;

/** Classification processes the station runs by default: two where there are two cores or more (see the module comment). */
export function defaultClassifyWorkers(cores = availableParallelism()): number {
  return cores >= 2 ? 2 : 1;
}

function sideOf(message: WorkerRequest): 'classify' | 'restore' | 'all' {
  switch (message.type) {
    case 'classify':
      return 'classify';
    case 'restore':
    case 'cancel':
      return 'restore';
    default:
      return 'all';
  }
}

/**
 * Sets the autogroup niceness of process `pid` (Linux), or null where that does
 * not apply: no autogroup scheduling, or `pid` shares a session with others
 * (renicing it would renice them too). Raising a session's niceness and
 * bringing it back to 0 needs no privilege.
 */
export function autogroupControl(pid: number | null): ((niceness: number) => void) | null {
  if (process.platform !== 'linux' || !pid) return null;
  try {
    if (readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() !== '1') return null;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]) !== pid) return null;
  } catch {
    return null;
  }
  let current: number | null = null;
  return (niceness) => {
    if (niceness === current) return;
    try {
      writeFileSync(`/proc/${pid}/autogroup`, String(niceness));
      current = niceness;
    } catch {
      // The process just ended: its exit is handled elsewhere.
    }
  };
}

export interface WorkerPoolOptions {
  /** Classification processes (at least 1). */
  classifyWorkers: number;
  /**
   * Restoration in a process of its own at this niceness (0: the station's priority);
   * null: restoration requests go to the first classification process (no restoration,
   * or priorities turned off).
   */
  restoreNiceness: number | null;
}

class WorkerPool implements WorkerHost {
  private readonly classifiers: WorkerHost[] = [];
  /** The restoration process, or null when the first classification process restores. */
  private readonly restorer: WorkerHost | null = null;
  private listener: ((message: unknown) => void) | null = null;
  private exitListener: ((code: number | null, signal: string | null, detail?: WorkerExitDetail) => void) | null = null;
  /** Pending init: `ready` answers by process until every process has answered. */
  private readonly readies = new Map<number, Map<WorkerHost, ReadyResponse>>();
  private readonly exited = new Set<WorkerHost>();
  private firstExit: { code: number | null; signal: string | null; detail: WorkerExitDetail } | null = null;
  private reported = false;
  /** Classification jobs sent and not answered, by job id → the process running it. */
  private readonly classifying = new Map<number, WorkerHost>();
  /** Restoration jobs sent to the restoring process and not answered. */
  private readonly restoringJobs = new Set<number>();
  /** Renices the restoration worker's session (set once every worker is ready), null where not applicable. */
  private renice: ((niceness: number) => void) | null = null;

  constructor(factory: WorkerHostFactory, private readonly options: WorkerPoolOptions) {
    const all: WorkerHost[] = [];
    try {
      for (let i = 0; i < Math.max(1, options.classifyWorkers); i++) {
        const h = factory();
        all.push(h);
        this.classifiers.push(h);
      }
      if (options.restoreNiceness !== null) {
        this.restorer = factory();
        all.push(this.restorer);
      }
    } catch (err) {
      for (const h of all) h.kill(); // no orphan when a later process cannot be started
      throw err;
    }
    for (const h of all) {
      h.onMessage((m) => this.receive(h, m));
      h.onExit((code, signal) => this.onExitOf(h, code, signal));
    }
  }

  private get hosts(): WorkerHost[] {
    return this.restorer ? [...this.classifiers, this.restorer] : this.classifiers;
  }

  private get restoring(): WorkerHost {
    return this.restorer ?? this.classifiers[0]!;
  }

  get pid(): number | null {
    return this.classifiers[0]!.pid;
  }

  /** Process ids of every worker (benchmarks read their CPU time). */
  get pids(): (number | null)[] {
    return this.hosts.map((h) => h.pid);
  }

  postMessage(message: WorkerRequest): void {
    const side = sideOf(message);
    if (side === 'all') {
      if (message.type === 'init') {
        this.readies.set(message.id, new Map());
        // One intra-op thread share per classification process unless the station named a count.
        const n = this.classifiers.length;
        const classifyInit = n > 1 && !message.threads ? { ...message, threads: Math.max(1, Math.floor(availableParallelism() / n)) } : message;
        // Each process loads only the models of its role; without a restoration process the first
        // classification process restores too.
        this.classifiers.forEach((h, i) => h.postMessage({ ...classifyInit, role: i === 0 && !this.restorer ? 'all' : 'classify' }));
        this.restorer?.postMessage({ ...message, role: 'restore', ...(this.options.restoreNiceness ? { niceness: this.options.restoreNiceness } : {}) });
        return;
      }
      for (const h of this.hosts) h.postMessage(message);
      return;
    }
    if (message.type === 'classify') {
      const counts = new Map(this.classifiers.map((h) => [h, 0]));
      for (const h of this.classifying.values()) counts.set(h, (counts.get(h) ?? 0) + 1);
      const target = this.classifiers.reduce((best, h) => (counts.get(h)! < counts.get(best)! ? h : best));
      this.classifying.set(message.id, target);
      this.renice?.(this.options.restoreNiceness ?? 0);
      target.postMessage(message);
      return;
    }
    if (message.type === 'restore') this.restoringJobs.add(message.id);
    this.restoring.postMessage(message);
  }

  onMessage(callback: (message: unknown) => void): void {
    this.listener = callback;
  }

  onExit(callback: (code: number | null, signal: string | null, detail?: WorkerExitDetail) => void): void {
    this.exitListener = callback;
  }

  kill(): void {
    for (const h of this.hosts) h.kill();
  }

  private receive(from: WorkerHost, raw: unknown): void {
    const m = raw as { type?: unknown; id?: unknown; message?: unknown } | null;
    const id = typeof m?.id === 'number' ? m.id : null;
    if (id !== null && m?.type === 'ready' && this.readies.has(id)) {
      const got = this.readies.get(id)!;
      got.set(from, raw as ReadyResponse);
      if (got.size < this.hosts.length) return;
      this.readies.delete(id);
      // Every process runs by now (a detached fork has made its own session).
      if (this.restorer && this.options.restoreNiceness) this.renice = autogroupControl(this.restorer.pid);
      return this.listener?.(mergeReady(this.classifiers.map((h) => got.get(h)!), got.get(this.restoring)!));
    }
    if (id !== null && m?.type === 'error' && this.readies.has(id)) {
      this.readies.delete(id); // an init that failed in any process fails the pool
      return this.listener?.(raw);
    }
    if (id !== null && this.classifying.get(id) === from) {
      this.classifying.delete(id);
      if (this.classifying.size === 0) this.renice?.(0);
    }
    if (id !== null && from === this.restoring && (m?.type === 'restored' || m?.type === 'error')) this.restoringJobs.delete(id);
    if (from === this.restorer && m?.type === 'log') return this.listener?.({ ...m, message: `restoration worker: ${String(m.message ?? '')}` });
    this.listener?.(raw);
  }

  private onExitOf(host: WorkerHost, code: number | null, signal: string | null): void {
    this.exited.add(host);
    if (!this.firstExit) {
      // Jobs of the other processes, stopped only because this one ended.
      const collateralJobIds = [...this.classifying].filter(([, h]) => h !== host).map(([id]) => id);
      if (host !== this.restoring) collateralJobIds.push(...this.restoringJobs);
      this.firstExit = { code, signal, detail: { collateralJobIds } };
      for (const h of this.hosts) if (h !== host) h.kill();
    }
    if (this.exited.size === this.hosts.length && !this.reported) {
      this.reported = true; // once, even when later exits arrive inside the kills above
      this.exitListener?.(this.firstExit.code, this.firstExit.signal, this.firstExit.detail);
    }
  }
}

/**
 * The pool's `ready`: classification from the classification processes (on only
 * if every one of them can), restoration from the process that restores.
 */
function mergeReady(classifiers: ReadyResponse[], restorer: ReadyResponse): ReadyResponse {
  const first = classifiers[0]!;
  return {
    ...first,
    capabilities: { classify: classifiers.every((c) => c.capabilities.classify), restore: restorer.capabilities.restore },
    models: [...first.models.filter((m) => m.kind === 'classifier'), ...restorer.models.filter((m) => m.kind !== 'classifier')],
    problems: [...first.problems.filter((p) => p.kind === 'classifier'), ...restorer.problems.filter((p) => p.kind !== 'classifier')],
  };
}

/**
 * A factory of worker pools over any single-worker factory (child_process.fork,
 * Electron's utilityProcess). One classification process and no restoration
 * process is the single worker itself.
 */
export function workerPoolFactory(factory: WorkerHostFactory, options: WorkerPoolOptions): WorkerHostFactory {
  if (options.classifyWorkers <= 1 && options.restoreNiceness === null) return factory;
  return () => new WorkerPool(factory, options);
}
