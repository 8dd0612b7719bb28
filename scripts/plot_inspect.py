#!/usr/bin/python3
"""plot_inspect.py DIR: pictures of what convnet-train --eval CKPT --inspect DIR wrote.

  c1_filters.png     the first conv layer's learned filters (filters_C1.npy)
  feature_maps.png   test digit 0 and the ReLU outputs of C1 and C3 on it
  misclassified.png  a gallery of wrong test digits: true -> predicted (confidence)
  confusion.png      the 10x10 confusion matrix (rows: true, columns: predicted)
"""
import json
import os
import sys

import numpy as np

from plot_common import plt, read_csv, save


def first_conv(d):
    """Name of the first conv layer with filters in d (C1 for LeNet-5)."""
    names = sorted(f[len("filters_"):-4] for f in os.listdir(d) if f.startswith("filters_") and f.endswith(".npy"))
    if not names:
        sys.exit("%s: no filters_*.npy (run convnet-train --eval CKPT --inspect %s)" % (d, d))
    return "C1" if "C1" in names else names[0]


def plot_filters(d):
    name = first_conv(d)
    w = np.load(os.path.join(d, "filters_%s.npy" % name))  # [C_out, C_in, KH, KW]
    n = w.shape[0]
    fig, axes = plt.subplots(1, n, figsize=(1.6 * n, 2.2))
    lim = np.abs(w).max()
    for i, ax in enumerate(np.atleast_1d(axes)):
        im = ax.imshow(w[i, 0], cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
        ax.set_title("filter %d" % i, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.colorbar(im, ax=list(np.atleast_1d(axes)), shrink=0.8, label="weight")
    fig.suptitle("%s: the %d learned %dx%d filters (red +, blue -)" % (name, n, w.shape[2], w.shape[3]))
    save(fig, os.path.join(d, "c1_filters.png"))


def plot_maps(d, info):
    digit = np.load(os.path.join(d, "digit.npy"))
    layers = [s for s in info.get("feature_maps", "").split(",") if s]
    maps = [np.load(os.path.join(d, "maps_%s.npy" % s)) for s in layers]
    cols = 8
    rows = 1 + sum((m.shape[0] + cols - 1) // cols for m in maps)
    fig = plt.figure(figsize=(cols * 1.3, rows * 1.45 + 0.3))
    gs = fig.add_gridspec(rows, cols)
    ax = fig.add_subplot(gs[0, 0])
    ax.imshow(digit, cmap="gray_r", interpolation="nearest")
    ax.set_title("input: a %d" % info["digit_label"], fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    fig.text(0.3, 1 - 0.5 / rows, "test digit %d (label %d, predicted %d); below: ReLU output of each map"
             % (info["digit_index"], info["digit_label"], info["digit_predicted"]), fontsize=10, va="center")
    r = 1
    for name, m in zip(layers, maps):
        for k in range(m.shape[0]):
            ax = fig.add_subplot(gs[r + k // cols, k % cols])
            ax.imshow(m[k], cmap="viridis", interpolation="nearest")
            ax.set_title("%s map %d" % (name, k), fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
        r += (m.shape[0] + cols - 1) // cols
    fig.suptitle("Feature maps (%s)" % ", ".join("%s: %dx%dx%d" % ((n,) + m.shape) for n, m in zip(layers, maps)))
    fig.tight_layout()
    save(fig, os.path.join(d, "feature_maps.png"))


def plot_misclassified(d):
    rows = read_csv(os.path.join(d, "misclassified.csv")) if os.path.getsize(
        os.path.join(d, "misclassified.csv")) > 40 else []
    if not rows:
        print("no misclassified digits: no gallery")
        return
    px = np.load(os.path.join(d, "misclassified.npy"))
    k = min(len(rows), 40)
    cols = 10
    nrows = (k + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(cols * 1.25, nrows * 1.5 + 0.4))
    axes = np.atleast_2d(axes)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        if i >= k:
            ax.axis("off")
            continue
        ax.imshow(px[i], cmap="gray_r", interpolation="nearest")
        r = rows[i]
        ax.set_title("%s -> %s (%.0f%%)" % (r["label"], r["predicted"], 100 * float(r["confidence"])), fontsize=8,
                     color="firebrick")
    fig.suptitle("The first %d of %d misclassified test digits: true -> predicted (softmax confidence)"
                 % (k, len(rows)))
    fig.tight_layout()
    save(fig, os.path.join(d, "misclassified.png"))


def plot_confusion(d):
    rows = read_csv(os.path.join(d, "confusion.csv"))
    labels = [r["label"] for r in rows]
    m = np.array([[int(r["pred_%s" % j]) for j in labels] for r in rows])
    off = m.copy()
    np.fill_diagonal(off, 0)
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    im = ax.imshow(off, cmap="Reds", interpolation="nearest")
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if m[i, j]:
                ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=8,
                        color="navy" if i == j else ("white" if off[i, j] > 0.6 * off.max() else "black"),
                        fontweight="bold" if i == j else "normal")
    ax.set_xticks(range(len(labels)))
    ax.set_yticks(range(len(labels)))
    ax.set_xticklabels(labels)
    ax.set_yticklabels(labels)
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.grid(False)
    wrong = off.sum()
    ax.set_title("Confusion matrix on %d test digits: %d wrong (%.2f%%)\n(colour: off-diagonal counts; "
                 "diagonal in blue: correct)" % (m.sum(), wrong, 100.0 * wrong / m.sum()), fontsize=10)
    fig.colorbar(im, ax=ax, shrink=0.8, label="misclassified count")
    save(fig, os.path.join(d, "confusion.png"))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot_inspect.py DIR")
    d = sys.argv[1]
    with open(os.path.join(d, "inspect.json")) as f:
        info = json.load(f)
    plot_filters(d)
    plot_maps(d, info)
    plot_misclassified(d)
    plot_confusion(d)


if __name__ == "__main__":
    main()
