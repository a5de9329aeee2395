/**
 * Station: the runtime-agnostic core behind every user interface. It owns the
 * workspace database and the event bus, wires the acquisition watcher to the
 * pipeline, answers the StationApi commands and turns the fine-grained event
 * stream into coalesced `wells-updated` batches for the UI.
 *
 * The watcher and the pipeline are given as factories (see StationOptions) so
 * the station can run, and be tested, without models, without an acquisition,
 * or with Electron's utilityProcess instead of child_process for the worker.
 */
import type { StationApi } from '../../preload/api.js';
import type {
  BulkApplyInput,
  BulkApplyResult,
  BulkPreview,
  BulkRule,
  DecisionInput,
  EngineStatus,
  ErrorEntry,
  ExportPolicy,
  ExportPreview,
  ExportResult,
  FocusLabelInput,
  FocusStatus,
  FrameDetail,
  ImagePayload,
  ImageRequest,
  NanowellDetail,
  Overview,
  Progress,
  QueueProgress,
  StationEvent,
  UsabilityRule,
} from '../common/domain.js';
import { EventBus } from '../common/event-bus.js';
import { DEFAULT_USABILITY, validateUsabilityRule } from '../common/usability.js';
import { closeDb, DATABASE_FILE, isWorkspaceWritable, openWorkspaceDb, type Db } from '../store/database.js';
import { existsSync } from 'node:fs';
import { acquireWorkspaceLock, WorkspaceBusyError, type WorkspaceLock } from '../store/workspace-lock.js';
import { countFrames } from '../store/queries/frames.js';
import { listRuns, toRunInfo } from '../store/queries/runs.js';
import {
  allWellSummaries,
  appendDecisions,
  appendUndo,
  applyBulkRule,
  frameDetail,
  frameSource,
  listErrorEntries,
  nanowellDetail,
  previewBulkRule,
  restorationFiles,
  totalsOf,
  wellSummaries,
} from '../store/queries/review.js';
import { WellUpdateCoalescer } from './coalescer.js';
import { calibrateFromLabels, focusStatus } from '../pipeline/calibrate.js';
import { recordFocusLabels, releaseGuards } from '../store/queries/calibration.js';
import { allWellIds } from '../store/queries/judgements.js';
import { FrameImages } from './images.js';
import { queueProgress, SlidingRate } from '../common/rate.js';
import { isAbsolute, join } from 'node:path';

/** The acquisition side as the station drives it. */
export interface AcquisitionSource {
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
  /** Ingest queue: frames ingested and files found but not ingested yet, with rate and ETA. */
  progress?(): QueueProgress;
}

/** The pipeline as the station drives it (main/pipeline/pipeline.ts implements it). */
export interface PipelineControl {
  start(): Promise<void> | void;
  notify(): void;
  setPaused(paused: boolean): void;
  progress(): { classify: QueueProgress; restore: QueueProgress; paused: boolean };
  engineStatus(): EngineStatus;
  stop(): Promise<void> | void;
}

/** Export functions of main/export, when that module is available. */
export interface ExportService {
  preview(policy: ExportPolicy): Promise<ExportPreview> | ExportPreview;
  start(input: { destination: string; policy: ExportPolicy; merge?: boolean }): Promise<ExportResult>;
}

/**
 * What a factory gets to build its part. `events` is the station's internal
 * bus: the station forwards frame and error events to its public stream and
 * recomposes `progress` and `engine` events from all parts.
 */
export interface StationContext {
  db: Db;
  workspace: string;
  events: EventBus;
  usability: UsabilityRule;
}

export interface StationOptions {
  /** Workspace folder (database, derived images, thumbnails). */
  workspace: string;
  /** Path of a better_sqlite3.node built for the running runtime (Electron). */
  nativeBinding?: string;
  usability?: UsabilityRule;
  /** Builds the watcher of the acquisition folder; omitted: the station only reviews. */
  acquisition?: (ctx: StationContext) => AcquisitionSource;
  /**
   * Builds the pipeline; or a string saying why there is none (shown in the
   * engine status, e.g. "no models found in ./models").
   */
  pipeline?: ((ctx: StationContext) => PipelineControl) | string;
  /** Builds the export service; omitted: export commands answer "export not available". */
  exporter?: (ctx: StationContext) => ExportService;
  /** Frames above this many pixels are not decoded for display (default: the ingest limit, DEFAULT_MAX_PIXELS). */
  maxPixels?: number;
  /** Size cap of the display-image cache in the workspace (bytes, default 1 GiB). */
  thumbCacheBytes?: number;
  /** Minimum interval between `wells-updated` events (ms, default 250 → ≤ 4/s). */
  wellsUpdateIntervalMs?: number;
  /** Interval of `progress` events while work changes (ms, default 1000). */
  progressIntervalMs?: number;
}

