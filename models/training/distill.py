"""One-step student of the DDPM restorer (pf-student-v5), by knowledge distillation
(Luhman & Luhman 2021) of the teacher's deterministic DDIM map (noise z, OOF image) -> x0,
with the ensemble mean trained against the ground truth, and a shared refiner distilled from the
teacher's noise-averaged refinement of its own first estimate.

The student restores a frame in two network calls: ONE evaluation of the teacher at
t = T-1 from the first member's noise gives x0_hat, the teacher's estimate of E[x0 | OOF
image] (measured on 40 held-out OOF pairs: PSNR 31.34 dB, edge-PCC 0.932, and it barely
depends on the noise: per-pixel std over z 0.005), shared by every member; then the student
graph (common.RefinedStudent) refines x0_hat once and adds each member's residual from a slim
member network (common.ARCH['student-member'], on 4 x 4 pixel blocks), all members in one
batch.  Both output layers start at zero, so an untrained student is exactly x0_hat.

Why two loss terms (pf-student-v1 had only the first, plus 0.1 x MSE of each member to the
ground truth, and its ensemble mean stayed at x0_hat's level, 0.86 dB below DDIM-5 x 5):
  member   MSE of each member to the teacher's DDIM sample from the same z: the member-specific
           detail, so members from different seeds still differ where the teacher's samples
           differ (the ensemble spread stays an uncertainty map);
  mean     --gt-weight x MSE of the mean of the K members of a crop to the in-focus ground
           truth: what the station shows is the ensemble mean, and its best value is the
           posterior mean, which the ground truth teaches directly (the teacher's 5-sample mean
           only approximates it).  Both minimised jointly: each member = teacher sample + a
           shift shared by the members, so the spread is the teacher's and the mean moves
           toward E[x0 | frame].

The stages, all step-based and seeded (a run is replayed exactly by the same command):

  targets  the teacher (models/ddpm.onnx, weights recovered by onnx_weights.py and checked
           against the CI reference outputs) samples DDIM-k (eta = 0, x0 clipped, the app's
           timesteps) from K noises per random 64^2 crop of the training pairs; x0_hat comes
           from the first member's noise, as in the app.  Shard k of --shard-size crops draws
           everything from default_rng([seed, k]), so shards are independent of each other and
           of how many processes write them.
  train    the member network on the targets with joint flips / rot90 (the K members of a crop
           share them).  --shard-every N: shard k is used from step k*N on (the trainer waits
           for it), so training can run beside target generation and still depend only on its
           arguments.  AdamW, linear warm-up, constant, cosine decay over the last 30% of
           --steps; EMA of the weights shipped.
  refine-targets / refine-train / compose
           the shared refiner (since pf-student-v3): for each crop, the mean over N seeded noises of the
           teacher's x0 estimate at t = 200 from x_t = sqrt(ab) x0_hat + sqrt(1 - ab) z
           (probe_x0_refine.py: 32.16 dB on the monitor pairs against x0_hat's 31.21); the refiner
           (OOF, x0_hat) -> that average by MSE; compose joins it to the member network.
"""
import argparse
from contextlib import nullcontext
import glob
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import (ARCH, EMA, PAIRS_DIR, PATCH, REPO, RUNS_DIR, T_STEPS, PairSet, augment_pair, build,
                    cosine_alphas_cumprod, log, n_params, run_config, save_checkpoint, to_model, from_model, optimise)

DEFAULT_TARGETS = os.path.join(REPO, '.cache', 'student', 'targets')
KEYS = ('cond', 'gt', 'z', 'target', 'x0hat')  # z, target: (N, K, P, P); the others (N, 1, P, P)


def ddim_timesteps(t_start, steps):
    """Same walk as main/inference/samplers/schedule.ts ddimTimesteps."""
    if steps == 1:
        return [t_start]
    out = []
    for k in range(steps - 1, -1, -1):
        t = int(math.floor(t_start * k / (steps - 1) + 0.5))
        if not out or out[-1] != t:
            out.append(t)
    return out


@torch.no_grad()
def teacher_x0hat(teacher, cond, z, ab):
    """The teacher's x0 estimate at t = T-1 from x_T = z, clipped to [-1, 1]: the first DDIM
    step's x0 (the app computes it the same way, in float64, from the ONNX model's eps)."""
    t = T_STEPS - 1
    eps = teacher(torch.cat([z, cond], 1), torch.full((z.shape[0],), float(t))).double()
    a = float(ab[t])
    return ((z.double() - math.sqrt(1 - a) * eps) / math.sqrt(a)).clamp(-1, 1).float()


