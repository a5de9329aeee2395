/**
 * The virtual microscope: scene → complex field → phase-contrast optics at a
 * defocus → camera. One instance owns its working buffers (not thread-safe;
 * each worker thread has its own).
 */
import { convolveRing, DEFAULT_CONDENSER_NA, defocusRingRadiusPx, ringKernel } from './condenser.js';
import { DEFAULT_CAMERA, drawNoise, expose, illuminationField, type CameraParams, type NoiseDraws } from './camera.js';
import { simulateTrajectories } from './motility.js';
import { DEFAULT_OPTICS, PhaseContrastOptics, type Crop, type OpticsParams } from './optics.js';
import { hashSeed } from './prng.js';
import { createWellScene, renderSceneField, WallField, type ObjectPose, type SceneKind, type WellScene } from './scene.js';

/** TIMING crop size (px) and the default pixel size at 20× (µm/px). */
export const DEFAULT_CROP_SIZE = 281;
export const DEFAULT_PIXEL_SIZE_UM = 0.325;
/** Minutes between frames in TIMING (73 frames over 6 h). */
export const DEFAULT_FRAME_INTERVAL_MIN = 5;

export interface MicroscopeOptions {
  /** Output crop edge (px). */
  size?: number;
  optics?: Partial<OpticsParams>;
  camera?: Partial<CameraParams>;
  /** Condenser annulus NA (partial coherence); 0 = coherent on-axis light only. */
  condenserNA?: number;
}

/**
 * Working-grid size for a crop: the next power of two that leaves ≥ 32 px of
 * guard band on each side, so the periodic FFT wrap-around of the defocus blur
 * (≤ ~10 px at 10 µm, NA 0.4) never reaches the crop.
 */
export function workingGridSize(size: number): number {
  let n = 64;
  while (n < size + 64) n *= 2;
  return n;
}

export class VirtualMicroscope {
  readonly size: number;
  readonly n: number;
  readonly crop: Crop;
  readonly optics: OpticsParams;
  readonly camera: CameraParams;
  readonly condenserNA: number;
  private readonly pc: PhaseContrastOptics;
  private readonly walls: WallField;
  private readonly field: Float64Array;
  private readonly labelsFull: Uint8Array;
  private readonly zbuf: Float32Array;
  private readonly trajectories = new Map<string, ObjectPose[][]>();
  private loaded: { scene: WellScene; poses: readonly ObjectPose[] } | undefined;

  constructor(options: MicroscopeOptions = {}) {
    const size = options.size ?? DEFAULT_CROP_SIZE;
    if (!Number.isInteger(size) || size < 16 || size > 2048) throw new Error(`crop size must be an integer in [16, 2048], got ${size}`);
    this.size = size;
    this.n = workingGridSize(size);
    const o = (this.n - size) >> 1;
    this.crop = { x0: o, y0: o, w: size, h: size };
    this.optics = { ...DEFAULT_OPTICS, ...options.optics };
    this.camera = { ...DEFAULT_CAMERA, ...options.camera };
    this.condenserNA = options.condenserNA ?? DEFAULT_CONDENSER_NA;
    this.pc = new PhaseContrastOptics(this.n, this.optics);
    this.walls = new WallField({ n: this.n, pixelSizeUm: this.optics.pixelSizeUm, wavelengthUm: this.optics.wavelengthUm });
    this.field = new Float64Array(2 * this.n * this.n);
    this.labelsFull = new Uint8Array(this.n * this.n);
    this.zbuf = new Float32Array(this.n * this.n);
  }

  /**
   * Renders the sample and transforms it once; later `intensity` calls image
   * it at any Δz. Returns the object labels on the crop ((size, size) uint8)
   * when `labels` is true.
   */
  loadScene(scene: WellScene, poses: readonly ObjectPose[], labels = false): Uint8Array | undefined {
    this.loaded = { scene, poses };
    renderSceneField(scene, poses, this.walls, this.field, labels ? this.labelsFull : undefined, this.zbuf);
    this.pc.setField(this.field);
    if (!labels) return undefined;
    const out = new Uint8Array(this.size * this.size);
    for (let r = 0; r < this.size; r++) {
      const src = (this.crop.y0 + r) * this.n + this.crop.x0;
      out.set(this.labelsFull.subarray(src, src + this.size), r * this.size);
    }
    return out;
  }

  /**
   * Optical intensity (1 = empty background) of the loaded scene at defocus
   * Δz on a window of the crop (default: the whole crop); (h, w) float32.
   */
  intensity(dzUm: number, window?: Crop, out?: Float32Array): Float32Array {
    const w = window ?? { x0: 0, y0: 0, w: this.size, h: this.size };
    const target = out ?? new Float32Array(w.w * w.h);
    const x0 = this.crop.x0 + w.x0;
    const y0 = this.crop.y0 + w.y0;
    const radius = defocusRingRadiusPx(dzUm, this.condenserNA, this.optics.mediumIndex, this.optics.pixelSizeUm);
    const kernel = ringKernel(radius);
    if (kernel.reach === 0) return this.pc.image(dzUm, { x0, y0, w: w.w, h: w.h }, target);
    // Image a margin around the window, then blur by the condenser ring.
    const m = kernel.reach;
    const sw = w.w + 2 * m;
    const sh = w.h + 2 * m;
    const src = new Float32Array(sw * sh);
    this.pc.image(dzUm, { x0: x0 - m, y0: y0 - m, w: sw, h: sh }, src);
    return convolveRing(src, sw, sh, m, kernel, target, w.w, w.h);
  }

