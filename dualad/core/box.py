"""Traces, boxed values, primitive dispatch, and the predicates on values every layer uses.

A *trace* is one running differentiation (a ``jvp``, a ``grad``, ...). Each trace gets a
level from a global counter, so a trace started inside another one always has the higher
level. A *box* (``Dual`` in forward mode, ``Tracer`` in reverse mode) carries a value and
the trace it belongs to; its value may itself be a box of a lower level, which is how
nested derivatives are represented.

When a ``Primitive`` is called, the argument boxes with the highest level decide which
trace handles it. That trace strips its own boxes, calls the primitive again on what is
inside (so lower traces handle it in turn), and wraps the result. Boxes of lower traces
are constants to a higher trace, which is what keeps nested derivatives from mixing
their perturbations ("perturbation confusion").
"""
from __future__ import annotations

import itertools
import numbers
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import numpy as np

from .errors import LeakedTracerError

_levels = itertools.count(1)
_SCALARS = frozenset((float, int, np.float64))   # never boxes: skipped fast
_NDARRAY = np.ndarray
_OBJECT = np.dtype(object)


def new_level():
    """A level above every trace running now (``no_grad`` uses one as its threshold)."""
    return next(_levels)


class Trace:
    """One running differentiation. Subclasses say how a primitive is processed."""

    kind = "traced value"
    #: True for a trace that stages a program (``dualad.compile``): decisions made from
    #: its values (comparisons, ``bool``, indices) are routed to it to become guards.
    stages = False

    def __init__(self):
        self.level = new_level()
        self.alive = True

    def process(self, prim, args, kw):  # pragma: no cover - abstract
        raise NotImplementedError

    def finish(self):
        """Mark the trace finished: its boxes may no longer enter primitives."""
        self.alive = False

    def constant(self, value, like):
        """A box of this trace holding ``value`` with a zero derivative (``like``: a box of
        this trace whose layout it follows), so writes into it can be recorded."""
        raise NotImplementedError   # pragma: no cover - abstract


class Box:
    """A value carried through a trace. Operators and NumPy calls dispatch to primitives."""

    __slots__ = ("value", "_trace")
    __array_priority__ = 1000

    if TYPE_CHECKING:
        # Installed at import by dualad.numpy.operators; declared here for type checkers:
        # the arithmetic operators, indexing, and the ndarray methods (any other attribute).
        _trace: Any
        def __getattr__(self, name: str) -> Any: ...
        def __add__(self, other: Any) -> Any: ...
        def __radd__(self, other: Any) -> Any: ...
        def __sub__(self, other: Any) -> Any: ...
        def __rsub__(self, other: Any) -> Any: ...
        def __mul__(self, other: Any) -> Any: ...
        def __rmul__(self, other: Any) -> Any: ...
        def __truediv__(self, other: Any) -> Any: ...
        def __rtruediv__(self, other: Any) -> Any: ...
        def __floordiv__(self, other: Any) -> Any: ...
        def __mod__(self, other: Any) -> Any: ...
        def __rmod__(self, other: Any) -> Any: ...
        def __pow__(self, other: Any) -> Any: ...
        def __rpow__(self, other: Any) -> Any: ...
        def __matmul__(self, other: Any) -> Any: ...
        def __rmatmul__(self, other: Any) -> Any: ...
        def __neg__(self) -> Any: ...
        def __pos__(self) -> Any: ...
        def __abs__(self) -> Any: ...
        def __lt__(self, other: Any) -> Any: ...
        def __le__(self, other: Any) -> Any: ...
        def __gt__(self, other: Any) -> Any: ...
        def __ge__(self, other: Any) -> Any: ...
        def __getitem__(self, index: Any) -> Any: ...
        def __setitem__(self, index: Any, value: Any) -> None: ...
        def __iter__(self) -> Iterator[Any]: ...

    # --- array-like introspection, on the value -------------------------------------
    @property
    def shape(self):
        v = self.value
        return v.shape if type(v) in _ARRAYS else np.shape(static_value(v))

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def dtype(self):
        v = primal(self.value)
        if type(v) is np.ndarray:
            return v.dtype
        # A traced scalar has no dtype, as a Python float has none: NumPy's own code then
        # treats it as a Python scalar (np.mean of a list of traced values divides it
        # instead of converting it with np.float64(...)).
        raise AttributeError(f"a traced scalar has no dtype (its value is "
                             f"{type(v).__name__}); use dualad.primal(x).dtype")

    def __len__(self):
        shape = self.shape
        if not shape:
            raise TypeError("len() of unsized traced value")
        return shape[0]

    def __bool__(self):
        # Truth tests read the value; no derivative flows through a branch condition.
        # (A staging box underneath, from dualad.compile, records the outcome as a guard.)
        return bool(decision_operand(self))

    __hash__ = object.__hash__

    # A copy of a traced value is the same value on the same trace: a new box sharing
    # everything (its slot or tangent too), so the copy carries the derivative. Copying
    # parameters defensively inside a loss must not cut the derivative.
    def __copy__(self):
        new = object.__new__(type(self))
        for cls in type(self).__mro__:
            for name in getattr(cls, "__slots__", ()):
                if hasattr(self, name):
                    setattr(new, name, getattr(self, name))
        return new

    def __deepcopy__(self, memo):
        return self.__copy__()

    def _rebind(self, new):
        """Make this box stand for ``new`` (a box of the same kind and trace): how a
        recorded write ``x[i] = v`` updates x. Readers of the old value keep it."""
        if type(new) is not type(self) or new._trace is not self._trace:
            return False
        kind = type(self)
        for cls in kind.__mro__:
            for name in cls.__dict__.get("__slots__", ()):
                if not isinstance(getattr(kind, name, None), property):   # shadowed slot
                    setattr(self, name, getattr(new, name))
        return True


