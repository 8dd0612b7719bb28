#!/usr/bin/env python3
"""benchmarks/pytorch_lenet.py: the PyTorch peer of convnet's LeNet-5 trainer.

The same network and training setup as models/lenet5.net with convnet-train's
defaults, so images/s can be compared like for like:
  input 1x32x32 (MNIST 28x28 zero-padded by 2, pixels / 255)
  C1 conv 6@5x5 -> ReLU -> S2 maxpool 2x2 -> C3 conv 16@5x5 -> ReLU -> S4 maxpool 2x2
  -> C5 conv 120@5x5 -> ReLU -> F6 linear 84 -> ReLU -> F7 linear 10 -> softmax cross-entropy
  LeCun-normal weights (Var w = 1/fan_in; --init he-normal: 2/fan_in), zero biases;
  plain SGD, lr 0.1, no momentum; batch 64;
  a fresh permutation each epoch, the last partial batch dropped.
The data is preloaded as tensors on the device and each step gathers its batch
with index_select (like convnet's DeviceDataset + gather), so the timing is the
training step alone.

Timing: --warmup steps, then --steps steps timed with time.perf_counter()
(after torch.cuda.synchronize() on a GPU). --epochs N additionally trains N
full epochs and reports the test error after each.
On CUDA two modes: eager, and the whole step captured once as a CUDA graph
(torch.cuda.graph) and replayed. TF32 is OFF for matmul and cuDNN, as in
convnet (fp32 everywhere).

Setup: Debian's python3-torch (apt-get install -y python3-torch) is seen by
/usr/bin/python3; elsewhere PyPI's wheel in a venv works:
  python3 -m venv /tmp/torch-venv && /tmp/torch-venv/bin/pip install torch numpy
MNIST is read from the gzipped IDX files with gzip + numpy (--data DIR or
$CONVNET_DATA).

  python3 benchmarks/pytorch_lenet.py --device cpu --threads 2 --steps 200 --json out.json
"""
import argparse
import gzip
import json
import os
import platform
import sys
import time

import numpy as np

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.stderr.write("pytorch_lenet.py: PyTorch is not installed for %s (see the setup note at the top "
                     "of this file: apt-get install -y python3-torch, or a CPU wheel in a venv)\n" % sys.executable)
    sys.exit(2)


# ---- MNIST from gzipped IDX --------------------------------------------------
def find_file(data_dir, stem):
    """One of the four MNIST files, spelled as convnet accepts them."""
    for name in (stem + "-idx", stem + ".idx"):
        for suffix in ("3-ubyte", "1-ubyte"):
            for gz in (".gz", ""):
                p = os.path.join(data_dir, name + suffix + gz)
                if os.path.exists(p):
                    return p
    raise SystemExit("pytorch_lenet.py: no %s file in %s (run scripts/get-mnist.sh DIR)" % (stem, data_dir))


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    if magic >> 8 != 0x08:  # unsigned byte data
        raise SystemExit("pytorch_lenet.py: %s is not an unsigned-byte IDX file (magic %#x)" % (path, magic))
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise SystemExit("pytorch_lenet.py: %s holds %d bytes of data, header says %s" % (path, data.size, dims))
    return data.reshape(dims)


def load_split(data_dir, images_stem, labels_stem):
    images = read_idx(find_file(data_dir, images_stem)).astype(np.float32) / 255.0
    labels = read_idx(find_file(data_dir, labels_stem)).astype(np.int64)
    if len(images) != len(labels):
        raise SystemExit("pytorch_lenet.py: %d images but %d labels" % (len(images), len(labels)))
    padded = np.zeros((len(images), 1, 32, 32), dtype=np.float32)
    padded[:, 0, 2:30, 2:30] = images
    return padded, labels


# ---- the model -----------------------------------------------------------------
class LeNet5(nn.Module):
    def __init__(self, init):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.f7 = nn.Linear(84, 10)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                # kaiming_normal_ draws N(0, gain^2 / fan_in): gain 1 ("linear") is
                # LeCun's 1/fan_in, gain sqrt(2) ("relu") is He's 2/fan_in.
                gain = "relu" if init == "he-normal" else "linear"
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity=gain)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c3(x)), 2)
        x = F.relu(self.c5(x)).flatten(1)
        x = F.relu(self.f6(x))
        return self.f7(x)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


