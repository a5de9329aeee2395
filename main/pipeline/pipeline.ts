/**
 * The processing pipeline of the station core: every ingested frame is
 * classified (newest first, in batches), OOF frames are restored at a lower
 * priority, restored frames are re-classified. Work is derived from the
 * database (frame.state + attempt rows), so a restarted station resumes exactly.
 *
 * Two lanes, each with a job in flight at all times while it has work: a
 * classification lane (classify, then re-classify) and a restoration lane
 * (frames that decide a video's usability first, main/pipeline/priority.ts).
 * They run in separate worker processes, restoration at a lower CPU priority
 * (worker-pool.ts): classification is never delayed by restoration, and
 * restoration keeps a share of the CPU while frames keep arriving.
 * A crashed worker is restarted; each unit of work is tried MAX_TRIES times,
 * then the frame is recorded as failed (frame.state = 'failed' + error_log).
 */
import { join } from 'node:path';
import type { EngineStatus, Progress, QueueProgress, StationEvent, UsabilityRule } from '../common/domain.js';
import type { EventBus } from '../common/event-bus.js';
import { DEFAULT_USABILITY } from '../common/usability.js';
import { queueProgress, SlidingRate } from '../common/rate.js';
import type { ReadyResponse, WorkerHostFactory } from '../inference/protocol.js';
import { parseRestoreOptions } from '../inference/protocol.js';
import { frameSeedKey } from '../common/shard.js';
import { ensembleSeeds } from '../inference/samplers/gaussian.js';
import type { Db } from '../store/database.js';
import {
  BATCH_FAILED_PREFIX,
  CANCELLED_PREFIX,
  COLLATERAL_PREFIX,
  classifyWork,
  closeInterruptedAttempts,
  failAttempt,
  failureCount,
  markFrameFailed,
  recordClassification,
  recordModelProblem,
  recordRestoration,
  reclassifyWork,
  restoreWork,
  startAttempts,
  workCounts,
  type AttemptKind,
  type WorkItem,
} from '../store/queries/work.js';
import { CLASSIFY_BATCH, MAX_TRIES, restoreConfig, type RestoreConfig } from './defaults.js';

import { judgeAfterClassification, judgeLeftovers } from './judge.js';
import { listGuards, releaseGuards } from '../store/queries/calibration.js';
import { allRunIds } from '../store/queries/judgements.js';
import { wellUsability, type WellUsability } from './usability-report.js';
import { nextRestoration } from './priority.js';
import { defaultClassifyWorkers, RESTORE_NICENESS, workerPoolFactory } from './worker-pool.js';
import { WorkerClient, WorkerCrashedError, WorkerTimeoutError } from './worker-client.js';

export interface PipelineOptions {
  db: Db;
  /** Workspace folder (derived TIFFs are written under it by the worker). */
  workspace: string;
  events: EventBus;
  /** Folder with manifest.json and the models. */
  modelsDir: string;
  hostFactory: WorkerHostFactory;
  usability?: UsabilityRule;
  restore?: Partial<RestoreConfig>;
  /** Classify only (triage): OOF frames wait for a later run without this. */
  noRestore?: boolean;
  /** The operator confirmed restoration in advance ("restore anyway", e.g. `process --restore-anyway`): a guard that trips is released at once, audited with this name. */
  restoreAnywayBy?: string;
  /**
   * Restoration runs in a second worker process at this CPU niceness, so it never
   * delays classification and is never starved by it (main/pipeline/worker-pool.ts);
   * default {@link RESTORE_NICENESS}. `false`: one worker does both (classification
   * first between restoration steps).
   */
  restoreNiceness?: number | false;
  /** Frames per classification batch (default 32). */
  classifyBatch?: number;
  /** Classification worker processes (default: 2 on two cores or more, worker-pool.ts defaultClassifyWorkers). */
  classifyWorkers?: number;
  /** Tries per unit of work before a frame is failed (default 3). */
  maxTries?: number;
  /** ONNX Runtime intra-op threads in the worker (default: runtime's choice). */
  threads?: number;
  /** Execution providers to try (default: the platform's list). */
  providers?: string[];
  /** First worker-restart delay in ms, doubled per consecutive crash up to 10 s (default 100). */
  restartBackoffMs?: number;
  /** Diagnostics (worker logs, restarts); default: stderr. */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /**
   * Time limits (ms) of one classification batch and of one restoration. A job
   * without an answer by then fails (its try counts) and the worker, presumably
   * stuck, is restarted. Defaults: {@link CLASSIFY_TIMEOUT_MS}, {@link RESTORE_TIMEOUT_MS}.
   */
  classifyTimeoutMs?: number;
  restoreTimeoutMs?: number;
  /** How long `stop()` lets jobs in flight finish before it stops the worker (ms, default 3000). */
  stopGraceMs?: number;
}

