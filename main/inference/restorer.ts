/**
 * Restoration of one frame with the conditional DDPM: preprocess (model space,
 * padding to the network's size multiple) → ensemble sampling as ONE batch
 * (DDIM, ancestral reference, DDIM warm-started from the one-shot U-Net, or the
 * distilled one-step student) → postprocess (back to [0, 1], crop, per-pixel
 * mean and spread).
 *
 * Frames up to {@link WHOLE_FRAME_MAX_SIDE} px a side run whole (padded to the
 * size multiple): the networks are fully convolutional, and tiles at the 64 px
 * training size printed a grid at the tile stride (56 px) on real frames, since
 * every tile got its own GroupNorm statistics and its own zero-padded borders.
 * Larger frames are split into large overlapping tiles; the network's output is
 * blended across tiles at EVERY step (not only at the end), so the members stay
 * seamless. Network calls go through `NetworkFn`, so this module never touches
 * ONNX Runtime.
 */
import type { Image } from '../imaging/image.js';
import { cropTo, padTo, planTiles, rampWeights, roundUpToMultiple, type TileGrid } from '../imaging/tiling.js';
import type { Preprocess } from './model-registry.js';
import { sampleAncestral } from './samplers/ancestral.js';
import { sampleDdim } from './samplers/ddim.js';
import { ensembleStats } from './samplers/ensemble.js';
import { GaussianRng } from './samplers/gaussian.js';
import type { NoiseSchedule } from './samplers/schedule.js';
import type { EpsModel, StepCallback } from './samplers/types.js';
import { fromModelSpace, toModelSpace } from './tensor.js';
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
  /** Distilled one-step student: inputs z (noise), cond → x0 (needed by 'student'), with its preprocessing. */
  student?: NetworkFn;
  studentPre?: Preprocess;
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
  /** Batched network calls made (DDPM steps, plus 1 for the U-Net when used; 2 for the student: x0_hat, members). */
  evaluations: number;
  /** Sampler actually used. */
  sampler: SamplerName;
}

export const DEFAULT_WARM_START_T = 400;

/** Frames whose padded sides are at most this run whole, without tiles. */
export const WHOLE_FRAME_MAX_SIDE = 512;
/** Tile side (and a quarter of it as overlap) for larger frames. */
export const LARGE_TILE = 256;

/**
 * Runs `net` over B planes of the same padded size by overlapping tiles (the
 * grid and raised-cosine blending weights of main/imaging/tiling.ts), in chunks
 * of at most `maxBatch` crops, and blends the outputs back. A plane holds B·H·W
 * values (one image per batch element) or H·W (shared by all, e.g. the condition).
 * A frame no larger than one tile runs whole (a single "tile" of its own size).
 */
export class TiledRunner {
  readonly width: number;
  readonly height: number;
  readonly th: number;
  readonly tw: number;
  readonly origins: { x: number; y: number; wy: Float64Array; wx: Float64Array }[];
  private readonly norm: Float64Array;

  /** `grid` null: one tile covering the whole (width × height) plane. */
  constructor(width: number, height: number, grid: TileGrid | null, readonly maxBatch: number) {
    this.width = width;
    this.height = height;
    if (grid) {
      if (grid.paddedWidth !== width || grid.paddedHeight !== height) throw new Error('TiledRunner: planes must have the padded grid size');
      this.th = this.tw = grid.tileSize;
      this.origins = [];
      for (let row = 0; row < grid.rows; row++) {
        for (let col = 0; col < grid.cols; col++) {
          this.origins.push({
            x: col * grid.stride,
            y: row * grid.stride,
            wy: rampWeights(grid.tileSize, grid.overlap, row > 0, row < grid.rows - 1),
            wx: rampWeights(grid.tileSize, grid.overlap, col > 0, col < grid.cols - 1),
          });
        }
      }
    } else {
      this.th = height;
      this.tw = width;
      this.origins = [{ x: 0, y: 0, wy: new Float64Array(height).fill(1), wx: new Float64Array(width).fill(1) }];
    }
    this.norm = new Float64Array(width * height);
    for (const o of this.origins) {
      for (let i = 0; i < this.th; i++) for (let j = 0; j < this.tw; j++) this.norm[(o.y + i) * width + o.x + j]! += o.wy[i]! * o.wx[j]!;
    }
  }

