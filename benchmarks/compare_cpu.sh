#!/usr/bin/env bash
# benchmarks/compare_cpu.sh: convnet's CPU trainer vs PyTorch on the CPU, back
# to back in one run, same LeNet-5, same batch, same thread count, same number
# of timed steps with the data resident; prints both and the ratio.
#
#   benchmarks/compare_cpu.sh [BUILD_DIR] [THREADS] [STEPS] [BATCH]
#     BUILD_DIR  where convnet-bench is (default build)
#     THREADS    CPU threads for both (default: all cores, nproc)
#     STEPS      timed training steps for both (default 200)
#     BATCH      batch size (default 64)
#   MNIST comes from $CONVNET_DATA (default /work/shared/data/mnist if present).
#   PyTorch: /usr/bin/python3 with Debian's python3-torch (installed here by
#   scripts/setup-deps.sh --peers when it is missing), or set PYTHON=/path/to/venv/bin/python3.
#   JSON of both runs is left in $OUT_DIR (default a fresh mktemp -d).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${1:-build}"
THREADS="${2:-$(nproc)}"
STEPS="${3:-200}"
BATCH="${4:-64}"
PYTHON="${PYTHON:-/usr/bin/python3}"
if [[ -z "${CONVNET_DATA:-}" && -d /work/shared/data/mnist ]]; then export CONVNET_DATA=/work/shared/data/mnist; fi
: "${CONVNET_DATA:?set CONVNET_DATA to the MNIST directory (scripts/get-mnist.sh DIR)}"
BENCH="$BUILD/convnet-bench"
[[ -x "$BENCH" ]] || { echo "compare_cpu.sh: no $BENCH (build it: ninja -C $BUILD convnet-bench)" >&2; exit 2; }
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
  if [[ "$PYTHON" == /usr/bin/python3 ]]; then
    echo "compare_cpu.sh: PyTorch is missing for $PYTHON; installing Debian's python3-torch" >&2
    bash "$HERE/../scripts/setup-deps.sh" --peers
  else
    echo "compare_cpu.sh: $PYTHON cannot import torch (pip install torch numpy in that venv)" >&2
    exit 2
  fi
fi
OUT_DIR="${OUT_DIR:-$(mktemp -d)}"
mkdir -p "$OUT_DIR"

echo "== convnet CPU trainer: LeNet-5, batch $BATCH, $THREADS threads, $STEPS steps =="
"$BENCH" --e2e --backend cpu --batch "$BATCH" --threads "$THREADS" --steps "$STEPS" \
  --data "$CONVNET_DATA" --json "$OUT_DIR/convnet.json"
echo
echo "== PyTorch CPU: same model and settings =="
"$PYTHON" "$HERE/pytorch_lenet.py" --device cpu --threads "$THREADS" --batch "$BATCH" --steps "$STEPS" \
  --data "$CONVNET_DATA" --json "$OUT_DIR/pytorch.json"
echo
"$PYTHON" - "$OUT_DIR/convnet.json" "$OUT_DIR/pytorch.json" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))["e2e"][0]
theirs = json.load(open(sys.argv[2]))
pt = theirs["results"][0]
if ours["status"] != "ok":
    sys.exit("convnet run failed: " + ours["note"])
r = ours["images_per_second"] / pt["images_per_second"]
print("convnet  %8.0f images/s  (%.3f ms/step)" % (ours["images_per_second"], ours["step_ms"]))
print("pytorch  %8.0f images/s  (%.3f ms/step, torch %s, %d threads)" %
      (pt["images_per_second"], pt["step_ms"], theirs["torch"], theirs["threads"]))
print("ratio convnet/pytorch = %.2fx" % r)
PY
echo "(JSON: $OUT_DIR/convnet.json $OUT_DIR/pytorch.json)"
