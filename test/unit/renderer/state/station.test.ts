import { beforeAll, describe, expect, it } from 'vitest';
import { blockOrder, StationState } from '../../../../renderer/src/state/station.svelte.js';
import { idleProgress, overview, well } from './fixtures.js';
import { fakeTransport } from './transport.js';

// The state records paint times with requestAnimationFrame, which Node lacks.
beforeAll(() => {
  globalThis.requestAnimationFrame ??= (cb: FrameRequestCallback) => setTimeout(() => cb(0), 0) as unknown as number;
});

const settle = () => new Promise((r) => setTimeout(r, 0));

function station(wells = [well(3, { block: '10', usableBefore: null, usableAfter: null }), well(2, { block: '2' }), well(1, { block: '2', oof: 4, usableBefore: false, usableAfter: null })]) {
  const t = fakeTransport({
    getOverview: () => overview(wells, 7),
    getProgress: () => idleProgress,
    getEngineStatus: () => ({ provider: 'cpu', models: [], workerPid: null, workerPids: [], acquiring: false }),
    listErrors: () => [],
  });
  return { t, s: new StationState(t) };
}

describe('blockOrder', () => {
  it('orders numeric blocks numerically, others by name', () => {
    expect(['B10', 'B2', '1'].sort(blockOrder)).toEqual(['1', 'B2', 'B10']);
    expect(['b', 'a'].sort(blockOrder)).toEqual(['a', 'b']);
  });
});

describe('StationState', () => {
  it('loads the overview in plate order and derives totals from the wells', async () => {
    const { s } = station();
    s.start();
    await settle();
    expect(s.loaded).toBe(true);
    expect(s.wells.map((w) => w.id)).toEqual([1, 2, 3]);
    expect(s.totals).toMatchObject({ frames: 30, oof: 4, wells: 3, usableBefore: 1, usableAfter: 1, errors: 7 });
    expect(s.evaluated).toBe(2);
    expect(s.byId.get(3)?.block).toBe('10');
  });

  it('merges a wells update, inserting new wells in plate order, and recomputes totals', async () => {
    const { t, s } = station();
    s.start();
    await settle();
    const revision = s.revision;
    t.emit({ type: 'wells-updated', wells: [well(2, { block: '2', oof: 1 }), well(9, { block: '3' })] });
    expect(s.wells.map((w) => w.id)).toEqual([1, 2, 9, 3]);
    expect([...s.changedWells]).toEqual([2, 9]);
    expect(s.revision).toBe(revision + 1);
    expect(s.totals.oof).toBe(5);
    expect(s.totals.wells).toBe(4);
  });

  it('prepends errors from the stream and counts them', async () => {
    const { t, s } = station();
    s.start();
    await settle();
    t.emit({ type: 'error', entry: { id: 5, source: 'ingest', path: 'a.tif', message: 'bad', at: 'now' } });
    expect(s.errors[0]?.id).toBe(5);
    expect(s.totals.errors).toBe(8);
  });

  it('reloads everything when the link comes back, and says why a load failed', async () => {
    const { t, s } = station();
    s.start();
    t.setLink('open');
    await settle();
    t.setLink('closed');
    t.setLink('open');
    await settle();
    expect(t.calls.filter((c) => c.command === 'getOverview')).toHaveLength(2);

    const broken = new StationState(fakeTransport({ getOverview: () => { throw new Error('server gone'); } }));
    await broken.reload();
    expect(broken.loadError).toBe('server gone');
    expect(broken.loaded).toBe(false);
  });

  it('stops listening when disposed', async () => {
    const { t, s } = station();
    s.start();
    await settle();
    s.dispose();
    t.emit({ type: 'wells-updated', wells: [well(42)] });
    expect(s.byId.has(42)).toBe(false);
  });
});
