"""Reverse-mode transforms: ``vjp``, ``grad``, ``value_and_grad`` and ``jacrev``.

``Recording`` is f evaluated once on a fresh tape, ready for any number of backward
sweeps. ``jacrev`` sweeps up to DEFAULT_CHUNK rows at once when the tape is array code:
the VJP is linear in the cotangent, so forward mode over the sweep (Dual cotangents with
zero values and unit rows as tangents) gives k rows in one sweep (``batched_sweep``).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from ..core import Box, dtype_of, shape_of
from ..core.tree import flatten, tree_map, unflatten
from ..cost import Work, sweep_rows
from ..modes.forward import Dual, ForwardTrace
from ..modes.reverse import ReverseTrace, sweep
from .common import (argnum_alias, boxes_of, cat, check_function, check_holomorphic, concrete, like,
                     selected, split_aux, strip, strip_tree, with_keywords, wraps)


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


def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """``f``'s value and a function for vector-Jacobian products, by reverse mode.

    ``f`` is recorded once; each call of the returned ``vjp_fn(cotangent)`` sweeps the
    record backwards and returns ``cotangent @ J`` for each argument.

    Args:
        f: The function; its output may be any container of floats and arrays.
        *primals: ``f``'s positional arguments.
        has_aux: If True, ``f`` returns ``(output, aux)``.

    Returns:
        ``(output, vjp_fn)``, or ``(output, vjp_fn, aux)`` with ``has_aux``. ``vjp_fn`` takes a
        cotangent with the output's structure and shapes and returns a tuple with one
        cotangent per primal.

    Raises:
        ValueError: (from ``vjp_fn``) the cotangent's structure or shapes differ from the
            output's.

    Examples:
        >>> out, vjp_fn = ad.vjp(lambda x, y: x * y, 2.0, 3.0)
        >>> out, vjp_fn(1.0)
        (6.0, (3.0, 2.0))
    """
    check_function(f, "vjp")
    # The pullback may be called after the caller has written into its inputs: the tape
    # reads copies of them (a read-only array is kept as it is).
    primals = tuple(tree_map(_own, p) for p in primals)
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


def _own(x):
    return x.copy() if type(x) is np.ndarray and x.flags.writeable else x


@argnum_alias
def value_and_grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0,
                   has_aux: bool = False, holomorphic: bool = False) -> Callable[..., Any]:
    """A function returning ``f``'s value and its gradient, from one recorded pass.

    Args:
        f: The function to differentiate; it must return one real number.
        argnums: The positional argument to differentiate, or a tuple of them.
        has_aux: If True, ``f`` returns ``(value, aux)``.
        holomorphic: Complex inputs and a complex-analytic ``f``: the complex derivative
            f'(z), as JAX gives it. ``argnum=`` is accepted for ``argnums`` (autograd's name).

    Returns:
        A function with ``f``'s arguments returning ``(value, gradient)``, or
        ``((value, aux), gradient)`` with ``has_aux`` (the layout ``jax.value_and_grad`` uses).

    Raises:
        TypeError: ``f`` did not return one real number, or an argument cannot be
            differentiated.
        ValueError: ``argnums`` is out of range.

    Examples:
        >>> value, g = ad.value_and_grad(lambda x: np.sum(x ** 2))(np.array([1.0, 2.0]))
        >>> value, g
        (5.0, array([2., 4.]))
    """
    check_function(f, "value_and_grad")

    def vg(*args, **kwargs):
        rec = Recording(with_keywords(f, kwargs), args, argnums, has_aux)
        if len(rec.values) != 1:
            raise TypeError("grad requires f to return a single scalar, not a container; "
                            "use jacobian or vjp for several outputs")
        value = rec.values[0]
        if holomorphic:
            check_holomorphic("grad", rec.leaves, "inputs")
            check_holomorphic("grad", [value], "outputs")
        _check_scalar(value, holomorphic)
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


def _check_scalar(value, holomorphic=False):
    if type(value) is np.float64 or type(value) is float:   # a real scalar: fine
        return
    dt = dtype_of(value)
    if dt.kind == "c" and not holomorphic:
        raise TypeError("grad requires a real-valued output, got complex; differentiate "
                        "np.real(f) or np.abs(f), pass holomorphic=True if f is "
                        "complex-analytic, or use vjp")
    if dt.kind not in "fc":
        raise TypeError(f"grad requires a float output, got dtype {dt}; an integer or "
                        "boolean result carries no derivative")
    shape = shape_of(value)
    if math.prod(shape) != 1:
        raise TypeError(f"grad requires a scalar output (one element), but f returned shape "
                        f"{shape}; use dualad.jacobian for the full Jacobian or dualad.vjp "
                        "for a vector-Jacobian product")


@argnum_alias
def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0,
         has_aux: bool = False, holomorphic: bool = False) -> Callable[..., Any]:
    """The gradient of a scalar function, by reverse mode.

    One recorded pass of ``f`` and one backward sweep, whatever the number of inputs.

    Args:
        f: The function to differentiate. It must return one real number: a float or a
            one-element float array.
        argnums: The positional argument to differentiate, or a tuple of them.
        has_aux: If True, ``f`` returns ``(value, aux)``; ``aux`` is passed through with
            no derivative.
        holomorphic: Complex inputs and a complex-analytic ``f``: the complex derivative
            f'(z), as JAX gives it. ``argnum=`` is accepted for ``argnums`` (autograd's name).

    Returns:
        A function with ``f``'s arguments that returns the gradient, shaped like the
        selected argument (containers keep their structure; a tuple of gradients for a tuple
        ``argnums``), or ``(gradient, aux)`` with ``has_aux``.

    Raises:
        TypeError: ``f`` returned several numbers (use ``jacobian`` or ``vjp``), a complex or
            an integer value, or an argument is not a float, a float array or a container of
            them.
        ValueError: ``argnums`` is out of range.
        NotDifferentiableError: ``f`` applies an operation that has no derivative rule.
        ConcretizationError: ``f`` turns a traced value into a plain number (``float(x)``,
            ``math.sin(x)``).

    Examples:
        >>> ad.grad(lambda x: x ** 3)(2.0)
        12.0
        >>> ad.grad(lambda x: np.sum(np.sin(x)))(np.array([0.0, np.pi]))
        array([ 1., -1.])
        >>> ad.grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 3.0)
        (3.0, 2.0)
    """
    check_function(f, "grad")
    vg = value_and_grad(f, argnums, has_aux, holomorphic)

    def g(*args, **kwargs):
        res = vg(*args, **kwargs)
        if has_aux:
            (_, aux), grads = res
            return grads, aux
        return res[1]
    return wraps(g, f)


@argnum_alias
def jacrev(f: Callable[..., Any], argnums: int | Sequence[int] = 0,
           has_aux: bool = False, holomorphic: bool = False) -> Callable[..., Any]:
    """The Jacobian by reverse mode: one recorded pass, then backward sweeps.

    Each sweep gives up to 64 rows on array code (cotangents carried as Duals), one row on
    tapes of scalar code; cheap when the output is small.

    Args:
        f: The function; outputs and inputs may be containers of floats and arrays.
        argnums: The positional argument to differentiate, or a tuple of them.
        has_aux: If True, ``f`` returns ``(output, aux)``.
        holomorphic: Complex inputs and a complex-analytic ``f``: the complex derivative
            f'(z), as JAX gives it. ``argnum=`` is accepted for ``argnums`` (autograd's name).

    Returns:
        A function returning the Jacobian, shaped ``output.shape + input.shape``, or
        ``(jacobian, aux)`` with ``has_aux``.

    Raises:
        TypeError: an argument cannot be differentiated (not a float or float array).
        ValueError: ``argnums`` is out of range.

    Examples:
        >>> ad.jacrev(lambda x: np.stack([x[0] * x[1], x[0] + x[1]]))(np.array([2.0, 3.0]))
        array([[3., 2.],
               [1., 1.]])
    """
    check_function(f, "jacrev")

    def jacfun(*args, **kwargs):
        rec = Recording(with_keywords(f, kwargs), args, argnums, has_aux)
        if holomorphic:
            check_holomorphic("jacrev", rec.leaves, "inputs")
            check_holomorphic("jacrev", rec.values, "outputs")
        return jacobian_from(rec, has_aux)
    return wraps(jacfun, f)


@argnum_alias
def elementwise_grad(f: Callable[..., Any],
                     argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """autograd's ``elementwise_grad``: the VJP of a cotangent of ones, in one reverse pass.

    For ``f`` acting elementwise (a diagonal Jacobian) that is the derivative of each
    output with respect to its own input; in general it is the sum of the Jacobian's rows.

    Args:
        f: A function returning one real float array.
        argnums: The positional argument to differentiate, or a tuple of them.

    Returns:
        A function with ``f``'s arguments returning ``ones @ J``, shaped like the argument.

    Raises:
        TypeError: ``f`` returned a container, or a complex or integer array (use ``vjp``).

    Examples:
        >>> ad.elementwise_grad(np.tanh)(np.array([0.0, 1.0]))
        array([1.        , 0.41997434])
    """
    def eg(*args):
        rec = Recording(f, args, argnums, False)
        if len(rec.values) != 1:
            raise TypeError("elementwise_grad requires f to return one array, not a "
                            "container; use vjp for several outputs")
        value = rec.values[0]
        if dtype_of(value).kind not in "f":
            raise TypeError(f"elementwise_grad requires a real float output, got dtype "
                            f"{dtype_of(value)}; use vjp")
        return rec.structure(rec.pull([np.ones(shape_of(value), dtype_of(value))]))
    return wraps(eg, f)


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
    seeds, off = [], 0
    for v, size in zip(rec.values, sizes):
        lo, hi = max(start, off), min(start + kk, off + size)
        if lo >= hi:
            seeds.append(None)
        else:
            seed = np.zeros((kk, size), dtype=_row_dtype(v))
            seed[np.arange(lo, hi) - start, np.arange(lo, hi) - off] = 1.0
            seeds.append(seed.reshape((kk,) + tuple(shape_of(v))))
        off += size
    return seeded_sweep(rec, seeds, kk)


def seeded_sweep(rec, seeds, kk):
    """u @ J for kk cotangents u at once, from one backward sweep: ``seeds`` holds per
    output leaf the (kk,) + shape rows of u (or None); returns per input leaf the
    (kk, size) products."""
    trace = ForwardTrace(batched=True)
    cts = [None if s is None else Dual._make(np.zeros(shape_of(s)[1:], s.dtype), s, trace)
           for s in seeds]
    try:
        adj = rec.pull(cts)
    finally:
        trace.finish()
    return [_rows_of(g, x, kk, trace) for g, x in zip(adj, rec.leaves)]


def vjps(f, x, cotangents):
    """``(f(x), cotangents @ J)`` for an array x and k cotangents ``(k,) + f(x).shape``:
    one recorded pass and one batched backward sweep give the k products as
    ``(k,) + x.shape``. The unit of work of a compressed (sparse) Jacobian by rows."""
    rec = Recording(f, (x,), 0, False)
    if len(rec.values) != 1:
        raise TypeError("vjps needs f to return one array")
    seeds = np.asarray(cotangents, dtype=_row_dtype(rec.values[0]))
    k = seeds.shape[0]
    (rows,) = seeded_sweep(rec, [seeds.reshape((k,) + tuple(shape_of(rec.values[0])))], k)
    return rec.output(), rows.reshape((k,) + tuple(shape_of(rec.leaves[0])))


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
