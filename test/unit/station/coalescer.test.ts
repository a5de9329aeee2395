import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WellSummary } from '../../../preload/api.js';
import { WellUpdateCoalescer } from '../../../main/station/coalescer.js';

function well(id: number, oof: number): WellSummary {
  return {
    id, runId: 1, block: '1', well: String(id), label: `B1-${id}`, position: id, frames: 10, classified: 10, oof,
    restored: 0, accepted: 0, rejected: 0, failed: 0, oofFraction: oof / 10, usableBefore: oof === 0, usableAfter: oof === 0,
    state: oof ? 'oof' : 'in_focus',
  };
}

describe('WellUpdateCoalescer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends at most one batch per interval, with only the wells that changed', () => {
    const state = new Map([[1, well(1, 0)], [2, well(2, 0)], [3, well(3, 0)]]);
    const batches: number[][] = [];
    const c = new WellUpdateCoalescer({
      intervalMs: 250,
      load: (ids) => ids.map((id) => state.get(id)!),
      emit: (wells) => batches.push(wells.map((w) => w.id)),
    });
    c.prime([...state.values()]);
    // 30 notifications within one interval: one batch.
    for (let i = 0; i < 30; i++) c.touch((i % 3) + 1);
    state.set(2, well(2, 1));
    vi.advanceTimersByTime(10);
    expect(batches).toEqual([[2]]);
    // Next changes wait for the interval to pass.
    state.set(1, well(1, 2));
    c.touch(1, 3);
    vi.advanceTimersByTime(100);
    expect(batches).toHaveLength(1);
    vi.advanceTimersByTime(200);
    expect(batches).toEqual([[2], [1]]);
    // Touching unchanged wells sends nothing.
    c.touch(1, 2, 3);
    vi.advanceTimersByTime(1000);
    expect(batches).toHaveLength(2);
    c.close();
  });

  it('reports load failures and keeps going', () => {
    const errors: unknown[] = [];
    let fail = true;
    const emitted: number[] = [];
    const c = new WellUpdateCoalescer({
      intervalMs: 250,
      load: (ids) => {
        if (fail) throw new Error('database is locked');
        return ids.map((id) => well(id, 1));
      },
      emit: (w) => emitted.push(...w.map((x) => x.id)),
      onError: (e) => errors.push(e),
    });
    c.touch(5);
    vi.advanceTimersByTime(300);
    expect(errors).toHaveLength(1);
    fail = false;
    c.touch(5);
    vi.advanceTimersByTime(300);
    expect(emitted).toEqual([5]);
    c.close();
  });
});
