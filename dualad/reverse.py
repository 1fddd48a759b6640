"""Reverse mode: a ``Tracer`` records a Wengert list (the tape); ``sweep`` runs it backwards.

Every recorded value has a slot on the tape, in execution order. The tape is stored as
flat arrays, one entry per slot, so that scalar code costs a few dozen bytes per
operation and its backward sweep runs in one numba kernel:

    a[i], b[i]    parent slots (b = -1: one parent)   -- a scalar entry, partials da, db
    a[i] = -1     a leaf (an input)
    a[i] = -2     a generic entry: (prim, kw, primals, out, parents) in ``generic[i]``
    b[i] = -3     an element x[idx] of an array slot: a[i] indexes the element-adjoint
                  buffer, where the array's adjoint is gathered (O(1) per element)
    scalar[i]     1 when the slot's value is a Python/NumPy float64 scalar

Scalar entries hold their local partials, computed when recorded from the primitive
table's derivative expressions (the fast operators of ``FAST_OPS`` inline the table's own
expressions for + - * /); generic entries (arrays, nested derivatives) call the
primitive's VJP during the sweep. The sweep is a plain reverse loop: no recursion, no
topological sort, no depth limit. ``_sweep_reference`` is the pure-Python sweep (any
cotangent type, numba off); ``_sweep_fast`` gives identical results with runs of scalar
entries swept by the kernel in ``tape_kernel.py``. While recording, new entries are staged
in a list (one extend per entry, much cheaper than five array appends) and moved to the
arrays every ``STAGE_ENTRIES`` entries and whenever a column (``trace.a``, ...) is read.
"""
import contextvars
import functools
import struct
from array import array

import numpy as np

from . import tape_kernel
from .core import Box, Trace, dtype_of, shape_of
from .forward import _is_inexact
from . import numpy_dispatch as _numpy_dispatch
from .primitives import (MINUS_ONE, ONE, RELEASE_MIN_SIZE, TABLE as _TABLE, getitem,
                         scatter_add)

# Traces whose level is below this do not record. ``dualad.no_grad()`` sets it to a fresh
# level, so it covers the object API's tensors (level 0) and any grad already running
# when the block starts, but not a grad or vjp called inside the block, which (as in JAX
# and torch.func) still differentiates: no_grad never silently zeroes a functional grad.
record_from = contextvars.ContextVar("dualad_record_from", default=0)

LEAF, GENERIC, ELEMENT, NONE = (tape_kernel.LEAF, tape_kernel.GENERIC, tape_kernel.ELEMENT,
                                tape_kernel.NONE)
_F64 = np.float64

#: Entries staged in a list before they move to the flat arrays: bounds the staging
#: memory (a few hundred KiB) while the per-entry cost stays that of one list extend.
STAGE_ENTRIES = 4096
# A full chunk is packed with struct into records (twice as fast as array.fromlist per
# column), whose fields are appended to the columns; a partial one (the last) uses fromlist.
_ENTRY = np.dtype([("a", np.int64), ("b", np.int64), ("da", np.float64), ("db", np.float64)])


@functools.lru_cache(maxsize=None)
def _chunk_layout():
    """The struct layout of STAGE_ENTRIES staged entries (built on the first full chunk)."""
    return struct.Struct("=" + "2q2d" * STAGE_ENTRIES)


def _is_scalar(v):
    t = type(v)
    return t is float or t is _F64


