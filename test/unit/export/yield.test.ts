import { describe, expect, it } from 'vitest';
import { DEFAULT_USABILITY, videoUsability } from '../../../main/common/usability.js';
import { frameDisposition, videoFrameOf, type FrameFacts } from '../../../main/common/export-policy.js';
import { addFrameToStats, addWellToStats, emptyBlockStats, totalStats } from '../../../main/export/yield.js';

function video(spec: string): (FrameFacts & { t: number; channel: string })[] {
  // i = in focus, a = OOF accepted restoration, r = OOF rejected, u = OOF undecided, p = pending
  return [...spec].map((c, i) => ({
    t: i + 1,
    channel: '0',
    state: c === 'i' ? 'in_focus' : c === 'p' ? 'pending' : c === 'a' || c === 'r' ? 'restored' : 'oof',
    oofOriginal: c === 'i' ? false : c === 'p' ? null : true,
    hasRestoration: c === 'a' || c === 'r',
    verdict: c === 'a' ? 'accept' : c === 'r' ? 'reject' : null,
  }));
}

describe('block stats', () => {
  it('counts frames, decisions and usable videos', () => {
    const s = emptyBlockStats('B1');
    const frames = video('iaru');
    for (const f of frames) addFrameToStats(s, f, frameDisposition(f, 'curated'));
    addWellToStats(s, videoUsability(frames.map(videoFrameOf), DEFAULT_USABILITY, 'review'));
    expect(s).toMatchObject({ frames: 4, classified: 4, oof: 3, accepted: 1, rejected: 1, undecided: 1, exportedOriginals: 1, exportedRestored: 1, excluded: 2, wells: 1, evaluated: 1, usableBefore: 0, usableAfter: 0 });
    const total = totalStats([s, s]);
    expect(total.block).toBe('total');
    expect(total.frames).toBe(8);
  });
});
