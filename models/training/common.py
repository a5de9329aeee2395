"""Shared pieces of the PostFocus Station model recipes.

Data: the virtual microscope's paired frames (``index.json`` + ``oof.f32`` / ``focus.f32``,
n x size x size float32 little-endian, intensities in [0, 1]).  Models see images in
"model space" ``y = x * SCALE + OFFSET`` (i.e. [-1, 1]); the same rule is written into
models/manifest.json (``preprocess``) so the TypeScript app applies exactly this mapping.

Backbone: a small U-Net (GroupNorm + SiLU residual conv blocks, strided-conv down,
nearest-upsample + conv up, concatenated skip connections) with an optional sinusoidal
timestep embedding -> MLP -> per-block channel bias (for the DDPM).
"""
import hashlib
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SCALE = 2.0
OFFSET = -1.0
PATCH = 64
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
MODELS_DIR = os.environ.get('PF_MODELS_DIR', os.path.join(REPO, 'models'))
RUNS_DIR = os.environ.get('PF_RUNS_DIR', os.path.join(MODELS_DIR, 'training', 'runs'))
PAIRS_DIR = os.environ.get('PF_PAIRS_DIR', os.path.join(REPO, '.cache', 'pairs'))


def to_model(x):
    """[0, 1] intensities -> model space [-1, 1]."""
    return x * SCALE + OFFSET


def from_model(y):
    """Model space -> [0, 1] intensities."""
    return (y - OFFSET) / SCALE


# Classifier input standardisation (manifest preprocess.standardise; main/inference/tensor.ts
# applies the same rule): each frame is centred on its median and divided by its robust
# spread, so the judgement depends on neither exposure, bit depth (8-bit, 12-in-16, 16-bit)
# nor modality contrast.  The spread has a floor relative to the median so an empty,
# flat frame is not stretched into pure noise.  Percentiles: numpy 'linear' method.
STANDARDISE = {'center_percentile': 50.0, 'low_percentile': 1.0, 'high_percentile': 99.0,
               'min_spread_rel': 0.05, 'min_spread_abs': 1e-4, 'clip': 8.0}


def standardise(x, spec=STANDARDISE):
    """(..., H, W) [0, 1] frames -> standardised model input, per frame (last two axes)."""
    x = np.asarray(x, np.float32)
    flat = x.reshape(-1, x.shape[-2] * x.shape[-1]).astype(np.float64)
    lo, c, hi = np.percentile(flat, [spec['low_percentile'], spec['center_percentile'], spec['high_percentile']], axis=1)
    spread = np.maximum(np.maximum(hi - lo, spec['min_spread_rel'] * np.abs(c)), spec['min_spread_abs'])
    y = (flat - c[:, None]) / spread[:, None]
    return np.clip(y, -spec['clip'], spec['clip']).astype(np.float32).reshape(x.shape)


# ----------------------------------------------------------------------------- data

class PairSet:
    """Memory-mapped paired frames of one split (train / test)."""

    def __init__(self, root):
        with open(os.path.join(root, 'index.json')) as f:
            self.index = json.load(f)
        n, s = self.index['count'], self.index['size']
        self.n, self.size = n, s
        files = self.index.get('files', {'oof': 'oof.f32', 'focus': 'focus.f32'})
        self.oof = np.memmap(os.path.join(root, files['oof']), dtype='<f4', mode='r', shape=(n, s, s))
        self.focus = np.memmap(os.path.join(root, files['focus']), dtype='<f4', mode='r', shape=(n, s, s))
        items = self.index['items']
        self.dz = np.array([it['dz_um'] for it in items], dtype=np.float32)
        self.label = np.array([it['oof'] for it in items], dtype=np.int64)
        self.identical = np.array([bool(it.get('identical', False)) for it in items])
        self.kind = [it.get('kind', '') for it in items]
        self.seed = self.index.get('seed')


def augment_pair(a, b, rng, patch=PATCH):
    """Same random crop + flip + rot90 applied to two (H, W) arrays."""
    s = a.shape[-1]
    y, x = rng.integers(0, s - patch + 1, size=2)
    a = a[y:y + patch, x:x + patch]
    b = b[y:y + patch, x:x + patch]
    k = int(rng.integers(0, 4))
    a, b = np.rot90(a, k), np.rot90(b, k)
    if rng.random() < 0.5:
        a, b = a[:, ::-1], b[:, ::-1]
    return a, b


