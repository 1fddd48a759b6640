"""``jacobian(f, mode="auto")``: forward or reverse, chosen per call from n, m and the
cost model, with the pass that discovers m kept."""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Sequence

import numpy as np

from ..core import Box, dtype_of, shape_of
from ..core.tree import flatten, unflatten
from ..cost.model import DEFAULT_CHUNK, FORWARD, REVERSE
from ..cost.work import Work, size_of, tape_work
from ..modes.forward import Dual, ForwardTrace, forward_pass
from ..transforms.common import (argnum_alias, assemble, boxes_of, check_function, selected, split_aux,
                                 strip, strip_tree, with_keywords, wraps)
from ..transforms.forward import jacfwd
from ..transforms.reverse import Recording, batched_sweep, jacobian_from, jacrev
from .machine import model_of, settings_var
from .policy import Decision, Profile, plan, profiles_of, remember

now = time.perf_counter


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


def _seeded(f, leaves, rebuild, kk, new_trace):
    """(f on Duals seeded with the first kk unit directions of the inputs, their trace)."""
    sizes = [size_of(x) for x in leaves]
    eye = np.eye(kk, sum(sizes))
    seeds, off = [], 0
    for x, s in zip(leaves, sizes):
        seeds.append(eye[:, off:off + s].reshape((kk,) + shape_of(x)).astype(dtype_of(x),
                                                                            copy=False))
        off += s
    return forward_pass(new_trace, lambda trace: boxes_of(f(*rebuild(
        [Dual._make(x, seed, trace) for x, seed in zip(leaves, seeds)]))))


def _forward_all(f, leaves, rebuild, structure, has_aux, n):
    """The whole Jacobian from one forward pass with all n directions, m, and the work.

    The computation of ``jacfwd`` with one chunk of n directions, on a counting trace.
    """
    out, trace = _seeded(f, leaves, rebuild, n, _CountingForwardTrace)
    out, aux = split_aux(out, has_aux)
    oleaves, out_tree = flatten(out)
    jac_leaves, m = [], 0
    for o in oleaves:
        v = strip(trace, o)
        t = (o._t if isinstance(o, Box) and o._trace is trace
             else np.zeros((n,) + shape_of(o), dtype=dtype_of(o)))
        m += size_of(v)
        jac_leaves.append(structure(assemble(t, shape_of(v), leaves, True)))
    jac = unflatten(out_tree, jac_leaves)
    jac = (jac, strip_tree(trace, aux)) if has_aux else jac
    return jac, m, trace.work


def _probe(mode, f, args, argnums, has_aux, prof):
    """Seconds the whole Jacobian by ``mode`` would take, from one pass of it: one forward
    pass of k directions (times n / k), or the recorded pass and one sweep (plus m - 1
    more sweeps). The pass's result is dropped: this is the price of measuring."""
    if mode == FORWARD:
        leaves, rebuild, _ = selected(args, argnums)
        t0 = now()
        _seeded(f, leaves, rebuild, prof.k, lambda: ForwardTrace(batched=True))
        return (now() - t0) * prof.n / prof.k
    t0 = now()
    rec = Recording(f, args, argnums, has_aux)
    return _sweep_probe(rec, prof.m, now() - t0, prof.rows)


def _sweep_probe(rec, m, t_rec, rows=1):
    """t_rec + the time of the m / rows sweeps of the recorded pass ``rec`` that reverse
    mode runs (``rows`` Jacobian rows per sweep), from the time of one of them."""
    if rows > 1:
        sizes = [size_of(v) for v in rec.values]
        t0 = now()
        batched_sweep(rec, sizes, 0, rows)
        return t_rec + math.ceil(m / rows) * (now() - t0)
    cts = [np.ones(shape_of(v), dtype=np.result_type(dtype_of(v), np.float32))
           for v in rec.values]
    t0 = now()
    rec.pull(cts)
    return t_rec + m * (now() - t0)


def out_size(rec):
    return sum(size_of(v) for v in rec.values)


def _jac_size(jac, has_aux):
    if has_aux:
        jac = jac[0]
    if type(jac) is np.ndarray:
        return jac.size
    return sum(size_of(x) for x in flatten(jac)[0])


def inputs_of(args, argnums, has_aux):
    """(n, key of the input signature, selected leaves or None) of a call."""
    if type(argnums) is int and -len(args) <= argnums < len(args):
        x = args[argnums]
        if type(x) is np.ndarray and x.dtype.kind == "f":     # the common case, fast
            return x.size, (argnums, has_aux, x.shape, x.dtype.char), None
    sel = selected(args, argnums)
    leaves = sel[0]
    key = (argnums if isinstance(argnums, int) else tuple(argnums), has_aux,
           tuple((type(x), shape_of(x), getattr(x, "dtype", None)) for x in leaves))
    return sum(size_of(x) for x in leaves), key, sel


