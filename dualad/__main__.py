"""The main demo: ``python -m dualad`` (``make demo``).

A short tour on plain Python functions: a gradient; the Jacobian of a scientific
function, with the mode ``jacobian`` chose and its cost report; forward against reverse
mode measured over a sweep of input sizes n and output sizes m; and a plot of the
crossover written to a PNG file. ``python -m dualad --help`` lists the options that run
the sweep at other sizes.
"""
import argparse
import math
import os
import sys
import time

import numpy as np

import dualad as ad
from dualad import auto

DEFAULT_SIZES = "1,3,10,30,100,300,1000"


def _sizes(text):
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive integers")
    return sizes


def _cells(text):
    cells = []
    for part in text.split(","):
        try:
            n, m = part.lower().split("x")
            cells.append((int(n), int(m)))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected cells like 1x1000,100x100, got {part!r}")
    return cells


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m dualad",
        description="A tour of dualad: a gradient, a Jacobian with the mode auto chose and "
                    "why, forward against reverse mode measured over an (n, m) sweep of "
                    "f(x) = tanh(A @ sin(x)) with A of shape (m, n), and a plot of the "
                    "crossover.")
    p.add_argument("--n", type=_sizes, default=_sizes(DEFAULT_SIZES), metavar="LIST",
                   help=f"input sizes of the sweep (default {DEFAULT_SIZES})")
    p.add_argument("--m", type=_sizes, default=_sizes(DEFAULT_SIZES), metavar="LIST",
                   help=f"output sizes of the sweep (default {DEFAULT_SIZES})")
    p.add_argument("--max-size", type=int, default=100_000, metavar="N",
                   help="skip cells with n * m above N, whose reverse (or forward) runs "
                        "take seconds (default 100000)")
    p.add_argument("--cells", type=_cells, default=None, metavar="NxM,...",
                   help="measure exactly these cells instead of the --n x --m grid, "
                        "e.g. 1x1000,10x1000,100x100,1000x10,1000x1")
    p.add_argument("--jac-sweep", action="store_true",
                   help="measure the benchmarks' jac_sweep cells "
                        "(1x1000, 10x1000, 100x100, 1000x10, 1000x1)")
    p.add_argument("--repeat", type=int, default=5, metavar="R",
                   help="timed rounds per cell; the table shows medians (default 5)")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="time by the wall clock (default) or by this process's CPU time, "
                        "which leaves out what other programs take on a busy machine")
    p.add_argument("--out", default="dualad_crossover.png", metavar="PATH",
                   help="where to write the crossover plot (default dualad_crossover.png "
                        "in the current directory)")
    p.add_argument("--no-plot", action="store_true", help="skip the plot")
    p.add_argument("--sweep-only", action="store_true",
                   help="skip the tour (sections 1 and 2); measure and plot only")
    p.add_argument("--seed", type=int, default=0, help="seed of A, x and the timing order")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def section(title):
    print(f"\n{title}\n{'-' * len(title)}")


# ------------------------------------------------------------------------------------
# 1. A gradient of plain Python
# ------------------------------------------------------------------------------------
def tour_gradient():
    section("1. A gradient of plain Python code")

    def f(x):
        # a loop, a branch and a Python list: nothing dualad-specific
        terms = []
        y = x
        for k in range(1, 4):
            y = np.sin(y) + x * x if y > 0 else np.cos(y)
            terms.append(y / k)
        return sum(terms)

    x0 = 0.7
    g = ad.grad(f)(x0)
    h = 1e-6
    fd = (f(x0 + h) - f(x0 - h)) / (2 * h)
    tangent = ad.jvp(f, (x0,), (1.0,))[1]
    print("  def f(x): three rounds of y = sin(y) + x**2 (if y > 0 else cos(y)), summed / k")
    print(f"  grad(f)(0.7)            = {g:.12f}   (reverse mode)")
    print(f"  jvp(f, (0.7,), (1.0,))  = {tangent:.12f}   (forward mode)")
    print(f"  central difference      = {fd:.12f}   (h = 1e-6: {abs(fd - g):.1e} off)")
    assert abs(g - tangent) < 1e-12 and abs(g - fd) < 1e-6


