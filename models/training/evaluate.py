"""Held-out evaluation (test pairs, seed 2) of the shipped models.

Classifier: balanced accuracy over both members of every test pair (OOF input with its
label, in-focus target with label 0) on full 96^2 frames, accuracy per |dz| bin, and the
best single classical focus metric (Tenenbaum gradient, Vollath F4, normalised variance,
variance of Laplacian) thresholded on the TRAINING set.

Restorers: OOF pairs (label 1, identical pairs excluded), full 96^2 frames: PSNR (data
range 1), SSIM (skimage), PCC, edge-PCC (Pearson on the Canny edges, sigma 2, of the ground
truth), Tenenbaum gradient (mean squared Sobel magnitude) and its ratio to the ground truth.
DDPM: DDIM 25 steps (eta = 0), 5 samples -> mean; 1000-step ancestral, 5 samples -> mean
on a smaller subset.  `x0-by-t`: PSNR of the one-step estimate x0_hat(x_t, t) (x_t made from
the ground truth with fixed noise) per timestep, for the shipped DDPM and its epsilon stage,
against the one-shot U-Net (what an ideal model reaches from the OOF image alone at
t -> T).  Results are merged into models/training/runs/metrics.json.
"""
import argparse
import json
import os
import time

import numpy as np
import torch
from scipy import ndimage
from skimage.feature import canny
from skimage.metrics import structural_similarity

from common import (MODELS_DIR, PAIRS_DIR, RUNS_DIR, T_STEPS, PairSet, cosine_alphas_cumprod, from_model,
                    load_checkpoint, log, to_model)

METRICS_PATH = os.path.join(RUNS_DIR, 'metrics.json')


# ----------------------------------------------------------------------------- focus metrics

def tenenbaum(x):
    """Mean squared Sobel gradient magnitude of each (H, W) image of (..., H, W)
    (3x3 Sobel, border mirrored = scipy.ndimage 'reflect'); strictly per image."""
    p = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(1, 1), (1, 1)], mode='symmetric')
    gx = (p[..., :-2, 2:] + 2 * p[..., 1:-1, 2:] + p[..., 2:, 2:]) - (p[..., :-2, :-2] + 2 * p[..., 1:-1, :-2] + p[..., 2:, :-2])
    gy = (p[..., 2:, :-2] + 2 * p[..., 2:, 1:-1] + p[..., 2:, 2:]) - (p[..., :-2, :-2] + 2 * p[..., :-2, 1:-1] + p[..., :-2, 2:])
    return (gx ** 2 + gy ** 2).mean(axis=(-2, -1))


def vollath_f4(x):
    """Vollath F4 autocorrelation: mean x(i,j)x(i,j+1) - mean x(i,j)x(i,j+2)."""
    return (x[..., :, :-2] * x[..., :, 1:-1]).mean(axis=(-2, -1)) - (x[..., :, :-2] * x[..., :, 2:]).mean(axis=(-2, -1))


def normalised_variance(x):
    m = x.mean(axis=(-2, -1))
    return x.var(axis=(-2, -1)) / np.maximum(m, 1e-6)


def variance_of_laplacian(x):
    lap = np.stack([ndimage.laplace(im, mode='reflect') for im in x])
    return lap.var(axis=(-2, -1))


FOCUS_METRICS = {'tenenbaum': tenenbaum, 'vollath_f4': vollath_f4,
                 'normalised_variance': normalised_variance, 'variance_of_laplacian': variance_of_laplacian}


def chunked(fn, arr, n=1000):
    return np.concatenate([fn(np.asarray(arr[i:i + n], np.float64)) for i in range(0, len(arr), n)])


def balanced_accuracy(pred, y):
    pred, y = np.asarray(pred).astype(bool), np.asarray(y).astype(bool)
    return 0.5 * (pred[y].mean() + (~pred[~y]).mean())