@torch.no_grad()
def ddim_sample(teacher, cond, z, steps, ab):
    """DDIM eta = 0 from x_T = z, x0 clipped to [-1, 1] with eps made consistent (as the app)."""
    x = z.clone()
    ts = ddim_timesteps(T_STEPS - 1, steps)
    for k, t in enumerate(ts):
        abt = float(ab[t])
        abp = float(ab[ts[k + 1]]) if k + 1 < len(ts) else 1.0
        eps = teacher(torch.cat([x, cond], 1), torch.full((x.shape[0],), float(t)))
        x0 = (x - math.sqrt(1 - abt) * eps) / math.sqrt(abt)
        clipped = x0.clamp(-1, 1)
        eps = torch.where(clipped != x0, (x - math.sqrt(abt) * clipped) / math.sqrt(1 - abt), eps)
        x = math.sqrt(abp) * clipped + math.sqrt(1 - abp) * eps
    return x


def load_teacher(path=None):
    from onnx_weights import check_against_reference, load_from_onnx
    teacher = load_from_onnx('ddpm', path)
    # The reference outputs lie beside the ONNX file (models/reference/).
    err = check_against_reference('ddpm', teacher, models_dir=os.path.dirname(os.path.abspath(path)) if path else None)
    log(f'teacher: ddpm.onnx weights, max |diff| to the CI reference {err:.1e}')
    return teacher


def draw_crops(ds, rng, count, patch):
    """`count` random crops (+ flip / rot90) of the pairs, in model space: (cond, gt, pair indices)."""
    idx = rng.integers(0, ds.n, size=count)
    cond = np.empty((count, 1, patch, patch), np.float32)
    gt = np.empty_like(cond)
    for j, i in enumerate(idx):
        cond[j, 0], gt[j, 0] = augment_pair(np.asarray(ds.oof[i]), np.asarray(ds.focus[i]), rng, patch)
    return to_model(cond), to_model(gt), idx


