"""Export trained checkpoints to ONNX (opset 17, dynamic batch / height / width), check
them with onnx.checker and write CI reference outputs models/reference/<id>.json.

Reference inputs (32 x 32, i = row, j = column, both 0-based), in [0, 1] before the
preprocessing y = 2x - 1 that the app applies (the JSON stores the model-space tensors):
  pattern A: 0.5 + 0.35 sin(0.37 i) cos(0.23 j) + 0.1 cos(0.11 (i + j))
  pattern B: 0.5 + 0.4 exp(-((i - 15.5)^2 + (j - 12)^2) / 50) cos(0.9 j) + 0.05 sin(0.5 i)
DDPM x_t (already model space): case 1 sin(1.7 i + 2.3 j + 0.5), t = 500, cond = A;
case 2 cos(0.9 i - 1.3 j), t = 25, cond = B.  Student z: the same two patterns with cond A, B,
x0_hat = 0.9 cond + 0.05 sin(0.3 i) (model space).
"""
import argparse
import json
import os

import numpy as np
import onnx
import torch

from common import MODEL_IDS, MODELS_DIR, ONNX_FILES, load_checkpoint, log, standardise, to_model

LIMITS = {'classifier': 2 * 1000 * 1000, 'unet': 15 * 1024 * 1024, 'ddpm': 15 * 1024 * 1024,
          'student': 15 * 1024 * 1024}


class DDPMWrapper(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x_t, cond, t):
        return self.net(torch.cat([x_t, cond], 1), t)


