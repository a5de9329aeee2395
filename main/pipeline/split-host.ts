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
 * The pipeline keeps seeing one worker: init goes to both processes and their
 * `ready` answers are merged (classification capability from the first,
 * restoration from the second); classify requests go to the first; restore and
 * cancel requests to the second; shutdown to both. If either process ends, the
 * other is stopped and the pair reports one exit (the pipeline restarts the
 * pair as it restarts a single worker); jobs in flight in either process fail
 * as crashed, as they did when one process ran both.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { ReadyResponse, WorkerHost, WorkerHostFactory, WorkerRequest } from '../inference/protocol.js';

/** Niceness of the restoration process: classification preempts it; it still gets ~10% of contended CPU. */
export const RESTORE_NICENESS = 10;

type Side = 'classify' | 'restore';

function sideOf(message: WorkerRequest): Side | 'both' {
  switch (message.type) {
    case 'classify':
      return 'classify';
    case 'restore':
    case 'cancel':
      return 'restore';
    default:
      return 'both';
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

class SplitHost implements WorkerHost {
  private readonly hosts: Record<Side, WorkerHost>;
  private listener: ((message: unknown) => void) | null = null;
  private exitListener: ((code: number | null, signal: string | null) => void) | null = null;
  /** Pending init: the first `ready` waits here for its twin. */
  private readonly readies = new Map<number, Partial<Record<Side, ReadyResponse>>>();
  private readonly exited: Partial<Record<Side, { code: number | null; signal: string | null }>> = {};
  private firstExit: { code: number | null; signal: string | null } | null = null;
  private reported = false;
  /** Classification jobs sent and not answered: restoration yields while there are any. */
  private readonly classifying = new Set<number>();
  /** Renices the restoration worker's session (set once both workers are ready), null where not applicable. */
  private renice: ((niceness: number) => void) | null = null;

  constructor(factory: WorkerHostFactory, private readonly niceness: number) {
    const classify = factory();
    let restore: WorkerHost;
    try {
      restore = factory();
    } catch (err) {
      classify.kill(); // no orphan when the second process cannot be started
      throw err;
    }
    this.hosts = { classify, restore };
    for (const side of ['classify', 'restore'] as const) {
      this.hosts[side].onMessage((m) => this.receive(side, m));
      this.hosts[side].onExit((code, signal) => this.onExitOf(side, code, signal));
    }
  }

  get pid(): number | null {
    return this.hosts.classify.pid;
  }

  /** Process ids of both workers (benchmarks read their CPU time). */
  get pids(): Record<Side, number | null> {
    return { classify: this.hosts.classify.pid, restore: this.hosts.restore.pid };
  }

  postMessage(message: WorkerRequest): void {
    const side = sideOf(message);
    if (side === 'both') {
      this.hosts.classify.postMessage(message);
      this.hosts.restore.postMessage(message.type === 'init' && this.niceness ? { ...message, niceness: this.niceness } : message);
      if (message.type === 'init') this.readies.set(message.id, {});
      return;
    }
    if (message.type === 'classify') {
      this.classifying.add(message.id);
      this.renice?.(this.niceness);
    }
    this.hosts[side].postMessage(message);
  }

  onMessage(callback: (message: unknown) => void): void {
    this.listener = callback;
  }

  onExit(callback: (code: number | null, signal: string | null) => void): void {
    this.exitListener = callback;
  }

  kill(): void {
    this.hosts.classify.kill();
    this.hosts.restore.kill();
  }

  private receive(side: Side, raw: unknown): void {
    const m = raw as { type?: unknown; id?: unknown; message?: unknown } | null;
    const id = typeof m?.id === 'number' ? m.id : null;
    if (id !== null && m?.type === 'ready' && this.readies.has(id)) {
      const pair = this.readies.get(id)!;
      pair[side] = raw as ReadyResponse;
      if (!pair.classify || !pair.restore) return;
      this.readies.delete(id);
      // Both processes run by now (a detached fork has made its own session).
      if (this.niceness) this.renice = autogroupControl(this.hosts.restore.pid);
      return this.listener?.(mergeReady(pair.classify, pair.restore));
    }
    if (id !== null && m?.type === 'error' && this.readies.has(id)) {
      this.readies.delete(id); // an init that failed in either process fails the pair
      return this.listener?.(raw);
    }
    if (side === 'classify' && id !== null && this.classifying.delete(id) && this.classifying.size === 0) this.renice?.(0);
    if (side === 'restore' && m?.type === 'log') return this.listener?.({ ...m, message: `restoration worker: ${String(m.message ?? '')}` });
    this.listener?.(raw);
  }

  private onExitOf(side: Side, code: number | null, signal: string | null): void {
    this.exited[side] = { code, signal };
    if (!this.firstExit) {
      this.firstExit = { code, signal };
      this.hosts[side === 'classify' ? 'restore' : 'classify'].kill();
    }
    if (this.exited.classify && this.exited.restore && !this.reported) {
      this.reported = true; // once, even when the second exit arrives inside the kill above
      this.exitListener?.(this.firstExit.code, this.firstExit.signal);
    }
  }
}

/** The pair's `ready`: classification from the first process, restoration from the second. */
function mergeReady(c: ReadyResponse, r: ReadyResponse): ReadyResponse {
  return {
    ...c,
    capabilities: { classify: c.capabilities.classify, restore: r.capabilities.restore },
    problems: [...c.problems.filter((p) => p.kind === 'classifier'), ...r.problems.filter((p) => p.kind !== 'classifier')],
  };
}

/**
 * A factory of worker pairs (classification + restoration process) over any
 * single-worker factory (child_process.fork, Electron's utilityProcess).
 * `niceness` 0 leaves the restoration process at the station's priority.
 */
export function splitHostFactory(factory: WorkerHostFactory, niceness = RESTORE_NICENESS): WorkerHostFactory {
  return () => new SplitHost(factory, niceness);
}
