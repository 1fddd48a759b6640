"""Recording a program: the staging trace under every derivative trace of one call.

``dualad.compile`` calls the derivative function once with its inputs wrapped in
``Staged`` boxes of a ``StagingTrace``. The staging trace has the lowest level of all
(it starts before the derivative's own traces), so every primitive the derivative runs
-- f's operations, the VJP and JVP rules of the sweep, in any nesting -- reaches it last,
on plain values, and is appended to the program as ``(implementation, operand slots,
keywords, output slot)``. Values that do not depend on the inputs (seeds, constants) are
constants of the program.

Every decision made from a staged value becomes a guard checked on replay: truth tests
(``if x > 0``, ``max(a, b)``, ``while``), ``int()``/``operator.index`` (indices computed
from values), ``float()`` of a staged value, and value-only NumPy functions (``argmax``,
``nonzero``, comparisons: their results are values of the program, and branching on
them is a truth test). What the program cannot see into -- a conversion to a plain
array (``np.asarray``), ``.item()``, ``.tolist()`` -- is refused with the reason.
"""
import numpy as np

from ..core import Box, DualadError, Trace

CALL, GUARD = 0, 1


class CompileError(DualadError):
    """What ``dualad.compile`` cannot record, with the reason and the fix.

    Raised while recording when the function converts a value the program computes to a
    plain array or number it cannot follow (``np.asarray``, ``.item()``, ``.tolist()``),
    or draws random numbers from NumPy's global generator or Python's ``random`` (a replay
    would repeat the draws). Fix: keep the computation in NumPy calls, pass random values
    in as arguments.

    Examples:
        >>> g = ad.compile(ad.grad(lambda x: np.sum(x * np.random.normal(size=2))))
        >>> g(np.ones(2))
        Traceback (most recent call last):
        ...
        CompileError: the function drew random numbers ...
    """


class GuardFailed(Exception):
    """A decision of the recording came out differently on these inputs."""

    def __init__(self, why):
        super().__init__(why)
        self.why = why


def _equal(a, b):
    """Exact equality of two guard values (arrays by shape, dtype and content)."""
    if type(a) is np.ndarray or type(b) is np.ndarray:
        return (type(a) is type(b) and a.shape == b.shape and a.dtype == b.dtype
                and bool(np.array_equal(a, b)))
    return type(a) is type(b) and a == b


def _read_bool(v):
    return bool(v)


def _read_int(v):
    return int(v)


def _read_index(v):
    return v.__index__()


def _read_float(v):
    return float(v)


def _read_shape(v):
    return np.shape(v)


def _read_value(v):
    return v


class StagingTrace(Trace):
    """The trace of one recording: the program's slots, operations and guards."""

    kind = "staged value (dualad.compile recording)"
    stages = True

    def __init__(self):
        super().__init__()
        self.consts = []        # slot -> constant (None for computed slots)
        self.ops = []           # (CALL, fn, in_slots, kw, out) or (GUARD, read, slot, expected, why)
        self.n = 0
        self.kinds = []         # slot -> kind_of(its value): what the numba form may hold
        self.const_ids = {}     # id(constant) -> slot, so one constant takes one slot
        self._keep = []         # the constants themselves (ids stay valid)

    def _slot(self, value=None, kind=None):
        n = self.n
        self.n = n + 1
        self.consts.append(value)
        self.kinds.append(kind_of(value) if kind is None else kind)
        return n

    def input(self, value):
        # An int input stays a Python int (exact beyond 2**53): never a float64 slot.
        kind = "o" if type(value) is int else kind_of(value)
        return Staged._make(value, self, self._slot(None, kind))

    def _ref(self, a):
        """The slot of an operand: a staged value's, or a constant's."""
        if isinstance(a, Box):
            if a._trace is self:
                return a.slot
            raise CompileError(
                f"a traced value of another differentiation ({type(a).__name__}) met the "
                "compiled program; compile the outermost function (dualad.compile(grad(f)) "
                "rather than grad(dualad.compile(f)) or a compiled function inside a "
                "derivative)")
        key = id(a)
        s = self.const_ids.get(key)
        if s is None:
            s = self.const_ids[key] = self._slot(a)
            self._keep.append(a)
        return s

    def _emit(self, fn, args, kw, value):
        ins = tuple([a.slot if type(a) is Staged else self._ref(a) for a in args])
        out = self._slot(None, kind_of(value))
        self.ops.append((CALL, fn, ins, kw, out))
        return Staged._make(value, self, out)

    def guard(self, read, box, why):
        """The value ``read(box.value)``, recorded as a decision the replay checks."""
        value = read(box.value)
        self.ops.append((GUARD, read, box.slot, value, why))
        return value

    def read(self, box):
        """The value of ``box`` read as a plain value (``dualad.primal``, a value-only
        rule): the program cannot follow what is made of it, so the value is guarded."""
        return self.guard(_read_value, box, "a value read as a plain constant")

    def _plain_kw(self, kw):
        """Keywords with staged values read (an index computed from values, say): each read
        is guarded, so a replay with another value records again."""
        if not kw:
            return kw
        return {k: self._plain(v) for k, v in kw.items()}

    def _plain(self, v):
        if isinstance(v, Staged) and v._trace is self:
            return self.guard(_read_value, v, "a keyword argument computed from values")
        if isinstance(v, tuple):
            return tuple(self._plain(x) for x in v)
        if isinstance(v, list):
            return [self._plain(x) for x in v]
        return v

    def process(self, prim, args, kw):
        kw = self._plain_kw(kw)
        vals = [a.value if isinstance(a, Box) and a._trace is self else a for a in args]
        for a in vals:
            if isinstance(a, Box):
                self._ref(a)            # raises: a box of another differentiation
        fn = prim.impl
        if prim.elementwise and not kw and prim.scalar is not None \
                and all(type(v) is float or type(v) is int for v in vals):
            fn = scalar_impl(prim)      # Python floats: several times faster than a ufunc
        out = fn(*vals, **kw)
        return self._emit(fn, args, kw, out)

    def value_op(self, fn, args, kw):
        """A value-only function (a comparison, argmax, ...) of staged values: an operation
        of the program whose result is a staged value (branching on it is guarded)."""
        args = tuple(_down(a, self) for a in args)
        kw = self._plain_kw({k: _down(v, self) for k, v in kw.items()})
        if any(isinstance(a, (list, tuple)) and any(isinstance(x, Box) for x in a)
               for a in args):
            args = tuple(self._plain(a) if isinstance(a, (list, tuple)) else a for a in args)
        vals = [a.value if isinstance(a, Staged) and a._trace is self else a for a in args]
        out = fn(*vals, **kw)
        if isinstance(out, tuple):      # np.nonzero: one staged value per part
            whole = self._emit(fn, args, kw, out)
            return tuple(self._shaped(self._emit(_item(k), (whole,), {}, part))
                         for k, part in enumerate(out))
        return self._shaped(self._emit(fn, args, kw, out))

    def _shaped(self, box):
        """An array a value-only function made (nonzero, a mask) may change shape with the
        values, and its shape is read as a plain fact (len(), loops): guard the shape."""
        if type(box.value) is np.ndarray:
            self.guard(_read_shape, box, "the shape of an array computed from values")
        return box


