"""Train the conditional epsilon-prediction DDPM restorer (pf-ddpm-v1).

Network input: concat(x_t, OOF image) (2 channels, model space [-1, 1]) and the float
timestep index t in 0..999; output: epsilon.  Cosine noise schedule (Nichol & Dhariwal
2021), T = 1000, uniform t, random 64^2 crops + flips / rot90, batch 16, AdamW
(warm-up, then constant; cosine-decayed over the last 30% of the --steps budget),
EMA of the weights (shipped).  Budgets and schedules are counted in steps, so the same
command replays a run; --phases replays the learning-rate / EMA changes of the shipped
run (which were manual resumes); --resume continues with the saved random state.

Two stages (the shipped model ran both; train_all.sh replays them):
  --param eps  plain epsilon backbone, MSE on epsilon -> runs/ddpm_eps.pt
               (shipped: 5,581 steps, --phases 0:2e-4:0.999,405:6e-4:0.995)
  --param v    common.EpsFromV: the backbone predicts v = sqrt(ab) eps - sqrt(1-ab) x0 and
               the model outputs eps = sqrt(1-ab) x_t + sqrt(ab) v; MSE on v; initialised
               from the eps stage (--init) -> runs/ddpm.pt (shipped: 20,182 steps,
               lr 6e-4, EMA 0.995)
The shipped runs decayed the learning rate over wall-clock budgets of each resumed segment;
the step-based schedule here decays once, over the last 30% of the whole stage.
"""
import argparse
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import (EMA, PAIRS_DIR, PATCH, RUNS_DIR, T_STEPS, PairSet, build, cosine_alphas_cumprod,
                    log, n_params, pair_batch, restore_rng, run_config, save_checkpoint, step_lr, to_model, optimise)


def parse_phases(text, lr, ema):
    """'from_step:lr:ema,...' -> sorted list of dicts; default one phase from step 0."""
    if not text:
        return [{'from_step': 0, 'lr': lr, 'ema': ema}]
    out = []
    for part in text.split(','):
        f, l, e = part.split(':')
        out.append({'from_step': int(f), 'lr': float(l), 'ema': float(e)})
    out.sort(key=lambda p: p['from_step'])
    if out[0]['from_step'] != 0:
        raise SystemExit('--phases must start at step 0')
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(PAIRS_DIR, 'train'))
    ap.add_argument('--out', default=os.path.join(RUNS_DIR, 'ddpm.pt'))
    ap.add_argument('--steps', type=int, default=20182, help='step budget of this stage (the schedule spans it)')
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--lr', type=float, default=6e-4)
    ap.add_argument('--phases', default='', help="learning rate and EMA per step range: 'from:lr:ema,...'")
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--ema', type=float, default=0.995)
    ap.add_argument('--resume', action='store_true', help='continue from --out (weights, EMA, optimizer, step count, random state)')
    ap.add_argument('--param', choices=['eps', 'v'], default='v')
    ap.add_argument('--init', default=None, help='eps-stage checkpoint whose EMA weights start the v backbone')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    ds = PairSet(a.data)
    phases = parse_phases(a.phases, a.lr, a.ema)
    cfg = run_config(a, kind='ddpm', patch=PATCH, data_seed=ds.seed, data_count=ds.n, phases=phases)
    ab = torch.tensor(cosine_alphas_cumprod(T_STEPS), dtype=torch.float32)
    model = build('ddpm' if a.param == 'v' else 'ddpm-eps')
    init_info = None
    if a.init and not a.resume:
        ck = torch.load(a.init, map_location='cpu')
        model.net.load_state_dict(ck.get('ema') or ck['model'])
        init_info = {k: ck['info'].get(k) for k in ('steps', 'wall_time_s', 'history', 'config')}
        log(f'initialised the v backbone from {a.init} ({init_info["steps"]} eps steps)')
    ema = EMA(model, phases[0]['ema'])
    opt = torch.optim.AdamW(model.parameters(), lr=phases[0]['lr'], weight_decay=0.0)
    step, wall0 = 0, 0.0
    if a.resume and os.path.exists(a.out):
        ck = torch.load(a.out, map_location='cpu')
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['opt'])
        ema.shadow = ck['ema']
        step, wall0 = ck['info']['steps'], ck['info']['wall_time_s']
        init_info = ck['info'].get('init')
        ema.n = step
        if 'rng' in ck:
            restore_rng(rng, ck['rng'])
        log(f'resumed at step {step} ({wall0:.0f} s)')
    log(f'ddpm params={n_params(model)} train={ds.n} steps={a.steps} phases={phases}')
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    run, last_ck, t_start = None, time.time(), time.time()

    def info():
        return dict(steps=step, wall_time_s=round(wall0 + time.time() - t_start, 1), batch=a.batch, patch=PATCH,
                    threads=a.threads, data_seed=ds.seed, params=n_params(model), lr=a.lr, ema=a.ema,
                    schedule='cosine', T=T_STEPS, history=phases, param=a.param, init=init_info, config=cfg)

    while step < a.steps:
        phase = [p for p in phases if p['from_step'] <= step][-1]
        ema.decay = phase['ema']
        lr = step_lr(step, a.steps, phase['lr'], 500)
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
        optimise(model, opt, ema, loss)
        step += 1
        run = loss.item() if run is None else 0.99 * run + 0.01 * loss.item()
        if step % 50 == 0:
            log(f'step {step} {a.param}-mse {run:.5f} lr {lr:.2e}')
        if time.time() - last_ck > 180:
            save_checkpoint(a.out, model, ema, opt, info(), rng)
            last_ck = time.time()
    save_checkpoint(a.out, model, ema, opt, info(), rng)
    log(f'done: {step} steps')


if __name__ == '__main__':
    main()
