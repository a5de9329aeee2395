/**
 * Randomised virtual microscopes and scenes for a focus judgement that holds
 * across modality, magnification and content (issue 12).
 *
 * Each group of VARIED_PAIRS_PER_SCENE pairs shares one draw of
 *   optics   modality (phase contrast / bright field, Köhler, kohler.ts),
 *            objective (10×, 20×, 40×: NA and pixel size 0.15–1 µm/px),
 *            condenser (phase annulus, or bright-field aperture σ = NA_c/NA),
 *            wavelength
 *   camera   photons, read noise, offset, exposure level, bit depth (8/12/16),
 *            illumination gradient and vignetting
 *   scene    nanowell (TIMING wells with cells/beads), empty nanowell, dense
 *            monolayer, sparse field; extra debris and scratches
 * and each pair has its own patch position, Δz and noise. Δz is drawn in units
 * of the optics' depth of field (depth-of-field.ts) so the label means the same
 * blur at every magnification:
 *   25% identical in-focus pairs, 15% near focus (0 < |Δz| ≤ 0.44 DOF),
 *   60% defocused ≥ 0.885 DOF: 60% of those up to 1.77 DOF (weighted towards
 *   the threshold, as the reference pairs), 40% log-uniform 1.77–6 DOF.
 * A defocused pair is labelled OOF only when the defocus visibly changes the
 * image (noise-free RMS change ≥ half the camera noise): an empty field at
 * 3 DOF is indistinguishable from the same field in focus, and no judgement
 * can or should call it OOF.
 *
 * The 'holdout' profile set is a microscope no model trains on: bright field
 * through a 60×/0.8–0.9 air objective at 0.09–0.12 µm/px (calibration tests
 * use it). Everything is a function of (seed, pair index).
 */
import { drawNoise, expose, type CameraParams } from './camera.js';
import { depthOfFieldUm, IN_FOCUS_MAX_DOF, OOF_THRESHOLD_DOF } from './depth-of-field.js';
import { KohlerMicroscope, type KohlerParams, type Modality } from './kohler.js';
import { hashSeed, Rng } from './prng.js';
import {
  createWellScene,
  extentUm,
  prepare,
  renderSceneField,
  thicknessAt,
  valueNoise,
  WallField,
  type SceneKind,
  type SceneObject,
} from './scene.js';

export const VARIED_PAIRS_PER_SCENE = 4;
/** Working grid: 256² leaves ≥ 64 px of guard band around a 128 px imaged region. */
export const VARIED_GRID = 256;
/** Extra pixels imaged around a patch so pairs of a scene sit at different positions. */
const JITTER = 16;

export type VariedScene = 'nanowell' | 'empty_well' | 'monolayer' | 'sparse';
export type ProfileSet = 'train' | 'holdout';
export const VARIED_SCENES: readonly VariedScene[] = ['nanowell', 'empty_well', 'monolayer', 'sparse'];

interface Objective {
  name: string;
  na: [number, number];
  px: [number, number];
}

/** Objectives of the training profiles (pixel sizes on 6.5 µm cameras, binning 1–2, relay 0.7–1.5). */
export const TRAIN_OBJECTIVES: readonly Objective[] = Object.freeze([
  { name: '10x', na: [0.25, 0.3], px: [0.5, 1.0] },
  { name: '20x', na: [0.4, 0.5], px: [0.25, 0.5] },
  { name: '40x', na: [0.6, 0.75], px: [0.15, 0.25] },
]);
/** The held-out objective: 60× air, bright field only. */
export const HOLDOUT_OBJECTIVE: Objective = Object.freeze({ name: '60x', na: [0.8, 0.9], px: [0.09, 0.12] }) as Objective;

export interface VariedProfile {
  set: ProfileSet;
  objective: string;
  optics: KohlerParams;
  camera: CameraParams;
  bits: 8 | 12 | 16;
  dofUm: number;
  /** Scale of the objects' absorption (bright field sees scattering out of the aperture as absorption). */
  absorptionScale: number;
  illumination: { gx: number; gy: number; vig: number; cx: number; cy: number };
}

