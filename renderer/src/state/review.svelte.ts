/**
 * Review state: which well and frame are open, the filters of the plate, the
 * comparison view (mode, zoom and pan shared by both panes), the reviewer and
 * the decisions sent to the core. Every decision goes through the core into
 * SQLite; the view is refreshed from the core's answer, never guessed.
 */
import type {
  BulkPreview,
  BulkRule,
  FrameDetail,
  FrameSummary,
  NanowellDetail,
  StationEvent,
  Verdict,
  WellSummary,
} from '../../../preload/api.js';
import type { Transport } from '../transport/transport.js';
import type { StationState } from './station.svelte.js';

export type CompareMode = 'side' | 'swipe' | 'flip';

export interface Filters {
  oofOnly: boolean;
  awaiting: boolean;
  unusable: boolean;
  search: string;
}

/** Restorations of the well still waiting for a reviewer. */
export function awaitingDecision(w: WellSummary): number {
  return Math.max(0, w.restored - w.accepted - w.rejected);
}

/** Whether a well passes the plate filters. */
export function matchesFilters(w: WellSummary, f: Filters): boolean {
  if (f.oofOnly && w.oof === 0) return false;
  if (f.awaiting && awaitingDecision(w) === 0) return false;
  if (f.unusable && w.usableBefore !== false && w.usableAfter !== false) return false;
  const q = f.search.trim().toLowerCase();
  if (q && !w.label.toLowerCase().includes(q)) return false;
  return true;
}

const REVIEWER_KEY = 'postfocus.reviewer';

export class ReviewState {
  filters = $state<Filters>({ oofOnly: false, awaiting: false, unusable: false, search: '' });
  selectedWellId = $state<number | null>(null);
  detail = $state.raw<NanowellDetail | null>(null);
  frameIndex = $state(0);
  frame = $state.raw<FrameDetail | null>(null);
  mode = $state<CompareMode>('side');
  /** In flip mode: showing the restored image (else the original). */
  flipped = $state(true);
  swipe = $state(0.5);
  zoom = $state(1);
  panX = $state(0);
  panY = $state(0);
  showSpread = $state(false);
  spreadOpacity = $state(0.6);
  reviewer = $state('');
  note = $state('');
  busy = $state(false);
  message = $state<{ kind: 'ok' | 'error'; text: string } | null>(null);
  bulkRule = $state<BulkRule>({ maxPOofAfter: 0.2, maxSpread: 0.05, undecidedOnly: true });
  bulkPreview = $state.raw<BulkPreview | null>(null);
  /** Last decision round trip (keypress → row in SQLite → view updated), ms. */
  lastDecisionMs = $state<number | null>(null);

  readonly frames: FrameSummary[] = $derived(this.detail?.frames ?? []);
  readonly currentFrame: FrameSummary | null = $derived(this.frames[this.frameIndex] ?? null);
  readonly visibleWells: WellSummary[];
  readonly well: WellSummary | null;

  /** Bumped by each navigation to a frame / well: the answers of older reads are dropped. */
  private frameToken = 0;
  private wellToken = 0;
  /** Frames decided in this window, newest last (what U undoes first). */
  private readonly decided: { frameId: number; wellId: number; t: number }[] = [];
  /** Reviewer navigations so far (a decision auto-advances only if none happened meanwhile). */
  private navigations = 0;
  /** Navigations and decisions not finished yet (see afterPending). */
  private readonly pending = new Set<Promise<void>>();

  private readonly transport: Transport;
  private readonly station: StationState;

  constructor(transport: Transport, station: StationState) {
    this.transport = transport;
    this.station = station;
    this.visibleWells = $derived(this.station.wells.filter((w) => matchesFilters(w, this.filters)));
    this.well = $derived(
      this.selectedWellId === null ? null : (this.station.byId.get(this.selectedWellId) ?? this.detail?.well ?? null),
    );
    try {
      this.reviewer = localStorage.getItem(REVIEWER_KEY) ?? '';
    } catch {
      this.reviewer = '';
    }
  }

  setReviewer(name: string): void {
    this.reviewer = name;
    try {
      localStorage.setItem(REVIEWER_KEY, name);
    } catch {
      // Storage can be unavailable (private mode); the name still applies to this session.
    }
  }

