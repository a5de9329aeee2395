import { describe, expect, it } from 'vitest';
import { DEFAULT_USABILITY } from '../../../main/common/usability.js';
import { rankRestorations } from '../../../main/pipeline/priority.js';
import type { SeriesFrame } from '../../../main/store/queries/restore-priority.js';

/**
 * A nanowell video from a string, one character per time point: '.' in focus,
 * 'o' OOF waiting for restoration, 'r' restored (re-checked in focus or not yet),
 * 'x' restored but still OOF, 'f' restoration in flight. Frame ids are wellId·100 + t.
 */
function video(wellId: number, s: string): SeriesFrame[] {
  return [...s].map((c, i) => ({
    wellId,
    frameId: wellId * 100 + i + 1,
    t: i + 1,
    channel: '0',
    state: c === 'r' || c === 'x' ? 'restored' : c === '.' ? 'in_focus' : 'oof',
    oof: c === '.' ? 0 : 1,
    oofRestored: c === 'x' ? 1 : c === 'r' ? 0 : null,
    inFlight: c === 'f' ? 1 : 0,
  }));
}
const waitingOf = (series: SeriesFrame[]) => series.filter((f) => f.state === 'oof' && !f.inFlight).map((f) => f.frameId);

describe('restoration priority', () => {
  it('ranks wells just over the 5% rule first, then wells that need more, then usable ones', () => {
    const series = [
      ...video(1, `o${'.'.repeat(39)}`), // 1 of 40 OOF (≤ 5%): usable anyway
      ...video(2, `o.o.o${'.'.repeat(35)}`), // 3 of 40 (7.5%): one restoration makes it usable
      ...video(3, `o.o.o.o.o.o.o${'.'.repeat(27)}`), // 7 of 40: needs 5
    ];
    const ranked = rankRestorations(waitingOf(series), series, DEFAULT_USABILITY);
    expect(ranked.map((r) => [r.frameId, r.needed])).toEqual([
      [201, 1], [203, 1], [205, 1],
      [301, 5], [303, 5], [305, 5], [307, 5], [309, 5], [311, 5], [313, 5],
      [101, 0],
    ]);
  });

  it('puts frames of a run of two OOF frames first within their well', () => {
    const series = video(4, `o....oo${'.'.repeat(33)}`); // 3 of 40 and a run of two
    const ranked = rankRestorations(waitingOf(series), series, DEFAULT_USABILITY);
    expect(ranked.map((r) => [r.frameId, r.inRun])).toEqual([[406, true], [407, true], [401, false]]);
    expect(ranked[0]!.needed).toBe(1);
  });

  it('counts restored and in-flight frames as fixed, restored-but-still-OOF ones as not', () => {
    // Two OOF frames fixed (restored, in flight): the third alone keeps the well usable (1 of 40).
    const fixed = video(5, `r.f.o${'.'.repeat(35)}`);
    expect(rankRestorations(waitingOf(fixed), fixed, DEFAULT_USABILITY)).toEqual([{ frameId: 505, needed: 0, inRun: false }]);
    // The same with the restoration re-checked as still OOF: 2 of 40 plus the one in flight.
    const stillOof = video(6, `x.f.o${'.'.repeat(35)}`);
    expect(rankRestorations(waitingOf(stillOof), stillOof, DEFAULT_USABILITY)).toEqual([{ frameId: 605, needed: 0, inRun: false }]);
    const worse = video(7, `xxf.o${'.'.repeat(15)}`); // 20 frames: x x = a run, 3 OOF of 20 > 5%
    expect(rankRestorations(waitingOf(worse), worse, DEFAULT_USABILITY)).toEqual([{ frameId: 705, needed: 2, inRun: false }]);
  });

  it('breaking a long run needs every other frame restored', () => {
    const series = video(8, `oooo${'.'.repeat(96)}`); // 4 of 100 (≤ 5%) but a run of 4: 2 restorations
    const ranked = rankRestorations(waitingOf(series), series, DEFAULT_USABILITY);
    expect(ranked.every((r) => r.needed === 2 && r.inRun)).toBe(true);
    expect(ranked.map((r) => r.frameId)).toEqual([801, 802, 803, 804]);
  });
});