def pair_batch(ds, rng, batch=16, patch=PATCH, idx=None):
    """Random batch of augmented (oof, focus) crops, [0,1], as (B,1,p,p) float32 tensors."""
    if idx is None:
        idx = rng.integers(0, ds.n, size=batch)
    A = np.empty((len(idx), 1, patch, patch), np.float32)
    B = np.empty_like(A)
    for j, i in enumerate(idx):
        a, b = augment_pair(np.asarray(ds.oof[i]), np.asarray(ds.focus[i]), rng, patch)
        A[j, 0], B[j, 0] = a, b
    return torch.from_numpy(A), torch.from_numpy(B), idx


def make_standin(root, n, seed, size=96):
    """Synthetic stand-in pairs (blurred random blobs) used only to debug the recipes
    before the simulator's pairs exist.  Same file format as the simulator."""
    from scipy.ndimage import gaussian_filter
    rng = np.random.default_rng(seed)
    os.makedirs(root, exist_ok=True)
    oof = np.memmap(os.path.join(root, 'oof.f32'), dtype='<f4', mode='w+', shape=(n, size, size))
    foc = np.memmap(os.path.join(root, 'focus.f32'), dtype='<f4', mode='w+', shape=(n, size, size))
    items = []
    yy, xx = np.mgrid[0:size, 0:size]
    for i in range(n):
        img = np.full((size, size), 0.45, np.float32)
        for _ in range(rng.integers(3, 9)):
            cy, cx, r = rng.uniform(0, size), rng.uniform(0, size), rng.uniform(4, 10)
            d = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
            img += (0.35 * (np.abs(d - r) < 1.2) - 0.15 * (d < r - 1.2)).astype(np.float32)
        img = np.clip(gaussian_filter(img, 0.7) + rng.normal(0, 0.01, img.shape), 0, 1)
        u = rng.random()
        if u < 0.25:
            dz, o = 0.0, img
        elif u < 0.4:
            dz = float(rng.uniform(-2.5, 2.5)); o = gaussian_filter(img, abs(dz) * 0.3)
        else:
            dz = float(rng.choice([-1, 1]) * rng.uniform(5, 10)); o = gaussian_filter(img, abs(dz) * 0.4)
        foc[i], oof[i] = img, np.clip(o, 0, 1)
        items.append({'dz_um': round(dz, 2), 'oof': int(abs(dz) >= 5), 'kind': 'standin', 'identical': u < 0.25})
    oof.flush(); foc.flush()
    with open(os.path.join(root, 'index.json'), 'w') as f:
        json.dump({'version': 1, 'size': size, 'count': n, 'seed': seed, 'pixel_size_um': 0.325,
                   'oof_threshold_um': 5, 'files': {'oof': 'oof.f32', 'focus': 'focus.f32'}, 'items': items}, f)


# ----------------------------------------------------------------------------- networks

