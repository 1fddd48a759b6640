"""The backward sweep: the tape walked from the end, cotangents pulled to the parents.

The sweep is a plain reverse loop: no recursion, no topological sort, no depth limit.
``_sweep_reference`` is the readable reference (any cotangent type, numba off);
``_sweep_fast`` gives identical results with runs of scalar entries swept by the numba
kernel of ``accel/tape_kernel.py``, and ``_sweep_generic`` serves tapes of array
operations only. All of them accumulate array cotangents in an ``Adjoints``; the object
API's ``backward()`` uses the same ``Adjoints.pull`` step.
"""
import numpy as np

from ...accel import kernels, tape_kernel
from ...core import Box, dtype_of, shape_of
from ...rules import all_finite, getitem, scatter_add, strong_zero_mode, strong_zeros, times
from .tape import ELEMENT, GENERIC, LEAF

_F64 = np.float64
_PLAIN_CT = (np.ndarray, _F64)


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
            sign = prim.signs[j] if plain and prim.elementwise else None
            if sign is not None and shape_of(primals[j]) == g.shape \
                    and dtype_of(primals[j]) == g.dtype:
                self.add_signed(p, g, sign)     # +g or -g: no temporary for the sign
            else:
                self.add(p, kernels.vjp(prim, j, g, primals, out, kw))

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

    None marks a slot that no seeded output depends on. A result with a non-finite value
    is swept again with strong zeros (``rules.strong_zero_mode``): the sweep is
    side-effect free, so the common, finite case pays nothing for them.
    """
    adj = _sweep_once(trace, seeds, wanted)
    if strong_zeros.get() or all_finite(adj):
        return adj
    with strong_zero_mode():
        return _sweep_once(trace, seeds, wanted)


def _sweep_once(trace, seeds, wanted):
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
        adj.add(ai, times(g, da[i]))
        if b[i] >= 0:
            adj.add(b[i], times(g, db[i]))
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
    strong = strong_zeros.get()
    i = n - 1
    while i >= 0:
        if kinds[i] != GENERIC:
            i = kernel(a, b, da, db, sadj, has, eadj, i, strong)
        if i < 0:
            break
        g = take(i)
        if g is not None:
            adj.pull(trace.generic[i], g)
        i -= 1
    return [take(s) for s in wanted]