class ReverseTrace(Trace):
    """A reverse-mode derivative: the tape being recorded while f runs."""

    kind = "Tracer"

    def __init__(self):
        super().__init__()
        self._arrays = (array("q"), array("q"), array("d"), array("d"), array("b"))
        self._stage = []        # a, b, da, db of each entry not yet moved to the arrays
        self._vector = []       # staged slots whose value is not a float scalar
        self.n = 0              # entries recorded: the next slot
        self._flush_at = STAGE_ENTRIES - 1   # flush when slot n = this is staged
        self.generic = {}
        self.regions = {}     # array slot -> (offset, shape) in the element-adjoint buffer
        self.esize = 0
        self.pure = True      # no boxes of other traces inside generic entries
        self.leaves = 0       # inputs: the other entries are generic, scalar or elements

    def __len__(self):
        return self.n

    def _flush(self):
        """Move the staged entries to the flat arrays (a list grows faster than 5 arrays)."""
        st = self._stage
        if st:
            k = len(st) // 4
            if k == STAGE_ENTRIES:
                records = np.frombuffer(_chunk_layout().pack(*st), dtype=_ENTRY)
                for name, column in zip(_ENTRY.names, self._arrays):
                    column.frombytes(records[name].tobytes())
            else:
                for j, column in enumerate(self._arrays[:4]):
                    column.fromlist(st[j::4])
            scalar = self._arrays[4]
            scalar.frombytes(b"\x01" * k)
            for slot in self._vector:
                scalar[slot] = 0
            self._stage = []
            self._vector = []
        self._flush_at = self.n + STAGE_ENTRIES - 1

    def _column(k):
        def get(self):
            self._flush()
            return self._arrays[k]
        return property(get)

    # The tape's columns (reading one moves the staged entries into them first).
    a, b, da, db, scalar = _column(0), _column(1), _column(2), _column(3), _column(4)
    del _column

    def _push(self, a, b, da, db, scalar):
        n = self.n
        self.n = n + 1
        self._stage += (a, b, da, db)
        if not scalar:
            self._vector.append(n)
        if n >= self._flush_at:
            self._flush()
        return n

    def leaf(self, value):
        """A new input of the tape."""
        self.leaves += 1
        return Tracer(value, self, self._push(LEAF, NONE, 0.0, 0.0, _is_scalar(value)))

    def process(self, prim, args, kw):
        if prim.elementwise and not kw and not _array_valued(args[0]):
            r = self._scalar_entry(prim, args)
            if r is not None:
                return r
        primals, parents, traced, nested = [], [], False, False
        nondiff = prim.nondiff
        for i, a in enumerate(args):
            if isinstance(a, Box):
                if a._trace is self:
                    v = a.value
                    primals.append(v)
                    if isinstance(v, Box):
                        nested = True
                    if i in nondiff:
                        parents.append(None)
                    else:
                        parents.append(a.slot)
                        traced = True
                    continue
                nested = True
            primals.append(a)
            parents.append(None)
        # With no boxes left inside, the NumPy implementation runs directly; boxes of
        # lower traces (nested derivatives) dispatch to their own traces.
        out = prim(*primals, **kw) if nested else prim.impl(*primals, **kw)
        if not traced or not _is_inexact(out) or self.level < record_from.get():
            return out
        if prim is getitem and type(out) is _F64 and type(primals[0]) is np.ndarray:
            flat = _flat_index(kw["idx"], primals[0].shape)
            if flat is not None:
                return self._element(parents[0], primals[0].shape, flat, float(out))
        if nested or isinstance(out, Box):
            self.pure = False
        slot = self._push(GENERIC, NONE, 0.0, 0.0, _is_scalar(out))
        kept, kept_out = tuple(primals), out
        if prim.elementwise and type(out) is np.ndarray and out.size >= RELEASE_MIN_SIZE:
            kept, kept_out = prim.residuals(kept, out, parents)
        self.generic[slot] = (prim, kw, kept, kept_out, tuple(parents))
        return Tracer(out, self, slot)

    def _scalar_entry(self, prim, args):
        """Record an elementwise op on float scalars as a flat entry; None if not one."""
        if len(args) > 2 or not self.alive:
            return None
        x = self._scalar_operand(args[0])
        y = self._scalar_operand(args[1]) if len(args) == 2 else (0.0, -1)
        if x is None or y is None:
            return None
        (x, xs), (y, ys) = x, y
        vals = (x, y) if len(args) == 2 else (x,)
        if self.level < record_from.get():
            return None
        scalar = prim.scalar
        try:
            out = scalar(*vals) if scalar is not None else prim(*vals)
        except (ArithmeticError, ValueError):   # e.g. 1/0: NumPy's inf, on the generic path
            return None
        if type(out) is not float:
            if type(out) is not _F64:
                return None
            out = float(out)
        if prim.nondiff:
            return None
        partials = prim.partials
        try:
            if xs >= 0:
                dx = float(partials[0](*vals, out))
                dy = float(partials[1](*vals, out)) if ys >= 0 else 0.0
            else:
                xs, dx, ys, dy = ys, float(partials[1](*vals, out)), -1, 0.0
        except (ArithmeticError, ValueError):   # 1/0 in Python floats: use NumPy's inf
            return None
        return Tracer(out, self, self._push(xs, ys, dx, dy, 1))

    def _scalar_operand(self, a):
        """(value, slot) of a float-scalar operand (slot -1 for a constant), or None."""
        t = type(a)
        if t is Tracer:
            v = a.value
            if a._trace is self and (type(v) is float or type(v) is _F64):
                return v, a.slot
            return None
        if t is float or t is int or t is _F64:
            return a, -1
        return None

    def _element(self, parent, shape, flat, value):
        region = self.regions.get(parent) or self._region(parent, shape)
        return Tracer(value, self, self._push(region[0] + flat, ELEMENT, 1.0, 0.0, 1))

    def _region(self, parent, shape):
        """A new region of the element-adjoint buffer for the array in slot ``parent``."""
        region = self.regions[parent] = (self.esize, shape)
        self.esize += int(np.prod(shape))
        return region


