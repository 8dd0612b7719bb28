"""plot_common.py: what the plot_*.py scripts share: reading the engine's CSV
files and a matplotlib set up for files (the Agg backend, no display)."""
import csv
import os
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: F401  (re-exported)
except ImportError:
    sys.exit("matplotlib is not installed for %s (apt-get install python3-matplotlib)" % sys.executable)

plt.rcParams.update({"font.size": 10, "axes.grid": True, "grid.alpha": 0.3, "savefig.dpi": 110})


def read_csv(path):
    """The rows of a CSV with a header, as dicts of strings."""
    if not os.path.exists(path):
        sys.exit("%s: no such file (was the run written there?)" % path)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit("%s: no rows" % path)
    return rows


def column(rows, name, kind=float):
    """One column of read_csv's rows, converted."""
    if name not in rows[0]:
        sys.exit("column %r missing (have %s)" % (name, ", ".join(rows[0])))
    return [kind(r[name]) for r in rows]


def save(fig, path):
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    print("wrote", path)


def smooth(values, window):
    """Trailing moving average over `window` steps (shorter at the start)."""
    out, acc = [], 0.0
    for i, v in enumerate(values):
        acc += v
        if i >= window:
            acc -= values[i - window]
        out.append(acc / min(i + 1, window))
    return out
