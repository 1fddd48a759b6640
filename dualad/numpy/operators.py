"""Python operators and ndarray methods on boxes, installed in one place.

Every box (``Dual``, ``Tracer``, ``Tensor``) gets the operators ``+ - * / ** @``, the
comparisons (on the values: no derivative flows through a branch), indexing, the ndarray
methods users call (``x.sum()``, ``x.T``, ...), and refusals that name the fix for what
would drop a derivative (``float(x)``, ``np.asarray(x)``, in-place writes). ``Tracer``
then gets reverse mode's fast operators, generated from the table
(``modes/reverse/fastops.py``), and a ``__array_ufunc__`` that records one-operand ufuncs
on floats inline.
"""
import numpy as np

from .. import rules as P
from ..core import (Box, ConcretizationError, InPlaceError, NotDifferentiableError, dtype_of,
                    object_array, primal, stage_of)
from ..modes.forward import Dual
from ..modes.reverse import Tracer, fastops
from . import registry
from .basics import astype, dot, matmul, mean, ravel, reshape, squeeze, sum, swapaxes, transpose
from .registry import COMPLEX_UFUNCS, array_function, array_ufunc


def _refuse(what):
    def method(self, *a, **k):
        raise ConcretizationError(what)
    return method


def _setitem(self, idx, value):
    """``x[idx] = value`` recorded: x is rebound to a new value (``index_update``)."""
    if isinstance(idx, Box):
        idx = _index_value(idx)
    if type(value) in (list, tuple):
        value = np.asarray(value)    # traced items: an object array, made one box below
    if P.duplicate_targets(idx, self.shape):
        raise InPlaceError("x[idx] = value with an index that repeats an element",
                           fix="only the last write to an element would count; write "
                               "each element once, or build the array with np.where")
    new = P.index_update(self, value, idx=idx)
    if not self._rebind(new):
        if isinstance(new, Box):
            raise InPlaceError(
                "x[...] = value where value belongs to an inner derivative (a grad or jvp "
                "taken inside the one that made x)",
                fix="the outer array cannot hold it; build a new array inside the inner "
                    "function (np.where, np.stack, np.concatenate)")
        self.value = new     # no derivative flows (an integer array, or under no_grad)


def _index_value(idx):
    v = primal(idx)
    if getattr(v, "dtype", None) is not None and v.dtype.kind in "biu":
        return v
    raise ConcretizationError("using it as an index (operator.index)")


def _as_objects(self, dtype=None, copy=None):
    """What NumPy gets from ``np.asarray(x)`` / ``np.array([x, ...])``: an object array of
    boxes (the elements of x; x itself when 0-d), on which NumPy's object loops call the
    boxes' own operators. A numeric dtype would drop the derivative: refused."""
    if dtype is not None and np.dtype(dtype).kind != "O":
        raise ConcretizationError(f"conversion to a {np.dtype(dtype)} array")
    return object_array(self, _elements)


def _elements(box):
    """The elements of an array box as scalar boxes, in C order: a Dual's directly from
    its value and tangent (what getitem would give, without a dispatch per element);
    others by x.ravel()[i] (a Tracer's are the tape's O(1) element entries)."""
    v = box.value
    if type(box) is Dual and type(v) is np.ndarray and box._trace.alive:
        t = box._t.reshape(box._t.shape[0], -1)
        trace, make = box._trace, Dual._make
        return [make(x, t[:, i], trace) for i, x in enumerate(v.ravel())]
    flat = ravel(box)
    return [flat[i] for i in range(box.size)]


def _getitem(self, idx):
    return P.getitem(self, idx=idx)


def _compare(ufunc):
    def compare(self, other):
        stage = stage_of((self, other))
        if stage is not None:       # dualad.compile: the outcome becomes a guard
            return stage.value_op(ufunc, (self, other), {})
        return ufunc(primal(self), primal(other))
    return compare


