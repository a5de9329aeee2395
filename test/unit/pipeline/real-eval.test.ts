import { describe, expect, it } from 'vitest';
import {
  judgeInForce,
  auc,
  cropGrid,
  dzBinUm,
  dzFromName,
  fieldFromName,
  labelsFromNames,
  noiseSigma,
  overlap,
  parseLabelsCsv,
  registerTranslation,
  scoreJudgements,
  type CropJudgement,
} from '../../../main/pipeline/real-eval.js';

describe('real-data labels', () => {
  it('reads Δz and the field from z-stack file names', () => {
    expect(dzFromName('well3_dz-10.tif')).toBe(-10);
    expect(dzFromName('well3_dz+2.5um.tif')).toBe(2.5);
    expect(dzFromName('well3-dz0.tiff')).toBe(0);
    expect(dzFromName('t01.tif')).toBeNull();
    expect(dzFromName('adzuki_dz5.tif')).toBe(5);
    expect(fieldFromName('well3_dz-10.tif')).toBe('well3');
  });

  it('labels a z-stack by |Δz| and leaves out the gap and unlabelled files', () => {
    const r = labelsFromNames(['a_dz0.tif', 'a_dz-10.tif', 'a_dz3.tif', 'b.tif', 'a_dz+5.tif'], { inFocusMaxUm: 2.5, oofMinUm: 5 });
    expect(r.frames.map((f) => [f.path, f.label, f.field])).toEqual([
      ['a_dz0.tif', 'in_focus', 'a'],
      ['a_dz-10.tif', 'oof', 'a'],
      ['a_dz+5.tif', 'oof', 'a'],
    ]);
    expect(r.skipped).toEqual(['a_dz3.tif', 'b.tif']);
  });

  it('parses a labels CSV (other columns ignored) and names the line of a bad label', () => {
    const rows = parseLabelsCsv('path,extra,label,dz\n"x,1.tif",q,in_focus,0\ny.tif,,oof,-25\nz.tif,,OOF,\n');
    expect(rows).toEqual([
      { path: 'x,1.tif', label: 'in_focus', dzUm: 0, field: '' },
      { path: 'y.tif', label: 'oof', dzUm: -25, field: '' },
      { path: 'z.tif', label: 'oof', dzUm: null, field: '' },
    ]);
    expect(() => parseLabelsCsv('path,label\nq.tif,blurry\n', 'l.csv')).toThrow(/l\.csv line 2: label must be/);
    expect(() => parseLabelsCsv('file,label\n', 'l.csv')).toThrow(/must name the columns "path" and "label"/);
  });
});

describe('crop grid', () => {
  it('cuts whole non-overlapping crops; a small frame is one crop', () => {
    expect(cropGrid(1024, 1022, 281)).toHaveLength(9);
    expect(cropGrid(696, 520, 281)).toEqual([
      { x0: 0, y0: 0, row: 0, col: 0 },
      { x0: 281, y0: 0, row: 0, col: 1 },
    ]);
    expect(cropGrid(100, 90, 281)).toEqual([{ x0: 0, y0: 0, row: 0, col: 0 }]);
  });
});