def best_threshold(v, y):
    """Threshold + direction on v maximising balanced accuracy (OOF iff v < thr, or v > thr)."""
    order = np.argsort(v)
    vs, ys = v[order], y[order].astype(bool)
    P, N = ys.sum(), (~ys).sum()
    pos_below = np.cumsum(ys)          # positives with value <= vs[k]
    neg_below = np.cumsum(~ys)
    ba_low = 0.5 * (pos_below / P + (N - neg_below) / N)     # OOF iff v <= vs[k]
    ba_high = 0.5 * ((P - pos_below) / P + neg_below / N)   # OOF iff v > vs[k]
    k1, k2 = int(np.argmax(ba_low)), int(np.argmax(ba_high))
    if ba_low[k1] >= ba_high[k2]:
        thr = 0.5 * (vs[k1] + vs[min(k1 + 1, len(vs) - 1)])
        return thr, 'below', float(ba_low[k1])
    thr = 0.5 * (vs[k2] + vs[min(k2 + 1, len(vs) - 1)])
    return thr, 'above', float(ba_high[k2])


def samples_of(ds):
    """Both members of every pair: images (2n, H, W) view, labels, |dz|, member type."""
    y = np.concatenate([ds.label, np.zeros(ds.n, np.int64)])
    adz = np.concatenate([np.abs(ds.dz), np.zeros(ds.n, np.float32)])
    return y, adz


def dz_bins(adz):
    return {'0': adz == 0, '0-2.5': (adz > 0) & (adz <= 2.5), '5-6': (adz >= 5) & (adz < 6),
            '6-8': (adz >= 6) & (adz < 8), '8-10': (adz >= 8) & (adz <= 10.0001)}


def eval_classifier(train, test, threads):
    model, ck = load_checkpoint('classifier')
    logits = []
    with torch.no_grad():
        for arr in (test.oof, test.focus):
            for i in range(0, test.n, 250):
                x = torch.from_numpy(to_model(np.asarray(arr[i:i + 250], np.float32))[:, None])
                logits.append(model(x)[:, 0].numpy())
    logit = np.concatenate(logits)
    y, adz = samples_of(test)
    pred = logit > 0  # p > 0.5
    res = {'samples': int(len(y)), 'positives': int(y.sum()),
           'balanced_accuracy': round(float(balanced_accuracy(pred, y)), 4),
           'per_dz_bin': {}}
    # classical focus metrics, thresholds fitted on the training set
    ytr, _ = samples_of(train)
    classical = {}
    bins = dz_bins(adz)
    for name, fn in FOCUS_METRICS.items():
        vtr = np.concatenate([chunked(fn, train.oof), chunked(fn, train.focus)])
        thr, direction, ba_train = best_threshold(vtr, ytr)
        vte = np.concatenate([chunked(fn, test.oof), chunked(fn, test.focus)])
        p = vte < thr if direction == 'below' else vte > thr
        classical[name] = {'threshold': float(thr), 'oof_if': direction, 'train_balanced_accuracy': round(ba_train, 4),
                           'balanced_accuracy': round(float(balanced_accuracy(p, y)), 4),
                           'per_dz_bin': {b: round(float((p[m] == y[m]).mean()), 4) for b, m in bins.items() if m.any()}}
    best = max(classical, key=lambda k: classical[k]['train_balanced_accuracy'])
    for b, m in bins.items():
        if m.any():
            res['per_dz_bin'][b] = {'n': int(m.sum()), 'accuracy': round(float((pred[m] == y[m]).mean()), 4),
                                    f'{best}_accuracy': classical[best]['per_dz_bin'][b]}
    res['classical'] = classical
    res['best_classical'] = best
    res['best_classical_balanced_accuracy'] = classical[best]['balanced_accuracy']
    return res


# ----------------------------------------------------------------------------- restoration metrics

def pearson(a, b):
    a, b = a - a.mean(), b - b.mean()
    d = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / d) if d > 0 else 0.0


def image_metrics(pred, gt):
    pred = np.clip(pred.astype(np.float64), 0, 1)
    gt = gt.astype(np.float64)
    mse = ((pred - gt) ** 2).mean()
    edges = canny(gt, sigma=2)
    ten_p, ten_g = tenenbaum(pred[None])[0], tenenbaum(gt[None])[0]
    return {'psnr': 10 * np.log10(1.0 / max(mse, 1e-12)),
            'ssim': structural_similarity(pred, gt, data_range=1.0),
            'pcc': pearson(pred, gt),
            'edge_pcc': pearson(pred[edges], gt[edges]) if edges.sum() > 2 else np.nan,
            'tenenbaum': ten_p, 'tenenbaum_ratio': ten_p / max(ten_g, 1e-12)}


