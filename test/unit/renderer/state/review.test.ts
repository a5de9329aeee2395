import { beforeAll, describe, expect, it } from 'vitest';
import type { DecisionInput, FrameSummary, NanowellDetail } from '../../../../preload/api.js';
import { awaitingDecision, matchesFilters, ReviewState } from '../../../../renderer/src/state/review.svelte.js';
import { StationState } from '../../../../renderer/src/state/station.svelte.js';
import { frameDetail, frameSummary, idleProgress, overview, well } from './fixtures.js';
import { fakeTransport } from './transport.js';

beforeAll(() => {
  globalThis.requestAnimationFrame ??= (cb: FrameRequestCallback) => setTimeout(() => cb(0), 0) as unknown as number;
});

/** A core with two wells; well 1 has t1 in focus, t2 and t3 restored (undecided), t4 OOF. */
function core(frameGate?: (id: number) => Promise<void>, wellGate?: (id: number) => Promise<void>) {
  const frames: FrameSummary[] = [
    frameSummary(11, 1, 1),
    frameSummary(12, 1, 2, { state: 'restored' }),
    frameSummary(13, 1, 3, { state: 'restored' }),
    frameSummary(14, 1, 4, { state: 'oof' }),
  ];
  const wells = [well(1, { oof: 3, restored: 2, usableBefore: false }), well(2)];
  const decisions: DecisionInput[] = [];
  const detail = (wellId: number): NanowellDetail => ({ well: wells.find((w) => w.id === wellId)!, frames: frames.filter((f) => f.wellId === wellId).map((f) => ({ ...f })) });
  const t = fakeTransport({
    getOverview: () => overview(wells),
    getProgress: () => idleProgress,
    getEngineStatus: () => ({ provider: 'cpu', models: [], workerPid: null, workerPids: [], acquiring: false }),
    listErrors: () => [],
    getNanowell: async (id) => {
      await wellGate?.(id);
      return detail(id);
    },
    getFrame: async (id) => {
      await frameGate?.(id);
      const f = frames.find((x) => x.id === id)!;
      return frameDetail(f, f.state === 'restored');
    },
    decide: (input) => {
      decisions.push(input);
      for (const id of input.frameIds) frames.find((f) => f.id === id)!.review = input.verdict === 'accept' ? 'accepted' : 'rejected';
      return { decisionIds: [decisions.length] };
    },
    undo: (input) => {
      for (const id of input.frameIds) frames.find((f) => f.id === id)!.review = 'undecided';
      return { decisionIds: [99] };
    },
  });
  return { t, decisions, frames };
}

async function review(frameGate?: (id: number) => Promise<void>, wellGate?: (id: number) => Promise<void>) {
  const c = core(frameGate, wellGate);
  const station = new StationState(c.t);
  await station.reload();
  return { ...c, station, r: new ReviewState(c.t, station) };
}

describe('plate filters', () => {
  it('count restorations awaiting a reviewer and filter wells by OOF, awaiting, unusable and label', () => {
    const w = well(1, { oof: 2, restored: 3, accepted: 1, rejected: 1, usableBefore: false, label: 'B1-imgNo001' });
    expect(awaitingDecision(w)).toBe(1);
    const none = { oofOnly: false, awaiting: false, unusable: false, search: '' };
    expect(matchesFilters(w, { ...none, oofOnly: true, awaiting: true, unusable: true })).toBe(true);
    expect(matchesFilters(well(2), { ...none, oofOnly: true })).toBe(false);
    expect(matchesFilters(w, { ...none, search: ' imgno001 ' })).toBe(true);
    expect(matchesFilters(w, { ...none, search: 'B2' })).toBe(false);
  });
});

