#!/usr/bin/python3
"""plot_lr_sweep.py DIR: the learning-rate sweep of convnet-train --lr-sweep.

Reads DIR/lr_sweep.csv (lr,epoch,step,global_step,loss) and DIR/lr_sweep.json
(the verdict per rate and the chosen rate) and writes DIR/lr_sweep.png: the
training loss against the step for every rate (log y, faint raw values and a
moving average). A run that diverged ends in an X at its last finite loss;
the legend gives each rate's verdict and the chosen rate.
"""
import json
import os
import sys

from plot_common import column, plt, read_csv, save, smooth


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot_lr_sweep.py DIR")
    d = sys.argv[1]
    # A sweep where every rate diverged in its first epoch has a header only.
    path = os.path.join(d, "lr_sweep.csv")
    rows = read_csv(path) if os.path.exists(path) and sum(1 for _ in open(path)) > 1 else []
    with open(os.path.join(d, "lr_sweep.json")) as f:
        info = json.load(f)
    runs = info["runs"]
    chosen = info.get("chosen_lr")

    fig, ax = plt.subplots(figsize=(8, 4.8))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (key, run) in enumerate(runs.items()):
        mine = [r for r in rows if r["lr"] == key]
        color = colors[i % len(colors)]
        verdict = run["verdict"]
        label = "lr %s: %s" % (key, verdict)
        if run.get("val_error") is not None and run["val_error"] == run["val_error"]:
            label += ", val error %.1f%%" % (100 * run["val_error"])
        if chosen != "none" and float(key) == float(chosen):
            label += "  (chosen)"
        diverged = "not finite" in run.get("reason", "") or "NaN" in run.get("reason", "") or \
            "Inf" in run.get("reason", "") or "diverged" in run.get("reason", "")
        if not mine:
            ax.plot([], [], color=color, marker="x", ls="none", label=label + (" (diverged in its first epoch: no steps logged)" if diverged else " (no steps logged)"))
            continue
        g = column(mine, "global_step", int)
        loss = column(mine, "loss")
        ax.plot(g, loss, color=color, alpha=0.2, lw=0.6)
        ax.plot(g, smooth(loss, 20), color=color, lw=1.6, label=label)
        if diverged:
            ax.plot(g[-1], loss[-1], "x", color=color, ms=12, mew=3)
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("training loss (log scale; faint: per step, line: 20-step mean)")
    ax.set_title("Learning-rate sweep: %d epoch(s) per rate, same initial weights" % info.get("epochs", 1))
    ax.axhline(2.302585, color="gray", ls=":", lw=1)
    ax.text(ax.get_xlim()[1], 2.302585, " ln 10 = chance", va="center", ha="left", fontsize=8, color="gray")
    ax.legend(fontsize=8, loc="lower left")
    save(fig, os.path.join(d, "lr_sweep.png"))


if __name__ == "__main__":
    main()