export class Station implements StationApi {
  /** Public event stream (what the shells forward to the UI). */
  readonly events = new EventBus();
  /** Internal bus of the watcher, the pipeline and the export. */
  private readonly internal = new EventBus();
  readonly db: Db;
  readonly workspace: string;
  readonly usability: UsabilityRule;
  private readonly coalescer: WellUpdateCoalescer;
  private readonly images: FrameImages;
  private readonly ingestRate = new SlidingRate();
  private readonly acquisition: AcquisitionSource | null;
  private readonly pipeline: PipelineControl | null;
  private readonly pipelineMissing: string | null;
  private readonly exporter: ExportService | null;
  private readonly progressTimer: ReturnType<typeof setInterval>;
  private readonly unsubscribe: () => void;
  private progressDirty = true;
  private lastProgressJson = '';
  private closed = false;
  private started = false;
  /** The workspace's processing lock, held while this station watches or processes. */
  private lock: WorkspaceLock | null = null;
  /** The workspace folder is not writable: opened from a read-only snapshot, nothing can be saved. */
  readonly readOnly: boolean;

  constructor(options: StationOptions) {
    this.workspace = options.workspace;
    this.usability = validateUsabilityRule(options.usability ?? DEFAULT_USABILITY);
    // A read-only workspace (an archive, another user's) opens for viewing and exporting elsewhere.
    this.readOnly = existsSync(join(options.workspace, DATABASE_FILE)) && !isWorkspaceWritable(options.workspace);
    this.db = openWorkspaceDb(options.workspace, {
      ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
      ...(this.readOnly ? { readonly: true } : {}),
    });
    const ctx: StationContext = { db: this.db, workspace: this.workspace, events: this.internal, usability: this.usability };
    this.images = new FrameImages(this.workspace, options.thumbCacheBytes, options.maxPixels);
    this.images.useThread();
    this.coalescer = new WellUpdateCoalescer({
      intervalMs: options.wellsUpdateIntervalMs ?? 250,
      load: (ids) => wellSummaries(this.db, ids, this.usability),
      emit: (wells) => this.events.emit({ type: 'wells-updated', wells }),
      onError: (err) => console.error('station: cannot summarise wells:', err),
    });
    this.coalescer.prime(allWellSummaries(this.db, this.usability));
    this.unsubscribe = this.internal.subscribe((e) => this.onEvent(e));
    try {
      // Processing (watch, classify, restore) needs the workspace to itself; reviewing does not.
      let busy: string | null = this.readOnly
        ? `workspace ${this.workspace} is read-only: this window can view and export to another folder; decisions, watching and processing are off`
        : null;
      if (!busy && (typeof options.pipeline === 'function' || options.acquisition)) {
        try {
          this.lock = acquireWorkspaceLock(this.workspace, 'station');
        } catch (err) {
          if (!(err instanceof WorkspaceBusyError)) throw err;
          busy = `${err.message}. This window can review and export; watching and processing are off`;
        }
      }
      if (typeof options.pipeline === 'function' && !busy) {
        this.pipeline = options.pipeline(ctx);
        this.pipelineMissing = null;
      } else {
        this.pipeline = null;
        this.pipelineMissing = busy ?? (typeof options.pipeline === 'string' ? options.pipeline : 'pipeline disabled for this session');
      }
      this.acquisition = options.acquisition && !busy ? options.acquisition(ctx) : null;
      this.exporter = options.exporter ? options.exporter(ctx) : null;
    } catch (err) {
      this.lock?.release();
      this.unsubscribe();
      this.coalescer.close();
      closeDb(this.db);
      throw err;
    }
    this.progressTimer = setInterval(() => this.emitProgress(), options.progressIntervalMs ?? 1000);
    this.progressTimer.unref?.();
  }

