"""Train the OOF classifier (pf-classifier-v1).

Samples: both members of every training pair -- the OOF input with its label
(oof = 1 iff |dz| >= 5 um) and the in-focus target with label 0 -- drawn balanced
(half of each batch positive).  Random 64^2 crops + flips / rot90, BCE-with-logits,
AdamW, learning rate cosine-decayed over the wall-clock budget.
"""
import argparse
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import (PAIRS_DIR, PATCH, RUNS_DIR, PairSet, augment_pair, build, log, n_params,
                    parse_deadline, save_checkpoint, to_model)


def sample_batch(ds, pos, neg_oof, rng, batch):
    """Half positives (OOF inputs with label 1), half negatives (focus targets or label-0 inputs)."""
    X = np.empty((batch, 1, PATCH, PATCH), np.float32)
    y = np.zeros((batch, 1), np.float32)
    for j in range(batch):
        if j < batch // 2:
            i = pos[rng.integers(len(pos))]
            img, y[j] = ds.oof[i], 1.0
        elif rng.random() < 0.5 or len(neg_oof) == 0:
            img = ds.focus[rng.integers(ds.n)]
        else:
            img = ds.oof[neg_oof[rng.integers(len(neg_oof))]]
        X[j, 0] = augment_pair(np.asarray(img), np.asarray(img), rng)[0]
    return torch.from_numpy(to_model(X)), torch.from_numpy(y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(PAIRS_DIR, 'train'))
    ap.add_argument('--out', default=os.path.join(RUNS_DIR, 'classifier.pt'))
    ap.add_argument('--deadline', default='600', help="'HH:MM' UTC or seconds from now")
    ap.add_argument('--max-steps', type=int, default=100000)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    ds = PairSet(a.data)
    pos = np.nonzero(ds.label == 1)[0]
    neg_oof = np.nonzero(ds.label == 0)[0]
    model = build('classifier')
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    t_start, t_end = time.time(), parse_deadline(a.deadline)
    budget = max(t_end - t_start, 1.0)
    log(f'classifier params={n_params(model)} train={ds.n} pos={len(pos)} budget={budget:.0f}s')
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    step, run_loss, run_acc, last_ck = 0, 0.7, 0.5, time.time()
    while step < a.max_steps and time.time() < t_end:
        frac = min((time.time() - t_start) / budget, 1.0)
        lr = a.lr * min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * frac))
        for g in opt.param_groups:
            g['lr'] = lr
        x, y = sample_batch(ds, pos, neg_oof, rng, a.batch)
        logit = model(x)
        loss = F.binary_cross_entropy_with_logits(logit, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        run_loss = 0.98 * run_loss + 0.02 * loss.item()
        run_acc = 0.98 * run_acc + 0.02 * ((logit > 0).float() == y).float().mean().item()
        if step % 100 == 0:
            log(f'step {step} loss {run_loss:.4f} acc {run_acc:.4f} lr {lr:.2e}')
        if time.time() - last_ck > 180:
            save_checkpoint(a.out, model, None, opt, dict(steps=step, wall_time_s=time.time() - t_start))
            last_ck = time.time()
    info = dict(steps=step, wall_time_s=round(time.time() - t_start, 1), batch=a.batch, patch=PATCH,
                threads=a.threads, data_seed=ds.seed, params=n_params(model), lr=a.lr)
    save_checkpoint(a.out, model, None, opt, info)
    log(f'done {info}')


if __name__ == '__main__':
    main()
