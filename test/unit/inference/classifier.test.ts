import { describe, expect, it } from 'vitest';
import { makeImage } from '../../../main/imaging/image.js';
import { classifyImages, MAX_BATCH_PIXELS } from '../../../main/inference/classifier.js';
import type { Preprocess } from '../../../main/inference/model-registry.js';

const pre: Preprocess = { inputRange: [0, 1], scale: 2, offset: -1, sizeMultiple: 1, trainPatch: 64, minSize: 16, threshold: 0.5 };

/** A "network" that records its batch sizes and returns each image's mean as the logit. */
function recordingNet() {
  const calls: number[] = [];
  const net = async (images: Float32Array, n: number, h: number, w: number) => {
    calls.push(n);
    return Float32Array.from({ length: n }, (_, i) => images.subarray(i * h * w, (i + 1) * h * w).reduce((a, b) => a + b, 0) / (h * w));
  };
  return { calls, net };
}

describe('classifyImages batching', () => {
  it('sends frame-size images one per network call and small crops up to maxBatch at a time', async () => {
    const big = Array.from({ length: 3 }, (_, i) => makeImage(281, 281, new Float32Array(281 * 281).fill(0.25 * i)));
    const r1 = recordingNet();
    const p = await classifyImages(r1.net, pre, big, 32);
    expect(r1.calls).toEqual([1, 1, 1]);
    // Same answers as one big batch: the batching changes cost, not results.
    const r2 = recordingNet();
    expect(await classifyImages(r2.net, pre, big, 32, Number.MAX_SAFE_INTEGER)).toEqual(p);
    expect(r2.calls).toEqual([3]);
    const small = Array.from({ length: 40 }, () => makeImage(64, 64));
    const r3 = recordingNet();
    await classifyImages(r3.net, pre, small, 32);
    expect(r3.calls).toEqual([32, 8]);
    expect(MAX_BATCH_PIXELS / (64 * 64)).toBeGreaterThanOrEqual(32);
  });
});
