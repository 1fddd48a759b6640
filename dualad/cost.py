"""Forward or reverse? The cost model behind ``jacobian(mode="auto")``, and ``explain``.

For f: R^n -> R^m, forward mode needs ceil(n/k) passes of k directions each, reverse mode
one recorded pass and backward sweeps: ceil(m/k) sweeps of k rows each on array code (the
cotangents are Duals with k directions, see ``sweep_rows``), m sweeps of one row on
scalar code. Which is cheaper depends on n and m, and on what one pass of each kind costs
for this function on this machine.

What auto does
--------------
1. The first call discovers m with a pass whose work is kept:

   - n <= k: one forward pass with all n directions. It *is* the whole Jacobian, so
     nothing is thrown away whatever m turns out to be.
   - n > k: the recorded pass of reverse mode. It tells m and the function's work (how
     many primitives, elements and multiply-adds), from which the cost model estimates
     both modes. If reverse wins, the tape is swept (m rows); if forward wins, forward
     mode runs and the recorded pass is the only work thrown away.

2. Later calls on inputs of the same shapes plan straight away from what the first call
   learnt (m and the work): no discovery pass at all. Each call times the mode it runs,
   and measured times replace the model's estimates. When the evidence (the model, or a
   first, perhaps cold, timing) puts the other mode within a factor of 2 to 4, the other
   mode is timed too: by running it when one pass of it is the whole Jacobian (forward
   with n <= k, reverse with m = 1), else by a probe on the side -- one forward pass of
   k directions, or the recorded pass and one sweep -- scaled to the whole Jacobian.
   A mode the model puts close but a few timings do not is timed a few more times,
   spread out (a cold start can slow the first calls of a function). While the two are close by measurement the other mode is re-timed after 2, 4,
   8, ... calls, then every ``STALE`` calls, each time after an untimed run, so that
   neither a cold start nor a lucky timing decides for long: close calls rest on recent,
   warm measurements of this function, not on the model.

Why the recorded pass first when n > k: if that guess is wrong, what is thrown away is
one plain pass with a tape; a forward pass of 64 directions, the other candidate, costs
more, and would be thrown away when reverse wins.

The cost model (``CostModel``) has a few constants in seconds per unit of work (per
pass, per primitive, per element, per multiply-add, for each kind of pass), fitted once
per process by a tiny benchmark (``calibrate``, about 70 ms) and cached
(``machine_model``). Inside ``with fixed_model(model):`` auto decides from that model
alone: no timing and no learning, so its choices are deterministic (the tests use this).

``explain(f, x)`` prints (and returns as a ``CostReport``) n, m, the passes each mode
needs, their estimated (and with ``measure=True`` measured) times, the memory the tape of
reverse mode holds, and the choice with its reason.
"""
import array as _array
import contextlib
import contextvars
import math
import threading
import time
import weakref
from dataclasses import dataclass, field

import numpy as np

from . import api as _api
from . import reverse as _reverse
from .core import Box, dtype_of, shape_of
from .forward import Dual, ForwardTrace
from .tree import flatten, unflatten

now = time.perf_counter

FORWARD, REVERSE = "forward", "reverse"
#: Structural primitives: their outputs are views, so they cost no work per element.
STRUCTURAL = frozenset({"reshape", "transpose", "broadcast_to"})


# ------------------------------------------------------------------------------------
# The work of one pass of f
# ------------------------------------------------------------------------------------
@dataclass
class Work:
    """What one evaluation of f does, counted from a recorded tape or a forward pass."""

    ops: int = 0          # primitives applied to arrays (generic tape entries)
    scalar_ops: int = 0   # primitives on Python floats (flat scalar tape entries)
    elements: int = 0     # elements produced by elementwise and reducing primitives
    flops: int = 0        # multiply-adds of matrix products
    gathered: int = 0     # elements of arrays indexed one by one (x[i] on a tape)

    def add(self, prim, primals, out):
        name = prim.name
        if name == "matmul":
            sa = shape_of(primals[0])
            self.flops += _size(out) * (sa[-1] if sa else 1)
            self.ops += 1
        elif name in STRUCTURAL:
            self.ops += 1
        else:
            size = _size(out)
            for p in primals:
                if isinstance(p, (np.ndarray, Box)):
                    size = max(size, _size(p))
            if size == 1 and _is_scalar(out):
                self.scalar_ops += 1
            else:
                self.ops += 1
            self.elements += size


def _size(x):
    return math.prod(shape_of(x))


def _is_scalar(x):
    return isinstance(x, (float, np.float64)) and not isinstance(x, np.ndarray)


def _generic_nodes(trace):
    """The (prim, kw, primals, out, parents) entries of a tape, whatever its layout."""
    generic = getattr(trace, "generic", None)
    if isinstance(generic, dict):
        return list(generic.values())
    return [n for n in getattr(trace, "nodes", ()) if n is not None]


def _flat_entries(trace):
    """(scalar entries, leaves) of a flat-array tape; (0, 0) for a list of nodes."""
    a = getattr(trace, "a", None)
    if not isinstance(a, _array.array) or not len(a):
        return 0, 0
    codes = np.frombuffer(a, dtype=np.int64)
    leaves = int(np.count_nonzero(codes == getattr(_reverse, "LEAF", -1)))
    generic = int(np.count_nonzero(codes == getattr(_reverse, "GENERIC", -2)))
    return len(codes) - leaves - generic, leaves


def tape_work(trace):
    """The ``Work`` recorded on a reverse-mode tape."""
    w = Work()
    for prim, kw, primals, out, parents in _generic_nodes(trace):
        w.add(prim, primals, out)
    w.scalar_ops += _flat_entries(trace)[0]
    w.gathered = int(getattr(trace, "esize", 0))
    return w


def _root(x):
    while isinstance(x, Box):
        x = x.value
    if isinstance(x, np.ndarray):
        while isinstance(x.base, np.ndarray):
            x = x.base
    return x


def _held_bytes(x, seen):
    x = _root(x)
    if id(x) in seen:
        return 0
    if isinstance(x, np.ndarray):
        seen[id(x)] = x     # keep it alive so that its id is not reused while counting
        return int(x.nbytes)
    if isinstance(x, (float, complex, np.generic)):
        seen[id(x)] = x
        return int(np.asarray(x).nbytes)
    return 0


