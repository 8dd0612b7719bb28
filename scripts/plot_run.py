#!/usr/bin/python3
"""plot_run.py RUN_DIR: the curves of one convnet-train run.

Reads RUN_DIR/metrics.csv (one row per epoch) and RUN_DIR/steps.csv (the
training loss of every step), and RUN_DIR/summary.json for the title when the
run has finished, and writes RUN_DIR/curves.png:
  left:   training loss per step (faint) with a moving average, and the
          per-epoch mean training loss and validation loss at epoch ends;
  right:  validation (and training) error per epoch, in percent.
"""
import json
import os
import sys

from plot_common import column, plt, read_csv, save, smooth


def title(run):
    """The run's name; with summary.json: its model, backend, init, seed and test error."""
    name = os.path.basename(os.path.normpath(run))
    try:
        with open(os.path.join(run, "summary.json")) as f:
            j = json.load(f)
        return "convnet-train: %s on %s, init %s, seed %d: test error %.2f%%" % (
            j["model"], j["backend"], j["init"], j["seed"], 100 * j["test_error"])
    except (OSError, ValueError, KeyError, TypeError):
        return "convnet-train: %s" % name  # a run still going, or an older summary


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot_run.py RUN_DIR")
    run = sys.argv[1]
    metrics = read_csv(os.path.join(run, "metrics.csv"))
    steps = read_csv(os.path.join(run, "steps.csv"))

    epoch = column(metrics, "epoch", int)
    gstep = column(steps, "global_step", int)
    loss = column(steps, "loss")
    per_epoch = max(1, len(gstep) // max(1, len(epoch)))
    # x axis in epochs: step s of the run is at s / steps-per-epoch.
    x_steps = [g / per_epoch for g in gstep]

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.plot(x_steps, loss, color="tab:blue", alpha=0.25, lw=0.6, label="training loss per step")
    window = max(10, per_epoch // 10)
    ax1.plot(x_steps, smooth(loss, window), color="tab:blue", lw=1.5,
             label="moving average (%d steps)" % window)
    ax1.plot(epoch, column(metrics, "train_loss"), "o-", color="tab:green", ms=3, label="train loss (epoch mean)")
    if any(v >= 0 for v in column(metrics, "val_loss")):
        ax1.plot(epoch, column(metrics, "val_loss"), "s-", color="tab:red", ms=3, label="validation loss")
    ax1.set_yscale("log")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("cross-entropy loss (log scale)")
    ax1.set_title("Loss")
    ax1.legend(fontsize=8)

    ax2.plot(epoch, [100 * v for v in column(metrics, "train_error")], "o-", color="tab:green", ms=3,
             label="training error (during the epoch)")
    ax2.plot(epoch, [100 * v for v in column(metrics, "val_error")], "s-", color="tab:red", ms=3,
             label="validation error")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("error (%)")
    ax2.set_title("Error")
    ax2.set_xticks(epoch if len(epoch) <= 20 else epoch[::max(1, len(epoch) // 10)])
    ax2.legend(fontsize=8)
    fig.suptitle(title(run))
    save(fig, os.path.join(run, "curves.png"))


if __name__ == "__main__":
    main()
