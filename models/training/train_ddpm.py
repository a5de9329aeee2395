"""Train the conditional epsilon-prediction DDPM restorer (pf-ddpm-v1).

Network input: concat(x_t, OOF image) (2 channels, model space [-1, 1]) and the float
timestep index t in 0..999; output: epsilon.  Cosine noise schedule (Nichol & Dhariwal
2021), T = 1000, uniform t, random 64^2 crops + flips / rot90, batch 16, AdamW
(warm-up, then constant; cosine-decayed over the last 30% of the wall-clock budget),
EMA of the weights (shipped).

Two stages (the shipped model ran both):
  --param eps  plain epsilon backbone, MSE on epsilon -> runs/ddpm_eps.pt
               (shipped: lr 2e-4 / EMA 0.999, resumed at step 405 with lr 6e-4 / EMA 0.995)
  --param v    common.EpsFromV: the backbone predicts v = sqrt(ab) eps - sqrt(1-ab) x0 and
               the model outputs eps = sqrt(1-ab) x_t + sqrt(ab) v; MSE on v; initialised
               from the eps stage (--init) -> runs/ddpm.pt
"""
import argparse
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import (EMA, PAIRS_DIR, PATCH, RUNS_DIR, T_STEPS, PairSet, build, cosine_alphas_cumprod,
                    log, n_params, pair_batch, parse_deadline, save_checkpoint, to_model)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(PAIRS_DIR, 'train'))
    ap.add_argument('--out', default=os.path.join(RUNS_DIR, 'ddpm.pt'))
    ap.add_argument('--deadline', default='3600')
    ap.add_argument('--max-steps', type=int, default=1000000)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--lr', type=float, default=6e-4)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--ema', type=float, default=0.995)
    ap.add_argument('--resume', action='store_true', help='continue from --out (weights, EMA, optimizer, step count)')
    ap.add_argument('--param', choices=['eps', 'v'], default='v')
    ap.add_argument('--init', default=None, help='eps-stage checkpoint whose EMA weights start the v backbone')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    ds = PairSet(a.data)
    ab = torch.tensor(cosine_alphas_cumprod(T_STEPS), dtype=torch.float32)
    model = build('ddpm' if a.param == 'v' else 'ddpm-eps')
    init_info = None
    if a.init and not a.resume:
        ck = torch.load(a.init, map_location='cpu')
        model.net.load_state_dict(ck.get('ema') or ck['model'])
        init_info = {k: ck['info'].get(k) for k in ('steps', 'wall_time_s', 'history')}
        log(f'initialised the v backbone from {a.init} ({init_info["steps"]} eps steps)')
    ema = EMA(model, a.ema)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.0)
    step, wall0, history = 0, 0.0, []
    if a.resume and os.path.exists(a.out):
        ck = torch.load(a.out, map_location='cpu')
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['opt'])
        ema.shadow = ck['ema']
        step, wall0 = ck['info']['steps'], ck['info']['wall_time_s']
        history = ck['info'].get('history') or [{'from_step': 0, 'lr': 2e-4, 'ema': 0.999}]
        init_info = ck['info'].get('init')
        ema.n = step
        rng = np.random.default_rng(a.seed + step)
        torch.manual_seed(a.seed + step)
        log(f'resumed at step {step} ({wall0:.0f} s)')
    history.append({'from_step': step, 'lr': a.lr, 'ema': a.ema})
    t_start, t_end = time.time(), parse_deadline(a.deadline)
    budget = max(t_end - t_start, 1.0)
    log(f'ddpm params={n_params(model)} train={ds.n} budget={budget:.0f}s')
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    run, last_ck, first = None, time.time(), step
    while step < a.max_steps and time.time() < t_end:
        frac = min((time.time() - t_start) / budget, 1.0)
        decay = 1.0 if frac < 0.7 else 0.5 * (1 + math.cos(math.pi * (frac - 0.7) / 0.3))
        lr = a.lr * min(1.0, (step - first + 1) / (500 if first == 0 else 100)) * max(decay, 0.05)
        for g in opt.param_groups:
            g['lr'] = lr
        oof, foc, _ = pair_batch(ds, rng, a.batch)
        x0, cond = to_model(foc), to_model(oof)
        t = torch.randint(0, T_STEPS, (a.batch,))
        eps = torch.randn_like(x0)
        abt = ab[t][:, None, None, None]
        xt = abt.sqrt() * x0 + (1 - abt).sqrt() * eps
        if a.param == 'v':
            v = abt.sqrt() * eps - (1 - abt).sqrt() * x0
            loss = F.mse_loss(model.v(torch.cat([xt, cond], 1), t.float()), v)
        else:
            loss = F.mse_loss(model(torch.cat([xt, cond], 1), t.float()), eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ema.update(model)
        step += 1
        run = loss.item() if run is None else 0.99 * run + 0.01 * loss.item()
        if step % 50 == 0:
            log(f'step {step} {a.param}-mse {run:.5f} lr {lr:.2e}')
        if time.time() - last_ck > 180:
            save_checkpoint(a.out, model, ema, opt, dict(steps=step, wall_time_s=wall0 + time.time() - t_start,
                                                         history=history, data_seed=ds.seed, param=a.param,
                                                         init=init_info))
            last_ck = time.time()
    info = dict(steps=step, wall_time_s=round(wall0 + time.time() - t_start, 1), batch=a.batch, patch=PATCH,
                threads=a.threads, data_seed=ds.seed, params=n_params(model), lr=a.lr, ema=a.ema,
                schedule='cosine', T=T_STEPS, history=history, param=a.param, init=init_info)
    save_checkpoint(a.out, model, ema, opt, info)
    log(f'done {info}')


if __name__ == '__main__':
    main()
