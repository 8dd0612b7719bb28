#!/usr/bin/env bash
# Installs the Debian packages convnet needs, only those that are missing.
# (The CUDA toolkit is optional and not installed here: without nvcc the build
# is CPU-only.)
#
#   scripts/setup-deps.sh           what building, testing and plotting need
#   scripts/setup-deps.sh --peers   also PyTorch (python3-torch): the benchmark peer
#                                   (benchmarks/compare_cpu.sh, pytorch_lenet.py) and
#                                   the oracle of tests/python/test_pytorch_parity.py
#                                   (which skips without it; CI installs it)
set -euo pipefail
packages=(cmake ninja-build g++ make pkg-config libopenblas-dev zlib1g-dev libgtest-dev libgmock-dev
          libboost-context-dev python3-numpy python3-matplotlib curl ca-certificates)
case "${1:-}" in
  --peers) packages+=(python3-torch) ;;
  "") ;;
  *) echo "setup-deps: unknown option '$1' (expected --peers or nothing)" >&2; exit 2 ;;
esac
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-deps: all packages present"
  exit 0
fi
echo "setup-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
