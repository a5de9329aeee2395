#!/usr/bin/env bash
# npm run models:train [-- --smoke] — generate the simulated pairs if missing, train the four
# models with the shipped recipe, export to ONNX, evaluate on the held-out pairs and write the
# manifest.  Budgets are step counts (the learning-rate schedules are functions of the step),
# so the recipe replays the shipped runs, including the DDPM's stage-1 learning-rate / EMA
# change at step 405 and its v-parameterised stage 2.  Every checkpoint and manifest entry
# records its full configuration, library versions and training commit.
#
#   --smoke   the whole recipe end to end on tiny settings (a few dozen pairs, a few steps per
#             stage) in a temporary folder, then the app's model checks on what it exported
#             (test/unit/inference/models.test.ts).  Leaves models/ untouched.  8 minutes on
#             the loaded 2-core machine.
#
# Step budgets can be overridden: CLS_STEPS, UNET_STEPS, DDPM_EPS_STEPS, DDPM_STEPS,
# STUDENT_SHARDS, STUDENT_STEPS, STUDENT_THREADS, REFINER_STEPS, REFINER_SHARDS, REFINER_STEPS2, REFINER_STEPS3,
# IDENTITY_SHARDS, REFINER_STEPS4.  The full recipe takes about 5 CPU-hours; not run by CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-/usr/bin/python3}
SMOKE=0
for arg in "$@"; do
  case "$arg" in
    --smoke) SMOKE=1 ;;
    *) echo "train_all.sh: unknown option $arg (use --smoke)" >&2; exit 2 ;;
  esac
done
if ! "$PY" -c 'import torch, onnx' 2>/dev/null; then
  echo "models:train needs $PY with torch and onnx (Debian: apt-get install python3-torch python3-onnx python3-skimage)" >&2
  exit 1
fi

if [ "$SMOKE" = 1 ]; then
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/pf-train-smoke-XXXXXX")
  export PF_PAIRS_DIR="$WORK/pairs" PF_RUNS_DIR="$WORK/runs" PF_MODELS_DIR="$WORK/models"
  N_TRAIN=48 N_TEST=16 N_VARIED=48
  CLS_STEPS=3 UNET_STEPS=3 DDPM_EPS_STEPS=3 DDPM_STEPS=3
  STUDENT_SHARDS=1 STUDENT_SHARD_SIZE=4 STUDENT_TEACHER_STEPS=2 STUDENT_MEMBERS=2 STUDENT_STEPS=3 STUDENT_THREADS=1
  REFINER_STEPS=3 REFINER_NOISES=2 REFINER_SHARDS=2 REFINER_STEPS2=2 REFINER_STEPS3=2 IDENTITY_SHARDS=1 REFINER_STEPS4=2
  mkdir -p "$PF_MODELS_DIR"
  echo "smoke run in $WORK"
else
  export PF_PAIRS_DIR="${PF_PAIRS_DIR:-$PWD/.cache/pairs}" PF_RUNS_DIR="${PF_RUNS_DIR:-$PWD/models/training/runs}"
  N_TRAIN=20000 N_TEST=2000 N_VARIED=10000
  CLS_STEPS=${CLS_STEPS:-12000} UNET_STEPS=${UNET_STEPS:-3204} DDPM_EPS_STEPS=${DDPM_EPS_STEPS:-5581} DDPM_STEPS=${DDPM_STEPS:-20182}
  STUDENT_SHARDS=${STUDENT_SHARDS:-8} STUDENT_SHARD_SIZE=256 STUDENT_TEACHER_STEPS=5 STUDENT_MEMBERS=4
  STUDENT_STEPS=${STUDENT_STEPS:-8000} STUDENT_THREADS=${STUDENT_THREADS:-1}
  REFINER_STEPS=${REFINER_STEPS:-9000} REFINER_NOISES=8 REFINER_SHARDS=${REFINER_SHARDS:-48} REFINER_STEPS2=${REFINER_STEPS2:-8000} REFINER_STEPS3=${REFINER_STEPS3:-5000}
  IDENTITY_SHARDS=${IDENTITY_SHARDS:-8} REFINER_STEPS4=${REFINER_STEPS4:-3000}
fi
PAIRS=$PF_PAIRS_DIR
RUNS=$PF_RUNS_DIR
mkdir -p "$RUNS" "$PAIRS"
pairs() {  # dir n seed [extra flags]
  if [ ! -f "$PAIRS/$1/index.json" ]; then
    node bin/postfocus.js simulate-pairs "$PAIRS/$1" --n "$2" --size 96 --seed "$3" "${@:4}" --json > "$PAIRS/$1.json"
  fi
}
pairs train "$N_TRAIN" 1
pairs test "$N_TEST" 2
pairs varied-train "$N_VARIED" 11 --varied train
cd models/training

# The classifier (train_classifier.py) runs beside the DDPM's epsilon stage, then the U-Net.
"$PY" train_ddpm.py --param eps --out "$RUNS/ddpm_eps.pt" --steps "$DDPM_EPS_STEPS" --phases 0:2e-4:0.999,405:6e-4:0.995 \
  --threads 1 > "$RUNS/ddpm_eps.log" 2>&1 &
DDPM_PID=$!
"$PY" train_classifier.py --max-steps "$CLS_STEPS" --threads 1 > "$RUNS/classifier.log" 2>&1
"$PY" train_unet.py --steps "$UNET_STEPS" --threads 1 > "$RUNS/unet.log" 2>&1
wait "$DDPM_PID"
"$PY" train_ddpm.py --param v --init "$RUNS/ddpm_eps.pt" --out "$RUNS/ddpm.pt" --steps "$DDPM_STEPS" \
  --phases 0:6e-4:0.995 --threads 2 > "$RUNS/ddpm.log" 2>&1