describe('ReviewState', () => {
  it('opens a well on its first restoration awaiting review', async () => {
    const { r } = await review();
    await r.openWell(1);
    expect(r.well?.id).toBe(1);
    expect(r.currentFrame?.t).toBe(2);
    expect(r.frame?.restoration).not.toBeNull();
  });

  it('records a decision with the reviewer and note, then moves to the next restoration to review', async () => {
    const { r, decisions } = await review();
    await r.openWell(1);
    r.setReviewer(' ana ');
    r.note = 'sharp';
    await r.decide('accept');
    expect(decisions).toEqual([{ frameIds: [12], verdict: 'accept', reviewer: 'ana', note: 'sharp' }]);
    expect(r.note).toBe('');
    expect(r.message).toEqual({ kind: 'ok', text: 'accepted t=2' });
    expect(r.currentFrame?.t).toBe(3);
    expect(r.frames[1]?.review).toBe('accepted');
  });

  it('applies keys in press order, each on the frame the keys before it lead to', async () => {
    // t=3's detail is slow: A pressed right after → must decide t=3, not t=2 still on screen.
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const { r, decisions } = await review((id) => (id === 13 ? slow : Promise.resolve()));
    await r.openWell(1);
    r.setReviewer('ana');
    void r.afterPending(() => r.moveFrame(1));
    const decided = r.afterPending(() => r.decide('accept'));
    await new Promise((done) => setTimeout(done, 20));
    expect(decisions).toEqual([]);
    release();
    await decided;
    await r.afterPending(() => undefined);
    expect(decisions.map((d) => d.frameIds)).toEqual([[13]]);
  });

  it('a live update while a well opens does not move the reviewer off the frame it opens on', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const { r, t } = await review(undefined, () => slow);
    t.subscribe((e) => r.onEvent(e)); // as App.svelte does
    const opened = r.openWell(1);
    await new Promise((done) => setTimeout(done, 0));
    t.emit({ type: 'wells-updated', wells: [well(1, { oof: 3, restored: 2 })] });
    release();
    await opened;
    await r.refreshWell();
    expect(r.currentFrame?.t).toBe(2);
    expect(r.frame?.id).toBe(12);
  });

  it('shows the open frame while live updates come faster than the core answers', async () => {
    // Every read takes 30 ms; the well changes every 10 ms (a busy station on a live plate).
    const late = () => new Promise<void>((done) => setTimeout(done, 30));
    const { r, t } = await review(late, late);
    t.subscribe((e) => r.onEvent(e));
    await r.openWell(1);
    const shown: (number | undefined)[] = [];
    const storm = setInterval(() => {
      t.emit({ type: 'wells-updated', wells: [well(1, { oof: 3, restored: 2 })] });
      shown.push(r.frame?.id);
    }, 10);
    await new Promise((done) => setTimeout(done, 300));
    clearInterval(storm);
    // Re-read while it happened (each answer replaced the frame object), never stuck waiting.
    const reads = t.calls.filter((c) => c.command === 'getFrame').length;
    expect(reads).toBeGreaterThan(2);
    expect(reads).toBeLessThan(t.calls.filter((c) => c.command === 'getNanowell').length + 2);
    expect(shown.every((id) => id === 12)).toBe(true);
    await r.refreshWell();
    expect(r.frame?.id).toBe(12);
  });

  it('two quick decisions decide two frames, not the same one twice', async () => {
    const { r, decisions } = await review();
    await r.openWell(1);
    r.setReviewer('ana');
    void r.afterPending(() => r.decide('accept'));
    void r.afterPending(() => r.decide('reject'));
    await new Promise((done) => setTimeout(done, 0));
    await r.afterPending(() => undefined);
    expect(decisions.map((d) => [d.frameIds, d.verdict])).toEqual([[[12], 'accept'], [[13], 'reject']]);
  });

  it('undoes the last decision and shows its frame again', async () => {
    const { r, t } = await review();
    await r.openWell(1);
    r.setReviewer('ana');
    await r.decide('reject');
    await r.undo();
    expect(t.calls.find((c) => c.command === 'undo')?.arg).toEqual({ frameIds: [12], reviewer: 'ana' });
    expect(r.currentFrame?.t).toBe(2);
    expect(r.frames[1]?.review).toBe('undecided');
    expect(r.message?.text).toBe('undid the last decision on t=2');
  });

  it('says why a decision cannot be taken, without asking the core', async () => {
    const { r, decisions } = await review();
    await r.openWell(1);
    await r.decide('accept');
    expect(r.message).toEqual({ kind: 'error', text: 'enter your name as reviewer first' });
    r.setReviewer('ana');
    await r.goToFrame(0);
    await r.decide('accept');
    expect(r.message).toEqual({ kind: 'error', text: 't=1 has no restoration to accept' });
    expect(decisions).toEqual([]);
  });

  it('moves between the wells the filters show', async () => {
    const { r } = await review();
    await r.openWell(1);
    r.moveWell(1);
    await new Promise((res) => setTimeout(res, 0));
    expect(r.selectedWellId).toBe(2);
    r.filters.oofOnly = true;
    expect(r.visibleWells.map((w) => w.id)).toEqual([1]);
  });

  it('zooms about a point and keeps the pan inside the image', () => {
    const r = new ReviewState(fakeTransport(), new StationState(fakeTransport()));
    r.zoomAt(4, 1, 1);
    expect(r.zoom).toBe(4);
    expect([r.panX, r.panY]).toEqual([-1.5, -1.5]);
    r.panBy(-10, 10);
    expect([r.panX, r.panY]).toEqual([-1.5, 1.5]);
    r.zoomAt(0.1);
    expect([r.zoom, Math.abs(r.panX), Math.abs(r.panY)]).toEqual([1, 0, 0]);
  });
});
