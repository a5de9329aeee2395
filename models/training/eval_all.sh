#!/usr/bin/env bash
# npm run models:eval — recompute the held-out metrics (test pairs, seed 2) of the shipped
# checkpoints (models/training/runs/*.pt) into models/training/runs/metrics.json, then rewrite
# models/manifest.json, the model cards in models/README.md and models/contact-sheet.png.
# The DDPM's 1000-step ancestral evaluation runs as two 1-thread processes beside the
# DDIM one.  Subset sizes: N_DDIM (default 40 pairs), N_ANC (default 16 pairs), N_STUDENT (24).  Not run by CI.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-/usr/bin/python3}
N_DDIM=${N_DDIM:-40} N_ANC=${N_ANC:-16}
SUB=(--n-ddim "$N_DDIM" --n-ancestral "$N_ANC")
# The classifier standardises its input per frame: eval_classifier.py scores it (reference, varied
# and held-out-microscope sets); evaluate.py's classifier path predates the standardisation.
"$PY" eval_classifier.py > runs/eval_cls.log 2>&1
"$PY" evaluate.py unet > runs/eval_unet.log 2>&1
"$PY" evaluate.py ddpm "${SUB[@]}" --ancestral-part 0/2 > runs/eval_anc0.log 2>&1 &
A0=$!
"$PY" evaluate.py ddpm "${SUB[@]}" --ancestral-part 1/2 > runs/eval_anc1.log 2>&1 &
A1=$!
"$PY" evaluate.py unet ddpm "${SUB[@]}" --no-ancestral > runs/eval_ddim.log 2>&1
"$PY" evaluate.py x0-by-t --n-ddim "$N_DDIM" > runs/eval_x0.log 2>&1
wait "$A0" "$A1"
"$PY" evaluate.py ddpm "${SUB[@]}" --ancestral-collect 2 > runs/eval_collect.log 2>&1
# The one-step student against its teacher (DDIM-5 x 5) on N_STUDENT pairs (default 24).
"$PY" evaluate_student.py --n "${N_STUDENT:-24}" > runs/eval_student.log 2>&1
"$PY" write_manifest.py
"$PY" classifier_card.py > /dev/null
"$PY" student_card.py
