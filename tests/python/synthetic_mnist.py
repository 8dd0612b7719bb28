"""tests/python/synthetic_mnist.py: a small MNIST-format dataset for the Python tests.

Each class c is a bright bar at its own place plus 20 random pixels, on a
zero background like real digits, so LeNet-5 learns it in a few steps. The
four files are uncompressed IDX (magic 0x0000080D, D = number of dims,
big-endian dims, then the bytes), named as MNIST's.
"""
import os
import struct

import numpy as np


def write_idx(path, array):
    """An unsigned-byte IDX file: magic 0x0000080D (D = number of dims), big-endian dims, data."""
    with open(path, "wb") as f:
        f.write(struct.pack(">I", 0x0800 | array.ndim))
        for d in array.shape:
            f.write(struct.pack(">I", d))
        f.write(array.astype(np.uint8).tobytes())


def write_synthetic_mnist(d, n_train, n_test):
    rng = np.random.default_rng(1)
    for stem, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n)
        images = np.zeros((n, 28, 28), np.uint8)
        for i, c in enumerate(labels):
            r = 3 + 2 * int(c)
            images[i, r:r + 3, 4 + int(c):20 + int(c) // 2] = 255
            k = rng.integers(0, 28 * 28, 20)
            images[i].flat[k] = rng.integers(0, 256, 20)
        write_idx(os.path.join(d, stem + "-images-idx3-ubyte"), images)
        write_idx(os.path.join(d, stem + "-labels-idx1-ubyte"), labels)