def summarise(preds, gts):
    rows = [image_metrics(p, g) for p, g in zip(preds, gts)]
    out = {k: round(float(np.nanmean([r[k] for r in rows])), 4) for k in rows[0]}
    out['n'] = len(rows)
    return out


def paired_vs(preds, refs, gts):
    """Per-pair differences pred - ref (mean and 95% CI, normal approximation) of edge-PCC and of the
    Tenenbaum closeness to the ground truth (-|ratio - 1|; positive = pred is closer)."""
    out = {}
    P = [image_metrics(p, g) for p, g in zip(preds, gts)]
    R = [image_metrics(r, g) for r, g in zip(refs, gts)]
    for name, f in (('edge_pcc', lambda m: m['edge_pcc']), ('tenenbaum_closeness', lambda m: -abs(m['tenenbaum_ratio'] - 1)),
                    ('psnr', lambda m: m['psnr'])):
        d = np.array([f(p) - f(r) for p, r in zip(P, R)], np.float64)
        d = d[np.isfinite(d)]
        se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float('nan')
        out[name] = {'mean_diff': round(float(d.mean()), 4), 'ci95': [round(float(d.mean() - 1.96 * se), 4),
                                                                     round(float(d.mean() + 1.96 * se), 4)], 'n': int(len(d))}
    return out


def ground_truth_tenenbaum(gts):
    return round(float(tenenbaum(np.asarray(gts, np.float64)).mean()), 4)


class Sampler:
    def __init__(self, net):
        self.net = net
        self.ab = torch.tensor(cosine_alphas_cumprod(T_STEPS), dtype=torch.float64)

    def eps(self, x, cond, t):
        tt = torch.full((x.shape[0],), float(t))
        return self.net(torch.cat([x.float(), cond], 1), tt).double()

    @torch.no_grad()
    def ddim(self, cond, steps=25, gen=None):
        """DDIM, eta = 0, timesteps round(linspace(999, 0, steps)); x0 clipped to [-1, 1]."""
        ts = np.round(np.linspace(T_STEPS - 1, 0, steps)).astype(int)
        x = torch.randn(cond.shape, generator=gen, dtype=torch.float64)
        for k, t in enumerate(ts):
            ab = self.ab[t]
            ab_prev = self.ab[ts[k + 1]] if k + 1 < len(ts) else torch.tensor(1.0, dtype=torch.float64)
            e = self.eps(x, cond, t)
            x0 = ((x - (1 - ab).sqrt() * e) / ab.sqrt()).clamp(-1, 1)
            e = (x - ab.sqrt() * x0) / (1 - ab).sqrt()
            x = ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * e
        return x.float()

    @torch.no_grad()
    def ancestral(self, cond, gen=None):
        """DDPM ancestral sampling over all 1000 steps, x0 clipped, posterior variance beta~."""
        x = torch.randn(cond.shape, generator=gen, dtype=torch.float64)
        for t in range(T_STEPS - 1, -1, -1):
            ab = self.ab[t]
            ab_prev = self.ab[t - 1] if t > 0 else torch.tensor(1.0, dtype=torch.float64)
            beta = 1 - ab / ab_prev
            e = self.eps(x, cond, t)
            x0 = ((x - (1 - ab).sqrt() * e) / ab.sqrt()).clamp(-1, 1)
            mean = (ab_prev.sqrt() * beta / (1 - ab)) * x0 + ((1 - beta).sqrt() * (1 - ab_prev) / (1 - ab)) * x
            if t > 0:
                var = beta * (1 - ab_prev) / (1 - ab)
                x = mean + var.sqrt() * torch.randn(x.shape, generator=gen, dtype=torch.float64)
            else:
                x = mean
        return x.float()


def run_unet(oof):
    model, _ = load_checkpoint('unet')
    out = []
    with torch.no_grad():
        for i in range(0, len(oof), 100):
            x = torch.from_numpy(to_model(np.asarray(oof[i:i + 100], np.float32))[:, None])
            out.append(from_model(model(x))[:, 0].numpy())
    return np.concatenate(out)