  /** Crop-pixel centres of the loaded scene's cells and beads, and of its well. */
  lastSceneCentres(): { objects: [number, number][]; well: [number, number] } {
    if (!this.loaded) return { objects: [], well: [this.size / 2, this.size / 2] };
    const { scene, poses } = this.loaded;
    const px = this.optics.pixelSizeUm;
    const wx = this.n / 2 - this.crop.x0 + scene.offsetPx[0];
    const wy = this.n / 2 - this.crop.y0 + scene.offsetPx[1];
    const objects: [number, number][] = [];
    scene.objects.forEach((o, i) => {
      if (o.kind === 'debris') return;
      objects.push([wx + poses[i]!.x / px, wy + poses[i]!.y / px]);
    });
    return { objects, well: [wx, wy] };
  }

  /** Camera exposure of an intensity image → normalised DN in [0, 1] (float32, not quantised). */
  expose(intensity: Float32Array, illumination: Float32Array | undefined, noise: NoiseDraws | undefined): Float32Array {
    return expose(intensity, illumination, noise, new Float32Array(intensity.length), this.camera);
  }

  /** Object poses for frame index t of a nanowell video (cached per video). */
  posesAt(scene: WellScene, sceneSeed: number, t: number, frames: number, frameIntervalMin: number): ObjectPose[] {
    const key = `${sceneSeed}|${frames}|${frameIntervalMin}`;
    let traj = this.trajectories.get(key);
    if (!traj) {
      traj = simulateTrajectories(scene, sceneSeed, frames, { frameIntervalMin });
      if (this.trajectories.size >= 64) this.trajectories.delete(this.trajectories.keys().next().value!);
      this.trajectories.set(key, traj);
    }
    const poses = traj[t];
    if (!poses) throw new Error(`frame index ${t} outside the video (0..${frames - 1})`);
    return poses;
  }
}

/** Everything that determines one frame of a simulated acquisition. */
export interface FrameSpec {
  sceneKind: SceneKind;
  /** Seed of the nanowell (content, motility, illumination). */
  sceneSeed: number;
  /** Frame index (0-based; file t = index + 1). */
  t: number;
  frames: number;
  frameIntervalMin: number;
  dzUm: number;
  /** Seed of this exposure's camera noise (shared with its in-focus twin). */
  noiseSeed: number;
}

export interface RenderedFrame {
  /** Defocused, noisy frame; normalised DN, (size, size) float32. */
  frame: Float32Array;
  /** In-focus twin: Δz = 0, same cells, same noise draws. */
  twin: Float32Array;
  /** Object labels on the crop (uint8, 0 = background). */
  labels: Uint8Array;
}

const sceneCache = new Map<string, WellScene>();

/** The nanowell for a (kind, seed), cached. */
export function wellScene(kind: SceneKind, seed: number): WellScene {
  const key = `${kind}|${seed}`;
  let s = sceneCache.get(key);
  if (!s) {
    s = createWellScene(kind, seed);
    if (sceneCache.size >= 256) sceneCache.delete(sceneCache.keys().next().value!);
    sceneCache.set(key, s);
  }
  return s;
}

const illumCache = new Map<string, Float32Array>();

function illuminationFor(seed: number, size: number): Float32Array {
  const key = `${seed}|${size}`;
  let f = illumCache.get(key);
  if (!f) {
    f = illuminationField(size, size, hashSeed(seed, 0x1e));
    if (illumCache.size >= 64) illumCache.delete(illumCache.keys().next().value!);
    illumCache.set(key, f);
  }
  return f;
}

/** Renders one acquisition frame and its ground truth. */
export function renderFrame(mic: VirtualMicroscope, spec: FrameSpec): RenderedFrame {
  const scene = wellScene(spec.sceneKind, spec.sceneSeed);
  const poses = mic.posesAt(scene, spec.sceneSeed, spec.t, spec.frames, spec.frameIntervalMin);
  const labels = mic.loadScene(scene, poses, true)!;
  const illum = illuminationFor(spec.sceneSeed, mic.size);
  const noise = drawNoise(mic.size * mic.size, spec.noiseSeed);
  const twinI = mic.intensity(0);
  const twin = mic.expose(twinI, illum, noise);
  const frame = spec.dzUm === 0 ? twin.slice() : mic.expose(mic.intensity(spec.dzUm), illum, noise);
  return { frame, twin, labels };
}
