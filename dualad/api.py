"""The functional API, in JAX's vocabulary: jvp, jacfwd, vjp, grad, jacrev, jacobian, ..."""
import functools
import math
import numbers

import numpy as np

from .core import Box, primal, shape_of, dtype_of
from .forward import Dual, ForwardTrace
from .reverse import ReverseTrace, sweep
from .tree import flatten, unflatten

DEFAULT_CHUNK = 64


# ------------------------------------------------------------------------------------
# Inputs and outputs
# ------------------------------------------------------------------------------------
def as_input(x):
    """A differentiable input: floats and float arrays as they are, ints promoted to float64."""
    t = type(x)
    if t is float or (t is np.ndarray and x.dtype.kind in "fc"):    # the common inputs
        return x
    if isinstance(x, Box):
        return x
    if isinstance(x, bool) or (isinstance(x, np.ndarray) and x.dtype == bool):
        raise TypeError(f"cannot differentiate with respect to a boolean input ({x!r}); "
                        "pass a float.")
    if isinstance(x, numbers.Integral):
        return float(x)
    if isinstance(x, (float, complex, np.floating, np.complexfloating)):
        return x
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "iu":
            return x.astype(np.float64)
        if x.dtype.kind in "fc":
            return x
    raise TypeError(f"dualad cannot differentiate with respect to an input of type "
                    f"{type(x).__name__} ({x!r:.60}); inputs must be floats, NumPy float "
                    "arrays, or tuples, lists, dicts and namedtuples of them.")


def _like(g, x):
    """A derivative shaped and typed like the primal ``x`` (zeros if ``g`` is None)."""
    if type(g) is np.ndarray and type(x) is np.ndarray and g.dtype == x.dtype:
        return g
    if g is None:
        g = np.zeros(shape_of(x), dtype=dtype_of(x))
    if isinstance(g, Box):
        return g
    if isinstance(primal(x), (float, complex)) and not isinstance(primal(x), np.generic):
        return type(primal(x))(g if np.ndim(g) == 0 else np.reshape(g, ()))
    g = np.asarray(g)
    dt = dtype_of(x)
    return g.astype(dt, copy=False) if g.dtype != dt else g


def _argnums(argnums, nargs):
    if type(argnums) is int and 0 <= argnums < nargs:
        return True, (argnums,)
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for a in nums:
        if not isinstance(a, int) or not -nargs <= a < nargs:
            raise ValueError(f"argnums={argnums!r} is out of range for a function called "
                             f"with {nargs} positional argument(s)")
    return single, tuple(a % nargs for a in nums)


def _selected(args, argnums):
    """(leaves of the differentiated arguments, a function rebuilding the args from leaves)."""
    single, nums = _argnums(argnums, len(args))
    # One argument is flattened on its own (a bare array is then one leaf, no walk).
    leaves, treedef = flatten(args[nums[0]] if single else tuple(args[i] for i in nums))
    leaves = [as_input(x) for x in leaves]

    def rebuild(new_leaves):
        chosen = unflatten(treedef, new_leaves)
        out = list(args)
        if single:
            out[nums[0]] = chosen
        else:
            for i, v in zip(nums, chosen):
                out[i] = v
        return tuple(out)

    def structure(per_leaf):
        return unflatten(treedef, per_leaf)

    return leaves, rebuild, structure


def _split_aux(out, has_aux):
    if not has_aux:
        return out, None
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError("has_aux=True requires the function to return a pair (output, aux)")
    return out[0], out[1]


def _strip(trace, x):
    """The value of ``x`` at ``trace``'s level (boxes of other traces pass through)."""
    return x.value if isinstance(x, Box) and x._trace is trace else x


def _strip_tree(trace, tree):
    if tree is None:
        return None
    leaves, treedef = flatten(tree)
    return unflatten(treedef, [_strip(trace, x) for x in leaves])


def _concrete(x):
    return float(x) if isinstance(x, np.float64) else x