_scalar_impls = {}


def scalar_impl(prim):
    """The row's math implementation on Python floats, NumPy's where it raises (1/0 is
    inf, as eager dualad gives): deterministic, so a replay and a fresh recording agree."""
    fn = _scalar_impls.get(prim)
    if fn is None:
        f, impl = prim.scalar, prim.impl

        def fn(*xs):
            try:
                r = f(*xs)
                if type(r) is float:
                    return r
            except (ArithmeticError, ValueError):
                pass
            return impl(*xs)
        fn.prim = prim
        fn.__name__ = prim.name
        _scalar_impls[prim] = fn
    return fn


def kind_of(v):
    """"f" a float64 scalar, "b" a boolean scalar, ("a", shape) a float64 array, else
    "o": the kinds of values the numba form of a program (scalar.py) can hold."""
    t = type(v)
    if t is float or t is np.float64:
        return "f"
    if t is bool or t is np.bool_:
        return "b"
    if t is int and float(v) == v:
        return "f"
    if t is np.ndarray and v.dtype == np.float64:
        return ("a", v.shape) if v.shape else "f"
    return "o"


def _down(x, stage):
    """``x`` stripped of derivative boxes down to the staging box (or the plain value)."""
    while isinstance(x, Box) and x._trace is not stage:
        x = x.value
    return x


_items = {}


def _item(k):
    fn = _items.get(k)
    if fn is None:
        def fn(t, k=k):
            return t[k]
        fn.__name__ = f"item{k}"
        _items[k] = fn
    return fn


def _refuse(what, fix):
    def method(self, *a, **k):
        raise CompileError(f"dualad.compile cannot see into {what} of a value the program "
                           f"computes: the result would be a constant of the recording, "
                           f"wrong for other inputs. {fix}")
    return method


class Staged(Box):
    """A value of the program being recorded (slot ``slot`` of its staging trace)."""

    __slots__ = ("slot",)

    @classmethod
    def _make(cls, value, trace, slot):
        r = cls.__new__(cls)
        r.value, r._trace, r.slot = value, trace, slot
        return r

    def __bool__(self):
        return self._trace.guard(_read_bool, self, "a truth test (if, while, and/or, min/max)")

    def __int__(self):
        return self._trace.guard(_read_int, self, "int()")

    def __index__(self):
        return self._trace.guard(_read_index, self, "an index computed from values")

    def __float__(self):
        return self._trace.guard(_read_float, self, "float()")

    def __repr__(self):
        return f"Staged({self.value!r}, slot={self.slot})"


def install_refusals():
    """What a program cannot contain: conversions that leave dualad (set on ``Staged``
    after the operators are installed on every box)."""
    fix = ("Keep the computation in NumPy calls on the value, or pass what it needs as "
           "an argument.")
    Staged.__array__ = _refuse("np.asarray() / np.array() (a conversion to a plain "
                               "array)", fix)
    Staged.item = _refuse(".item()", fix)
    Staged.tolist = _refuse(".tolist()", fix)
    Staged.__complex__ = _refuse("complex()", fix)


install_refusals()
