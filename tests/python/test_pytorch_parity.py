#!/usr/bin/python3
"""convnet-train against PyTorch: the same LeNet-5 step from the same weights.

Usage: test_pytorch_parity.py CONVNET_TRAIN [BACKEND]
  BACKEND: cpu (default; what CTest runs), cuda or cudnn (scripts/gpu-check.sh
  runs those on a GPU machine)

PyTorch is an independent implementation of every op in the training step
(conv, ReLU, max pool, linear, softmax cross-entropy, SGD with momentum and
weight decay), so agreeing with it over many steps checks the whole engine,
including how the graph wires the ops together, which the per-op tests
cannot. To take batch order out of the comparison, every step is a full
batch: --batch N on the first N images (--train-limit N --val 0), so each
epoch is one step over the same images in some order, and the mean loss does
not depend on the order beyond float rounding.

  1. convnet-train runs one step at lr 1e-30 and writes its checkpoint: the
     initial weights (the step cannot move a float32 weight of the size init
     draws, and the init's biases are exactly 0, which we restore here).
  2. convnet-train trains STEPS full-batch steps from the same seed; its
     steps.csv has every step's loss and its checkpoint the final weights.
  3. PyTorch trains STEPS steps from the weights of 1, in float64 (the
     reference) and in float32.
Float32 rounding alone moves a training trajectory away from the exact one,
and training amplifies that (more with momentum). How far, we measure rather
than guess: PyTorch's own float32 run against its float64 run gives, at each
step, the largest relative difference so far. Ours must stay within 8 times
that envelope of the float64 losses (plus 2e-6, and the 6 decimals steps.csv
is written with), and end with weights as close to float64's, in the same
sense. The two real mistakes we tried (ReLU's gradient at 0 taken as 1;
weight decay folded into the momentum wrongly) land far outside: one drives
the loss to NaN, the other strays more than 50 times the envelope.

The data is synthetic MNIST in IDX format (each class a bright bar at its own
place plus sparse noise, zero background like real digits), written to a
temporary directory, so the test needs neither the network nor CONVNET_DATA.
Exits 77 (CTest: skipped) when numpy or torch is missing, saying so.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torch.nn.functional as F

    from synthetic_mnist import write_synthetic_mnist
except ImportError as e:
    print("skipped: %s is not available to %s (scripts/setup-deps.sh --peers installs python3-torch)"
          % (e.name, sys.executable))
    sys.exit(77)

N = 256        # images, and the batch: one step per epoch
STEPS = 30
SEED = 7


def read_checkpoint(path):
    """The float32 tensors of a safetensors file (format: u64 header length, JSON header, data)."""
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__" or e["dtype"] != "F32":
            continue
        a, b = e["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype="<f4").reshape(e["shape"]).copy()
    return out


BACKEND = "cpu"


def train(exe, data, out, extra):
    threads = ["--threads", "1"] if BACKEND == "cpu" else []
    cmd = [exe, "--data", data, "--backend", BACKEND] + threads + ["--quiet", "--val", "0",
           "--train-limit", str(N), "--batch", str(N), "--seed", str(SEED), "--out", out] + extra
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        sys.exit("FAIL: %s\n%s" % (" ".join(cmd), r.stdout))


def pytorch_losses(w0, x, y, lr, momentum, wd, dtype):
    """STEPS full-batch steps of LeNet-5 in PyTorch from the weights w0, in dtype: losses, final weights."""
    p = {k: torch.from_numpy(v.astype(dtype)).requires_grad_() for k, v in w0.items()}
    x = x.to(torch.float64 if dtype == np.float64 else torch.float32)
    opt = torch.optim.SGD(list(p.values()), lr=lr, momentum=momentum, weight_decay=wd)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        h = F.max_pool2d(F.relu(F.conv2d(x, p["C1.weight"], p["C1.bias"])), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, p["C3.weight"], p["C3.bias"])), 2)
        h = F.relu(F.conv2d(h, p["C5.weight"], p["C5.bias"])).flatten(1)
        h = F.relu(F.linear(h, p["F6.weight"], p["F6.bias"]))
        loss = F.cross_entropy(F.linear(h, p["F7.weight"], p["F7.bias"]), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses), {k: v.detach().numpy().astype(np.float64) for k, v in p.items()}


def weights_rel_diff(a, b):
    return max(np.abs(a[k] - b[k]).max() / np.abs(b[k]).max() for k in b)


def main():
    global BACKEND
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: test_pytorch_parity.py CONVNET_TRAIN [BACKEND]")
    exe = sys.argv[1]
    if len(sys.argv) == 3:
        BACKEND = sys.argv[2]
    torch.set_num_threads(1)
    failures = 0
    with tempfile.TemporaryDirectory() as d:
        write_synthetic_mnist(d, N, 16)
        train(exe, d, os.path.join(d, "init"), ["--epochs", "1", "--max-steps", "1", "--lr", "1e-30"])
        w0 = read_checkpoint(os.path.join(d, "init", "checkpoint.safetensors"))
        for k in w0:
            if k.endswith(".bias"):
                assert np.abs(w0[k]).max() < 1e-20, (k, np.abs(w0[k]).max())
                w0[k][:] = 0.0

        images = np.zeros((N, 1, 32, 32), np.float32)  # 28x28 zero-padded to 32x32, / 255
        raw = np.fromfile(os.path.join(d, "train-images-idx3-ubyte"), np.uint8, offset=16).reshape(-1, 28, 28)
        images[:, 0, 2:30, 2:30] = raw[:N] / np.float32(255.0)
        labels = np.fromfile(os.path.join(d, "train-labels-idx1-ubyte"), np.uint8, offset=8)[:N].astype(np.int64)
        x, y = torch.from_numpy(images), torch.from_numpy(labels)  # float32 pixels, as ours

        for name, lr, mom, wd in (("plain SGD, lr 0.1", 0.1, 0.0, 0.0),
                                  ("momentum 0.9, weight decay 5e-4, lr 0.01", 0.01, 0.9, 5e-4)):
            out = os.path.join(d, "run-%g-%g" % (mom, wd))
            train(exe, d, out, ["--epochs", str(STEPS), "--lr", str(lr), "--momentum", str(mom),
                                "--weight-decay", str(wd)])
            lines = open(os.path.join(out, "steps.csv")).read().split("\n")[1:]
            ours = np.array([float(l.split(",")[-1]) for l in lines if l])
            ref, w_ref = pytorch_losses(w0, x, y, lr, mom, wd, np.float64)
            f32, w_f32 = pytorch_losses(w0, x, y, lr, mom, wd, np.float32)
            w_ours = {k: v.astype(np.float64) for k, v in read_checkpoint(os.path.join(out, "checkpoint.safetensors")).items()}
            rel = np.abs(ours - ref) / np.abs(ref)
            envelope = np.maximum.accumulate(np.abs(f32 - ref) / np.abs(ref))
            tol = 8 * envelope + 2e-6 + 5e-7 / np.abs(ref)
            w_err, w_env = weights_rel_diff(w_ours, w_ref), weights_rel_diff(w_f32, w_ref)
            ok = bool(np.all(rel <= tol)) and w_err <= 8 * w_env + 1e-6 and ref[-1] < 0.5 * ref[0]
            print("%s, %s: %s; loss %.6f -> %.6f (PyTorch float64 %.6f -> %.6f); largest relative difference "
                  "%.2e (step %d) against %.2e for PyTorch float32; final weights %.2e against %.2e"
                  % (BACKEND, name, "ok" if ok else "FAIL", ours[0], ours[-1], ref[0], ref[-1], rel.max(),
                     int(rel.argmax()) + 1, envelope[-1], w_err, w_env))
            if not ok:
                failures += 1
                for s in range(STEPS):
                    print("  step %2d  convnet %.6f  pytorch64 %.6f  pytorch32 %.6f  rel %.2e  tol %.2e"
                          % (s + 1, ours[s], ref[s], f32[s], rel[s], tol[s]))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
