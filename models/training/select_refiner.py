"""Held-out PSNR of refiner checkpoints, for choosing between runs without touching the evaluation's pairs.

The pairs are OOF test pairs evenly spaced over the set but disjoint from the 24 that
evaluate_student.py and the refiner's monitor use; x0_hat comes from one seeded noise per pair,
as in the app.  Used to choose pf-student-v4's stage 2 (with 0.3 x MSE to the ground truth:
32.80 dB on 46 pairs, without it 32.73, stage 1 32.63) and pf-student-v5's stage 3 (3.0 x MSE to
the ground truth 32.90 dB, 1.0 x 32.89).

  python3 select_refiner.py runs/student-refiner-2a.pt runs/student-refiner-2b.pt [--pairs 48] [--json]
"""
import argparse
import json
import os

import numpy as np
import torch

from common import PAIRS_DIR, T_STEPS, PairSet, build, cosine_alphas_cumprod
from distill import load_teacher, refiner_heldout_set, refiner_psnr

EVALUATION_PAIRS = 24  # evaluate_student.py --n and refine-train --monitor-pairs


def selection_pairs(test, count):
    """Indices of up to `count` OOF, non-identical test pairs, none of the evaluation's."""
    oof = np.flatnonzero((test.label == 1) & ~test.identical)
    held = set(oof[np.linspace(0, len(oof) - 1, EVALUATION_PAIRS).round().astype(int)].tolist())
    margin = min(5, (len(oof) - 1) // 2)
    spaced = oof[np.linspace(margin, len(oof) - 1 - margin, count).round().astype(int)]
    return [int(i) for i in dict.fromkeys(spaced.tolist()) if i not in held]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('checkpoints', nargs='+', help='refiner checkpoints (distill.py refine-train --out)')
    ap.add_argument('--test', default=os.path.join(PAIRS_DIR, 'test'))
    ap.add_argument('--teacher', default=None, help='ONNX file of the teacher (default models/ddpm.onnx)')
    ap.add_argument('--pairs', type=int, default=48)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--json', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    teacher, ab = load_teacher(a.teacher), cosine_alphas_cumprod(T_STEPS)
    test = PairSet(a.test)
    pairs = selection_pairs(test, a.pairs)
    if not pairs:
        raise SystemExit(f'select_refiner: {a.test} has no OOF pairs outside the evaluation\'s {EVALUATION_PAIRS}')
    held = refiner_heldout_set(test, pairs, teacher, ab, seed=4321)
    results = {}
    for path in a.checkpoints:
        net = build('student-refiner')
        net.load_state_dict(torch.load(path, map_location='cpu')['ema'])
        results[path] = round(refiner_psnr(net.eval(), held), 3)
    if a.json:
        print(json.dumps({'pairs': len(held), 'psnr': results}))
    else:
        for path, p in results.items():
            print(f'{path}: {p:.3f} dB on {len(held)} pairs')


if __name__ == '__main__':
    main()
