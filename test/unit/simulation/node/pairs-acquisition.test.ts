import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTiffPage } from '../../../../main/imaging/tiff-read.js';
import { writePairsAcquisition } from '../../../../main/simulation/node/pairs-acquisition.js';
import { writePairs } from '../../../../main/simulation/node/pairs-writer.js';

describe('pairs as an acquisition with labels', () => {
  it('writes t1 = input, t2 = in-focus twin per nanowell at the pair bit depth, and a labels CSV', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pf-pairs-acq-'));
    const pairs = join(root, 'pairs');
    await writePairs(pairs, { count: 4, size: 32, seed: 3, threads: 1, entryUrl: import.meta.url, varied: 'holdout' });
    const index = JSON.parse(readFileSync(join(pairs, 'index.json'), 'utf8'));
    const acq = join(root, 'acq');
    const r = writePairsAcquisition(pairs, acq);
    expect(r.frames).toBe(8);
    const rows = readFileSync(r.labels, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('path,label,dz_um,dz_dof,modality,objective,scene');
    expect(rows).toHaveLength(9);
    for (let i = 0; i < 4; i++) {
      const it = index.items[i];
      const [inPath, inLabel, inDz] = rows[1 + 2 * i]!.split(',');
      const [twinPath, twinLabel] = rows[2 + 2 * i]!.split(',');
      expect(inPath).toBe(`B1/images/crops_8bit_s/00${i + 1}CH0/imgNo${i + 1}CH0_t1.tif`);
      expect(twinPath).toBe(`B1/images/crops_8bit_s/00${i + 1}CH0/imgNo${i + 1}CH0_t2.tif`);
      expect(inLabel).toBe(it.oof === 1 ? 'oof' : 'in_focus');
      expect(Number(inDz)).toBe(it.dz_um);
      expect(twinLabel).toBe('in_focus');
      const page = await readTiffPage(join(acq, twinPath!), 0);
      expect(page.bits).toBe(it.bits <= 8 ? 8 : 16);
      expect(Math.max(...page.data)).toBeLessThanOrEqual(2 ** it.bits - 1);
    }
    expect(() => writePairsAcquisition(pairs, acq)).toThrow(/already holds an acquisition/);
  });
});
