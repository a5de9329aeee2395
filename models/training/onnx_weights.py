"""Rebuild a PyTorch model from a shipped ONNX file's weights.

The repository ships ONNX files, not checkpoints (models/training/runs is not committed),
so a recipe that needs a shipped network in PyTorch — the DDPM as the teacher of the
distilled student — recovers the weights from the ONNX initializers.  torch.onnx keeps
parameter names (prefixed by the export wrapper), except GroupNorm's affine weight and
bias, which become anonymous Mul / Add constants; they are matched to the model's
GroupNorm layers in graph order, checked by shape.  The result is verified against the
CI reference outputs (models/reference/<id>.json) before use.
"""
import json
import os
import re

import numpy as np
import torch
import torch.nn as nn

from common import MODEL_IDS, MODELS_DIR, ONNX_FILES, build


def _initializers(path):
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    # Anonymous GroupNorm affine constants in the order the graph consumes them.
    order = []
    for node in m.graph.node:
        if node.op_type in ('Mul', 'Add'):
            for name in node.input:
                if re.match(r'onnx::(Mul|Add)_\d+$', name) and name in inits and name not in order:
                    order.append(name)
    return inits, order


def load_from_onnx(kind, path=None, prefix=None):
    """Model `kind` (common.build) with the weights of models/<kind>.onnx, in eval mode."""
    path = path or os.path.join(MODELS_DIR, ONNX_FILES[kind])
    inits, order = _initializers(path)
    model = build(kind)
    # Export wrappers add 'net.' (the DDPM wrapper); find the prefix that matches.
    state = model.state_dict()
    if prefix is None:
        prefix = next((p for p in ('', 'net.') if all((p + k) in inits for k in state if not _is_gn(model, k))), None)
        if prefix is None:
            raise ValueError(f'{path}: initializer names do not match the {kind} architecture')
    new = {}
    gn = [m for m in model.modules() if isinstance(m, nn.GroupNorm)]
    muls = [n for n in order if 'Mul' in n]
    adds = [n for n in order if 'Add' in n]
    if len(muls) != len(gn) or len(adds) != len(gn):
        raise ValueError(f'{path}: {len(muls)} GroupNorm scales in the graph, {len(gn)} in the model')
    gn_names = {id(m): name for name, m in model.named_modules() if isinstance(m, nn.GroupNorm)}
    for m, mul, add in zip(gn, muls, adds):
        name = gn_names[id(m)]
        w, b = inits[mul].reshape(-1), inits[add].reshape(-1)
        if w.shape != tuple(m.weight.shape) or b.shape != tuple(m.bias.shape):
            raise ValueError(f'{path}: GroupNorm {name} shape {tuple(m.weight.shape)} vs {w.shape}')
        new[f'{name}.weight'], new[f'{name}.bias'] = w, b
    for k, v in state.items():
        if k in new:
            continue
        a = inits.get(prefix + k)
        if a is None or tuple(a.shape) != tuple(v.shape):
            raise ValueError(f'{path}: no initializer {prefix + k} of shape {tuple(v.shape)}')
        new[k] = a
    model.load_state_dict({k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in new.items()})
    model.eval()
    return model


def _is_gn(model, key):
    mod = key.rsplit('.', 1)[0]
    return isinstance(dict(model.named_modules()).get(mod), nn.GroupNorm)


def check_against_reference(kind, model, tol=1e-4, models_dir=None):
    """Max |difference| to the CI reference outputs (models_dir/reference/<id>.json); raises above `tol`."""
    with open(os.path.join(models_dir or MODELS_DIR, 'reference', f'{MODEL_IDS[kind]}.json')) as f:
        ref = json.load(f)
    worst = 0.0
    with torch.no_grad():
        for case in ref['cases']:
            ins = {k: torch.tensor(v['data'], dtype=torch.float32).reshape(v['shape']) for k, v in case['inputs'].items()}
            if kind == 'ddpm':
                out = model(torch.cat([ins['x_t'], ins['cond']], 1), ins['t'])
            else:
                out = model(ins['image'])
            (name, want), = case['outputs'].items()
            worst = max(worst, float((out - torch.tensor(want['data']).reshape(want['shape'])).abs().max()))
    if worst > tol:
        raise ValueError(f'{kind}: weights recovered from ONNX differ from the reference outputs by {worst:.2e}')
    return worst


if __name__ == '__main__':
    import sys
    torch.set_num_threads(1)
    for kind in sys.argv[1:] or ['ddpm']:
        m = load_from_onnx(kind)
        print(kind, 'max |diff| to reference', check_against_reference(kind, m))