# ------------------------------------------------------------------------------------
# 2. The Jacobian of a scientific function
# ------------------------------------------------------------------------------------
def bratu_residual(u, lam=2.0):
    """The residual of the Bratu problem -u'' = lam exp(u), u(0) = u(1) = 0, on a grid."""
    h = 1.0 / (len(u) + 1)
    padded = np.concatenate([np.zeros(1), u, np.zeros(1)])
    laplacian = (padded[:-2] - 2.0 * padded[1:-1] + padded[2:]) / (h * h)
    return -laplacian - lam * np.exp(u)


def summary_statistics(x):
    """Mean, log of the mean square and a soft maximum of a long signal: R^n -> R^3."""
    return np.stack([np.mean(x), np.log(np.mean(x * x)), np.log(np.sum(np.exp(x)))])


def tour_jacobian():
    section("2. The Jacobian of a scientific function: which mode, and why")
    n = 200
    grid = np.linspace(0.0, 1.0, n + 2)[1:-1]
    u = 0.3 * np.sin(np.pi * grid)
    print(f"  Residual of the Bratu problem -u'' = 2 exp(u) on {n} grid points: "
          f"R^{n} -> R^{n}")
    jac = ad.jacobian(bratu_residual)
    J = jac(u)
    h = 1.0 / (n + 1)
    want = (np.diag(2.0 / h ** 2 - 2.0 * np.exp(u)) - np.diag(np.full(n - 1, 1.0 / h ** 2), 1)
            - np.diag(np.full(n - 1, 1.0 / h ** 2), -1))
    err = np.max(np.abs(J - want)) / np.max(np.abs(want))
    print(f"  jacobian(bratu_residual)(u): tridiagonal, {err:.1e} from the hand-written one")
    print(f"  auto chose {jac.decision}")
    assert err < 1e-12
    print()
    print(ad.explain(bratu_residual, u))

    x = np.random.default_rng(0).standard_normal(1000)
    jac2 = ad.jacobian(summary_statistics)
    J2 = jac2(x)
    print(f"\n  Summary statistics of a signal of 1000 samples: R^1000 -> R^3, "
          f"Jacobian {J2.shape}")
    print(f"  auto chose {jac2.decision}")
    np.testing.assert_allclose(J2[0], np.full(1000, 1e-3))


# ------------------------------------------------------------------------------------
# 3. Forward against reverse, measured
# ------------------------------------------------------------------------------------
class Progress:
    """A plain-text progress bar on stderr."""

    def __init__(self, stream=None, width=30):
        self.stream = stream or sys.stderr
        self.width = width
        self.start = time.perf_counter()

    def __call__(self, i, total, cell):
        done = int(self.width * i / max(total, 1))
        bar = "#" * done + "." * (self.width - done)
        what = f"n={cell[0]} m={cell[1]}" if cell else "done"
        elapsed = time.perf_counter() - self.start
        end = "\n" if cell is None else ""
        self.stream.write(f"\r  [{bar}] {i}/{total} {what:<16} {elapsed:5.1f} s{end}")
        self.stream.flush()


def _fmt(t):
    return f"{t * 1e3:9.3f}"


def sweep_cells(args):
    if args.cells:
        return args.cells
    if args.jac_sweep:
        return list(auto.JAC_SWEEP)
    return [(n, m) for m in args.m for n in args.n if n * m <= args.max_size]


