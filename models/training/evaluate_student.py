"""Held-out evaluation of the one-step student (pf-student-v1) against its teacher.

On N OOF pairs of the test set (seed 2; evenly spaced over the label-1, non-identical
pairs, as evaluate.py picks its DDIM subset), full 96^2 frames, 5 members each drawn from
the same seeded noise for both methods:
  - teacher: DDIM-5 x 5 (eta 0, x0 clipped; the station's former default) -> mean
  - student: x0_hat (one teacher evaluation, shared) + member network -> mean
  - x0_hat alone (what the student starts from)
Metrics as evaluate.py (PSNR, SSIM, PCC, edge-PCC, Tenenbaum), paired differences student
minus teacher with 95% CIs, and whether the ensemble spread is an uncertainty map: the
Pearson correlation between the per-pixel spread (std of the members) and the per-pixel
error |mean - ground truth|, pooled over all pixels of all pairs and per frame.
Merges the results into runs/metrics.json under "student".
"""
import argparse
import json
import os
import time

import numpy as np
import torch

from common import MODELS_DIR, PAIRS_DIR, RUNS_DIR, T_STEPS, PairSet, cosine_alphas_cumprod, from_model, load_checkpoint, log, to_model
from distill import ddim_sample, load_teacher, restore, teacher_x0hat
from evaluate import METRICS_PATH, deep_merge, paired_vs, pearson, summarise


def spread_error(means, spreads, gts):
    err = np.abs(np.asarray(means, np.float64) - np.asarray(gts, np.float64))
    sp = np.asarray(spreads, np.float64)
    per_frame = [pearson(s.ravel(), e.ravel()) for s, e in zip(sp, err)]
    # Error where the spread is in its top decile vs the rest (pooled): "rises where wrong".
    q = np.quantile(sp, 0.9)
    return {'pooled_pcc': round(pearson(sp.ravel(), err.ravel()), 4),
            'per_frame_pcc_mean': round(float(np.mean(per_frame)), 4),
            'mean_abs_error_top10pct_spread': round(float(err[sp >= q].mean()), 5),
            'mean_abs_error_other_pixels': round(float(err[sp < q].mean()), 5),
            'mean_spread': round(float(sp.mean()), 5)}


