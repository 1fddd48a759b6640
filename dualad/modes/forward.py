"""Forward mode: ``Dual`` numbers carry k tangent directions alongside each value."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..accel import kernels, memory
from ..core import Box, Trace, as_input, dtype_of, is_inexact, redo_without_objects, shape_of
from ..core.tree import flatten
from ..rules import all_finite, strong_zero_mode, strong_zeros


class ForwardTrace(Trace):
    """A forward-mode derivative. ``batched`` says whether users see the direction axis."""

    kind = "Dual"

    def __init__(self, batched=False):
        super().__init__()
        memory.on_first_trace()     # k-direction temporaries: keep freed memory
        self.batched = batched

    def process(self, prim, args, kw):
        primals, tangents = [], []
        for i, a in enumerate(args):
            if isinstance(a, Box) and a._trace is self:
                primals.append(a.value)
                tangents.append(None if i in prim.nondiff else a._t)
            else:
                primals.append(a)
                tangents.append(None)
        out = prim(*primals, **kw)
        if not is_inexact(out):
            return redo_without_objects(prim, args, kw, out)
        t = kernels.jvp(prim, tangents, primals, out, kw)
        return out if t is None else Dual._make(out, t, self)

    def constant(self, value, like):
        k = like._t.shape[0]
        zero = np.zeros((), dtype=np.result_type(value, np.float32))
        return Dual._make(value, np.broadcast_to(zero, (k,) + np.shape(value)), self)


class Dual(Box):
    """A value with tangents, for forward mode by hand: ``Dual(primal, tangent)``.

    NumPy functions and operators on a Dual carry the tangent along (``np.sin(d)``,
    ``d @ A``). ``tangent`` has the primal's shape (one direction) or a leading axis of k
    directions, ``(k,) + primal.shape``, so one evaluation gives k columns of a Jacobian.
    Each Dual made by hand is a perturbation of its own, above every derivative running
    when it is made (so nesting them, or making one from a traced value, never mixes
    perturbations and never depends on what ran before); ``Dual(y, t, tag=x)`` joins
    ``x``'s perturbation instead, to move several inputs at once. The tangent keeps the
    primal's precision (float64 for Python floats).

    Args:
        primal: The value: a float or a float array (ints are promoted).
        tangent: The direction(s), shaped like ``primal`` or ``(k,) + primal.shape``.
        tag: A Dual whose perturbation this one joins (same number of directions).

    Raises:
        ValueError: the tangent's shape matches neither.
        TypeError: the tangent is not numeric, or ``tag`` is not such a Dual.

    Examples:
        >>> d = np.sin(ad.Dual(0.0, 1.0)) * 3.0
        >>> float(d.primal), float(d.tangent)
        (0.0, 3.0)
        >>> x = ad.Dual(np.array([1.0, 2.0]), np.eye(2))     # two directions at once
        >>> (x * x).tangent
        array([[2., 0.],
               [0., 4.]])
    """

    __slots__ = ("_t",)
    _t: Any     # the tangents, with the leading axis of k directions

    def __init__(self, primal: Any, tangent: Any, tag: "Dual | None" = None) -> None:
        primal = as_input(primal)
        tangent = _tangent_of(primal, tangent)
        pshape = shape_of(primal)
        tshape = shape_of(tangent)
        if tshape == pshape:
            batched, tangent = False, with_direction_axis(tangent)
        elif tshape[1:] == pshape:
            batched = True
        else:
            raise ValueError(f"tangent shape {tshape} matches neither the primal's "
                             f"shape {pshape} nor (k,) + {pshape}")
        if tag is None:
            trace = ForwardTrace(batched)
        elif isinstance(tag, Dual) and tag._trace.batched == batched \
                and shape_of(tag._t)[0] == shape_of(tangent)[0]:
            trace = tag._trace
        else:
            raise TypeError("Dual(..., tag=x): x must be a Dual with the same number of "
                            "tangent directions, whose perturbation this one joins")
        self.value, self._trace, self._t = primal, trace, tangent

    @classmethod
    def _make(cls, value, t, trace):
        d = object.__new__(cls)
        d.value, d._trace, d._t = value, trace, t
        return d

    @property
    def primal(self) -> Any:
        """The value (a float or an array; itself a box under nested derivatives)."""
        return self.value

    @property
    def tangent(self) -> Any:
        """The tangent: ``primal.shape``, or ``(k,) + primal.shape`` for k directions."""
        return self._t if self._trace.batched else self._t[0]

    def __repr__(self):
        return f"Dual(primal={self.value!r}, tangent={self.tangent!r})"


def with_direction_axis(t):
    """The tangent ``t`` with a leading axis of one direction (``t`` may be traced)."""
    if isinstance(t, Box):
        return np.reshape(t, (1,) + tuple(shape_of(t)))
    return np.asarray(t)[None]


def _tangent_of(primal, tangent):
    """A hand-made Dual's tangent as an array of the primal's precision (float64 for a
    Python float), or a traced value as it is; anything not numeric is refused."""
    if isinstance(tangent, Box):
        return tangent
    t = np.asarray(tangent) if tangent is not None else None
    if t is None or t.dtype.kind not in "biufc":
        raise TypeError(f"a Dual's tangent must be a number or a numeric array, got "
                        f"{type(tangent).__name__} {tangent!r:.60}")
    if t.dtype.kind == "c" and dtype_of(primal).kind != "c":
        raise TypeError("a complex tangent for a real primal would lose its imaginary part; "
                        "make the primal complex")
    return t.astype(np.result_type(dtype_of(primal), np.float32), copy=False)


def forward_pass(new_trace, call):
    """``(call(trace), trace)`` for a fresh ``trace = new_trace()``, finished afterwards.

    Output tangents with a non-finite value are computed again in strong-zero mode (a zero
    tangent times an inf/NaN partial is 0 there): a finite result cannot have met such a
    product, so the common path pays one look at the output tangents."""
    trace = new_trace()
    try:
        out = call(trace)
    finally:
        trace.finish()
    if type(out) is Dual and out._trace is trace:       # one output: no walk
        tangents = (out._t,)
    else:
        tangents = [o._t for o in flatten(out)[0] if isinstance(o, Box) and o._trace is trace]
    if all_finite(tangents) or strong_zeros.get():
        return out, trace
    with strong_zero_mode():
        trace = new_trace()
        try:
            out = call(trace)
        finally:
            trace.finish()
    return out, trace
