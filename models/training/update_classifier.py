"""Write the classifier's entry of models/manifest.json (and only it): file hash and size,
preprocessing (incl. the per-frame standardisation both the app and training apply),
training record and held-out metrics (runs/metrics.json, written by eval_classifier.py).
The restorers' entries are left exactly as they are, so the classifier can be retrained
alone without their checkpoints.  Run after export.py classifier.
"""
import json
import os

import torch

from common import ARCH, MODEL_IDS, MODELS_DIR, ONNX_FILES, PATCH, RUNS_DIR, STANDARDISE, git_commit, sha256



def main():
    mpath = os.path.join(MODELS_DIR, 'manifest.json')
    manifest = json.load(open(mpath))
    f = os.path.join(MODELS_DIR, ONNX_FILES['classifier'])
    info = torch.load(os.path.join(RUNS_DIR, 'classifier.pt'), map_location='cpu')['info']
    metrics = json.load(open(os.path.join(RUNS_DIR, 'metrics.json'))).get('classifier', {})
    entry = {
        'id': MODEL_IDS['classifier'], 'kind': 'classifier', 'file': ONNX_FILES['classifier'], 'sha256': sha256(f),
        'bytes': os.path.getsize(f), 'opset': 17,
        'inputs': [{'name': 'image', 'shape': ['B', 1, 'H', 'W'], 'dtype': 'float32'}],
        'outputs': [{'name': 'logit', 'shape': ['B', 1], 'dtype': 'float32'}],
        'preprocess': {
            'input_range': [0, 1], 'scale': 1.0, 'offset': 0.0, 'size_multiple': 1, 'train_patch': PATCH,
            'threshold': 0.5, 'output': 'logit; p(OOF) = sigmoid(logit); OOF iff p >= threshold', 'min_size': 16,
            'standardise': STANDARDISE,
            'note': ('input = clip((x - p50) / max(p99 - p1, min_spread_rel * |p50|, min_spread_abs), +-clip) per frame '
                     '(percentiles: numpy linear); x = samples / the effective full scale (MaxSampleValue tag, else the '
                     "run's range rounded up to 8/10/12/14/16 bits); statistics of the unpadded frame; global average "
                     'pooling: any H, W >= 16 (e.g. whole 281 x 281 crops)'),
        },
        'architecture': {k: list(v) if isinstance(v, tuple) else v for k, v in ARCH['classifier'].items()},
        'training': {**{k: info.get(k) for k in ('steps', 'max_steps', 'batch', 'patch', 'wall_time_s', 'threads', 'params', 'lr', 'data')},
                     'commit': git_commit()},
        'reference': f"reference/{MODEL_IDS['classifier']}.json",
        'metrics': metrics,
    }
    models = [m for m in manifest['models'] if m['kind'] != 'classifier']
    manifest['models'] = [entry] + models
    with open(mpath, 'w') as fh:
        json.dump(manifest, fh, indent=1)
        fh.write('\n')
    print(json.dumps({k: entry[k] for k in ('id', 'bytes', 'sha256')}))


if __name__ == '__main__':
    main()
