#!/usr/bin/env bash
# npm run models:train — generate the simulated pairs if missing, train the three models
# with the shipped recipe (wall-clock budgets; classifier + U-Net run beside the DDPM's
# epsilon stage on 1 thread each, then the DDPM's v stage runs alone on 2 threads),
# export to ONNX, evaluate on the held-out pairs and write the manifest.
# Budgets (seconds) can be overridden: CLS_S, UNET_S, DDPM_EPS_S, DDPM_S.  Not run by CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-/usr/bin/python3}
PAIRS=.cache/pairs
RUNS=models/training/runs
mkdir -p "$RUNS"
if [ ! -f "$PAIRS/train/index.json" ]; then
  node bin/postfocus.js simulate-pairs "$PAIRS/train" --n 20000 --size 96 --seed 1 --json > "$PAIRS.train.json"
fi
if [ ! -f "$PAIRS/test/index.json" ]; then
  node bin/postfocus.js simulate-pairs "$PAIRS/test" --n 2000 --size 96 --seed 2 --json > "$PAIRS.test.json"
fi
cd models/training
CLS_S=${CLS_S:-720} UNET_S=${UNET_S:-2230} DDPM_EPS_S=${DDPM_EPS_S:-4440} DDPM_S=${DDPM_S:-5440}
"$PY" train_ddpm.py --param eps --out runs/ddpm_eps.pt --deadline "$DDPM_EPS_S" --threads 1 > runs/ddpm_eps.log 2>&1 &
DDPM_PID=$!
"$PY" train_classifier.py --deadline "$CLS_S" --threads 1 > runs/classifier.log 2>&1
"$PY" train_unet.py --deadline "$UNET_S" --threads 1 > runs/unet.log 2>&1
wait "$DDPM_PID"
"$PY" train_ddpm.py --param v --init runs/ddpm_eps.pt --out runs/ddpm.pt --deadline "$DDPM_S" --threads 2 > runs/ddpm.log 2>&1
"$PY" export.py classifier unet ddpm
cd ../..
bash models/training/eval_all.sh
