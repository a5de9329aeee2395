/**
 * Live state of the station as the UI shows it: the plate (well summaries),
 * totals, progress, engine status and errors. Fed by one overview load and
 * then by the event stream; reloaded whenever the link comes back.
 */
import type {
  EngineStatus,
  ErrorEntry,
  Overview,
  Progress,
  RunInfo,
  StationEvent,
  Totals,
  UsabilityRule,
  WellSummary,
} from '../../../preload/api.js';
import { wellTotals } from '../../../preload/api.js';
import type { LinkState, Transport } from '../transport/transport.js';

function compareWells(a: WellSummary, b: WellSummary): number {
  return a.runId - b.runId || blockOrder(a.block, b.block) || a.position - b.position || a.id - b.id;
}

/** Blocks sort numerically when they are numbers (B2 before B10). */
export function blockOrder(a: string, b: string): number {
  const na = Number(a.replace(/^B/i, ''));
  const nb = Number(b.replace(/^B/i, ''));
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Time from a `wells-updated` event to the next painted frame, kept for the
 * benchmark (bench/review.ts reads `window.__postfocusPerf`). Bounded; never
 * reactive, so measuring does not itself cause updates.
 */
interface PerfLog {
  wellsUpdates: { ms: number; wells: number }[];
}
const perf: PerfLog = { wellsUpdates: [] };
(globalThis as unknown as { __postfocusPerf?: PerfLog }).__postfocusPerf = perf;

function recordPaint(t0: number, wells: number): void {
  requestAnimationFrame(() =>
    setTimeout(() => {
      perf.wellsUpdates.push({ ms: performance.now() - t0, wells });
      if (perf.wellsUpdates.length > 2000) perf.wellsUpdates.splice(0, 1000);
    }, 0),
  );
}

export class StationState {
  /** Every well, in plate order; replaced (never edited) on each update. */
  wells = $state.raw<WellSummary[]>([]);
  runs = $state.raw<RunInfo[]>([]);
  workspace = $state('');
  usability = $state.raw<UsabilityRule>({ maxOofFraction: 0.05, maxConsecutiveOof: 2 });
  progress = $state.raw<Progress | null>(null);
  engine = $state.raw<EngineStatus | null>(null);
  errors = $state.raw<ErrorEntry[]>([]);
  errorCount = $state(0);
  link = $state<LinkState>('connecting');
  loaded = $state(false);
  loadError = $state<string | null>(null);
  /** Increments on every wells update (the open nanowell reloads when its well changed). */
  revision = $state(0);
  changedWells = $state.raw<ReadonlySet<number>>(new Set());
  lastUpdateMs = $state(0);
  /** When the last frame was ingested in this session (ms since epoch), null before the first. */
  lastFrameAt = $state<number | null>(null);

  readonly byId = $derived(new Map(this.wells.map((w) => [w.id, w])));

  readonly totals: Totals = $derived(wellTotals(this.wells, this.errorCount));

  /** Wells whose videos have a verdict (every frame classified). */
  readonly evaluated = $derived(this.wells.reduce((n, w) => n + (w.usableBefore === null ? 0 : 1), 0));

  private readonly stop: (() => void)[] = [];

  private readonly transport: Transport;

  constructor(transport: Transport) {
    this.transport = transport;
  }

  /** Subscribes to the event stream, then loads everything. */
  start(): void {
    this.stop.push(this.transport.subscribe((e) => this.onEvent(e)));
    this.stop.push(
      this.transport.onLink((state) => {
        const reconnected = state === 'open' && this.link !== 'open' && this.loaded;
        this.link = state;
        if (reconnected) void this.reload();
      }),
    );
    void this.reload();
  }

  dispose(): void {
    for (const s of this.stop.splice(0)) s();
  }

  async reload(): Promise<void> {
    try {
      const [overview, progress, engine, errors] = await Promise.all([
        this.transport.getOverview(),
        this.transport.getProgress(),
        this.transport.getEngineStatus(),
        this.transport.listErrors({ limit: 200 }),
      ]);
      this.applyOverview(overview);
      this.progress = progress;
      this.engine = engine;
      this.errors = errors;
      this.loadError = null;
      this.loaded = true;
    } catch (err) {
      this.loadError = err instanceof Error ? err.message : String(err);
    }
  }

  private applyOverview(o: Overview): void {
    this.workspace = o.workspace;
    this.runs = o.runs;
    this.usability = o.usability;
    this.errorCount = o.totals.errors;
    this.wells = [...o.wells].sort(compareWells);
    this.revision++;
  }

  /** Merges changed well summaries (new wells are inserted in plate order). */
  applyWells(updated: readonly WellSummary[]): void {
    const t0 = performance.now();
    const byId = new Map(updated.map((w) => [w.id, w]));
    let added = false;
    const next = this.wells.map((w) => {
      const u = byId.get(w.id);
      if (!u) return w;
      byId.delete(w.id);
      return u;
    });
    for (const w of byId.values()) {
      next.push(w);
      added = true;
    }
    if (added) next.sort(compareWells);
    this.wells = next;
    this.changedWells = new Set(updated.map((w) => w.id));
    this.revision++;
    this.lastUpdateMs = performance.now() - t0;
  }

  private onEvent(e: StationEvent): void {
    switch (e.type) {
      case 'wells-updated': {
        const t0 = performance.now();
        this.applyWells(e.wells);
        recordPaint(t0, e.wells.length);
        break;
      }
      case 'frame-ingested':
        this.lastFrameAt = Date.now();
        break;
      case 'progress':
        if (this.progress && e.progress.ingest.done > this.progress.ingest.done) this.lastFrameAt = Date.now();
        this.progress = e.progress;
        break;
      case 'engine':
        this.engine = e.status;
        break;
      case 'error':
        this.errors = [e.entry, ...this.errors].slice(0, 500);
        this.errorCount++;
        break;
      default:
        break;
    }
  }

  async setPaused(paused: boolean): Promise<void> {
    this.progress = await this.transport.setPaused({ paused });
  }

  async loadMoreErrors(): Promise<void> {
    const last = this.errors.at(-1);
    if (!last) return;
    const more = await this.transport.listErrors({ limit: 200, beforeId: last.id });
    this.errors = [...this.errors, ...more];
  }
}

