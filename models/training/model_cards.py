"""Render models/README.md (model cards) from the manifest and the held-out metrics.
Everything numeric in the README comes from models/manifest.json / runs/metrics.json,
so `npm run models:eval` keeps the cards in step with the models."""

COLS = [('psnr', 'PSNR dB'), ('ssim', 'SSIM'), ('pcc', 'PCC'), ('edge_pcc', 'edge-PCC'),
        ('tenenbaum', 'Tenenbaum'), ('tenenbaum_ratio', 'Ten./GT')]
LABELS = {'oof_input': 'OOF input (no restoration)', 'unet': 'one-shot U-Net',
          'ddpm_ddim25_mean5': 'DDPM, DDIM 25 steps, mean of 5', 'ddpm_ddim25_single': 'DDPM, DDIM 25 steps, single sample',
          'ddpm_ancestral1000_mean5': 'DDPM, 1000-step ancestral, mean of 5',
          'ddpm_ancestral1000_single': 'DDPM, 1000-step ancestral, single sample'}


def compare(rows, a, b):
    """Metrics on which rows[a] is better / worse than rows[b] (Tenenbaum: closer to the ground truth)."""
    better, worse = [], []
    for c, name in COLS:
        if c == 'tenenbaum':
            continue
        if c == 'tenenbaum_ratio':
            x, y = -abs(rows[a][c] - 1), -abs(rows[b][c] - 1)
            name = 'Tenenbaum (closer to GT)'
        else:
            x, y = rows[a][c], rows[b][c]
        (better if x > y else worse).append(name)
    return better, worse


def ddpm_findings(r):
    out = []
    for sub, key in (('ddim_subset_metrics', 'ddpm_ddim25_mean5'), ('ddim_subset_metrics', 'ddpm_ddim25_single'),
                     ('ancestral_subset_metrics', 'ddpm_ancestral1000_mean5'),
                     ('ancestral_subset_metrics', 'ddpm_ancestral1000_single')):
        rows = r.get(sub, {})
        if key not in rows:
            continue
        for ref in ('oof_input', 'unet'):
            if ref in rows:
                b, w = compare(rows, key, ref)
                out.append(f'{LABELS[key]} vs {LABELS[ref]} (n = {rows[key]["n"]}): better on '
                           f'{", ".join(b) or "none"}; worse on {", ".join(w) or "none"}.')
    return out


def table(rows, gt_ten=None):
    out = ['| method | n | ' + ' | '.join(c[1] for c in COLS) + ' |', '|---|---|' + '---|' * len(COLS)]
    for key, r in rows.items():
        if not isinstance(r, dict) or 'psnr' not in r or 'n' not in r:  # skips the paired-difference dicts
            continue
        out.append(f'| {LABELS.get(key, key)} | {r["n"]} | ' + ' | '.join(f'{r[c]:.4g}' for c, _ in COLS) + ' |')
    if gt_ten is not None:
        out.append(f'| ground truth | | | | | | {gt_ten:.4g} | 1 |')
    return '\n'.join(out)


def training_line(t):
    return (f'{t.get("steps")} steps, batch {t.get("batch")}, {t.get("patch")}² crops, '
            f'{t.get("wall_time_s")} s wall time on {t.get("threads")} CPU thread(s) of the 2-core machine, '
            f'{(t.get("params") or 0):,} parameters, training data seed {t.get("data_seed")}, commit {t.get("commit")}')


def history_line(t):
    h = t.get('history') or []
    if len(h) <= 1:
        return f'Learning rate {t.get("lr")}, EMA {t.get("ema")}.'
    parts = []
    for k, e in enumerate(h):
        end = h[k + 1]['from_step'] - 1 if k + 1 < len(h) else t.get('steps')
        parts.append(f'steps {e["from_step"]}–{end}: lr {e["lr"]:g}, EMA {e["ema"]}')
    return ('schedule: ' + '; '.join(parts) + '; each change resumed from the checkpoint with weights, EMA and '
            'optimizer state (see Notes).')


