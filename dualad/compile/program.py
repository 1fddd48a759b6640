"""A recorded program and its replay.

A ``Program`` is what one recording left: constants in their slots, the operations in
execution order (each the implementation of a primitive, or a value-only NumPy function,
with operand slots), the guards between them, and where the outputs are. ``replay``
runs the operations on new inputs with no tracing at all -- one Python call per
operation, on plain values -- and checks each guard where it was recorded: a decision
that comes out differently raises ``GuardFailed`` (the caller records again). Given the
same inputs, a replay makes the same calls in the same order as the recording, so its
results are the recording's bit for bit.
"""
import numpy as np

from ..core.tree import flatten, unflatten
from . import scalar
from .stage import CALL, GuardFailed, _equal


class Program:
    """Slots (constants and computed values), operations, guards and outputs."""

    def __init__(self, trace, input_slots, out_leaves, out_tree):
        self.consts = list(trace.consts)
        self.kinds = list(trace.kinds)
        self.ops = tuple(trace.ops)
        self.input_slots = tuple(input_slots)
        self.out_tree = out_tree
        # each output leaf: ("slot", s) or ("const", value)
        self.outputs = tuple(out_leaves)
        self.guards = sum(1 for op in self.ops if op[0] != CALL)
        self.calls = len(self.ops) - self.guards
        self.scalar = None      # the numba form of a scalar program (scalar.py), if any
        self.pending = None     # (inputs, outputs) of the recording until the form is built

    def __repr__(self):
        return (f"<dualad program: {self.calls} operations, {self.guards} guards, "
                f"{len(self.consts)} slots>")

    def run(self, leaves):
        """The outputs for the input leaves: by the numba loop of a scalar program, else
        by ``replay``."""
        if self.pending is not None:
            inputs, outputs = self.pending
            self.pending = None
            self.scalar = scalar.build(self, inputs, outputs)
        if self.scalar is not None:
            return self.scalar.run(self, leaves)
        return self.replay(leaves)

    def replay(self, leaves):
        """The outputs for the input leaves ``leaves`` (raises GuardFailed)."""
        env = self.consts[:]
        for s, v in zip(self.input_slots, leaves):
            env[s] = v
        get = env.__getitem__
        for op in self.ops:
            if op[0] == CALL:
                _, fn, ins, kw, out = op
                env[out] = fn(*map(get, ins), **kw) if kw else fn(*map(get, ins))
            else:
                _, read, slot, expected, why = op
                if not _equal(read(env[slot]), expected):
                    raise GuardFailed(why)
        return self.output(env)

    def output(self, env):
        leaves = []
        for kind, v in self.outputs:
            if kind == "slot":
                leaves.append(env[v])
            else:       # a constant output (a zero derivative): a fresh copy per call
                leaves.append(v.copy() if type(v) is np.ndarray else v)
        return unflatten(self.out_tree, leaves)


def outputs_of(trace, result):
    """The output leaves of a recorded call: slots of staged values, or constants."""
    from .stage import Staged
    leaves, tree = flatten(result)
    out = []
    for x in leaves:
        if isinstance(x, Staged) and x._trace is trace:
            out.append(("slot", x.slot))
        else:
            out.append(("const", x))
    return out, tree