X0_TIMESTEPS = (0, 50, 100, 200, 300, 400, 500, 600, 700, 800, 850, 900, 950, 999)


@torch.no_grad()
def x0_by_t(test, n=40):
    """PSNR of x0_hat at each timestep of X0_TIMESTEPS on the DDIM subset (same noise for each model)."""
    idx = np.nonzero((test.label == 1) & ~test.identical)[0]
    sub = idx[np.linspace(0, len(idx) - 1, min(n, len(idx))).round().astype(int)]
    oof, gt = np.asarray(test.oof[sub], np.float32), np.asarray(test.focus[sub], np.float32)
    x0 = torch.from_numpy(to_model(gt)[:, None]).double()
    cond = torch.from_numpy(to_model(oof)[:, None])
    ab = torch.tensor(cosine_alphas_cumprod(T_STEPS), dtype=torch.float64)
    psnr = lambda p: round(float(np.mean([image_metrics(p[i], gt[i])['psnr'] for i in range(len(p))])), 2)
    out = {'n': int(len(sub)), 'unet_psnr': psnr(run_unet(oof)), 'timesteps': list(X0_TIMESTEPS)}
    models = [('shipped', 'ddpm', None), ('eps_stage', 'ddpm-eps', os.path.join(RUNS_DIR, 'ddpm_eps.pt'))]
    for name, kind, path in models:
        if path and not os.path.exists(path):
            continue
        net, _ = load_checkpoint(kind, path)
        gen, row = torch.Generator().manual_seed(123), []
        for t in X0_TIMESTEPS:
            e = torch.randn(x0.shape, generator=gen, dtype=torch.float64)
            xt = ab[t].sqrt() * x0 + (1 - ab[t]).sqrt() * e
            eh = net(torch.cat([xt.float(), cond], 1), torch.full((len(sub),), float(t))).double()
            x0h = ((xt - (1 - ab[t]).sqrt() * eh) / ab[t].sqrt()).clamp(-1, 1)
            row.append(psnr(from_model(x0h[:, 0].numpy())))
        out[name] = row
        log(f'x0 by t {name}: {row}')
    return out


