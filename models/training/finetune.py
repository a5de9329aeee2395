"""Fine-tune a restorer (the one-shot U-Net, or the conditional DDPM) on a station's own pairs (issue 12).

Input: paired frames in the simulator's format (index.json + oof.f32 + focus.f32,
n x s x s float32 in [0, 1]) - from `postfocus finetune <workspace>` (a calibration
z-stack: each field's defocused planes against its in-focus plane, plus identical
in-focus pairs so an in-focus frame stays unchanged) or from `postfocus
simulate-pairs`.  The pairs are split (seeded) into a training part and a
held-out part; the base network is the shipped ONNX model's weights
(onnx_weights.load_from_onnx, checked against the CI reference outputs).  The loss
and augmentation of the original recipe: U-Net as train_unet.py (Charbonnier on
random 64^2 crops, flips, rot90), DDPM as train_ddpm.py (MSE on v, cosine schedule,
uniform timesteps); a smaller learning rate and an EMA of the weights.  Held-out
metrics of the input, the base model and the fine-tuned model are measured on
whole frames (cropped to a multiple of 8; the DDPM as the station restores by
default: DDIM-5 from noise, mean of 5 members, fixed seed) and written with the
ONNX file.

Usage: finetune.py --pairs DIR --out DIR --id MODEL_ID [--kind unet|ddpm] [--steps N] [--holdout 0.25]
Writes DIR/<id>.onnx and DIR/finetune.json.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch

import torch.nn.functional as F

from common import EMA, PATCH, T_STEPS, PairSet, cosine_alphas_cumprod, from_model, log, n_params, pair_batch, to_model, optimise
from onnx_weights import check_against_reference, load_from_onnx
from train_unet import charbonnier

LIMIT_BYTES = 15 * 1024 * 1024


def psnr(a, b):
    mse = float(np.mean((a - b) ** 2))
    return float('inf') if mse == 0 else 10 * math.log10(1.0 / mse)


def restore(model, x, kind='unet'):
    """(H, W) [0, 1] -> (H, W) [0, 1] (H, W multiples of 8): the U-Net, or the DDPM's DDIM-5 mean of 5 members."""
    cond = to_model(torch.from_numpy(np.ascontiguousarray(x, np.float32))[None, None])
    with torch.no_grad():
        if kind == 'unet':
            y = model(cond)
        else:
            from evaluate import Sampler  # the recipe's own DDIM (eta = 0, x0 clipped), as the app samples
            y = Sampler(model).ddim(cond.repeat(5, 1, 1, 1), 5, torch.Generator().manual_seed(0)).mean(0, keepdim=True)
    return np.clip(from_model(y)[0, 0].numpy(), 0, 1)


