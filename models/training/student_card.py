"""Render the one-step student's model card into its section of
models/README.md, from models/manifest.json and runs/metrics.json ("student", written by
evaluate_student.py).  Only the section between the student markers is rewritten (inserted
before "## Metric definitions" the first time), so the other cards stay as they are."""
import json
import os
import sys

from common import MODELS_DIR, REPO, RUNS_DIR

START, END = '<!-- student card -->', '<!-- /student card -->'
COLS = [('psnr', 'PSNR dB'), ('ssim', 'SSIM'), ('pcc', 'PCC'), ('edge_pcc', 'edge-PCC'), ('tenenbaum_ratio', 'Ten./GT')]


def table(rows):
    out = ['| method | n | ' + ' | '.join(c for _, c in COLS) + ' |', '|---|---|' + '---|' * len(COLS)]
    for label, r in rows:
        out.append(f'| {label} | {r["n"]} | ' + ' | '.join(f'{r[k]:.4g}' for k, _ in COLS) + ' |')
    return out


def refiner_stages(ref):
    """The refiner's training stages, first first (each later stage keeps the one it started from as `init`)."""
    return (refiner_stages(ref['init']) if ref.get('init') else []) + [ref]


# Why each later stage was kept, from select_refiner.py (held-out PSNR of the refiner alone on 46 test pairs
# disjoint from the evaluation's) and, for stage 4, from the identity check of the refined centre on 64
# held-out in-focus frames of the broadened simulator (simulate-pairs --varied test; RMS change / camera noise).
STAGE_CHOICES = {
    2: 'chosen over the same stage without it by select_refiner.py: 32.80 against 32.73 dB, stage 1 32.63',
    3: 'chosen over the same stage with 1.0 × by select_refiner.py: 32.90 against 32.89 dB, stage 2 32.80',
    4: ('kept for what it does to in-focus frames: held-out in-focus frames of the broadened simulator changed by '
        '0.44× their camera noise against stage 3\'s 1.57× (60 of 64 below the noise, against 28), at 32.89 dB '
        'against 32.90 on select_refiner.py\'s pairs'),
}


def refiner_recipe(ref):
    """One clause per refiner stage: data, learning rate, ground-truth weight and why it was chosen."""
    out = []
    for k, s in enumerate(refiner_stages(ref), 1):
        c = s.get('config', {})
        gt = c.get('gt_weight', 0)
        text = (f'stage {k} ' + ("on the member network's crops" if k == 1 else f"from stage {k - 1}'s weights on all crops")
                + (f' and {c["identity_crops"]:,} identity examples (in-focus crops of the broadened simulator, both '
                   'modalities, whose target is the crop itself; `refine-identity`)' if c.get('identity_crops') else '')
                + f' at lr {c.get("lr")}' + (f' with {gt} × MSE to the ground truth added' if gt else ''))
        if k in STAGE_CHOICES:
            text += f' ({STAGE_CHOICES[k]})'
        out.append(text)
    return '; '.join(out) + '. '


def refiner_steps(ref):
    return ', then '.join(f'{s.get("steps"):,} steps ({s.get("wall_time_s")} s)' for s in refiner_stages(ref))


def refiner_crops(ref):
    counts = []
    for s in refiner_stages(ref):
        if s.get('crops') and (not counts or counts[-1] != s['crops']):
            counts.append(s['crops'])
    return ' → '.join(f'{c:,}' for c in counts) + ' crops' if counts else "the member network's"


def refiner_history(ref):
    """Held-out PSNR every 1,000 steps over both stages (the monitor runs every 500; stage 2's step 0 repeats stage 1's end)."""
    out = []
    for s in refiner_stages(ref):
        out += [h for h in s.get('history', []) if h['step'] % 1000 == 0 and not (out and h['step'] == 0)]
    return out


BENCH_RECORD = os.path.join(REPO, 'docs', 'results', 'bench-restoration.json')