def top_trace(args):
    """The live trace with the highest level among the boxes in ``args`` (or None).

    ``OBJECTS`` when an argument is an object array (NumPy's array of traced values):
    the caller turns those into boxes first (``from_objects``)."""
    top = None
    for a in args:
        t = type(a)
        if t in _SCALARS:
            continue
        if t is _NDARRAY:
            if a.dtype is _OBJECT:
                return OBJECTS
            continue
        if isinstance(a, Box):
            t = a._trace
            if top is None or t.level > top.level:
                top = t
    if top is not None and not top.alive:
        raise LeakedTracerError(top.kind)
    return top


class Primitive:
    """One differentiable operation: a NumPy implementation, a JVP and a VJP.

    Every row of dualad's primitive table is a ``Primitive``; ``dualad.primitive`` makes one
    from your function. Calling a primitive on traced values dispatches to the trace with the
    highest level, which applies the rules.

    Args:
        name: The name errors and ``grad_fn`` show.
        impl: The implementation on plain values.
        jvp: ``jvp(tangents, primals, out, **kw)``: one tangent per operand (None for zero),
            each with a leading axis of k directions; returns the output tangent (same
            leading axis) or None.
        vjp: ``vjp(i, g, primals, out, **kw)``: the cotangent of operand ``i`` given the
            output cotangent ``g``.
        nondiff: Indices of operands that are never differentiated.
        cost: How the cost model counts its work: ``"elements"`` (the elements it
            produces), ``"view"`` (none: a reshape or transpose) or ``"matmul"``
            (multiply-adds).
        depends: How its output elements depend on its operands' elements, for sparsity
            detection (``dualad.sparse.pattern``): ``"elementwise"`` (the broadcast
            index), ``"gather"`` (``impl`` moves values without combining them: it is run
            on element ids), ``"scatter"`` (linear, and its VJP is a gather), ``"reduce"`` /
            ``"scan"`` (all of / the prefix along ``depends_axes(ndim, kw)``), ``"lanes"``
            (dense along ``depends_axes``, independent across the other axes),
            ``"contract"`` (the einsum ``einsum_spec(shapes, kw)``), or ``"dense"`` (every
            output element on every operand element: the default, a safe superset).
        depends_axes: For ``depends`` "reduce", "scan" and "lanes": the axes, as a
            function of (ndim, kw).
        einsum_spec: For ``depends`` "contract": the einsum subscripts, as a function of
            (operand shapes, kw).

    Examples:
        >>> double = ad.Primitive("double", lambda x: 2.0 * x,
        ...                       jvp=lambda ts, ps, out: 2.0 * ts[0],
        ...                       vjp=lambda i, g, ps, out: 2.0 * g)
        >>> double(3.0), ad.grad(double)(3.0), ad.jvp(double, (3.0,), (1.0,))
        (6.0, 2.0, (6.0, 2.0))
    """

    elementwise = False

    def __init__(self, name: str, impl: Callable[..., Any],
                 jvp: Callable[..., Any] | None = None, vjp: Callable[..., Any] | None = None,
                 nondiff: Iterable[int] = (), cost: str = "elements",
                 depends: str = "dense", depends_axes: Callable[..., Any] | None = None,
                 einsum_spec: Callable[..., Any] | None = None) -> None:
        self.name = name
        self.impl = impl
        self._jvp = jvp
        self._vjp = vjp
        self.nondiff = frozenset(nondiff)
        self.cost = cost
        self.depends = depends
        self.depends_axes = depends_axes
        self.einsum_spec = einsum_spec

    def __call__(self, *args, **kw):
        trace = top_trace(args)
        if trace is None:
            return self.impl(*args, **kw)
        if trace is OBJECTS:
            args = tuple(from_objects(a) for a in args)
            trace = top_trace(args)
            if trace is None:
                return self.impl(*args, **kw)
            if trace is OBJECTS:      # objects that are not numbers, next to traced values
                raise TypeError(f"{self.name}: an object array of non-numbers cannot be "
                                "combined with traced values")
        return trace.process(self, args, kw)

    def jvp(self, tangents, primals, out, kw):
        return self._jvp(tangents, primals, out, **kw)

    def vjp_reads(self, parents):
        """The operand positions whose values the VJP reads, given which operands are
        traced (``parents[i]`` not None): all of them, unless the row knows better."""
        return range(len(parents))

    def vjp(self, i, g, primals, out, kw):
        return self._vjp(i, g, primals, out, **kw)

    def __repr__(self):
        return f"<dualad primitive {self.name}>"


