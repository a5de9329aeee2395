"""Probe for the next one-step student: how good is one DDPM evaluation per member from the
teacher's shared x0_hat re-noised to t, averaged over the members?

On the student's held-out monitor (24 OOF pairs of the test set, seed 2, evenly spaced; 96^2
frames): x0_hat = the DDPM's x0 estimate at t = T-1 (what the student shares), then for each
t, x_t = sqrt(ab_t) x0_hat + sqrt(1 - ab_t) z (z = 0, or 8 seeded noises) and the DDPM's x0
estimate at t, averaged over the noises.  Prints the mean PSNR per setting.  Measured on
7 Dec 2026: x0_hat 31.21 dB, DDIM-5 x 5 mean 32.12 (evaluate_student.py); averaged over 8
noises 32.07 / 32.16 / 32.14 / 32.09 dB at t = 100 / 200 / 300 / 400; with z = 0 (no noise)
30.89 / 29.69 / 28.70 / 27.83.  Usage: python3 probe_x0_refine.py
"""
import math

import numpy as np
import torch

from common import PAIRS_DIR, T_STEPS, PairSet, cosine_alphas_cumprod, from_model, to_model
from distill import load_teacher, teacher_x0hat


def psnr(x, gt):
    return 10 * math.log10(1 / max(float(((x - gt) ** 2).mean()), 1e-12))


def main():
    torch.set_num_threads(1)
    test = PairSet(PAIRS_DIR + '/test')
    idx = np.nonzero((test.label == 1) & ~test.identical)[0]
    sub = idx[np.linspace(0, len(idx) - 1, 24).round().astype(int)]
    teacher, ab = load_teacher(), cosine_alphas_cumprod(T_STEPS)
    g = torch.Generator().manual_seed(0)
    res = {}
    with torch.no_grad():
        for i in sub:
            cond = to_model(torch.from_numpy(np.array(test.oof[i]))[None, None])
            gt = np.array(test.focus[i], np.float64)
            z = torch.randn((8, 1) + cond.shape[2:], generator=g)
            x0 = teacher_x0hat(teacher, cond, z[:1], ab)
            res.setdefault('x0_hat', []).append(psnr(from_model(x0).clamp(0, 1)[0, 0].numpy(), gt))
            for t in (50, 100, 200, 300, 400):
                a = float(ab[t])
                for name, noise in (('z=0', torch.zeros_like(z[:1])), ('mean of 8 noises', z)):
                    n = noise.shape[0]
                    xt = math.sqrt(a) * x0.repeat(n, 1, 1, 1) + math.sqrt(1 - a) * noise
                    eps = teacher(torch.cat([xt, cond.repeat(n, 1, 1, 1)], 1), torch.full((n,), float(t)))
                    x0t = ((xt - math.sqrt(1 - a) * eps) / math.sqrt(a)).clamp(-1, 1)
                    res.setdefault(f't={t}, {name}', []).append(psnr(from_model(x0t).clamp(0, 1).mean(0)[0].numpy(), gt))
    for k, v in res.items():
        print(f'{k}: {np.mean(v):.2f} dB')


if __name__ == '__main__':
    main()