  /**
   * Runs a reviewer's key once the navigations and decisions of the keys before
   * it have finished: the view a key acts on is the one the earlier keys lead
   * to. Without this, A pressed while the next frame (or a just-opened well) is
   * still loading would decide the frame shown before, and a second A while the
   * first decision advances would decide the same frame twice.
   */
  async afterPending(action: () => unknown): Promise<void> {
    while (this.pending.size) await Promise.allSettled(this.pending);
    action();
  }

  /** Marks `work` pending until it settles (its rejection stays the caller's). */
  private track(work: Promise<void>): Promise<void> {
    this.pending.add(work);
    const done = (): void => void this.pending.delete(work);
    work.then(done, done);
    return work;
  }

  /** Opens a well; selects its first frame that needs review (else the first OOF, else t=1). */
  openWell(wellId: number, frameId?: number): Promise<void> {
    return this.track(this.openWellNow(wellId, frameId));
  }

  private async openWellNow(wellId: number, frameId?: number): Promise<void> {
    this.navigations++;
    const token = ++this.wellToken;
    const previous = this.selectedWellId;
    this.selectedWellId = wellId;
    const detail = await this.safely(() => this.transport.getNanowell(wellId));
    if (token !== this.wellToken) return;
    if (!detail) {
      // Not loaded (e.g. the server is down): the open well stays the one shown.
      this.selectedWellId = previous;
      return;
    }
    this.detail = detail;
    let index = frameId === undefined ? -1 : detail.frames.findIndex((f) => f.id === frameId);
    if (index < 0) index = detail.frames.findIndex((f) => f.state === 'restored' && f.review === 'undecided');
    if (index < 0) index = detail.frames.findIndex((f) => f.state === 'oof' || f.state === 'restored');
    await this.selectFrame(Math.max(0, index));
  }

  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;

  /**
   * Re-reads the open well (after its summary changed), keeping the selected
   * frame. One re-read at a time, plus one more when asked meanwhile: a live
   * plate changes the open well every few hundred ms, and on a busy station a
   * read can take longer than that, so re-reads that cancelled each other would
   * never show anything. A re-read never cancels a navigation; a navigation
   * makes the re-read in flight drop its answer. Resolves once the well read
   * after the last request is shown (what a decision waits for).
   */
  refreshWell(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    const loop = async (): Promise<void> => {
      try {
        do {
          this.refreshAgain = false;
          await this.refreshOnce();
        } while (this.refreshAgain);
      } finally {
        this.refreshing = null;
      }
    };
    this.refreshing = loop();
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    const wellId = this.selectedWellId;
    // Nothing open, or a well still opening (its navigation reads it fresh).
    if (wellId === null || this.detail?.well.id !== wellId) return;
    const wellNav = this.wellToken;
    const detail = await this.safely(() => this.transport.getNanowell(wellId));
    if (!detail || wellNav !== this.wellToken) return;
    // The frame selected now (the reviewer may have moved while the request was out).
    const keep = this.currentFrame?.id;
    this.detail = detail;
    const index = keep === undefined ? 0 : detail.frames.findIndex((f) => f.id === keep);
    this.frameIndex = Math.max(0, index);
    const f = this.currentFrame;
    if (!f) {
      this.frame = null;
      return;
    }
    const frameNav = this.frameToken;
    const frame = await this.safely(() => this.transport.getFrame(f.id));
    if (frame && wellNav === this.wellToken && frameNav === this.frameToken) this.frame = frame;
  }

  async selectFrame(index: number): Promise<void> {
    if (this.frames.length === 0) {
      this.frameIndex = 0;
      this.frame = null;
      return;
    }
    this.frameIndex = Math.min(this.frames.length - 1, Math.max(0, index));
    await this.loadFrame();
  }

  private async loadFrame(): Promise<void> {
    const f = this.currentFrame;
    const token = ++this.frameToken;
    if (!f) {
      this.frame = null;
      return;
    }
    const detail = await this.safely(() => this.transport.getFrame(f.id));
    if (detail && token === this.frameToken) this.frame = detail;
  }

