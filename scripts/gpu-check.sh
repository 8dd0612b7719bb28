#!/usr/bin/env bash
# scripts/gpu-check.sh: everything this project checks on a real GPU, in one go
# (under 5 minutes on an H200).
#
# The GPU machine has the CUDA toolkit, CMake, ninja, PyTorch and
# compute-sanitizer, but no OpenBLAS, GoogleTest or Boost, and no network. So
# the build is made HERE and carried:
#
#   scripts/gpu-check.sh prepare [MNIST_DIR]
#       builds build-gpu/ for sm_90 (CUDA + cuDNN backends, libconvnet_core.so
#       holding OpenBLAS, $ORIGIN run paths), copies the needed outputs into
#       gpu-bundle/ and MNIST into .gpu-data/mnist (both git-ignored), and
#       prints the size that will travel (the device tool carries <= 64 MiB).
#
#   scripts/gpu-check.sh run LOGDIR [MNIST_DIR]      (on the GPU machine)
#       1. nvidia-smi, versions
#       2. the whole test suite on the GPU (test_gpu: every kernel variant vs
#          the CPU; test_cudnn: every cuDNN op vs the CPU and the kernels, when
#          the cuDNN backend was built; the CPU, data, graph and trainer suites)
#       3. compute-sanitizer memcheck, racecheck, synccheck on the kernel tests
#          at small sizes, and memcheck on the cuDNN tests (reported
#          "unavailable" when it cannot attach)
#       4. LeNet-5, 20 epochs on MNIST, --backend cuda (and cudnn when built);
#          tests/python/test_pytorch_parity.py on each (the step vs PyTorch)
#       5. benchmarks/pytorch_lenet.py on the GPU, eager and CUDA graphs, same
#          epochs and batch, TF32 off; convnet-bench per-op and end-to-end
#       6. a short table last; every log in LOGDIR and LOGDIR/gpu-check-logs.tgz
#
# With the device tool:  run(command="bash scripts/gpu-check.sh run $OUT",
#                            carry=["gpu-bundle", ".gpu-data"], timeout_s=420)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
mode=${1:-}