  /** Starts the pipeline, then the watcher (so no ingested frame waits for a notify). */
  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    void this.images.prune().catch((err) => console.error('station: cannot prune the image cache:', err));
    await this.pipeline?.start();
    await this.acquisition?.start();
    this.emitEngine();
  }

  private onEvent(e: StationEvent): void {
    switch (e.type) {
      case 'frame-ingested':
        this.ingestRate.add();
        this.pipeline?.notify();
        this.coalescer.touch(e.wellId);
        this.progressDirty = true;
        break;
      case 'frame-classified':
      case 'frame-restored':
      case 'frame-failed':
        this.coalescer.touch(e.wellId);
        this.progressDirty = true;
        break;
      case 'progress':
        // The pipeline knows only its own queues; the station adds ingest and re-emits.
        this.progressDirty = true;
        return;
      case 'engine':
        this.emitEngine();
        return;
      default:
        this.progressDirty = true;
        break;
    }
    this.events.emit(e);
  }

  private emitProgress(): void {
    if (!this.progressDirty || this.closed) return;
    this.progressDirty = false;
    let progress: Progress;
    try {
      progress = this.progressNow();
    } catch (err) {
      console.error('station: cannot compute progress:', err);
      return;
    }
    const json = JSON.stringify(progress);
    if (json === this.lastProgressJson) return;
    this.lastProgressJson = json;
    this.events.emit({ type: 'progress', progress });
  }

  private emitEngine(): void {
    this.events.emit({ type: 'engine', status: this.engineNow() });
  }

  private progressNow(): Progress {
    const frames = countFrames(this.db);
    const watched = this.acquisition?.progress?.();
    // Frames in the database (including earlier sessions) + files found but not ingested yet.
    const waiting = watched ? Math.max(0, watched.total - watched.done) : 0;
    const rate = watched ? watched.rate : this.ingestRate.perSecond();
    const ingest = queueProgress(frames, frames + waiting, rate);
    if (this.pipeline) {
      const p = this.pipeline.progress();
      return { ingest, classify: p.classify, restore: p.restore, paused: p.paused };
    }
    const idle = queueProgress(0, 0, 0);
    return { ingest, classify: idle, restore: idle, paused: false };
  }

  private engineNow(): EngineStatus {
    if (this.pipeline) {
      return { ...this.pipeline.engineStatus(), acquiring: this.acquisition !== null && !this.closed };
    }
    return {
      provider: null,
      models: [],
      workerPid: null,
      workerPids: [],
      acquiring: this.acquisition !== null && !this.closed,
      disabledReason: this.pipelineMissing,
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the station is closed');
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.readOnly) throw new Error(`workspace ${this.workspace} is read-only: decisions cannot be saved (copy it to a writable folder to review)`);
  }

  // ------------------------------------------------------------ StationApi

  async getOverview(): Promise<Overview> {
    this.assertOpen();
    const wells = allWellSummaries(this.db, this.usability);
    return {
      workspace: this.workspace,
      runs: listRuns(this.db).map(toRunInfo),
      totals: totalsOf(this.db, wells),
      wells,
      usability: this.usability,
    };
  }

  async getNanowell(wellId: number): Promise<NanowellDetail> {
    this.assertOpen();
    return nanowellDetail(this.db, wellId, this.usability);
  }

  async getFrame(frameId: number): Promise<FrameDetail> {
    this.assertOpen();
    return frameDetail(this.db, frameId);
  }

  async getImage(request: ImageRequest): Promise<ImagePayload> {
    this.assertOpen();
    const src = frameSource(this.db, request.frameId);
    const derived = restorationFiles(this.db, request.frameId);
    const original = isAbsolute(src.path) ? src.path : join(src.runRoot, src.path);
    return this.images.render(request, {
      original: { path: original, page: src.page },
      ...(derived
        ? { restoration: { ...derived, tag: derivedTag(derived.meanPath, derived.createdAt) } }
        : {}),
    });
  }

  async decide(input: DecisionInput): Promise<{ decisionIds: number[] }> {
    this.assertWritable();
    const write = appendDecisions(this.db, input);
    this.afterDecision(input.frameIds, input.verdict, input.reviewer, write.wellIds);
    return { decisionIds: write.decisionIds };
  }

  async undo(input: { frameIds: number[]; reviewer: string }): Promise<{ decisionIds: number[] }> {
    this.assertWritable();
    const write = appendUndo(this.db, input);
    this.afterDecision(input.frameIds, 'clear', input.reviewer, write.wellIds);
    return { decisionIds: write.decisionIds };
  }

  async previewBulk(rule: BulkRule): Promise<BulkPreview> {
    this.assertOpen();
    return previewBulkRule(this.db, rule);
  }

  async applyBulk(input: BulkApplyInput): Promise<BulkApplyResult> {
    this.assertWritable();
    const result = applyBulkRule(this.db, input);
    if (result.count > 0) {
      this.afterDecision(result.frameIds, 'accept', input.reviewer, result.wellIds);
    }
    return { count: result.count, skipped: result.skipped };
  }

  private afterDecision(frameIds: number[], verdict: DecisionInput['verdict'], reviewer: string, wellIds: number[]): void {
    this.events.emit({ type: 'decision', frameIds, verdict, reviewer });
    this.coalescer.touch(...wellIds);
    // Decisions are what a reviewer waits on: show them now, not at the next tick.
    this.coalescer.flush();
  }

  async listErrors(input: { limit: number; beforeId?: number }): Promise<ErrorEntry[]> {
    this.assertOpen();
    return listErrorEntries(this.db, input.limit, input.beforeId);
  }

  async getProgress(): Promise<Progress> {
    this.assertOpen();
    return this.progressNow();
  }

  async getEngineStatus(): Promise<EngineStatus> {
    this.assertOpen();
    return this.engineNow();
  }

  async setPaused(input: { paused: boolean }): Promise<Progress> {
    this.assertOpen();
    if (!this.pipeline) throw new Error(`cannot pause: ${this.pipelineMissing ?? 'no pipeline'}`);
    this.pipeline.setPaused(input.paused);
    const progress = this.progressNow();
    this.lastProgressJson = JSON.stringify(progress);
    this.events.emit({ type: 'progress', progress });
    return progress;
  }

  async previewExport(policy: ExportPolicy): Promise<ExportPreview> {
    this.assertOpen();
    if (!this.exporter) throw new Error('export not available');
    return this.exporter.preview(policy);
  }

  async startExport(input: { destination: string; policy: ExportPolicy; merge?: boolean }): Promise<ExportResult> {
    this.assertOpen();
    if (!this.exporter) throw new Error('export not available');
    // A relative path would land under the server's working folder, which the operator never sees.
    if (!isAbsolute(input.destination)) throw new Error(`export destination must be an absolute folder path, got "${input.destination}"`);
    return this.exporter.start(input);
  }

  async getFocusStatus(): Promise<FocusStatus> {
    this.assertOpen();
    return focusStatus(this.db);
  }

  async labelFocus(input: FocusLabelInput): Promise<FocusStatus> {
    this.assertOpen();
    recordFocusLabels(this.db, input.frameIds.map((frameId) => ({ frameId, label: input.label })), input.who, 'app');
    return this.afterFocusChange();
  }

  async calibrate(input: { who: string }): Promise<FocusStatus> {
    this.assertOpen();
    calibrateFromLabels(this.db, input.who, 'app labels');
    // Frames may have moved between in focus and OOF anywhere; a released run's OOF frames are work again.
    this.coalescer.touch(...allWellIds(this.db));
    this.pipeline?.notify();
    this.emitEngine();
    return this.afterFocusChange();
  }

  async restoreAnyway(input: { who: string; runId?: number }): Promise<FocusStatus> {
    this.assertOpen();
    releaseGuards(this.db, input.who, 'restore anyway (operator confirmed)', input.runId);
    this.pipeline?.notify();
    this.emitEngine();
    return this.afterFocusChange();
  }

  private afterFocusChange(): FocusStatus {
    const status = focusStatus(this.db);
    this.events.emit({ type: 'focus', status });
    return status;
  }

  subscribe(listener: (event: StationEvent) => void): () => void {
    return this.events.subscribe(listener);
  }

  /** Stops the watcher and the pipeline, then closes the database. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.progressTimer);
    this.coalescer.close();
    try {
      await this.acquisition?.stop();
    } finally {
      try {
        await this.pipeline?.stop();
      } finally {
        this.unsubscribe();
        closeDb(this.db);
        this.lock?.release();
        await this.images.close();
      }
    }
  }
}

/** Cache tag of a restoration's renderings: changes when the frame is restored again. */
function derivedTag(meanPath: string, createdAt: string): string {
  const text = `${meanPath}|${createdAt}`;
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}
