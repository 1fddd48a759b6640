"""The work of one pass of f, counted from a recorded tape (``tape_work``), and the memory
the tape holds (``tape_memory``). Each row's ``cost`` says how its work counts."""
import array as _array
import math
from dataclasses import dataclass

import numpy as np

from ..core import Box, shape_of
from ..modes.reverse import GENERIC, LEAF


#: Structural primitives: their outputs are views, so they cost no work per element.
@dataclass
class Work:
    """What one evaluation of f does, counted from a recorded tape or a forward pass."""

    ops: int = 0          # primitives applied to arrays (generic tape entries)
    scalar_ops: int = 0   # primitives on Python floats (flat scalar tape entries)
    elements: int = 0     # elements produced by elementwise and reducing primitives
    flops: int = 0        # multiply-adds of matrix products
    gathered: int = 0     # elements of arrays indexed one by one (x[i] on a tape)

    def add(self, prim, primals, out):
        kind = prim.cost           # the row says how its work counts
        if kind == "matmul":
            sa = shape_of(primals[0])
            self.flops += size_of(out) * (sa[-1] if sa else 1)
            self.ops += 1
        elif kind == "view":
            self.ops += 1
        else:
            size = size_of(out)
            for p in primals:
                if isinstance(p, (np.ndarray, Box)):
                    size = max(size, size_of(p))
            if size == 1 and _is_scalar(out):
                self.scalar_ops += 1
            else:
                self.ops += 1
            self.elements += size


def size_of(x):
    return math.prod(shape_of(x))


def _is_scalar(x):
    return isinstance(x, (float, np.float64)) and not isinstance(x, np.ndarray)


def generic_nodes(trace):
    """The (prim, kw, primals, out, parents) entries of a tape."""
    return list(trace.generic.values())


def _flat_entries(trace):
    """(scalar entries, leaves) of a tape."""
    a = trace.a
    if not len(a):
        return 0, 0
    codes = np.frombuffer(a, dtype=np.int64)
    leaves = int(np.count_nonzero(codes == LEAF))
    generic = int(np.count_nonzero(codes == GENERIC))
    return len(codes) - leaves - generic, leaves


def tape_work(trace):
    """The ``Work`` recorded on a reverse-mode tape."""
    w = Work()
    for prim, kw, primals, out, parents in generic_nodes(trace):
        w.add(prim, primals, out)
    w.scalar_ops += _flat_entries(trace)[0]
    w.gathered = int(getattr(trace, "esize", 0))
    return w


def _root(x):
    while isinstance(x, Box):
        x = x.value
    if isinstance(x, np.ndarray):
        while isinstance(x.base, np.ndarray):
            x = x.base
    return x


def _held_bytes(x, seen):
    x = _root(x)
    if id(x) in seen:
        return 0
    if isinstance(x, np.ndarray):
        seen[id(x)] = x     # keep it alive so that its id is not reused while counting
        return int(x.nbytes)
    if isinstance(x, (float, complex, np.generic)):
        seen[id(x)] = x
        return int(np.asarray(x).nbytes)
    return 0


def tape_memory(trace):
    """(bytes held by the tape, of which intermediates) for a recorded reverse pass.

    Counts each distinct array the tape's entries hold once (views count as the array
    they view; a released stand-in is a single NaN), plus the flat arrays of scalar
    entries. "Intermediates" are the arrays
    the recorded primitives produced (their outputs): memory that exists only because
    reverse mode keeps it for the sweep. The rest are inputs and constants of f.
    """
    seen = {}
    flat = 0
    for name in ("a", "b", "da", "db", "scalar"):       # the flat columns of the tape
        column = getattr(trace, name, None)
        if isinstance(column, _array.array):
            flat += len(column) * column.itemsize
    nodes = generic_nodes(trace)
    produced = getattr(trace, "generic", {})
    inter = flat
    for node in nodes:
        inter += _held_bytes(node[3], seen)
        # an output the tape released (elementwise residuals) is still held when a later
        # entry keeps it as an operand: it counts as an intermediate there
        inter += sum(_held_bytes(p, seen) for p, parent in zip(node[2], node[4])
                     if parent in produced)
    total = inter
    for node in nodes:
        for p in node[2]:
            total += _held_bytes(p, seen)
    return total, inter