def make_targets(a):
    torch.set_num_threads(a.threads)
    ds = PairSet(a.data)
    teacher = load_teacher(a.teacher)
    ab = cosine_alphas_cumprod(T_STEPS)
    os.makedirs(a.out, exist_ok=True)
    K = a.members
    for k in range(a.first_shard, a.shards, a.shard_stride):
        path = os.path.join(a.out, f'shard-{k:04d}.npz')
        if os.path.exists(path):
            continue
        t0 = time.time()
        rng = np.random.default_rng([a.seed, k])
        cond, gt, idx = draw_crops(ds, rng, a.shard_size, a.patch)
        z = rng.standard_normal((a.shard_size, K, a.patch, a.patch)).astype(np.float32)
        target = np.empty_like(z)
        x0hat = np.empty_like(cond)
        crops = max(1, a.batch // K)
        for s in range(0, a.shard_size, crops):
            c_ = torch.from_numpy(cond[s:s + crops])
            z_ = torch.from_numpy(z[s:s + crops])
            n = c_.shape[0]
            flat_z = z_.reshape(n * K, 1, a.patch, a.patch)
            flat_c = c_.repeat_interleave(K, 0)
            target[s:s + n] = ddim_sample(teacher, flat_c, flat_z, a.teacher_steps, ab).reshape(n, K, a.patch, a.patch).numpy()
            x0hat[s:s + n] = teacher_x0hat(teacher, c_, z_[:, :1], ab).numpy()
        tmp = path + '.tmp.npz'
        np.savez(tmp, cond=cond, gt=gt, z=z, target=target, x0hat=x0hat, pair_index=idx,
                 teacher_steps=a.teacher_steps, members=K, data_seed=ds.seed)
        os.replace(tmp, path)
        log(f'shard {k}: {a.shard_size} crops x {K} DDIM-{a.teacher_steps} targets in {time.time() - t0:.1f} s')


class Shards:
    """Teacher targets on disk; shard k becomes usable at step k * every (waits for it)."""

    def __init__(self, root, count, every):
        self.root, self.count, self.every = root, count, every
        self.loaded = []

    def available(self, step):
        want = min(self.count, 1 + (step // self.every if self.every > 0 else self.count))
        while len(self.loaded) < want:
            path = os.path.join(self.root, f'shard-{len(self.loaded):04d}.npz')
            waited = 0
            while not os.path.exists(path):
                if waited % 300 == 0:
                    log(f'waiting for {path}')
                time.sleep(5)
                waited += 5
            with np.load(path) as d:
                self.loaded.append({k: d[k] for k in KEYS})
        return self.loaded[:want]

    def batch(self, step, rng, size):
        avail = self.available(step)
        n = [len(s['cond']) for s in avail]
        flat = rng.integers(0, sum(n), size=size)
        edges = np.cumsum(n)
        out = {k: [] for k in KEYS}
        for f in flat:
            s = int(np.searchsorted(edges, f, side='right'))
            i = int(f - (edges[s - 1] if s else 0))
            rot, flip = int(rng.integers(0, 4)), bool(rng.random() < 0.5)
            for k in out:
                a = np.rot90(avail[s][k][i], rot, axes=(1, 2))
                out[k].append(a[:, :, ::-1] if flip else a)
        return {k: torch.from_numpy(np.ascontiguousarray(np.stack(v))) for k, v in out.items()}


@torch.no_grad()
def restore(student, teacher, cond, z, ab):
    """As the app's 'student' sampler: x0_hat from the first member's noise, shared; members batched."""
    x0hat = teacher_x0hat(teacher, cond[:1], z[:1], ab).expand_as(cond)
    return student(torch.cat([z, cond, x0hat], 1))


@torch.no_grad()
def heldout_psnr(student, teacher, test, idx, members=5, seed=1234):
    """Mean-of-members PSNR (data range 1) on full held-out frames (quick training monitor)."""
    g = torch.Generator().manual_seed(seed)
    ab = cosine_alphas_cumprod(T_STEPS)
    vals = []
    for i in idx:
        cond = to_model(torch.from_numpy(np.array(test.oof[i]))[None, None]).repeat(members, 1, 1, 1)
        z = torch.randn(cond.shape, generator=g)
        mean = from_model(restore(student, teacher, cond, z, ab)).clamp(0, 1).mean(0)[0].numpy()
        mse = float(((mean - np.asarray(test.focus[i])) ** 2).mean())
        vals.append(10 * math.log10(1 / max(mse, 1e-12)))
    return float(np.mean(vals))


def train(a):
    torch.set_num_threads(a.threads)
    cfg = run_config(a, stage='student', arch='student', patch=a.patch)
    model = build('student-member')
    ema = EMA(model, a.ema)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.0)
    rng = np.random.default_rng(a.seed)
    torch.manual_seed(a.seed)
    step, wall0 = 0, 0.0
    if a.init and not a.resume:
        ck = torch.load(a.init, map_location='cpu')
        model.load_state_dict(ck['ema'])
        ema = EMA(model, a.ema)
        cfg['init'] = {'path': os.path.basename(a.init), 'steps': ck['info']['steps'], 'config': ck['info'].get('config')}
        log(f"initialised from the EMA weights of {a.init} ({ck['info']['steps']} steps)")
    if a.resume and os.path.exists(a.out):
        ck = torch.load(a.out, map_location='cpu')
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['opt'])
        ema.shadow, ema.n = ck['ema'], ck['info']['steps']
        step, wall0 = ck['info']['steps'], ck['info']['wall_time_s']
        rng.bit_generator.state = ck['rng']['numpy']
        torch.set_rng_state(ck['rng']['torch'])
        log(f'resumed at step {step} (random state restored, not reseeded)')
    history = []
    shards = Shards(a.targets, a.shards, a.shard_every)
    test = PairSet(a.test) if a.test and os.path.exists(os.path.join(a.test, 'index.json')) else None
    monitor, teacher = None, None
    if test is not None:
        teacher = load_teacher(a.teacher)
        oof = np.flatnonzero((test.label == 1) & ~test.identical)
        monitor = oof[np.linspace(0, len(oof) - 1, a.monitor_pairs).round().astype(int)]
    log(f'student params={n_params(model)} steps={a.steps} shards={a.shards}x{a.shard_every}')
    if monitor is not None and step == 0:
        model.eval()
        p = heldout_psnr(model, teacher, test, monitor)
        model.train()
        history.append({'step': 0, 'heldout_psnr_mean5': round(p, 3)})
        log(f"step 0 ({'the initial weights' if a.init else 'x0_hat alone'}) held-out mean-of-5 PSNR ({len(monitor)} OOF pairs) {p:.2f} dB")
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    t_start, last_ck, run = time.time(), time.time(), None

    def save():
        info = dict(steps=step, wall_time_s=round(wall0 + time.time() - t_start, 1), params=n_params(model),
                    config=cfg, history=history, batch=a.batch, patch=a.patch, threads=a.threads)
        tmp = a.out + '.tmp'
        torch.save({'model': model.state_dict(), 'ema': ema.shadow, 'opt': opt.state_dict(), 'info': info,
                    'rng': {'numpy': rng.bit_generator.state, 'torch': torch.get_rng_state()}}, tmp)
        os.replace(tmp, a.out)

    while step < a.steps:
        frac = step / a.steps
        decay = 1.0 if frac < 0.7 else 0.5 * (1 + math.cos(math.pi * (frac - 0.7) / 0.3))
        lr = a.lr * min(1.0, (step + 1) / a.warmup) * max(decay, 0.02)
        for g in opt.param_groups:
            g['lr'] = lr
        b = shards.batch(step, rng, a.batch)
        n, K, P = b['z'].shape[0], b['z'].shape[1], b['z'].shape[2]
        inputs = torch.cat([b['z'].reshape(n * K, 1, P, P), b['cond'].repeat_interleave(K, 0),
                            b['x0hat'].repeat_interleave(K, 0)], 1)
        pred = model(inputs).reshape(n, K, P, P)
        loss = F.mse_loss(pred, b['target']) + a.gt_weight * F.mse_loss(pred.mean(1, keepdim=True), b['gt'])
        optimise(model, opt, ema, loss)
        step += 1
        run = loss.item() if run is None else 0.99 * run + 0.01 * loss.item()
        if step % 100 == 0:
            log(f'step {step} loss {run:.5f} lr {lr:.2e} shards {len(shards.loaded)}')
        if monitor is not None and (step % a.monitor_every == 0 or step == a.steps):
            shadow = build('student-member')
            shadow.load_state_dict(ema.shadow)
            shadow.eval()
            p = heldout_psnr(shadow, teacher, test, monitor)
            history.append({'step': step, 'loss': round(run, 6), 'heldout_psnr_mean5': round(p, 3)})
            log(f'step {step} held-out mean-of-5 PSNR (EMA, {len(monitor)} OOF pairs) {p:.2f} dB')
        if time.time() - last_ck > 120:
            save()
            last_ck = time.time()
    save()
    log(f'done: {step} steps, {wall0 + time.time() - t_start:.0f} s')


# ----------------------------------------------------------------------------- shared refiner (since pf-student-v3)

@torch.no_grad()
def fresh_crops(ds, teacher, ab, k, a, in_focus=False):
    """Shard k's own crops when it lies beyond the member network's shards: drawn from
    default_rng([seed, k]) like make_targets (crop, flip, rot90), x0_hat from one seeded noise.
    in_focus: the pairs' in-focus twins stand in for the OOF input (identity examples)."""
    rng = np.random.default_rng([a.seed, k])
    cond, gt, idx = draw_crops(ds, rng, a.shard_size, a.patch)
    if in_focus:
        cond = gt
    z = torch.from_numpy(rng.standard_normal(cond.shape).astype(np.float32))
    x0hat = torch.cat([teacher_x0hat(teacher, torch.from_numpy(cond[s:s + 16]), z[s:s + 16], ab) for s in range(0, len(cond), 16)])
    return torch.from_numpy(cond), x0hat, dict(cond=cond, gt=gt, x0hat=x0hat.numpy(), pair_index=idx)


@torch.no_grad()
def make_refine_targets(a):
    """For every crop: the mean over --noises seeded noises of the teacher's x0 estimate at --t from
    x_t = sqrt(ab) x0_hat + sqrt(1 - ab) z (clipped to [-1, 1]).  Shards below --member-shards refine
    the member network's crops; later ones draw fresh crops (fresh_crops) and store them beside the
    targets: the refiner needs only (OOF, x0_hat), one teacher call per crop, and with the member
    network's 2,048 crops alone it fitted them far closer than held-out pairs (46.9 dB to its targets
    against 42.2).  probe_x0_refine.py measured 32.16 dB for this average at t = 200 over 8 noises on
    the held-out monitor pairs, against 31.21 for x0_hat and 32.12 for the DDIM-5 x 5 mean."""
    torch.set_num_threads(a.threads)
    teacher, ab = load_teacher(a.teacher), cosine_alphas_cumprod(T_STEPS)
    sq, sq1 = math.sqrt(float(ab[a.t])), math.sqrt(1 - float(ab[a.t]))
    member_shards = a.shards if a.member_shards is None else a.member_shards
    ds = PairSet(a.data) if a.shards > member_shards else None
    os.makedirs(a.out, exist_ok=True)
    for k in range(a.first_shard, a.shards, a.shard_stride):
        path = os.path.join(a.out, f'shard-{k:04d}.npz')
        if os.path.exists(path):
            continue
        t0 = time.time()
        crops = {}
        if k < member_shards:
            with np.load(os.path.join(a.targets, f'shard-{k:04d}.npz')) as d:
                cond, x0 = torch.from_numpy(d['cond']), torch.from_numpy(d['x0hat'])
        else:
            cond, x0, crops = fresh_crops(ds, teacher, ab, k, a)
        g = torch.Generator().manual_seed(1000 + k)
        refined = np.empty(tuple(x0.shape), np.float32)
        for i in range(cond.shape[0]):
            z = torch.randn((a.noises, 1) + tuple(cond.shape[2:]), generator=g)
            xt = sq * x0[i:i + 1].repeat(a.noises, 1, 1, 1) + sq1 * z
            eps = teacher(torch.cat([xt, cond[i:i + 1].repeat(a.noises, 1, 1, 1)], 1), torch.full((a.noises,), float(a.t)))
            refined[i] = ((xt - sq1 * eps) / sq).clamp(-1, 1).mean(0).numpy()
        tmp = path + '.tmp.npz'
        np.savez(tmp, refined=refined, t=a.t, noises=a.noises, **crops)
        os.replace(tmp, path)
        log(f"refine shard {k}: {cond.shape[0]} {'fresh' if crops else 'member'} crops, t={a.t}, {a.noises} noises in {time.time() - t0:.1f} s")


@torch.no_grad()
def make_identity_shards(a):
    """Identity examples for the refiner: in-focus crops of the broadened simulator (--data, both
    modalities, randomised optics, scenes and camera; simulate-pairs --varied train) whose refinement
    target and ground truth are the crop itself, x0_hat from one seeded noise as in the app.  An
    in-focus frame must come out of restoration unchanged within its noise (issue 12); the refiner's
    own pairs are the reference phase-contrast microscope, and on real in-focus crops pf-student-v5
    sharpened fine structure (1.55x the camera noise; its mean output kept the input's noise, so the
    change was not denoising).  Written as fresh-crop shards k = --first .. --first + --shards - 1 of
    the refiner's folder, marked identity, so refine-train --shards reads them after the others."""
    torch.set_num_threads(a.threads)
    teacher, ab = load_teacher(a.teacher), cosine_alphas_cumprod(T_STEPS)
    ds = PairSet(a.data)
    os.makedirs(a.out, exist_ok=True)
    for k in range(a.first, a.first + a.shards):
        path = os.path.join(a.out, f'shard-{k:04d}.npz')
        if os.path.exists(path):
            continue
        t0 = time.time()
        _, _, crops = fresh_crops(ds, teacher, ab, k, a, in_focus=True)
        tmp = path + '.tmp.npz'
        np.savez(tmp, refined=crops['gt'], identity=True, **crops)
        os.replace(tmp, path)
        log(f'identity shard {k}: {len(crops["gt"])} in-focus crops of {a.data} in {time.time() - t0:.1f} s')


@torch.no_grad()
def refiner_heldout_set(test, indices, teacher, ab, seed):
    """What a refiner is scored on: (OOF, x0_hat from one seeded noise as in the app, ground truth) per test pair."""
    g = torch.Generator().manual_seed(seed)
    held = []
    for i in indices:
        c = to_model(torch.from_numpy(np.array(test.oof[i]))[None, None])
        held.append((c, teacher_x0hat(teacher, c, torch.randn(c.shape, generator=g), ab), np.asarray(test.focus[i], np.float64)))
    return held


@torch.no_grad()
def refiner_psnr(net, held):
    """Mean PSNR (dB) of the refiner's output, clipped to [0, 1], against the ground truth over `held`."""
    return float(np.mean([10 * math.log10(1 / max(float(((from_model(net(torch.cat([c, x0], 1))).clamp(0, 1)[0, 0].numpy() - gt) ** 2).mean()), 1e-12))
                          for c, x0, gt in held]))


def train_refiner(a):
    """The refiner (common.ARCH['student-refiner']): (OOF, x0_hat) -> the refinement average, MSE,
    with joint flips / rot90; AdamW, warm-up, cosine decay over the last 30%, EMA shipped."""
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    cfg = run_config(a, stage='student-refiner', arch='student-refiner', patch=a.patch)
    model = build('student-refiner')
    ema = EMA(model, a.ema)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.0)
    init_info = None
    if a.init:  # a second stage: the first one's EMA weights, and its record kept in this one's
        first = torch.load(a.init, map_location='cpu')
        model.load_state_dict(first['ema'])
        ema = EMA(model, a.ema)
        init_info = dict(path=os.path.relpath(a.init, REPO), **first['info'])
    data = {k: [] for k in ('cond', 'x0hat', 'gt', 'refined')}
    for k in range(a.shards):
        with np.load(os.path.join(a.refined, f'shard-{k:04d}.npz')) as r:
            data['refined'].append(r['refined'])
            if 'identity' in r.files:  # make_identity_shards: target = the in-focus crop itself
                cfg['identity_crops'] = cfg.get('identity_crops', 0) + len(r['refined'])
            else:
                cfg.update(t=int(r['t']), noises=int(r['noises']))
            # A fresh-crop shard carries its crops; the others refine the member network's.
            with (nullcontext(r) if 'cond' in r.files else np.load(os.path.join(a.targets, f'shard-{k:04d}.npz'))) as crops:
                for key in ('cond', 'x0hat', 'gt'):
                    data[key].append(crops[key])
    data = {k: np.concatenate(v) for k, v in data.items()}
    n = len(data['cond'])
    test = PairSet(a.test)
    oof = np.flatnonzero((test.label == 1) & ~test.identical)
    monitor = oof[np.linspace(0, len(oof) - 1, a.monitor_pairs).round().astype(int)]
    teacher, ab = load_teacher(a.teacher), cosine_alphas_cumprod(T_STEPS)
    held = refiner_heldout_set(test, monitor, teacher, ab, seed=1234)

    def heldout(net):
        net.eval()
        p = refiner_psnr(net, held)
        net.train()
        return p

    history = [{'step': 0, 'heldout_psnr': round(heldout(model), 3)}]
    log(f"refiner params={n_params(model)} crops={n}; step 0 ({'from ' + a.init if a.init else 'x0_hat alone'}) held-out PSNR {history[0]['heldout_psnr']:.2f} dB")
    t0 = time.time()
    for step in range(1, a.steps + 1):
        frac = step / a.steps
        decay = 1.0 if frac < 0.7 else 0.5 * (1 + math.cos(math.pi * (frac - 0.7) / 0.3))
        for gr in opt.param_groups:
            gr['lr'] = a.lr * min(1.0, step / a.warmup) * decay
        j = rng.integers(0, n, a.batch)
        rot, flip = int(rng.integers(0, 4)), bool(rng.random() < 0.5)
        b = {}
        for k, v in data.items():
            x = np.rot90(v[j], rot, axes=(2, 3))
            b[k] = torch.from_numpy(np.ascontiguousarray(x[..., ::-1] if flip else x))
        y = model(torch.cat([b['cond'], b['x0hat']], 1))
        loss = F.mse_loss(y, b['refined']) + (a.gt_weight * F.mse_loss(y, b['gt']) if a.gt_weight else 0)
        optimise(model, opt, ema, loss)
        if step % a.monitor_every == 0 or step == a.steps:
            shadow = build('student-refiner')
            shadow.load_state_dict(ema.shadow)
            history.append({'step': step, 'loss': round(loss.item(), 6), 'heldout_psnr': round(heldout(shadow), 3)})
            log(f"refiner step {step} loss {loss.item():.5f} held-out PSNR (EMA, {len(held)} OOF pairs) {history[-1]['heldout_psnr']:.2f} dB")
    info = dict(steps=a.steps, wall_time_s=round(time.time() - t0, 1), params=n_params(model), config=cfg, history=history,
                batch=a.batch, patch=a.patch, threads=a.threads, crops=n, init=init_info)
    torch.save({'model': model.state_dict(), 'ema': ema.shadow, 'info': info}, a.out)
    log(f'done: {a.steps} steps, {info["wall_time_s"]:.0f} s')


