"""Forward against reverse measured side by side over an (n, m) sweep: what the demo and
the notebooks plot."""
import gc
import math
import time
from dataclasses import dataclass

import numpy as np

from ..cost.model import FORWARD, REVERSE
from ..transforms.forward import jacfwd
from ..transforms.reverse import jacrev
from .choose import jacobian

now = time.perf_counter


# ------------------------------------------------------------------------------------
# Measuring the crossover (the demo, notebook 03 and the 15% check use this)
# ------------------------------------------------------------------------------------
def sweep_function(n, m, seed=0):
    """The jac_sweep benchmark's f(x) = tanh(A @ sin(x)), A (m, n), and a point x."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) / math.sqrt(max(n, 1))
    x = rng.standard_normal(n)

    def f(x):
        return np.tanh(A @ np.sin(x))
    f.__qualname__ = f"tanh(A @ sin(x)) with A {m}x{n}"
    return f, x


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def time_side_by_side(fns, args, repeat=7, block=2e-3, seed=0, clock="wall", rounds=False):
    """Median seconds per call of each function in ``fns`` ({name: fn}), side by side.

    Each function is warmed up, then run ``repeat`` rounds; in a round every function
    runs once in a shuffled order (fixed seed), as a block of consecutive calls lasting
    about ``block`` seconds, after one untimed call when the function is fast (so that
    the timing does not pay for the caches the previous block emptied).
    The garbage collector is off while timing, as in ``timeit``. ``clock`` "wall" is
    elapsed time; "cpu" is the process's CPU time, which leaves out the time other
    programs on a busy machine take from it. With ``rounds=True`` the per-round times
    come back too: ``(medians, {name: [seconds per call in each round]})``.
    """
    tick = CLOCKS[clock]
    rng = np.random.default_rng(seed)
    inner = {}
    for name, fn in fns.items():
        fn(*args)
        single, spent = math.inf, 0.0
        for _ in range(3):              # the block size from the fastest of three calls
            t0 = now()
            fn(*args)
            dt = now() - t0
            single, spent = min(single, dt), spent + dt
            if spent > 20 * block and single > 10 * block:     # a slow function
                break
        inner[name] = max(1, min(100, int(block / max(single, 1e-7))))
    names = list(fns)
    times = {name: [] for name in names}
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            for i in rng.permutation(len(names)):
                name = names[i]
                fn, r = fns[name], inner[name]
                if r > 1:           # a fast function: one untimed call first, so the
                    fn(*args)       # block does not pay for caches the last one emptied
                t0 = tick()
                for _ in range(r):
                    fn(*args)
                times[name].append((tick() - t0) / r)
    finally:
        if was:
            gc.enable()
    medians = {name: float(np.median(ts)) for name, ts in times.items()}
    return (medians, times) if rounds else medians


@dataclass
class SweepRow:
    """Forward, reverse and auto on one (n, m) cell: median seconds per Jacobian."""

    n: int
    m: int
    forward: float
    reverse: float
    auto: float
    auto_mode: str          # what auto ran on its last call
    auto_basis: str
    paired: float | None = None  # median over rounds of auto / that round's better mode

    @property
    def best(self):
        return min(self.forward, self.reverse)

    @property
    def winner(self):
        return FORWARD if self.forward <= self.reverse else REVERSE

    @property
    def ratio(self):
        """auto / the better fixed mode (medians)."""
        return self.auto / self.best


def crossover_sweep(cells, repeat=7, progress=None, seed=0, clock="wall"):
    """Time jacfwd, jacrev and jacobian(mode="auto") on f(x) = tanh(A @ sin(x)) for each
    (n, m) in ``cells``; ``progress(i, total, cell)`` is called before each cell."""
    rows = []
    cells = list(cells)
    for i, (n, m) in enumerate(cells):
        if progress is not None:
            progress(i, len(cells), (n, m))
        f, x = sweep_function(n, m, seed)
        auto = jacobian(f, mode="auto")
        fns = {FORWARD: jacfwd(f), REVERSE: jacrev(f), "auto": auto}
        t, per = time_side_by_side(fns, (x,), repeat=repeat, seed=seed + i, clock=clock,
                                   rounds=True)
        paired = float(np.median([a / min(fw, rv) for a, fw, rv in
                                  zip(per["auto"], per[FORWARD], per[REVERSE])]))
        d = auto.decision
        rows.append(SweepRow(n, m, t[FORWARD], t[REVERSE], t["auto"], d.mode, d.basis,
                             paired))
    if progress is not None:
        progress(len(cells), len(cells), None)
    return rows


#: The jac_sweep cells of the benchmarks.
JAC_SWEEP = ((1, 1000), (10, 1000), (100, 100), (1000, 10), (1000, 1))
