/**
 * Shared types of the samplers. Everything is in model space (x·scale + offset,
 * i.e. [−1, 1]); a batch is B images of P = H·W pixels stored back to back:
 * (B, H, W) float32, row-major.
 */

/**
 * An ε-prediction network with its conditioning already bound: x_t (B·P values)
 * and one float timestep per batch element (B values) → predicted ε (B·P values).
 */
export type EpsModel = (xt: Float32Array, t: Float32Array) => Promise<Float32Array>;

export interface SampleBatch {
  /** Number of images B sampled together (ensemble members × tiles share one call). */
  batch: number;
  /** Pixels per image P = H·W. */
  pixels: number;
  /** One seed per batch element; element b draws all its noise from seeds[b]. */
  seeds: readonly number[];
}

export interface SampleResult {
  /** Final samples x_0, (B, H, W) float32 in model space. */
  x0: Float32Array;
  /** Calls of the network made (each on the whole batch). */
  evaluations: number;
}

/** Called after each network evaluation (done, total) — for progress and cancellation. */
export type StepCallback = (done: number, total: number) => void | Promise<void>;

export function checkBatch(batch: SampleBatch, where: string): void {
  if (!Number.isInteger(batch.batch) || batch.batch < 1) throw new RangeError(`${where}: batch must be ≥ 1, got ${batch.batch}`);
  if (!Number.isInteger(batch.pixels) || batch.pixels < 1) throw new RangeError(`${where}: pixels must be ≥ 1, got ${batch.pixels}`);
  if (batch.seeds.length !== batch.batch) {
    throw new RangeError(`${where}: ${batch.seeds.length} seeds given for a batch of ${batch.batch}`);
  }
}

/** Runs the model and checks the length of what it returns. */
export async function evalEps(model: EpsModel, x: Float32Array, t: number, batch: number, where: string): Promise<Float32Array> {
  const eps = await model(x, new Float32Array(batch).fill(t));
  if (eps.length !== x.length) throw new Error(`${where}: ε-model returned ${eps.length} values for ${x.length} inputs`);
  return eps;
}
