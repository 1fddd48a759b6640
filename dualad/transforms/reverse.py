"""Reverse-mode transforms: ``vjp``, ``grad``, ``value_and_grad`` and ``jacrev``.

``Recording`` is f evaluated once on a fresh tape, ready for any number of backward
sweeps. ``jacrev`` sweeps up to DEFAULT_CHUNK rows at once when the tape is array code:
the VJP is linear in the cotangent, so forward mode over the sweep (Dual cotangents with
zero values and unit rows as tangents) gives k rows in one sweep (``batched_sweep``).
"""
import math

import numpy as np

from ..core import Box, dtype_of, shape_of
from ..core.tree import flatten, unflatten
from ..cost import Work, sweep_rows
from ..modes.forward import Dual, ForwardTrace
from ..modes.reverse import ReverseTrace, sweep
from .common import (boxes_of, cat, concrete, like, selected, split_aux, strip, strip_tree,
                     wraps)


class Recording:
    """f evaluated once on a fresh tape, ready for any number of backward sweeps."""

    def __init__(self, f, args, argnums, has_aux):
        self.leaves, rebuild, self.structure = selected(args, argnums)
        self.trace = trace = ReverseTrace()
        self.inputs = [trace.leaf(x) for x in self.leaves]
        # read now: f may write into an input (x[0] = ...), which rebinds its box
        self.input_slots = [b.slot for b in self.inputs]
        try:
            out = boxes_of(f(*rebuild(self.inputs)))
        finally:
            trace.finish()
        out, aux = split_aux(out, has_aux)
        self.out_leaves, self.out_tree = flatten(out)
        self.values = [strip(trace, o) for o in self.out_leaves]
        self.aux = strip_tree(trace, aux)

    def pull(self, cotangents):
        """Input cotangents (one per input leaf) for output cotangents (one per out leaf)."""
        seeds = {}
        for o, c in zip(self.out_leaves, cotangents):
            if isinstance(o, Box) and o._trace is self.trace and c is not None:
                seeds[o.slot] = seeds[o.slot] + c if o.slot in seeds else c
        wanted = self.input_slots
        adj = sweep(self.trace, seeds, wanted) if seeds else [None] * len(wanted)
        return [like(g, x) for g, x in zip(adj, self.leaves)]

    def output(self):
        return unflatten(self.out_tree, [concrete(v) for v in self.values])

    def rows_per_sweep(self, m):
        """How many of the m Jacobian rows one backward sweep of this tape computes:
        ``cost.sweep_rows`` of the tape's entry counts (array code: up to DEFAULT_CHUNK
        rows at once; scalar code: one)."""
        if m < 2:
            return 1
        trace = self.trace
        generic = len(trace.generic)
        counts = Work(ops=generic, scalar_ops=len(trace) - generic - len(self.inputs),
                      gathered=trace.esize)
        return sweep_rows(counts, m)


def vjp(f, *primals, has_aux=False):
    """``(f(*primals), vjp_fn)``; ``vjp_fn(ct)`` returns one cotangent per primal (a tuple)."""
    rec = Recording(f, primals, tuple(range(len(primals))), has_aux)

    def vjp_fn(ct):
        cleaves, cdef = flatten(ct)
        if cdef != rec.out_tree:
            raise ValueError("the cotangent must have the structure of f's output")
        fixed = []
        for c, v in zip(cleaves, rec.values):
            if not isinstance(c, Box):
                c = np.asarray(c, dtype=np.result_type(dtype_of(v), np.float32))
            if shape_of(c) != shape_of(v):
                raise ValueError(f"cotangent shape {shape_of(c)} differs from the output "
                                 f"shape {shape_of(v)}")
            fixed.append(c)
        return rec.structure(rec.pull(fixed))

    out = rec.output()
    return (out, vjp_fn, rec.aux) if has_aux else (out, vjp_fn)


def value_and_grad(f, argnums=0, has_aux=False):
    """A function returning ``(f(*args), gradient)``; f must return one real float."""
    def vg(*args):
        rec = Recording(f, args, argnums, has_aux)
        if len(rec.values) != 1:
            raise TypeError("grad requires f to return a single scalar, not a container; "
                            "use jacobian or vjp for several outputs")
        value = rec.values[0]
        _check_scalar(value)
        seed = _unit(value)
        grads = rec.structure(rec.pull([seed]))
        value = concrete(value)
        return ((value, rec.aux), grads) if has_aux else (value, grads)
    return wraps(vg, f)


def _unit(value):
    """The seed 1 shaped and typed like the scalar output ``value`` (a fresh 0-d array for
    a float64 scalar, made without np.ones' Python overhead)."""
    if type(value) is np.float64 or type(value) is float:
        return np.array(1.0)
    return np.ones(shape_of(value), dtype=dtype_of(value))


def _check_scalar(value):
    if type(value) is np.float64 or type(value) is float:   # a real scalar: fine
        return
    dt = dtype_of(value)
    if dt.kind == "c":
        raise TypeError("grad requires a real-valued output, got complex; differentiate "
                        "np.real(f) or np.abs(f), or use vjp")
    if dt.kind != "f":
        raise TypeError(f"grad requires a float output, got dtype {dt}; an integer or "
                        "boolean result carries no derivative")
    shape = shape_of(value)
    if math.prod(shape) != 1:
        raise TypeError(f"grad requires a scalar output (one element), but f returned shape "
                        f"{shape}; use dualad.jacobian for the full Jacobian or dualad.vjp "
                        "for a vector-Jacobian product")


