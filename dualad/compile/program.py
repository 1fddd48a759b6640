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
from ..rules import basic_index, scatter_add
from . import scalar
from .stage import CALL, GuardFailed, _equal


class Program:
    """Slots (constants and computed values), operations, guards and outputs."""

    def __init__(self, trace, input_slots, out_leaves, out_tree):
        self.consts = list(trace.consts)
        self.kinds = list(trace.kinds)
        self.input_slots = tuple(input_slots)
        self.out_tree = out_tree
        # each output leaf: ("slot", s) or ("const", value)
        self.outputs = tuple(out_leaves)
        self.ops = _live(trace.ops, self.outputs)
        self.guards = sum(1 for op in self.ops if op[0] != CALL)
        self.calls = len(self.ops) - self.guards
        self.scalar = None      # the numba form of a scalar program (scalar.py), if any
        self.pending = None     # (inputs, outputs) of the recording until the form is built
        self.compiled = None    # the replay as generated straight-line Python (``_generate``)

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
            if self.scalar is None and len(self.ops) <= MAX_GENERATED:
                self.compiled = _generate(self)
        if self.scalar is not None:
            return self.scalar.run(self, leaves)
        if self.compiled is not None:
            return self.output(self.compiled(*leaves))
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
        """The output tree from the slots ``env`` (a list, or the generated replay's
        {slot: value} of the output slots)."""
        leaves = []
        for kind, v in self.outputs:
            if kind == "slot":
                leaves.append(env[v])
            else:       # a constant output (a zero derivative): a fresh copy per call
                leaves.append(v.copy() if type(v) is np.ndarray else v)
        return unflatten(self.out_tree, leaves)


#: Programs up to this many operations replay as generated straight-line Python (one
#: call per operation, no loop, no tuple unpacking); longer ones by the loop of ``replay``
#: (Python's compiler would take longer than it saves).
MAX_GENERATED = 20000


def _live(ops, outputs):
    """The operations an output or a guard depends on, in order (the rest is dead: a
    value of f that only a gradient was asked for, say)."""
    need = {v for kind, v in outputs if kind == "slot"}
    keep = []
    for op in reversed(ops):
        if op[0] == CALL:
            if op[4] not in need:
                continue
            need.update(op[2])
        else:
            need.add(op[2])
        keep.append(op)
    return tuple(reversed(keep))


def _slice_1d(idx, n):
    """(start, stop) of a 1-D basic slice of step 1 into n elements, else None."""
    if isinstance(idx, tuple):
        if len(idx) != 1:
            return None
        idx = idx[0]
    if type(idx) is not slice or idx.step not in (None, 1):
        return None
    start, stop, _ = idx.indices(n)
    return (start, max(stop, start))


def _uniform(c, like):
    """The one float value of the constant ``c`` when every element equals it and it
    broadcasts to ``like`` (an ("a", shape) kind) keeping float64, else None: an operation
    with the scalar then gives the same bits with one array less to read."""
    if type(c) is float or type(c) is np.float64:
        return float(c)
    if (type(c) is np.ndarray and c.dtype == np.float64 and c.size and c.ndim <= len(like[1])
            and all(a in (1, b) for a, b in zip(c.shape[::-1], like[1][::-1]))):
        v = c.flat[0]
        if v == v and bool(np.all(c == v)):
            return float(v)
    return None


def _elementwise(fn):
    """An elementwise ufunc (not a generalized one such as np.matmul)."""
    return isinstance(fn, np.ufunc) and fn.signature is None


def _uniform_args(program, ins, ko, defined, glb, k, ref):
    """The operands of a ufunc producing ``ko``: a uniform constant array given as its
    scalar when another operand already has the output's shape and dtype."""
    kinds = program.kinds
    parts = []
    for j, i in enumerate(ins):
        u = None
        if i not in defined and any(kinds[o] == ko for o in ins if o != i):
            u = _uniform(program.consts[i], ko)
        if u is None:
            parts.append(ref(i))
        else:
            glb[f"u{k}_{j}"] = np.float64(u)
            parts.append(f"u{k}_{j}")
    return ", ".join(parts)