def compose(a):
    """runs/student.pt for export and evaluation: the member network's and the refiner's EMA weights."""
    member, refiner = torch.load(a.member, map_location='cpu'), torch.load(a.refiner, map_location='cpu')
    ema = {**{f'member.{k}': v for k, v in member['ema'].items()}, **{f'refiner.{k}': v for k, v in refiner['ema'].items()}}
    model = build('student', centre_flips=a.centre_flips, centred_members=not a.uncentred_members)
    model.load_state_dict(ema)
    info = dict(steps=member['info']['steps'], params=n_params(model), wall_time_s=member['info']['wall_time_s'], centre_flips=a.centre_flips,
                centred_members=not a.uncentred_members,
                batch=member['info'].get('batch'), patch=member['info'].get('patch'), threads=member['info'].get('threads'),
                config=member['info'].get('config'), history=member['info'].get('history'), refiner=refiner['info'])
    torch.save({'ema': ema, 'info': info}, a.out)
    log(f'composed {a.out}: member {member["info"]["steps"]} steps + refiner {refiner["info"]["steps"]} steps, {n_params(model)} parameters')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    t = sub.add_parser('targets', help='teacher DDIM-k samples for random crops of the training pairs')
    t.add_argument('--data', default=os.path.join(PAIRS_DIR, 'train'))
    t.add_argument('--out', default=DEFAULT_TARGETS)
    t.add_argument('--teacher', default=None, help='ONNX file of the teacher (default models/ddpm.onnx)')
    t.add_argument('--teacher-steps', type=int, default=5)
    t.add_argument('--members', type=int, default=4, help='noises (teacher samples) per crop')
    t.add_argument('--shards', type=int, default=40)
    t.add_argument('--shard-size', type=int, default=256)
    t.add_argument('--first-shard', type=int, default=0)
    t.add_argument('--shard-stride', type=int, default=1, help='write shards first, first+stride, ... (parallel writers)')
    t.add_argument('--patch', type=int, default=PATCH)
    t.add_argument('--batch', type=int, default=16, help='teacher samples per network call')
    t.add_argument('--seed', type=int, default=0)
    t.add_argument('--threads', type=int, default=1)
    r = sub.add_parser('train', help='train the student on the targets')
    r.add_argument('--targets', default=DEFAULT_TARGETS)
    r.add_argument('--teacher', default=None, help='ONNX file of the teacher, for the held-out monitor')
    r.add_argument('--shards', type=int, default=40)
    r.add_argument('--shard-every', type=int, default=0, help='shard k usable from step k*N (0: all from the start)')
    r.add_argument('--test', default=os.path.join(PAIRS_DIR, 'test'))
    r.add_argument('--out', default=os.path.join(RUNS_DIR, 'student-member.pt'))
    r.add_argument('--steps', type=int, default=10000)
    r.add_argument('--batch', type=int, default=8, help='crops per step (each with its K members)')
    r.add_argument('--patch', type=int, default=PATCH)
    r.add_argument('--lr', type=float, default=1e-3)
    r.add_argument('--warmup', type=int, default=300)
    r.add_argument('--ema', type=float, default=0.995)
    r.add_argument('--gt-weight', type=float, default=3.0, help='weight of the ensemble-mean-to-ground-truth term')
    r.add_argument('--monitor-pairs', type=int, default=24)
    r.add_argument('--monitor-every', type=int, default=1000)
    r.add_argument('--seed', type=int, default=0)
    r.add_argument('--threads', type=int, default=1)
    r.add_argument('--resume', action='store_true')
    r.add_argument('--init', default=None, help='start from the EMA weights of this student checkpoint (a second stage)')
    rt = sub.add_parser('refine-targets', help="the teacher's noise-averaged refinement of x0_hat for the refiner")
    rt.add_argument('--targets', default=DEFAULT_TARGETS, help='the member network\'s shards (cond, x0_hat)')
    rt.add_argument('--out', default=DEFAULT_TARGETS + '-refined')
    rt.add_argument('--teacher', default=None)
    rt.add_argument('--t', type=int, default=200)
    rt.add_argument('--noises', type=int, default=8)
    rt.add_argument('--shards', type=int, default=40)
    rt.add_argument('--member-shards', type=int, default=None, help='shards k >= this draw fresh crops (default: none do)')
    rt.add_argument('--data', default=os.path.join(PAIRS_DIR, 'train'), help='training pairs for fresh crops')
    rt.add_argument('--shard-size', type=int, default=256)
    rt.add_argument('--patch', type=int, default=PATCH)
    rt.add_argument('--seed', type=int, default=0)
    rt.add_argument('--first-shard', type=int, default=0)
    rt.add_argument('--shard-stride', type=int, default=1)
    rt.add_argument('--threads', type=int, default=1)
    rr = sub.add_parser('refine-train', help='train the shared refiner on the refinement targets')
    rr.add_argument('--targets', default=DEFAULT_TARGETS)
    rr.add_argument('--refined', default=DEFAULT_TARGETS + '-refined')
    rr.add_argument('--teacher', default=None)
    rr.add_argument('--test', default=os.path.join(PAIRS_DIR, 'test'))
    rr.add_argument('--shards', type=int, default=40)
    rr.add_argument('--out', default=os.path.join(RUNS_DIR, 'student-refiner.pt'))
    rr.add_argument('--steps', type=int, default=5000)
    rr.add_argument('--batch', type=int, default=16)
    rr.add_argument('--patch', type=int, default=PATCH)
    rr.add_argument('--lr', type=float, default=1e-3)
    rr.add_argument('--warmup', type=int, default=200)
    rr.add_argument('--ema', type=float, default=0.995)
    rr.add_argument('--monitor-pairs', type=int, default=24)
    rr.add_argument('--monitor-every', type=int, default=500)
    rr.add_argument('--seed', type=int, default=0)
    rr.add_argument('--threads', type=int, default=1)
    rr.add_argument('--gt-weight', type=float, default=0.0,
                    help='weight of an MSE term to the ground truth (its minimiser lies between the teacher average and the posterior mean)')
    rr.add_argument('--init', default=None, help='start from the EMA weights of this refiner checkpoint (a second stage)')
    it = sub.add_parser('refine-identity', help="in-focus crops of the broadened simulator as the refiner's identity examples")
    it.add_argument('--data', default=os.path.join(PAIRS_DIR, 'varied-train'), help='pairs whose in-focus twins are used')
    it.add_argument('--out', default=DEFAULT_TARGETS + '-refined', help="the refiner's folder (refine-train --refined)")
    it.add_argument('--first', type=int, default=48, help='first shard number (after the refinement shards)')
    it.add_argument('--shards', type=int, default=8)
    it.add_argument('--shard-size', type=int, default=256)
    it.add_argument('--patch', type=int, default=PATCH)
    it.add_argument('--teacher', default=None)
    it.add_argument('--seed', type=int, default=7)
    it.add_argument('--threads', type=int, default=1)
    co = sub.add_parser('compose', help='the shipped student: member network + refiner')
    co.add_argument('--member', default=os.path.join(RUNS_DIR, 'student-member.pt'))
    co.add_argument('--refiner', default=os.path.join(RUNS_DIR, 'student-refiner.pt'))
    co.add_argument('--out', default=os.path.join(RUNS_DIR, 'student.pt'))
    co.add_argument('--centre-flips', type=int, default=ARCH['student']['centre_flips'], choices=(1, 2, 4),
                    help="flips of the refiner's input averaged into the centre (common.CENTRE_FLIPS)")
    co.add_argument('--uncentred-members', action='store_true',
                    help="add the members' residuals as they are (before pf-student-v6), not centred on the refined centre")
    a = ap.parse_args()
    {'targets': make_targets, 'train': train, 'refine-targets': make_refine_targets, 'refine-train': train_refiner, 'refine-identity': make_identity_shards,
     'compose': compose}[a.cmd](a)


if __name__ == '__main__':
    main()