describe('scoreJudgements', () => {
  const j = (frame: number, col: number, label: 'in_focus' | 'oof', pOof: number, dzUm: number | null = null): CropJudgement => ({
    frame,
    field: 'f',
    row: 0,
    col,
    label,
    dzUm,
    pOof,
    oof: pOof >= 0.5,
  });

  it('scores specificity, sensitivity, AUC, |Δz| bins and crop-position usability', () => {
    const js = [
      ...Array.from({ length: 20 }, (_, t) => j(t, 0, 'in_focus', 0.1, 0)),
      ...Array.from({ length: 20 }, (_, t) => j(t, 1, 'in_focus', t === 3 || t === 4 ? 0.9 : 0.2, 0)),
      j(20, 2, 'oof', 0.8, -10),
      j(21, 2, 'oof', 0.3, 25),
    ];
    const s = scoreJudgements(js);
    expect(s.specificity).toBeCloseTo(38 / 40, 12);
    expect(s.sensitivity).toBe(0.5);
    expect(s.balancedAccuracy).toBeCloseTo((38 / 40 + 0.5) / 2, 12);
    expect(s.perDzBin['5-10']).toEqual({ n: 1, accuracy: 1, judgedOof: 1, medianPOof: 0.8 });
    expect(s.perDzBin['≥20']!.accuracy).toBe(0);
    // Column 1 has 2 OOF frames in a row (10% > 5%): unusable; column 0 usable.
    expect(s.positions.find((p) => p.col === 0)!.usable).toBe(true);
    expect(s.positions.find((p) => p.col === 1)!.usable).toBe(false);
    expect(s.allInFocusPositionsUsable).toBe(false);
    // Each OOF crop outranks the 38 in-focus crops below it, not the two at 0.9.
    expect(s.auc).toBeCloseTo(76 / 80, 12);
  });

  it('computes AUC with ties counted half, null without both classes', () => {
    expect(auc([0.9, 0.5], [0.5, 0.1])).toBeCloseTo((1 + 1 + 0.5 + 1) / 4, 12);
    expect(auc([], [0.1])).toBeNull();
    expect(dzBinUm(-3)).toBe('2.5-5');
    expect(dzBinUm(5)).toBe('5-10');
    expect(dzBinUm(-4.99)).toBe('2.5-5');
  });
});

describe('judgeInForce (each crop position a well, its frames the series)', () => {
  const j = (frame: number, col: number, pOof: number): CropJudgement => ({ frame, field: '', row: 0, col, label: 'in_focus', dzUm: null, pOof, oof: pOof >= 0.5 });
  const m = (s: number) => ({ tenenbaum: 1, laplacianVariance: s, normalizedVariance: 1 });

  it('keeps in focus a frame the model flags that looks like its position\'s other frames, per position and in frame order', () => {
    // Position 0: four confident in-focus frames, then a 0.8 flag with the same content sharpness.
    // Position 1: the model is sure (p ≥ 0.99) from its first frame: the rule does not rescue it.
    const js = [j(4, 0, 0.8), j(0, 0, 0.1), j(1, 0, 0.1), j(2, 0, 0.1), j(3, 0, 0.1), j(0, 1, 0.995), j(1, 1, 0.995)];
    const out = judgeInForce(js, js.map(() => m(2)));
    expect(out.map((x) => x.oof)).toEqual([false, false, false, false, false, true, true]);
    expect(js[0]!.oof).toBe(true); // the input is left as it was
  });

  it('needs one metrics entry per judgement', () => {
    expect(() => judgeInForce([j(0, 0, 0.1)], [])).toThrow(/one metrics entry per judgement/);
  });
});

describe('registration', () => {
  it('finds the translation between two shifted views and returns their overlap', () => {
    const w = 64;
    const h = 48;
    const base = (x: number, y: number): number => Math.sin(0.31 * x) * Math.cos(0.17 * y) + 0.3 * Math.sin(0.05 * x * y);
    const fixed = { width: w, height: h, data: new Float32Array(w * h) };
    const moving = { width: w, height: h, data: new Float32Array(w * h) };
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        fixed.data[y * w + x] = base(x, y);
        moving.data[y * w + x] = base(x + 5, y - 3);
      }
    }
    const { dx, dy } = registerTranslation(fixed, moving, 10);
    expect([dx, dy]).toEqual([5, -3]);
    const [a, b] = overlap(fixed, moving, dx, dy);
    expect(a.width).toBe(59);
    expect(a.height).toBe(45);
    for (let i = 0; i < a.data.length; i += 37) expect(b.data[i]).toBeCloseTo(a.data[i]!, 6);
  });
});

describe('noiseSigma', () => {
  it('recovers the σ of white Gaussian noise on a smooth ramp within 5%', () => {
    const w = 200;
    const h = 150;
    const data = new Float32Array(w * h);
    let seed = 12345;
    const uni = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
    for (let i = 0; i < w * h; i++) {
      const g = Math.sqrt(-2 * Math.log(uni())) * Math.cos(2 * Math.PI * uni());
      data[i] = 0.3 + 0.001 * (i % w) + 0.02 * g;
    }
    expect(noiseSigma({ width: w, height: h, data })).toBeCloseTo(0.02, 2);
    expect(Math.abs(noiseSigma({ width: w, height: h, data }) / 0.02 - 1)).toBeLessThan(0.05);
  });
});