def tape_memory(trace):
    """(bytes held by the tape, of which intermediates) for a recorded reverse pass.

    Counts each distinct array the tape's entries hold once (views count as the array
    they view; a released stand-in is a single NaN), plus the flat arrays of scalar
    entries. "Intermediates" are the arrays
    the recorded primitives produced (their outputs): memory that exists only because
    reverse mode keeps it for the sweep. The rest are inputs and constants of f.
    """
    seen = {}
    flat = 0
    for name in ("a", "b", "da", "db", "scalar"):       # the flat columns of the tape
        column = getattr(trace, name, None)
        if isinstance(column, _array.array):
            flat += len(column) * column.itemsize
    nodes = _generic_nodes(trace)
    produced = getattr(trace, "generic", {})
    inter = flat
    for node in nodes:
        inter += _held_bytes(node[3], seen)
        # an output the tape released (elementwise residuals) is still held when a later
        # entry keeps it as an operand: it counts as an intermediate there
        inter += sum(_held_bytes(p, seen) for p, parent in zip(node[2], node[4])
                     if parent in produced)
    total = inter
    for node in nodes:
        for p in node[2]:
            total += _held_bytes(p, seen)
    return total, inter


# ------------------------------------------------------------------------------------
# The cost model
# ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CostModel:
    """Seconds per unit of work for each kind of pass, on one machine.

    Forward pass with k directions:
        fwd_pass + (ops + scalar_ops) * fwd_op + elements * (element + k * tangent)
        + flops * (flop + k * tangent_flop)
    Recorded pass:
        rec_pass + ops * rec_op + scalar_ops * rec_scalar + elements * element + flops * flop
    One backward sweep:
        sweep_pass + ops * sweep_op + scalar_ops * sweep_scalar
        + elements * sweep_element + flops * flop
    One backward sweep of k rows at once (Dual cotangents with k directions):
        bsweep_pass + ops * bsweep_op + (scalar_ops + gathered) * bsweep_scalar
        + elements * (sweep_element + k * tangent) + flops * (flop + k * tangent_flop)
    """

    fwd_pass: float = 50e-6
    fwd_op: float = 9e-6
    rec_pass: float = 22e-6
    rec_op: float = 5e-6
    rec_scalar: float = 1.2e-6
    sweep_pass: float = 35e-6
    sweep_op: float = 3.8e-6
    sweep_scalar: float = 4e-8
    element: float = 1e-9
    tangent: float = 0.5e-9
    sweep_element: float = 0.4e-9
    bsweep_pass: float = 55e-6
    bsweep_op: float = 9.5e-6
    bsweep_scalar: float = 7e-6
    flop: float = 0.3e-9
    tangent_flop: float = 0.22e-9
    source: str = "default"

    @classmethod
    def default(cls):
        """Constants calibrated on the 2-core development machine (medians of five
        ``calibrate()`` runs), rounded: a fixed, timing-free model."""
        return cls()

    # --- estimates -------------------------------------------------------------------
    def forward_pass(self, w, k):
        return (self.fwd_pass + (w.ops + w.scalar_ops) * self.fwd_op
                + w.elements * (self.element + k * self.tangent)
                + w.flops * (self.flop + k * self.tangent_flop))

    def record(self, w):
        return (self.rec_pass + w.ops * self.rec_op + w.scalar_ops * self.rec_scalar
                + w.elements * self.element + w.flops * self.flop)

    def sweep(self, w):
        return (self.sweep_pass + w.ops * self.sweep_op + w.scalar_ops * self.sweep_scalar
                + w.elements * self.sweep_element + w.flops * self.flop)

    def batched_sweep(self, w, k):
        """One backward sweep computing k rows of the Jacobian (``sweep_rows``)."""
        return (self.bsweep_pass + w.ops * self.bsweep_op
                + (w.scalar_ops + w.gathered) * self.bsweep_scalar
                + w.elements * (self.sweep_element + k * self.tangent)
                + w.flops * (self.flop + k * self.tangent_flop))

    def forward(self, w, n, k):
        """All ceil(n/k) forward passes (the last one with the remaining directions)."""
        if n <= 0:
            return self.forward_pass(w, 0)
        full, rest = divmod(n, k)
        return full * self.forward_pass(w, k) + (self.forward_pass(w, rest) if rest else 0.0)

    def reverse(self, w, m):
        """The recorded pass and the sweeps jacrev runs: m single rows, or ceil(m / rows)
        sweeps of ``rows = sweep_rows(w, m)`` rows each."""
        rows = sweep_rows(w, m)
        if rows <= 1:
            return self.record(w) + m * self.sweep(w)
        full, rest = divmod(m, rows)
        return (self.record(w) + full * self.batched_sweep(w, rows)
                + (self.batched_sweep(w, rest) if rest else 0.0))

    def estimates(self, w, n, m, k):
        """{mode: estimated seconds for the whole Jacobian}."""
        return {FORWARD: self.forward(w, n, k), REVERSE: self.reverse(w, m)}

    def __str__(self):
        us, ns = 1e6, 1e9
        return (f"CostModel ({self.source}): forward pass {self.fwd_pass * us:.1f} us"
                f" + {self.fwd_op * us:.2f} us/primitive + {self.tangent * ns:.2f} ns/tangent"
                f" element; recorded pass {self.rec_pass * us:.1f} us + "
                f"{self.rec_op * us:.2f} us/primitive ({self.rec_scalar * us:.2f} us/scalar"
                f" op); sweep {self.sweep_pass * us:.1f} us + {self.sweep_op * us:.2f} "
                f"us/primitive ({self.sweep_scalar * ns:.0f} ns/scalar op); batched sweep "
                f"{self.bsweep_pass * us:.1f} us + {self.bsweep_op * us:.2f} us/primitive "
                f"({self.bsweep_scalar * us:.2f} us/scalar op); "
                f"{self.element * ns:.2f} ns/element, {self.flop * ns:.2f} ns/multiply-add "
                f"({self.tangent_flop * ns:.2f} ns per direction in forward mode)")


_DEFAULT_MODEL = CostModel()


