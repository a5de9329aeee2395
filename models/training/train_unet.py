"""Train the one-shot U-Net restorer (pf-unet-v1).

Input: OOF image (model space), output: restored image = input + predicted residual.
Charbonnier loss (eps = 1e-3) against the in-focus target, random 64^2 crops +
flips / rot90, batch 16, AdamW, learning rate cosine-decayed over the wall-clock budget,
EMA of the weights (shipped).
"""
import argparse
import math
import os
import time

import numpy as np
import torch

from common import (EMA, PAIRS_DIR, PATCH, RUNS_DIR, PairSet, build, log, n_params, pair_batch,
                    parse_deadline, save_checkpoint, to_model)


def charbonnier(a, b, eps=1e-3):
    return torch.sqrt((a - b) ** 2 + eps * eps).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(PAIRS_DIR, 'train'))
    ap.add_argument('--out', default=os.path.join(RUNS_DIR, 'unet.pt'))
    ap.add_argument('--deadline', default='1200')
    ap.add_argument('--max-steps', type=int, default=1000000)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    ds = PairSet(a.data)
    model = build('unet')
    ema = EMA(model, 0.998)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    t_start, t_end = time.time(), parse_deadline(a.deadline)
    budget = max(t_end - t_start, 1.0)
    log(f'unet params={n_params(model)} train={ds.n} budget={budget:.0f}s')
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    step, run, last_ck = 0, None, time.time()
    while step < a.max_steps and time.time() < t_end:
        frac = min((time.time() - t_start) / budget, 1.0)
        lr = a.lr * min(1.0, (step + 1) / 200) * 0.5 * (1 + math.cos(math.pi * frac))
        for g in opt.param_groups:
            g['lr'] = lr
        oof, foc, _ = pair_batch(ds, rng, a.batch)
        loss = charbonnier(model(to_model(oof)), to_model(foc))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ema.update(model)
        step += 1
        run = loss.item() if run is None else 0.98 * run + 0.02 * loss.item()
        if step % 50 == 0:
            log(f'step {step} charbonnier {run:.5f} lr {lr:.2e}')
        if time.time() - last_ck > 180:
            save_checkpoint(a.out, model, ema, opt, dict(steps=step, wall_time_s=time.time() - t_start))
            last_ck = time.time()
    info = dict(steps=step, wall_time_s=round(time.time() - t_start, 1), batch=a.batch, patch=PATCH,
                threads=a.threads, data_seed=ds.seed, params=n_params(model), lr=a.lr, ema=0.998)
    save_checkpoint(a.out, model, ema, opt, info)
    log(f'done {info}')


if __name__ == '__main__':
    main()
