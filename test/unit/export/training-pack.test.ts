import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  centreCropOrPad,
  evenSelector,
  identicalPairsWanted,
  reflectIndex,
  TrainingPackWriter,
} from '../../../main/export/training-pack.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('centreCropOrPad', () => {
  it('crops the centre of a larger image', () => {
    const img = Float32Array.from({ length: 25 }, (_, i) => i); // 5×5
    expect([...centreCropOrPad(img, 5, 5, 3)]).toEqual([6, 7, 8, 11, 12, 13, 16, 17, 18]);
  });
  it('mirror-pads a smaller image without repeating the edge', () => {
    const img = Float32Array.from([0, 1, 2, 3]); // 2×2
    // window starts at floor((2 - 4) / 2) = -1: rows/cols -1, 0, 1, 2 → 1, 0, 1, 0
    expect([...centreCropOrPad(img, 2, 2, 4)]).toEqual([3, 2, 3, 2, 1, 0, 1, 0, 3, 2, 3, 2, 1, 0, 1, 0]);
  });
  it('reflectIndex handles 1-pixel images and far indices', () => {
    expect(reflectIndex(-3, 1)).toBe(0);
    expect(reflectIndex(-1, 4)).toBe(1);
    expect(reflectIndex(4, 4)).toBe(2);
    expect(reflectIndex(9, 4)).toBe(3);
  });
  it('refuses a data length that does not match', () => {
    expect(() => centreCropOrPad(new Float32Array(3), 2, 2, 2)).toThrow(/expected 2×2/);
  });
});

describe('identical pair selection', () => {
  it('one identical pair per three restored pairs (25 %)', () => {
    expect(identicalPairsWanted(3)).toBe(1);
    expect(identicalPairsWanted(30)).toBe(10);
    expect(identicalPairsWanted(0)).toBe(0);
  });
  it('spreads the chosen frames evenly and picks exactly k', () => {
    const pick = evenSelector(10, 3);
    const chosen = [...Array(10).keys()].filter(pick);
    expect(chosen).toEqual([3, 6, 9]);
    expect([...Array(5).keys()].filter(evenSelector(5, 99))).toEqual([0, 1, 2, 3, 4]);
    expect([...Array(5).keys()].filter(evenSelector(5, 0))).toEqual([]);
  });
});

describe('TrainingPackWriter', () => {
  it('writes n × S × S little-endian float32 arrays and the index models/training reads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pf-pack-'));
    dirs.push(dir);
    const w = new TrainingPackWriter(dir, 2);
    w.add(Float32Array.from([0, 0.25, 0.5, 1]), Float32Array.from([1, 1, 1, 1]), { oof: 1, identical: false, frame_id: 7 });
    w.add(Float32Array.from([0.5, 0.5, 0.5, 0.5]), Float32Array.from([0.5, 0.5, 0.5, 0.5]), { oof: 0, identical: true, frame_id: 9 });
    const index = w.finish();
    expect(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'))).toEqual(index);
    expect(index).toEqual({
      version: 1,
      size: 2,
      count: 2,
      seed: null,
      source: 'station-export',
      files: { oof: 'oof.f32', focus: 'focus.f32' },
      items: [
        { dz_um: null, oof: 1, kind: 'station', identical: false, frame_id: 7 },
        { dz_um: null, oof: 0, kind: 'station', identical: true, frame_id: 9 },
      ],
    });
    const oof = readFileSync(join(dir, 'oof.f32'));
    expect(oof.length).toBe(2 * 2 * 2 * 4);
    expect(oof.readFloatLE(4)).toBe(0.25);
    expect(oof.readFloatLE(16)).toBe(0.5);
    expect(readFileSync(join(dir, 'focus.f32')).readFloatLE(0)).toBe(1);
  });
  it('refuses a pair of the wrong size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pf-pack-'));
    dirs.push(dir);
    const w = new TrainingPackWriter(dir, 2);
    expect(() => w.add(new Float32Array(3), new Float32Array(4), { oof: 1, identical: false, frame_id: 1 })).toThrow(/frame 1 is not 2×2/);
    w.close();
  });
});