"$PY" export.py classifier unet ddpm

# The one-step student distils the exported DDPM (its ONNX weights, checked against the CI
# reference outputs): two writers draw the teacher's DDIM-5 samples (4 noises per crop), then
# the member network trains on all shards (member term + ensemble-mean term, distill.py).
TARGETS="$RUNS/student-targets"
for k in 0 1; do
  "$PY" distill.py targets --out "$TARGETS" --teacher-steps "$STUDENT_TEACHER_STEPS" --members "$STUDENT_MEMBERS" \
    --shards "$STUDENT_SHARDS" --shard-size "$STUDENT_SHARD_SIZE" --first-shard "$k" --shard-stride 2 --threads 1 \
    > "$RUNS/student_targets_$k.log" 2>&1 &
done
wait
"$PY" distill.py train --targets "$TARGETS" --shards "$STUDENT_SHARDS" --steps "$STUDENT_STEPS" --out "$RUNS/student-member.pt" \
  --threads "$STUDENT_THREADS" $([ "$SMOKE" = 1 ] && echo --batch 2 --monitor-pairs 2 --monitor-every 2) > "$RUNS/student-member.log" 2>&1
# The student's shared refiner (since pf-student-v3): the teacher's x0 estimate at t = 200 averaged over re-noised copies of
# x0_hat (two writers), for the member network's crops and then fresh crops up to REFINER_SHARDS; the
# refiner trained first on the member network's crops, then (--init) on all of them at half the learning
# rate with 0.3 x MSE to the ground truth (chosen over the same stage without it by select_refiner.py, held-out PSNR on 46
# test pairs disjoint from the evaluation's: 32.80 against 32.73 dB; stage 1 32.63), then a third stage at lr 3e-4 with
# 3.0 x MSE to the ground truth (32.90, against 32.89 with 1.0 x); compose joins it to the member network.
for k in 0 1; do
  "$PY" distill.py refine-targets --targets "$TARGETS" --out "$TARGETS-refined" --noises "$REFINER_NOISES" \
    --shards "$REFINER_SHARDS" --member-shards "$STUDENT_SHARDS" --first-shard "$k" --shard-stride 2 --threads 1 \
    $([ "$SMOKE" = 1 ] && echo --shard-size 4) > "$RUNS/refine_targets_$k.log" 2>&1 &
done
wait
SMOKE_MONITOR=$([ "$SMOKE" = 1 ] && echo --batch 2 --monitor-pairs 2 --monitor-every 2)
"$PY" distill.py refine-train --targets "$TARGETS" --refined "$TARGETS-refined" --shards "$STUDENT_SHARDS" --steps "$REFINER_STEPS" \
  --out "$RUNS/student-refiner-1.pt" $SMOKE_MONITOR > "$RUNS/student-refiner-1.log" 2>&1
"$PY" distill.py refine-train --targets "$TARGETS" --refined "$TARGETS-refined" --shards "$REFINER_SHARDS" --steps "$REFINER_STEPS2" \
  --init "$RUNS/student-refiner-1.pt" --lr 5e-4 --gt-weight 0.3 --out "$RUNS/student-refiner-2.pt" $SMOKE_MONITOR > "$RUNS/student-refiner-2.log" 2>&1
"$PY" distill.py refine-train --targets "$TARGETS" --refined "$TARGETS-refined" --shards "$REFINER_SHARDS" --steps "$REFINER_STEPS3" \
  --init "$RUNS/student-refiner-2.pt" --lr 3e-4 --gt-weight 3.0 --seed 1 --out "$RUNS/student-refiner-3.pt" $SMOKE_MONITOR > "$RUNS/student-refiner-3.log" 2>&1
# Stage 4 (pf-student-v6): identity examples, in-focus crops of the broadened simulator (both modalities,
# randomised optics) whose target is the crop itself, after the refinement shards (14% of the crops), so
# an in-focus frame comes out of restoration unchanged within its noise.
"$PY" distill.py refine-identity --data "$PAIRS/varied-train" --out "$TARGETS-refined" --first "$REFINER_SHARDS" --shards "$IDENTITY_SHARDS" \
  $([ "$SMOKE" = 1 ] && echo --shard-size 4) > "$RUNS/refine-identity.log" 2>&1
"$PY" distill.py refine-train --targets "$TARGETS" --refined "$TARGETS-refined" --shards "$((REFINER_SHARDS + IDENTITY_SHARDS))" --steps "$REFINER_STEPS4" \
  --init "$RUNS/student-refiner-3.pt" --lr 1e-4 --gt-weight 3.0 --seed 2 --threads 2 --out "$RUNS/student-refiner.pt" $SMOKE_MONITOR > "$RUNS/student-refiner.log" 2>&1
# compose: the refiner's centre averaged over common.ARCH['student']['centre_flips'] flips of its input (pf-student-v5: 2),
# the members' residuals centred on it (pf-student-v6).
"$PY" distill.py compose --member "$RUNS/student-member.pt" --refiner "$RUNS/student-refiner.pt" --out "$RUNS/student.pt"
"$PY" export.py student
cd ../..

if [ "$SMOKE" = 1 ]; then
  (cd models/training && "$PY" write_manifest.py > /dev/null)
  # The exported files must pass the same checks as the shipped models.
  PF_SHIPPED_MODELS="$PF_MODELS_DIR" npx vitest run test/unit/inference/models.test.ts
  echo "smoke run passed: $WORK"
else
  bash models/training/eval_all.sh
fi
