import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convFlops, parseOnnxGraph } from '../../../main/inference/onnx-graph.js';

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
  it('rejects bytes that are not an ONNX model', () => {
    expect(() => parseOnnxGraph(new Uint8Array([1, 2, 3]))).toThrow(/ONNX/);
  });
});