# ------------------------------------------------------------------------------------
# Arrays NumPy builds from traced values
# ------------------------------------------------------------------------------------
# NumPy gives np.array no dispatch hook: np.array([a, b]) of traced scalars, np.asarray of
# a traced array and np.full(n, t) give *object arrays* whose elements are boxes (the
# boxes' ``__array__`` returns them, see numpy/operators.py). NumPy's object loops call
# the boxes' own operators, so derivatives are kept element by element; where such an
# array meets dualad -- a primitive, NumPy dispatch, or f's return value -- it becomes
# one box again (``from_objects``, by the ``pack`` row of the table).
OBJECTS = object()        # top_trace's answer when an argument is an object array
_packer = []              # [pack]: set by the rules layer (rules/structural.py)


def set_packer(pack):
    """Register the primitive that stacks scalar operands into an array (``pack``)."""
    _packer[:] = [pack]


def from_objects(a):
    """An object array of traced values as one box (a plain array if it holds none);
    anything else as it is."""
    if type(a) is not np.ndarray or a.dtype.kind != "O":
        return a
    items = a.ravel().tolist()
    if not any(isinstance(v, Box) for v in items):
        plain = np.array(items).reshape(a.shape)
        return a if plain.dtype.kind == "O" else plain   # not numbers: NumPy decides
    for v in items:
        if isinstance(v, Box) and shape_of(v) != ():
            raise ValueError("an object array holding traced arrays (not scalars) cannot "
                             "be turned into one array: build it with np.stack([...])")
    return _packer[0](*items, shape=a.shape)


def redo_without_objects(prim, args, kw, out):
    """A traced primitive gave an object array: an operand was an object array of numbers
    that ``top_trace`` did not see (its dtype is an equal but not the canonical object
    dtype, as after unpickling). Run it again with those made plain arrays or boxes, so no
    traced operand is silently dropped; ``out`` if there were none."""
    if type(out) is not np.ndarray or out.dtype.kind != "O":
        return out
    lifted = tuple(from_objects(a) for a in args)
    if all(x is a for x, a in zip(lifted, args)):
        return out
    return prim(*lifted, **kw)