def _flat_index(idx, shape):
    """The flat position of ``x[idx]`` when idx picks one element with integers, else None."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    if len(idx) != len(shape):
        return None
    flat = 0
    for k, n in zip(idx, shape):
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
            return None
        flat = flat * n + int(k) % n
    return flat


class _TracerType(type):
    """``Tracer(value, trace, slot)`` builds a Tracer; the class itself has no ``__init__``,
    so the fast operators make a bare one with ``_bare_tracer()``, a C-level call (a Python
    ``__init__`` or ``object.__new__`` costs 30-90 ns more per recorded operation)."""

    def __call__(cls, value, trace, slot):
        r = type.__call__(cls)
        r.value, r._trace, r.slot = value, trace, slot
        return r


class Tracer(Box, metaclass=_TracerType):
    """A value recorded on a reverse-mode tape (slot ``slot`` of its trace)."""

    __slots__ = ("slot",)

    def __repr__(self):
        return f"Tracer({self.value!r}, slot={self.slot})"


_bare_tracer = type.__call__.__get__(Tracer)


# The fast operators: + - * / ** and unary - on float Tracers of one trace (and int or float
# constants), x[i] of a 1-D float64 array and np.sin(x)-style one-operand ufuncs
# (``_array_ufunc``) record their entry inline: no primitive
# dispatch, no call per partial, the Tracer built by a C call. Everything else (other
# traces, nested derivatives, NumPy scalars, arrays, 1/0, a dead or non-recording trace)
# takes the general path, ``slow``, unchanged. The operators are compiled from one
# template; the partials of + - * / are the table's own expressions of x, y (the operands)
# and o (the value), inlined since a call costs more than the arithmetic; ** calls the
# table's partial (_d0). tests/test_tape.py checks the recorded partials against the
# table's ``partials`` on random operands, and every operator against ``slow``.
def _inline(name, i, operands="x, y, o"):
    """Partial i of a table entry as source for the fast operators: the table's own
    expression where it declares one (``primitives.expression``), else a call of it."""
    d = _TABLE[name].partials[i]
    return getattr(d, "expr", None) or f"float(_d{i}({operands}))"


FAST_OPS = {   # method: (primitive, value, d/dx, d/dy); d/dy None: y must be a constant
    "add": ("add", "x + y", _inline("add", 0), _inline("add", 1)),
    "sub": ("subtract", "x - y", _inline("subtract", 0), _inline("subtract", 1)),
    "mul": ("multiply", "x * y", _inline("multiply", 0), _inline("multiply", 1)),
    "truediv": ("divide", "x / y", _inline("divide", 0), _inline("divide", 1)),
    "pow": ("power", "_f(x, y)", _inline("power", 0), None),
    "neg": ("negative", "-x", _inline("negative", 0, "x, o")),
}

_RECORD = """
n = trace.n
trace.n = n + 1
stage = trace._stage
stage += entry
if n >= trace._flush_at:
    trace._flush()
