"""Write models/manifest.json (sha256, sizes, I/O spec, preprocessing, training info,
held-out metrics) and models/README.md (model cards) from the checkpoints in
models/training/runs/ and the metrics in models/training/runs/metrics.json.

`--only KIND ...` rewrites just those entries of the existing manifest and leaves the
others (and models/README.md) as they are, so one model can be retrained alone.
Each entry's training record carries the run's full configuration (arguments, torch /
numpy / python versions, the commit the training scripts were at) from its checkpoint;
`commit` is that training commit, `manifest_commit` the one that wrote the manifest.
"""
import argparse
import json
import os

import torch

from common import (ARCH, MODEL_IDS, MODELS_DIR, ONNX_FILES, PATCH, RUNS_DIR, SCALE, OFFSET, STANDARDISE, T_STEPS,
                    build, cosine_alphas_cumprod, git_commit, sha256)
from model_cards import render_readme



def architecture(kind):
    plain = lambda arch: {k: list(v) if isinstance(v, tuple) else v for k, v in arch.items()}
    if kind == 'student':
        return {'member': plain(ARCH['student-member']), 'refiner': plain(ARCH['student-refiner']), **plain(ARCH['student'])}
    return plain(ARCH[kind])


def io_spec(kind):
    img = lambda n: {'name': n, 'shape': ['B', 1, 'H', 'W'], 'dtype': 'float32'}
    if kind == 'classifier':
        return [img('image')], [{'name': 'logit', 'shape': ['B', 1], 'dtype': 'float32'}]
    if kind == 'unet':
        return [img('image')], [img('restored')]
    if kind == 'student':
        return [img('z'), img('cond'), img('x0_hat')], [img('x0')]
    return [img('x_t'), img('cond'), {'name': 't', 'shape': ['B'], 'dtype': 'float32'}], [img('eps')]


def preprocess(kind):
    net = build(kind)
    p = {'input_range': [0, 1], 'scale': SCALE, 'offset': OFFSET,
         'size_multiple': 1 if kind == 'classifier' else net.size_multiple, 'train_patch': PATCH}
    if kind == 'classifier':
        # As update_classifier.py writes it: the v2 classifier standardises each frame.
        p.update(threshold=0.5, output='logit; p(OOF) = sigmoid(logit); OOF iff p >= threshold', scale=1.0, offset=0.0,
                 min_size=16, standardise=STANDARDISE, note='global average pooling: any H, W >= 16 (e.g. whole 281 x 281 crops)')
    else:
        p['output_inverse'] = 'x = (y - offset) / scale, clipped to input_range'
        p['padding'] = 'pad H, W up to a multiple of size_multiple (reflect), crop the output back'
    if kind == 'unet':
        p['output'] = 'restored image in model space'
    if kind == 'student':
        p['output'] = 'x0 of one ensemble member in model space'
        p['sampler'] = {'kind': 'student', 'requires': 'ddpm',
                        'note': 'z_b ~ N(0, 1) per member (seeded); one DDPM evaluation at t = T-1 with x_t = z_0 gives '
                                'x0_hat = clip((z_0 - sqrt(1-ab) eps) / sqrt(ab), -1, 1), shared by the members; '
                                'then x0_b = student(z_b, cond, x0_hat) for all members in one batch (the members share cond '
                                'and x0_hat: the graph refines x0_hat once, from the first member\'s inputs)'}
    if kind == 'ddpm':
        ab = cosine_alphas_cumprod(T_STEPS)
        p['output'] = 'eps (noise prediction); x_t and cond are in model space'
        p['schedule'] = {'kind': 'cosine', 's': 0.008, 'beta_max': 0.999, 'T': T_STEPS,
                         'prediction': 'epsilon', 't_input': 'float32 timestep index 0..T-1 (rounded inside the graph)',
                         'backbone': 'v-parameterised inside the graph: eps = sqrt(1 - ab_t) x_t + sqrt(ab_t) v',
                         'alphas_cumprod': [float(f'{v:.9g}') for v in ab]}
        p['sampler'] = {'ddim_steps': 25, 'eta': 0, 'timesteps': 'round(linspace(T-1, 0, steps))',
                        'clip_x0': [-1, 1], 'ensemble': 5,
                        'note': 'x_T ~ N(0, 1); each step: x0 = clip((x - sqrt(1-ab_t) eps) / sqrt(ab_t)); '
                                'eps = (x - sqrt(ab_t) x0) / sqrt(1-ab_t); x = sqrt(ab_prev) x0 + sqrt(1-ab_prev) eps '
                                '(ab_prev = 1 after the last step); the restored image is x0 of the last step'}
    return p


