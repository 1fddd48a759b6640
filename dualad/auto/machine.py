"""Fitting the cost model to this machine: a tiny benchmark, once per process, and
``fixed_model`` for deterministic choices."""
from __future__ import annotations

import contextlib
import contextvars
import math
import threading
import time
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ..accel.kernels import numba_enabled, numba_loaded
from ..cost.model import CostModel
from ..cost.work import size_of, tape_work
from ..transforms.forward import jacfwd
from ..transforms.reverse import Recording, batched_sweep, jacobian_from

now = time.perf_counter


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
    fwd = jacfwd(f)
    rec = Recording(f, (x,), 0, False)
    jacobian_from(rec, False)         # warm up (kernels compile on first use)
    fwd(x)
    F = _best_time(lambda: fwd(x), repeat)
    R = _best_time(lambda: Recording(f, (x,), 0, False), repeat)
    S = _best_time(lambda: jacobian_from(rec, False), repeat)
    return F, R, S, tape_work(rec.trace)


def _batched_timing(f, x, repeat):
    """Best-of-``repeat`` seconds of one backward sweep of f's tape with a Dual cotangent
    (one direction: what batching adds per entry; the directions are priced by
    ``tangent`` and ``tangent_flop``)."""
    rec = Recording(f, (x,), 0, False)
    sizes = [size_of(v) for v in rec.values]
    batched_sweep(rec, sizes, 0, 1)
    return _best_time(lambda: batched_sweep(rec, sizes, 0, 1), repeat)


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
    scalar = _scalar_constants(repeat, per) if scalar_ready() else {}
    return CostModel(fwd_pass=fwd_pass, fwd_op=fwd_op, rec_pass=rec_pass, rec_op=rec_op,
                     sweep_pass=sweep_pass, sweep_op=sweep_op, element=element,
                     tangent=tangent, sweep_element=sweep_element, flop=flop,
                     tangent_flop=tangent_flop, bsweep_pass=bsweep_pass, bsweep_op=bsweep_op,
                     source="calibrated" if scalar else SCALAR_DEFAULTS, **scalar)


#: The source of a model whose scalar constants are still the defaults (numba not loaded).
SCALAR_DEFAULTS = "calibrated (scalar ops: defaults until numba is loaded)"


def scalar_ready():
    """Whether scalar tapes can be timed as they will run: their sweep kernel is numba's,
    and calibrating must not be what imports numba (array code never needs it)."""
    return numba_loaded() or not numba_enabled()


def _scalar_constants(repeat, per):
    """The per-scalar-operation constants: 10 against 60 rounds of y * 0.5 + 0.25."""
    _, R7, S7, w7 = _timings(_scalar_function(10), 0.3, repeat)
    _, R8, S8, w8 = _timings(_scalar_function(60), 0.3, repeat)
    dS = w8.scalar_ops - w7.scalar_ops
    bsweep_scalar = per(_batched_timing(_scalar_function(10), 0.3, repeat),
                        _batched_timing(_scalar_function(60), 0.3, repeat), dS)
    return dict(rec_scalar=per(R7, R8, dS), sweep_scalar=per(S7, S8, dS),
                bsweep_scalar=bsweep_scalar)


_machine = None
_machine_lock = threading.Lock()


def machine_model(refresh=False):
    """The cost model of this machine: calibrated on first use, then cached per process
    (calibrated again once numba is loaded, if its scalar constants were defaults)."""
    global _machine
    if _machine is not None and _machine.source == SCALAR_DEFAULTS and scalar_ready():
        refresh = True
    if _machine is None or refresh:
        with _machine_lock:
            if _machine is None or refresh:
                _machine = calibrate()
    return _machine


@dataclass(frozen=True)
class _Settings:
    model: object = None      # a CostModel, or None for the machine's
    adaptive: bool = True     # time the passes and learn from them


settings_var = contextvars.ContextVar("dualad_cost_settings", default=_Settings())


@contextlib.contextmanager
def fixed_model(model: CostModel | None = None) -> Iterator[CostModel]:
    """A context manager: inside it auto and ``explain`` decide from ``model`` alone.

    Nothing is timed or learnt, so choices are deterministic (tests, reproducible runs).

    Args:
        model: The ``CostModel`` to use (default: ``CostModel.default()``).

    Returns:
        The context manager; ``with fixed_model() as m`` binds the model.

    Examples:
        >>> with ad.fixed_model() as model:
        ...     jac = ad.jacobian(lambda x: np.sum(x ** 2))
        ...     J = jac(np.ones(1000))
        >>> jac.decision.mode, model.source
        ('reverse', 'default')
    """
    model = model or CostModel.default()
    token = settings_var.set(_Settings(model, adaptive=False))
    try:
        yield model
    finally:
        settings_var.reset(token)


def model_of(settings):
    """The model in force: the one of an enclosing ``fixed_model``, else the machine's."""
    return settings.model if settings.model is not None else machine_model()