class StudentWrapper(torch.nn.Module):
    """(z, cond, x0_hat) -> x0: the student's member network with its inputs as separate ONNX inputs."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, z, cond, x0_hat):
        return self.net(torch.cat([z, cond, x0_hat], 1))


def grid(n=32):
    i, j = np.meshgrid(np.arange(n, dtype=np.float64), np.arange(n, dtype=np.float64), indexing='ij')
    return i, j


def pattern_a():
    i, j = grid()
    return 0.5 + 0.35 * np.sin(0.37 * i) * np.cos(0.23 * j) + 0.1 * np.cos(0.11 * (i + j))


def pattern_b():
    i, j = grid()
    return 0.5 + 0.4 * np.exp(-((i - 15.5) ** 2 + (j - 12) ** 2) / 50) * np.cos(0.9 * j) + 0.05 * np.sin(0.5 * i)


def t4(a):
    return torch.tensor(np.round(np.asarray(a, np.float64), 6).astype(np.float32)[None, None])


def rounded(t):
    return [round(float(v), 6) for v in t.detach().numpy().ravel()]


def reference_cases(kind, model):
    A, B = to_model(pattern_a()), to_model(pattern_b())
    i, j = grid()
    cases = []
    with torch.no_grad():
        if kind == 'student':
            for z, cond in [(np.sin(1.7 * i + 2.3 * j + 0.5), A), (np.cos(0.9 * i - 1.3 * j), B)]:
                z_, c_, h_ = t4(z), t4(cond), t4(0.9 * cond + 0.05 * np.sin(0.3 * i))
                out = model(z_, c_, h_)
                cases.append({'inputs': {'z': {'shape': [1, 1, 32, 32], 'data': rounded(z_)},
                                         'cond': {'shape': [1, 1, 32, 32], 'data': rounded(c_)},
                                         'x0_hat': {'shape': [1, 1, 32, 32], 'data': rounded(h_)}},
                              'outputs': {'x0': {'shape': list(out.shape), 'data': rounded(out)}}})
        elif kind == 'ddpm':
            for xt, cond, t in [(np.sin(1.7 * i + 2.3 * j + 0.5), A, 500.0), (np.cos(0.9 * i - 1.3 * j), B, 25.0)]:
                xt_, c_, t_ = t4(xt), t4(cond), torch.tensor([t], dtype=torch.float32)
                out = model(xt_, c_, t_)
                cases.append({'inputs': {'x_t': {'shape': [1, 1, 32, 32], 'data': rounded(xt_)},
                                         'cond': {'shape': [1, 1, 32, 32], 'data': rounded(c_)},
                                         't': {'shape': [1], 'data': [t]}},
                              'outputs': {'eps': {'shape': list(out.shape), 'data': rounded(out)}}})
        elif kind == 'classifier':
            # The classifier sees each frame standardised (manifest preprocess.standardise); `source`
            # keeps the [0, 1] pattern so the app's standardisation can be checked against `inputs`.
            for p in (pattern_a(), pattern_b()):
                x_ = t4(standardise(p.astype(np.float32)))
                out = model(x_)
                cases.append({'source': {'shape': [32, 32], 'data': [round(float(v), 6) for v in p.astype(np.float32).ravel()]},
                              'inputs': {'image': {'shape': [1, 1, 32, 32], 'data': rounded(x_)}},
                              'outputs': {'logit': {'shape': list(out.shape), 'data': rounded(out)}}})
        else:
            for x in (A, B):
                x_ = t4(x)
                out = model(x_)
                cases.append({'inputs': {'image': {'shape': [1, 1, 32, 32], 'data': rounded(x_)}},
                              'outputs': {'restored': {'shape': list(out.shape), 'data': rounded(out)}}})
    return cases


def _pixel_unshuffle_as_space_to_depth(g, x, factor):
    """ONNX for F.pixel_unshuffle: SpaceToDepth, then a Gather into torch's channel order
    (SpaceToDepth puts channel c of block offset k at k*C + c, pixel_unshuffle at c*b*b + k).
    torch's own export is a 6-D Reshape / Transpose / Reshape whose sizes are computed at run
    time, so a reader of the graph (bench/onnx-graph.ts, FLOPs per frame) could not follow
    the spatial size; SpaceToDepth states it."""
    from torch.onnx import symbolic_helper
    b = symbolic_helper._get_const(factor, 'i', 'downscale_factor')
    C = symbolic_helper._get_tensor_dim_size(x, 1)
    y = g.op('SpaceToDepth', x, blocksize_i=b)
    perm = torch.tensor([k * C + c for c in range(C) for k in range(b * b)], dtype=torch.int64)
    return g.op('Gather', y, g.op('Constant', value_t=perm), axis_i=1)


torch.onnx.register_custom_op_symbolic('aten::pixel_unshuffle', _pixel_unshuffle_as_space_to_depth, 17)


def export(kind, ckpt=None):
    net, ck = load_checkpoint(kind, ckpt)
    path = os.path.join(MODELS_DIR, ONNX_FILES[kind])
    dyn = {0: 'B', 2: 'H', 3: 'W'}
    if kind == 'ddpm':
        model = DDPMWrapper(net).eval()
        args = (torch.zeros(1, 1, 32, 32), torch.zeros(1, 1, 32, 32), torch.tensor([10.0]))
        names_in, names_out = ['x_t', 'cond', 't'], ['eps']
        axes = {'x_t': dyn, 'cond': dyn, 't': {0: 'B'}, 'eps': dyn}
    elif kind == 'student':
        model = StudentWrapper(net).eval()
        args = (torch.zeros(1, 1, 32, 32), torch.zeros(1, 1, 32, 32), torch.zeros(1, 1, 32, 32))
        names_in, names_out = ['z', 'cond', 'x0_hat'], ['x0']
        axes = {'z': dyn, 'cond': dyn, 'x0_hat': dyn, 'x0': dyn}
    else:
        model = net
        args = (torch.zeros(1, 1, 32, 32),)
        names_in = ['image']
        names_out = ['logit'] if kind == 'classifier' else ['restored']
        axes = {'image': dyn, names_out[0]: {0: 'B'} if kind == 'classifier' else dyn}
    torch.onnx.export(model, args, path, opset_version=17, input_names=names_in, output_names=names_out,
                      dynamic_axes=axes, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))
    size = os.path.getsize(path)
    if size > LIMITS[kind]:
        raise SystemExit(f'{path}: {size} bytes exceeds the limit {LIMITS[kind]}')
    ref = {'model': MODEL_IDS[kind], 'file': ONNX_FILES[kind], 'tolerance': 1e-4,
           'formula': __doc__.split('\n\n', 1)[1].strip(), 'cases': reference_cases(kind, model)}
    os.makedirs(os.path.join(MODELS_DIR, 'reference'), exist_ok=True)
    with open(os.path.join(MODELS_DIR, 'reference', f'{MODEL_IDS[kind]}.json'), 'w') as f:
        json.dump(ref, f)
    log(f'exported {kind}: {path} {size} bytes (checker ok), steps={ck["info"].get("steps")}')


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('kinds', nargs='*', default=['classifier', 'unet', 'ddpm', 'student'])
    ap.add_argument('--runs', default=None, help='folder with <kind>.pt (default models/training/runs)')
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for k in a.kinds:
        export(k, os.path.join(a.runs, f'{k}.pt') if a.runs else None)