def _install_operators():
    B = Box
    B.__array_ufunc__ = array_ufunc
    B.__array_function__ = array_function
    B.__add__ = lambda s, o: P.add(s, o)
    B.__radd__ = lambda s, o: P.add(o, s)
    B.__sub__ = lambda s, o: P.subtract(s, o)
    B.__rsub__ = lambda s, o: P.subtract(o, s)
    B.__mul__ = lambda s, o: P.multiply(s, o)
    B.__rmul__ = lambda s, o: P.multiply(o, s)
    B.__truediv__ = lambda s, o: P.divide(s, o)
    B.__rtruediv__ = lambda s, o: P.divide(o, s)
    B.__pow__ = lambda s, o: P.power(s, o)
    B.__rpow__ = lambda s, o: P.power(o, s)
    B.__matmul__ = lambda s, o: matmul(s, o)
    B.__rmatmul__ = lambda s, o: matmul(o, s)
    B.__neg__ = lambda s: P.negative(s)
    B.__pos__ = lambda s: s
    # piecewise constant: no derivative flows (the remainder of divmod carries one)
    B.__floordiv__ = _compare(np.floor_divide)
    B.__rfloordiv__ = lambda s, o: np.floor_divide(primal(o), primal(s))
    B.__divmod__ = lambda s, o: (np.floor_divide(primal(s), primal(o)), np.remainder(s, o))
    B.__rdivmod__ = lambda s, o: (np.floor_divide(primal(o), primal(s)), np.remainder(o, s))
    B.__lt__ = _compare(np.less)
    B.__le__ = _compare(np.less_equal)
    B.__gt__ = _compare(np.greater)
    B.__ge__ = _compare(np.greater_equal)
    B.__eq__ = _compare(np.equal)
    B.__ne__ = _compare(np.not_equal)
    B.__getitem__ = _getitem
    B.__setitem__ = _setitem
    B.__float__ = _refuse("float()")
    B.__int__ = _refuse("int()")
    B.__complex__ = _refuse("complex()")
    B.__index__ = _refuse("using it as an index (operator.index)")
    B.__array__ = _as_objects
    B.item = _refuse(".item()")
    B.tolist = _refuse(".tolist()")
    B.T = property(lambda s: transpose(s))
    B.mT = property(lambda s: swapaxes(s, -1, -2))
    B.flat = property(lambda s: ravel(s))      # indexing and iterating a flat copy
    B.view = _view
    B.reshape = lambda s, *shape, order="C": reshape(
        s, shape[0] if len(shape) == 1 else shape, order=order)
    B.ravel = ravel
    B.flatten = ravel
    B.transpose = lambda s, *axes: transpose(
        s, None if not axes else (axes[0] if len(axes) == 1 else axes))
    B.squeeze = squeeze
    B.sum = sum
    B.mean = mean
    B.dot = dot
    B.astype = astype
    B.swapaxes = swapaxes



def _view(self, dtype=None, type=None):
    """x.view(): the same traced value (a view of a value that is never written in place
    is the value). Reinterpreting its bytes as another dtype has no derivative."""
    if (dtype is None or np.dtype(dtype) == dtype_of(self)) and type is None:
        return self
    raise NotDifferentiableError(
        f"x.view({dtype!r})", "Reinterpreting the bytes of a traced value has no "
        "derivative; use x.astype(dtype) to convert the values, or dualad.primal(x).view()"
        " if no derivative should flow.")


def _method(fn):
    def method(self, *args, **kw):
        return fn(self, *args, **kw)
    method.__name__ = fn.__name__
    return method


def _refuse_in_place(name, fix):
    def method(self, *a, **k):
        raise InPlaceError(f"x.{name}(...) ({fix})")
    return method


def _iterate(self):
    if not self.shape:
        raise TypeError("iteration over a 0-d traced value")
    for i in range(self.shape[0]):
        yield P.getitem(self, idx=i)


