/**
 * Restoration of one frame with the conditional DDPM: preprocess (model space,
 * padding to the network's size multiple) → ensemble sampling as ONE batch
 * (DDIM, ancestral reference, or DDIM warm-started from the one-shot U-Net) →
 * postprocess (back to [0, 1], crop, per-pixel mean and spread).
 *
 * Frames larger than the trained patch are split into overlapping tiles; the
 * network's output is blended across tiles at EVERY step (not only at the end),
 * so the members stay seamless. Network calls go through `NetworkFn`, so this
 * module never touches ONNX Runtime.
 */
import type { Image } from '../imaging/image.js';
import type { Preprocess } from './model-registry.js';
import { sampleAncestral } from './samplers/ancestral.js';
import { sampleDdim } from './samplers/ddim.js';
import { ensembleStats } from './samplers/ensemble.js';
import type { NoiseSchedule } from './samplers/schedule.js';
import type { EpsModel, StepCallback } from './samplers/types.js';
import { fromModelSpace, roundUp, toModelSpace } from './tensor.js';
import type { SamplerName } from './protocol.js';

/**
 * A network call on a batch of n equal-sized crops: every input is (n, 1, h, w)
 * float32 (except `t`, (n,)), the output (n, 1, h, w).
 */
export type NetworkFn = (inputs: Record<string, Float32Array>, n: number, h: number, w: number) => Promise<Float32Array>;

export interface RestoreNetworks {
  /** ε-network: inputs x_t, cond, t → eps. */
  ddpm: NetworkFn;
  ddpmPre: Preprocess;
  schedule: NoiseSchedule;
  /** One-shot U-Net: input image → restored (needed by 'ddim-warm' and 'unet'). */
  unet?: NetworkFn;
  /** Largest batch of tiles per network call (bounds memory on large frames). */
  maxBatch?: number;
}

export interface RestoreParams {
  sampler: SamplerName;
  steps: number;
  eta: number;
  seeds: readonly number[];
  /** Warm-start timestep for 'ddim-warm' (default {@link DEFAULT_WARM_START_T}). */
  warmStartT?: number;
  onStep?: StepCallback;
}

export interface RestoreOutput {
  /** Ensemble members, each (H, W) float32 in [0, 1], row-major, the frame's size. */
  members: Float32Array[];
  mean: Float32Array;
  spread: Float32Array;
  spreadMean: number;
  /** Batched network calls made (DDPM steps, plus 1 for the U-Net when used). */
  evaluations: number;
  /** Sampler actually used. */
  sampler: SamplerName;
}

export const DEFAULT_WARM_START_T = 300;

/** Tile geometry along one axis: start offsets of tiles of `tile` px covering `length` px. */
export function tileStarts(length: number, tile: number, overlap: number): number[] {
  if (length <= tile) return [0];
  const stride = Math.max(1, tile - overlap);
  const starts: number[] = [];
  for (let s = 0; s + tile < length; s += stride) starts.push(s);
  starts.push(length - tile);
  return starts;
}

/**
 * Blending weight of pixel i of a tile starting at `start` (1-D): a linear ramp
 * over the overlap on sides that have a neighbour, 1 on the image border.
 */
export function tileWeight(i: number, start: number, tile: number, length: number, overlap: number): number {
  let w = 1;
  if (start > 0) w = Math.min(w, (i + 1) / (overlap + 1));
  if (start + tile < length) w = Math.min(w, (tile - i) / (overlap + 1));
  return w;
}

/** Mirror padding of an (H, W) image to (ph, pw) ≥ (H, W), row-major. */
export function padReflect(data: Float32Array, w: number, h: number, pw: number, ph: number): Float32Array {
  if (pw === w && ph === h) return data;
  const mirror = (i: number, n: number) => {
    if (n === 1) return 0;
    const period = 2 * (n - 1);
    const m = ((i % period) + period) % period;
    return m < n ? m : period - m;
  };
  const out = new Float32Array(pw * ph);
  for (let y = 0; y < ph; y++) {
    const sy = mirror(y, h) * w;
    for (let x = 0; x < pw; x++) out[y * pw + x] = data[sy + mirror(x, w)]!;
  }
  return out;
}