class Trainer:
    """One model + optimizer; step(idx) trains on images[idx] (eager or graph replay)."""

    def __init__(self, args, device, images, labels, use_graph):
        torch.manual_seed(args.seed)
        self.device = device
        self.images, self.labels = images, labels
        self.model = LeNet5(args.init).to(device)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=args.lr, momentum=0.0)
        self.graph = None
        self.x = torch.empty((args.batch, 1, 32, 32), device=device)
        self.y = torch.empty((args.batch,), dtype=torch.int64, device=device)
        if use_graph:
            self._capture()

    def _eager_step(self):
        self.opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss

    def _capture(self):
        # The recipe of the torch.cuda.graphs documentation: warm up on a side
        # stream, then capture forward + backward + step once.
        self.x.copy_(self.images[: self.x.shape[0]])
        self.y.copy_(self.labels[: self.y.shape[0]])
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                self._eager_step()
        torch.cuda.current_stream().wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        self.opt.zero_grad(set_to_none=True)
        with torch.cuda.graph(self.graph):
            self.static_loss = F.cross_entropy(self.model(self.x), self.y)
            self.static_loss.backward()
            self.opt.step()

    def step(self, idx):
        torch.index_select(self.images, 0, idx, out=self.x)
        torch.index_select(self.labels, 0, idx, out=self.y)
        if self.graph is not None:
            self.graph.replay()
            return self.static_loss
        return self._eager_step()

    @torch.no_grad()
    def test_error(self, images, labels, batch=1000):
        wrong = 0
        for i in range(0, len(images), batch):
            wrong += (self.model(images[i:i + batch]).argmax(1) != labels[i:i + batch]).sum().item()
        return wrong / len(images)


def run_mode(args, device, train_x, train_y, test_x, test_y, mode):
    t = Trainer(args, device, train_x, train_y, use_graph=(mode == "graphs"))
    B = args.batch
    steps_per_epoch = len(train_x) // B
    gen = torch.Generator(device="cpu").manual_seed(args.seed)
    perm = torch.randperm(len(train_x), generator=gen).to(device)

    for s in range(args.warmup):
        t.step(perm[(s % steps_per_epoch) * B:(s % steps_per_epoch + 1) * B])
    sync(device)
    t0 = time.perf_counter()
    loss_sum = torch.zeros((), device=device)
    for s in range(args.steps):
        k = s % steps_per_epoch
        loss_sum += t.step(perm[k * B:(k + 1) * B]).detach()
    sync(device)
    seconds = time.perf_counter() - t0
    result = {
        "mode": mode,
        "steps": args.steps,
        "seconds": seconds,
        "images_per_second": args.steps * B / seconds,
        "step_ms": 1e3 * seconds / args.steps,
        "epoch_seconds_extrapolated": steps_per_epoch * seconds / args.steps,
        "mean_loss": loss_sum.item() / args.steps,
    }
    epochs = []
    for e in range(1, args.epochs + 1):
        perm = torch.randperm(len(train_x), generator=gen).to(device)
        sync(device)
        t0 = time.perf_counter()
        for k in range(steps_per_epoch):
            t.step(perm[k * B:(k + 1) * B])
        sync(device)
        secs = time.perf_counter() - t0
        err = t.test_error(test_x, test_y)
        epochs.append({"epoch": e, "train_seconds": secs, "images_per_second": steps_per_epoch * B / secs,
                       "test_error": err})
        print("  %s epoch %d: %.2f s, %.0f images/s, test error %.2f%%" %
              (mode, e, secs, steps_per_epoch * B / secs, 100 * err), flush=True)
    if epochs:
        result["epochs"] = epochs
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("CONVNET_DATA", ""), help="MNIST dir (default $CONVNET_DATA)")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0 = torch's default)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=200, help="timed steps")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--epochs", type=int, default=0, help="also train N full epochs, with test error")
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--init", choices=["lecun-normal", "he-normal"], default="lecun-normal",
                    help="weight init (default lecun-normal, convnet-train's default)")
    ap.add_argument("--modes", default="", help="eager,graphs (CUDA default: both; CPU: eager)")
    ap.add_argument("--json", default="", help="write the results here")
    args = ap.parse_args()
    if not args.data:
        raise SystemExit("pytorch_lenet.py: no MNIST directory: pass --data DIR or set CONVNET_DATA")

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("pytorch_lenet.py: --device cuda but torch.cuda.is_available() is False")
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    modes = [m for m in args.modes.split(",") if m] or (["eager", "graphs"] if device.type == "cuda" else ["eager"])
    if "graphs" in modes and device.type != "cuda":
        raise SystemExit("pytorch_lenet.py: CUDA graphs need --device cuda")

    tx, ty = load_split(args.data, "train-images", "train-labels")
    vx, vy = load_split(args.data, "t10k-images", "t10k-labels")
    train_x, train_y = torch.from_numpy(tx).to(device), torch.from_numpy(ty).to(device)
    test_x, test_y = torch.from_numpy(vx).to(device), torch.from_numpy(vy).to(device)

    out = {
        "tool": "benchmarks/pytorch_lenet.py",
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(sys.argv),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": args.device,
        "threads": torch.get_num_threads(),
        "batch": args.batch,
        "lr": args.lr,
        "seed": args.seed,
        "init": args.init,
        "train_images": len(train_x),
        "results": [],
    }
    if device.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name(0)
        out["cuda"] = torch.version.cuda
        out["cudnn"] = torch.backends.cudnn.version()
    for mode in modes:
        r = run_mode(args, device, train_x, train_y, test_x, test_y, mode)
        out["results"].append(r)
        print("pytorch %s %s batch %d threads %d: %.0f images/s, %.3f ms/step over %d steps, mean loss %.4f" %
              (args.device, mode, args.batch, out["threads"], r["images_per_second"], r["step_ms"], r["steps"],
               r["mean_loss"]), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
