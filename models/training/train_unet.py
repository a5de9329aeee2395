"""Train the one-shot U-Net restorer (pf-unet-v1).

Input: OOF image (model space), output: restored image = input + predicted residual.
Charbonnier loss (eps = 1e-3) against the in-focus target, random 64^2 crops +
flips / rot90, batch 16, AdamW, learning rate warmed up over 200 steps and cosine-decayed
over the step budget (--steps; the shipped model ran 3,204), EMA of the weights (shipped).
Everything is a function of the step, so the same command replays the run; --resume
continues a checkpoint with its random state (not reseeded).
"""
import argparse
import math
import os
import time

import numpy as np
import torch

from common import (EMA, PAIRS_DIR, PATCH, RUNS_DIR, PairSet, build, log, n_params, pair_batch, restore_rng,
                    run_config, save_checkpoint, to_model, optimise)


def charbonnier(a, b, eps=1e-3):
    return torch.sqrt((a - b) ** 2 + eps * eps).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(PAIRS_DIR, 'train'))
    ap.add_argument('--out', default=os.path.join(RUNS_DIR, 'unet.pt'))
    ap.add_argument('--steps', type=int, default=3204, help='step budget (the learning rate schedule spans it)')
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--resume', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    ds = PairSet(a.data)
    cfg = run_config(a, kind='unet', patch=PATCH, data_seed=ds.seed, data_count=ds.n)
    model = build('unet')
    ema = EMA(model, 0.998)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    step, wall0 = 0, 0.0
    if a.resume and os.path.exists(a.out):
        ck = torch.load(a.out, map_location='cpu')
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['opt'])
        ema.shadow, ema.n = ck['ema'], ck['info']['steps']
        step, wall0 = ck['info']['steps'], ck['info']['wall_time_s']
        if 'rng' in ck:
            restore_rng(rng, ck['rng'])
        log(f'resumed at step {step}')
    log(f'unet params={n_params(model)} train={ds.n} steps={a.steps}')
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    t_start, run, last_ck = time.time(), None, time.time()

    def info():
        return dict(steps=step, wall_time_s=round(wall0 + time.time() - t_start, 1), batch=a.batch, patch=PATCH,
                    threads=a.threads, data_seed=ds.seed, params=n_params(model), lr=a.lr, ema=0.998, config=cfg)

    while step < a.steps:
        lr = a.lr * min(1.0, (step + 1) / 200) * 0.5 * (1 + math.cos(math.pi * step / a.steps))
        for g in opt.param_groups:
            g['lr'] = lr
        oof, foc, _ = pair_batch(ds, rng, a.batch)
        loss = charbonnier(model(to_model(oof)), to_model(foc))
        optimise(model, opt, ema, loss)
        step += 1
        run = loss.item() if run is None else 0.98 * run + 0.02 * loss.item()
        if step % 50 == 0:
            log(f'step {step} charbonnier {run:.5f} lr {lr:.2e}')
        if time.time() - last_ck > 180:
            save_checkpoint(a.out, model, ema, opt, info(), rng)
            last_ck = time.time()
    save_checkpoint(a.out, model, ema, opt, info(), rng)
    log(f'done: {step} steps')


if __name__ == '__main__':
    main()