def on_reference_pairs(test, student, teacher, ab, members):
    """The student on the 16 pairs where evaluate.py measured the PostFocus reference (1000-step
    ancestral x 5; its 40-pair DDIM subset, 16 evenly spaced within it), beside the reference's
    stored result (models/manifest.json, pf-ddpm-v1 metrics): the reference itself takes 35 minutes
    on those pairs, so it is read, not re-run; the student draws its own seeded noise."""
    idx = np.nonzero((test.label == 1) & ~test.identical)[0]
    sub = np.linspace(0, len(idx) - 1, min(40, len(idx))).round().astype(int)
    sub_a = idx[sub[np.linspace(0, len(sub) - 1, min(16, len(sub))).round().astype(int)]]
    g = torch.Generator().manual_seed(7)
    means, gts = [], []
    with torch.no_grad():
        for i in sub_a:
            cond = to_model(torch.from_numpy(np.array(test.oof[i]))[None, None]).repeat(members, 1, 1, 1)
            z = torch.randn(cond.shape, generator=g)
            means.append(from_model(restore(student, teacher, cond, z, ab)).clamp(0, 1)[:, 0].numpy().astype(np.float64).mean(0))
            gts.append(np.array(test.focus[i], np.float64))
    manifest = json.load(open(os.path.join(MODELS_DIR, 'manifest.json')))
    ref = next(m for m in manifest['models'] if m['kind'] == 'ddpm')['metrics']['ancestral_subset']
    key = next(k for k in ref if k.startswith('ddpm_ancestral') and k.endswith('mean5'))
    return {'pairs': int(len(sub_a)), 'student_mean': summarise(means, gts), 'reference': {'method': key, **ref[key]}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--test', default=os.path.join(PAIRS_DIR, 'test'))
    ap.add_argument('--ckpt', default=os.path.join(RUNS_DIR, 'student.pt'))
    ap.add_argument('--n', type=int, default=24)
    ap.add_argument('--members', type=int, default=5)
    ap.add_argument('--teacher-steps', type=int, default=5)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--teacher-only', action='store_true',
                    help='only sample the teacher ensembles into the cache (they do not depend on the student)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    test = PairSet(a.test)
    idx = np.nonzero((test.label == 1) & ~test.identical)[0]
    sub = idx[np.linspace(0, len(idx) - 1, min(a.n, len(idx))).round().astype(int)]
    teacher = load_teacher()
    ab = cosine_alphas_cumprod(T_STEPS)
    g = torch.Generator().manual_seed(a.seed)
    # The teacher's ensembles depend only on the pairs and the seeded noise: cached, so the
    # student can be re-evaluated without re-sampling them.
    cache = os.path.join(RUNS_DIR, f'eval_student_teacher_n{len(sub)}_m{a.members}_s{a.teacher_steps}_seed{a.seed}.npz')
    cached = dict(np.load(cache)) if os.path.exists(cache) else None
    student, ck = (None, None) if a.teacher_only else load_checkpoint('student', a.ckpt)
    out = {k: {'mean': [], 'spread': []} for k in ('teacher', 'student')}
    x0hats, gts, oofs = [], [], []
    t0 = time.time()
    with torch.no_grad():
        for n, i in enumerate(sub):
            cond = to_model(torch.from_numpy(np.array(test.oof[i]))[None, None]).repeat(a.members, 1, 1, 1)
            z = torch.randn(cond.shape, generator=g)
            if cached is not None:
                out['teacher']['mean'].append(cached['mean'][n])
                out['teacher']['spread'].append(cached['spread'][n])
            else:
                m = from_model(ddim_sample(teacher, cond, z, a.teacher_steps, ab)).clamp(0, 1)[:, 0].numpy().astype(np.float64)
                out['teacher']['mean'].append(m.mean(0))
                out['teacher']['spread'].append(m.std(0))
            if student is not None:
                m = from_model(restore(student, teacher, cond, z, ab)).clamp(0, 1)[:, 0].numpy().astype(np.float64)
                out['student']['mean'].append(m.mean(0))
                out['student']['spread'].append(m.std(0))
            x0hats.append(from_model(teacher_x0hat(teacher, cond[:1], z[:1], ab)).clamp(0, 1)[0, 0].numpy())
            gts.append(np.array(test.focus[i], np.float64))
            oofs.append(np.array(test.oof[i], np.float64))
            if (n + 1) % 8 == 0:
                log(f'{n + 1}/{len(sub)} pairs')
    if cached is None:
        np.savez(cache, mean=np.array(out['teacher']['mean']), spread=np.array(out['teacher']['spread']))
    if a.teacher_only:
        log(f'teacher ensembles cached in {cache} ({time.time() - t0:.0f} s)')
        return
    res = {
        'test_seed': test.seed, 'pairs': int(len(sub)), 'members': a.members, 'teacher': f'DDIM-{a.teacher_steps} x {a.members}',
        'student_steps': ck['info'].get('steps'), 'wall_time_s': round(time.time() - t0, 1),
        'metrics': {'oof_input': summarise(oofs, gts),
                    f'ddim{a.teacher_steps}_mean': summarise(out['teacher']['mean'], gts),
                    'student_mean': summarise(out['student']['mean'], gts),
                    'x0_hat': summarise(x0hats, gts)},
        'student_minus_teacher': paired_vs(out['student']['mean'], out['teacher']['mean'], gts),
        'spread_vs_error': {'student': spread_error(out['student']['mean'], out['student']['spread'], gts),
                            'teacher': spread_error(out['teacher']['mean'], out['teacher']['spread'], gts)},
    }
    res['on_reference_pairs'] = on_reference_pairs(test, student, teacher, ab, a.members)
    metrics = json.load(open(METRICS_PATH)) if os.path.exists(METRICS_PATH) else {}
    deep_merge(metrics, {'student': res})
    os.makedirs(os.path.dirname(METRICS_PATH), exist_ok=True)
    with open(METRICS_PATH, 'w') as f:
        json.dump(metrics, f, indent=1)
    print(json.dumps(res, indent=1))


if __name__ == '__main__':
    main()