r = _bare_tracer()
r.value = o
r._trace = trace
r.slot = n
return r"""

_TRACER_TRACER = """
    if t is Tracer:
        x = self.value
        y = other.value
        if (other._trace is trace and type(x) is float and type(y) is float
                and trace.alive and trace.level >= _recording_from()):
            try:
                o = {value}
                entry = (self.slot, other.slot, {dx}, {dy})
            except (ArithmeticError, ValueError):
                return slow(self, other)
            {record}"""

_WITH_CONSTANT = """
    if t is float or t is int:
        {tracer} = self.value
        {constant} = other
        if type({tracer}) is float and trace.alive and trace.level >= _recording_from():
            try:
                o = {{value}}
                entry = (self.slot, -1, {partial}, 0.0)
            except (ArithmeticError, ValueError):
                return slow(self, other)
            {{record}}"""
# tracer op constant, and constant op tracer (the reflected operators)
_TRACER_CONSTANT = _WITH_CONSTANT.format(tracer="x", constant="y", partial="{dx}")
_CONSTANT_TRACER = _WITH_CONSTANT.format(tracer="y", constant="x", partial="{dy}")

_BINARY = """
def op(self, other):
    trace = self._trace
    t = type(other){cases}
    return slow(self, other)
"""

_UNARY = """
def op(self):
    trace = self._trace
    x = self.value
    if type(x) is float and trace.alive and trace.level >= _recording_from():
        try:
            o = {value}
            entry = (self.slot, -1, {dx}, 0.0)
        except (ArithmeticError, ValueError):
            return slow(self)
        {record}
    return slow(self)
"""

# x[i] of a 1-D float64 array: an element entry into the array's gathered region (scalar
# loops over arrays do this once per element); anything else takes the getitem primitive.
_ITEM = """
def op(self, idx):
    v = self.value
    trace = self._trace
    if (type(idx) is int and type(v) is ndarray and trace.alive
            and trace.level >= _recording_from()):
        region = trace.regions.get(self.slot)
        if region is None and v.ndim == 1 and v.dtype == float64:
            region = trace._region(self.slot, v.shape)
        if region is not None and len(region[1]) == 1:
            o = float(v[idx])       # IndexError as NumPy raises it
            entry = (region[0] + idx % region[1][0], ELEMENT, 1.0, 0.0)
            {record}
    return slow(self, idx)