  get tiles(): number {
    return this.origins.length;
  }

  /**
   * `planes`: name → data of B·H·W (per batch element) or H·W (shared) values;
   * `scalars`: name → one value per batch element (e.g. the timestep t).
   * `oneTilePerCall`: each network call gets the B elements of one tile and
   * nothing else, for a network that treats its batch as the ensemble members
   * of one image (the student refines its first element's inputs once for all).
   */
  async run(
    net: NetworkFn,
    B: number,
    planes: Record<string, Float32Array>,
    scalars: Record<string, Float32Array> = {},
    { oneTilePerCall = false }: { oneTilePerCall?: boolean } = {},
  ): Promise<Float32Array> {
    const { width: W, height: H, th, tw } = this;
    const P = W * H;
    const tp = th * tw;
    const K = this.tiles;
    const out = new Float32Array(B * P);
    const total = B * K;
    // Element j of the run: member b = ⌊j / K⌋ of tile j mod K; one tile per call: tile ⌊j / B⌋, member j mod B.
    const at = (j: number) => (oneTilePerCall ? { b: j % B, o: this.origins[Math.floor(j / B)]! } : { b: Math.floor(j / K), o: this.origins[j % K]! });
    const chunk = oneTilePerCall ? B : this.maxBatch;
    for (let first = 0; first < total; first += chunk) {
      const n = Math.min(chunk, total - first);
      const inputs: Record<string, Float32Array> = {};
      for (const name of Object.keys(planes)) inputs[name] = new Float32Array(n * tp);
      for (const name of Object.keys(scalars)) inputs[name] = new Float32Array(n);
      for (let j = 0; j < n; j++) {
        const { b, o } = at(first + j);
        for (const [name, plane] of Object.entries(planes)) {
          const base = plane.length === P ? 0 : b * P;
          const dst = inputs[name]!;
          for (let i = 0; i < th; i++) {
            const src = base + (o.y + i) * W + o.x;
            dst.set(plane.subarray(src, src + tw), j * tp + i * tw);
          }
        }
        for (const [name, values] of Object.entries(scalars)) inputs[name]![j] = values[b]!;
      }
      const result = await net(inputs, n, th, tw);
      if (result.length !== n * tp) throw new Error(`network returned ${result.length} values for ${n} tiles of ${tw}×${th}`);
      for (let j = 0; j < n; j++) {
        const { b, o } = at(first + j);
        for (let i = 0; i < th; i++) {
          const wy = o.wy[i]!;
          const row = b * P + (o.y + i) * W + o.x;
          for (let c = 0; c < tw; c++) out[row + c]! += wy * o.wx[c]! * result[j * tp + i * tw + c]!;
        }
      }
    }
    for (let b = 0; b < B; b++) for (let i = 0; i < P; i++) out[b * P + i] = out[b * P + i]! / this.norm[i]!;
    return out;
  }
}

/**
 * Padded size and tile grid for a W×H frame: frames up to
 * {@link WHOLE_FRAME_MAX_SIDE} a side are padded to the network's size multiple
 * (and min size) and run whole; larger ones get a grid of {@link LARGE_TILE}
 * tiles (at least the trained patch) with a quarter-tile overlap. Small tiles
 * are what made the grid: see the module comment.
 */