/** Draws the optics and camera of one scene group. */
export function drawProfile(set: ProfileSet, rng: Rng): VariedProfile {
  const obj = set === 'holdout' ? HOLDOUT_OBJECTIVE : TRAIN_OBJECTIVES[rng.int(0, TRAIN_OBJECTIVES.length - 1)]!;
  const modality: Modality = set === 'holdout' ? 'brightfield' : rng.chance(0.5) ? 'phase' : 'brightfield';
  const na = rng.uniform(obj.na[0], obj.na[1]);
  const px = rng.uniform(obj.px[0], obj.px[1]);
  const wavelengthUm = rng.uniform(0.5, 0.6);
  const condenserNA = modality === 'phase' ? na * rng.uniform(0.35, 0.6) : na * rng.uniform(0.25, 0.9);
  const optics: KohlerParams = {
    modality,
    wavelengthUm,
    mediumIndex: 1.33,
    numericalAperture: na,
    pixelSizeUm: px,
    condenserNA,
    ringWidthNA: na * rng.uniform(0.06, 0.12),
    ringAmplitude: rng.uniform(0.3, 0.7),
    ringPhaseRad: -Math.PI / 2 + rng.uniform(-0.2, 0.2),
    sourcePoints: 8,
  };
  const camera: CameraParams = {
    photonsAtBackground: Math.exp(rng.uniform(Math.log(150), Math.log(3000))),
    readNoiseE: rng.uniform(1.5, 8),
    offsetE: rng.uniform(0, 200),
    backgroundLevel: modality === 'phase' ? rng.uniform(0.15, 0.5) : rng.uniform(0.2, 0.75),
  };
  const u = rng.next();
  const bits = u < 0.3 ? 8 : u < 0.65 ? 12 : 16;
  return {
    set,
    objective: obj.name,
    optics,
    camera,
    bits,
    dofUm: depthOfFieldUm(optics),
    absorptionScale: modality === 'phase' ? 1 : rng.uniform(1.5, 6),
    illumination: {
      gx: rng.uniform(-0.2, 0.2),
      gy: rng.uniform(-0.2, 0.2),
      vig: rng.uniform(0, 0.25),
      cx: rng.uniform(-0.4, 0.4),
      cy: rng.uniform(-0.4, 0.4),
    },
  };
}

/** Scene type of a group: 35% nanowell, 10% empty nanowell, 20% monolayer, 35% sparse. */
export function drawScene(rng: Rng): VariedScene {
  const u = rng.next();
  return u < 0.35 ? 'nanowell' : u < 0.45 ? 'empty_well' : u < 0.65 ? 'monolayer' : 'sparse';
}

// ---------------------------------------------------------------------------
// Scene content

function adherent(id: number, x: number, y: number, rng: Rng): SceneObject {
  const radius = rng.uniform(9, 20);
  const nProt = rng.int(1, 4);
  return {
    id,
    kind: 'skov3',
    x,
    y,
    radiusUm: radius,
    aspect: rng.uniform(0.3, 0.8),
    angle: rng.uniform(0, 2 * Math.PI),
    heightUm: rng.uniform(2, 5),
    deltaN: rng.uniform(0.02, 0.035),
    absorptionPerUm: rng.uniform(0.004, 0.012),
    maxSpeedUmPerMin: 0,
    harmonics: [rng.uniform(0, 0.1), rng.uniform(0, 0.07), rng.uniform(0, 0.05)],
    harmonicPhases: [rng.uniform(0, 6.28), rng.uniform(0, 6.28), rng.uniform(0, 6.28)],
    protrusions: Array.from({ length: nProt }, () => ({
      angle: rng.uniform(0, 2 * Math.PI),
      lengthUm: rng.uniform(5, 25),
      widthUm: rng.uniform(1.2, 3.5),
      bend: rng.uniform(-0.05, 0.05),
    })),
    textureSeed: rng.int(0, 0x7fffffff),
  };
}

function round(id: number, x: number, y: number, rng: Rng): SceneObject {
  const radius = rng.uniform(3.5, 8);
  return {
    id,
    kind: rng.chance(0.5) ? 'nalm6' : 'tcell',
    x,
    y,
    radiusUm: radius,
    aspect: rng.uniform(0.8, 1),
    angle: rng.uniform(0, 2 * Math.PI),
    heightUm: 2 * radius * rng.uniform(0.6, 0.9),
    deltaN: rng.uniform(0.02, 0.04),
    absorptionPerUm: rng.uniform(0.004, 0.012),
    maxSpeedUmPerMin: 0,
    harmonics: [rng.uniform(0, 0.06), rng.uniform(0, 0.04), rng.uniform(0, 0.02)],
    harmonicPhases: [rng.uniform(0, 6.28), rng.uniform(0, 6.28), rng.uniform(0, 6.28)],
    protrusions: [],
    textureSeed: rng.int(0, 0x7fffffff),
  };
}

