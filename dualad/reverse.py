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
table's derivative expressions; generic entries (arrays, nested derivatives) call the
primitive's VJP during the sweep. The sweep is a plain reverse loop: no recursion, no
topological sort, no depth limit. ``_sweep_reference`` is the pure-Python sweep
(any cotangent type, numba off); ``_sweep_fast`` gives identical results with runs of
scalar entries swept by the kernel in ``tape_kernel.py``.
"""
import contextvars
from array import array

import numpy as np

from . import tape_kernel
from .core import Box, Trace, dtype_of, shape_of
from .forward import _is_inexact
from .primitives import MINUS_ONE, ONE, getitem

# Traces whose level is below this do not record. ``dualad.no_grad()`` sets it to a fresh
# level, so it covers the object API's tensors (level 0) and any grad already running
# when the block starts, but not a grad or vjp called inside the block, which (as in JAX
# and torch.func) still differentiates: no_grad never silently zeroes a functional grad.
record_from = contextvars.ContextVar("dualad_record_from", default=0)

LEAF, GENERIC, ELEMENT, NONE = (tape_kernel.LEAF, tape_kernel.GENERIC, tape_kernel.ELEMENT,
                                tape_kernel.NONE)
_F64 = np.float64


def _is_scalar(v):
    t = type(v)
    return t is float or t is _F64


class ReverseTrace(Trace):
    """A reverse-mode derivative: the tape being recorded while f runs."""

    kind = "Tracer"

    def __init__(self):
        super().__init__()
        self.a, self.b = array("q"), array("q")
        self.da, self.db = array("d"), array("d")
        self.scalar = array("b")
        self.generic = {}
        self.regions = {}     # array slot -> (offset, shape) in the element-adjoint buffer
        self.esize = 0
        self.pure = True      # no boxes of other traces inside generic entries

    def __len__(self):
        return len(self.a)

    def _push(self, a, b, da, db, scalar):
        self.a.append(a)
        self.b.append(b)
        self.da.append(da)
        self.db.append(db)
        self.scalar.append(scalar)
        return len(self.a) - 1

    def leaf(self, value):
        """A new input of the tape."""
        return Tracer(value, self, self._push(LEAF, NONE, 0.0, 0.0, _is_scalar(value)))

    def process(self, prim, args, kw):
        if prim.elementwise and not kw:
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
        if prim.elementwise and type(out) is np.ndarray:
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
        self.a.append(xs)
        self.b.append(ys)
        self.da.append(dx)
        self.db.append(dy)
        self.scalar.append(1)
        return Tracer(out, self, len(self.a) - 1)

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
        region = self.regions.get(parent)
        if region is None:
            region = self.regions[parent] = (self.esize, shape)
            self.esize += int(np.prod(shape))
        return Tracer(value, self, self._push(region[0] + flat, ELEMENT, 1.0, 0.0, 1))


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


class Tracer(Box):
    """A value recorded on a reverse-mode tape (slot ``slot`` of its trace)."""

    __slots__ = ("slot",)

    def __init__(self, value, trace, slot):
        self.value, self._trace, self.slot = value, trace, slot

    def __repr__(self):
        return f"Tracer({self.value!r}, slot={self.slot})"


def _scalar_operators():
    """Python operators on Tracers try the scalar entry first (the hot path of scalar code)."""
    from . import primitives as P

    def binary(prim):
        def op(self, other):
            r = self._trace._scalar_entry(prim, (self, other))
            return prim(self, other) if r is None else r

        def rop(self, other):
            r = self._trace._scalar_entry(prim, (other, self))
            return prim(other, self) if r is None else r
        return op, rop

    for name, prim in (("add", P.add), ("sub", P.subtract), ("mul", P.multiply),
                       ("truediv", P.divide), ("pow", P.power)):
        op, rop = binary(prim)
        setattr(Tracer, f"__{name}__", op)
        setattr(Tracer, f"__r{name}__", rop)

    def neg(self):
        r = self._trace._scalar_entry(P.negative, (self,))
        return P.negative(self) if r is None else r
    Tracer.__neg__ = neg

    def item(self, idx):
        # x[i] of a 1-D float64 array: straight to an element entry (scalar loops over
        # arrays do this once per element); anything else takes the getitem primitive.
        v, trace = self.value, self._trace
        if (type(idx) is int and type(v) is np.ndarray and v.ndim == 1
                and v.dtype == _F64 and trace.alive and trace.level >= record_from.get()):
            value = float(v[idx])       # IndexError as NumPy raises it
            return trace._element(self.slot, v.shape, idx % v.shape[0], value)
        return P.getitem(self, idx=idx)
    Tracer.__getitem__ = item


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
        z = np.zeros(shape, dtype=np.result_type(g.dtype, np.float32))
        z[idx] = g
        if old is None:
            self.sums[key] = z
            self.owned.add(key)
        else:
            self.add(key, z) if key in self.owned else self._adopt(key, z, old)

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
    plain = all(not isinstance(g, Box) for g in seeds.values())
    # The kernel pays off for runs of scalar entries; a tape of array operations is
    # swept faster by the plain loop (no flat buffers to set up, no kernel calls).
    many_scalars = len(trace) - len(trace.generic) > FAST_SWEEP_MIN_SCALARS
    kernel = tape_kernel.compiled_sweep() if plain and trace.pure and many_scalars else None
    if kernel is None:
        return _sweep_reference(trace, seeds, wanted)
    return _sweep_fast(trace, seeds, wanted, kernel)


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