def sweep_rows(w, m, k=None):
    """Rows of the Jacobian per backward sweep in reverse mode: min(m, k) at once, or 1.

    A sweep of k rows seeds Dual cotangents with k directions, so every VJP rule runs
    under forward mode: array entries cost a few times more but serve k rows (a matrix
    product folds them into one GEMM); scalar entries and gathered elements cost some 10
    us each instead of the tens of nanoseconds of the numba kernel of a plain sweep. The
    choice compares the two by the entry counts of ``w`` under the default model (fixed,
    so jacrev does the same on every machine); elements and multiply-adds cost about the
    same either way and are left out.
    """
    if m < 2:
        return 1
    k = min(m, k or _api.DEFAULT_CHUNK)
    counts = Work(ops=w.ops, scalar_ops=w.scalar_ops, gathered=w.gathered)
    model = _DEFAULT_MODEL
    batched = math.ceil(m / k) * model.batched_sweep(counts, k)
    return k if batched < m * model.sweep(counts) else 1


def _best_time(fn, repeat):
    best = math.inf
    for _ in range(repeat):
        t0 = now()
        fn()
        best = min(best, now() - t0)
    return best


def _chain_function(width, rounds):
    """x (8,) spread to (8, width), then ``rounds`` of tanh(0.5 y + 0.1), summed."""
    w = np.linspace(0.5, 1.5, width)

    def f(x):
        y = x[:, None] * w
        for _ in range(rounds):
            y = np.tanh(0.5 * y + 0.1)
        return np.sum(y)
    return f


def _matvec_function(rows):
    """sum(A @ x) with A (rows, 16)."""
    A = np.linspace(-1.0, 1.0, rows * 16).reshape(rows, 16)

    def f(x):
        return np.sum(A @ x)
    return f


def _scalar_function(steps):
    def f(x):
        y = x
        for _ in range(steps):
            y = y * 0.5 + 0.25
        return y
    return f


def _timings(f, x, repeat):
    """Best-of-``repeat`` seconds of forward mode (one pass, all directions), the recorded
    pass and the sweep of reverse mode (one output), and the work of f."""
    fwd = _api.jacfwd(f)
    rec = _api._Recording(f, (x,), 0, False)
    _api._jacobian_from(rec, False)         # warm up (kernels compile on first use)
    fwd(x)
    F = _best_time(lambda: fwd(x), repeat)
    R = _best_time(lambda: _api._Recording(f, (x,), 0, False), repeat)
    S = _best_time(lambda: _api._jacobian_from(rec, False), repeat)
    return F, R, S, tape_work(rec.trace)


def _batched_timing(f, x, repeat):
    """Best-of-``repeat`` seconds of one backward sweep of f's tape with a Dual cotangent
    (one direction: what batching adds per entry; the directions are priced by
    ``tangent`` and ``tangent_flop``)."""
    rec = _api._Recording(f, (x,), 0, False)
    sizes = [_size(v) for v in rec.values]
    _api._batched_sweep(rec, sizes, 0, 1)
    return _best_time(lambda: _api._batched_sweep(rec, sizes, 0, 1), repeat)


def calibrate(repeat=5):
    """Fit a ``CostModel`` on this machine with a tiny benchmark (tens of milliseconds).

    Each constant comes from a pair of functions that differ only in the work it prices
    (more primitives, more elements, more multiply-adds, more scalar operations), timed
    through the real ``jacfwd`` and ``jacrev`` paths (best of ``repeat``): the difference
    divided by the difference in work. What is left over is the fixed cost of a pass.
    """
    tiny = 1e-12

    def per(a, b, da):
        return max((b - a) / max(da, 1), tiny)

    x8 = np.linspace(0.1, 0.8, 8)
    # per primitive: 1 against 9 rounds of the chain, on 8 elements
    F1, R1, S1, w1 = _timings(_chain_function(1, 1), x8, repeat)
    F2, R2, S2, w2 = _timings(_chain_function(1, 9), x8, repeat)
    dops = w2.ops - w1.ops
    fwd_op, rec_op, sweep_op = per(F1, F2, dops), per(R1, R2, dops), per(S1, S2, dops)
    fwd_pass = max(F1 - w1.ops * fwd_op, tiny)
    rec_pass = max(R1 - w1.ops * rec_op, tiny)
    sweep_pass = max(S1 - w1.ops * sweep_op, tiny)
    B1 = _batched_timing(_chain_function(1, 1), x8, repeat)
    bsweep_op = per(B1, _batched_timing(_chain_function(1, 9), x8, repeat), dops)
    bsweep_pass = max(B1 - w1.ops * bsweep_op, tiny)
    # per element: the chain on 8 x 1 against 8 x 2048 elements (8 directions forward)
    F3, R3, S3, w3 = _timings(_chain_function(1, 3), x8, repeat)
    F4, R4, S4, w4 = _timings(_chain_function(2048, 3), x8, repeat)
    dE = w4.elements - w3.elements
    element, sweep_element = per(R3, R4, dE), per(S3, S4, dE)
    tangent = max((per(F3, F4, dE) - element) / 8, tiny)
    # per multiply-add: A @ x with A 4 x 16 against 16384 x 16 (16 directions forward)
    x16 = np.linspace(-1.0, 1.0, 16)
    F5, R5, S5, w5 = _timings(_matvec_function(4), x16, repeat)
    F6, R6, S6, w6 = _timings(_matvec_function(16384), x16, repeat)
    dF, dE = w6.flops - w5.flops, w6.elements - w5.elements
    flop = max(per(R5, R6, dF) - dE * element / dF, tiny)
    tangent_flop = max((per(F5, F6, dF) - flop - dE * (element + 16 * tangent) / dF) / 16,
                       tiny)
    # per scalar operation: 10 against 60 rounds of y * 0.5 + 0.25 on a float
    _, R7, S7, w7 = _timings(_scalar_function(10), 0.3, repeat)
    _, R8, S8, w8 = _timings(_scalar_function(60), 0.3, repeat)
    dS = w8.scalar_ops - w7.scalar_ops
    bsweep_scalar = per(_batched_timing(_scalar_function(10), 0.3, repeat),
                        _batched_timing(_scalar_function(60), 0.3, repeat), dS)
    return CostModel(fwd_pass=fwd_pass, fwd_op=fwd_op, rec_pass=rec_pass, rec_op=rec_op,
                     rec_scalar=per(R7, R8, dS), sweep_pass=sweep_pass, sweep_op=sweep_op,
                     sweep_scalar=per(S7, S8, dS), element=element, tangent=tangent,
                     sweep_element=sweep_element, flop=flop, tangent_flop=tangent_flop,
                     bsweep_pass=bsweep_pass, bsweep_op=bsweep_op,
                     bsweep_scalar=bsweep_scalar, source="calibrated")