def run_ddpm(oof, method, n_samples=5, chunk=20, seed=0):
    """(samples, N, H, W) in [0, 1]; all samples of an image are drawn in one batch."""
    net, _ = load_checkpoint('ddpm')
    s = Sampler(net)
    gen = torch.Generator().manual_seed(seed)
    per = max(1, chunk // n_samples)
    outs = []
    for i in range(0, len(oof), per):
        cond = torch.from_numpy(to_model(np.asarray(oof[i:i + per], np.float32))[:, None])
        c = cond.repeat_interleave(n_samples, 0)
        x = s.ddim(c, 25, gen) if method == 'ddim' else s.ancestral(c, gen)
        outs.append(from_model(x)[:, 0].numpy().reshape(-1, n_samples, *x.shape[-2:]))
        log(f'  ddpm {method} {i + per}/{len(oof)}')
    return np.concatenate(outs).transpose(1, 0, 2, 3)


def eval_restorers(test, kinds, n_ddim, n_anc, run_ancestral=True, ancestral_part=None, ancestral_collect=0):
    idx = np.nonzero((test.label == 1) & ~test.identical)[0]
    oof = np.asarray(test.oof[idx], np.float32)
    gt = np.asarray(test.focus[idx], np.float32)
    sub = np.linspace(0, len(idx) - 1, min(n_ddim, len(idx))).round().astype(int)
    sub_a = sub[np.linspace(0, len(sub) - 1, min(n_anc, len(sub))).round().astype(int)]
    res = {'pairs': int(len(idx)), 'ddim_subset': int(len(sub)), 'ancestral_subset': int(len(sub_a))}
    res['ground_truth_tenenbaum'] = ground_truth_tenenbaum(gt)
    res['all'] = {'oof_input': summarise(oof, gt)}
    res['ddim_subset_metrics'] = {'oof_input': summarise(oof[sub], gt[sub]), 'ground_truth_tenenbaum': ground_truth_tenenbaum(gt[sub])}
    res['ancestral_subset_metrics'] = {'oof_input': summarise(oof[sub_a], gt[sub_a]), 'ground_truth_tenenbaum': ground_truth_tenenbaum(gt[sub_a])}
    arrays = {'idx': idx, 'sub': sub, 'sub_a': sub_a}
    if ancestral_part:
        part, parts = ancestral_part
        mine = np.arange(len(sub_a))[part::parts]
        t0 = time.time()
        a = run_ddpm(oof[sub_a[mine]], 'ancestral', seed=1 + part)
        np.savez_compressed(os.path.join(RUNS_DIR, f'eval_ancestral_part{part}.npz'), anc=a, pos=mine,
                            wall=time.time() - t0)
        return None, oof, gt, {}
    if ancestral_collect:
        a = np.zeros((5, len(sub_a)) + gt.shape[1:], np.float32)
        wall = 0.0
        for part in range(ancestral_collect):
            z = np.load(os.path.join(RUNS_DIR, f'eval_ancestral_part{part}.npz'))
            a[:, z['pos']] = z['anc']
            wall = max(wall, float(z['wall']))
        res = {'ancestral_wall_time_s': round(wall, 1), 'ancestral_parallel_processes': ancestral_collect,
               'ancestral_subset': int(len(sub_a)),
               'ancestral_subset_metrics': {'ddpm_ancestral1000_mean5': summarise(a.mean(0), gt[sub_a]),
                                            'ddpm_ancestral1000_single': summarise(a[0], gt[sub_a]),
                                            'ddpm_ancestral1000_spread_mean_std': round(float(a.std(0).mean()), 5)}}
        try:
            u = np.load(os.path.join(RUNS_DIR, 'eval_arrays.npz'))['unet']
            res['ancestral_subset_metrics']['ddpm_ancestral1000_mean5_minus_unet'] = paired_vs(a.mean(0), u[sub_a], gt[sub_a])
        except (OSError, KeyError):
            log('no U-Net arrays (run the DDIM evaluation first): no paired comparison')
        np.savez_compressed(os.path.join(RUNS_DIR, 'eval_arrays_ancestral.npz'), anc=a, sub_a=sub_a, idx=idx)
        return res, oof, gt, {}
    if 'unet' in kinds:
        u = run_unet(oof)
        res['all']['unet'] = summarise(u, gt)
        res['ddim_subset_metrics']['unet'] = summarise(u[sub], gt[sub])
        res['ancestral_subset_metrics']['unet'] = summarise(u[sub_a], gt[sub_a])
        arrays['unet'] = u
    if 'ddpm' in kinds:
        t0 = time.time()
        d = run_ddpm(oof[sub], 'ddim')
        res['ddim_wall_time_s'] = round(time.time() - t0, 1)
        res['ddim_subset_metrics']['ddpm_ddim25_mean5'] = summarise(d.mean(0), gt[sub])
        res['ddim_subset_metrics']['ddpm_ddim25_single'] = summarise(d[0], gt[sub])
        res['ddim_subset_metrics']['ddpm_ddim25_spread_mean_std'] = round(float(d.std(0).mean()), 5)
        if 'unet' in kinds:
            res['ddim_subset_metrics']['ddpm_ddim25_mean5_minus_unet'] = paired_vs(d.mean(0), u[sub], gt[sub])
        arrays['ddim'] = d
        pos = np.searchsorted(sub, sub_a)
        res['ancestral_subset_metrics']['ddpm_ddim25_mean5'] = summarise(d[:, pos].mean(0), gt[sub_a])
        if run_ancestral:  # in-process ancestral run (eval_all.sh runs it as a separate process instead)
            t0 = time.time()
            a = run_ddpm(oof[sub_a], 'ancestral', seed=1)
            res['ancestral_wall_time_s'] = round(time.time() - t0, 1)
            res['ancestral_subset_metrics']['ddpm_ancestral1000_mean5'] = summarise(a.mean(0), gt[sub_a])
            res['ancestral_subset_metrics']['ddpm_ancestral1000_single'] = summarise(a[0], gt[sub_a])
            arrays['anc'] = a
    np.savez_compressed(os.path.join(RUNS_DIR, 'eval_arrays.npz'), **{k: v for k, v in arrays.items() if k != 'anc'})
    return res, oof, gt, arrays


# ----------------------------------------------------------------------------- contact sheet

def write_png(path, img):
    """Minimal 8-bit greyscale PNG writer (img: (H, W) float in [0, 1])."""
    import struct
    import zlib
    a = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
    raw = b''.join(b'\x00' + a[r].tobytes() for r in range(a.shape[0]))

    def chunk(tag, data):
        return struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data) & 0xffffffff)

    png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', a.shape[1], a.shape[0], 8, 0, 0, 0, 0))
    png += chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b'')
    with open(path, 'wb') as f:
        f.write(png)