def _install_methods():
    """ndarray methods on boxes, each one the NumPy function of the same name."""
    B = Box
    for name, fn in {
        "prod": np.prod, "max": np.max, "min": np.min, "std": np.std, "var": np.var,
        "cumsum": np.cumsum, "cumprod": np.cumprod,
        "diagonal": np.diagonal, "repeat": np.repeat, "take": np.take, "clip": np.clip,
        "round": np.round, "argmax": np.argmax, "argmin": np.argmin,
        "argsort": np.argsort, "nonzero": np.nonzero, "all": np.all, "any": np.any,
        "copy": np.copy, "compress": np.compress, "conj": np.conjugate,
        "conjugate": np.conjugate, "searchsorted": np.searchsorted, "trace": np.trace,
    }.items():
        setattr(B, name, _method(fn))
    for name, fix in {
        "sort": "use y = np.sort(x)", "fill": "use np.full_like(x, value)",
        "put": "use np.where", "partition": "use y = np.partition(x, kth)",
        "resize": "use np.reshape or np.resize", "itemset": "use np.where",
        "setfield": "build a new array",
    }.items():
        setattr(B, name, _refuse_in_place(name, fix))
    B.__iter__ = _iterate
    _install_object_loop_methods()
    B.__mod__ = lambda s, o: np.remainder(s, o)
    B.__rmod__ = lambda s, o: np.remainder(o, s)
    B.__abs__ = lambda s: (COMPLEX_UFUNCS[np.absolute](s) if dtype_of(s).kind == "c"
                           else P.absolute(s))
    B.__round__ = lambda s, ndigits=None: (round(primal(s)) if ndigits is None
                                          else round(primal(s), ndigits))


def _install_object_loop_methods():
    """NumPy's object loops (np.exp of an array built from traced values) call a method
    named after the ufunc on each element: each ufunc dispatch serves gets one on boxes."""
    registry.refresh()
    for ufunc in list(registry.UFUNCS) + list(registry.ZERO_DERIVATIVE_UFUNCS):
        name = ufunc.__name__
        if not hasattr(Box, name):
            setattr(Box, name, _ufunc_method(ufunc))


def _ufunc_method(ufunc):
    def method(self, *others):
        return ufunc(self, *others)
    method.__name__ = ufunc.__name__
    return method


# ------------------------------------------------------------------------------------
# Reverse mode's fast paths on Tracer
# ------------------------------------------------------------------------------------
_ufunc_ops = {None: -1}  # ufunc -> fast one-operand op; None -> the table size they follow


def _tracer_array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """np.sin(tracer) and the other one-operand ufuncs served by an elementwise row with
    a math implementation: the scalar entry recorded inline (``fastops.unary_op``) for a
    float; everything else goes to NumPy dispatch."""
    if method == "__call__" and not kwargs and len(inputs) == 1 \
            and type(self.value) is not np.ndarray:
        if _ufunc_ops[None] != len(P.TABLE):
            _refresh_ufunc_ops()
        op = _ufunc_ops.get(ufunc)
        if op is not None:
            return op(self)
    return array_ufunc(self, ufunc, method, *inputs, **kwargs)


_tracer_array_ufunc.slow = array_ufunc     # for tests that compare the two


def _refresh_ufunc_ops():
    """A fast op for each ufunc that NumPy dispatch serves with a one-operand row."""
    global _ufunc_ops
    registry.refresh()
    ops = {None: len(P.TABLE)}
    for ufunc, prim in registry.UFUNCS.items():
        if (isinstance(prim, P.Elementwise) and prim.nin == 1 and prim.scalar is not None
                and not prim.nondiff and ufunc not in registry.ZERO_DERIVATIVE_UFUNCS):
            def slow(self, ufunc=ufunc):
                return array_ufunc(self, ufunc, "__call__", self)
            ops[ufunc] = fastops.unary_op(prim, slow)
    _ufunc_ops = ops        # one rebinding: other threads see the old map or the new one


def _install_fast_operators():
    for name, fn in fastops.operators().items():
        setattr(Tracer, name, fn)
    Tracer.__array_ufunc__ = _tracer_array_ufunc


def install():
    """Install the operators and methods on Box, then Tracer's fast paths."""
    _install_operators()
    _install_methods()
    _install_fast_operators()
