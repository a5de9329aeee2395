/**
 * Focus calibration in the app: the operator's ground-truth labels (keys I / O,
 * distinct from accept / reject), the calibration on those labels, and the
 * domain guard ("restore anyway"). State from the core's FocusStatus, kept live
 * by 'focus' and 'engine' events.
 */
import type { FocusStatus, StationEvent } from '../../../preload/api.js';
import type { Transport } from '../transport/transport.js';

export type FocusLabel = 'in_focus' | 'oof' | 'clear';

export class FocusState {
  #status = $state.raw<FocusStatus | null>(null);
  #busy = $state(false);
  /** Labels given to frames in this session (frame id → label), to show on the current frame. */
  #given = $state.raw<ReadonlyMap<number, FocusLabel>>(new Map());

  constructor(private readonly transport: Transport) {}

  get status(): FocusStatus | null {
    return this.#status;
  }

  get busy(): boolean {
    return this.#busy;
  }

  /** The label this session gave a frame, if any. */
  labelOf(frameId: number): FocusLabel | null {
    const l = this.#given.get(frameId);
    return l && l !== 'clear' ? l : null;
  }

  /** Tripped guards, for the banner and the status bar. */
  get tripped(): FocusStatus['guards'] {
    return this.#status?.guards.filter((g) => g.state === 'tripped') ?? [];
  }

  async refresh(): Promise<void> {
    this.#status = await this.transport.getFocusStatus();
  }

  onEvent(e: StationEvent): void {
    if (e.type === 'focus') this.#status = e.status;
    // A guard trips inside the pipeline: the engine status changes with it.
    else if (e.type === 'engine') void this.refresh().catch(() => undefined);
  }

  /** Marks a frame in focus / out of focus (or withdraws its label); returns the message to show. */
  async label(frameId: number, label: FocusLabel, who: string): Promise<string> {
    if (!who.trim()) throw new Error('enter your name as reviewer first');
    this.#status = await this.transport.labelFocus({ frameIds: [frameId], label, who: who.trim() });
    this.#given = new Map(this.#given).set(frameId, label);
    const l = this.#status.labels;
    const what = label === 'clear' ? 'label withdrawn' : label === 'oof' ? 'labelled out of focus' : 'labelled in focus';
    return `${what} (labels: ${l.inFocus} in focus, ${l.oof} out of focus)`;
  }

  /** Fits the calibration on the labels in force; returns the summary to show. */
  async calibrate(who: string): Promise<string> {
    if (!who.trim()) throw new Error('enter your name as reviewer first');
    this.#busy = true;
    try {
      this.#status = await this.transport.calibrate({ who: who.trim() });
      return this.#status.summary;
    } finally {
      this.#busy = false;
    }
  }

  /** Releases tripped guards without calibrating. */
  async restoreAnyway(who: string): Promise<void> {
    if (!who.trim()) throw new Error('enter your name as reviewer first');
    this.#status = await this.transport.restoreAnyway({ who: who.trim() });
  }
}
