"""Scalar programs as one numba loop: values, partials and the backward sweep together.

A program recorded from scalar code (``grad`` of a loop over Python floats or over the
elements of an array) consists of arithmetic on float64 scalars -- f's operations and the
VJP rules' products and sums of the backward sweep, all recorded as operations -- plus
element reads ``x[i]`` of input arrays and, for each array gradient, a chain
``adj = adj + scatter(g, i)`` that gathers the element cotangents. ``build`` encodes such
a program as rows ``(opcode, a, b, out)`` over one float64 buffer of slots and the
gathers as ``(element, slot)`` terms; ``_interpret`` (compiled by numba once, cached on
disk) runs all of it in one call, checking the truth-test guards on the way.

Only operations whose numba result is the IEEE result NumPy gives are encoded (+ - * /,
negation, sqrt, abs, comparisons); the gathers reproduce the recorded sums' order and
signed zeros. A program with anything else replays in Python (``Program.replay``). Every
numba form is run once on the recording's own inputs and kept only if it reproduces the
recorded outputs bit for bit.
"""
import numpy as np

from ..accel.kernels import numba_enabled, numba_module
from ..rules import getitem, scatter_add
from ..core.tree import flatten, unflatten
from ..modes.reverse.tape import flat_index
from .stage import CALL, GuardFailed, _read_bool

_BINARY = {np.add: 1, np.subtract: 2, np.multiply: 3, np.true_divide: 4,
           np.less: 10, np.less_equal: 11, np.greater: 12, np.greater_equal: 13,
           np.equal: 14, np.not_equal: 15}
_UNARY = {np.negative: 5, np.sqrt: 6, np.absolute: 7}
ELEM, GUARD = 20, 30
_SCALAR = ("f", "b")


def _interpret(code, vals, inbuf, chains, terms, outbuf, last):
    """Run the rows of ``code`` on ``vals``; then the gathers. 0, or guard number + 1."""
    for r in range(code.shape[0]):
        op = code[r, 0]
        a = code[r, 1]
        b = code[r, 2]
        o = code[r, 3]
        if op == 3:
            vals[o] = vals[a] * vals[b]
        elif op == 1:
            vals[o] = vals[a] + vals[b]
        elif op == 2:
            vals[o] = vals[a] - vals[b]
        elif op == 4:
            vals[o] = vals[a] / vals[b]
        elif op == 5:
            vals[o] = -vals[a]
        elif op == 20:
            vals[o] = inbuf[a]
        elif op == 30:
            if (vals[a] != 0.0) != (b != 0):
                return o + 1
        elif op == 6:
            vals[o] = np.sqrt(vals[a])
        elif op == 7:
            vals[o] = abs(vals[a])
        elif op == 10:
            vals[o] = 1.0 if vals[a] < vals[b] else 0.0
        elif op == 11:
            vals[o] = 1.0 if vals[a] <= vals[b] else 0.0
        elif op == 12:
            vals[o] = 1.0 if vals[a] > vals[b] else 0.0
        elif op == 13:
            vals[o] = 1.0 if vals[a] >= vals[b] else 0.0
        elif op == 14:
            vals[o] = 1.0 if vals[a] == vals[b] else 0.0
        elif op == 15:
            vals[o] = 1.0 if vals[a] != vals[b] else 0.0
    # Each gather is the recorded chain z_1 + z_2 + ... + z_K, z_k zero but g_k at i_k:
    # summed per element in the same order; adding a zero turns -0.0 into +0.0, which a
    # step that did not touch an element does (from the second step on).
    for c in range(chains.shape[0]):
        off = chains[c, 0]
        n = chains[c, 1]
        t0 = chains[c, 2]
        t1 = chains[c, 3]
        for j in range(off, off + n):
            outbuf[j] = 0.0
            last[j] = 0
        for t in range(t0, t1):
            s = t - t0 + 1
            j = off + terms[t, 0]
            g = vals[terms[t, 1]]
            if s == 1:
                outbuf[j] = g
            else:
                if max(last[j] + 1, 2) <= s - 1:
                    outbuf[j] = outbuf[j] + 0.0
                outbuf[j] = outbuf[j] + g
            last[j] = s
        for j in range(off, off + n):
            if max(last[j] + 1, 2) <= t1 - t0:
                outbuf[j] = outbuf[j] + 0.0
    return 0


_compiled = None


def interpreter():
    """``_interpret`` compiled by numba (once per machine: cached on disk)."""
    global _compiled
    if _compiled is None:
        _compiled = numba_module().njit(cache=True, nogil=True, error_model="numpy")(
            _interpret)
    return _compiled