_machine = None
_machine_lock = threading.Lock()


def machine_model(refresh=False):
    """The cost model of this machine: calibrated on first use, then cached per process."""
    global _machine
    if _machine is None or refresh:
        with _machine_lock:
            if _machine is None or refresh:
                _machine = calibrate()
    return _machine


@dataclass(frozen=True)
class _Settings:
    model: object = None      # a CostModel, or None for the machine's
    adaptive: bool = True     # time the passes and learn from them


_settings = contextvars.ContextVar("dualad_cost_settings", default=_Settings())


@contextlib.contextmanager
def fixed_model(model=None):
    """Inside the block, auto and ``explain`` decide from ``model`` alone (default:
    ``CostModel.default()``): nothing is timed or learnt, so choices are deterministic."""
    model = model or CostModel.default()
    token = _settings.set(_Settings(model, adaptive=False))
    try:
        yield model
    finally:
        _settings.reset(token)


def _model_of(settings):
    """The model in force: the one of an enclosing ``fixed_model``, else the machine's."""
    return settings.model if settings.model is not None else machine_model()


# ------------------------------------------------------------------------------------
# What auto learns per function and input shapes
# ------------------------------------------------------------------------------------
TRUST = 2           # timings a mode needs before they count (the first may be cold)
DRIFT = 1.01        # a best timing counts as this factor higher per call since it was taken
EXPLORE = 2.0       # run the other mode when the evidence puts it within this factor,
EXPLORE_PROBE = 4.0  # or probe it (one pass on the side) within this one
RECHECK = 1.25      # ... and time it again while within this factor, until it has
RECHECKS = 3        # this many timings
REPLAN = 16         # once settled, re-plan every this many calls
DOUBT = 8.0         # re-time a mode the model puts close up to this measured factor
STALE = 128         # ... and again after 2, 4, 8 ... at most this many calls


class Profile:
    """m, the work, and the timings of f for one signature of its inputs.

    Per mode it keeps the number of timings, the first one (perhaps cold: compilation,
    caches) and the best one since. When a new timing comes, the best so far counts as
    raised by ``DRIFT`` per call since it was taken, so that a function that became
    slower, or a lucky timing long ago, does not mislead for long.
    """

    __slots__ = ("n", "m", "k", "work", "count", "first", "best", "last", "_est", "_plan",
                 "_calls", "_rows")

    def __init__(self, n, m, k, work):
        self.n, self.m, self.k, self.work = n, m, k, work
        self.count = {FORWARD: 0, REVERSE: 0}
        self.first = {FORWARD: None, REVERSE: None}
        self.best = {FORWARD: None, REVERSE: None}
        self.last = {FORWARD: 0, REVERSE: 0}      # call number of the latest timing
        self._est = None
        self._plan = None       # (model, adaptive, Decision)
        self._calls = 0
        self._rows = None       # (work, rows per backward sweep)

    @property
    def rows(self):
        """Rows of the Jacobian per backward sweep of reverse mode (``sweep_rows``)."""
        r = self._rows
        if r is None or r[0] is not self.work:
            r = self._rows = (self.work, 1 if self.work is None
                              else sweep_rows(self.work, self.m))
        return r[1]

    def observe(self, mode, seconds):
        c = self.count[mode] = self.count[mode] + 1
        if c == 1:
            self.first[mode] = seconds
        elif c == TRUST:
            self.best[mode] = seconds
        else:
            b = self._drifted(mode, max(1, self._calls - self.last[mode]))
            self.best[mode] = seconds if seconds < b else b
        self.last[mode] = self._calls
        if c <= RECHECKS:
            self._plan = None

    def due(self, mode):
        """Whether ``mode`` is due for another timing: 2, 4, 8, ... calls after the
        timings so far (the first ones may have been slowed by a cold start), then every
        ``STALE`` calls."""
        return self._calls - self.last[mode] >= min(2 ** self.count[mode], STALE)

    def _drifted(self, mode, calls):
        return self.best[mode] * DRIFT ** min(calls, 300)

    def measured(self, mode):
        """The best timing of ``mode`` once it has ``TRUST`` timings, else None."""
        return self.best[mode] if self.count[mode] >= TRUST else None

    def estimates(self, model):
        """{mode: seconds} from the model, or None while the work is unknown."""
        est = self._est
        if est is None or est[0] is not model:
            if self.work is None:
                return None
            est = self._est = (model, model.estimates(self.work, self.n, self.m, self.k))
        return est[1]

    def decide(self, model, adaptive, count=True):
        """The ``Decision`` for the next call (re-planned every ``REPLAN`` calls once the
        timings have settled, and after each of the first few timings of a mode)."""
        if count:
            self._calls += 1
        p = self._plan
        if p is not None and p[0] is model and p[1] == adaptive and self._calls % REPLAN:
            return p[2]
        mode, basis, why, probe = plan(self, model, adaptive)
        d = Decision(mode, self.n, self.m, self.k, basis, why, probe, self.rows)
        # A plan to time the other mode is for one call only: never reused.
        self._plan = None if basis == "measuring" else (model, adaptive, d)
        return d


_profiles = weakref.WeakKeyDictionary()
_profiles_lock = threading.Lock()
MAX_SIGNATURES = 32


def _profiles_of(f, local):
    try:
        table = _profiles.get(f)
        if table is None:
            with _profiles_lock:
                table = _profiles.setdefault(f, {})
        return table
    except TypeError:           # f cannot be weakly referenced: per Jacobian function
        return local


def _remember(table, key, prof):
    if len(table) >= MAX_SIGNATURES and key not in table:
        table.pop(next(iter(table)))
    table[key] = prof


