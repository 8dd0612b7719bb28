#!/usr/bin/env bash
# The course's practical section, reproduced by the engine, with its plots
# (docs/lenet5-mnist.md walks through the results):
#   1. learning-rate sweep: lr 1, 0.1, 0.01, one epoch each, same initial weights
#   2. the LeNet-5 run: 20 epochs, batch 64, lr 0.1 (the course's settings)
#   3. the initialization study (convnet-init-study)
#   4. inspection of the trained net: filters, feature maps, mistakes, confusion
#
# Usage: scripts/experiments.sh [DATA] [OUT]
#   DATA     MNIST directory (default $CONVNET_DATA)
#   OUT      where the runs go (default runs/experiments)
# Environment:
#   BUILD    build directory holding convnet-train / convnet-init-study (default build)
#   BACKEND  cpu | cuda | cudnn | auto (default auto)
#   EPOCHS   epochs of the main run (default 20)
#   SEED     seed of the main run (default 1)
#   RUN      an existing run directory (with checkpoint.safetensors) to use
#            instead of training step 2 again
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-${CONVNET_DATA:-}}
OUT=${2:-runs/experiments}
BUILD=${BUILD:-build}
BACKEND=${BACKEND:-auto}
EPOCHS=${EPOCHS:-20}
SEED=${SEED:-1}
if [[ -z "$DATA" ]]; then
  echo "experiments.sh: no data directory: pass it as the first argument or set CONVNET_DATA" >&2
  echo "  (scripts/get-mnist.sh DIR downloads MNIST)" >&2
  exit 2
fi
for exe in convnet-train convnet-init-study; do
  if [[ ! -x "$BUILD/$exe" ]]; then
    echo "experiments.sh: $BUILD/$exe not found; build it first:" >&2
    echo "  cmake -S . -B $BUILD -G Ninja && ninja -C $BUILD convnet-train convnet-init-study" >&2
    exit 2
  fi
done
TRAIN="$BUILD/convnet-train"
mkdir -p "$OUT"
step() { printf '\n==== %s\n' "$*"; }

step "1. learning-rate sweep -> $OUT/lr_sweep"
"$TRAIN" --data "$DATA" --backend "$BACKEND" --lr-sweep 1,0.1,0.01 --epochs 1 --out "$OUT/lr_sweep" --quiet --plots

RUN_DIR=${RUN:-$OUT/lenet5}
if [[ -n "${RUN:-}" ]]; then
  step "2. LeNet-5 run: using the existing run $RUN_DIR"
  /usr/bin/python3 scripts/plot_run.py "$RUN_DIR"
else
  step "2. LeNet-5, $EPOCHS epochs, batch 64, lr 0.1, seed $SEED -> $RUN_DIR"
  "$TRAIN" --data "$DATA" --backend "$BACKEND" --epochs "$EPOCHS" --seed "$SEED" --out "$RUN_DIR" --plots
fi

step "3. initialization study -> $OUT/init_study"
"$BUILD/convnet-init-study" --data "$DATA" --out "$OUT/init_study"

step "4. inspecting $RUN_DIR/checkpoint.safetensors -> $OUT/inspect"
"$TRAIN" --data "$DATA" --backend "$BACKEND" --eval "$RUN_DIR/checkpoint.safetensors" --inspect "$OUT/inspect" --plots

step "plots"
ls -1 "$OUT"/lr_sweep/*.png "$RUN_DIR"/*.png "$OUT"/init_study/*.png "$OUT"/inspect/*.png