def card_common(m):
    p = m['preprocess']
    return (f'- File: `{m["file"]}` ({m["bytes"]:,} bytes), sha256 `{m["sha256"]}`, ONNX opset {m["opset"]}, '
            f'dynamic batch / height / width; CI reference outputs: `{m["reference"]}`.\n'
            f'- Inputs: ' + ', '.join(f'`{i["name"]}` {i["shape"]}' for i in m['inputs']) +
            '; outputs: ' + ', '.join(f'`{o["name"]}` {o["shape"]}' for o in m['outputs']) + '.\n'
            f'- Preprocessing: intensities in [0, 1] (8-bit / 255, 16-bit / 65535), model input = x · {p["scale"]} + ({p["offset"]}); '
            f'H and W must be multiples of {p["size_multiple"]}.\n'
            f'- Training: {training_line(m["training"])}.\n')


def render_readme(manifest, metrics):
    by = {m['kind']: m for m in manifest['models']}
    s = ['# PostFocus Station models', '',
         'Three ONNX models, all trained only on the virtual microscope\'s simulated paired frames '
         '(phase-contrast nanowell fields with NALM-6 / SKOV-3 cells and beads; each pair = the same field in focus '
         'and at a defocus Δz; OOF iff |Δz| ≥ 5 µm, in-focus frames |Δz| ≤ 2.5 µm, ~25% identical in-focus pairs as in '
         'PostFocus, Wu et al., Bioinformatics 2024). Training set: 20,000 pairs of 96², seed 1; held-out test set: '
         '2,000 pairs, seed 2. `manifest.json` is the single source of truth for files, hashes, I/O names and '
         'preprocessing (`preprocess`); the app refuses a model whose sha256 does not match.', '',
         'Reproduce: `npm run models:train` (models/training/train_all.sh) then `npm run models:eval` '
         '(models/training/eval_all.sh). All numbers below are produced by `evaluate.py` on the held-out set and '
         'copied here by `write_manifest.py`.', '',
         '![contact sheet](contact-sheet.png)', '',
         '`contact-sheet.png`: held-out OOF examples; columns = OOF input / one-shot U-Net / DDPM mean of 5 DDIM-25 samples / '
         'spread (per-pixel std of the 5 samples, ×5) / ground truth (in focus). Pixels shown ×2.', '']
    c = metrics.get('classifier')
    if 'classifier' in by:
        m = by['classifier']
        s += ['## pf-classifier-v1 — OOF classifier', '',
              '- Intended use: flag out-of-focus frames (nanowell crops) of phase-contrast time-lapses before restoration; '
              'output `logit`, p(OOF) = sigmoid(logit), OOF iff p ≥ 0.5.',
              '- Architecture: fully convolutional CNN (4 stages of two 3×3 conv + GroupNorm + SiLU, stride 2 between stages) '
              '+ global average pooling + linear, so it runs on 96² test pairs and whole 281² crops alike.',
              '- Recipe: both members of each training pair are samples (OOF input with its label, in-focus target with label 0), '
              'half of each batch positive; BCE with logits, AdamW, cosine-decayed learning rate over a wall-clock budget; '
              'random 64² crops, flips, rot90.',
              card_common(m)]
        if c:
            s += [f'Held-out (seed {metrics.get("test_seed")}, {c["samples"]} frames = both members of 2,000 pairs, '
                  f'{c["positives"]} OOF): **balanced accuracy {c["balanced_accuracy"]:.4f}**; best classical focus metric '
                  f'thresholded on the training set ({c["best_classical"]}): {c["best_classical_balanced_accuracy"]:.4f}.', '',
                  f'| \\|Δz\\| bin (µm) | n | classifier accuracy | {c["best_classical"]} accuracy |', '|---|---|---|---|']
            for b, r in c['per_dz_bin'].items():
                s.append(f'| {b} | {r["n"]} | {r["accuracy"]:.4f} | {r[c["best_classical"] + "_accuracy"]:.4f} |')
            s += ['', 'Bin "0" = the in-focus targets and the identical pairs\' inputs (Δz = 0). Classical metrics (numpy, full frame):', '',
                  '| metric | OOF if | train bal. acc. | test bal. acc. |', '|---|---|---|---|']
            for k, r in c['classical'].items():
                s.append(f'| {k} | {r["oof_if"]} {r["threshold"]:.4g} | {r["train_balanced_accuracy"]:.4f} | {r["balanced_accuracy"]:.4f} |')
            s.append('')
        s += ['Limits: trained on simulated frames only; real stations differ in illumination, camera noise and debris. '
              '|Δz| between 2.5 and 5 µm never occurs in training, so the decision there is undefined. Check on a few '
              'annotated real frames before trusting the flags.', '']
    r = metrics.get('restoration', {})
    if 'unet' in by:
        m = by['unet']
        s += ['## pf-unet-v1 — one-shot U-Net restorer', '',
              '- Intended use: instant preview restoration of flagged OOF frames and the discriminative baseline '
              '(Deep-R / ReFocus style). Deterministic; tends to be smoother than the diffusion model.',
              '- Architecture: the shared U-Net backbone (GroupNorm + SiLU residual blocks, 3 stride-2 downsamplings, '
              'nearest-upsample + conv, concatenated skips), no timestep; output = input + predicted residual (model space).',
              '- Recipe: Charbonnier loss (ε = 1e-3) against the in-focus target on all training pairs (identical pairs included, '
              'so it learns to leave sharp frames alone), AdamW, cosine-decayed learning rate over a wall-clock budget, EMA 0.998 '
              'of the weights shipped.',
              card_common(m)]
        if r.get('all'):
            s += [f'Held-out OOF pairs (label 1, identical excluded), full 96² frames, all {r["pairs"]} pairs:', '',
                  table(r['all'], r.get('ground_truth_tenenbaum')), '']
        s += ['Limits: simulation-trained; regression to the mean blurs ambiguous detail; not for quantitative '
              'morphology without validation.', '']
    if 'ddpm' in by:
        m = by['ddpm']
        sch = m['preprocess']['schedule']
        t = m['training']
        init = t.get('init') or {}
        s += ['## pf-ddpm-v1 — conditional diffusion restorer', '',
              '- Intended use: restoration of flagged OOF frames (as PostFocus); sample several members (one batch) '
              'and show their mean and per-pixel spread as an uncertainty map.',
              '- Architecture: the shared U-Net backbone with a sinusoidal timestep embedding → MLP → per-block bias; '
              'input = concat(x_t, OOF image) (2 channels), output = ε (what every sampler of the app consumes). '
              'Inside the graph the backbone is v-parameterised (Salimans & Ho 2022): ε̂ = √(1−ᾱ_t)·x_t + √ᾱ_t·v̂. '
              'Why: a plain ε backbone cannot express E[x0 | OOF image] where ᾱ_t → 0 — its x0 estimate carries the ε error '
              'times √((1−ᾱ)/ᾱ) — so the first DDIM steps fixed wrong low frequencies (brightness drift, blur). '
              'See "x0 estimate per timestep" below.',
              f'- Schedule: {sch["kind"]} (Nichol & Dhariwal 2021, s = 0.008, β clipped at 0.999), T = {sch["T"]}; '
              'the exact ᾱ_t table is in the manifest (`preprocess.schedule.alphas_cumprod`). Chosen over PostFocus\'s linear '
              '1e-4→0.05 because it spends more steps at intermediate noise levels, which matters for 64² training crops, '
              'and leaves ᾱ_T ≈ 0 so sampling starts from pure noise without a train/test mismatch.',
              '- Recipe: uniform t, AdamW (warm-up, constant learning rate, cosine decay over the last 30% of each '
              'wall-clock budget), gradient clipping 1.0, EMA of the weights shipped. '
              + (f'Stage 1 (plain ε backbone, MSE on ε): {init.get("steps"):,} steps, {init.get("wall_time_s")} s on 1 CPU thread '
                 f'({history_line({"history": init.get("history"), "steps": init.get("steps")}).rstrip(".")}). '
                 f'Stage 2 (v backbone initialised from stage 1\'s EMA weights, MSE on v): {t.get("steps"):,} steps, '
                 f'{t.get("wall_time_s")} s on {t.get("threads")} CPU threads ({history_line(t).rstrip(".")}). '
                 if init else history_line(t) + ' ')
              + 'Sampler used for the metrics: DDIM η = 0, 25 steps at round(linspace(999, 0, 25)), x0 clipped to [-1, 1]; '
              '5 samples per frame. The app\'s `ddim` sampler is the same algorithm in TypeScript; the station '
              'defaults to 5 steps (chosen by `npm run bench`, see the main README).',
              card_common(m)]
        x0 = r.get('x0_by_t')
        if x0 and 'shipped' in x0:
            s += [f'x0 estimate per timestep: PSNR of x̂0(x_t, t) against the ground truth, x_t made from the ground truth '
                  f'with fixed noise ({x0["n"]} held-out OOF pairs). An ideal model reaches at least the one-shot U-Net '
                  f'({x0["unet_psnr"]} dB, from the OOF image alone) at every t.', '',
                  '| t | ' + ' | '.join(str(v) for v in x0['timesteps']) + ' |',
                  '|---|' + '---|' * len(x0['timesteps']),
                  '| shipped (v backbone) | ' + ' | '.join(f'{v:.1f}' for v in x0['shipped']) + ' |']
            if 'eps_stage' in x0:
                s.append('| stage 1 (ε backbone) | ' + ' | '.join(f'{v:.1f}' for v in x0['eps_stage']) + ' |')
            s.append('')
        if r.get('ddim_subset_metrics'):
            s += [f'Held-out OOF pairs, full 96² frames; DDIM subset: {r["ddim_subset"]} pairs evenly spaced over the '
                  f'{r["pairs"]} OOF pairs (DDIM wall time for all 5 × {r["ddim_subset"]} samples: {r.get("ddim_wall_time_s")} s on 1 CPU thread):', '',
                  table(r['ddim_subset_metrics'], r['ddim_subset_metrics'].get('ground_truth_tenenbaum')), '']
        if r.get('ancestral_subset_metrics', {}).get('ddpm_ancestral1000_mean5'):
            s += [f'1000-step ancestral sampling (posterior variance β̃_t, x0 clipped), {r["ancestral_subset"]} pairs '
                  f'(evenly spaced within the DDIM subset; wall time {r.get("ancestral_wall_time_s")} s, the longer of '
                  f'{r.get("ancestral_parallel_processes", 1)} parallel 1-thread processes):', '',
                  table(r['ancestral_subset_metrics'], r['ancestral_subset_metrics'].get('ground_truth_tenenbaum')), '']
        found = ddpm_findings(r)
        if found:
            s += ['Findings (computed from the tables):', ''] + [f'- {f}' for f in found] + ['']
        if metrics.get('ddpm_verdict'):
            s += [metrics['ddpm_verdict'], '']
        s += ['Limits: simulation-trained and trained briefly on CPU (see steps above), far less than PostFocus; '
              'the samples are plausible in-focus images, not measurements: detail that the OOF frame does not '
              'constrain is invented (see the spread column). Not for quantitative morphology without validation.', '']
    s += ['## Metric definitions', '',
          '- PSNR with data range 1; SSIM = skimage.metrics.structural_similarity(data_range=1); PCC = Pearson over all pixels;',
          '- edge-PCC = Pearson restricted to pixels on skimage.feature.canny(ground truth, sigma=2);',
          '- Tenenbaum = mean of (Sobel_x² + Sobel_y²) (3×3 Sobel, reflect border) — higher is sharper; Ten./GT = per-frame ratio to the ground truth, averaged;',
          '- predictions are clipped to [0, 1]; metrics are per-frame means.', '']
    if metrics.get('notes'):
        s += ['## Notes', ''] + [f'- {n}' for n in metrics['notes']] + ['']
    return '\n'.join(s)