/** Default time limit of a classification batch: generous for 32 large frames on a slow CPU. */
export const CLASSIFY_TIMEOUT_MS = 5 * 60_000;
/** Default time limit of one restoration (a long sampler on a large frame on a CPU). */
export const RESTORE_TIMEOUT_MS = 20 * 60_000;
/** Message of attempts ended by an orderly stop (not counted as failed tries). */
const STOPPED_MESSAGE = `${CANCELLED_PREFIX}: the station stopped during the job`;

/**
 * Worker exits in a row without any job completing before the pipeline stops
 * restarting it (a frame that kills the worker fails after MAX_TRIES crashes,
 * far below this).
 */
const MAX_CONSECUTIVE_CRASHES = 8;

/**
 * Classification batches in flight per classification process: each starts its
 * next batch while the station records the last one (one at a time left the
 * worker idle for that long after every batch).
 */
const CLASSIFY_IN_FLIGHT_PER_WORKER = 2;

export class Pipeline {
  private readonly db: Db;
  private readonly events: EventBus;
  private readonly rule: UsabilityRule;
  private readonly restoreConfig: RestoreConfig;
  private readonly maxTries: number;
  private readonly classifyBatch: number;
  private readonly classifyWorkers: number;
  private readonly log: NonNullable<PipelineOptions['log']>;

  private client: WorkerClient | null = null;
  private ready: ReadyResponse | null = null;
  private started = false;
  private stopping = false;
  private paused = false;
  /** Classification jobs in flight (up to CLASSIFY_IN_FLIGHT: the next batch waits in the worker while this process records the last). */
  private readonly classifyJobs = new Set<Promise<void>>();
  private restoreJob: { promise: Promise<void>; abort: AbortController } | null = null;
  private starting: Promise<void> | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private consecutiveCrashes = 0;
  private idleWaiters: (() => void)[] = [];
  private progressTimer: NodeJS.Timeout | null = null;
  private readonly rates = { classify: new SlidingRate(), restore: new SlidingRate(), ingest: new SlidingRate() };
  private lastFrameCount = 0;
  private lastExit: string | null = null;
  /** Set after MAX_CONSECUTIVE_CRASHES exits without a completed job: no more restarts. */
  private gaveUp = false;
  /** Classification answers received so far (a restoration waiting behind them is not stuck). */
  private classifiedSince = 0;
  /** Frames of a batch that failed as a whole: each is classified alone until it succeeds or fails for good. */
  private readonly alone = new Set<number>();
  /** A frame that failed before is being classified with nothing else in flight. */
  private suspectInFlight = false;

  constructor(private readonly options: PipelineOptions) {
    this.db = options.db;
    this.events = options.events;
    this.rule = options.usability ?? DEFAULT_USABILITY;
    this.restoreConfig = restoreConfig(options.restore);
    // Validate the configuration the same way the worker validates a request.
    parseRestoreOptions({ ...this.restoreConfig, seeds: ensembleSeeds(1, this.restoreConfig.ensemble) }, 'restore');
    this.maxTries = options.maxTries ?? MAX_TRIES;
    this.classifyBatch = options.classifyBatch ?? CLASSIFY_BATCH;
    this.classifyWorkers = Math.max(1, options.classifyWorkers ?? defaultClassifyWorkers());
    this.log = options.log ?? ((level, message) => console.error(`[pipeline ${level}] ${message}`));
  }

  /**
   * Closes attempts a previous process left open, starts the worker and begins
   * processing. Rejects if the worker cannot be started at all.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    const interrupted = closeInterruptedAttempts(this.db);
    if (interrupted) this.log('info', `${interrupted} attempt(s) interrupted by the previous stop will be retried`);
    // Runs classified before the guard existed, or left pending by a stop, are judged now.
    const leftovers = judgeLeftovers(this.db, allRunIds(this.db));
    if (leftovers.frames) this.log('info', `${leftovers.frames} classified frame(s) judged that a previous stop left unjudged`);
    for (const g of leftovers.tripped) this.log('warn', `domain guard tripped on run ${g.runId}: ${g.reason}`);
    this.lastFrameCount = workCounts(this.db).frames;
    await this.startWorker();
    this.schedule();
  }

  /** New frames were ingested: look for work. */
  notify(): void {
    const frames = workCounts(this.db).frames;
    if (frames > this.lastFrameCount) this.rates.ingest.add(frames - this.lastFrameCount);
    this.lastFrameCount = frames;
    this.schedule();
    this.emitProgressSoon();
  }

