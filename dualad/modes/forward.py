"""Forward mode: ``Dual`` numbers carry k tangent directions alongside each value."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..accel import kernels, memory
from ..core import Box, Trace, as_input, is_inexact, redo_without_objects, shape_of


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
    Duals made by hand share one perturbation; ``jvp`` and ``jacfwd`` give each call its own,
    so nested derivatives never mix.

    Args:
        primal: The value: a float or a float array (ints are promoted).
        tangent: The direction(s), shaped like ``primal`` or ``(k,) + primal.shape``.

    Raises:
        ValueError: the tangent's shape matches neither.

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
    _user_traces: dict[bool, ForwardTrace] = {}

    def __init__(self, primal: Any, tangent: Any) -> None:
        primal = as_input(primal)
        tangent = np.asarray(tangent, dtype=np.result_type(primal, np.float32))
        pshape = shape_of(primal)
        if tangent.shape == pshape:
            batched, tangent = False, tangent[None]
        elif tangent.shape[1:] == pshape:
            batched = True
        else:
            raise ValueError(f"tangent shape {tangent.shape} matches neither the primal's "
                             f"shape {pshape} nor (k,) + {pshape}")
        trace = Dual._user_traces.get(batched)
        if trace is None:
            trace = Dual._user_traces[batched] = ForwardTrace(batched)
        self.value, self._trace, self._t = primal, trace, tangent

    @classmethod
    def _make(cls, value, t, trace):
        d = object.__new__(cls)
        d.value, d._trace, d._t = value, trace, t
        return d

    @property
    def primal(self) -> Any:
        return self.value

    @property
    def tangent(self) -> Any:
        """The tangent: ``primal.shape``, or ``(k,) + primal.shape`` for k directions."""
        return self._t if self._trace.batched else self._t[0]

    def __repr__(self):
        return f"Dual(primal={self.value!r}, tangent={self.tangent!r})"