def norm(ch):
    return nn.GroupNorm(min(8, ch // 4) if ch >= 8 else 1, ch)


def timestep_features(t, dim):
    """Sinusoidal features of float timesteps t (B,) -> (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    a = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(a), torch.cos(a)], dim=1)


class ResBlock(nn.Module):
    """GN-SiLU-conv, (+ timestep bias), GN-SiLU-conv, residual 1x1 if channels change."""

    def __init__(self, cin, cout, tdim=0):
        super().__init__()
        self.n1, self.c1 = norm(cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.n2, self.c2 = norm(cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.t = nn.Linear(tdim, cout) if tdim else None
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, temb=None):
        h = self.c1(F.silu(self.n1(x)))
        if self.t is not None:
            h = h + self.t(temb)[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return h + self.skip(x)


class UNet(nn.Module):
    """U-Net backbone shared by the DDPM ε-predictor and the one-shot restorer.

    ``chans`` are the widths per resolution level; there are len(chans)-1 stride-2
    downsamplings, so spatial sizes must be multiples of ``size_multiple``.
    With ``time_dim`` > 0 the forward takes a float timestep (B,).
    With ``residual`` the (single-channel) output is added to input channel ``residual_ch``.
    """

    def __init__(self, cin=1, cout=1, chans=(32, 64, 96, 128), time_dim=0, residual=False, residual_ch=0):
        super().__init__()
        self.time_dim, self.residual, self.residual_ch = time_dim, residual, residual_ch
        self.size_multiple = 2 ** (len(chans) - 1)
        tdim = 4 * time_dim if time_dim else 0
        if time_dim:
            self.tmlp = nn.Sequential(nn.Linear(time_dim, tdim), nn.SiLU(), nn.Linear(tdim, tdim))
        self.inc = nn.Conv2d(cin, chans[0], 3, padding=1)
        self.down_blocks = nn.ModuleList()
        self.downs = nn.ModuleList()
        for i, c in enumerate(chans):
            self.down_blocks.append(ResBlock(chans[i - 1] if i else chans[0], c, tdim))
            if i < len(chans) - 1:
                self.downs.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
        self.mid = ResBlock(chans[-1], chans[-1], tdim)
        self.ups = nn.ModuleList()
        self.up_blocks = nn.ModuleList()
        for i in reversed(range(len(chans) - 1)):
            self.ups.append(nn.Conv2d(chans[i + 1], chans[i], 3, padding=1))
            self.up_blocks.append(ResBlock(2 * chans[i], chans[i], tdim))
        self.out = nn.Sequential(norm(chans[0]), nn.SiLU(), nn.Conv2d(chans[0], cout, 3, padding=1))
        nn.init.zeros_(self.out[-1].weight)
        nn.init.zeros_(self.out[-1].bias)

    def forward(self, x, t=None):
        temb = self.tmlp(timestep_features(t, self.time_dim)) if self.time_dim else None
        h = self.inc(x)
        skips = []
        for i, blk in enumerate(self.down_blocks):
            h = blk(h, temb)
            if i < len(self.downs):
                skips.append(h)
                h = self.downs[i](h)
        h = self.mid(h, temb)
        for up, blk in zip(self.ups, self.up_blocks):
            h = up(F.interpolate(h, scale_factor=2.0, mode='nearest'))
            h = blk(torch.cat([h, skips.pop()], dim=1), temb)
        y = self.out(h)
        if self.residual:
            y = y + x[:, self.residual_ch:self.residual_ch + 1]
        return y


class SpaceToDepthUNet(nn.Module):
    """The U-Net backbone run on s x s pixel blocks (PixelUnshuffle in, PixelShuffle out).

    Why: at full resolution a slim network's time goes to memory traffic (GroupNorm, SiLU and
    narrow convolutions over every pixel), not arithmetic; folding s x s blocks into channels
    gives wide convolutions over 1/s^2 of the positions.  With ``residual`` the output is added
    to input channel ``residual_ch`` at full resolution (the zero-initialised output layer makes
    an untrained network exactly that channel).
    """

    def __init__(self, cin=3, cout=1, block=4, chans=(32, 48, 64), residual=True, residual_ch=2):
        super().__init__()
        self.block, self.residual, self.residual_ch = block, residual, residual_ch
        self.net = UNet(cin=cin * block * block, cout=cout * block * block, chans=chans)
        self.size_multiple = block * self.net.size_multiple

    def forward(self, x):
        y = F.pixel_shuffle(self.net(F.pixel_unshuffle(x, self.block)), self.block)
        if self.residual:
            y = y + x[:, self.residual_ch:self.residual_ch + 1]
        return y


class RefinedStudent(nn.Module):
    """The one-step student (pf-student-v3 and v4): a shared refiner lifts the teacher's x0_hat, and the
    member network adds each member's detail around it.

    Input (B, 3, H, W) = z (+) OOF image (+) x0_hat, as pf-student-v2; the members of one frame share
    the OOF image and x0_hat (the app's student sampler), so the refiner runs once, on the first.
    Output x0_b = refiner(OOF, x0_hat) + (member(z_b, OOF, x0_hat) - x0_hat): the member network's
    residual (its spread, trained against the teacher's samples) around the refined centre.
    With centred_members (pf-student-v6) the residuals of a call's members are centred first, so the
    ensemble mean is the refined centre itself and the members carry only the spread: their mean
    residual is a 5-sample estimate of zero whose sampling noise cost the mean 0.07 dB on held-out
    pairs (a control variate; the spread is unchanged, since a common shift leaves it as it was).
    Why a refiner: averaging the teacher's x0 estimate at t = 200 over re-noised copies of x0_hat
    gains about a dB over x0_hat (probe_x0_refine.py), a deterministic function of (OOF, x0_hat)
    that one network evaluation per frame can learn from those averages (distill.py refine-*).
    """

    def __init__(self, member, refiner, centre_flips=1, centred_members=False):
        super().__init__()
        self.member = SpaceToDepthUNet(**member)
        self.refiner = SpaceToDepthUNet(**refiner)
        self.size_multiple = max(self.member.size_multiple, self.refiner.size_multiple)
        self.flips = CENTRE_FLIPS[:centre_flips]
        self.centred_members = centred_members

    def forward(self, x):
        x0_hat = x[:, 2:3]
        base = x[:1, 1:3]
        if len(self.flips) == 1:
            centre = self.refiner(base)
        else:  # the refiner's flip self-ensemble, one batched call (pf-student-v5)
            out = self.refiner(torch.cat([torch.flip(base, d) if d else base for d in self.flips]))
            centre = sum(torch.flip(out[k:k + 1], d) if d else out[k:k + 1] for k, d in enumerate(self.flips)) / len(self.flips)
        residual = self.member(x) - x0_hat
        if self.centred_members:  # one call holds one frame's (tile's) members: the app's student sampler
            residual = residual - residual.mean(0, keepdim=True)
        return residual + centre


# Flips of (OOF, x0_hat) whose refinements are averaged into the student's centre (identity first):
# the refiner was trained under joint flips and rot90, so each flip gives an equally valid estimate
# and their errors partly cancel (a geometric self-ensemble). Flips keep any frame's shape; rot90
# would not. pf-student-v3/v4 used the identity alone.
CENTRE_FLIPS = ((), (2, 3), (3,), (2,))


class EpsFromV(nn.Module):
    """ε-prediction DDPM whose backbone is v-parameterised (Salimans & Ho 2022).

    Input (B, 2, H, W) = x_t ⊕ OOF condition and the timestep index t (B,); output ε̂:
        ε̂ = √(1-ᾱ_t) · x_t + √ᾱ_t · v̂,   v̂ = backbone(x_t ⊕ cond, t)
    A plain ε-backbone cannot express E[x_0 | cond] where ᾱ_t → 0 (its x̂_0 error is its
    ε error times √((1-ᾱ)/ᾱ): measured x̂_0 PSNR 21.9 dB at t = 900 vs 29.7 dB for the
    one-shot U-Net), so early DDIM steps fix the wrong low frequencies.  At ᾱ → 0 the
    backbone predicts -x_0, at ᾱ → 1 it predicts ε.  The exported ONNX still maps
    (x_t, cond, t) → ε, so every sampler of the app is unchanged.
    """

    def __init__(self, **arch):
        super().__init__()
        self.net = UNet(**arch)
        ab = torch.tensor(cosine_alphas_cumprod(T_STEPS), dtype=torch.float64)
        self.register_buffer('sqrt_ab', ab.sqrt().float())
        self.register_buffer('sqrt_1mab', (1 - ab).sqrt().float())
        self.size_multiple = self.net.size_multiple

    def v(self, x, t):
        return self.net(x, t)

    def forward(self, x, t):
        i = torch.clamp(torch.round(t), 0, T_STEPS - 1).long()
        return self.sqrt_1mab[i][:, None, None, None] * x[:, :1] + self.sqrt_ab[i][:, None, None, None] * self.net(x, t)


class Classifier(nn.Module):
    """Fully convolutional OOF classifier: (B,1,H,W) model-space image -> (B,1) logit.

    ``normalisation='batch'``, ``activation='relu'`` (pf-classifier-v3): BatchNorm folds into the convolutions
    at export and ReLU fuses with them, so the ONNX graph is convolutions and one pooling;
    GroupNorm + SiLU (v2) cost 38% of a 281^2 frame's time in ONNX Runtime on CPU (normalisation,
    activation and the layout reorders around them), for the same convolutions.
    ``stem_stride=2`` (pf-classifier-v4): the first 3x3 convolution steps by 2, so the second
    convolution of the first stage runs on a quarter of the pixels; the 3x3 kernel still reads
    every pixel, so the finest detail (what focus is about) reaches the features. A 281^2 frame
    takes 5.8 ms instead of 21.9 ms on one core (same widths, ONNX Runtime).
    """

    def __init__(self, chans=(16, 32, 64, 96), normalisation='group', activation='silu', stem_stride=1):
        super().__init__()
        make_norm = {'group': norm, 'batch': nn.BatchNorm2d}[normalisation]
        make_act = {'silu': nn.SiLU, 'relu': nn.ReLU}[activation]
        layers, cin = [], 1
        for i, c in enumerate(chans):
            layers += [nn.Conv2d(cin, c, 3, stride=stem_stride if i == 0 else 2, padding=1), make_norm(c), make_act(),
                       nn.Conv2d(c, c, 3, padding=1), make_norm(c), make_act()]
            cin = c
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(cin, 1)
        self.size_multiple = stem_stride * 2 ** (len(chans) - 1)

    def forward(self, x):
        return self.head(self.pool(self.features(x)).flatten(1))


def n_params(m):
    return sum(p.numel() for p in m.parameters())


# ----------------------------------------------------------------------------- schedule

def cosine_alphas_cumprod(T=1000, s=0.008):
    """Nichol & Dhariwal (2021) cosine schedule: betas clipped at 0.999, abar = cumprod(1-beta)."""
    f = lambda u: math.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2
    betas = np.array([min(1 - f(t + 1) / f(t), 0.999) for t in range(T)], dtype=np.float64)
    return np.cumprod(1 - betas)


# ----------------------------------------------------------------------------- misc

class EMA:
    def __init__(self, model, decay=0.999):
        self.decay = decay
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self.n = 0

    @torch.no_grad()
    def update(self, model):
        self.n += 1
        d = min(self.decay, (1 + self.n) / (10 + self.n))
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point:
                self.shadow[k].mul_(d).add_(v.detach(), alpha=1 - d)
            else:
                self.shadow[k].copy_(v)


def sha256(path):
    """sha256 of a file, as models/manifest.json records it and the app checks it at load."""
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def git_commit():
    try:
        import subprocess
        r = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO, capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else 'uncommitted'
    except Exception:
        return 'uncommitted'


def log(msg):
    print(time.strftime('%H:%M:%S'), msg, flush=True)


def run_config(args, **extra):
    """Everything needed to replay a training run: the parsed arguments, the library
    versions and the commit the code was trained from (saved in every checkpoint and
    copied into the manifest)."""
    import platform
    cfg = dict(vars(args)) if args is not None else {}
    cfg.update(extra)
    cfg['versions'] = {'torch': torch.__version__, 'numpy': np.__version__, 'python': platform.python_version()}
    cfg['training_commit'] = git_commit()
    cfg['dirty'] = git_dirty()
    return cfg


def step_lr(step, steps, base, warmup, decay_from=0.7, floor=0.05):
    """Learning rate at `step` of a `steps`-step budget: linear warm-up over `warmup` steps,
    constant, cosine decay over the last (1 - decay_from) of the budget down to floor x base.
    A function of the step alone, so a run (or a resumed one) replays exactly."""
    frac = step / max(steps, 1)
    decay = 1.0 if frac < decay_from else 0.5 * (1 + math.cos(math.pi * (frac - decay_from) / (1 - decay_from)))
    return base * min(1.0, (step + 1) / max(warmup, 1)) * max(decay, floor)


def rng_state(rng):
    return {'numpy': rng.bit_generator.state, 'torch': torch.get_rng_state()}


def restore_rng(rng, state):
    """Continue a resumed run's random streams where they stopped (no reseeding)."""
    rng.bit_generator.state = state['numpy']
    torch.set_rng_state(state['torch'])


def git_dirty():
    """True when the training scripts differ from the commit (the run is not exactly that commit)."""
    try:
        import subprocess
        r = subprocess.run(['git', 'status', '--porcelain', '--', 'models/training'], cwd=REPO,
                           capture_output=True, text=True)
        return bool(r.stdout.strip()) if r.returncode == 0 else None
    except Exception:
        return None


# ----------------------------------------------------------------------------- registry

ARCH = {
    'classifier': dict(chans=(16, 32, 64, 96), normalisation='batch', activation='relu', stem_stride=2),
    'unet': dict(cin=1, cout=1, chans=(32, 64, 96, 128), time_dim=0, residual=True, residual_ch=0),
    'ddpm': dict(cin=2, cout=1, chans=(24, 48, 96, 128), time_dim=32, residual=False),
    # One-step student's member network (distill.py): input noise z (+) OOF image (+) the teacher's
    # one-evaluation estimate x0_hat (shared by the members), output x0 = x0_hat + residual, on
    # 4 x 4 pixel blocks: 5 members of a 288^2 plane in 0.15 s on one core (pf-student-v1's
    # full-resolution widths (8, 16, 32, 64) took 0.48 s with 0.6x the parameters).
    'student-member': dict(cin=3, cout=1, block=4, chans=(32, 48, 64), residual=True, residual_ch=2),
    # pf-student-v3's shared refiner (distill.py refine-train): (OOF image (+) x0_hat) -> refined x0 on
    # 2 x 2 pixel blocks, once per frame.
    'student-refiner': dict(cin=2, cout=1, block=2, chans=(24, 48, 64), residual=True, residual_ch=1),
    # The shipped student: the refiner's centre averaged over this many flips (CENTRE_FLIPS), in the graph,
    # and the members' residuals centred on it (RefinedStudent; pf-student-v6).
    'student': dict(centre_flips=2, centred_members=True),
}
MODEL_IDS = {'classifier': 'pf-classifier-v4', 'unet': 'pf-unet-v1', 'ddpm': 'pf-ddpm-v1', 'student': 'pf-student-v6'}
ONNX_FILES = {'classifier': 'classifier.onnx', 'unet': 'unet.onnx', 'ddpm': 'ddpm.onnx', 'student': 'student.onnx'}
T_STEPS = 1000


def build(kind, **overrides):
    """'ddpm' is the shipped v-parameterised ε-predictor; 'ddpm-eps' its plain ε pre-training stage;
    `overrides` replace the student's ARCH['student'] settings (a checkpoint's own, see load_checkpoint)."""
    if kind == 'classifier':
        return Classifier(**ARCH['classifier'])
    if kind == 'ddpm':
        return EpsFromV(**ARCH['ddpm'])
    if kind == 'student':
        return RefinedStudent(member=ARCH['student-member'], refiner=ARCH['student-refiner'], **{**ARCH['student'], **overrides})
    if kind in ('student-member', 'student-refiner'):
        return SpaceToDepthUNet(**ARCH[kind])
    return UNet(**ARCH['ddpm' if kind == 'ddpm-eps' else kind])


def load_checkpoint(kind, path=None):
    """Model with the weights that are shipped (EMA weights for the DDPM)."""
    path = path or os.path.join(RUNS_DIR, f'{kind}.pt')
    ck = torch.load(path, map_location='cpu')
    # A student checkpoint records its centre flips (composed before pf-student-v5: the identity alone)
    # and whether its members are centred (before pf-student-v6: not).
    info = ck.get('info', {})
    m = build(kind, centre_flips=info.get('centre_flips', 1), centred_members=info.get('centred_members', False)) if kind == 'student' else build(kind)
    m.load_state_dict(ck.get('ema') or ck['model'])
    m.eval()
    return m, ck


def optimise(model, opt, ema, loss, clip=1.0):
    """One optimiser step of the restorers' recipe: gradients of `loss`, clipped to norm `clip`,
    AdamW step, then the EMA shadow follows (the EMA weights are what gets exported)."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    ema.update(model)


def save_checkpoint(path, model, ema, opt, info, rng=None):
    tmp = path + '.tmp'
    torch.save({'model': model.state_dict(), 'ema': ema.shadow if ema else None,
                'opt': opt.state_dict(), 'info': info, **({'rng': rng_state(rng)} if rng is not None else {})}, tmp)
    os.replace(tmp, path)


def parse_deadline(s):
    """'HH:MM' (UTC, today) or a number of seconds from now -> epoch seconds."""
    if ':' in s:
        h, m = map(int, s.split(':'))
        now = time.time()
        day = now - now % 86400
        return day + h * 3600 + m * 60
    return time.time() + float(s)