def _other(mode):
    return REVERSE if mode == FORWARD else FORWARD


def _ms(t):
    if t is None:
        return "?"
    if t >= 1.0:
        return f"{t:.3g} s"
    return f"{t * 1e3:.3g} ms" if t >= 1e-4 else f"{t * 1e6:.3g} us"


def _s(count, word, plural=None):
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def passes_text(mode, n, m, k, rows=1):
    """"16 forward passes of 64 directions" / "1 recorded pass + 10 sweeps" / "1 recorded
    pass + 2 sweeps of 64 rows" (``rows`` Jacobian rows per sweep)."""
    if mode == FORWARD:
        p = math.ceil(n / k) if n else 1
        return f"{_s(p, 'forward pass', 'forward passes')} of {_s(min(k, n), 'direction')}"
    if rows <= 1:
        return f"1 recorded pass + {_s(m, 'sweep')}"
    return f"1 recorded pass + {_s(math.ceil(m / rows), 'sweep')} of {rows} rows"


def whole(mode, n, m, k, rows=1):
    """Whether one pass of ``mode`` is already the whole Jacobian (n <= k, or m <= rows
    per sweep)."""
    return n <= k if mode == FORWARD else m <= max(rows, 1)


def plan(prof, model, adaptive=True):
    """``(mode, basis, why, probe)`` for the next call with this profile.

    ``mode`` computes the Jacobian. basis: "model" (estimates), "measured" (timings of
    both modes on this function) or "measuring" (the evidence puts the other mode close,
    so it is timed). A mode is timed by running it when one pass of it is the whole
    Jacobian, else by a *probe* on the side (``probe``: one forward pass of k directions,
    or the recorded pass and one sweep) whose time is scaled to the whole Jacobian.
    ``why`` holds the numbers behind the choice; ``reason_text`` makes it a sentence.
    """
    est = prof.estimates(model)
    if adaptive:
        count = prof.count
        mf, mr = prof.measured(FORWARD), prof.measured(REVERSE)
        if mf is not None and mr is not None:
            best, other, tb, to = ((FORWARD, REVERSE, mf, mr) if mf <= mr
                                   else (REVERSE, FORWARD, mr, mf))
            ratio = to / max(tb, 1e-12)
            if ratio < RECHECK:
                # Close: time the other again a few times, then after 2, 4, 8 ... calls.
                again = count[other] < RECHECKS or prof.due(other)
            else:
                # Not close, but the model says so: the first timings may have been slowed
                # by a cold start or unlucky; a few more, spread out (2, 4, 8 ... calls).
                c = count[other]
                again = ((c < RECHECKS or (c < RECHECKS + 3 and prof.due(other)))
                         and est is not None
                         and est[other] < EXPLORE * est[best]
                         and ratio < (EXPLORE if whole(other, prof.n, prof.m, prof.k,
                                                       prof.rows)
                                      else DOUBT))
            if again:
                return _measure(prof, best, other, "measuring",
                                ("recheck", other, to, best, tb))
            return best, "measured", ("measured", best, tb, other, to), None
        if mf is not None or mr is not None:
            have, tb = (FORWARD, mf) if mf is not None else (REVERSE, mr)
            want = _other(have)
            ratio = math.inf
            if est is not None:     # the model's estimate, scaled to the measured mode
                ratio = est[want] / max(est[have], 1e-12)
            if count[want]:         # an untrusted (perhaps cold) timing is evidence too
                ratio = min(ratio, prof.first[want] / max(tb, 1e-12))
            run = whole(want, prof.n, prof.m, prof.k, prof.rows)
            if ratio < (EXPLORE if run else EXPLORE_PROBE):
                return _measure(prof, have, want, "measuring", ("explore", want, ratio, have, tb))
            return have, "model" if est is not None else "measured", (
                "far", have, tb, want, ratio), None
    if est is None:             # nothing known but n <= k: one forward pass covers all
        return FORWARD, "model", ("one-pass",), None
    ef, er = est[FORWARD], est[REVERSE]
    best, other, tb, to = (FORWARD, REVERSE, ef, er) if ef <= er else (REVERSE, FORWARD, er, ef)
    return best, "model", ("estimated", best, tb, other, to), None


def _measure(prof, have, want, basis, why):
    """Time ``want``: run it if one pass is the whole Jacobian, else probe it beside
    ``have``."""
    if whole(want, prof.n, prof.m, prof.k, prof.rows):
        return want, basis, why, None
    return have, basis, why, want


def reason_text(why, n, m, k, rows=1):
    """The sentence for a ``why`` tuple of ``plan`` (or of the first call)."""
    kind = why[0]
    P = lambda mode: passes_text(mode, n, m, k, rows)  # noqa: E731
    if kind == "first-forward":
        return (f"n = {n} fits in one forward pass (up to {_api.DEFAULT_CHUNK} directions): "
                f"it gives the whole Jacobian and tells m; reverse would need {P(REVERSE)}")
    if kind == "first-reverse":
        return (f"n = {n} > {_api.DEFAULT_CHUNK}, so the recorded pass came first to tell m; "
                + reason_text(why[1:], n, m, k, rows))
    if kind == "resized":
        return (f"the output size changed from {why[1]} to {m} since the last call; auto "
                "learns this function afresh")
    if kind == "one-pass":
        return f"n = {n} fits in one forward pass: it gives the whole Jacobian"
    if kind == "estimated":
        _, best, tb, other, to = why
        return (f"estimated {P(best)} {_ms(tb)} against {P(other)} {_ms(to)} "
                f"({to / max(tb, 1e-12):.3g}x)")
    if kind == "measured":
        _, best, tb, other, to = why
        return (f"measured on this function: {P(best)} {_ms(tb)} against {P(other)} "
                f"{_ms(to)} ({to / max(tb, 1e-12):.3g}x)")
    if kind == "recheck":
        _, other, to, best, tb = why
        return (f"timing {P(other)} again: {_ms(to)} is within {to / max(tb, 1e-12):.3g}x "
                f"of {P(best)} ({_ms(tb)})")
    if kind == "explore":
        _, want, ratio, have, tb = why
        return (f"timing {P(want)}: the evidence puts it at {ratio:.3g}x the measured "
                f"{_ms(tb)} of {P(have)}")
    if kind == "far":
        _, have, tb, want, ratio = why
        return (f"{P(have)} measured {_ms(tb)}; {P(want)} would take about {ratio:.3g}x "
                "that")
    return str(why)