def _generate(program):
    """The replay of ``program`` as one generated Python function of its input leaves,
    returning {output slot: value}: the same calls in the same order as ``replay``, with
    changes that keep every bit:

    - a scatter of a basic index into zeros is written out (``np.zeros`` and one
      assignment, without the rule's Python checks);
    - a binary ufunc whose first operand is a fresh float64 array used nowhere else writes
      into it (``out=``) instead of allocating;
    - ``acc + scatter(g, a:b)`` with ``acc`` fresh and single-use adds ``g`` into
      ``acc[a:b]`` and 0.0 into the rest (which turns -0.0 into +0.0 as the sum does):
      no zeros array, no full-size add;
    - multiplying a float64 array by a constant 1.0 (a broadcast unit seed) is skipped.
    """
    glb = {"GuardFailed": GuardFailed, "_equal": _equal, "_zeros": np.zeros}
    args = [f"v{s}" for s in program.input_slots]
    defined = set(program.input_slots)
    kinds = program.kinds
    uses, consumer = {}, {}
    for k, op in enumerate(program.ops):
        for i in (op[2] if op[0] == CALL else (op[2],)):
            uses[i] = uses.get(i, 0) + 1
            consumer[i] = k
    for kind, v in program.outputs:
        if kind == "slot":
            uses[v] = uses.get(v, 0) + 2
    fresh = set()       # slots holding an array this replay allocated (nobody else holds)
    deferred = {}       # scatter slot -> (operand ref, idx name, (start, stop)), not yet made
    lines = []

    def ref(s):
        if s in defined:
            return f"v{s}"
        glb[f"c{s}"] = program.consts[s]
        return f"c{s}"

    def materialize(s):
        g, name, _ = deferred.pop(s)
        lines.append(f"    v{s} = _zeros({kinds[s][1]!r})")
        lines.append(f"    v{s}[{name}] = {g}")
        fresh.add(s)
        defined.add(s)

    for k, op in enumerate(program.ops):
        if op[0] != CALL:
            _, read, slot, expected, why = op
            if slot in deferred:
                materialize(slot)
            glb[f"r{k}"], glb[f"e{k}"], glb[f"w{k}"] = read, expected, why
            lines.append(f"    if not _equal(r{k}({ref(slot)}), e{k}): raise GuardFailed(w{k})")
            continue
        _, fn, ins, kw, out = op
        for i in ins:
            if i in deferred and not (fn is np.add and len(ins) == 2 and i == ins[1]):
                materialize(i)
        ko = kinds[out]
        first = ins[0] if ins else None
        fuse = (fn is np.add and not kw and len(ins) == 2 and ins[1] in deferred
                and first in fresh and uses.get(first) == 1 and kinds[first] == ko)
        if not fuse and len(ins) == 2 and ins[1] in deferred:
            materialize(ins[1])
        glb[f"f{k}"] = fn
        call = ", ".join(ref(i) for i in ins)
        if fn is scatter_add.impl and isinstance(ko, tuple) and basic_index(kw["idx"]):
            glb[f"k{k}"] = kw["idx"]
            span = _slice_1d(kw["idx"], ko[1][0]) if len(ko[1]) == 1 else None
            nxt = program.ops[consumer[out]] if uses.get(out) == 1 else None
            if span is not None and nxt is not None and nxt[1] is np.add \
                    and len(nxt[2]) == 2 and nxt[2][1] == out and nxt[2][0] != out:
                deferred[out] = (ref(ins[0]), f"k{k}", span)   # maybe fused into the add
                continue
            lines.append(f"    v{out} = _zeros({ko[1]!r})")
            lines.append(f"    v{out}[k{k}] = {ref(ins[0])}")
            fresh.add(out)
        elif fuse:
            g, name, (a, b) = deferred.pop(ins[1])
            acc = ref(first)
            lines.append(f"    {acc}[{name}] += {g}")
            for lo, hi in ((0, a), (b, ko[1][0])):
                if lo < hi:
                    lines.append(f"    {acc}[{lo}:{hi}] += 0.0")
            lines.append(f"    v{out} = {acc}")
            fresh.add(out)
        elif fn is np.multiply and not kw and len(ins) == 2 and isinstance(ko, tuple) \
                and any(kinds[ins[j]] == ko and ins[1 - j] not in defined
                        and _uniform(program.consts[ins[1 - j]], ko) == 1.0 for j in (0, 1)):
            j = 0 if kinds[ins[0]] == ko and ins[1] not in defined \
                and _uniform(program.consts[ins[1]], ko) == 1.0 else 1
            lines.append(f"    v{out} = {ref(ins[j])}")       # x * 1.0 is x, bit for bit
            if ins[j] in fresh and uses.get(ins[j]) == 1:
                fresh.add(out)              # the array passes on to its one new name
            fresh.discard(ins[j])
        elif _elementwise(fn) and fn.nout == 1 and not kw and len(ins) == fn.nin \
                and isinstance(ko, tuple) and first in fresh and uses.get(first) == 1 \
                and kinds[first] == ko:
            call = _uniform_args(program, ins, ko, defined, glb, k, ref)
            lines.append(f"    v{out} = f{k}({call}, out={ref(first)})")
            fresh.add(out)
        else:
            if kw:
                glb[f"k{k}"] = kw
                call += (", " if call else "") + f"**k{k}"
            elif _elementwise(fn) and isinstance(ko, tuple):
                call = _uniform_args(program, ins, ko, defined, glb, k, ref)
            lines.append(f"    v{out} = f{k}({call})")
            if isinstance(fn, np.ufunc) and isinstance(ko, tuple):
                fresh.add(out)          # a ufunc's result is a new array
        defined.add(out)
    for s in list(deferred):
        materialize(s)
    outs = sorted({v for kind, v in program.outputs if kind == "slot"})
    lines.append("    return {" + ", ".join(f"{s}: {ref(s)}" for s in outs) + "}")
    src = f"def replay({', '.join(args)}):\n" + "\n".join(lines) + "\n"
    exec(compile(src, "<dualad.compile program>", "exec"), glb)   # noqa: S102
    glb["replay"].source = src          # what runs, for reading (``program.compiled.source``)
    return glb["replay"]


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
