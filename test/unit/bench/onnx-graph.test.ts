import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convFlops, convStackModel, parseOnnxGraph } from '../../../bench/onnx-graph.js';
import { ModelSession } from '../../../main/inference/session.js';
import { tempDir } from '../inference/helpers.js';

// Expected values: PyTorch forward hooks on the same networks (2·Cout·Cin/g·kh·kw·Hout·Wout per Conv2d).
describe('Conv FLOPs counted from the ONNX graph', () => {
  it('matches PyTorch for the fixture DDPM (two inputs, time embedding, strided + upsampled levels)', () => {
    const g = parseOnnxGraph(readFileSync('test/fixtures/models/ddpm.onnx'));
    expect(g.inputs).toEqual(['x_t', 'cond', 't']);
    const c = convFlops(g, 32, 48);
    expect(c.flops).toBe(20176896);
    expect(c.convNodes).toBeGreaterThan(5);
  });
  it('matches PyTorch for the fixture U-Net', () => {
    expect(convFlops(parseOnnxGraph(readFileSync('test/fixtures/models/unet.onnx')), 32, 48).flops).toBe(19955712);
  });
  it('follows pixel blocks folded into channels and back, and counts apart what runs once per call (the shipped student)', () => {
    // PyTorch forward hooks on pf-student-v3 at 64×96: the member network on 4×4 blocks (96,350,208, as v2) and
    // the refiner on 2×2 blocks (255,393,792), which runs on batch item 0 only (a Slice), once for all members.
    expect(convFlops(parseOnnxGraph(readFileSync('models/student.onnx')), 64, 96)).toMatchObject({ flops: 351744000, sharedFlops: 255393792 });
  });
  it('writes a conv-stack model that ONNX Runtime runs and that counts 2·C²·9·H·W per layer', async () => {
    const bytes = convStackModel(8, 3);
    expect(convFlops(parseOnnxGraph(bytes), 10, 12)).toEqual({ flops: 3 * 2 * 8 * 8 * 9 * 10 * 12, convNodes: 3, sharedFlops: 0 });
    const file = join(tempDir('convstack'), 'c.onnx');
    writeFileSync(file, bytes);
    const s = await ModelSession.open(file, { threads: 1 });
    const out = await s.run({ x: { data: new Float32Array(2 * 8 * 10 * 12).fill(1), dims: [2, 8, 10, 12] } });
    expect(out.y!.dims).toEqual([2, 8, 10, 12]);
    expect(Array.from(out.y!.data).every(Number.isFinite)).toBe(true);
    await s.close();
  });
  it('rejects bytes that are not an ONNX model', () => {
    expect(() => parseOnnxGraph(new Uint8Array([1, 2, 3]))).toThrow(/ONNX/);
  });
});
