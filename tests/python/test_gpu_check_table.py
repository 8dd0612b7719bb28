#!/usr/bin/python3
"""The table scripts/gpu-check.sh prints last, made from real outputs.

Usage: test_gpu_check_table.py CONVNET_TRAIN

gpu-check.sh runs once, on a borrowed GPU, with no second try; its table
reads the JSON that convnet-train and benchmarks/pytorch_lenet.py write. This
test makes both files here, on the CPU and a small synthetic dataset, in the
layout gpu-check.sh uses (LOGDIR/train-<backend>/summary.json and
LOGDIR/pytorch.json), and checks that scripts/gpu_check_table.py prints a
row for each with the numbers the files hold. Exits 77 (CTest: skipped) when
numpy or torch is missing.
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy  # noqa: F401  (synthetic_mnist and pytorch_lenet.py need it)
    import torch  # noqa: F401

    from synthetic_mnist import write_synthetic_mnist
except ImportError as e:
    print("skipped: %s is not available to %s (scripts/setup-deps.sh --peers installs python3-torch)"
          % (e.name, sys.executable))
    sys.exit(77)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        sys.exit("FAIL: %s\n%s" % (" ".join(cmd), r.stdout))
    return r.stdout


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: test_gpu_check_table.py CONVNET_TRAIN")
    with tempfile.TemporaryDirectory() as d:
        data, logs = os.path.join(d, "data"), os.path.join(d, "logs")
        os.makedirs(data)
        write_synthetic_mnist(data, 256, 64)
        run([sys.argv[1], "--data", data, "--backend", "cpu", "--threads", "1", "--quiet", "--val", "64",
             "--epochs", "2", "--out", os.path.join(logs, "train-cpu")])
        run([sys.executable, os.path.join(ROOT, "benchmarks", "pytorch_lenet.py"), "--device", "cpu", "--threads",
             "1", "--data", data, "--steps", "2", "--warmup", "0", "--epochs", "2", "--json",
             os.path.join(logs, "pytorch.json")])
        table = run([sys.executable, os.path.join(ROOT, "scripts", "gpu_check_table.py"), logs])
        print(table, end="")
        rows = {line[:22].strip(): line[22:].split() for line in table.splitlines()[1:]}
        summary = json.load(open(os.path.join(logs, "train-cpu", "summary.json")))
        pytorch = json.load(open(os.path.join(logs, "pytorch.json")))["results"][0]
        expect = {
            "convnet cpu": "%.2f%%" % (100 * summary["test_error"]),
            "pytorch eager": "%.2f%%" % (100 * pytorch["epochs"][-1]["test_error"]),
        }
        failures = 0
        for name, err in expect.items():
            got = rows.get(name)
            if got is None or got[0] != err or any(v in ("nan", "nan%") for v in got):
                print("FAIL: row %r: expected test error %s and numbers, got %r" % (name, err, got))
                failures += 1
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
