/**
 * Curated export from the review app: policy, preview counts from the core,
 * and the running export's progress (from `export` events).
 */
import type { ExportPolicy, ExportPreview, ExportResult, StationEvent } from '../../../preload/api.js';
import type { Transport } from '../transport/transport.js';

export class ExportState {
  policy = $state<ExportPolicy>({ include: 'curated', layout: 'mirror', omeStacks: true, trainingPack: false });
  destination = $state('');
  preview = $state.raw<ExportPreview | null>(null);
  running = $state(false);
  progress = $state<{ done: number; total: number } | null>(null);
  result = $state.raw<ExportResult | null>(null);
  error = $state<string | null>(null);
  private readonly transport: Transport;

  constructor(transport: Transport) {
    this.transport = transport;
  }

  async refreshPreview(): Promise<void> {
    try {
      this.preview = await this.transport.previewExport({ ...this.policy });
      this.error = null;
    } catch (err) {
      this.preview = null;
      this.error = err instanceof Error ? err.message : String(err);
    }
  }

  async start(): Promise<void> {
    if (!this.destination.trim()) {
      this.error = 'enter a destination folder';
      return;
    }
    this.running = true;
    this.error = null;
    this.result = null;
    try {
      this.result = await this.transport.startExport({ destination: this.destination.trim(), policy: { ...this.policy } });
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.running = false;
      this.progress = null;
    }
  }

  onEvent(e: StationEvent): void {
    if (e.type !== 'export') return;
    if (e.phase === 'started' || e.phase === 'progress') this.progress = { done: e.done, total: e.total };
  }
}