def grad(f, argnums=0, has_aux=False):
    """The gradient of a scalar function by reverse mode."""
    vg = value_and_grad(f, argnums, has_aux)

    def g(*args):
        res = vg(*args)
        if has_aux:
            (_, aux), grads = res
            return grads, aux
        return res[1]
    return wraps(g, f)


def jacrev(f, argnums=0, has_aux=False):
    """The Jacobian by reverse mode: one recorded pass, then backward sweeps of up to
    ``DEFAULT_CHUNK`` rows each (one row per sweep on tapes of scalar code)."""
    def jacfun(*args):
        return jacobian_from(Recording(f, args, argnums, has_aux), has_aux)
    return wraps(jacfun, f)


def jacobian_from(rec, has_aux):
    """The Jacobian from a recorded pass, all output leaves stacked into m rows."""
    sizes = [math.prod(shape_of(v)) for v in rec.values]
    m = sum(sizes)
    k = rec.rows_per_sweep(m)
    rows = None
    if k > 1:
        try:
            rows = _rows_batched(rec, sizes, k)
        except Exception:
            # A VJP rule that forward mode cannot differentiate (a custom primitive's,
            # say, or one leaving NumPy): sweep row by row, which needs no more than
            # reverse mode itself (and raises its own error if that fails too).
            rows = None
    if rows is None:
        rows = _rows_per_sweep(rec, sizes)
    jac_leaves, off = [], 0
    for v, size in zip(rec.values, sizes):
        shape = tuple(shape_of(v))
        jac_leaves.append(rec.structure([
            r[off:off + size].reshape(shape + tuple(shape_of(x)))
            for r, x in zip(rows, rec.leaves)]))
        off += size
    jac = unflatten(rec.out_tree, jac_leaves)
    return (jac, rec.aux) if has_aux else jac


def _row_dtype(v):
    return np.result_type(dtype_of(v), np.float32)


def _rows_per_sweep(rec, sizes):
    """Per input leaf, the (m, size) block of Jacobian rows: one backward sweep per row."""
    rows = [[] for _ in rec.leaves]
    for j, (v, size) in enumerate(zip(rec.values, sizes)):
        dt, shape = _row_dtype(v), shape_of(v)
        for r in range(size):
            cts = [None] * len(rec.values)
            e = np.zeros(size, dtype=dt)
            e[r] = 1.0
            cts[j] = e.reshape(shape)
            for acc, g in zip(rows, rec.pull(cts)):
                acc.append(_flat(g))
    return [_stack_rows(acc, x) for acc, x in zip(rows, rec.leaves)]


def _stack_rows(acc, x):
    """np.stack of the rows ``acc`` (a fresh array; one plain row skips np.stack's Python
    overhead, the common case of a scalar output)."""
    if len(acc) == 1 and type(acc[0]) is np.ndarray:
        return acc[0][None].copy()
    if acc:
        return np.stack(acc)
    return np.zeros((0, math.prod(shape_of(x))), dtype_of(x))


def _rows_batched(rec, sizes, k):
    """Per input leaf, the (m, size) block of Jacobian rows, k rows per backward sweep."""
    m = sum(sizes)
    chunks = [batched_sweep(rec, sizes, start, min(k, m - start))
              for start in range(0, m, k)]
    return [cat([c[i] for c in chunks]) for i in range(len(rec.leaves))]


def batched_sweep(rec, sizes, start, kk):
    """Rows start .. start + kk of the Jacobian (per input leaf) from one backward sweep.

    The VJP is linear in the cotangent, so forward mode over the sweep gives J^T u for kk
    directions u at once: the output cotangents are Duals with zero values and the unit
    rows as tangents, and the tangents of the input adjoints are those rows of J.
    """
    trace = ForwardTrace(batched=True)
    cts, off = [], 0
    for v, size in zip(rec.values, sizes):
        lo, hi = max(start, off), min(start + kk, off + size)
        if lo >= hi:
            cts.append(None)
        else:
            seed = np.zeros((kk, size), dtype=_row_dtype(v))
            seed[np.arange(lo, hi) - start, np.arange(lo, hi) - off] = 1.0
            shape = tuple(shape_of(v))
            cts.append(Dual._make(np.zeros(shape, seed.dtype), seed.reshape((kk,) + shape),
                                  trace))
        off += size
    try:
        adj = rec.pull(cts)
    finally:
        trace.finish()
    return [_rows_of(g, x, kk, trace) for g, x in zip(adj, rec.leaves)]


def _rows_of(g, x, kk, trace):
    """The (kk, size) rows carried by the tangent of the input adjoint ``g`` of ``x``."""
    if isinstance(g, Box) and g._trace is trace:
        t = g._t
    else:       # no seeded output depends on x through this chunk's rows
        t = np.zeros((kk,) + tuple(shape_of(x)), dtype_of(x))
    t = t.reshape((kk, -1))
    return t if isinstance(t, Box) else t.astype(dtype_of(x), copy=False)


def _flat(g):
    return g.reshape((-1,)) if isinstance(g, Box) or type(g) is np.ndarray \
        else np.reshape(g, (-1,))
