"""Render the one-step student's model card into its section of
models/README.md, from models/manifest.json and runs/metrics.json ("student", written by
evaluate_student.py).  Only the section between the student markers is rewritten (inserted
before "## Metric definitions" the first time), so the other cards stay as they are."""
import json
import os
import sys

from common import MODELS_DIR, RUNS_DIR

START, END = '<!-- student card -->', '<!-- /student card -->'
COLS = [('psnr', 'PSNR dB'), ('ssim', 'SSIM'), ('pcc', 'PCC'), ('edge_pcc', 'edge-PCC'), ('tenenbaum_ratio', 'Ten./GT')]


def table(rows):
    out = ['| method | n | ' + ' | '.join(c for _, c in COLS) + ' |', '|---|---|' + '---|' * len(COLS)]
    for label, r in rows:
        out.append(f'| {label} | {r["n"]} | ' + ' | '.join(f'{r[k]:.4g}' for k, _ in COLS) + ' |')
    return out


def render(entry, res):
    t = entry['training']
    cfg = t.get('config', {})
    v = cfg.get('versions', {})
    lines = [START, f'## {entry["id"]} — one-step student (distilled from pf-ddpm-v1)', '',
             '- Intended use: the station\'s fast restoration of flagged OOF frames with an ensemble: each member costs one '
             'evaluation of a slim member network, members start from different seeded noise, and their per-pixel spread '
             'is the uncertainty map, as with the DDPM samplers.',
             '- How it samples (two network calls per frame): ONE evaluation of the DDPM at t = T−1 from the first member\'s '
             'noise gives x̂0 = clip((z₀ − √(1−ᾱ)·ε̂)/√ᾱ), the DDPM\'s estimate of E[x0 | OOF frame] (the first DDIM step\'s '
             'x0), shared by all members; then the member network maps (z_b, OOF frame, x̂0) → x̂0 + residual for all members '
             'in one batch. Why: at one evaluation x̂0 comes within about 1 dB of the DDIM-5 ensemble mean (table below) '
             'but hardly depends on the noise (per-pixel std over noise draws 0.005), so it carries no uncertainty; the '
             'member network adds each member\'s detail.',
             f'- Architecture: the shared U-Net backbone on {entry["architecture"].get("block")}×{entry["architecture"].get("block")} '
             f'pixel blocks (PixelUnshuffle in, PixelShuffle out), widths {entry["architecture"].get("chans")}, input z ⊕ OOF ⊕ x̂0 '
             '(3 channels), output x̂0 + residual (output layer initialised at zero: an untrained student is exactly x̂0). '
             'Why blocks: at full resolution a slim network\'s time goes to memory traffic (normalisation, activations and '
             'narrow convolutions over every pixel); pf-student-v1 (full-resolution widths 8–64) took 0.48 s for 5 members '
             'of a 288² plane on one core, this one 0.15 s with 1.7× the parameters (measured in one run, 7 Dec 2026).',
             '- Recipe (models/training/distill.py, Luhman & Luhman 2021 knowledge distillation): the teacher (ddpm.onnx; '
             'its weights recovered from the ONNX file and checked against the CI reference outputs) draws DDIM-'
             f'{cfg.get("teacher_steps", 5)} samples (η = 0, x0 clipped, the app\'s timesteps) from seeded noise for random '
             f'64² crops of the training pairs, {cfg.get("members", 4)} noises per crop; the member network minimises MSE of each '
             'member to the teacher\'s sample from the same noise (each member\'s detail, so the spread stays the teacher\'s) plus '
             f'{cfg.get("gt_weight")} × MSE of the crop\'s ensemble mean to the in-focus ground truth (what the station shows is '
             'the mean; its best value is the posterior mean, which the ground truth teaches directly — pf-student-v1 had only '
             'per-member terms and its mean stayed at x̂0\'s level, 0.86 dB below DDIM-5 × 5), with joint flips / rot90; AdamW, lr '
             f'{cfg.get("lr")}, warm-up, cosine decay over the last 30% of the steps, EMA {cfg.get("ema")} of the weights shipped.',
             f'- File: `{entry["file"]}` ({entry["bytes"]:,} bytes), sha256 `{entry["sha256"]}`, ONNX opset 17, dynamic batch / '
             f'height / width; CI reference outputs: `{entry["reference"]}`.',
             f'- Inputs: ' + ', '.join(f'`{i["name"]}` {i["shape"]}' for i in entry['inputs']) + '; outputs: '
             + ', '.join(f'`{o["name"]}` {o["shape"]}' for o in entry['outputs']) + '. Preprocessing as the DDPM '
             f'(x · {entry["preprocess"]["scale"]} + ({entry["preprocess"]["offset"]})); H and W multiples of '
             f'{entry["preprocess"]["size_multiple"]}.',
             f'- Training: ' + (f'stage A {cfg["init"]["steps"]} steps, then stage B ' if cfg.get('init') else '') +
             f'{t.get("steps")} steps ({t.get("wall_time_s")} s wall time), batch {t.get("batch")}, {t.get("patch")}² crops, '
             f'on {t.get("threads")} CPU thread(s) of the shared 2-core machine, {t.get("params"):,} parameters; '
             f'torch {v.get("torch")}, numpy {v.get("numpy")}; training commit {t.get("commit")}'
             + (' (scripts modified after it)' if cfg.get('dirty') else '') + '.', '']
    if res:
        m = res['metrics']
        lines += [f'Held-out (test seed {res["test_seed"]}), {res["pairs"]} OOF pairs evenly spaced over the 1,218, full 96² '
                  f'frames, {res["members"]} members from the same seeded noise for teacher and student '
                  f'(student after {res["student_steps"]} steps):', '']
        teacher_key = [k for k in m if k.startswith('ddim')][0]
        lines += table([('OOF input (no restoration)', m['oof_input']), (f'DDPM {res["teacher"]}, mean', m[teacher_key]),
                        ('x̂0 alone (one DDPM evaluation)', m['x0_hat']), (f'student × {res["members"]}, mean', m['student_mean'])])
        d = res['student_minus_teacher']
        lines += ['', 'Student minus teacher, per pair (mean, 95% CI): ' + '; '.join(
            f'{k} {v["mean_diff"]:+.4g} ({v["ci95"][0]:+.4g} to {v["ci95"][1]:+.4g})' for k, v in d.items()) + '.', '']
        met = d['psnr']['mean_diff'] >= 0 and d['edge_pcc']['mean_diff'] >= 0
        lines += [('**The student matches or beats DDIM-5 × 5 on held-out PSNR and edge-PCC.**' if met else
                   '**The student does not reach DDIM-5 × 5 on held-out PSNR and edge-PCC.**'), '']
        s, tt = res['spread_vs_error']['student'], res['spread_vs_error']['teacher']
        lines += ['Does the spread rise where the restoration is wrong? Pearson correlation of the per-pixel spread with the '
                  'per-pixel error |mean − ground truth| (pooled over all pixels; mean of per-frame values), and the mean '
                  'error on the 10% of pixels with the largest spread vs the rest:', '',
                  '| ensemble | mean spread | pooled PCC | per-frame PCC | error, top-10% spread | error, other pixels |',
                  '|---|---|---|---|---|---|',
                  f'| student | {s["mean_spread"]:.4g} | {s["pooled_pcc"]:.3f} | {s["per_frame_pcc_mean"]:.3f} | '
                  f'{s["mean_abs_error_top10pct_spread"]:.4g} | {s["mean_abs_error_other_pixels"]:.4g} |',
                  f'| DDPM {res["teacher"]} | {tt["mean_spread"]:.4g} | {tt["pooled_pcc"]:.3f} | {tt["per_frame_pcc_mean"]:.3f} | '
                  f'{tt["mean_abs_error_top10pct_spread"]:.4g} | {tt["mean_abs_error_other_pixels"]:.4g} |', '']
    lines += ['Speed: `npm run bench` (main README) measures the student beside the PostFocus reference and the DDIM '
              'samplers in one run, on 64² crops and at 281².', '',
              'Limits: distilled from a simulation-trained teacher on simulated pairs only, briefly (CPU, shared machine); '
              'the members are narrower than the teacher\'s samples (a one-step student under-disperses), so the spread is '
              'a relative map of where restorations disagree, not a calibrated error bar. Not for quantitative morphology '
              'without validation.', END]
    return '\n'.join(lines)


def main():
    manifest = json.load(open(os.path.join(MODELS_DIR, 'manifest.json')))
    entry = next((m for m in manifest['models'] if m['kind'] == 'student'), None)
    if entry is None:
        sys.exit('models/manifest.json lists no student')
    mpath = os.path.join(RUNS_DIR, 'metrics.json')
    res = json.load(open(mpath)).get('student') if os.path.exists(mpath) else None
    card = render(entry, res)
    path = os.path.join(MODELS_DIR, 'README.md')
    text = open(path).read()
    if START in text:
        a, b = text.index(START), text.index(END) + len(END)
        text = text[:a] + card + text[b:]
    else:
        i = text.index('## Metric definitions')
        text = text[:i] + card + '\n\n' + text[i:]
    with open(path, 'w') as f:
        f.write(text)
    print(f'wrote the {entry["id"]} card into {path}')


if __name__ == '__main__':
    main()
