"""The tape: a ``Tracer`` records each operation on a Wengert list while f runs.

Every recorded value has a slot on the tape, in execution order. The tape is stored as
flat arrays, one entry per slot, so that scalar code costs a few dozen bytes per
operation and its backward sweep (``sweep.py``) runs in one numba kernel:

    a[i], b[i]    parent slots (b = -1: one parent)   -- a scalar entry, partials da, db
    a[i] = -1     a leaf (an input)
    a[i] = -2     a generic entry: (prim, kw, primals, out, parents) in ``generic[i]``
    b[i] = -3     an element x[idx] of an array slot: a[i] indexes the element-adjoint
                  buffer, where the array's adjoint is gathered (O(1) per element)
    scalar[i]     1 when the slot's value is a Python/NumPy float64 scalar

Scalar entries hold their local partials, computed when recorded from the row's own
derivative expressions (``_scalar_entry``; the fast operators of ``fastops.py`` do the
same inline); generic entries (arrays, nested derivatives) call the primitive's VJP
during the sweep. While recording, new entries are staged in a list (one extend per
entry, much cheaper than five array appends) and moved to the arrays every
``STAGE_ENTRIES`` entries and whenever a column (``trace.a``, ...) is read.
"""
import contextvars
import functools
import struct
from array import array

import numpy as np

from ...accel import memory, tape_kernel
from ...core import Box, Trace, is_inexact, redo_without_objects
from ...rules import RELEASE_MIN_SIZE, getitem

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
        memory.on_first_trace()     # reverse mode's temporaries: keep freed memory
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

    def constant(self, value, like):
        """A slot with no parents (not an input): its value has a zero derivative."""
        if self.level < record_from.get():
            return value
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
        if not traced or not is_inexact(out) or self.level < record_from.get():
            return redo_without_objects(prim, args, kw, out)
        if prim is getitem and type(out) is _F64 and type(primals[0]) is np.ndarray:
            flat = flat_index(kw["idx"], primals[0].shape)
            if flat is not None:
                return self._element(parents[0], primals[0].shape, flat, float(out))
        if nested or isinstance(out, Box):
            self.pure = False
        slot = self._push(GENERIC, NONE, 0.0, 0.0, _is_scalar(out))
        kept, kept_out = tuple(primals), out
        if prim.elementwise and type(out) is np.ndarray and out.size >= RELEASE_MIN_SIZE:
            kept, kept_out = prim.residuals(kept, out, parents)
        kept, kw = frozen(prim, kept, parents, kw)
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


def frozen(prim, primals, parents, kw):
    """(primals, kw) as a tape entry keeps them for the VJP: a plain, writeable NumPy
    array the VJP reads (a constant, a mask, an index array, a work buffer refilled in a
    loop, data) is copied, so that writing into it after the operation cannot change the
    derivative. Traced values (the tape's own arrays) and read-only arrays are kept as
    they are: mark large constant data read-only (``a.flags.writeable = False``) to skip
    the copy."""
    copy = None
    for i, v in enumerate(primals):
        if type(v) is np.ndarray and parents[i] is None and v.flags.writeable:
            if copy is None:
                copy = prim.vjp_reads(parents)
            if i in copy:
                primals = primals[:i] + (v.copy(),) + primals[i + 1:]
    if kw:
        for k, v in kw.items():
            if _writeable(v) or (type(v) is tuple and any(_writeable(u) for u in v)):
                kw = dict(kw)
                kw[k] = (tuple(u.copy() if _writeable(u) else u for u in v)
                         if type(v) is tuple else v.copy())
    return primals, kw


def _writeable(v):
    return type(v) is np.ndarray and v.flags.writeable


def flat_index(idx, shape):
    """The flat position of ``x[idx]`` when idx picks one element with integers in range,
    else None (the tape's element entries and dualad.compile's scalar form use it)."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    if len(idx) != len(shape):
        return None
    flat = 0
    for k, n in zip(idx, shape):
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not -n <= k < n:
            return None
        flat = flat * n + int(k) % n
    return flat


def _array_valued(x):
    """True for an array or a Tracer of one: such operands never make a scalar entry."""
    return type(x) is np.ndarray or (type(x) is Tracer and type(x.value) is np.ndarray)


class _TracerType(type):
    """``Tracer(value, trace, slot)`` builds a Tracer; the class itself has no ``__init__``,
    so the fast operators make a bare one with ``_bare_tracer()``, a C-level call (a Python
    ``__init__`` or ``object.__new__`` costs 30-90 ns more per recorded operation)."""

    def __call__(cls, value, trace, slot):
        r = type.__call__(cls)
        r.value, r._trace, r.slot = value, trace, slot
        return r


class Tracer(Box, metaclass=_TracerType):
    """A value recorded on a reverse-mode tape.

    ``grad``, ``vjp`` and ``jacrev`` call ``f`` with Tracers in place of the arguments; each
    operation on them appends one entry to the tape, which the backward sweep walks in
    reverse. Users meet Tracers only inside the function being differentiated; they behave
    like the float or array they hold, except that turning them into plain values
    (``float``, ``math.*``, ``np.asarray``) raises ``ConcretizationError``.

    Examples:
        >>> def f(x):
        ...     assert isinstance(x, ad.Tracer)
        ...     return x * x
        >>> ad.grad(f)(3.0)
        6.0
    """

    __slots__ = ("slot",)

    def __repr__(self):
        return f"Tracer({self.value!r}, slot={self.slot})"


#: A bare Tracer by a C-level call: the fast operators fill in value, _trace and slot.
bare_tracer = type.__call__.__get__(Tracer)