def heldout_metrics(model, ds, idx, kind='unet'):
    """Mean PSNR / MAE against the in-focus plane on whole (cropped) frames; split by identical pairs."""
    s = ds.size - ds.size % 8
    rows = []
    for i in idx:
        x = np.asarray(ds.oof[i])[:s, :s]
        t = np.asarray(ds.focus[i])[:s, :s]
        y = restore(model, x, kind) if model is not None else x
        rows.append((bool(ds.identical[i]), psnr(y, t), float(np.mean(np.abs(y - t)))))
    def summary(sel):
        r = [q for q in rows if sel(q)]
        if not r:
            return None
        finite = [q[1] for q in r if math.isfinite(q[1])]
        # Identical pairs through the identity have infinite PSNR: the mean is over finite values (None if none).
        return {'n': len(r), 'psnr_db': round(float(np.mean(finite)), 3) if finite else None,
                'mae': round(float(np.mean([q[2] for q in r])), 6)}
    return {'all': summary(lambda q: True), 'defocused': summary(lambda q: not q[0]), 'identical': summary(lambda q: q[0])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pairs', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--id', required=True)
    ap.add_argument('--kind', choices=['unet', 'ddpm'], default='unet')
    ap.add_argument('--base', default=None, help='base ONNX of that kind (default: the shipped one)')
    ap.add_argument('--steps', type=int, default=300)
    ap.add_argument('--holdout', type=float, default=0.25)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--lr', type=float, default=2e-4)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    ds = PairSet(a.pairs)
    if ds.size < PATCH:
        raise SystemExit(f'{a.pairs}: pairs of {ds.size} px are smaller than the {PATCH} px training crops')
    if ds.n < 4:
        raise SystemExit(f'{a.pairs}: {ds.n} pair(s); fine-tuning needs at least 4 (3 to train, 1 held out)')
    perm = rng.permutation(ds.n)
    n_hold = max(1, int(round(ds.n * a.holdout)))
    hold, train = np.sort(perm[:n_hold]), np.sort(perm[n_hold:])

    kind = a.kind
    model = load_from_onnx(kind, a.base)
    if a.base is None:
        check_against_reference(kind, model)
    base = load_from_onnx(kind, a.base)
    before = {'input': heldout_metrics(None, ds, hold), 'base': heldout_metrics(base, ds, hold, kind)}
    log(f'finetune {kind} params={n_params(model)} pairs={ds.n} train={len(train)} heldout={len(hold)} steps={a.steps}')
    ab = torch.tensor(cosine_alphas_cumprod(T_STEPS), dtype=torch.float32)
    model.train()
    ema = EMA(model, 0.99)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    t0 = time.time()
    run = None
    for step in range(1, a.steps + 1):
        lr = a.lr * 0.5 * (1 + math.cos(math.pi * step / a.steps))
        for g in opt.param_groups:
            g['lr'] = lr
        oof, foc, _ = pair_batch(ds, rng, a.batch, idx=rng.choice(train, size=a.batch))
        if kind == 'unet':
            loss = charbonnier(model(to_model(oof)), to_model(foc))
        else:
            # train_ddpm.py's v-parameterised objective: x_t from the in-focus target, conditioned on the OOF input.
            x0, cond = to_model(foc), to_model(oof)
            t = torch.randint(0, T_STEPS, (a.batch,))
            eps = torch.randn_like(x0)
            abt = ab[t][:, None, None, None]
            xt = abt.sqrt() * x0 + (1 - abt).sqrt() * eps
            loss = F.mse_loss(model.v(torch.cat([xt, cond], 1), t.float()), abt.sqrt() * eps - (1 - abt).sqrt() * x0)
        optimise(model, opt, ema, loss)
        run = loss.item() if run is None else 0.95 * run + 0.05 * loss.item()
        if step % 25 == 0 or step == a.steps:
            log(f'step {step}/{a.steps} {"charbonnier" if kind == "unet" else "v-mse"} {run:.5f}')
    model.load_state_dict(ema.shadow)
    model.eval()
    after = heldout_metrics(model, ds, hold, kind)

    os.makedirs(a.out, exist_ok=True)
    onnx_path = os.path.join(a.out, f'{a.id}.onnx')
    dyn = {0: 'B', 2: 'H', 3: 'W'}
    if kind == 'unet':
        torch.onnx.export(model, (torch.zeros(1, 1, 32, 32),), onnx_path, opset_version=17, input_names=['image'],
                          output_names=['restored'], dynamic_axes={'image': dyn, 'restored': dyn}, do_constant_folding=True)
    else:
        from export import DDPMWrapper  # the same graph interface as the shipped DDPM: (x_t, cond, t) -> eps
        torch.onnx.export(DDPMWrapper(model).eval(), (torch.zeros(1, 1, 32, 32), torch.zeros(1, 1, 32, 32), torch.tensor([10.0])),
                          onnx_path, opset_version=17, input_names=['x_t', 'cond', 't'], output_names=['eps'],
                          dynamic_axes={'x_t': dyn, 'cond': dyn, 't': {0: 'B'}, 'eps': dyn}, do_constant_folding=True)
    import onnx
    onnx.checker.check_model(onnx.load(onnx_path))
    size = os.path.getsize(onnx_path)
    if size > LIMIT_BYTES:
        raise SystemExit(f'{onnx_path}: {size} bytes exceeds the {LIMIT_BYTES}-byte limit')
    report = {
        'id': a.id, 'kind': kind, 'file': os.path.basename(onnx_path), 'bytes': size,
        'pairs': {'source': os.path.abspath(a.pairs), 'count': ds.n, 'size': ds.size, 'train': len(train), 'heldout': len(hold),
                  'heldout_indices': [int(i) for i in hold]},
        'training': {'steps': a.steps, 'batch': a.batch, 'lr': a.lr, 'ema': 0.99, 'seed': a.seed, 'patch': PATCH,
                     'wall_time_s': round(time.time() - t0, 1), 'threads': a.threads},
        'heldout': {'input': before['input'], 'base': before['base'], 'finetuned': after},
    }
    with open(os.path.join(a.out, 'finetune.json'), 'w') as f:
        json.dump(report, f, indent=1)
    def part(m, k):
        return m[k]['psnr_db'] if m[k] else None
    log(f'done: held-out PSNR on defocused pairs: input {part(before["input"], "defocused")} dB, base {part(before["base"], "defocused")} dB, '
        f'fine-tuned {part(after, "defocused")} dB; on identical in-focus pairs: base {part(before["base"], "identical")} dB, '
        f'fine-tuned {part(after, "identical")} dB -> {onnx_path}')


if __name__ == '__main__':
    main()