class Decision:
    """What ``jacobian(mode="auto")`` did on its last call (``jacfun.decision``).

    ``mode`` ("forward" or "reverse"), ``n``, ``m``, ``k`` (directions per forward pass),
    ``basis`` ("discovery", "model", "measured" or "measuring"), ``rows`` (Jacobian rows
    per backward sweep of reverse mode) and ``reason`` (a sentence with the numbers
    behind the choice).
    """

    __slots__ = ("mode", "n", "m", "k", "basis", "why", "probe", "rows")

    def __init__(self, mode, n, m, k, basis, why, probe=None, rows=1):
        self.mode, self.n, self.m, self.k = mode, n, m, k
        self.basis, self.why, self.probe, self.rows = basis, why, probe, rows

    @property
    def reason(self):
        text = reason_text(self.why, self.n, self.m, self.k, self.rows)
        if self.probe == FORWARD:
            text += f"; timed one forward pass of {self.k} directions on the side"
        elif self.probe == REVERSE:
            text += "; timed the recorded pass and one sweep on the side"
        return text

    @property
    def passes(self):
        return passes_text(self.mode, self.n, self.m, self.k, self.rows)

    def __repr__(self):
        return (f"Decision(mode={self.mode!r}, n={self.n}, m={self.m}, k={self.k}, "
                f"basis={self.basis!r})")

    def __str__(self):
        return f"{self.mode} ({self.basis}): {self.reason}"


# ------------------------------------------------------------------------------------
# Passes
# ------------------------------------------------------------------------------------
class _CountingForwardTrace(ForwardTrace):
    """A batched forward trace that also counts the work of the primitives it processes."""

    def __init__(self):
        super().__init__(batched=True)
        self.work = Work()

    def process(self, prim, args, kw):
        r = super().process(prim, args, kw)
        primals = [a.value if isinstance(a, Box) and a._trace is self else a for a in args]
        self.work.add(prim, primals, r.value if isinstance(r, Box) and r._trace is self else r)
        return r


def _seeded(f, leaves, rebuild, kk, trace):
    """f on Duals of ``trace`` seeded with the first kk unit directions of the inputs."""
    sizes = [_size(x) for x in leaves]
    eye = np.eye(kk, sum(sizes))
    boxed, off = [], 0
    for x, s in zip(leaves, sizes):
        seed = eye[:, off:off + s].reshape((kk,) + shape_of(x)).astype(dtype_of(x), copy=False)
        boxed.append(Dual._make(x, seed, trace))
        off += s
    try:
        return f(*rebuild(boxed))
    finally:
        trace.finish()


def _forward_all(f, leaves, rebuild, structure, has_aux, n):
    """The whole Jacobian from one forward pass with all n directions, m, and the work.

    The computation of ``jacfwd`` with one chunk of n directions, on a counting trace.
    """
    trace = _CountingForwardTrace()
    out = _seeded(f, leaves, rebuild, n, trace)
    out, aux = _api._split_aux(out, has_aux)
    oleaves, out_tree = flatten(out)
    jac_leaves, m = [], 0
    for o in oleaves:
        v = _api._strip(trace, o)
        t = (o._t if isinstance(o, Box) and o._trace is trace
             else np.zeros((n,) + shape_of(o), dtype=dtype_of(o)))
        m += _size(v)
        jac_leaves.append(structure(_api._assemble(t, shape_of(v), leaves, True)))
    jac = unflatten(out_tree, jac_leaves)
    jac = (jac, _api._strip_tree(trace, aux)) if has_aux else jac
    return jac, m, trace.work


def _probe(mode, f, args, argnums, has_aux, prof):
    """Seconds the whole Jacobian by ``mode`` would take, from one pass of it: one forward
    pass of k directions (times n / k), or the recorded pass and one sweep (plus m - 1
    more sweeps). The pass's result is dropped: this is the price of measuring."""
    if mode == FORWARD:
        leaves, rebuild, _ = _api._selected(args, argnums)
        t0 = now()
        _seeded(f, leaves, rebuild, prof.k, ForwardTrace(batched=True))
        return (now() - t0) * prof.n / prof.k
    t0 = now()
    rec = _api._Recording(f, args, argnums, has_aux)
    return _sweep_probe(rec, prof.m, now() - t0, prof.rows)


def _sweep_probe(rec, m, t_rec, rows=1):
    """t_rec + the time of the m / rows sweeps of the recorded pass ``rec`` that reverse
    mode runs (``rows`` Jacobian rows per sweep), from the time of one of them."""
    if rows > 1:
        sizes = [_size(v) for v in rec.values]
        t0 = now()
        _api._batched_sweep(rec, sizes, 0, rows)
        return t_rec + math.ceil(m / rows) * (now() - t0)
    cts = [np.ones(shape_of(v), dtype=np.result_type(dtype_of(v), np.float32))
           for v in rec.values]
    t0 = now()
    rec.pull(cts)
    return t_rec + m * (now() - t0)


def _out_size(rec):
    return sum(_size(v) for v in rec.values)


def _jac_size(jac, has_aux):
    if has_aux:
        jac = jac[0]
    if type(jac) is np.ndarray:
        return jac.size
    return sum(_size(x) for x in flatten(jac)[0])


def _inputs(args, argnums, has_aux):
    """(n, key of the input signature, selected leaves or None) of a call."""
    if type(argnums) is int and -len(args) <= argnums < len(args):
        x = args[argnums]
        if type(x) is np.ndarray and x.dtype.kind == "f":     # the common case, fast
            return x.size, (argnums, has_aux, x.shape, x.dtype.char), None
    sel = _api._selected(args, argnums)
    leaves = sel[0]
    key = (argnums if isinstance(argnums, int) else tuple(argnums), has_aux,
           tuple((type(x), shape_of(x), getattr(x, "dtype", None)) for x in leaves))
    return sum(_size(x) for x in leaves), key, sel


