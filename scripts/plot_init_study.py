#!/usr/bin/python3
"""plot_init_study.py DIR: the two figures of the initialization study.

Reads DIR/init_study.csv (written by convnet-init-study) and writes
  DIR/init_activations.png  per hidden layer, the mean and the standard
                            deviation of the activations, one line per init
                            scheme, for ReLU and for tanh;
  DIR/init_gradients.png    per layer, the norm of the loss gradient w.r.t.
                            the layer's weights after one backward pass.
"""
import os
import sys

from plot_common import plt, read_csv, save

SCHEMES = ["1/n", "2/n", "0.01", "1.0"]
LABELS = {"1/n": "Var w = 1/n", "2/n": "Var w = 2/n (He)", "0.01": "sigma = 0.01 (too small)",
          "1.0": "sigma = 1.0 (too large)"}
COLORS = {"1/n": "tab:blue", "2/n": "tab:green", "0.01": "tab:orange", "1.0": "tab:red"}


def series(rows, scheme, act, key, hidden_only=True):
    mine = [r for r in rows if r["scheme"] == scheme and r["activation"] == act]
    depth = max(int(r["layer"]) for r in mine) - 1  # the last row is the classifier head
    mine = [r for r in mine if not hidden_only or int(r["layer"]) <= depth]
    return [int(r["layer"]) for r in mine], [float(r[key]) for r in mine]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot_init_study.py DIR")
    d = sys.argv[1]
    rows = read_csv(os.path.join(d, "init_study.csv"))
    acts = [a for a in ("relu", "tanh") if any(r["activation"] == a for r in rows)]

    # Figure 1: activation mean (linear y) and std (log y) per layer.
    fig, axes = plt.subplots(2, len(acts), figsize=(5.5 * len(acts), 7.5), squeeze=False)
    for c, act in enumerate(acts):
        for s in SCHEMES:
            x, mean = series(rows, s, act, "act_mean")
            _, std = series(rows, s, act, "act_std")
            axes[0][c].plot(x, std, "o-", color=COLORS[s], ms=3, label=LABELS[s])
            axes[1][c].plot(x, mean, "o-", color=COLORS[s], ms=3, label=LABELS[s])
        axes[0][c].set_yscale("log")
        axes[0][c].set_title("%s: std of the activations" % act)
        axes[0][c].set_ylabel("std over batch and units (log scale)")
        axes[1][c].set_yscale("symlog", linthresh=1e-3)
        axes[1][c].set_title("%s: mean of the activations" % act)
        axes[1][c].set_ylabel("mean (symlog scale)")
        for ax in (axes[0][c], axes[1][c]):
            ax.set_xlabel("hidden layer")
            ax.set_xticks(x)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.suptitle("Activations through %d hidden layers at initialization (one batch of MNIST)" % len(x))
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=9)
    save(fig, os.path.join(d, "init_activations.png"))

    # Figure 2: weight-gradient norm per layer (the head included).
    fig, axes = plt.subplots(1, len(acts), figsize=(5.5 * len(acts), 4.2), squeeze=False)
    for c, act in enumerate(acts):
        ax = axes[0][c]
        for s in SCHEMES:
            x, g = series(rows, s, act, "weight_grad_norm", hidden_only=False)
            ax.plot(x, g, "o-", color=COLORS[s], ms=3, label=LABELS[s])
        ax.set_yscale("log")
        ax.set_xlabel("layer (%d = the classifier head)" % x[-1])
        ax.set_xticks(x)
        ax.set_ylabel("||dL/dW|| (log scale)")
        ax.set_title("%s: weight-gradient norm per layer" % act)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.suptitle("Gradients at initialization: one backward pass of the mean cross-entropy")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=9)
    save(fig, os.path.join(d, "init_gradients.png"))


if __name__ == "__main__":
    main()
