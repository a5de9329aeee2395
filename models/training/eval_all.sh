#!/usr/bin/env bash
# npm run models:eval — recompute the held-out metrics (test pairs, seed 2) of the shipped
# checkpoints into models/training/runs/metrics.json, then rewrite models/manifest.json and
# the model cards in models/README.md (+ models/contact-sheet.png).  The DDPM's DDIM and
# 1000-step ancestral evaluations run as two parallel 1-thread processes.
# Subset sizes: N_DDIM (default 40 pairs), N_ANC (default 4 pairs).  Not run by CI.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-/usr/bin/python3}
N_DDIM=${N_DDIM:-40} N_ANC=${N_ANC:-4}
"$PY" evaluate.py classifier unet > runs/eval_cls_unet.log 2>&1
"$PY" evaluate.py ddpm --n-ancestral "$N_ANC" --n-ddim "$N_DDIM" --ancestral-only --out runs/metrics_anc.json > runs/eval_anc.log 2>&1 &
ANC=$!
"$PY" evaluate.py unet ddpm --n-ddim "$N_DDIM" --n-ancestral "$N_ANC" --no-ancestral > runs/eval_ddim.log 2>&1
wait "$ANC"
"$PY" evaluate.py --merge runs/metrics_anc.json
"$PY" write_manifest.py