  /**
   * Runs a read the view started on its own (navigation, live refresh): a
   * failure — the server gone, a frame removed — is shown, never thrown into
   * an unhandled rejection.
   */
  private async safely<T>(read: () => Promise<T>): Promise<T | null> {
    try {
      return await read();
    } catch (err) {
      this.flash('error', err instanceof Error ? err.message : String(err));
      return null;
    }
  }

  /** The reviewer picks a frame (keys, timeline, filmstrip): cancels a pending auto-advance. */
  goToFrame(index: number): Promise<void> {
    this.navigations++;
    return this.track(this.selectFrame(index));
  }

  moveFrame(delta: number): void {
    void this.goToFrame(this.frameIndex + delta);
  }

  /** Next/previous well in the filtered plate order. */
  moveWell(delta: number): void {
    const list = this.visibleWells;
    if (list.length === 0) return;
    const i = list.findIndex((w) => w.id === this.selectedWellId);
    const next = list[i < 0 ? 0 : Math.min(list.length - 1, Math.max(0, i + delta))];
    if (next) void this.openWell(next.id);
  }

  /** Index of the next restored frame without a decision after `from`, in this well. */
  private nextUndecided(from: number): number {
    for (let i = from + 1; i < this.frames.length; i++) {
      const f = this.frames[i]!;
      if (f.state === 'restored' && f.review === 'undecided') return i;
    }
    return -1;
  }

  decide(verdict: Exclude<Verdict, 'clear'>): Promise<void> {
    return this.track(this.decideNow(verdict));
  }

  private async decideNow(verdict: Exclude<Verdict, 'clear'>): Promise<void> {
    // The open frame's detail is read fresh on selection; the filmstrip list can lag a live update.
    const f = this.frame;
    if (!f) return;
    if (!f.restoration) {
      this.flash('error', `t=${f.t} has no restoration to ${verdict}`);
      return;
    }
    if (!this.reviewer.trim()) {
      this.flash('error', 'enter your name as reviewer first');
      return;
    }
    const t0 = performance.now();
    const navigations = this.navigations;
    await this.run(async () => {
      await this.transport.decide({ frameIds: [f.id], verdict, reviewer: this.reviewer.trim(), note: this.note });
      this.note = '';
      await this.refreshWell();
      this.lastDecisionMs = performance.now() - t0;
      this.decided.push({ frameId: f.id, wellId: f.wellId, t: f.t });
      if (this.decided.length > 200) this.decided.splice(0, 100);
      this.flash('ok', `${verdict === 'accept' ? 'accepted' : 'rejected'} t=${f.t}`);
      // Advance to the next frame to review, unless the reviewer has navigated since the keypress
      // (even back to this frame: a late jump would move the frame under their next key).
      if (this.navigations !== navigations || this.currentFrame?.id !== f.id) return;
      const next = this.nextUndecided(this.frameIndex);
      if (next >= 0) await this.selectFrame(next);
    });
  }

  /**
   * Undoes the newest decision taken in this window (also after the review
   * auto-advanced past its frame, which then opens again); with none, the open
   * frame's latest decision. Messages name the frame by t.
   */
  undo(): Promise<void> {
    return this.track(this.undoNow());
  }

  private async undoNow(): Promise<void> {
    if (!this.reviewer.trim()) {
      this.flash('error', 'enter your name as reviewer first');
      return;
    }
    const f = this.frame;
    const last = this.decided.at(-1);
    const target = last ?? (f ? { frameId: f.id, wellId: f.wellId, t: f.t } : null);
    if (!target) return;
    if (!last && f && f.decisions.length === 0) {
      this.flash('error', `t=${f.t} has no decision to undo`);
      return;
    }
    await this.run(async () => {
      await this.transport.undo({ frameIds: [target.frameId], reviewer: this.reviewer.trim() });
      if (last) this.decided.pop();
      // Show the frame whose decision was undone (the review may have moved on since).
      if (this.currentFrame?.id !== target.frameId) {
        if (this.selectedWellId === target.wellId) {
          await this.refreshWell();
          const index = this.frames.findIndex((x) => x.id === target.frameId);
          if (index >= 0) await this.goToFrame(index);
        } else {
          await this.openWell(target.wellId, target.frameId);
        }
      } else {
        await this.refreshWell();
      }
      this.flash('ok', `undid the last decision on t=${target.t}`);
    });
  }