def auto_jacobian(f, argnums=0, has_aux=False):
    """``jacobian(f, mode="auto")``. The returned function's ``decision`` attribute (a
    ``Decision``) says what its last call chose and why."""
    table = _profiles_of(f, {})
    forward = _api.jacfwd(f, argnums, has_aux)
    simple = type(argnums) is int

    def jacfun(*args):
        # This runs on every call, so the common path is written out inline.
        settings = _settings.get()
        x = args[argnums] if simple and -len(args) <= argnums < len(args) else None
        if type(x) is np.ndarray and x.dtype.kind == "f":
            n, key, sel = x.size, (argnums, has_aux, x.shape, x.dtype.char), None
        else:
            n, key, sel = _inputs(args, argnums, has_aux)
        prof = table.get(key)
        if prof is None:
            jac, jacfun.decision = _first_call(f, args, argnums, has_aux, table, key, n, sel,
                                               settings)
            return jac
        model = settings.model
        if model is None:
            model = _machine if _machine is not None else machine_model()
        adaptive = settings.adaptive
        p = prof._plan                  # Profile.decide, inline
        prof._calls += 1
        if p is not None and p[0] is model and p[1] == adaptive and prof._calls % REPLAN:
            decision = p[2]
        else:
            decision = prof.decide(model, adaptive, count=False)
        mode = decision.mode
        if decision.basis == "measuring" and decision.probe is None and adaptive:
            # The mode to be timed has not run for a while: one untimed run first, so that
            # the timing is not of cold caches (this run is the price of measuring).
            if mode == REVERSE:
                _api._jacobian_from(_api._Recording(f, args, argnums, has_aux), has_aux)
            else:
                forward(*args)
        t0 = now()
        if mode == REVERSE:
            rec = _api._Recording(f, args, argnums, has_aux)
            m = _out_size(rec)
            if m != prof.m:         # the output size changed: learn afresh
                prof = Profile(n, m, prof.k, tape_work(rec.trace))
                decision = Decision(REVERSE, n, m, prof.k, "discovery", ("resized", prof.m),
                                    rows=prof.rows)
                _remember(table, key, prof)
            jac = _api._jacobian_from(rec, has_aux)
        else:
            jac = forward(*args)
            size = jac.size if type(jac) is np.ndarray else _jac_size(jac, has_aux)
            m = size // n if n else prof.m
            if m != prof.m:
                decision = Decision(FORWARD, n, m, prof.k, "discovery", ("resized", prof.m))
                prof = Profile(n, m, prof.k, None)
                _remember(table, key, prof)
        if adaptive:
            seconds = now() - t0
            count = prof.count
            c = count[mode]
            last = prof.last
            if c > RECHECKS and prof._calls - last[mode] == 1:
                count[mode] = c + 1     # Profile.observe, inline for a settled mode
                last[mode] = prof._calls
                b = prof.best[mode] * DRIFT
                prof.best[mode] = seconds if seconds < b else b
            else:
                prof.observe(mode, seconds)
            if decision.probe is not None:      # twice: the first may run on cold caches
                prof.observe(decision.probe, min(
                    _probe(decision.probe, f, args, argnums, has_aux, prof),
                    _probe(decision.probe, f, args, argnums, has_aux, prof)))
        jacfun.decision = decision
        return jac

    jacfun = _api._wraps(jacfun, f)
    jacfun.decision = None
    return jacfun


def _first_call(f, args, argnums, has_aux, table, key, n, sel, settings):
    """Discover m (and the work) with a pass whose result is kept."""
    k = max(1, min(n, _api.DEFAULT_CHUNK))
    adaptive = settings.adaptive
    t0 = now()
    if n <= k:
        leaves, rebuild, structure = sel or _api._selected(args, argnums)
        jac, m, work = _forward_all(f, leaves, rebuild, structure, has_aux, n)
        prof = Profile(n, m, k, work)
        if adaptive:
            prof.observe(FORWARD, now() - t0)
        _remember(table, key, prof)
        return jac, Decision(FORWARD, n, m, k, "discovery", ("first-forward",),
                             rows=prof.rows)
    rec = _api._Recording(f, args, argnums, has_aux)
    t_rec = now() - t0
    prof = Profile(n, _out_size(rec), k, tape_work(rec.trace))
    mode, _, why, _ = plan(prof, _model_of(settings), adaptive=False)
    if mode == REVERSE:
        jac = _api._jacobian_from(rec, has_aux)
        if adaptive:
            prof.observe(REVERSE, now() - t0)
    else:
        # The tape is there: one sweep of it measures reverse mode on the side.
        if adaptive:
            prof.observe(REVERSE, _sweep_probe(rec, prof.m, t_rec, prof.rows))
        del rec
        t0 = now()
        jac = _api.jacfwd(f, argnums, has_aux)(*args)
        if adaptive:
            prof.observe(FORWARD, now() - t0)
    _remember(table, key, prof)
    return jac, Decision(mode, n, prof.m, k, "discovery", ("first-reverse",) + why,
                         rows=prof.rows)