function speck(id: number, x: number, y: number, rng: Rng): SceneObject {
  const radius = rng.uniform(0.3, 2.5);
  return {
    id,
    kind: 'debris',
    x,
    y,
    radiusUm: radius,
    aspect: rng.uniform(0.4, 1),
    angle: rng.uniform(0, 6.28),
    heightUm: radius * rng.uniform(0.5, 1.5),
    deltaN: rng.uniform(0.03, 0.15),
    absorptionPerUm: rng.uniform(0.02, 0.4),
    maxSpeedUmPerMin: 0,
    harmonics: [0, 0, 0],
    harmonicPhases: [0, 0, 0],
    protrusions: [],
    textureSeed: 0,
  };
}

/**
 * Complex transmission of the scene on the N×N grid (interleaved Float64Array).
 * `view` is the imaged region's half-size (µm) around the grid centre, so sparse
 * content lands where it is seen.
 */
export function renderVariedField(scene: VariedScene, profile: VariedProfile, seed: number, n: number, viewHalfUm: number): Float64Array {
  const rng = new Rng(hashSeed(seed, 0x5ce7e));
  const px = profile.optics.pixelSizeUm;
  const lambda = profile.optics.wavelengthUm;
  const field = new Float64Array(2 * n * n);
  const half = (n * px) / 2;
  let objects: SceneObject[] = [];
  if (scene === 'nanowell' || scene === 'empty_well') {
    const kinds: SceneKind[] = ['nalm6', 'skov3', 'beads'];
    const ws = createWellScene(kinds[rng.int(0, 2)]!, rng.int(0, 0x7fffffff));
    const walls = new WallField({ n, pixelSizeUm: px, wavelengthUm: lambda });
    const kept = scene === 'empty_well' ? ws.objects.filter((o) => o.kind === 'debris') : ws.objects;
    const objs = kept.map((o) => ({ ...o, absorptionPerUm: o.absorptionPerUm * profile.absorptionScale }));
    renderSceneField({ ...ws, objects: objs }, objs.map((o) => ({ x: o.x, y: o.y, angle: o.angle, wiggle: 0 })), walls, field);
  } else {
    // Glass floor: faint residue texture.
    const scale = Math.max(2, 6 / px);
    const tex = valueNoise(n, n, scale, hashSeed(seed, 0x7e4));
    const amp = 0.04 * rng.next();
    for (let i = 0; i < n * n; i++) {
      const ph = amp * tex[i]!;
      field[2 * i] = Math.cos(ph);
      field[2 * i + 1] = Math.sin(ph);
    }
    let id = 1;
    const within = (r: number): number => rng.uniform(-r, r);
    if (scene === 'monolayer') {
      const cellArea = 350;
      const count = Math.min(400, Math.max(3, Math.round(((2 * half) ** 2 / cellArea) * rng.uniform(0.8, 1.6))));
      const roundFrac = rng.chance(0.3) ? 0.8 : 0.1;
      for (let i = 0; i < count; i++) {
        const x = within(half);
        const y = within(half);
        objects.push(rng.chance(roundFrac) ? round(id++, x, y, rng) : adherent(id++, x, y, rng));
      }
    } else {
      const count = rng.int(0, 4);
      for (let i = 0; i < count; i++) {
        const r = viewHalfUm + 10;
        objects.push(rng.chance(0.6) ? adherent(id++, within(r), within(r), rng) : round(id++, within(r), within(r), rng));
      }
    }
    const specks = rng.int(0, 30);
    for (let i = 0; i < specks; i++) objects.push(speck(id++, within(half), within(half), rng));
    objects = objects.map((o) => ({ ...o, absorptionPerUm: o.absorptionPerUm * profile.absorptionScale }));
    multiplyObjects(field, n, px, lambda, objects);
    if (rng.chance(0.3)) addScratch(field, n, px, viewHalfUm, rng);
  }
  return field;
}

