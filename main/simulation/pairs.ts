/**
 * Training pairs for the OOF classifier and the restorers: each pair is a
 * size×size patch of a simulated nanowell crop, as (defocused noisy input,
 * in-focus twin with the same noise draws). Mix, as PostFocus trains it:
 *   25% identical in-focus pairs (input = target, Δz = 0, oof 0)
 *   15% near-focus pairs (0 < |Δz| ≤ 2.5 µm, oof 0)
 *   60% OOF pairs (5 ≤ |Δz| ≤ 10 µm, oof 1, weighted towards 5–6 µm)
 * Pairs are generated in groups of PAIRS_PER_SCENE sharing one nanowell (one
 * forward FFT), each with its own patch position, Δz and noise. Everything is
 * a function of (seed, pair index), so any split across workers gives the same bytes.
 */
import { drawNoise, illuminationField } from './camera.js';
import { IN_FOCUS_MAX_DZ_UM, oofLabel, sampleOofMagnitude } from './focus.js';
import { DEFAULT_CROP_SIZE, DEFAULT_FRAME_INTERVAL_MIN, VirtualMicroscope, wellScene } from './microscope.js';
import { hashSeed, Rng } from './prng.js';
import type { SceneKind } from './scene.js';

export const PAIRS_PER_SCENE = 4;
export const IDENTICAL_FRACTION = 0.25;
export const NEAR_FOCUS_FRACTION = 0.15;

export interface PairItem {
  dz_um: number;
  oof: 0 | 1;
  kind: SceneKind;
  identical: boolean;
}

export interface PairPlan extends PairItem {
  /** Seed of the patch placement. */
  placementSeed: number;
  noiseSeed: number;
}

/** Scene kind of a group: 40% NALM6-like, 40% SKOV3-like, 20% beads. */
export function groupKind(seed: number, group: number): SceneKind {
  const u = new Rng(hashSeed(seed, group, 0x6b1d)).next();
  return u < 0.4 ? 'nalm6' : u < 0.8 ? 'skov3' : 'beads';
}

/** The plan of pair `index` (deterministic). */
export function planPair(seed: number, index: number): PairPlan {
  const rng = new Rng(hashSeed(seed, index, 0x9a125));
  const u = rng.next();
  const kind = groupKind(seed, Math.floor(index / PAIRS_PER_SCENE));
  let dz: number;
  let identical = false;
  if (u < IDENTICAL_FRACTION) {
    dz = 0;
    identical = true;
  } else if (u < IDENTICAL_FRACTION + NEAR_FOCUS_FRACTION) {
    dz = rng.sign() * rng.uniform(0.1, IN_FOCUS_MAX_DZ_UM);
  } else {
    dz = rng.sign() * sampleOofMagnitude(rng);
  }
  dz = Math.round(dz * 1000) / 1000;
  return {
    dz_um: dz,
    oof: oofLabel(dz),
    kind,
    identical,
    placementSeed: hashSeed(seed, index, 0x91ace),
    noiseSeed: hashSeed(seed, index, 0x4015e),
  };
}

export interface PairBatch {
  /** count × size × size, row-major per pair, normalised DN (8-bit value / 255). */
  oof: Float32Array;
  focus: Float32Array;
  items: PairItem[];
}

/** Crop size a patch is cut from: the TIMING crop, or the patch itself if larger. */
export function pairCropSize(patch: number): number {
  return Math.max(DEFAULT_CROP_SIZE, patch);
}

/**
 * Generates pairs [start, start + count) for (seed, patch size). `mic` must have
 * been built with size = pairCropSize(patch); reuse it across calls.
 */
export function generatePairs(mic: VirtualMicroscope, seed: number, patch: number, start: number, count: number): PairBatch {
  const crop = pairCropSize(patch);
  if (mic.size !== crop) throw new Error(`generatePairs: microscope crop ${mic.size} ≠ ${crop}`);
  const px = patch * patch;
  const oof = new Float32Array(count * px);
  const focus = new Float32Array(count * px);
  const items: PairItem[] = [];
  const window = new Float32Array(px);
  let loadedGroup = -1;
  let illum: Float32Array | undefined;
  const illumPatch = new Float32Array(px);
  for (let k = 0; k < count; k++) {
    const index = start + k;
    const group = Math.floor(index / PAIRS_PER_SCENE);
    const plan = planPair(seed, index);
    if (group !== loadedGroup) {
      const sceneSeed = hashSeed(seed, group, 0x5cee);
      const scene = wellScene(plan.kind, sceneSeed);
      const t = new Rng(hashSeed(sceneSeed, 0x7)).int(0, 24);
      mic.loadScene(scene, mic.posesAt(scene, sceneSeed, t, t + 1, DEFAULT_FRAME_INTERVAL_MIN));
      illum = illuminationField(crop, crop, hashSeed(sceneSeed, 0x1e));
      loadedGroup = group;
    }
    const [x0, y0] = choosePatch(plan, patch, crop, mic.lastSceneCentres());
    for (let r = 0; r < patch; r++) {
      const s = (y0 + r) * crop + x0;
      illumPatch.set(illum!.subarray(s, s + patch), r * patch);
    }
    const win = { x0, y0, w: patch, h: patch };
    const noise = drawNoise(px, plan.noiseSeed);
    const target = mic.expose(mic.intensity(0, win, window), illumPatch, noise);
    quantizeUnit8(target);
    focus.set(target, k * px);
    if (plan.identical) {
      oof.set(target, k * px);
    } else {
      const input = mic.expose(mic.intensity(plan.dz_um, win, window), illumPatch, noise);
      quantizeUnit8(input);
      oof.set(input, k * px);
    }
    items.push({ dz_um: plan.dz_um, oof: plan.oof, kind: plan.kind, identical: plan.identical });
  }
  return { oof, focus, items };
}

/**
 * Patch position (top-left, px in the crop): 45% centred near an object (cells
 * and beads are a small part of a crop), 25% inside the well, 30% anywhere, so
 * cells, walls and corners all appear.
 */
function choosePatch(plan: PairPlan, patch: number, crop: number, centres: { objects: [number, number][]; well: [number, number] }): [number, number] {
  const rng = new Rng(plan.placementSeed);
  const span = crop - patch;
  const clamp = (v: number): number => Math.max(0, Math.min(span, Math.round(v)));
  const u = rng.next();
  if (u < 0.45 && centres.objects.length > 0) {
    const [cx, cy] = rng.pick(centres.objects);
    const j = patch * 0.3;
    return [clamp(cx - patch / 2 + rng.uniform(-j, j)), clamp(cy - patch / 2 + rng.uniform(-j, j))];
  }
  if (u < 0.7) {
    const half = 77;
    const [wx, wy] = centres.well;
    return [clamp(wx + rng.uniform(-half, half) - patch / 2), clamp(wy + rng.uniform(-half, half) - patch / 2)];
  }
  return [rng.int(0, span), rng.int(0, span)];
}

/** Rounds normalised DN to the 8-bit grid (value/255), in place. */
function quantizeUnit8(a: Float32Array): void {
  for (let i = 0; i < a.length; i++) a[i] = Math.round(a[i]! * 255) / 255;
}
