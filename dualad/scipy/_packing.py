"""What the solver wrappers share: the traced leaves of ``args`` packed into one vector
(an operand of a row), and a forward derivative along k directions in one pass."""
import numpy as np

from ..core import Box, primal
from ..modes.forward import Dual, ForwardTrace
from ..core.tree import flatten, unflatten
from ..transforms.common import boxes_of


def traced(*trees):
    """Whether any leaf of the trees is a traced value."""
    return any(isinstance(x, Box) for tree in trees for x in flatten(tree)[0])


class Args:
    """``args`` split into traced leaves (packed into the vector p) and everything else
    (kept as given: constants, ints, strings, callables)."""

    def __init__(self, args):
        args = () if args is None else args
        if not isinstance(args, tuple):
            args = (args,)
        self.leaves, self.treedef = flatten(args)
        self.traced = [i for i, x in enumerate(self.leaves) if isinstance(x, Box)]
        self.shapes = [self.leaves[i].shape for i in self.traced]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.n_p = sum(self.sizes)

    def packed(self):
        parts = [np.reshape(self.leaves[i], (-1,)) for i in self.traced]
        return np.concatenate(parts) if parts else np.zeros(0)

    def unpack(self, p):
        """The args tuple with the traced leaves read from ``p``."""
        leaves, off = list(self.leaves), 0
        for i, shape, size in zip(self.traced, self.shapes, self.sizes):
            leaves[i] = np.reshape(p[off:off + size], shape)
            off += size
        return unflatten(self.treedef, leaves)

    def plain(self):
        """The args tuple with every derivative stripped."""
        return unflatten(self.treedef, [primal(x) for x in self.leaves])


def directions(f, primals, tangents):
    """f(*primals) and its derivatives along k directions (tangents: (k,) + shape each),
    in one forward pass on a fresh trace (nested calls never share perturbations)."""
    trace = ForwardTrace(batched=True)
    try:
        out = boxes_of(f(*[Dual._make(p, t, trace) for p, t in zip(primals, tangents)]))
    finally:
        trace.finish()
    k = np.shape(primal(tangents[0]))[0]
    if isinstance(out, Box) and out._trace is trace:
        return out.value, out._t
    return out, np.zeros((k,) + np.shape(primal(out)))


def flat(v):
    """A function's value as a 1-D vector (lists of traced scalars are stacked)."""
    if isinstance(v, (list, tuple)):
        v = np.stack(v)
    return np.reshape(v, (-1,))
