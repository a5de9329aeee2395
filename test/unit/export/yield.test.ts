import { describe, expect, it } from 'vitest';
import { DEFAULT_USABILITY } from '../../../main/common/usability.js';
import { frameDisposition } from '../../../main/export/policy.js';
import { addFrameToStats, addWellToStats, emptyBlockStats, totalStats, wellUsability, type WellVideoFrame } from '../../../main/export/yield.js';

function video(spec: string): WellVideoFrame[] {
  // i = in focus, a = OOF accepted restoration, r = OOF rejected, u = OOF undecided, p = pending
  return [...spec].map((c, i) => ({
    t: i + 1,
    state: c === 'i' ? 'in_focus' : c === 'p' ? 'pending' : c === 'a' || c === 'r' ? 'restored' : 'oof',
    oofOriginal: c === 'i' ? false : c === 'p' ? null : true,
    hasRestoration: c === 'a' || c === 'r',
    verdict: c === 'a' ? 'accept' : c === 'r' ? 'reject' : null,
  }));
}

describe('wellUsability', () => {
  it('an accepted restoration rescues a video', () => {
    expect(wellUsability(video('i'.repeat(39) + 'a'), DEFAULT_USABILITY)).toEqual({ before: true, after: true });
    expect(wellUsability(video('i'.repeat(18) + 'aa'), DEFAULT_USABILITY)).toEqual({ before: false, after: true });
    expect(wellUsability(video('i'.repeat(8) + 'ar'), DEFAULT_USABILITY)).toEqual({ before: false, after: false });
  });
  it('time order, not row order, decides consecutive OOF frames', () => {
    const v = video('i'.repeat(38) + 'uu');
    expect(wellUsability(v, DEFAULT_USABILITY).before).toBe(false);
    const shuffled = [v[39]!, ...v.slice(0, 20), v[38]!, ...v.slice(20, 38)];
    expect(wellUsability(shuffled, DEFAULT_USABILITY).before).toBe(false);
  });
  it('a video with unclassified frames has no verdict', () => {
    expect(wellUsability(video('iip'), DEFAULT_USABILITY)).toEqual({ before: null, after: null });
  });
});

describe('block stats', () => {
  it('counts frames, decisions and usable videos', () => {
    const s = emptyBlockStats('B1');
    const frames = video('iaru');
    for (const f of frames) addFrameToStats(s, f, frameDisposition(f, 'curated'));
    addWellToStats(s, wellUsability(frames, DEFAULT_USABILITY));
    expect(s).toMatchObject({ frames: 4, classified: 4, oof: 3, accepted: 1, rejected: 1, undecided: 1, exportedOriginals: 1, exportedRestored: 1, excluded: 2, wells: 1, evaluated: 1, usableBefore: 0, usableAfter: 0 });
    const total = totalStats([s, s]);
    expect(total.block).toBe('total');
    expect(total.frames).toBe(8);
  });
});