def speed_line():
    """The student's row of the restoration benchmark's record (README: Restoration speed)."""
    text = open(BENCH_RECORD).read()
    bench = json.loads(text[text.index('{'):])  # the record keeps npm's header lines
    ref = next(r for r in bench['restoration'] if r['sampler'] == 'ancestral')
    st = next(r for r in bench['restoration'] if r['sampler'] == 'student')
    fr = next(r for r in bench['frame']['rows'] if r['method'] == st['method'])
    return (f'Speed: `npm run bench` (main README; record docs/results/bench-restoration.json) measures the student beside '
            f'the PostFocus reference and the DDIM samplers in one run: on {bench["crops"]["size"]}² crops '
            f'{st["secondsPerFrame"]:.3f} s per frame with 5 members, {st["speedup"]:,.0f}× faster than the reference, at PSNR '
            f'{st["psnr"]:.2f} / edge-PCC {st["edgePcc"]:.3f} against its {ref["psnr"]:.2f} / {ref["edgePcc"]:.3f}; a '
            f'{bench["frame"]["size"]}² frame in {fr["secondsPerFrame"]:.2f} s (compute floor {fr["floorSeconds"]:.2f} s) with '
            f'the station\'s threads.')


FLIP_NAMES = {2: 'as is and turned 180°', 4: 'as is, turned 180° and mirrored either way'}


def verdict(d):
    """What the paired differences (student minus teacher) say, PSNR and edge-PCC together."""
    diffs = (d['psnr'], d['edge_pcc'])
    if all(v['mean_diff'] >= 0 for v in diffs):
        return 'The student matches or beats DDIM-5 × 5 on held-out PSNR and edge-PCC.'
    if all(v['ci95'][0] <= 0 <= v['ci95'][1] or v['mean_diff'] >= 0 for v in diffs):
        return ('The student and DDIM-5 × 5 are not distinguishable on held-out PSNR and edge-PCC: both paired 95% '
                'intervals contain zero, though a point estimate is below the teacher.')
    return 'The student does not reach DDIM-5 × 5 on held-out PSNR and edge-PCC.'