  /** Pauses (no new jobs; jobs in flight finish) or resumes. */
  setPaused(paused: boolean): void {
    this.paused = paused;
    this.emitProgressSoon();
    if (!paused) this.schedule();
    else this.checkIdle();
  }

  /**
   * Cancels the restoration in flight (its frame stays OOF and is restored again
   * when work resumes; a cancellation is not a failed try) and pauses.
   */
  cancel(): void {
    this.setPaused(true);
    this.restoreJob?.abort.abort();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  progress(): { classify: QueueProgress; restore: QueueProgress; paused: boolean } {
    const c = workCounts(this.db);
    return {
      classify: queueProgress(c.frames - c.pending, c.frames, this.rates.classify.perSecond()),
      restore: queueProgress(c.oofOriginal - c.oof, c.oofOriginal, this.rates.restore.perSecond()),
      paused: this.paused,
    };
  }

  /** Full Progress DTO (ingest = frames known to the database). */
  fullProgress(): Progress {
    const p = this.progress();
    const frames = workCounts(this.db).frames;
    return { ingest: queueProgress(frames, frames, this.rates.ingest.perSecond()), classify: p.classify, restore: p.restore, paused: p.paused };
  }

  engineStatus(): EngineStatus {
    const reasons: string[] = [];
    if (this.ready && !this.ready.capabilities.classify) reasons.push(`classification disabled: ${this.problemOf('classifier')}`);
    if (this.ready && !this.ready.capabilities.restore) reasons.push(`restoration disabled: ${this.problemOf('ddpm')}`);
    if (!this.client?.alive && this.lastExit) reasons.push(`inference worker not running (${this.lastExit})`);
    for (const g of listGuards(this.db)) {
      if (g.state === 'tripped') reasons.push(`restoration held by the domain guard (run ${g.runId}): ${g.reason ?? ''}`);
    }
    return {
      provider: this.ready?.provider ?? null,
      models: this.ready?.models ?? [],
      workerPid: this.client?.alive ? this.client.pid : null,
      workerPids: this.client?.alive ? this.client.pids : [],
      acquiring: false,
      disabledReason: reasons.length ? reasons.join('; ') : null,
    };
  }

  /** Per-nanowell OOF fraction and usability before / after restoration. */
  wells(): WellUsability[] {
    return wellUsability(this.db, this.rule);
  }

  /**
   * Resolves when there is no work left that the loaded models can do and no
   * job is in flight (e.g. the CLI's `process` waits for this).
   */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  /** Stops scheduling, lets jobs in flight end (a restoration is cancelled), stops the worker. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.restoreJob?.abort.abort();
    await this.starting?.catch(() => undefined);
    // Jobs in flight get a short grace; a worker that does not answer by then is stopped,
    // so a stop never waits on a stuck job (their attempts end as cancelled, not as failed tries).
    const jobs = Promise.allSettled([...this.classifyJobs, this.restoreJob?.promise].filter(Boolean));
    let grace: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      jobs.then(() => false),
      new Promise<boolean>((r) => (grace = setTimeout(() => r(true), this.options.stopGraceMs ?? 3000))),
    ]);
    clearTimeout(grace);
    if (timedOut) {
      this.log('warn', 'jobs in flight did not finish in time: stopping the inference worker');
      this.client?.kill();
      await jobs;
    }
    await this.client?.shutdown();
    this.client = null;
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.progressTimer = null;
    this.started = false;
    this.emitEngine();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  // ------------------------------------------------------------------ worker

  private problemOf(kind: string): string {
    return this.ready?.problems.find((p) => p.kind === kind)?.message ?? 'model not loaded';
  }

  private startWorker(): Promise<void> {
    const run = async () => {
      const { restoreNiceness = RESTORE_NICENESS, noRestore, hostFactory } = this.options;
      const { client, ready } = await WorkerClient.start(
        workerPoolFactory(hostFactory, { classifyWorkers: this.classifyWorkers, restoreNiceness: noRestore || restoreNiceness === false ? null : restoreNiceness }),
        {
          modelsDir: this.options.modelsDir,
          workspace: this.options.workspace,
          classifyBatch: this.classifyBatch,
          ...(this.options.threads ? { threads: this.options.threads } : {}),
          ...(this.options.providers ? { providers: this.options.providers } : {}),
        },
        {
          onLog: (level, message) => this.log(level === 'info' ? 'info' : level === 'warn' ? 'warn' : 'error', `worker: ${message}`),
          onExit: (code, signal) => this.onWorkerExit(client, code, signal),
        },
      );
      if (this.stopping) {
        await client.shutdown();
        return;
      }
      this.client = client;
      this.ready = ready;
      for (const p of ready.problems) {
        if (recordModelProblem(this.db, p.file, p.message)) this.log('error', p.message);
      }
      this.log('info', `inference worker ${client.pid} ready on ${ready.provider ?? 'no provider'} (classify ${ready.capabilities.classify ? 'on' : 'off'}, restore ${ready.capabilities.restore ? 'on' : 'off'})`);
      this.emitEngine();
    };
    this.starting = run().finally(() => (this.starting = null));
    return this.starting;
  }

  private onWorkerExit(client: WorkerClient, code: number | null, signal: string | null): void {
    if (this.client !== client) return;
    this.client = null;
    this.lastExit = signal ? `killed by ${signal}` : `exit code ${code}`;
    this.emitEngine();
    if (this.stopping) return;
    this.log('warn', `inference worker ${client.pid} ${this.lastExit}`);
    this.scheduleRestart();
  }

  /** Restarts the worker after a back-off that grows with consecutive crashes (0.1 s … 10 s). */
  private scheduleRestart(): void {
    this.consecutiveCrashes++;
    if (this.consecutiveCrashes > MAX_CONSECUTIVE_CRASHES) {
      this.gaveUp = true;
      this.lastExit = `${this.lastExit ?? 'stopped'}; gave up after ${MAX_CONSECUTIVE_CRASHES} restarts without progress`;
      this.log('error', `inference worker ${this.lastExit}`);
      this.emitEngine();
      this.checkIdle();
      return;
    }
    const delay = Math.min(10_000, (this.options.restartBackoffMs ?? 100) * 2 ** Math.min(this.consecutiveCrashes - 1, 7));
    this.log('info', `restarting the inference worker in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.startWorker().then(
        () => this.schedule(),
        (err: Error) => {
          this.lastExit = `restart failed: ${err.message}`;
          this.log('error', `inference worker ${this.lastExit}`);
          this.emitEngine();
          if (!this.stopping) this.scheduleRestart();
        },
      );
    }, delay);
  }

  // -------------------------------------------------------------- scheduling

  private schedule(): void {
    if (!this.started || this.stopping || this.paused) return this.checkIdle();
    const client = this.client;
    const ready = this.ready;
    if (!client?.alive || !ready) return this.checkIdle();
    while (ready.capabilities.classify && !this.suspectInFlight && this.classifyJobs.size < CLASSIFY_IN_FLIGHT_PER_WORKER * this.classifyWorkers) {
      let kind: AttemptKind = 'classify';
      let items = classifyWork(this.db, this.classifyBatch);
      if (items.length === 0) {
        kind = 'reclassify';
        items = reclassifyWork(this.db, this.classifyBatch);
      }
      // A frame that already failed (or was in a batch that failed) goes alone, so one bad frame cannot
      // sink a batch, and with no other classification in flight: if it kills its worker process, the
      // crash is its own, not a try taken from a frame that shared the process with it.
      const lone = items.find((i) => i.failures > 0 || this.alone.has(i.frameId));
      if (lone) {
        if (this.classifyJobs.size > 0) break; // runs once the lane is empty
        items = [lone];
        this.suspectInFlight = true;
      }
      if (!items.length) break;
      // runClassify opens its attempts before its first await, so the next pick skips these frames.
      const suspect = Boolean(lone);
      const job: Promise<void> = this.runClassify(client, kind, items).finally(() => {
        this.classifyJobs.delete(job);
        if (suspect) this.suspectInFlight = false;
        this.jobDone('classify');
      });
      this.classifyJobs.add(job);
    }
    if (ready.capabilities.restore && !this.options.noRestore && !this.restoreJob) {
      const item = nextRestoration(this.db, this.rule);
      if (item) {
        const abort = new AbortController();
        this.restoreJob = { abort, promise: this.runRestore(client, item, abort.signal).finally(() => this.jobDone('restore')) };
      }
    }
    this.checkIdle();
  }

  private jobDone(lane: 'classify' | 'restore'): void {
    if (lane === 'restore') this.restoreJob = null;
    this.emitProgressSoon();
    this.schedule();
  }

  private checkIdle(): void {
    if (!this.idleWaiters.length) return;
    if (this.classifyJobs.size || this.restoreJob || this.starting || this.restartTimer) return;
    if (this.started && !this.stopping && !this.gaveUp) {
      if (this.paused) return;
      const caps = this.ready?.capabilities;
      if (!caps) return;
      if (caps.classify && (classifyWork(this.db, 1).length || reclassifyWork(this.db, 1).length)) return;
      if (caps.restore && !this.options.noRestore && restoreWork(this.db, 1).length) return;
    }
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async runClassify(client: WorkerClient, kind: AttemptKind, items: WorkItem[]): Promise<void> {
    const attempts = startAttempts(this.db, items.map((i) => i.frameId), kind);
    const target = kind === 'reclassify' ? 'restored' : 'original';
    try {
      const res = await client.classify(
        items.map((it) => ({
          frameId: it.frameId,
          path: target === 'original' ? join(it.root, it.path) : join(this.options.workspace, it.derivedPath ?? ''),
          page: target === 'original' ? it.page : 0,
          target,
        })),
        { timeoutMs: this.options.classifyTimeoutMs ?? CLASSIFY_TIMEOUT_MS },
      );
      this.classifiedSince++;
      const byFrame = new Map(res.results.map((r) => [r.frameId, r]));
      // One transaction for the batch (per-frame commits cost more than the rows); events after it.
      const classified: StationEvent[] = [];
      this.db.transaction(() => items.forEach((it, i) => {
        const r = byFrame.get(it.frameId);
        this.alone.delete(it.frameId);
        if (!r) return this.recordFailure(it, kind, attempts[i]!, 'error', 'the worker returned no result for this frame');
        if (!r.ok) return this.recordFailure(it, kind, attempts[i]!, 'error', r.error, r.permanent === true);
        recordClassification(this.db, {
          attemptId: attempts[i]!,
          frameId: it.frameId,
          target,
          modelId: res.modelId,
          modelSha256: res.modelSha256,
          pOof: r.pOof,
          oof: r.oof,
          metrics: r.metrics,
        });
        classified.push({ type: 'frame-classified', frameId: it.frameId, wellId: it.wellId, pOof: r.pOof, oof: r.oof, target });
      }))();
      for (const e of classified) this.events.emit(e);
      if (target === 'original') this.judge(items.map((i) => i.frameId));
      this.rates.classify.add(items.length);
      this.consecutiveCrashes = 0;
    } catch (err) {
      const outcome = err instanceof WorkerCrashedError ? 'crash' : 'error';
      const message = (err as Error).message;
      if (this.stopping) {
        items.forEach((_it, i) => failAttempt(this.db, attempts[i]!, outcome, STOPPED_MESSAGE));
        return;
      }
      if (err instanceof WorkerTimeoutError) this.restartStuckWorker(client, `${kind} of ${items.length} frame(s)`);
      if (err instanceof WorkerCrashedError && err.collateral) {
        items.forEach((_it, i) => failAttempt(this.db, attempts[i]!, 'crash', `${COLLATERAL_PREFIX}: ${message}; not counted, retried`));
        return;
      }
      if (items.length > 1) {
        // Which frame sank the batch is unknown: no try is counted, each frame is retried alone.
        items.forEach((it, i) => {
          this.alone.add(it.frameId);
          failAttempt(this.db, attempts[i]!, outcome, `${BATCH_FAILED_PREFIX} (${items.length} frames): ${message}; retrying each frame alone`);
        });
        this.log('warn', `${kind} batch of ${items.length} frames failed (${message}); retrying each frame alone`);
        return;
      }
      items.forEach((it, i) => this.recordFailure(it, kind, attempts[i]!, outcome, message));
    }
  }

  /** A job got no answer in time: the worker is presumably stuck, so it is replaced. */
  private restartStuckWorker(client: WorkerClient, what: string): void {
    if (!client.alive) return;
    this.log('warn', `inference worker ${client.pid} gave no answer to the ${what} in time: restarting it`);
    client.kill();
  }

  private async runRestore(client: WorkerClient, item: WorkItem, signal: AbortSignal): Promise<void> {
    const [attemptId] = startAttempts(this.db, [item.frameId], 'restore');
    let restoreSeen = this.classifiedSince;
    const cfg = this.restoreConfig;
    // Seeds follow the frame's place in the acquisition, not its row id: shards restore it as a whole run would.
    const seeds = ensembleSeeds(frameSeedKey(item.path, item.page), cfg.ensemble);
    try {
      const r = await client.restore(
        {
          frameId: item.frameId,
          path: join(item.root, item.path),
          page: item.page,
          options: { sampler: cfg.sampler, steps: cfg.steps, eta: cfg.eta, ensemble: cfg.ensemble, seeds, ...(cfg.warmStartT !== undefined ? { warmStartT: cfg.warmStartT } : {}) },
        },
        signal,
        {
          timeoutMs: this.options.restoreTimeoutMs ?? RESTORE_TIMEOUT_MS,
          // A restoration yields to classification at every step: while classifications keep
          // completing, the worker is not stuck, the restoration is waiting its turn.
          extendWhile: () => {
            const busy = this.classifiedSince > restoreSeen;
            restoreSeen = this.classifiedSince;
            return busy;
          },
        },
      );
      recordRestoration(this.db, { ...r, attemptId: attemptId!, frameId: item.frameId });
      this.events.emit({ type: 'frame-restored', frameId: item.frameId, wellId: item.wellId, spreadMean: r.spreadMean });
      this.rates.restore.add(1);
      this.consecutiveCrashes = 0;
    } catch (err) {
      const message = (err as Error).message;
      if (message.startsWith(CANCELLED_PREFIX)) {
        failAttempt(this.db, attemptId!, 'error', message);
        return;
      }
      if (this.stopping) {
        failAttempt(this.db, attemptId!, err instanceof WorkerCrashedError ? 'crash' : 'error', STOPPED_MESSAGE);
        return;
      }
      if (err instanceof WorkerTimeoutError) this.restartStuckWorker(client, `restoration of frame ${item.frameId}`);
      if (err instanceof WorkerCrashedError && err.collateral) {
        failAttempt(this.db, attemptId!, 'crash', `${COLLATERAL_PREFIX}: ${message}; not counted, retried`);
        return;
      }
      this.recordFailure(item, 'restore', attemptId!, err instanceof WorkerCrashedError ? 'crash' : 'error', message);
    }
  }

  /** The judgement in force (temporal rule / calibration) and the domain guard, after a batch of originals. */
  private judge(frameIds: number[]): void {
    const { moved, tripped } = judgeAfterClassification(this.db, frameIds);
    if (moved) this.log('info', `${moved} frame(s) re-judged against their nanowell's recent frames or the calibration`);
    for (const g of tripped) this.log('warn', `domain guard tripped on run ${g.runId}: ${g.reason}`);
    const by = this.options.restoreAnywayBy;
    if (by && tripped.length) {
      releaseGuards(this.db, by, 'restore anyway (confirmed in advance)');
      this.log('warn', `restoration not held: confirmed in advance by ${by}`);
    }
    if (tripped.length) this.emitEngine();
  }

  /** Records a failed try; the frame fails for good after maxTries, or at once when retrying cannot help (`permanent`). */
  private recordFailure(item: WorkItem, kind: AttemptKind, attemptId: number, outcome: 'error' | 'crash', message: string, permanent = false): void {
    failAttempt(this.db, attemptId, outcome, message);
    const failures = failureCount(this.db, item.frameId, kind);
    if (failures < this.maxTries && !permanent) {
      this.log('warn', `${kind} of frame ${item.frameId} failed (try ${failures} of ${this.maxTries}): ${message}`);
      return;
    }
    this.alone.delete(item.frameId);
    const reason = permanent ? `${kind} failed: ${message}` : `${kind} failed ${failures} times; last error: ${message}`;
    markFrameFailed(this.db, item.frameId, kind, reason);
    this.log('error', `frame ${item.frameId} (${item.path}) failed: ${reason}`);
    this.events.emit({ type: 'frame-failed', frameId: item.frameId, wellId: item.wellId, reason });
  }

  // ------------------------------------------------------------------ events

  private emitEngine(): void {
    this.events.emit({ type: 'engine', status: this.engineStatus() });
  }

  /** Progress events at most 4 per second (trailing edge). */
  private emitProgressSoon(): void {
    if (this.progressTimer) return;
    this.progressTimer = setTimeout(() => {
      this.progressTimer = null;
      this.events.emit({ type: 'progress', progress: this.fullProgress() });
    }, 250);
    this.progressTimer.unref?.();
  }
}
