/**
 * Curated export from the review app: policy, preview counts from the core
 * (kept live as frames arrive and are decided), and the running export's
 * progress (from `export` events), result or error.
 */
import type { ExportPolicy, ExportPreview, ExportResult, StationEvent } from '../../../preload/api.js';
import type { Transport } from '../transport/transport.js';

/** Words of the core's refusal of an existing destination (main/export/destination.ts DESTINATION_EXISTS). */
const EXISTS = 'already exists';

export class ExportState {
  policy = $state<ExportPolicy>({ include: 'curated', layout: 'mirror', omeStacks: true, trainingPack: false });
  destination = $state('');
  /** Merge into an existing destination (only files an earlier export wrote are replaced). */
  merge = $state(false);
  preview = $state.raw<ExportPreview | null>(null);
  running = $state(false);
  progress = $state<{ done: number; total: number } | null>(null);
  result = $state.raw<ExportResult | null>(null);
  error = $state<string | null>(null);
  /** Bumps when an export ends (the panel brings its outcome into view). */
  outcome = $state(0);
  private readonly transport: Transport;
  private previewTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(transport: Transport) {
    this.transport = transport;
  }

  /** The last error refused an existing folder: the panel offers to merge instead. */
  get canOfferMerge(): boolean {
    return !this.merge && !!this.error && this.error.includes(EXISTS);
  }

  async refreshPreview(): Promise<void> {
    try {
      this.preview = await this.transport.previewExport({ ...this.policy });
    } catch (err) {
      this.preview = null;
      this.error = err instanceof Error ? err.message : String(err);
    }
  }

  /** Refreshes the preview soon (coalesces bursts of live events into one request). */
  schedulePreview(delayMs: number): void {
    if (this.previewTimer) return;
    this.previewTimer = setTimeout(() => {
      this.previewTimer = null;
      void this.refreshPreview();
    }, delayMs);
  }

  async start(merge = this.merge): Promise<void> {
    if (!this.destination.trim()) {
      this.error = 'enter a destination folder';
      this.outcome++;
      return;
    }
    this.running = true;
    this.error = null;
    this.result = null;
    try {
      this.result = await this.transport.startExport({ destination: this.destination.trim(), policy: { ...this.policy }, merge });
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.running = false;
      this.progress = null;
      this.outcome++;
    }
  }

  /** Accepts the offer after "already exists": merge into that folder. */
  async mergeInstead(): Promise<void> {
    this.merge = true;
    await this.start(true);
  }

  onEvent(e: StationEvent): void {
    if (e.type === 'export') {
      if (e.phase === 'started' || e.phase === 'progress') this.progress = { done: e.done, total: e.total };
      return;
    }
    // Frames arriving, classified, restored or decided change what an export would hold. A preview reads
    // every frame's facts on the station, so a live acquisition refreshes it every few seconds, not per event.
    if (e.type === 'decision') this.schedulePreview(300);
    else if (e.type === 'wells-updated') this.schedulePreview(2500);
  }
}
