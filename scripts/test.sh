#!/usr/bin/env bash
# The test suite, as CI runs it (README's second command).
#
#   1. the default build (CUDA backend when nvcc is there; kernels through the
#      SIMT emulator in three fiber orders; real-GPU tests skip without a GPU)
#   2. a CPU-only build (-DCONVNET_CUDA=OFF), its tests
#   3. the emulated kernel tests under AddressSanitizer + UBSan, small sizes
#
# Real MNIST is used when CONVNET_DATA names it (else ../shared/data/mnist when
# present); tests that need it skip with a message otherwise.
# Usage: scripts/test.sh [--quick]   (--quick: only the default build)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
if [ -z "${CONVNET_DATA:-}" ] && [ -f ../shared/data/mnist/MD5SUMS ]; then
  export CONVNET_DATA=$(cd ../shared/data/mnist && pwd)
fi
echo "== CONVNET_DATA=${CONVNET_DATA:-<unset: MNIST tests will skip>}"

run_suite() {  # dir, cmake args..., then ctest args after --
  local dir=$1; shift
  local cmake_args=() ctest_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do cmake_args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  ctest_args=("$@")
  echo "== configure $dir ${cmake_args[*]}"
  cmake -S . -B "$dir" -G Ninja "${cmake_args[@]}" >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; return 1; }
  grep -E "^-- convnet:" "$dir.configure.log" || true
  echo "== build $dir"
  cmake --build "$dir" -j "$jobs"
  echo "== test $dir ${ctest_args[*]}"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" "${ctest_args[@]}")
}

run_suite build -DCMAKE_BUILD_TYPE=Release -- -LE full
if [ "${1:-}" = "--quick" ]; then exit 0; fi
run_suite build-cpu-only -DCMAKE_BUILD_TYPE=Release -DCONVNET_CUDA=OFF -- -LE "full|emulated" -E "^train\."
CONVNET_TEST_SMALL=1 run_suite build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONVNET_CUDA=OFF -DCONVNET_SANITIZE=ON \
  -DCONVNET_STATIC=OFF -- -L emulated
