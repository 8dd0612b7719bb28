#!/usr/bin/env python3
"""scripts/gpu_check_table.py LOGDIR: the LeNet-5 table at the end of gpu-check.sh.

Reads LOGDIR/train-<backend>/summary.json (convnet-train) for each backend
that ran, and LOGDIR/pytorch.json (benchmarks/pytorch_lenet.py --epochs N),
and prints one row per run: the test error after the last epoch, the mean
seconds per trained epoch and the training images per second over them.
Rows whose file is missing are left out; a file that is there but lacks a
field is an error, so a format change cannot silently empty the table.
"""
import json
import os
import sys


def convnet_rows(logs):
    for backend in ("cpu", "cuda", "cudnn"):
        path = os.path.join(logs, "train-" + backend, "summary.json")
        if os.path.exists(path):
            j = json.load(open(path))
            yield ("convnet " + backend, j["test_error"], j["seconds_per_epoch"], j["images_per_second"])


def pytorch_rows(logs):
    path = os.path.join(logs, "pytorch.json")
    if not os.path.exists(path):
        return
    j = json.load(open(path))
    for r in j["results"]:
        epochs = r["epochs"]
        if not epochs:  # timed steps only: no test error, the step rate stands in for the epoch rate
            yield ("pytorch " + r["mode"], float("nan"), r["epoch_seconds_extrapolated"], r["images_per_second"])
            continue
        seconds = sum(e["train_seconds"] for e in epochs)
        yield ("pytorch " + r["mode"], epochs[-1]["test_error"], seconds / len(epochs),
               j["train_images"] * len(epochs) / seconds)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gpu_check_table.py LOGDIR")
    logs = sys.argv[1]
    print("%-22s %12s %12s %12s" % ("run", "test error", "s/epoch", "images/s"))
    for name, err, spe, ips in list(convnet_rows(logs)) + list(pytorch_rows(logs)):
        print("%-22s %11.2f%% %12.3f %12.0f" % (name, 100 * err, spe, ips))


if __name__ == "__main__":
    main()
