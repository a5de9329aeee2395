import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelSession, preferredProviders } from '../../../main/inference/session.js';
import { FIXTURE_MODELS } from './helpers.js';

describe('ONNX Runtime sessions', () => {
  it('tries the platform provider first and always falls back to CPU', () => {
    expect(preferredProviders('win32')).toEqual(['dml', 'cpu']);
    expect(preferredProviders('darwin')).toEqual(['coreml', 'cpu']);
    expect(preferredProviders('linux').at(-1)).toBe('cpu');
  });
  it('reports the provider in use after falling back from one that is not available', async () => {
    const s = await ModelSession.open(join(FIXTURE_MODELS, 'unet.onnx'), { providers: ['dml', 'cpu'] });
    expect(s.provider).toBe('cpu');
    await s.close();
  });
  it('validates inputs by name and reports shapes on failure', async () => {
    const s = await ModelSession.open(join(FIXTURE_MODELS, 'ddpm.onnx'), { threads: 1 });
    const img = { data: new Float32Array(16), dims: [1, 1, 4, 4] };
    await expect(s.run({ x_t: img, cond: img })).rejects.toThrow(/inputs must be named x_t, cond, t; missing t/);
    await expect(s.run({ x_t: img, cond: img, t: img, extra: img })).rejects.toThrow(/unexpected extra/);
    await expect(s.run({ x_t: { data: new Float32Array(16), dims: [1, 4, 4] }, cond: img, t: { data: Float32Array.of(1), dims: [1] } })).rejects.toThrow(/input "x_t" expects shape \[B, 1, H, W\], got \[1, 4, 4\]/);
    await expect(s.run({ x_t: { data: new Float32Array(15), dims: [1, 1, 4, 4] }, cond: img, t: { data: Float32Array.of(1), dims: [1] } })).rejects.toThrow(/with 15 values \(expected 16\)/);
    // Odd sizes pass validation but fail in the network (one stride-2 level): the error lists every input shape.
    await expect(s.run({ x_t: { data: new Float32Array(9), dims: [1, 1, 3, 3] }, cond: { data: new Float32Array(9), dims: [1, 1, 3, 3] }, t: { data: Float32Array.of(1), dims: [1] } })).rejects.toThrow(/inference failed for inputs x_t\[1, 1, 3, 3\], cond\[1, 1, 3, 3\], t\[1\]/);
    await s.close();
  });
  it('names the file when a model cannot be loaded', async () => {
    await expect(ModelSession.open('/nonexistent/model.onnx')).rejects.toThrow(/cannot load model \/nonexistent\/model\.onnx: cpu:/);
  });
});