def metrics_for(kind, m):
    if kind == 'classifier':
        return m.get('classifier', {})
    if kind == 'student':
        return m.get('student', {})
    r = m.get('restoration', {})
    if not r:
        return {}
    out = {'test_seed': m.get('test_seed'), 'oof_pairs': r.get('pairs'), 'ground_truth_tenenbaum': r.get('ground_truth_tenenbaum')}
    if kind == 'unet':
        out['all_oof_pairs'] = {k: r['all'][k] for k in ('oof_input', 'unet') if k in r['all']}
        out['ddim_subset'] = {k: r['ddim_subset_metrics'][k] for k in ('oof_input', 'unet') if k in r['ddim_subset_metrics']}
    else:
        out['ddim_subset'] = r.get('ddim_subset_metrics', {})
        out['ancestral_subset'] = r.get('ancestral_subset_metrics', {})
        for k in ('ddim_subset', 'ancestral_subset', 'ddim_wall_time_s', 'ancestral_wall_time_s'):
            if k in r and k not in out:
                out[k] = r[k]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--only', nargs='+', choices=sorted(ONNX_FILES), help='rewrite only these entries')
    a = ap.parse_args()
    mpath = os.path.join(RUNS_DIR, 'metrics.json')
    metrics = json.load(open(mpath)) if os.path.exists(mpath) else {}
    commit = git_commit()
    models = []
    for kind in a.only or ('classifier', 'ddpm', 'unet', 'student'):
        f = os.path.join(MODELS_DIR, ONNX_FILES[kind])
        ck_path = os.path.join(RUNS_DIR, f'{kind}.pt')
        if not (os.path.exists(f) and os.path.exists(ck_path)):
            continue
        info = torch.load(ck_path, map_location='cpu')['info']
        ins, outs = io_spec(kind)
        models.append({
            'id': MODEL_IDS[kind], 'kind': kind, 'file': ONNX_FILES[kind], 'sha256': sha256(f),
            'bytes': os.path.getsize(f), 'opset': 17, 'inputs': ins, 'outputs': outs,
            'preprocess': preprocess(kind),
            'architecture': architecture(kind),
            'training': {'data_seed': info.get('data_seed'), 'steps': info.get('steps'), 'batch': info.get('batch'),
                         'patch': info.get('patch'), 'wall_time_s': info.get('wall_time_s'),
                         'threads': info.get('threads'), 'params': info.get('params'),
                         'commit': (info.get('config') or {}).get('training_commit', 'not recorded (trained before the record existed)'),
                         'manifest_commit': commit,
                         **({'config': info['config']} if info.get('config') else {}),
                         **({'history': info['history']} if 'history' in info else {}),
                         **{k: info[k] for k in ('lr', 'ema', 'schedule', 'T', 'param') if k in info},
                         **({'init': info['init']} if info.get('init') else {}),
                         **({'refiner': info['refiner']} if info.get('refiner') else {}),
                         **({'centre_flips': info['centre_flips']} if info.get('centre_flips') else {}),
                         **({'centred_members': info['centred_members']} if 'centred_members' in info else {})},
            'reference': f'reference/{MODEL_IDS[kind]}.json',
            'metrics': metrics_for(kind, metrics),
        })
    if a.only:
        with open(os.path.join(MODELS_DIR, 'manifest.json')) as fh:
            old = json.load(fh)['models']
        kinds = {m['kind'] for m in models}
        models = [m for m in old if m['kind'] not in kinds] + models
    manifest = {'version': 1, 'models': models}
    with open(os.path.join(MODELS_DIR, 'manifest.json'), 'w') as fh:
        json.dump(manifest, fh, indent=1)
        fh.write('\n')
    if not a.only:
        with open(os.path.join(MODELS_DIR, 'README.md'), 'w') as fh:
            fh.write(render_readme(manifest, metrics))
    print(json.dumps([{k: m[k] for k in ('id', 'bytes', 'sha256')} for m in models], indent=1))


if __name__ == '__main__':
    main()