# ------------------------------------------------------------------------------------
# Forward mode
# ------------------------------------------------------------------------------------
def jvp(f, primals, tangents, has_aux=False):
    """``(f(*primals), J @ tangents)`` by forward mode, in one pass."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp expects primals and tangents as tuples: jvp(f, (x,), (v,))")
    pleaves, pdef = flatten(tuple(primals))
    tleaves, tdef = flatten(tuple(tangents))
    if pdef != tdef:
        raise ValueError("primals and tangents must have the same structure")
    trace = ForwardTrace(batched=False)
    boxed = []
    for p, t in zip(pleaves, tleaves):
        p = as_input(p)
        t = np.asarray(primal(t)) if not isinstance(t, Box) else t
        if shape_of(t) != shape_of(p):
            raise ValueError(f"tangent shape {shape_of(t)} differs from primal shape "
                             f"{shape_of(p)}")
        t = t.astype(dtype_of(p)) if not isinstance(t, Box) else t
        boxed.append(Dual._make(p, t[None], trace))
    try:
        out = f(*unflatten(pdef, boxed))
    finally:
        trace.finish()
    out, aux = _split_aux(out, has_aux)
    oleaves, odef = flatten(out)
    vals = [_concrete(_strip(trace, o)) for o in oleaves]
    tans = [_like(o._t[0] if isinstance(o, Box) and o._trace is trace else None, v)
            for o, v in zip(oleaves, vals)]
    result = (unflatten(odef, vals), unflatten(odef, tans))
    return result + (_strip_tree(trace, aux),) if has_aux else result


def _assemble(columns, out_shape, in_leaves, first_axis):
    """Split stacked Jacobian columns into one block per input leaf: out.shape + in.shape."""
    blocks, offset = [], 0
    for x in in_leaves:
        shape = shape_of(x)
        size = math.prod(shape)
        if first_axis:   # columns: (n,) + out_shape
            c = columns[offset:offset + size]
            c = np.moveaxis(c, 0, -1) if not isinstance(c, Box) else _move_first_last(c)
        else:            # rows: out_shape + (n,)
            c = columns[..., offset:offset + size]
        blocks.append(c.reshape(tuple(out_shape) + tuple(shape)))
        offset += size
    return blocks


def _move_first_last(c):
    nd = c.ndim
    return c.transpose(tuple(range(1, nd)) + (0,))


def jacfwd(f, argnums=0, has_aux=False, chunk_size=None):
    """The Jacobian by forward mode: n columns in ceil(n / k) passes of k directions."""
    def jacfun(*args):
        leaves, rebuild, structure = _selected(args, argnums)
        sizes = [math.prod(shape_of(x)) for x in leaves]
        n = builtins_sum(sizes)
        k = max(1, min(n, chunk_size or DEFAULT_CHUNK))
        out_tree = aux = None
        chunks = []
        for start in range(0, max(n, 1), k):
            kk = min(k, n - start) if n else 0
            eye = np.zeros((kk, n))
            eye[np.arange(kk), start + np.arange(kk)] = 1.0
            trace = ForwardTrace(batched=True)
            boxed, off = [], 0
            for x, s in zip(leaves, sizes):
                seed = eye[:, off:off + s].reshape((kk,) + shape_of(x)).astype(
                    dtype_of(x), copy=False)
                boxed.append(Dual._make(x, seed, trace))
                off += s
            try:
                out = f(*rebuild(boxed))
            finally:
                trace.finish()
            out, aux = _split_aux(out, has_aux)
            oleaves, out_tree = flatten(out)
            chunks.append([o._t if isinstance(o, Box) and o._trace is trace
                           else np.zeros((kk,) + shape_of(o), dtype=dtype_of(o))
                           for o in oleaves])
            values = [_strip(trace, o) for o in oleaves]
        jac_leaves = []
        for j, v in enumerate(values):
            cols = _cat([c[j] for c in chunks])
            jac_leaves.append(structure(_assemble(cols, shape_of(v), leaves, True)))
        jac = unflatten(out_tree, jac_leaves)
        return (jac, _strip_tree(trace, aux)) if has_aux else jac
    return _wraps(jacfun, f)


def _cat(parts):
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts, axis=0)


builtins_sum = sum


def _wraps(g, f):
    try:
        return functools.wraps(f)(g)
    except (AttributeError, TypeError):
        return g


# ------------------------------------------------------------------------------------
# Reverse mode
# ------------------------------------------------------------------------------------
class _Recording:
    """f evaluated once on a fresh tape, ready for any number of backward sweeps."""

    def __init__(self, f, args, argnums, has_aux):
        self.leaves, rebuild, self.structure = _selected(args, argnums)
        self.trace = trace = ReverseTrace()
        self.inputs = [trace.leaf(x) for x in self.leaves]
        try:
            out = f(*rebuild(self.inputs))
        finally:
            trace.finish()
        out, aux = _split_aux(out, has_aux)
        self.out_leaves, self.out_tree = flatten(out)
        self.values = [_strip(trace, o) for o in self.out_leaves]
        self.aux = _strip_tree(trace, aux)

    def pull(self, cotangents):
        """Input cotangents (one per input leaf) for output cotangents (one per out leaf)."""
        seeds = {}
        for o, c in zip(self.out_leaves, cotangents):
            if isinstance(o, Box) and o._trace is self.trace and c is not None:
                seeds[o.slot] = seeds[o.slot] + c if o.slot in seeds else c
        wanted = [b.slot for b in self.inputs]
        adj = sweep(self.trace, seeds, wanted) if seeds else [None] * len(wanted)
        return [_like(g, x) for g, x in zip(adj, self.leaves)]

    def output(self):
        return unflatten(self.out_tree, [_concrete(v) for v in self.values])

    def rows_per_sweep(self, m):
        """How many of the m Jacobian rows one backward sweep of this tape computes:
        ``cost.sweep_rows`` of the tape's entry counts (array code: up to DEFAULT_CHUNK
        rows at once; scalar code: one)."""
        if m < 2:
            return 1
        from .cost import Work, sweep_rows
        trace = self.trace
        generic = len(trace.generic)
        counts = Work(ops=generic, scalar_ops=len(trace) - generic - len(self.inputs),
                      gathered=trace.esize)
        return sweep_rows(counts, m)


def vjp(f, *primals, has_aux=False):
    """``(f(*primals), vjp_fn)``; ``vjp_fn(ct)`` returns one cotangent per primal (a tuple)."""
    rec = _Recording(f, primals, tuple(range(len(primals))), has_aux)

    def vjp_fn(ct):
        cleaves, cdef = flatten(ct)
        if cdef != rec.out_tree:
            raise ValueError("the cotangent must have the structure of f's output")
        fixed = []
        for c, v in zip(cleaves, rec.values):
            if not isinstance(c, Box):
                c = np.asarray(c, dtype=np.result_type(dtype_of(v), np.float32))
            if shape_of(c) != shape_of(v):
                raise ValueError(f"cotangent shape {shape_of(c)} differs from the output "
                                 f"shape {shape_of(v)}")
            fixed.append(c)
        return rec.structure(rec.pull(fixed))

    out = rec.output()
    return (out, vjp_fn, rec.aux) if has_aux else (out, vjp_fn)


def value_and_grad(f, argnums=0, has_aux=False):
    """A function returning ``(f(*args), gradient)``; f must return one real float."""
    def vg(*args):
        rec = _Recording(f, args, argnums, has_aux)
        if len(rec.values) != 1:
            raise TypeError("grad requires f to return a single scalar, not a container; "
                            "use jacobian or vjp for several outputs")
        value = rec.values[0]
        _check_scalar(value)
        seed = _unit(value)
        grads = rec.structure(rec.pull([seed]))
        value = _concrete(value)
        return ((value, rec.aux), grads) if has_aux else (value, grads)
    return _wraps(vg, f)


def _unit(value):
    """The seed 1 shaped and typed like the scalar output ``value`` (a fresh 0-d array for
    a float64 scalar, made without np.ones' Python overhead)."""
    if type(value) is np.float64 or type(value) is float:
        return np.array(1.0)
    return np.ones(shape_of(value), dtype=dtype_of(value))


def _check_scalar(value):
    if type(value) is np.float64 or type(value) is float:   # a real scalar: fine
        return
    dt = dtype_of(value)
    if dt.kind == "c":
        raise TypeError("grad requires a real-valued output, got complex; differentiate "
                        "np.real(f) or np.abs(f), or use vjp")
    if dt.kind != "f":
        raise TypeError(f"grad requires a float output, got dtype {dt}; an integer or "
                        "boolean result carries no derivative")
    shape = shape_of(value)
    if math.prod(shape) != 1:
        raise TypeError(f"grad requires a scalar output (one element), but f returned shape "
                        f"{shape}; use dualad.jacobian for the full Jacobian or dualad.vjp "
                        "for a vector-Jacobian product")


def grad(f, argnums=0, has_aux=False):
    """The gradient of a scalar function by reverse mode."""
    vg = value_and_grad(f, argnums, has_aux)

    def g(*args):
        res = vg(*args)
        if has_aux:
            (_, aux), grads = res
            return grads, aux
        return res[1]
    return _wraps(g, f)


def jacrev(f, argnums=0, has_aux=False):
    """The Jacobian by reverse mode: one recorded pass, then backward sweeps of up to
    ``DEFAULT_CHUNK`` rows each (one row per sweep on tapes of scalar code)."""
    def jacfun(*args):
        return _jacobian_from(_Recording(f, args, argnums, has_aux), has_aux)
    return _wraps(jacfun, f)


def _jacobian_from(rec, has_aux):
    """The Jacobian from a recorded pass, all output leaves stacked into m rows."""
    sizes = [math.prod(shape_of(v)) for v in rec.values]
    m = builtins_sum(sizes)
    k = rec.rows_per_sweep(m)
    rows = None
    if k > 1:
        try:
            rows = _rows_batched(rec, sizes, k)
        except Exception:
            # A VJP rule that forward mode cannot differentiate (a custom primitive's,
            # say, or one leaving NumPy): sweep row by row, which needs no more than
            # reverse mode itself (and raises its own error if that fails too).
            rows = None
    if rows is None:
        rows = _rows_per_sweep(rec, sizes)
    jac_leaves, off = [], 0
    for v, size in zip(rec.values, sizes):
        shape = tuple(shape_of(v))
        jac_leaves.append(rec.structure([
            r[off:off + size].reshape(shape + tuple(shape_of(x)))
            for r, x in zip(rows, rec.leaves)]))
        off += size
    jac = unflatten(rec.out_tree, jac_leaves)
    return (jac, rec.aux) if has_aux else jac


def _row_dtype(v):
    return np.result_type(dtype_of(v), np.float32)


def _rows_per_sweep(rec, sizes):
    """Per input leaf, the (m, size) block of Jacobian rows: one backward sweep per row."""
    rows = [[] for _ in rec.leaves]
    for j, (v, size) in enumerate(zip(rec.values, sizes)):
        dt, shape = _row_dtype(v), shape_of(v)
        for r in range(size):
            cts = [None] * len(rec.values)
            e = np.zeros(size, dtype=dt)
            e[r] = 1.0
            cts[j] = e.reshape(shape)
            for acc, g in zip(rows, rec.pull(cts)):
                acc.append(_flat(g))
    return [_stack_rows(acc, x) for acc, x in zip(rows, rec.leaves)]


def _stack_rows(acc, x):
    """np.stack of the rows ``acc`` (a fresh array; one plain row skips np.stack's Python
    overhead, the common case of a scalar output)."""
    if len(acc) == 1 and type(acc[0]) is np.ndarray:
        return acc[0][None].copy()
    if acc:
        return np.stack(acc)
    return np.zeros((0, math.prod(shape_of(x))), dtype_of(x))


def _rows_batched(rec, sizes, k):
    """Per input leaf, the (m, size) block of Jacobian rows, k rows per backward sweep."""
    m = builtins_sum(sizes)
    chunks = [_batched_sweep(rec, sizes, start, min(k, m - start))
              for start in range(0, m, k)]
    return [_cat([c[i] for c in chunks]) for i in range(len(rec.leaves))]


def _batched_sweep(rec, sizes, start, kk):
    """Rows start .. start + kk of the Jacobian (per input leaf) from one backward sweep.

    The VJP is linear in the cotangent, so forward mode over the sweep gives J^T u for kk
    directions u at once: the output cotangents are Duals with zero values and the unit
    rows as tangents, and the tangents of the input adjoints are those rows of J.
    """
    trace = ForwardTrace(batched=True)
    cts, off = [], 0
    for v, size in zip(rec.values, sizes):
        lo, hi = max(start, off), min(start + kk, off + size)
        if lo >= hi:
            cts.append(None)
        else:
            seed = np.zeros((kk, size), dtype=_row_dtype(v))
            seed[np.arange(lo, hi) - start, np.arange(lo, hi) - off] = 1.0
            shape = tuple(shape_of(v))
            cts.append(Dual._make(np.zeros(shape, seed.dtype), seed.reshape((kk,) + shape),
                                  trace))
        off += size
    try:
        adj = rec.pull(cts)
    finally:
        trace.finish()
    return [_rows_of(g, x, kk, trace) for g, x in zip(adj, rec.leaves)]


def _rows_of(g, x, kk, trace):
    """The (kk, size) rows carried by the tangent of the input adjoint ``g`` of ``x``."""
    if isinstance(g, Box) and g._trace is trace:
        t = g._t
    else:       # no seeded output depends on x through this chunk's rows
        t = np.zeros((kk,) + tuple(shape_of(x)), dtype_of(x))
    t = t.reshape((kk, -1))
    return t if isinstance(t, Box) else t.astype(dtype_of(x), copy=False)


def _flat(g):
    return g.reshape((-1,)) if isinstance(g, Box) or type(g) is np.ndarray \
        else np.reshape(g, (-1,))


MODES = {"auto": "auto", "forward": "forward", "fwd": "forward",
         "reverse": "reverse", "rev": "reverse"}


def jacobian(f, argnums=0, mode="auto", has_aux=False):
    """The Jacobian, shape ``out.shape + in.shape``; mode "auto" picks the cheaper mode."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {sorted(MODES)}, got {mode!r}")
    mode = MODES[mode]
    if mode == "forward":
        return jacfwd(f, argnums, has_aux)
    if mode == "reverse":
        return jacrev(f, argnums, has_aux)

    # Forward or reverse from n, m and the machine's cost model; the pass that discovers m
    # is kept. The returned function's ``decision`` says what it chose and why (cost.py).
    from .cost import auto_jacobian
    return auto_jacobian(f, argnums, has_aux)


def hessian(f, argnums=0):
    """The Hessian of a scalar function: forward mode over reverse mode."""
    return jacfwd(jacrev(f, argnums), argnums)


def hvp(f, primals, tangents):
    """The Hessian-vector product H(primals) @ tangents, forward over reverse."""
    primals, tangents = tuple(primals), tuple(tangents)
    argnums = 0 if len(primals) == 1 else tuple(range(len(primals)))
    return jvp(grad(f, argnums), primals, tangents)[1]


def stop_gradient(x):
    """``x`` with no derivative flowing through it (any nesting level)."""
    leaves, treedef = flatten(x)
    return unflatten(treedef, [primal(v) for v in leaves])