class ScalarForm:
    """The numba form of a program: rows, the slot buffer's template, input layout,
    gathers and outputs."""

    def __init__(self, code, template, inputs, insize, chains, terms, outsize, outputs,
                 whys):
        self.code, self.template, self.inputs, self.insize = code, template, inputs, insize
        self.chains, self.terms, self.outsize = chains, terms, outsize
        self.outputs, self.whys = outputs, whys
        self.single = False     # one output leaf and no container: returned as it is

    def run(self, program, leaves):
        vals = self.template.copy()
        inputs = self.inputs
        if len(inputs) == 1 and inputs[0][0] == "a":   # one array: read it in place
            x = leaves[0]
            if type(x) is not np.ndarray:
                raise GuardFailed("an input changed type")
            inbuf = x.reshape(-1)
        else:
            inbuf = np.empty(self.insize)
            for (kind, where, size), x in zip(inputs, leaves):
                if kind == "f":
                    vals[where] = x
                else:
                    if type(x) is not np.ndarray:
                        raise GuardFailed("an input changed type")
                    inbuf[where:where + size] = x.reshape(-1)
        outbuf = np.empty(self.outsize)
        last = np.empty(self.outsize, dtype=np.int64)
        status = interpreter()(self.code, vals, inbuf, self.chains, self.terms, outbuf, last)
        if status:
            raise GuardFailed(self.whys[status - 1])
        out = []
        for kind, v in self.outputs:
            if kind == "f":
                out.append(np.float64(vals[v]))
            elif kind == "gather":      # views of this call's own buffer: fresh arrays
                off, size, shape = v
                out.append(outbuf[off:off + size].reshape(shape))
            elif kind == "input":
                out.append(leaves[v])
            else:
                out.append(v.copy() if type(v) is np.ndarray else v)
        return out[0] if self.single else unflatten(program.out_tree, out)


def build(program, inputs, outputs):
    """The numba form of ``program`` (None if it has anything else than scalar
    arithmetic, element reads and gathers, or numba is off). ``inputs`` and ``outputs``:
    the recording's own, which the form must reproduce bit for bit."""
    if not numba_enabled() or not program.ops:
        return None
    kinds = program.kinds
    uses = [0] * len(kinds)
    for op in program.ops:
        if op[0] == CALL:
            for i in op[2]:
                uses[i] += 1
        else:
            uses[op[2]] += 1
    for kind, v in program.outputs:
        if kind == "slot":
            uses[v] += 1
    layout, regions, insize = [], {}, 0
    for k, s in enumerate(program.input_slots):
        kd = kinds[s]
        if kd == "f":
            layout.append(("f", s, 1))
        elif isinstance(kd, tuple):
            size = int(np.prod(kd[1]))
            layout.append(("a", insize, size))
            regions[s] = (insize, kd[1], k)
            insize += size
        else:
            return None
    rows, whys, chains = [], [], {}
    for op in program.ops:
        if op[0] != CALL:
            _, read, slot, expected, why = op
            if read is not _read_bool or kinds[slot] not in _SCALAR:
                return None
            rows.append((GUARD, slot, int(expected), len(whys)))
            whys.append(why)
            continue
        _, fn, ins, kw, out = op
        ko = kinds[out]
        fn = fn.prim.impl if hasattr(fn, "prim") else fn     # stage.scalar_impl
        if fn in _BINARY and len(ins) == 2 and not kw and ko in _SCALAR \
                and kinds[ins[0]] in _SCALAR and kinds[ins[1]] in _SCALAR:
            rows.append((_BINARY[fn], ins[0], ins[1], out))
        elif fn in _UNARY and len(ins) == 1 and not kw and ko in _SCALAR \
                and kinds[ins[0]] in _SCALAR:
            rows.append((_UNARY[fn], ins[0], 0, out))
        elif fn is getitem.impl and ins[0] in regions and ko == "f":
            off, shape, _ = regions[ins[0]]
            flat = flat_index(kw["idx"], shape)
            if flat is None:
                return None
            rows.append((ELEM, off + flat, 0, out))
        elif fn is scatter_add.impl and kinds[ins[0]] == "f" and isinstance(ko, tuple):
            flat = flat_index(kw["idx"], ko[1])
            if flat is None:
                return None
            chains[out] = (ko[1], [(flat, ins[0])])
        elif fn is np.add and len(ins) == 2 and ins[0] in chains and ins[1] in chains \
                and len(chains[ins[1]][1]) == 1 and uses[ins[0]] == 1 \
                and uses[ins[1]] == 1 and chains[ins[0]][0] == chains[ins[1]][0]:
            shape, terms = chains.pop(ins[0])
            terms.append(chains.pop(ins[1])[1][0])
            chains[out] = (shape, terms)
        else:
            return None
    outs, crow, trows, outsize = [], [], [], 0
    for kind, v in program.outputs:
        if kind != "slot":
            outs.append(("const", v))
        elif v in chains:
            shape, terms = chains[v]
            size = int(np.prod(shape))
            crow.append((outsize, size, len(trows), len(trows) + len(terms)))
            trows += terms
            outs.append(("gather", (outsize, size, shape)))
            outsize += size
        elif v in regions:
            outs.append(("input", regions[v][2]))
        elif kinds[v] == "f":
            outs.append(("f", v))
        else:
            return None
    template = np.zeros(len(kinds))
    for s, c in enumerate(program.consts):
        if c is not None and kinds[s] in _SCALAR:
            template[s] = float(c)
    form = ScalarForm(np.array(rows, dtype=np.int64).reshape(-1, 4), template, layout,
                      insize, np.array(crow, dtype=np.int64).reshape(-1, 4),
                      np.array(trows, dtype=np.int64).reshape(-1, 2), outsize, outs, whys)
    form.single = program.out_tree == ("leaf",)
    try:
        got = form.run(program, inputs)
    except Exception:       # noqa: BLE001 - any failure: the Python replay serves
        return None
    return form if _same(got, outputs) else None


def _same(a, b):
    """Bit-for-bit equality of two output trees."""
    la, ta = flatten(a)
    lb, tb = flatten(b)
    if ta != tb or len(la) != len(lb):
        return False
    for x, y in zip(la, lb):
        x, y = np.asarray(x), np.asarray(y)
        if x.shape != y.shape or x.dtype != y.dtype or x.tobytes() != y.tobytes():
            return False
    return True
