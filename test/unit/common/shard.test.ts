import { describe, expect, it } from 'vitest';
import { fmix32, formatShard, frameSeedKey, inShard, nanowellShard, parseShard, stableHash32 } from '../../../main/common/shard.js';

/** TIMING-style plate: `blocks` blocks of `wells` nanowells imgNo001… */
function plate(blocks: number, wells: number): { block: string; well: string }[] {
  const out: { block: string; well: string }[] = [];
  for (let b = 1; b <= blocks; b++) for (let w = 1; w <= wells; w++) out.push({ block: String(b), well: `imgNo${String(w).padStart(3, '0')}` });
  return out;
}

describe('parseShard', () => {
  it('reads i/N', () => {
    expect(parseShard('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseShard(' 74 / 75 ')).toEqual({ index: 74, count: 75 });
    expect(formatShard(parseShard('3/8'))).toBe('3/8');
  });
  it('rejects what is not a shard, naming the value', () => {
    expect(() => parseShard('4/4')).toThrow(/below N.*"4\/4"/);
    expect(() => parseShard('1/0')).toThrow(/between 1 and/);
    expect(() => parseShard('-1/4')).toThrow(/i\/N.*"-1\/4"/);
    expect(() => parseShard('1')).toThrow(/i\/N/);
    expect(() => parseShard('a/b')).toThrow(/i\/N/);
  });
});

describe('stableHash32 (FNV-1a over UTF-8)', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    expect(stableHash32('')).toBe(0x811c9dc5);
    expect(stableHash32('a')).toBe(0xe40c292c);
    expect(stableHash32('foobar')).toBe(0xbf9cf968);
  });
  it('hashes UTF-8 bytes, not UTF-16 code units', () => {
    // "é" is two UTF-8 bytes (c3 a9): FNV-1a of those, not of 0xe9.
    let h = 0x811c9dc5;
    for (const b of [0xc3, 0xa9]) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    expect(stableHash32('é')).toBe(h);
  });
});

describe('nanowell partition', () => {
  it('puts every nanowell in exactly one shard', () => {
    for (const { block, well } of plate(2, 50)) {
      const owners = [0, 1, 2, 3].filter((index) => inShard({ index, count: 4 }, block, well));
      expect(owners, `B${block}-${well}`).toEqual([nanowellShard(block, well, 4)]);
    }
  });
  it('depends on the nanowell only (block and well both count)', () => {
    expect(nanowellShard('1', 'imgNo001', 75)).toBe(nanowellShard('1', 'imgNo001', 75));
    const wells = plate(1, 200).map((w) => nanowellShard('1', w.well, 16));
    const otherBlock = plate(1, 200).map((w) => nanowellShard('2', w.well, 16));
    expect(otherBlock).not.toEqual(wells);
    // The separator keeps ("1", "2x") and ("12", "x") apart.
    expect(stableHash32('1\u00002x')).not.toBe(stableHash32('12\u0000x'));
  });
  it('pins the rule (a change would re-shard running clusters)', () => {
    // fmix32(fnv1a32("1\u0000" + well)) mod 4 for wells imgNo001…imgNo008.
    expect(plate(1, 8).map((w) => nanowellShard('1', w.well, 4))).toEqual([3, 0, 2, 1, 2, 3, 3, 2]);
    expect(nanowellShard('1', 'imgNo001', 4)).toBe(fmix32(stableHash32('1\u0000imgNo001')) % 4);
  });
  it('mixes every bit: modulo a power of two it is not the low bits of the bytes', () => {
    // Wells differing only in a byte's high bits ('A' 0x41, 'a' 0x61, '!' 0x21) fall in one FNV shard mod 32 …
    const fnvOnly = ['A', 'a', '!'].map((w) => stableHash32(`1\u0000${w}`) % 32);
    expect(new Set(fnvOnly).size).toBe(1);
    // … but not after the finaliser.
    expect(new Set(['A', 'a', '!'].map((w) => nanowellShard('1', w, 32))).size).toBeGreaterThan(1);
  });
  it('balances a TIMING plate: 2,708 nanowells over 75 shards within 4 sigma of the mean', () => {
    const counts = new Array<number>(75).fill(0);
    for (const { block, well } of plate(4, 677)) counts[nanowellShard(block, well, 75)]!++;
    const mean = 2708 / 75;
    const sigma = Math.sqrt(mean);
    expect(Math.min(...counts)).toBeGreaterThan(mean - 4 * sigma);
    expect(Math.max(...counts)).toBeLessThan(mean + 4 * sigma);
  });
  it('balances 4 shards of a small plate within 25%', () => {
    const counts = [0, 0, 0, 0];
    for (const { block, well } of plate(2, 100)) counts[nanowellShard(block, well, 4)]!++;
    for (const c of counts) expect(Math.abs(c - 50)).toBeLessThan(12.5);
  });
  it('rejects a non-positive shard count', () => {
    expect(() => nanowellShard('1', 'w', 0)).toThrow(/positive integer/);
  });
});

describe('frameSeedKey', () => {
  it('is the same for the same frame in any workspace and differs between frames and pages', () => {
    const p = 'B1/images/crops_8bit_s/imgNo001CH0/imgNo001CH0_t12.tif';
    expect(frameSeedKey(p, 0)).toBe(frameSeedKey(p, 0));
    expect(frameSeedKey(p, 1)).not.toBe(frameSeedKey(p, 0));
    expect(frameSeedKey(p.replace('t12', 't13'), 0)).not.toBe(frameSeedKey(p, 0));
  });
});