def object_array(box, elements):
    """The object array NumPy gets from ``np.asarray(box)``: ``elements(box)`` (its
    elements as scalar boxes, in C order) in box's shape; box itself when 0-d."""
    out = np.empty(box.shape, dtype=object)
    if not out.shape:
        out[()] = box
        return out
    cells = out.reshape(-1)
    for i, x in enumerate(elements(box)):
        cells[i] = x
    return out


def primal(x: Any) -> Any:
    """The plain value inside ``x``, with every derivative stripped.

    No derivative flows through the result: use it to take a value on purpose (a step size,
    a log message) where ``float(x)`` would raise ``ConcretizationError``. Under
    ``dualad.compile``, reading a value of the program being recorded this way is a
    decision the program cannot follow: the whole value is guarded (a replay with any
    other value records again).

    Args:
        x: A traced value (``Dual``, ``Tracer``, ``Tensor``) or a plain one.

    Returns:
        The float or ndarray inside all the boxes; a plain ``x`` is returned as is.

    Examples:
        >>> ad.primal(ad.Dual(2.0, 1.0))
        2.0
        >>> ad.grad(lambda x: x * float(ad.primal(x)))(3.0)
        3.0
    """
    while isinstance(x, Box):
        if x._trace.stages:
            return x._trace.read(x)
        x = x.value
    return x


def static_value(x: Any) -> Any:
    """The plain value inside ``x`` for its dtype or shape only (never a guarded read)."""
    while isinstance(x, Box):
        x = x.value
    return x


def decision_operand(x):
    """``x`` stripped of its derivative boxes down to a staging box (``dualad.compile``)
    or the plain value: what a decision (a comparison, a truth test) is made from."""
    while isinstance(x, Box) and not x._trace.stages:
        x = x.value
    return x


def stage_of(args):
    """The staging trace (``dualad.compile``) under the boxes in ``args`` (lists and
    tuples searched too), or None: value-only functions give it their decisions."""
    for a in args:
        if isinstance(a, (list, tuple)):
            t = stage_of(a)
            if t is not None:
                return t
            continue
        while isinstance(a, Box):
            if a._trace.stages:
                return a._trace
            a = a.value
    return None


_ARRAYS = (np.ndarray, np.float64)   # the common types, checked first on hot paths


def shape_of(x):
    if type(x) in _ARRAYS or isinstance(x, Box):
        return x.shape
    return np.shape(x)


def ndim_of(x):
    if type(x) in _ARRAYS:
        return x.ndim
    return len(shape_of(x))


_PY_DTYPES = {float: np.dtype(np.float64), int: np.result_type(1), bool: np.dtype(bool),
              complex: np.dtype(np.complex128)}


def dtype_of(x):
    x = static_value(x)
    t = type(x)
    if t in _ARRAYS:
        return x.dtype
    if t in _PY_DTYPES:
        return _PY_DTYPES[t]
    if isinstance(x, (float, int, bool, complex)):
        return np.result_type(x) if not isinstance(x, bool) else np.dtype(bool)
    return np.asarray(x).dtype if not hasattr(x, "dtype") else x.dtype


def is_inexact(x):
    """Whether ``x`` carries derivatives: a float or complex value, or a box."""
    t = type(x)
    if t is np.ndarray or t is np.float64:
        return x.dtype.kind in "fc"
    if t is float:
        return True
    if isinstance(x, Box):
        return True
    if isinstance(x, (float, complex)):
        return True
    return isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind in "fc"


def as_input(x):
    """A differentiable input: floats and float arrays as they are, ints promoted to float64."""
    t = type(x)
    if t is float or (t is np.ndarray and x.dtype.kind in "fc"):    # the common inputs
        return x
    if isinstance(x, Box):
        return x
    if isinstance(x, bool) or (isinstance(x, np.ndarray) and x.dtype == bool):
        raise TypeError(f"cannot differentiate with respect to a boolean input ({x!r}); "
                        "pass a float.")
    if isinstance(x, numbers.Integral):
        return float(x)
    if isinstance(x, (float, complex, np.floating, np.complexfloating)):
        return x
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "iu":
            return x.astype(np.float64)
        if x.dtype.kind in "fc":
            return x
    raise TypeError(f"dualad cannot differentiate with respect to an input of type "
                    f"{type(x).__name__} ({x!r:.60}); inputs must be floats, NumPy float "
                    "arrays, or tuples, lists, dicts and namedtuples of them.")