# ------------------------------------------------------------------------------------
# The report
# ------------------------------------------------------------------------------------
@dataclass
class CostReport:
    """The cost of a Jacobian of f at one point, by either mode (``dualad.explain``)."""

    function: str
    n: int
    m: int
    k: int                      # directions per forward pass
    forward_passes: int         # ceil(n / k)
    recorded_passes: int        # 1
    reverse_sweeps: int         # m, or ceil(m / sweep_rows) when sweeps are batched
    work: Work
    tape_entries: int           # entries on the tape of reverse mode
    tape_bytes: int             # bytes held by the tape (each array once)
    intermediate_bytes: int     # of which outputs of recorded primitives
    est_forward_pass: float     # seconds for one forward pass with k directions
    est_record: float           # seconds for the recorded pass
    est_sweep: float            # seconds for one backward sweep (of sweep_rows rows)
    est_forward: float          # seconds for the whole Jacobian, forward mode
    est_reverse: float          # seconds for the whole Jacobian, reverse mode
    measured_forward: float = None
    measured_reverse: float = None
    choice: str = ""
    basis: str = ""
    reason: str = ""
    model: CostModel = field(default=None, repr=False)
    sweep_rows: int = 1         # Jacobian rows per backward sweep

    @property
    def forward_text(self):
        return passes_text(FORWARD, self.n, self.m, self.k)

    @property
    def reverse_text(self):
        return passes_text(REVERSE, self.n, self.m, self.k, self.sweep_rows)

    def __str__(self):
        def row(name, passes, est, meas):
            return f"  {name:<8} {passes:<38} {_ms(est):>10} {_ms(meas) if meas else '':>10}"
        lines = [
            f"Jacobian of {self.function}: R^{self.n} -> R^{self.m}",
            f"  {'mode':<8} {'passes':<38} {'estimated':>10} {'measured':>10}",
            row("forward", self.forward_text, self.est_forward, self.measured_forward),
            row("reverse", self.reverse_text, self.est_reverse, self.measured_reverse),
            f"  one forward pass ({min(self.k, self.n)} directions) ~ "
            f"{_ms(self.est_forward_pass)}, recorded pass ~ {_ms(self.est_record)}, "
            f"one sweep{f' of {self.sweep_rows} rows' if self.sweep_rows > 1 else ''} ~ "
            f"{_ms(self.est_sweep)}",
            f"  work per pass: {self.work.ops} array primitives, {self.work.scalar_ops} scalar"
            f" ops, {self.work.elements} elements, {self.work.flops} multiply-adds",
            f"  tape of reverse mode: {self.tape_entries} entries holding "
            f"{_bytes(self.tape_bytes)} ({_bytes(self.intermediate_bytes)} of intermediates)",
            f"  choice: {self.choice} ({self.basis}) -- {self.reason}",
        ]
        return "\n".join(lines)


def _bytes(b):
    for unit in ("B", "kB", "MB", "GB"):
        if b < 1000 or unit == "GB":
            return f"{b:.0f} {unit}" if unit == "B" else f"{b:.1f} {unit}"
        b /= 1000.0


def explain(f, *args, argnums=0, has_aux=False, measure=False, repeat=5, model=None):
    """Which mode ``jacobian(f, mode="auto")`` settles on at ``args``, and why.

    Returns a ``CostReport`` (print it for a table). f runs once on a tape, which gives
    m, the work per pass and the memory the tape holds; the estimates come from ``model``
    (default: the machine's calibrated model, or the one of an enclosing ``fixed_model``).
    With ``measure=True`` both modes are also timed (medians of ``repeat`` interleaved
    runs) and the choice follows the measurements; auto learns from those timings too.
    Without it the choice follows what auto has measured on this function at these input
    shapes, if it has timed both modes, else the estimates.
    """
    settings = _settings.get()
    adaptive = settings.adaptive and model is None
    if model is None:
        model = _model_of(settings)
    n, key, _ = _inputs(args, argnums, has_aux)
    k = max(1, min(n, _api.DEFAULT_CHUNK))
    rec = _api._Recording(f, args, argnums, has_aux)
    m = _out_size(rec)
    work = tape_work(rec.trace)
    held, inter = tape_memory(rec.trace)
    trace = rec.trace
    entries = len(trace) if hasattr(trace, "__len__") else len(_generic_nodes(trace))
    del rec, trace
    est = model.estimates(work, n, m, k)
    rows = sweep_rows(work, m)
    table = _profiles_of(f, {})
    prof = table.get(key)
    if prof is None or prof.m != m:
        prof = Profile(n, m, k, work)
        if adaptive:
            _remember(table, key, prof)
    elif prof.work is None:
        prof.work = work
    mf = mr = None
    if measure:
        fwd = _api.jacfwd(f, argnums, has_aux)
        rev = _api.jacrev(f, argnums, has_aux)
        fwd(*args), rev(*args)                  # warm up
        tf, tr = [], []
        for _ in range(max(1, repeat)):
            for fn, ts in ((fwd, tf), (rev, tr)):
                t0 = now()
                fn(*args)
                ts.append(now() - t0)
        mf, mr = float(np.median(tf)), float(np.median(tr))
        if adaptive:
            for t in tf:
                prof.observe(FORWARD, t)
            for t in tr:
                prof.observe(REVERSE, t)
    elif adaptive:
        mf, mr = prof.measured(FORWARD), prof.measured(REVERSE)
        if mf is None or mr is None:
            mf = mr = None
    if mf is not None and mr is not None:
        choice, tb, to = (FORWARD, mf, mr) if mf <= mr else (REVERSE, mr, mf)
        basis, why = "measured", ("measured", choice, tb, _other(choice), to)
    else:
        choice, tb, to = ((FORWARD, est[FORWARD], est[REVERSE]) if est[FORWARD] <= est[REVERSE]
                          else (REVERSE, est[REVERSE], est[FORWARD]))
        basis, why = "model", ("estimated", choice, tb, _other(choice), to)
    name = getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)
    return CostReport(
        function=name, n=n, m=m, k=k,
        forward_passes=math.ceil(n / k) if n else 1, recorded_passes=1,
        reverse_sweeps=math.ceil(m / rows) if rows > 1 else m, sweep_rows=rows,
        work=work, tape_entries=entries, tape_bytes=held, intermediate_bytes=inter,
        est_forward_pass=model.forward_pass(work, k), est_record=model.record(work),
        est_sweep=model.batched_sweep(work, rows) if rows > 1 else model.sweep(work),
        est_forward=est[FORWARD], est_reverse=est[REVERSE],
        measured_forward=mf if measure else None, measured_reverse=mr if measure else None,
        choice=choice, basis=basis, reason=reason_text(why, n, m, k, rows), model=model)


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
    import gc
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
    paired: float = None    # median over rounds of auto / the better fixed mode that round

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
        auto = _api.jacobian(f, mode="auto")
        fns = {FORWARD: _api.jacfwd(f), REVERSE: _api.jacrev(f), "auto": auto}
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


#: The jac_sweep cells of the benchmarks (issue 5).
JAC_SWEEP = ((1, 1000), (10, 1000), (100, 100), (1000, 10), (1000, 1))


__all__ = ["CostModel", "CostReport", "Decision", "JAC_SWEEP", "SweepRow", "Work",
           "calibrate", "crossover_sweep", "explain", "sweep_function", "time_side_by_side",
           "fixed_model", "machine_model", "passes_text", "plan", "tape_memory",
           "tape_work"]