/** The top-left (H, W) crop of an (ph, pw) image. */
export function cropTopLeft(data: Float32Array, pw: number, w: number, h: number): Float32Array {
  if (pw === w && data.length === w * h) return data;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) out.set(data.subarray(y * pw, y * pw + w), y * w);
  return out;
}

/**
 * Runs `net` over B full-size planes (B·H·W each, or H·W for inputs shared by
 * all B) by overlapping tiles, in chunks of at most `maxBatch` crops, and blends
 * the outputs back to B·H·W.
 */
export class TiledRunner {
  readonly ys: number[];
  readonly xs: number[];
  readonly th: number;
  readonly tw: number;
  private readonly wy: Float32Array;
  private readonly wx: Float32Array;
  private readonly norm: Float32Array;

  constructor(
    readonly width: number,
    readonly height: number,
    tile: number,
    readonly overlap: number,
    readonly maxBatch: number,
  ) {
    this.th = Math.min(tile, height);
    this.tw = Math.min(tile, width);
    this.ys = tileStarts(height, this.th, overlap);
    this.xs = tileStarts(width, this.tw, overlap);
    // Per-tile separable weights are the same shape for every tile position class;
    // compute the normalisation map once.
    this.wy = new Float32Array(this.ys.length * this.th);
    this.wx = new Float32Array(this.xs.length * this.tw);
    this.ys.forEach((s, k) => { for (let i = 0; i < this.th; i++) this.wy[k * this.th + i] = tileWeight(i, s, this.th, height, overlap); });
    this.xs.forEach((s, k) => { for (let i = 0; i < this.tw; i++) this.wx[k * this.tw + i] = tileWeight(i, s, this.tw, width, overlap); });
    this.norm = new Float32Array(width * height);
    this.ys.forEach((y0, ky) => this.xs.forEach((x0, kx) => {
      for (let i = 0; i < this.th; i++) for (let j = 0; j < this.tw; j++) {
        this.norm[(y0 + i) * width + x0 + j]! += this.wy[ky * this.th + i]! * this.wx[kx * this.tw + j]!;
      }
    }));
  }

  get tiles(): number {
    return this.ys.length * this.xs.length;
  }

  /**
   * `planes`: name → data of B·H·W (per batch element) or H·W (shared) values;
   * `scalars`: name → one value per batch element (e.g. the timestep t).
   */
  async run(
    net: NetworkFn,
    B: number,
    planes: Record<string, Float32Array>,
    scalars: Record<string, Float32Array> = {},
  ): Promise<Float32Array> {
    const { width: W, height: H, th, tw } = this;
    const P = W * H;
    const tp = th * tw;
    const K = this.tiles;
    const out = new Float32Array(B * P);
    const total = B * K;
    for (let first = 0; first < total; first += this.maxBatch) {
      const n = Math.min(this.maxBatch, total - first);
      const inputs: Record<string, Float32Array> = {};
      for (const name of Object.keys(planes)) inputs[name] = new Float32Array(n * tp);
      for (const name of Object.keys(scalars)) inputs[name] = new Float32Array(n);
      for (let j = 0; j < n; j++) {
        const idx = first + j;
        const b = Math.floor(idx / K);
        const k = idx % K;
        const y0 = this.ys[Math.floor(k / this.xs.length)]!;
        const x0 = this.xs[k % this.xs.length]!;
        for (const [name, plane] of Object.entries(planes)) {
          const base = plane.length === P ? 0 : b * P;
          const dst = inputs[name]!;
          for (let i = 0; i < th; i++) dst.set(plane.subarray(base + (y0 + i) * W + x0, base + (y0 + i) * W + x0 + tw), j * tp + i * tw);
        }
        for (const [name, values] of Object.entries(scalars)) inputs[name]![j] = values[b]!;
      }
      const result = await net(inputs, n, th, tw);
      if (result.length !== n * tp) throw new Error(`network returned ${result.length} values for ${n} tiles of ${tw}×${th}`);
      for (let j = 0; j < n; j++) {
        const idx = first + j;
        const b = Math.floor(idx / K);
        const k = idx % K;
        const ky = Math.floor(k / this.xs.length);
        const kx = k % this.xs.length;
        const y0 = this.ys[ky]!;
        const x0 = this.xs[kx]!;
        for (let i = 0; i < th; i++) {
          const wyv = this.wy[ky * th + i]!;
          const row = b * P + (y0 + i) * W + x0;
          for (let c = 0; c < tw; c++) out[row + c]! += wyv * this.wx[kx * tw + c]! * result[j * tp + i * tw + c]!;
        }
      }
    }
    for (let b = 0; b < B; b++) for (let i = 0; i < P; i++) out[b * P + i]! /= this.norm[i]!;
    return out;
  }
}

