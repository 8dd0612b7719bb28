#!/usr/bin/env bash
# From a fresh Debian 12 machine to a trained LeNet-5 (README's first command):
# installs what is missing, builds, gets MNIST, and trains with the course's
# settings on the best backend present (cuda when a GPU is usable, else cpu).
#
# Usage: scripts/quickstart.sh [extra convnet-train flags]
# MNIST: $CONVNET_DATA when set, else ./data/mnist (downloaded, md5-checked).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target convnet-train
data=${CONVNET_DATA:-data/mnist}
if ! ls "$data"/train-images-idx3-ubyte* >/dev/null 2>&1; then
  bash scripts/get-mnist.sh "$data"
fi
exec build/convnet-train --data "$data" --backend auto --out runs/lenet5 --plots "$@"
