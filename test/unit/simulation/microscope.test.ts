import { describe, expect, it } from 'vitest';
import { tenenbaum } from '../../../main/imaging/metrics/focus.js';
import { defocusRingRadiusPx, ringKernel } from '../../../main/simulation/condenser.js';
import { renderFrame, VirtualMicroscope, wellScene, workingGridSize } from '../../../main/simulation/microscope.js';
import { hashSeed } from '../../../main/simulation/prng.js';
import type { SceneObject, WellScene } from '../../../main/simulation/scene.js';

const mic = new VirtualMicroscope({ size: 128 });

function singleCell(deltaN: number): WellScene {
  const cell: SceneObject = {
    id: 1,
    kind: 'bead',
    x: 0,
    y: 0,
    radiusUm: 5,
    aspect: 1,
    angle: 0,
    heightUm: 10,
    deltaN,
    absorptionPerUm: 0,
    maxSpeedUmPerMin: 0,
    harmonics: [0, 0, 0],
    harmonicPhases: [0, 0, 0],
    protrusions: [],
    textureSeed: 0,
  };
  return { kind: 'beads', offsetPx: [0, 0], objects: [cell] };
}

function centreAndHalo(img: Float32Array, size: number): [number, number] {
  const R = 5 / 0.325;
  const c = (size - 1) / 2;
  let a = 0;
  let na = 0;
  let b = 0;
  let nb = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const r = Math.hypot(x - c, y - c);
      if (r < R / 2) {
        a += img[y * size + x]!;
        na++;
      } else if (r > R && r < 1.6 * R) {
        b += img[y * size + x]!;
        nb++;
      }
    }
  }
  return [a / na, b / nb];
}

describe('virtual microscope', () => {
  it('pads crops to a power-of-two working grid with a guard band', () => {
    expect(workingGridSize(281)).toBe(512);
    expect(workingGridSize(96)).toBe(256);
    expect(workingGridSize(128)).toBe(256);
    expect(mic.n).toBe(256);
  });

  it('blurs defocus by the condenser annulus: ring radius grows with |Δz|, identity in focus', () => {
    expect(defocusRingRadiusPx(0, 0.28, 1.33, 0.325)).toBe(0);
    expect(defocusRingRadiusPx(10, 0.28, 1.33, 0.325)).toBeCloseTo(6.626, 3);
    expect(defocusRingRadiusPx(-5, 0.28, 1.33, 0.325)).toBeCloseTo(3.313, 3);
    const k = ringKernel(3.31);
    expect(k.w.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    expect(ringKernel(0.2).w.length).toBe(1);
  });

  it('a cell is dark with a bright halo in focus; its centre turns bright 10 µm past focus and darker 10 µm before', () => {
    mic.loadScene(singleCell(0.033), [{ x: 0, y: 0, angle: 0, wiggle: 0 }]);
    const [c0, h0] = centreAndHalo(mic.intensity(0), 128);
    const [cp, hp] = centreAndHalo(mic.intensity(10), 128);
    const [cm, hm] = centreAndHalo(mic.intensity(-10), 128);
    expect(c0).toBeLessThan(0.5);
    expect(h0).toBeGreaterThan(1.2);
    // Contrast (centre − surround) changes sign between +10 and −10 µm.
    expect(cp - hp).toBeGreaterThan(0);
    expect(cm - hm).toBeLessThan(0);
    expect(c0).toBeCloseTo(0.149, 2);
    expect(cp).toBeCloseTo(1.3, 1);
    expect(cm).toBeCloseTo(0.469, 2);
  });

  it('the Tenenbaum gradient falls with |Δz| on average', () => {
    const big = new VirtualMicroscope({ size: 192 });
    const dzs = [0, 2.5, 5, 7.5, 10];
    const mean = dzs.map(() => 0);
    const kinds = ['nalm6', 'skov3', 'beads'] as const;
    for (let s = 0; s < 6; s++) {
      const seed = hashSeed(99, s);
      const scene = wellScene(kinds[s % 3]!, seed);
      big.loadScene(scene, big.posesAt(scene, seed, 0, 1, 5));
      dzs.forEach((dz, i) => {
        const t = (d: number): number => tenenbaum({ width: 192, height: 192, data: big.intensity(d) });
        mean[i]! += (t(dz) + t(-dz)) / 2 / 6;
      });
    }
    for (let i = 1; i < dzs.length; i++) expect(mean[i], `Δz ${dzs[i]} vs ${dzs[i - 1]}: ${mean.map((m) => m.toFixed(3))}`).toBeLessThan(mean[i - 1]!);
    expect(mean[4]! / mean[0]!).toBeLessThan(0.25);
  });

  it('renders a frame, its in-focus twin (same noise) and labels; Δz = 0 gives the twin itself', () => {
    const spec = { sceneKind: 'nalm6' as const, sceneSeed: 5, t: 3, frames: 10, frameIntervalMin: 5, dzUm: 0, noiseSeed: 77 };
    const a = renderFrame(mic, spec);
    expect(Array.from(a.frame)).toEqual(Array.from(a.twin));
    const b = renderFrame(mic, { ...spec, dzUm: 7 });
    expect(Array.from(b.twin)).toEqual(Array.from(a.twin));
    expect(b.frame).not.toEqual(b.twin);
    expect(Math.max(...a.labels)).toBeGreaterThan(0);
    const vals = Array.from(a.frame);
    const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
    expect(mean).toBeGreaterThan(0.3);
    expect(mean).toBeLessThan(0.55);
  });

  it('same seed → identical bytes; another noise seed → different bytes', () => {
    const spec = { sceneKind: 'skov3' as const, sceneSeed: 11, t: 2, frames: 5, frameIntervalMin: 5, dzUm: -6.5, noiseSeed: 3 };
    const a = renderFrame(new VirtualMicroscope({ size: 64 }), spec);
    const b = renderFrame(new VirtualMicroscope({ size: 64 }), spec);
    expect(Buffer.from(a.frame.buffer).equals(Buffer.from(b.frame.buffer))).toBe(true);
    expect(Buffer.from(a.labels).equals(Buffer.from(b.labels))).toBe(true);
    const c = renderFrame(new VirtualMicroscope({ size: 64 }), { ...spec, noiseSeed: 4 });
    expect(Buffer.from(a.frame.buffer).equals(Buffer.from(c.frame.buffer))).toBe(false);
  });
});
