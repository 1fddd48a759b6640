"""Reverse mode: a ``Tracer`` records a Wengert list (the tape); ``backward`` sweeps it.

Each primitive applied to a Tracer appends one node ``(prim, kw, primals, out, parents)``
in execution order, where ``parents`` are the tape slots of the traced operands. The
backward sweep is a plain reverse loop over the tape: no recursion, no topological sort,
no depth limit. Adjoints are freed as soon as they have been pushed to the parents.
"""
import contextvars

from .core import Box, Trace
from .forward import _is_inexact

# False inside ``dualad.no_grad()``: reverse traces stop recording.
recording = contextvars.ContextVar("dualad_recording", default=True)


class ReverseTrace(Trace):
    """A reverse-mode derivative: the tape being recorded while f runs."""

    kind = "Tracer"

    def __init__(self):
        super().__init__()
        self.nodes = []

    def leaf(self, value):
        """A new input of the tape."""
        self.nodes.append(None)
        return Tracer(value, self, len(self.nodes) - 1)

    def process(self, prim, args, kw):
        primals, parents, traced = [], [], False
        for i, a in enumerate(args):
            if isinstance(a, Box) and a.trace is self:
                primals.append(a.value)
                if i in prim.nondiff:
                    parents.append(None)
                else:
                    parents.append(a.slot)
                    traced = True
            else:
                primals.append(a)
                parents.append(None)
        out = prim(*primals, **kw)
        if not traced or not _is_inexact(out) or not recording.get():
            return out
        self.nodes.append((prim, kw, tuple(primals), out, tuple(parents)))
        return Tracer(out, self, len(self.nodes) - 1)


class Tracer(Box):
    """A value recorded on a reverse-mode tape (slot ``slot`` of its trace)."""

    __slots__ = ("slot",)

    def __init__(self, value, trace, slot):
        self.value, self.trace, self.slot = value, trace, slot

    def __repr__(self):
        return f"Tracer({self.value!r}, slot={self.slot})"


def backward(nodes, seeds, stop=0):
    """Sweep ``nodes`` in reverse from the cotangents ``seeds`` ({slot: g}).

    Returns the list of adjoints; entries of leaves (and of nodes below ``stop``) are kept.
    """
    adj = [None] * len(nodes)
    for slot, g in seeds.items():
        adj[slot] = g if adj[slot] is None else adj[slot] + g
    for i in range(len(nodes) - 1, stop - 1, -1):
        g = adj[i]
        node = nodes[i]
        if g is None or node is None:
            continue
        adj[i] = None
        prim, kw, primals, out, parents = node
        for j, p in enumerate(parents):
            if p is None:
                continue
            c = prim.vjp(j, g, primals, out, kw)
            adj[p] = c if adj[p] is None else adj[p] + c
    return adj