export function planFrame(W: number, H: number, pre: Pick<Preprocess, 'sizeMultiple' | 'trainPatch' | 'minSize'>): { pw: number; ph: number; grid: TileGrid | null } {
  const whole = roundUpToMultiple(Math.max(WHOLE_FRAME_MAX_SIDE, pre.trainPatch, pre.sizeMultiple), pre.sizeMultiple);
  const pw0 = roundUpToMultiple(Math.max(W, pre.minSize), pre.sizeMultiple);
  const ph0 = roundUpToMultiple(Math.max(H, pre.minSize), pre.sizeMultiple);
  if (pw0 <= whole && ph0 <= whole) return { pw: pw0, ph: ph0, grid: null };
  const tile = roundUpToMultiple(Math.max(LARGE_TILE, pre.trainPatch, pre.sizeMultiple), pre.sizeMultiple);
  const grid = planTiles(pw0, ph0, tile, Math.floor(tile / 4), pre.sizeMultiple);
  return { pw: grid.paddedWidth, ph: grid.paddedHeight, grid };
}

/** Restores one (H, W) float32 frame in [0, 1]; see the module comment. */
export async function restoreFrame(image: Image, nets: RestoreNetworks, params: RestoreParams): Promise<RestoreOutput> {
  if (params.sampler === 'student' && (!nets.student || !nets.studentPre)) {
    throw new Error('sampler student needs the distilled one-step model, which is not loaded');
  }
  const pre = params.sampler === 'student' ? nets.studentPre! : nets.ddpmPre;
  const B = params.seeds.length;
  if (B < 1) throw new RangeError('restoreFrame: at least one seed (ensemble member) is needed');
  const { width: W, height: H } = image;
  const { pw, ph, grid } = planFrame(W, H, pre);
  const P = pw * ph;
  const cond = toModelSpace(padTo(image, pw, ph).data, pre);
  const runner = new TiledRunner(pw, ph, grid, nets.maxBatch ?? 32);

  let sampler = params.sampler;
  if ((sampler === 'ddim-warm' || sampler === 'unet') && !nets.unet) {
    throw new Error(`sampler ${sampler} needs the one-shot U-Net, which is not loaded`);
  }

  let evaluations = 0;
  let samples: Float32Array;
  if (sampler === 'unet') {
    samples = await runner.run(nets.unet!, 1, { image: cond });
    evaluations = 1;
  } else if (sampler === 'student') {
    // Member b starts from its own seeded noise, exactly as a DDIM member would. One DDPM
    // evaluation at t = T−1 from the first member's noise gives x0_hat (the teacher's
    // estimate of E[x0 | frame], the first DDIM step's x0), shared; the student graph then
    // refines x0_hat once and adds each member's detail from its own noise, all members in one batch.
    const z = new Float32Array(B * P);
    params.seeds.forEach((seed, b) => new GaussianRng(seed).fill(z, b * P, P));
    const t = nets.schedule.T - 1;
    const z0 = z.subarray(0, P);
    const eps = await runner.run(nets.ddpm, 1, { x_t: z0, cond }, { t: Float32Array.of(t) });
    const x0hat = new Float32Array(P);
    const ab = nets.schedule.alphasCumprod[t]!;
    const [sa, sn] = [Math.sqrt(ab), Math.sqrt(1 - ab)];
    for (let i = 0; i < P; i++) x0hat[i] = Math.min(1, Math.max(-1, (z0[i]! - sn * eps[i]!) / sa));
    await params.onStep?.(1, 2);
    // The student's graph refines x0_hat once from its batch's first element: a call holds one tile's members.
    samples = await runner.run(nets.student!, B, { z, cond, x0_hat: x0hat }, {}, { oneTilePerCall: true });
    evaluations = 2;
    await params.onStep?.(2, 2);
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
    const full: Image = { width: pw, height: ph, data: fromModelSpace(samples.subarray(b * P, (b + 1) * P), pre) };
    members.push(pw === W && ph === H ? full.data : cropTo(full, W, H).data);
  }
  const stats = ensembleStats(members);
  return { members, mean: stats.mean, spread: stats.spread, spreadMean: stats.spreadMean, evaluations, sampler };
}