def contact_sheet(path, oof, gt, arrays, rows=6, spread_gain=5.0, zoom=2, gap=4):
    """Rows of examples; columns input / U-Net / DDPM mean (DDIM 25, 5 samples) /
    spread (per-pixel std of the 5 samples x spread_gain) / ground truth."""
    sub, d, u = arrays['sub'], arrays['ddim'], arrays['unet']
    pick = np.linspace(0, len(sub) - 1, rows).round().astype(int)
    tiles = []
    for k in pick:
        i = sub[k]
        cols = [oof[i], u[i], d[:, k].mean(0), d[:, k].std(0) * spread_gain, gt[i]]
        row = []
        for c in cols:
            row += [np.kron(np.clip(c, 0, 1), np.ones((zoom, zoom))), np.ones((c.shape[0] * zoom, gap))]
        tiles += [np.concatenate(row[:-1], 1), np.ones((gap, sum(r.shape[1] for r in row[:-1])))]
    write_png(path, np.concatenate(tiles[:-1], 0))


def deep_merge(dst, src):
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            deep_merge(dst[k], v)
        else:
            dst[k] = v
    return dst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('kinds', nargs='*', default=['classifier', 'unet', 'ddpm'])
    ap.add_argument('--test', default=os.path.join(PAIRS_DIR, 'test'))
    ap.add_argument('--train', default=os.path.join(PAIRS_DIR, 'train'))
    ap.add_argument('--n-ddim', type=int, default=200)
    ap.add_argument('--n-ancestral', type=int, default=16)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--out', default=METRICS_PATH)
    ap.add_argument('--ancestral-part', default=None, help="'i/n': run only part i of n of the ancestral subset")
    ap.add_argument('--ancestral-collect', type=int, default=0, help='merge n ancestral parts into the metrics')
    ap.add_argument('--no-ancestral', action='store_true')
    ap.add_argument('--merge', default=None, help='deep-merge this metrics file into --out and exit')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    metrics = {}
    if os.path.exists(a.out):
        with open(a.out) as f:
            metrics = json.load(f)
    if a.merge:
        with open(a.merge) as f:
            deep_merge(metrics, json.load(f))
        with open(a.out, 'w') as f:
            json.dump(metrics, f, indent=1)
        return
    test = PairSet(a.test)
    metrics['test_seed'] = test.seed
    if 'classifier' in a.kinds:
        t0 = time.time()
        metrics['classifier'] = eval_classifier(PairSet(a.train), test, a.threads)
        log(f'classifier {time.time() - t0:.0f}s: {json.dumps(metrics["classifier"])[:400]}')
    if 'x0-by-t' in a.kinds:
        metrics.setdefault('restoration', {})['x0_by_t'] = x0_by_t(test, a.n_ddim)
    rk = [k for k in a.kinds if k in ('unet', 'ddpm')]
    if rk:
        part = tuple(map(int, a.ancestral_part.split('/'))) if a.ancestral_part else None
        res, oof, gt, arrays = eval_restorers(test, rk, a.n_ddim, a.n_ancestral, not a.no_ancestral and not part
                                              and not a.ancestral_collect, part, a.ancestral_collect)
        if res is None:
            return
        deep_merge(metrics.setdefault('restoration', {}), res)
        if 'ddim' in arrays and 'unet' in arrays:
            contact_sheet(os.path.join(MODELS_DIR, 'contact-sheet.png'), oof, gt, arrays)
        log(json.dumps(metrics['restoration'], indent=1))
    with open(a.out, 'w') as f:
        json.dump(metrics, f, indent=1)


if __name__ == '__main__':
    main()