"""


def _compile(name, src, slow, **names):
    """Compile one fast operator (``slow``: the general path it falls back to)."""
    lines = []
    for line in src.split("\n"):          # {record}: the _RECORD lines, at its indent
        indent = line[:len(line) - len(line.lstrip())]
        lines += ([indent + r for r in _RECORD.strip().split("\n")]
                  if line.strip() == "{record}" else [line])
    src = "\n".join(lines)
    namespace = dict(names, Tracer=Tracer, _bare_tracer=_bare_tracer, slow=slow,
                     _recording_from=record_from.get)
    exec(compile(src, f"<dualad fast {name}>", "exec"), namespace)
    op = namespace["op"]
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{name} of Tracers: a scalar entry recorded inline when it can be."
    op.slow = slow      # for tests that compare the two
    return op


def _fast_operators(method, prim, slow_op, slow_rop):
    """``__method__`` (and ``__rmethod__`` for two operands) from FAST_OPS."""
    _, value, dx, *dy = FAST_OPS[method]
    names = {"_f": prim.scalar, **{f"_d{i}": d for i, d in enumerate(prim.partials)}}
    if not dy:
        src = _UNARY.format(value=value, dx=dx, record="{record}")
        return _compile(f"__{method}__", src, slow_op, **names), None
    dy = dy[0]
    cases = (_TRACER_TRACER if dy is not None else "") + _TRACER_CONSTANT
    fill = dict(value=value, dx=dx, dy=dy, record="{record}")
    op = _compile(f"__{method}__", _BINARY.format(cases=cases.format(**fill)), slow_op,
                  **names)
    if dy is None:
        return op, slow_rop
    rop = _compile(f"__r{method}__", _BINARY.format(cases=_CONSTANT_TRACER.format(**fill)),
                   slow_rop, **names)
    return op, rop


def _array_valued(x):
    """True for an array or a Tracer of one: such operands never make a scalar entry."""
    return type(x) is np.ndarray or (type(x) is Tracer and type(x.value) is np.ndarray)


def _scalar_operators():
    """Python operators on Tracers: the fast operators, falling back to the primitive
    (whose trace makes a scalar entry when it can, ``_scalar_entry``)."""
    from . import primitives as P

    def binary(prim):
        # the primitive dispatches to the right trace, whose ``process`` makes the scalar
        # entry when it can
        return (lambda self, other: prim(self, other)), (lambda self, other: prim(other, self))

    for method in ("add", "sub", "mul", "truediv", "pow"):
        prim = P.TABLE[FAST_OPS[method][0]]
        op, rop = _fast_operators(method, prim, *binary(prim))
        setattr(Tracer, f"__{method}__", op)
        setattr(Tracer, f"__r{method}__", rop)

    Tracer.__neg__, _ = _fast_operators("neg", P.negative, lambda self: P.negative(self),
                                        None)

    def getitem(self, idx):
        return P.getitem(self, idx=idx)
    Tracer.__getitem__ = _compile("__getitem__", _ITEM, getitem, ndarray=np.ndarray,
                                  float64=_F64, ELEMENT=ELEMENT)
    Tracer.__array_ufunc__ = _array_ufunc


_ufunc_ops = {None: -1}  # ufunc -> fast one-operand op; None -> the table size they follow


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """np.sin(tracer) and the other one-operand ufuncs served by an elementwise primitive
    with a math implementation: the scalar entry recorded by a fast op (FAST_OPS' unary
    template with the primitive's own value and partial); else NumPy's dispatch."""
    if method == "__call__" and not kwargs and len(inputs) == 1 \
            and type(self.value) is not np.ndarray:
        if _ufunc_ops[None] != len(_TABLE):
            _refresh_ufunc_ops()
        op = _ufunc_ops.get(ufunc)
        if op is not None:
            return op(self)
    return _numpy_dispatch.array_ufunc(self, ufunc, method, *inputs, **kwargs)


_array_ufunc.slow = _numpy_dispatch.array_ufunc     # for tests that compare the two


def _refresh_ufunc_ops():
    """Compile a fast op for each ufunc that NumPy dispatch serves with such a primitive."""
    global _ufunc_ops
    from . import primitives as P
    nd = _numpy_dispatch
    nd._refresh()
    ops = {None: len(P.TABLE)}
    for ufunc, prim in nd.UFUNCS.items():
        if (isinstance(prim, P.Elementwise) and prim.nin == 1 and prim.scalar is not None
                and not prim.nondiff and ufunc not in nd.ZERO_DERIVATIVE_UFUNCS):
            def slow(self, ufunc=ufunc):
                return nd.array_ufunc(self, ufunc, "__call__", self)
            ops[ufunc] = _compile(f"numpy.{ufunc.__name__}", _UNARY.format(
                value="_f(x)", dx="float(_d0(x, o))", record="{record}"), slow,
                _f=prim.scalar, _d0=prim.partials[0])
    _ufunc_ops = ops        # one rebinding: other threads see the old map or the new one


_scalar_operators()


# ------------------------------------------------------------------------------------
# Backward sweeps
# ------------------------------------------------------------------------------------
_PLAIN_CT = (np.ndarray, _F64)
_SIGNS = {ONE: 1, MINUS_ONE: -1}    # constant partials of linear operands


class Adjoints:
    """Cotangents accumulated during a sweep, keyed by slot.

    Memory traffic decides the speed of array code, so sums go in place into arrays the
    sweep allocated itself (``owned``), never into a seed or an array a VJP rule returned
    (those may alias a primal or another slot's cotangent). A slot's adjoint is final when
    it is taken, so an owned array is never written after it has been handed on.
    """

    __slots__ = ("sums", "owned")

    def __init__(self):
        self.sums = {}
        self.owned = set()

    def add(self, key, c):
        sums = self.sums
        old = sums.get(key)
        if old is None:
            sums[key] = c
        elif (key in self.owned and type(c) in _PLAIN_CT and c.dtype == old.dtype
              and c.shape == old.shape):
            old += c
        else:
            new = old + c
            sums[key] = new
            if type(new) is np.ndarray:
                self.owned.add(key)
            else:
                self.owned.discard(key)

    def take(self, key):
        self.owned.discard(key)
        return self.sums.pop(key, None)

    def add_at(self, key, idx, shape, g):
        """Add ``g`` into the adjoint of an array of ``shape`` at the basic index ``idx``:
        the transpose of ``x[idx]`` without a zero array per read when the sum is ours."""
        old = self.sums.get(key)
        if key in self.owned and old.shape == shape \
                and np.result_type(old.dtype, g.dtype) == old.dtype:
            old[idx] += g
            return
        z = scatter_add.impl(g, idx=idx, shape=shape)     # the rule's own fresh array
        if old is None:
            self.sums[key] = z
            self.owned.add(key)
        elif key in self.owned:
            self.add(key, z)
        else:
            self._adopt(key, z, old)

    def _adopt(self, key, z, old):
        """Store z + old as the sum, reusing z (ours) when the types allow."""
        if type(old) in _PLAIN_CT and np.result_type(z.dtype, old.dtype) == z.dtype:
            z += old
            self.sums[key] = z
            self.owned.add(key)
        else:
            self.sums[key] = old + z
            self.owned.discard(key)

    def pull(self, node, g):
        """The reverse-mode step: add the contributions of node (a generic entry) to its
        parents' adjoints given its output cotangent ``g``."""
        prim, kw, primals, out, parents = node
        if prim is getitem and type(g) in _PLAIN_CT and type(primals[0]) is np.ndarray \
                and _basic_index(kw["idx"]):
            if parents[0] is not None:
                self.add_at(parents[0], kw["idx"], primals[0].shape, g)
            return
        plain = type(g) in _PLAIN_CT
        for j, p in enumerate(parents):
            if p is None:
                continue
            sign = _SIGNS.get(prim.partials[j]) if plain and prim.elementwise else None
            if sign is not None and shape_of(primals[j]) == g.shape \
                    and dtype_of(primals[j]) == g.dtype:
                self.add_signed(p, g, sign)     # +g or -g: no temporary for the sign
            else:
                self.add(p, prim.vjp(j, g, primals, out, kw))

    def add_signed(self, key, g, sign):
        """adj[key] += sign * g (sign +1 or -1), for the linear operands of add, subtract
        and negative: no array -g is made when the sum is ours."""
        old = self.sums.get(key)
        if sign < 0 and old is not None and key in self.owned \
                and old.dtype == g.dtype and old.shape == g.shape:
            old -= g
        else:
            self.add(key, g if sign > 0 else -g)


class _KernelAdjoints(Adjoints):
    """Adjoints whose scalar slots live in the sweep kernel's flat buffers."""

    __slots__ = ("scalar", "sadj", "has")

    def __init__(self, scalar, sadj, has):
        super().__init__()
        self.scalar, self.sadj, self.has = scalar, sadj, has

    def add(self, key, c):
        if self.scalar[key]:
            self.sadj[key] += c
            self.has[key] = True
        else:
            Adjoints.add(self, key, c)


def _basic_index(idx):
    """True when x[idx] is a view (ints, slices, None, Ellipsis): no repeated elements."""
    for k in (idx if type(idx) is tuple else (idx,)):
        if not (k is None or k is Ellipsis or type(k) is slice or type(k) is int):
            return False
    return True


FAST_SWEEP_MIN_SCALARS = 32


def sweep(trace, seeds, wanted):
    """Adjoints of the slots ``wanted`` given output cotangents ``seeds`` ({slot: g}).

    None marks a slot that no seeded output depends on.
    """
    generic = trace.generic
    if len(trace) == len(generic) + trace.leaves:
        return _sweep_generic(generic, seeds, wanted)
    plain = all(not isinstance(g, Box) for g in seeds.values())
    # The kernel pays off for runs of scalar entries; a tape of array operations is
    # swept faster by the plain loop (no flat buffers to set up, no kernel calls).
    many_scalars = len(trace) - len(trace.generic) > FAST_SWEEP_MIN_SCALARS
    kernel = tape_kernel.compiled_sweep() if plain and trace.pure and many_scalars else None
    if kernel is None:
        return _sweep_reference(trace, seeds, wanted)
    return _sweep_fast(trace, seeds, wanted, kernel)


def _sweep_generic(generic, seeds, wanted):
    """The sweep of a tape of array operations only (no scalar or element entries):
    generic entries in reverse order of recording."""
    adj = Adjoints()
    for slot, g in seeds.items():
        adj.add(slot, g)
    for i in reversed(generic):
        g = adj.take(i)
        if g is not None:
            adj.pull(generic[i], g)
    return [adj.take(s) for s in wanted]


def _region_adjoint(trace, slot, elements):
    """The adjoint gathered element by element for array ``slot`` (or None)."""
    region = trace.regions.get(slot)
    if region is None:
        return None
    off, shape = region
    return elements(off, int(np.prod(shape)), shape)


def _add(x, y):
    return y if x is None else (x if y is None else x + y)


def _sweep_reference(trace, seeds, wanted):
    a, b, da, db, generic = trace.a, trace.b, trace.da, trace.db, trace.generic
    adj = Adjoints()
    eadj = {}

    def elements(off, size, shape):
        vals = [eadj.pop(off + k, None) for k in range(size)]
        if all(v is None for v in vals):
            return None
        if not any(isinstance(v, Box) for v in vals):
            return np.array([0.0 if v is None else v for v in vals]).reshape(shape)
        return np.stack([0.0 if v is None else v for v in vals]).reshape(shape)

    def take(i):
        return _add(adj.take(i), _region_adjoint(trace, i, elements))

    for slot, g in seeds.items():
        adj.add(slot, g)
    for i in range(len(a) - 1, -1, -1):
        ai = a[i]
        if ai == LEAF:
            continue
        if ai == GENERIC:
            g = take(i)
            if g is not None:
                adj.pull(generic[i], g)
            continue
        g = adj.take(i)
        if g is None:
            continue
        if b[i] == ELEMENT:
            eadj[ai] = _add(eadj.get(ai), g)
            continue
        adj.add(ai, g * da[i])
        if b[i] >= 0:
            adj.add(b[i], g * db[i])
    return [take(s) for s in wanted]


def _sweep_fast(trace, seeds, wanted, kernel):
    n = len(trace.a)
    a = np.frombuffer(trace.a, dtype=np.int64) if n else np.zeros(0, np.int64)
    b = np.frombuffer(trace.b, dtype=np.int64) if n else np.zeros(0, np.int64)
    da = np.frombuffer(trace.da, dtype=np.float64) if n else np.zeros(0)
    db = np.frombuffer(trace.db, dtype=np.float64) if n else np.zeros(0)
    scalar = trace.scalar
    sadj = np.zeros(n)
    has = np.zeros(n, dtype=np.bool_)
    eadj = np.zeros(trace.esize)
    adj = _KernelAdjoints(scalar, sadj, has)

    def elements(off, size, shape):
        return eadj[off:off + size].reshape(shape).copy()

    def take(i):
        if scalar[i]:
            return _F64(sadj[i]) if has[i] else None
        return _add(adj.take(i), _region_adjoint(trace, i, elements))

    for slot, g in seeds.items():
        adj.add(slot, g)
    kinds = trace.a
    i = n - 1
    while i >= 0:
        if kinds[i] != GENERIC:
            i = kernel(a, b, da, db, sadj, has, eadj, i)
        if i < 0:
            break
        g = take(i)
        if g is not None:
            adj.pull(trace.generic[i], g)
        i -= 1
    return [take(s) for s in wanted]
