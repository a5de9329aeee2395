/**
 * OOF classification: preprocess (model space, mirror padding to the network's
 * size multiple) → batched logits → p(OOF) = σ(logit) and the manifest's
 * threshold. Frames of equal padded size share a batch.
 */
import type { Image } from '../imaging/image.js';
import type { Preprocess } from './model-registry.js';
import { padTo } from '../imaging/tiling.js';
import { roundUp, sigmoid, standardisation, toModelSpace, toStandardised } from './tensor.js';

/** Classifier call: (n, 1, h, w) float32 model-space images → n logits. */
export type LogitFn = (images: Float32Array, n: number, h: number, w: number) => Promise<Float32Array>;

/**
 * Most pixels per network call. Larger batches do not pay on CPU at frame size:
 * the activations of a 281² batch of 32 (160 MB in the first stage) fall out of
 * cache, and one 281² frame per call costs 21 ms of CPU against 36 ms per frame
 * in a batch of 32 (classifier v1, 1 thread). 64² crops still go 32 at a time.
 */
export const MAX_BATCH_PIXELS = 1 << 17;

/**
 * p(OOF) of each image ((H, W) float32 in [0, 1]), in input order. At most
 * `maxBatch` images, and at most `maxBatchPixels` padded pixels (but at least
 * one image), go through the network per call.
 */
export async function classifyImages(
  net: LogitFn,
  pre: Preprocess,
  images: readonly Image[],
  maxBatch = 32,
  maxBatchPixels = MAX_BATCH_PIXELS,
): Promise<number[]> {
  const out = new Array<number>(images.length);
  const groups = new Map<string, number[]>();
  images.forEach((img, i) => {
    const key = `${paddedSide(img.width, pre)}x${paddedSide(img.height, pre)}`;
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  for (const indices of groups.values()) {
    const first = images[indices[0]!]!;
    const pw = paddedSide(first.width, pre);
    const ph = paddedSide(first.height, pre);
    const perCall = Math.max(1, Math.min(maxBatch, Math.floor(maxBatchPixels / (pw * ph))));
    for (let k = 0; k < indices.length; k += perCall) {
      const chunk = indices.slice(k, k + perCall);
      const batch = new Float32Array(chunk.length * pw * ph);
      chunk.forEach((idx, j) => {
        const img = images[idx]!;
        const target = batch.subarray(j * pw * ph, (j + 1) * pw * ph);
        const padded = (img.width === pw && img.height === ph ? img : padTo(img, pw, ph)).data;
        // Standardised per frame (statistics of the frame itself, not of its padding) when
        // the manifest says so: the judgement then follows the data, not the container's range.
        if (pre.standardise) toStandardised(padded, standardisation(img.data, pre.standardise), pre.standardise, target);
        else toModelSpace(padded, pre, target);
      });
      const logits = await net(batch, chunk.length, ph, pw);
      if (logits.length !== chunk.length) throw new Error(`classifier returned ${logits.length} logits for ${chunk.length} images`);
      chunk.forEach((idx, j) => (out[idx] = sigmoid(logits[j]!)));
    }
  }
  return out;
}

/** Side fed to the network: a multiple of size_multiple, at least min_size. */
export function paddedSide(n: number, pre: Pick<Preprocess, 'sizeMultiple' | 'minSize'>): number {
  return roundUp(Math.max(n, pre.minSize), pre.sizeMultiple);
}

/** Whether p(OOF) flags the frame out of focus under the manifest's threshold. */
export function isOof(pOof: number, pre: Pick<Preprocess, 'threshold'>): boolean {
  return pOof >= pre.threshold;
}
