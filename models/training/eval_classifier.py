"""Held-out report of the OOF classifier across modality, depth of field and content.

Sets (all generated with seeds never used for training):
  reference  .cache/pairs/test          TIMING 20x phase contrast (seed 2), the v1 held-out set
  varied     .cache/pairs/varied-test   randomised microscopes (seed 12, same profile ranges as training)
  holdout    .cache/pairs/holdout       bright field 60x/0.8-0.9 air, 0.09-0.12 um/px: a microscope
                                        no model trained on (reported uncalibrated; calibration fits it)
Both members of every pair are judged (the OOF input with its label, the in-focus target with 0).
Reports balanced accuracy overall, per modality, per |dz| bin in depth-of-field units, per scene
type and per objective, plus AUC of p(OOF); writes runs/classifier_report.json and merges it into
runs/metrics.json (the manifest's classifier metrics).
"""
import argparse
import json
import os

import numpy as np
import torch

from common import PAIRS_DIR, RUNS_DIR, PairSet, load_checkpoint, log, standardise

DOF_BINS = [('0', 0, 0), ('0-0.44', 0, 0.4423), ('0.885-1.2', 0.8845, 1.2), ('1.2-1.8', 1.2, 1.8),
            ('1.8-3', 1.8, 3), ('3-6', 3, 6.0001)]
UM_BINS = [('0', 0, 0), ('0-2.5', 0, 2.5), ('5-6', 4.999, 6), ('6-8', 6, 8), ('8-10', 8, 10.0001)]


def balanced_accuracy(pred, y):
    pos, neg = y == 1, y == 0
    tpr = pred[pos].mean() if pos.any() else float('nan')
    tnr = (~pred[neg]).mean() if neg.any() else float('nan')
    if not pos.any():
        return float(tnr)
    if not neg.any():
        return float(tpr)
    return float(0.5 * (tpr + tnr))


def auc(score, y):
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    pos, neg = score[y == 1], score[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return None
    order = np.argsort(np.concatenate([pos, neg]), kind='mergesort')
    allv = np.concatenate([pos, neg])[order]
    ranks = np.empty(len(allv))
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1] == allv[i]:
            j += 1
        ranks[i:j + 1] = 0.5 * (i + j) + 1
        i = j + 1
    r = np.empty(len(allv))
    r[order] = ranks
    return float((r[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def logits_of(model, arr, n, chunk=200):
    out = []
    with torch.no_grad():
        for i in range(0, n, chunk):
            x = torch.from_numpy(standardise(np.asarray(arr[i:i + chunk], np.float32))[:, None])
            out.append(model(x)[:, 0].numpy())
    return np.concatenate(out)


def summary(pred, y, score, mask=None):
    if mask is not None:
        pred, y, score = pred[mask], y[mask], score[mask]
    a = auc(score, y)
    return {'n': int(len(y)), 'positives': int(y.sum()), 'balanced_accuracy': round(balanced_accuracy(pred, y), 4),
            'accuracy': round(float((pred == (y == 1)).mean()), 4), **({'auc': round(a, 4)} if a is not None else {})}


def evaluate_set(model, path):
    ds = PairSet(path)
    items = ds.index['items']
    lo, lf = logits_of(model, ds.oof, ds.n), logits_of(model, ds.focus, ds.n)
    score = np.concatenate([lo, lf])
    y = np.concatenate([ds.label, np.zeros(ds.n, np.int64)])
    pred = score > 0
    member = lambda key, default=None: np.array([it.get(key, default) for it in items] * 2, dtype=object)
    res = {'set': os.path.relpath(path, PAIRS_DIR), 'seed': ds.seed, **summary(pred, y, score)}
    varied = 'dz_dof' in items[0]
    if varied:
        adz = np.concatenate([np.abs([it['dz_dof'] for it in items]), np.zeros(ds.n)])
        bins = DOF_BINS
        res['per_modality'] = {m: summary(pred, y, score, member('modality') == m) for m in sorted(set(member('modality')))}
        res['per_scene'] = {m: summary(pred, y, score, member('kind') == m) for m in sorted(set(member('kind')))}
        res['per_objective'] = {m: summary(pred, y, score, member('objective') == m) for m in sorted(set(member('objective')))}
        # Defocused beyond the threshold but invisible (empty fields): labelled in focus.
        oof_dz = np.concatenate([np.array([it['oof_dz'] for it in items]), np.zeros(ds.n, np.int64)])
        inv = (oof_dz == 1) & (y == 0)
        res['invisible_defocus'] = {'n': int(inv.sum()), 'judged_in_focus': round(float((~pred[inv]).mean()), 4) if inv.any() else None}
    else:
        adz = np.concatenate([np.abs(ds.dz), np.zeros(ds.n)])
        bins = UM_BINS
    per_bin = {}
    for label, lo_, hi in bins:
        m = (adz == 0) if hi == 0 else (adz > lo_) & (adz <= hi)
        if m.any():
            per_bin[label] = {'n': int(m.sum()), 'accuracy': round(float((pred[m] == (y[m] == 1)).mean()), 4)}
    res['per_dz_bin' if not varied else 'per_dz_dof_bin'] = per_bin
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ckpt', default=os.path.join(RUNS_DIR, 'classifier.pt'))
    ap.add_argument('--sets', default='test,varied-test,holdout')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--out', default=os.path.join(RUNS_DIR, 'classifier_report.json'))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model, ck = load_checkpoint('classifier', a.ckpt)
    report = {'checkpoint': {k: ck['info'].get(k) for k in ('steps', 'wall_time_s', 'data')}}
    names = {'test': 'reference_phase_contrast', 'varied-test': 'varied', 'holdout': 'holdout_brightfield_60x'}
    for s in a.sets.split(','):
        path = os.path.join(PAIRS_DIR, s)
        if not os.path.exists(os.path.join(path, 'index.json')):
            log(f'skip {s}: no pairs at {path}')
            continue
        report[names.get(s, s)] = evaluate_set(model, path)
        log(f'{s}: {json.dumps(report[names.get(s, s)])[:300]}')
    with open(a.out, 'w') as fh:
        json.dump(report, fh, indent=1)
    os.makedirs(RUNS_DIR, exist_ok=True)
    mpath = os.path.join(RUNS_DIR, 'metrics.json')
    metrics = json.load(open(mpath)) if os.path.exists(mpath) else {}
    cls = metrics.setdefault('classifier', {})
    ref = report.get('reference_phase_contrast')
    if ref:
        cls.update(samples=ref['n'], positives=ref['positives'], balanced_accuracy=ref['balanced_accuracy'],
                   per_dz_bin=ref['per_dz_bin'])
    cls['broad'] = {k: v for k, v in report.items() if k != 'checkpoint'}
    with open(mpath, 'w') as fh:
        json.dump(metrics, fh, indent=1)
    print(json.dumps(report, indent=1))


if __name__ == '__main__':
    main()