/** Multiplies objects (at their reference pose) into the field; no well confinement. */
function multiplyObjects(field: Float64Array, n: number, px: number, lambda: number, objects: SceneObject[]): void {
  const k0 = (2 * Math.PI) / lambda;
  const c = n / 2;
  for (const o of objects) {
    const prep = prepare(o, 0);
    const ext = extentUm(o) / px;
    const ox = c + o.x / px;
    const oy = c + o.y / px;
    const xa = Math.max(0, Math.floor(ox - ext));
    const xb = Math.min(n - 1, Math.ceil(ox + ext));
    const ya = Math.max(0, Math.floor(oy - ext));
    const yb = Math.min(n - 1, Math.ceil(oy + ext));
    const ca = Math.cos(o.angle);
    const sa = Math.sin(o.angle);
    for (let y = ya; y <= yb; y++) {
      const dy = (y - oy) * px;
      for (let x = xa; x <= xb; x++) {
        const dx = (x - ox) * px;
        const t = thicknessAt(prep, dx * ca + dy * sa, -dx * sa + dy * ca);
        if (t <= 0) continue;
        const p = y * n + x;
        const ph = k0 * o.deltaN * t;
        const a = Math.exp(-o.absorptionPerUm * t);
        const cr = a * Math.cos(ph);
        const ci = a * Math.sin(ph);
        const fr = field[2 * p]!;
        const fi = field[2 * p + 1]!;
        field[2 * p] = fr * cr - fi * ci;
        field[2 * p + 1] = fr * ci + fi * cr;
      }
    }
  }
}

/** A scratch in the dish floor: a straight groove (phase) that scatters some light (amplitude). */
function addScratch(field: Float64Array, n: number, px: number, viewHalfUm: number, rng: Rng): void {
  const angle = rng.uniform(0, Math.PI);
  const nx = -Math.sin(angle);
  const ny = Math.cos(angle);
  const offset = rng.uniform(-viewHalfUm, viewHalfUm);
  const width = rng.uniform(0.5, 3);
  const depth = rng.uniform(0.3, 1.5);
  const loss = rng.uniform(0.05, 0.35);
  const c = n / 2;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const d = Math.abs(((x - c) * nx + (y - c) * ny) * px - offset) / width;
      if (d >= 1) continue;
      const prof = 1 - d * d;
      const p = y * n + x;
      const ph = depth * prof;
      const a = 1 - loss * prof;
      const cr = a * Math.cos(ph);
      const ci = a * Math.sin(ph);
      const fr = field[2 * p]!;
      const fi = field[2 * p + 1]!;
      field[2 * p] = fr * cr - fi * ci;
      field[2 * p + 1] = fr * ci + fi * cr;
    }
  }
}

// ---------------------------------------------------------------------------
// Pairs

export interface VariedPairItem {
  dz_um: number;
  /** Δz in depths of field of the pair's optics. */
  dz_dof: number;
  dof_um: number;
  /** 1 iff |Δz| ≥ 0.885 DOF and the defocus visibly changes the frame. */
  oof: 0 | 1;
  /** The label by Δz alone. */
  oof_dz: 0 | 1;
  /** Scene type (also `kind`, the field the training scripts group by). */
  kind: VariedScene;
  modality: Modality;
  objective: string;
  profile: ProfileSet;
  pixel_size_um: number;
  na: number;
  condenser_na: number;
  bits: number;
  identical: boolean;
}

interface DzPlan {
  dzDof: number;
  identical: boolean;
}

/** Δz of pair `index` in DOF units (deterministic). */
export function planVariedDz(seed: number, index: number): DzPlan {
  const rng = new Rng(hashSeed(seed, index, 0xd0f));
  const u = rng.next();
  if (u < 0.25) return { dzDof: 0, identical: true };
  if (u < 0.4) return { dzDof: rng.sign() * rng.uniform(0.02, IN_FOCUS_MAX_DOF), identical: false };
  const s = rng.sign();
  if (rng.chance(0.6)) {
    const v = rng.next();
    return { dzDof: s * (OOF_THRESHOLD_DOF + (2 * OOF_THRESHOLD_DOF - OOF_THRESHOLD_DOF) * v * v), identical: false };
  }
  return { dzDof: s * Math.exp(rng.uniform(Math.log(2 * OOF_THRESHOLD_DOF), Math.log(6))), identical: false };
}

export interface VariedBatch {
  /** count × patch × patch, row-major, unit floats at the profile's bit depth. */
  oof: Float32Array;
  focus: Float32Array;
  items: VariedPairItem[];
}