def render(entry, res):
    t = entry['training']
    flips = t.get('centre_flips', 1)
    centred = t.get('centred_members', False)
    cfg = t.get('config', {})
    arch = entry['architecture']
    ref = t.get('refiner', {})
    rcfg = ref.get('config', {})
    v = cfg.get('versions', {})
    lines = [START, f'## {entry["id"]} — one-step student (distilled from pf-ddpm-v1)', '',
             '- Intended use: the station\'s fast restoration of flagged OOF frames with an ensemble: each member costs one '
             'evaluation of a slim member network, members start from different seeded noise, and their per-pixel spread '
             'is the uncertainty map, as with the DDPM samplers.',
             '- How it samples (two network calls per frame): ONE evaluation of the DDPM at t = T−1 from the first member\'s '
             'noise gives x̂0 = clip((z₀ − √(1−ᾱ)·ε̂)/√ᾱ), the DDPM\'s estimate of E[x0 | OOF frame] (the first DDIM step\'s '
             'x0), shared by all members; then the student graph, for all members in one batch, refines x̂0 once (the '
             'refiner runs on the first member\'s OOF frame and x̂0, which every member shares) and adds each member\'s '
             'residual from the member network: x0_b = refiner(OOF, x̂0) + member(z_b, OOF, x̂0) − x̂0 (the refiner term '
             'averaged over flips of its input' + (', the residuals centred over the members, see (3) below). ' if centred
                                                   else ', see (3) below). ') + 'Why: x̂0 hardly '
             'depends on the noise (per-pixel std over noise draws 0.005), so it carries no uncertainty, and it is about a '
             'dB below the DDIM-5 ensemble mean; averaging the DDPM\'s x0 estimate at t = 200 over re-noised copies of x̂0 '
             'recovers that dB (probe_x0_refine.py: 32.16 dB against x̂0\'s 31.21 on the monitor pairs) — a deterministic '
             'function of (OOF frame, x̂0) that the refiner learns; the member network adds each member\'s detail.',
             f'- Architecture: two copies of the shared U-Net backbone on pixel blocks (PixelUnshuffle in, PixelShuffle out; at '
             'full resolution a slim network\'s time goes to memory traffic): the member network on '
             f'{arch["member"]["block"]}×{arch["member"]["block"]} blocks, widths {arch["member"]["chans"]}, input z ⊕ OOF ⊕ x̂0, '
             f'output x̂0 + residual (pf-student-v2\'s network, unchanged); the refiner on {arch["refiner"]["block"]}×'
             f'{arch["refiner"]["block"]} blocks, widths {arch["refiner"]["chans"]}, input OOF ⊕ x̂0, output x̂0 + correction. '
             'Both output layers start at zero.',
             '- Recipe (models/training/distill.py): (1) member network (`train`, Luhman & Luhman 2021 knowledge distillation): '
             'the teacher (ddpm.onnx; its weights recovered from the ONNX file and checked against the CI reference outputs) '
             f'draws DDIM-{cfg.get("teacher_steps", 5)} samples (η = 0, x0 clipped, the app\'s timesteps) from seeded noise for '
             f'random 64² crops of the training pairs, {cfg.get("members", 4)} noises per crop; each member is fitted to the '
             'teacher\'s sample from the same noise (so the spread stays the teacher\'s) plus '
             f'{cfg.get("gt_weight")} × MSE of the crop\'s ensemble mean to the in-focus ground truth; AdamW, lr {cfg.get("lr")}, '
             f'EMA {cfg.get("ema")}. (2) refiner (`refine-targets`, `refine-train`): for the same crops and fresh ones '
             f'({refiner_crops(ref)}), the mean over '
             f'{rcfg.get("noises", 8)} seeded noises of the teacher\'s x0 estimate at t = {rcfg.get("t", 200)} from '
             'x_t = √ᾱ·x̂0 + √(1−ᾱ)·z; the refiner minimises MSE to that average (a teacher target has far less '
             'unpredictable detail than the ground truth: trained on the ground truth instead, the same refiner gained 0.10 dB '
             'in 2,500 steps, on the averages 0.31 dB); joint flips / rot90, AdamW, cosine decay over the last 30%, EMA 0.995; '
             + (refiner_recipe(ref) + "Fitted on the member network's 2,048 crops alone, the refiner came 46.9 dB close to its "
                'targets on them but only 42.2 dB on held-out pairs, so more crops came first; a larger refiner is untried. '
                if ref.get('init') else f'lr {rcfg.get("lr")}. ')
             + '(3) `compose` joins the two into the shipped graph'
             + (f", with the refiner's centre averaged over {flips} flips of its input ({FLIP_NAMES[flips]}): a geometric "
                'self-ensemble (the refiner was trained under joint flips and rot90, so each flip is an equally valid estimate '
                'and their errors partly cancel), in one batched refiner call. Two flips, not four, by the time budget: with '
                '5 members at 288², the student graph alone took 0.21 s with two and 0.31 s with four, against 0.19 s with one.'
                if flips > 1 else '.')
             + (' The members\' residuals are centred (their mean over the call\'s members subtracted; one call holds one '
                'frame\'s members), so the ensemble mean is the refined centre and the members carry the spread alone: their '
                'mean residual is a five-sample estimate of zero, and its sampling noise cost the mean 0.066 dB on '
                'select_refiner.py\'s 46 pairs (95% CI 0.04 to 0.09; centre alone against the mean of 5 members); a shift '
                'shared by the members leaves the spread as it was.' if centred else ''),
             f'- File: `{entry["file"]}` ({entry["bytes"]:,} bytes), sha256 `{entry["sha256"]}`, ONNX opset 17, dynamic batch / '
             f'height / width; CI reference outputs: `{entry["reference"]}`.',
             f'- Inputs: ' + ', '.join(f'`{i["name"]}` {i["shape"]}' for i in entry['inputs']) + '; outputs: '
             + ', '.join(f'`{o["name"]}` {o["shape"]}' for o in entry['outputs']) + '. Preprocessing as the DDPM '
             f'(x · {entry["preprocess"]["scale"]} + ({entry["preprocess"]["offset"]})); H and W multiples of '
             f'{entry["preprocess"]["size_multiple"]}.',
             f'- Training: member network ' + (f'stage A {cfg["init"]["steps"]} steps, then stage B ' if cfg.get('init') else '') +
             f'{t.get("steps")} steps ({t.get("wall_time_s")} s wall time), batch {t.get("batch")}, {t.get("patch")}² crops; '
             f'refiner {refiner_steps(ref)}, batch {ref.get("batch")}, held-out PSNR of the '
             f'refined x̂0 alone ' + ' → '.join(f'{h["heldout_psnr"]:.2f}' for h in refiner_history(ref)) + ' dB every 1,000 steps; '
             f'on {t.get("threads")} CPU thread(s) of the shared 2-core machine, {t.get("params"):,} parameters; '
             f'torch {v.get("torch")}, numpy {v.get("numpy")}; training commit {t.get("commit")}'
             + (' (scripts modified after it)' if cfg.get('dirty') else '') + '.', '']
    if res:
        m = res['metrics']
        lines += [f'Held-out (test seed {res["test_seed"]}), {res["pairs"]} OOF pairs evenly spaced over the 1,218, full 96² '
                  f'frames, {res["members"]} members from the same seeded noise for teacher and student '
                  f'(member network after {res["student_steps"]} steps, refiner after ' + ' + '.join(f'{s.get("steps"):,}' for s in refiner_stages(ref)) + '):', '']
        teacher_key = [k for k in m if k.startswith('ddim')][0]
        lines += table([('OOF input (no restoration)', m['oof_input']), (f'DDPM {res["teacher"]}, mean', m[teacher_key]),
                        ('x̂0 alone (one DDPM evaluation)', m['x0_hat']), (f'student × {res["members"]}, mean', m['student_mean'])])
        d = res['student_minus_teacher']
        lines += ['', 'Student minus teacher, per pair (mean, 95% CI): ' + '; '.join(
            f'{k} {v["mean_diff"]:+.4g} ({v["ci95"][0]:+.4g} to {v["ci95"][1]:+.4g})' for k, v in d.items()) + '.', '']
        rp = res.get('on_reference_pairs')
        if rp:
            st, rf = rp['student_mean'], rp['reference']
            lines += [f'On the {rp["pairs"]} held-out pairs where the PostFocus reference (1000-step ancestral × 5, pf-ddpm-v1) '
                      f'was measured (evaluate.py): student × {res["members"]} PSNR {st["psnr"]:.2f} dB, edge-PCC {st["edge_pcc"]:.4f}; '
                      f'reference {rf["psnr"]:.2f} dB, {rf["edge_pcc"]:.4f} (its stored result; different noise draws).', '']
        lines += [f'**{verdict(d)}**', '']
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
    lines += ['Versions, on the same 24 held-out pairs (student minus DDIM-5 × 5): pf-student-v6 is v5 with the refiner\'s '
              'fourth stage (identity examples) and centred members, above; v5 is v4 with a third '
              "refiner stage and the refiner's centre averaged over two flips, 32.00 dB / edge-PCC 0.944 (−0.12 dB); v4 "
              "(the refiner's second stage, on 12,288 crops instead of 2,048) 31.86 dB / 0.943 (−0.26); v3 31.70 dB / 0.941 "
              '(−0.42); v2 31.26 dB (−0.85).', '']
    lines += [speed_line(), '',
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
