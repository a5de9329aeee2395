import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExportState } from '../../../../renderer/src/state/export.svelte.js';
import { fakeTransport } from './transport.js';

afterEach(() => vi.useRealTimers());

const result = { exportId: 1, destination: '/out', framesExported: 3, framesExcluded: 1, manifestSha256: 'abc' };

describe('ExportState', () => {
  it('asks for a destination before starting', async () => {
    const t = fakeTransport();
    const s = new ExportState(t);
    await s.start();
    expect(s.error).toBe('enter a destination folder');
    expect(s.outcome).toBe(1);
    expect(t.calls).toEqual([]);
  });

  it('starts the export with the trimmed destination and a copy of the policy', async () => {
    const t = fakeTransport({ startExport: () => result });
    const s = new ExportState(t);
    s.destination = '  /out ';
    await s.start();
    expect(t.calls).toEqual([{ command: 'startExport', arg: { destination: '/out', policy: { include: 'curated', layout: 'mirror', omeStacks: true, trainingPack: false }, merge: false } }]);
    expect(s.result).toEqual(result);
    expect([s.running, s.error, s.outcome]).toEqual([false, null, 1]);
  });

  it('offers to merge after an existing destination is refused, and merges on request', async () => {
    let refused = false;
    const t = fakeTransport({
      startExport: (input) => {
        if (!input.merge) {
          refused = true;
          throw new Error('/out already exists and is not empty');
        }
        return result;
      },
    });
    const s = new ExportState(t);
    s.destination = '/out';
    await s.start();
    expect(refused).toBe(true);
    expect(s.canOfferMerge).toBe(true);
    await s.mergeInstead();
    expect(s.merge).toBe(true);
    expect(s.canOfferMerge).toBe(false);
    expect(s.result).toEqual(result);
  });

  it('follows export progress and refreshes the preview once per burst of decisions', async () => {
    vi.useFakeTimers();
    const preview = { originals: 4, restored: 2, excluded: 1, wells: 2 };
    const t = fakeTransport({ previewExport: () => preview });
    const s = new ExportState(t);
    s.onEvent({ type: 'export', phase: 'progress', done: 2, total: 9 });
    expect(s.progress).toEqual({ done: 2, total: 9 });
    for (let i = 0; i < 5; i++) s.onEvent({ type: 'decision', frameIds: [i + 1], verdict: 'accept', reviewer: 'ana' });
    await vi.advanceTimersByTimeAsync(300);
    expect(t.calls.filter((c) => c.command === 'previewExport')).toHaveLength(1);
    expect(s.preview).toEqual(preview);
  });
});