def auto_jacobian(f, argnums=0, has_aux=False):
    """``jacobian(f, mode="auto")``. The returned function's ``decision`` attribute (a
    ``Decision``) says what its last call chose and why."""
    table = profiles_of(f, {})
    forward = jacfwd(f, argnums, has_aux)

    def jacfun(*args, **kwargs):
        if kwargs:      # passed through to f, undifferentiated: a function of its own
            return auto_jacobian(with_keywords(f, kwargs), argnums, has_aux)(*args)
        settings = settings_var.get()
        n, key, sel = inputs_of(args, argnums, has_aux)
        prof = table.get(key)
        if prof is None:
            jac, jacfun.decision = _first_call(f, args, argnums, has_aux, table, key, n, sel,
                                               settings)
            return jac
        adaptive = settings.adaptive
        decision = prof.decide(model_of(settings), adaptive)
        mode = decision.mode
        if decision.basis == "measuring" and decision.probe is None and adaptive:
            # The mode to be timed has not run for a while: one untimed run first, so that
            # the timing is not of cold caches (this run is the price of measuring).
            if mode == REVERSE:
                jacobian_from(Recording(f, args, argnums, has_aux), has_aux)
            else:
                forward(*args)
        t0 = now()
        if mode == REVERSE:
            rec = Recording(f, args, argnums, has_aux)
            m = out_size(rec)
            if m != prof.m:         # the output size changed: learn afresh
                prof = Profile(n, m, prof.k, tape_work(rec.trace))
                decision = Decision(REVERSE, n, m, prof.k, "discovery", ("resized", prof.m),
                                    rows=prof.rows)
                remember(table, key, prof)
            jac = jacobian_from(rec, has_aux)
        else:
            jac = forward(*args)
            size = jac.size if type(jac) is np.ndarray else _jac_size(jac, has_aux)
            m = size // n if n else prof.m
            if m != prof.m:
                decision = Decision(FORWARD, n, m, prof.k, "discovery", ("resized", prof.m))
                prof = Profile(n, m, prof.k, None)
                remember(table, key, prof)
        if adaptive:
            prof.observe(mode, now() - t0)
            if decision.probe is not None:      # twice: the first may run on cold caches
                prof.observe(decision.probe, min(
                    _probe(decision.probe, f, args, argnums, has_aux, prof),
                    _probe(decision.probe, f, args, argnums, has_aux, prof)))
        jacfun.decision = decision
        return jac

    jacfun = wraps(jacfun, f)
    jacfun.decision = None
    return jacfun


def _first_call(f, args, argnums, has_aux, table, key, n, sel, settings):
    """Discover m (and the work) with a pass whose result is kept."""
    k = max(1, min(n, DEFAULT_CHUNK))
    adaptive = settings.adaptive
    t0 = now()
    if n <= k:
        leaves, rebuild, structure = sel or selected(args, argnums)
        jac, m, work = _forward_all(f, leaves, rebuild, structure, has_aux, n)
        prof = Profile(n, m, k, work)
        if adaptive:
            prof.observe(FORWARD, now() - t0)
        remember(table, key, prof)
        return jac, Decision(FORWARD, n, m, k, "discovery", ("first-forward",),
                             rows=prof.rows)
    rec = Recording(f, args, argnums, has_aux)
    t_rec = now() - t0
    prof = Profile(n, out_size(rec), k, tape_work(rec.trace))
    mode, _, why, _ = plan(prof, model_of(settings), adaptive=False)
    if mode == REVERSE:
        jac = jacobian_from(rec, has_aux)
        if adaptive:
            prof.observe(REVERSE, now() - t0)
    else:
        # The tape is there: one sweep of it measures reverse mode on the side.
        if adaptive:
            prof.observe(REVERSE, _sweep_probe(rec, prof.m, t_rec, prof.rows))
        del rec
        t0 = now()
        jac = jacfwd(f, argnums, has_aux)(*args)
        if adaptive:
            prof.observe(FORWARD, now() - t0)
    remember(table, key, prof)
    return jac, Decision(mode, n, prof.m, k, "discovery", ("first-reverse",) + why,
                         rows=prof.rows)



MODES = {"auto": "auto", "forward": "forward", "fwd": "forward",
         "reverse": "reverse", "rev": "reverse"}


@argnum_alias
def jacobian(f: Callable[..., Any], argnums: int | Sequence[int] = 0, mode: str = "auto",
             has_aux: bool = False) -> Callable[..., Any]:
    """The Jacobian, by the mode that is cheaper for this function on this machine.

    With ``mode="auto"`` the first call discovers the output size m with a pass whose work
    is kept, estimates both modes from a calibrated cost model, and later calls time the
    modes and follow the measurements (per input shape). The returned function's
    ``decision`` attribute says what the last call did and why.

    Args:
        f: The function; outputs and inputs may be containers of floats and arrays.
        argnums: The positional argument to differentiate, or a tuple of them.
        mode: ``"auto"``, ``"forward"`` (``"fwd"``, as ``jacfwd``) or ``"reverse"``
            (``"rev"``, as ``jacrev``).
        has_aux: If True, ``f`` returns ``(output, aux)``.

    Returns:
        A function returning the Jacobian, shaped ``output.shape + input.shape``, or
        ``(jacobian, aux)`` with ``has_aux``.

    Raises:
        ValueError: unknown ``mode``, or ``argnums`` out of range.
        TypeError: an argument cannot be differentiated.

    Examples:
        >>> jac = ad.jacobian(lambda x: np.sin(x) * 2.0)
        >>> jac(np.zeros(2))
        array([[2., 0.],
               [0., 2.]])
        >>> jac.decision.mode in ("forward", "reverse")
        True
    """
    check_function(f, "jacobian")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {sorted(MODES)}, got {mode!r}")
    mode = MODES[mode]
    if mode == "forward":
        return jacfwd(f, argnums, has_aux)
    if mode == "reverse":
        return jacrev(f, argnums, has_aux)

    # Forward or reverse from n, m and the machine's cost model; the pass that discovers m
    # is kept. The returned function's ``decision`` says what it chose and why.
    return auto_jacobian(f, argnums, has_aux)