prepare() {
  local data=${1:-${CONVNET_DATA:-../shared/data/mnist}}
  set -e
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONVNET_CUDA=ON -DCONVNET_CUDNN=AUTO \
    -DCONVNET_CUDA_ARCHITECTURES=90 -DCONVNET_SHARED_CORE=ON -DCONVNET_EMULATION=OFF -DCONVNET_STATIC=ON
  cmake --build build-gpu -j "$(nproc)"
  rm -rf gpu-bundle && mkdir -p gpu-bundle/tests
  cp build-gpu/convnet-train build-gpu/convnet-bench gpu-bundle/
  [ -f build-gpu/convnet-init-study ] && cp build-gpu/convnet-init-study gpu-bundle/
  cp build-gpu/libconvnet_core.so gpu-bundle/
  for t in build-gpu/tests/test_*; do [ -x "$t" ] && [ -f "$t" ] && cp "$t" gpu-bundle/tests/; done
  strip --strip-unneeded gpu-bundle/libconvnet_core.so gpu-bundle/convnet-* gpu-bundle/tests/* 2>/dev/null || true
  echo "$(git rev-parse --short=12 HEAD)$(git diff --quiet HEAD -- . ':!benchmarks/RESULTS.md' || echo -dirty)" \
    > gpu-bundle/COMMIT
  echo "$root" > gpu-bundle/BUILT_IN
  mkdir -p .gpu-data/mnist
  cp "$data"/*-ubyte* .gpu-data/mnist/
  [ -f "$data/MD5SUMS" ] && cp "$data/MD5SUMS" .gpu-data/mnist/
  du -sh gpu-bundle .gpu-data
  local total=$(( $(du -sk gpu-bundle | cut -f1) + $(du -sk .gpu-data | cut -f1) + $(git ls-files -z | xargs -0 du -ck 2>/dev/null | tail -1 | cut -f1) ))
  echo "will travel: about $((total / 1024)) MiB (limit 64 MiB)"
  [ "$total" -lt $((62 * 1024)) ] || { echo "gpu-check prepare: bundle too large" >&2; exit 1; }
}

run() {
  local logs=${1:?usage: gpu-check.sh run LOGDIR [MNIST_DIR]}
  local data=${2:-$root/.gpu-data/mnist}
  mkdir -p "$logs"
  [ -d gpu-bundle ] || { echo "gpu-check: gpu-bundle/ is missing: run 'scripts/gpu-check.sh prepare' first and carry it" >&2; exit 1; }
  # The tests look for the source tree and the trainer at the paths they were
  # built with; make those paths exist here.
  local built_in; built_in=$(cat gpu-bundle/BUILT_IN)
  if [ "$built_in" != "$root" ] && [ ! -e "$built_in" ]; then
    mkdir -p "$(dirname "$built_in")" && ln -s "$root" "$built_in"
  fi
  [ -e "$built_in/build-gpu" ] || ln -s "$root/gpu-bundle" "$built_in/build-gpu"
  # cuBLAS from the toolkit; cuDNN possibly from PyTorch's wheels.
  local extra=/usr/local/cuda/lib64
  local wheel_libs
  wheel_libs=$(python3 - <<'PY' 2>/dev/null
import glob, os, importlib.util
dirs = []
for pkg in ("nvidia.cudnn", "nvidia.cublas", "nvidia.cuda_runtime"):
    try:
        spec = importlib.util.find_spec(pkg)
    except Exception:
        spec = None
    if spec and spec.submodule_search_locations:
        for d in spec.submodule_search_locations:
            if os.path.isdir(os.path.join(d, "lib")):
                dirs.append(os.path.join(d, "lib"))
print(":".join(dirs))
PY
)
  export LD_LIBRARY_PATH="$extra${wheel_libs:+:$wheel_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export CONVNET_DATA="$data"
  # One overall budget (the device tool allows 600 s a command): every step's
  # timeout is cut to what is left, so the table and the tarball always come.
  local budget=${GPU_CHECK_BUDGET_S:-520} t_start=$SECONDS
  limit() { local left=$((budget - (SECONDS - t_start) - 15)); [ "$left" -lt 5 ] && left=5; [ "$1" -lt "$left" ] && left=$1; echo "$left"; }
  local B=gpu-bundle T=gpu-bundle/tests
  local summary="$logs/summary.txt"
  : > "$summary"
  note() { echo "$*" | tee -a "$summary"; }

  note "== gpu-check $(date -u +%FT%TZ) commit $(cat $B/COMMIT)"
  nvidia-smi > "$logs/nvidia-smi.txt" 2>&1; head -15 "$logs/nvidia-smi.txt"
  note "driver/GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null)"
  ldd $B/convnet-train > "$logs/ldd.txt" 2>&1
  if grep -q "not found" "$logs/ldd.txt"; then note "MISSING LIBRARIES:"; grep "not found" "$logs/ldd.txt" | tee -a "$summary"; fi

  # 2. tests
  local t rc
  for t in test_gpu test_cudnn test_cpu test_graph test_data test_train; do
    [ -x "$T/$t" ] || { note "tests $t: not built"; continue; }
    timeout $(limit 240) "$T/$t" --gtest_brief=1 > "$logs/$t.log" 2>&1; rc=$?
    note "tests $t: rc=$rc $(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$logs/$t.log" | tr '\n' ' ')"
  done

  # 3. sanitizers on the kernel tests, small sizes
  if command -v compute-sanitizer >/dev/null 2>&1; then
    local tool exe log run filter
    # Our kernels under all three tools; the cuDNN backend under memcheck
    # (racecheck/synccheck there would mostly instrument cuDNN's own kernels).
    for run in test_gpu:memcheck test_gpu:racecheck test_gpu:synccheck test_cudnn:memcheck; do
      exe=${run%%:*} tool=${run##*:} log="$logs/sanitizer-$tool.log" filter='-*Large*:*Training*'
      [ -x "$T/$exe" ] || { note "compute-sanitizer $tool $exe: not built"; continue; }
      [ "$exe" = test_cudnn ] && log="$logs/sanitizer-$tool-cudnn.log" filter='-*Large*:*Training*:*EndToEnd*'
      CONVNET_TEST_SMALL=1 timeout $(limit 150) compute-sanitizer --tool $tool --error-exitcode 99 \
        "$T/$exe" --gtest_brief=1 --gtest_filter="$filter" > "$log" 2>&1; rc=$?
      if grep -qiE "device not supported|unable to attach|not supported on|error 999" "$log"; then
        note "compute-sanitizer $tool $exe: unavailable here ($(grep -m1 -iE 'not supported|attach|999' "$log"))"
      else
        note "compute-sanitizer $tool $exe: rc=$rc $(grep -m1 -E 'ERROR SUMMARY' "$log")"
      fi
    done
  else
    note "compute-sanitizer: unavailable (not on PATH)"
  fi

  # 4. training, 20 epochs
  local backend
  for backend in cuda cudnn; do
    timeout $(limit 240) $B/convnet-train --backend $backend --data "$data" --out "$logs/train-$backend" --quiet \
      > "$logs/train-$backend.log" 2>&1; rc=$?
    note "train $backend: rc=$rc $(tail -1 "$logs/train-$backend.log")"
  done

  # 4b. the training step against PyTorch (float64 on the CPU), from the same weights
  for backend in cuda cudnn; do
    timeout $(limit 120) python3 tests/python/test_pytorch_parity.py $B/convnet-train $backend \
      > "$logs/parity-$backend.log" 2>&1; rc=$?
    note "parity with pytorch, $backend: rc=$rc $(grep -cE ': ok;' "$logs/parity-$backend.log")/2 ok" \
      "$( [ $rc -ne 0 ] && tail -1 "$logs/parity-$backend.log" | cut -c1-200)"
  done

  # 5. PyTorch side by side, then the bench
  if python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
    timeout $(limit 300) python3 benchmarks/pytorch_lenet.py --device cuda --data "$data" --epochs 20 --batch 64 \
      --modes eager,graphs --json "$logs/pytorch.json" > "$logs/pytorch.log" 2>&1; rc=$?
    note "pytorch: rc=$rc"
  else
    note "pytorch: torch with CUDA is not available here"
  fi
  timeout $(limit 200) $B/convnet-bench --backend all --json "$logs/bench.json" --csv "$logs/bench.csv" \
    > "$logs/bench.log" 2>&1; rc=$?
  note "bench: rc=$rc (full table in bench.log)"

  # 6. the table
  {
    echo
    echo "== LeNet-5 on MNIST, 20 epochs, batch 64, lr 0.1"
    python3 scripts/gpu_check_table.py "$logs"
  } | tee -a "$summary"
  tar -czf "$logs/gpu-check-logs.tgz" -C "$logs" --exclude gpu-check-logs.tgz . 2>/dev/null
  echo "logs: $logs (gpu-check-logs.tgz)"
}

case "$mode" in
  prepare) shift; prepare "$@" ;;
  run) shift; run "$@" ;;
  *) sed -n '2,30p' "$0"; exit 2 ;;
esac