/** Generates pairs [start, start + count) of a profile set (deterministic in (set, seed, index)). */
export function generateVariedPairs(set: ProfileSet, seed: number, patch: number, start: number, count: number): VariedBatch {
  const n = VARIED_GRID;
  const view = patch + JITTER;
  if (view + 128 > n) throw new Error(`varied pairs: patch ${patch} too large for the ${n}² working grid (max ${n - 128 - JITTER})`);
  const px2 = patch * patch;
  const oof = new Float32Array(count * px2);
  const focus = new Float32Array(count * px2);
  const items: VariedPairItem[] = [];
  const crop = { x0: (n - view) >> 1, y0: (n - view) >> 1, w: view, h: view };
  let group = -1;
  let mic: KohlerMicroscope | undefined;
  let profile: VariedProfile | undefined;
  let scene: VariedScene = 'sparse';
  let inFocus: Float32Array = new Float32Array(0);
  let illum: Float32Array = new Float32Array(0);
  const patchIn = new Float32Array(px2);
  const patchFocus = new Float32Array(px2);
  const patchIllum = new Float32Array(px2);
  for (let k = 0; k < count; k++) {
    const index = start + k;
    const g = Math.floor(index / VARIED_PAIRS_PER_SCENE);
    if (g !== group) {
      group = g;
      const rng = new Rng(hashSeed(seed, g, set === 'holdout' ? 0x401d : 0x7a1d));
      profile = drawProfile(set, rng);
      scene = drawScene(rng);
      const field = renderVariedField(scene, profile, hashSeed(seed, g, 0x5ce), n, (view * profile.optics.pixelSizeUm) / 2);
      mic = new KohlerMicroscope(n, profile.optics, rng.uniform(0, 2 * Math.PI));
      mic.setField(field);
      inFocus = mic.image(0, crop);
      illum = illuminationOf(profile, view);
    }
    const p = profile!;
    const plan = planVariedDz(seed, index);
    const dzUm = Math.round(plan.dzDof * p.dofUm * 1000) / 1000;
    const prng = new Rng(hashSeed(seed, index, 0x9a7c4));
    const x0 = prng.int(0, JITTER);
    const y0 = prng.int(0, JITTER);
    const defocused = plan.identical || dzUm === 0 ? inFocus : mic!.image(dzUm, crop);
    cut(inFocus, view, x0, y0, patch, patchFocus);
    cut(defocused, view, x0, y0, patch, patchIn);
    cut(illum, view, x0, y0, patch, patchIllum);
    const noiseFree = rmsDifference(patchIn, patchFocus);
    const noise = drawNoise(px2, hashSeed(seed, index, 0x4015e));
    const target = expose(patchFocus, patchIllum, noise, new Float32Array(px2), p.camera);
    quantize(target, p.bits);
    focus.set(target, k * px2);
    if (plan.identical) oof.set(target, k * px2);
    else {
      const input = expose(patchIn, patchIllum, noise, new Float32Array(px2), p.camera);
      quantize(input, p.bits);
      oof.set(input, k * px2);
    }
    const oofDz: 0 | 1 = Math.abs(plan.dzDof) >= OOF_THRESHOLD_DOF ? 1 : 0;
    const relNoise = Math.sqrt(p.camera.photonsAtBackground + p.camera.readNoiseE ** 2) / p.camera.photonsAtBackground;
    const visible = noiseFree >= 0.5 * relNoise;
    items.push({
      dz_um: dzUm,
      dz_dof: Math.round(plan.dzDof * 1000) / 1000,
      dof_um: Math.round(p.dofUm * 1000) / 1000,
      oof: oofDz === 1 && visible ? 1 : 0,
      oof_dz: oofDz,
      kind: scene,
      modality: p.optics.modality,
      objective: p.objective,
      profile: set,
      pixel_size_um: Math.round(p.optics.pixelSizeUm * 1e4) / 1e4,
      na: Math.round(p.optics.numericalAperture * 1000) / 1000,
      condenser_na: Math.round(p.optics.condenserNA * 1000) / 1000,
      bits: p.bits,
      identical: plan.identical,
    });
  }
  return { oof, focus, items };
}

function illuminationOf(p: VariedProfile, size: number): Float32Array {
  const { gx, gy, vig, cx, cy } = p.illumination;
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const v = (2 * y) / (size - 1) - 1;
    for (let x = 0; x < size; x++) {
      const u = (2 * x) / (size - 1) - 1;
      const r2 = (u - cx) ** 2 + (v - cy) ** 2;
      out[y * size + x] = Math.max(0.05, 1 + gx * u + gy * v - vig * r2);
    }
  }
  return out;
}

function cut(src: Float32Array, stride: number, x0: number, y0: number, patch: number, out: Float32Array): void {
  for (let r = 0; r < patch; r++) out.set(src.subarray((y0 + r) * stride + x0, (y0 + r) * stride + x0 + patch), r * patch);
}

function rmsDifference(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / a.length);
}

/** Rounds unit floats to a bit depth's grid, in place. */
function quantize(a: Float32Array, bits: number): void {
  const m = 2 ** bits - 1;
  for (let i = 0; i < a.length; i++) a[i] = Math.round(a[i]! * m) / m;
}