/** Restores one (H, W) float32 frame in [0, 1]; see the module comment. */
export async function restoreFrame(image: Image, nets: RestoreNetworks, params: RestoreParams): Promise<RestoreOutput> {
  const pre = nets.ddpmPre;
  const B = params.seeds.length;
  if (B < 1) throw new RangeError('restoreFrame: at least one seed (ensemble member) is needed');
  const { width: W, height: H } = image;
  const pw = roundUp(W, pre.sizeMultiple);
  const ph = roundUp(H, pre.sizeMultiple);
  const P = pw * ph;
  const cond = toModelSpace(padReflect(image.data, W, H, pw, ph), pre);
  const tile = roundUp(pre.trainPatch, pre.sizeMultiple);
  const overlap = Math.min(Math.floor(tile / 4), tile - pre.sizeMultiple);
  const runner = new TiledRunner(pw, ph, tile, overlap, nets.maxBatch ?? 32);

  let sampler = params.sampler;
  if ((sampler === 'ddim-warm' || sampler === 'unet') && !nets.unet) {
    throw new Error(`sampler ${sampler} needs the one-shot U-Net, which is not loaded`);
  }

  let evaluations = 0;
  let samples: Float32Array;
  if (sampler === 'unet') {
    samples = await runner.run(nets.unet!, 1, { image: cond });
    evaluations = 1;
  } else {
    const eps: EpsModel = (xt, t) => runner.run(nets.ddpm, B, { x_t: xt, cond }, { t });
    const batch = { batch: B, pixels: P, seeds: params.seeds };
    if (sampler === 'ancestral') {
      const r = await sampleAncestral(eps, nets.schedule, batch, { onStep: params.onStep });
      samples = r.x0;
      evaluations = r.evaluations;
    } else if (sampler === 'ddim-warm') {
      const estimate = await runner.run(nets.unet!, 1, { image: cond });
      const start = new Float32Array(B * P);
      for (let b = 0; b < B; b++) start.set(estimate, b * P);
      const t = Math.min(params.warmStartT ?? DEFAULT_WARM_START_T, nets.schedule.T - 1);
      const r = await sampleDdim(eps, nets.schedule, batch, { steps: params.steps, eta: params.eta, start: { x0: start, t }, onStep: params.onStep });
      samples = r.x0;
      evaluations = r.evaluations + 1;
    } else {
      const r = await sampleDdim(eps, nets.schedule, batch, { steps: params.steps, eta: params.eta, onStep: params.onStep });
      samples = r.x0;
      evaluations = r.evaluations;
    }
  }
  const count = samples.length / P;
  const members: Float32Array[] = [];
  for (let b = 0; b < count; b++) {
    members.push(cropTopLeft(fromModelSpace(samples.subarray(b * P, (b + 1) * P), pre), pw, W, H));
  }
  const stats = ensembleStats(members);
  return { members, mean: stats.mean, spread: stats.spread, spreadMean: stats.spreadMean, evaluations, sampler };
}