  async previewBulk(): Promise<void> {
    try {
      this.bulkPreview = await this.transport.previewBulk({ ...this.bulkRule });
    } catch (err) {
      this.bulkPreview = null;
      this.flash('error', err instanceof Error ? err.message : String(err));
    }
  }

  /** The preview the operator is confirming: exactly its frames are decided (never a newer count). */
  bulkConfirm = $state.raw<BulkPreview | null>(null);

  /** Freezes the current preview for confirmation. */
  askBulk(): void {
    if (this.bulkPreview && this.bulkPreview.count > 0) this.bulkConfirm = this.bulkPreview;
  }

  cancelBulk(): void {
    this.bulkConfirm = null;
  }

  async applyBulk(): Promise<void> {
    const snapshot = this.bulkConfirm;
    this.bulkConfirm = null;
    if (!snapshot || snapshot.count === 0) return;
    if (!this.reviewer.trim()) {
      this.flash('error', 'enter your name as reviewer first');
      return;
    }
    await this.run(async () => {
      const { count, skipped } = await this.transport.applyBulk({
        rule: { ...this.bulkRule },
        frameIds: snapshot.frameIds,
        reviewer: this.reviewer.trim(),
        note: this.note,
      });
      const left = skipped.length ? `; ${skipped.length} previewed frame${skipped.length === 1 ? '' : 's'} no longer matched and stayed as they were` : '';
      this.flash('ok', `bulk rule accepted ${count} restored frame${count === 1 ? '' : 's'}${left}`);
      await this.previewBulk();
      await this.refreshWell();
    });
  }

  flip(): void {
    if (this.mode !== 'flip') {
      this.mode = 'flip';
      this.flipped = false;
    } else {
      this.flipped = !this.flipped;
    }
  }

  resetView(): void {
    this.zoom = 1;
    this.panX = 0;
    this.panY = 0;
  }

  /** Zooms by `factor` keeping the point (fx, fy) (fractions of the pane) fixed. */
  zoomAt(factor: number, fx = 0.5, fy = 0.5): void {
    const z = Math.min(16, Math.max(1, this.zoom * factor));
    const k = z / this.zoom;
    // Pan is in pane fractions; keep the focus point under the cursor.
    this.panX = (this.panX - (fx - 0.5)) * k + (fx - 0.5);
    this.panY = (this.panY - (fy - 0.5)) * k + (fy - 0.5);
    this.zoom = z;
    this.clampPan();
  }

  panBy(dx: number, dy: number): void {
    this.panX += dx;
    this.panY += dy;
    this.clampPan();
  }

  private clampPan(): void {
    const limit = (this.zoom - 1) / 2;
    this.panX = Math.min(limit, Math.max(-limit, this.panX));
    this.panY = Math.min(limit, Math.max(-limit, this.panY));
  }

  /** Reacts to the event stream: the open well reloads when its summary changed. */
  onEvent(e: StationEvent): void {
    // The bulk count follows frames as they are restored or decided (a confirmation keeps its own snapshot).
    if (e.type === 'wells-updated') this.schedulePreviewBulk();
    if (e.type === 'wells-updated' && this.selectedWellId !== null && e.wells.some((w) => w.id === this.selectedWellId)) {
      // A decision in flight refreshes the well when it ends; remember this update for then.
      if (this.busy) this.refreshPending = true;
      else void this.refreshWell();
    }
  }

  private refreshPending = false;
  private bulkTimer: ReturnType<typeof setTimeout> | null = null;

  private schedulePreviewBulk(): void {
    if (this.bulkTimer) return;
    this.bulkTimer = setTimeout(() => {
      this.bulkTimer = null;
      void this.previewBulk();
    }, 1500);
  }

  private async run(action: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.refreshPending = false;
    try {
      await action();
    } catch (err) {
      this.flash('error', err instanceof Error ? err.message : String(err));
    } finally {
      this.busy = false;
      if (this.refreshPending) {
        this.refreshPending = false;
        void this.refreshWell();
      }
    }
  }

  private flashTimer: ReturnType<typeof setTimeout> | null = null;

  flash(kind: 'ok' | 'error', text: string): void {
    this.message = { kind, text };
    if (this.flashTimer) clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => (this.message = null), kind === 'error' ? 6000 : 2500);
  }
}