def tour_sweep(args):
    cells = sweep_cells(args)
    section(f"3. Forward against reverse, measured: f(x) = tanh(A @ sin(x)), A (m, n), "
            f"{len(cells)} cells")
    print(f"  medians of {args.repeat} rounds ({args.clock} clock); in each round jacfwd, "
          "jacrev and jacobian(mode='auto') run side by side in a shuffled order")
    auto.machine_model()            # calibrate before timing anything
    rows = auto.crossover_sweep(cells, repeat=args.repeat, progress=Progress(),
                                seed=args.seed, clock=args.clock)
    print(f"  {'n':>5} {'m':>5} {'forward ms':>10} {'reverse ms':>10} {'auto ms':>9} "
          f"{'auto ran':>8} {'auto/best':>9} {'paired':>6}  faster")
    for r in rows:
        print(f"  {r.n:5d} {r.m:5d} {_fmt(r.forward):>10} {_fmt(r.reverse):>10} "
              f"{_fmt(r.auto)} {r.auto_mode:>8} {r.ratio:9.2f} {r.paired:6.2f}  {r.winner} "
              f"by {max(r.forward, r.reverse) / r.best:.3g}x")
    worst = max(rows, key=lambda r: r.ratio)
    print(f"  auto/best: ratio of the medians; paired: median over rounds of auto / the "
          f"better fixed mode in the same round")
    print(f"  worst auto/best: {worst.ratio:.2f} at n = {worst.n}, m = {worst.m} "
          f"(forward needs ceil(n/{ad.cost.DEFAULT_CHUNK}) passes, reverse 1 + m)")
    return rows


# ------------------------------------------------------------------------------------
# 4. The plot
# ------------------------------------------------------------------------------------
def plot_crossover(rows, path):
    """Write the crossover plot; returns the absolute path, or None without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\n  matplotlib is not installed, so there is no plot. Install it with\n"
              "      pip install 'dualad[notebooks]'\n"
              "  (or run `make demo`, which installs it).")
        return None
    ns = sorted({r.n for r in rows})
    ms = sorted({r.m for r in rows})
    by = {(r.n, r.m): r for r in rows}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))

    # Left: time against n for the output size with the most cells.
    m_line = max(ms, key=lambda m: (sum((n, m) in by for n in ns), -abs(m - 10)))
    line = [by[(n, m_line)] for n in ns if (n, m_line) in by]
    xs = [r.n for r in line]
    ax1.loglog(xs, [r.forward * 1e3 for r in line], "o-", label="forward (jacfwd)")
    ax1.loglog(xs, [r.reverse * 1e3 for r in line], "s-", label="reverse (jacrev)")
    ax1.loglog(xs, [r.auto * 1e3 for r in line], "x--", color="k", label="auto")
    ax1.set_xlabel("n (inputs)")
    ax1.set_ylabel("ms per Jacobian")
    ax1.set_title(f"m = {m_line} outputs: the crossover")
    ax1.grid(True, which="both", alpha=0.3)
    ax1.legend()

    # Right: which mode is faster over the (n, m) grid, and what auto ran.
    grid = np.full((len(ms), len(ns)), np.nan)
    for i, m in enumerate(ms):
        for j, n in enumerate(ns):
            r = by.get((n, m))
            if r is not None:
                grid[i, j] = math.log10(r.forward / r.reverse)
    lim = max(1.0, float(np.nanmax(np.abs(grid)))) if np.isfinite(grid).any() else 1.0
    im = ax2.imshow(grid, origin="lower", cmap="coolwarm", vmin=-lim, vmax=lim,
                    aspect="auto")
    for i, m in enumerate(ms):
        for j, n in enumerate(ns):
            r = by.get((n, m))
            if r is not None:
                ax2.text(j, i, f"{'F' if r.auto_mode == 'forward' else 'R'}\n{r.ratio:.2f}",
                         ha="center", va="center", fontsize=7)
    ax2.set_xticks(range(len(ns)), [str(n) for n in ns])
    ax2.set_yticks(range(len(ms)), [str(m) for m in ms])
    ax2.set_xlabel("n (inputs)")
    ax2.set_ylabel("m (outputs)")
    ax2.set_title("log10(forward / reverse time); auto ran F or R, auto/best")
    fig.colorbar(im, ax=ax2, label="blue: forward faster, red: reverse faster")
    fig.suptitle("dualad: forward versus reverse mode for f(x) = tanh(A @ sin(x))")
    fig.tight_layout()
    path = os.path.abspath(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    print("dualad tour")
    print("===========")
    if not args.sweep_only:
        tour_gradient()
        tour_jacobian()
    rows = tour_sweep(args)
    if not args.no_plot:
        section("4. The crossover, plotted")
        path = plot_crossover(rows, args.out)
        if path:
            print(f"  wrote {path}")
    print(f"\ndone in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
