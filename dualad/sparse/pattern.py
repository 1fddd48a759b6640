"""Sparsity detection: run f on values that carry, per element, the set of inputs it
depends on.

A traced array of shape s carries an (prod(s), n) boolean CSR matrix: row r lists the
inputs element r depends on. Each primitive maps its operands' matrices to its output's
through the dependency structure its row declares (``Primitive.depends``):

- "elementwise": output element e depends on the operand elements broadcast to e;
- "gather": the implementation moves values without combining them (reshape, transpose,
  indexing, concatenation...), so it is run on arrays of element ids to find where each
  output element comes from;
- "scatter": a linear map whose VJP is a gather (scatter_add): the VJP moves output ids
  back to the operand elements, which gives the map's structure transposed;
- "reduce" / "scan": each output depends on the operand elements along ``depends_axes``
  (all of them / those up to its own position);
- "contract": an einsum (matmul): the structure is the einsum of the other operands'
  nonzero masks (a constant matrix contributes its zeros: ``A @ x`` follows A);
- "lanes": dense along ``depends_axes``, independent across the other axes (linalg on
  stacks of matrices, FFTs along an axis);
- "dense" (the default, and the safe superset): every output element depends on every
  input element of every operand.

Each rule builds the (out_size, operand_size) dependency matrix D_i, and the output's
matrix is the boolean sum of D_i @ P_i: the cost is that of the nonzeros, never n * m.

A *global* pattern holds for every input: values computed from the input (comparisons,
signs, argsort...) are marked (``Derived``), and turning one into a Python bool or int,
or indexing with one, raises ``GlobalPatternError`` naming the fix (``local=True`` or a
given pattern). A *local* pattern holds at this point: branches are taken as they fall,
and an elementwise operation drops the dependencies whose partial derivative (the row's
own expression) is exactly zero here (the side of a maximum not taken, a where's branch).
A global pattern drops them only where the partial reads nothing but constants (``c * x``
with zeros in c, ``where(mask, x, y)`` with a constant mask): those zeros hold everywhere.

Hessian patterns come from the same machinery: the Hessian of f is the Jacobian of its
gradient, so ``hessian_pattern`` traces ``grad(f)``; the VJP rules are written with
primitives, so a linear operation (x + y, c * x) adds no pair of inputs and a product
x * y pairs the inputs of x with those of y, with no extra facts on the rows.
"""
import math

import numpy as np

from ..core import Box, DualadError, Trace, shape_of
from ..transforms import grad
from ..transforms.common import boxes_of
from .compress import _sp, as_pattern


class GlobalPatternError(DualadError, TypeError):
    """A global sparsity pattern was asked of code whose structure depends on values."""

    def __init__(self, what):
        super().__init__(
            f"{what} depends on the values of the input, so no pattern valid for every "
            "input can be traced. Use a pattern of this point with local=True (and "
            "re-detect where the branch may change), or give the pattern "
            "(sparsity=...).")


class Derived(np.ndarray):
    """A value computed from the input during global detection: usable as a constant
    (a sign, a where condition), refused where it would steer the program."""

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        return arr.view(Derived)

    def __array_function__(self, func, types, args, kwargs):
        plain = tuple(np.ndarray if t is Derived else t for t in types)
        r = super().__array_function__(func, plain, args, kwargs)
        return _mark(r)

    def __getitem__(self, idx):
        return _mark(np.ndarray.__getitem__(self, idx))

    def __bool__(self):
        raise GlobalPatternError("a Python branch on a traced value (bool())")

    def __index__(self):
        raise GlobalPatternError("an index computed from a traced value")

    def __int__(self):
        raise GlobalPatternError("int() of a traced value")

    def __float__(self):
        raise GlobalPatternError("float() of a traced value")

    def item(self, *a):
        raise GlobalPatternError(".item() of a traced value")

    def tolist(self):
        raise GlobalPatternError(".tolist() of a traced value")

    def argmax(self, *a, **k):
        return _mark(np.asarray(self).argmax(*a, **k))

    def argmin(self, *a, **k):
        return _mark(np.asarray(self).argmin(*a, **k))

    def nonzero(self):
        return tuple(_mark(r) for r in np.asarray(self).nonzero())


def _mark(r):
    if isinstance(r, tuple):
        return tuple(_mark(x) for x in r)
    if isinstance(r, (np.ndarray, np.generic)) and not isinstance(r, Derived):
        return np.asarray(r).view(Derived)
    return r


def _plain(v):
    return v.view(np.ndarray) if isinstance(v, Derived) else v


class IndexTrace(Trace):
    """A sparsity detection: boxes carry their element-by-input dependency matrix."""

    kind = "sparsity tracer"

    def __init__(self, n, local=False):
        super().__init__()
        self.n, self.local = n, local

    def constant(self, value, like):
        return Index._make(value, _empty(_size(shape_of(value)), self.n), self)

    def process(self, prim, args, kw):
        values, pats = [], []
        for a in args:
            if isinstance(a, Index) and a._trace is self:
                values.append(a._v)
                pats.append(a.pattern)
            else:
                values.append(a)
                pats.append(None)
        if not self.local:
            _refuse_derived(prim, kw)
        out = _plain(prim(*values, **kw))
        if all(p is None for i, p in enumerate(pats) if i not in prim.nondiff):
            return out
        rule = RULES.get(depends(prim))
        if rule is None:
            raise ValueError(f"primitive {prim.name!r} declares an unknown dependency kind "
                             f"{depends(prim)!r}; one of {sorted(RULES)}")
        pattern = rule(prim, values, pats, out, kw, self)
        return Index._make(out, pattern, self) if pattern is not None else out


class Index(Box):
    """A traced value and, per element, the inputs it depends on (``pattern``)."""

    __slots__ = ("_v", "pattern")

    @property
    def value(self):
        v = self._v
        return v if self._trace.local else _mark(np.asarray(v))

    @property
    def shape(self):
        return shape_of(self._v)

    @property
    def dtype(self):
        v = self._v
        return v.dtype if hasattr(v, "dtype") else np.result_type(v)

    @classmethod
    def _make(cls, value, pattern, trace):
        b = object.__new__(cls)
        b._v, b.pattern, b._trace = value, pattern, trace
        return b

    def __repr__(self):
        return f"Index(shape={self.shape}, nnz={self.pattern.nnz})"


def _refuse_derived(prim, kw):
    for k, v in kw.items():
        for x in (v if isinstance(v, tuple) else (v,)):
            if isinstance(x, Derived):
                raise GlobalPatternError(f"{prim.name}({k}=...) with {k} computed from "
                                         "a traced value (argsort, argmax, nonzero, ...)")


# ------------------------------------------------------------------------------------
# Facts on the rows (a primitive without them is "dense", the safe superset)
# ------------------------------------------------------------------------------------
def depends(prim):
    return getattr(prim, "depends", "dense")


def depends_axes(prim, ndim, kw):
    fn = getattr(prim, "depends_axes", None)
    if fn is None:
        raise ValueError(f"primitive {prim.name!r} declares depends={depends(prim)!r} "
                         "but no depends_axes(ndim, kw)")
    return tuple(sorted(int(a) % ndim for a in fn(ndim, kw))) if ndim else ()


# ------------------------------------------------------------------------------------
# Dependency matrices
# ------------------------------------------------------------------------------------
def _size(shape):
    return math.prod(shape)


def _ids(shape):
    return np.arange(_size(shape), dtype=np.int64).reshape(shape)


def _select(src, nrows, ncols):
    """The (nrows, ncols) matrix with a one at (r, src[r]) for each row whose
    src[r] >= 0 (one source element per output element: a gather)."""
    sp = _sp()
    src = np.asarray(src, dtype=np.int64).reshape(-1)
    keep = src >= 0
    indptr = np.zeros(nrows + 1, np.int64)
    np.cumsum(keep, out=indptr[1:])
    return sp.csr_array((np.ones(int(indptr[-1]), bool), src[keep], indptr),
                        shape=(nrows, ncols))


def _pairs(rows, cols, nrows, ncols):
    sp = _sp()
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    cols = np.asarray(cols, dtype=np.int64).reshape(-1)
    return sp.csr_array((np.ones(rows.size, bool), (rows, cols)), shape=(nrows, ncols))


def _accumulate(total, term):
    return term if total is None else total + term


def _empty(nrows, n):
    return _sp().csr_array((nrows, n), dtype=bool)


def _elementwise(prim, values, pats, out, kw, trace):
    oshape = shape_of(out)
    osize = _size(oshape)
    total = None
    for i, p in enumerate(pats):
        if p is None or i in prim.nondiff:
            continue
        shape = shape_of(values[i])
        src = None if shape == oshape else np.broadcast_to(_ids(shape), oshape)
        if _partial_known(prim, i, values, pats, trace):
            # drop the elements whose partial derivative is exactly 0: at this point
            # (local), or everywhere when it reads only constants (c * x, where(c, x, y))
            d = prim.partial(i, tuple(values), out)
            zero = np.broadcast_to(np.asarray(d) == 0, oshape)
            if zero.any():
                src = np.array(np.broadcast_to(_ids(shape), oshape) if src is None else src)
                src[zero] = -1
        term = p if src is None else _select(src, osize, _size(shape)) @ p
        total = _accumulate(total, term)
    return total


def _partial_known(prim, i, values, pats, trace):
    """Whether the elementwise partial d_i can be evaluated for the pattern: always at
    this point (local); for a global pattern only when every operand it reads is a plain
    constant (not traced, not computed from the input), so its zeros hold everywhere."""
    if getattr(prim, "partials", None) is None or prim.partials[i] is None:
        return False
    if trace.local:
        return True
    reads = prim.reads[i]
    nin = len(values)
    return all(j < nin and pats[j] is None and not isinstance(values[j], (Derived, Box))
               for j in reads)


def _gather(prim, values, pats, out, kw, trace):
    """Run the implementation on element ids: operand i's elements get the ids
    offset[i] .. offset[i] + size_i - 1, constants get -1."""
    sp = _sp()
    ids, blocks, offset = [], [], 0
    for i, (v, p) in enumerate(zip(values, pats)):
        shape = shape_of(v)
        if p is None or i in prim.nondiff:
            ids.append(np.full(shape, -1, np.int64))
        else:
            ids.append(_ids(shape) + offset)
            blocks.append(p)
            offset += _size(shape)
    src = np.asarray(prim.impl(*ids, **kw))
    stacked = blocks[0] if len(blocks) == 1 else sp.vstack(blocks, format="csr")
    return _select(src, _size(shape_of(out)), offset) @ stacked


def _scatter(prim, values, pats, out, kw, trace):
    """A linear map whose VJP is a gather: the VJP moves output ids to operand elements."""
    oshape = shape_of(out)
    total = None
    for i, p in enumerate(pats):
        if p is None or i in prim.nondiff:
            continue
        dest = np.asarray(prim.vjp(i, _ids(oshape), tuple(values), out, kw))
        shape = shape_of(values[i])
        src = np.broadcast_to(_ids(shape), dest.shape) if dest.shape != shape else _ids(shape)
        total = _accumulate(total, _pairs(dest, src, _size(oshape), _size(shape)) @ p)
    return total


def _reduce(prim, values, pats, out, kw, trace):
    """Output element o depends on the operand elements that reduce into it."""
    (x,), (p,) = values[:1], pats[:1]
    shape = shape_of(x)
    axes = depends_axes(prim, len(shape), kw)
    kept = tuple(1 if d in axes else s for d, s in enumerate(shape))
    dest = np.broadcast_to(_ids(kept), shape)
    return _pairs(dest, _ids(shape), _size(shape_of(out)), _size(shape)) @ p


def _scan(prim, values, pats, out, kw, trace):
    """Output element at position k along the axis depends on positions 0..k."""
    x, p = values[0], pats[0]
    shape = shape_of(x)
    (axis,) = depends_axes(prim, len(shape), kw)
    lanes = np.moveaxis(_ids(shape), axis, -1).reshape(-1, shape[axis])
    k, j = np.tril_indices(shape[axis])
    return _pairs(lanes[:, k], lanes[:, j], _size(shape), _size(shape)) @ p


def _lanes(prim, values, pats, out, kw, trace):
    """Dense along ``depends_axes`` of each operand, independent across the others
    (batch axes, which the output keeps: leading when the rank changes)."""
    oshape = shape_of(out)
    total = None
    for i, p in enumerate(pats):
        if p is None or i in prim.nondiff:
            continue
        shape = shape_of(values[i])
        axes = depends_axes(prim, len(shape), kw)
        rest = [d for d in range(len(shape)) if d not in axes]
        batch = tuple(shape[d] for d in rest)
        if len(oshape) == len(shape):
            oaxes, ok = axes, tuple(oshape[d] for d in rest) == batch
        else:
            trailing = tuple(range(len(shape) - len(axes), len(shape)))
            ok = axes == trailing and oshape[:len(batch)] == batch
            oaxes = tuple(range(len(batch), len(oshape)))
        if not ok:
            return _dense(prim, values, pats, out, kw, trace)
        nb = _size(batch)
        src = np.transpose(_ids(shape), rest + list(axes)).reshape(nb, -1)
        orest = [d for d in range(len(oshape)) if d not in oaxes]
        dst = np.transpose(_ids(oshape), orest + list(oaxes)).reshape(nb, -1)
        rows = np.repeat(dst, src.shape[1], axis=1)
        cols = np.tile(src, (1, dst.shape[1]))
        total = _accumulate(total, _pairs(rows, cols, _size(oshape), _size(shape)) @ p)
    return total


def _dense(prim, values, pats, out, kw, trace):
    """Every output element depends on every input any operand depends on."""
    sp = _sp()
    used = None
    for i, p in enumerate(pats):
        if p is not None and i not in prim.nondiff:
            cols = np.unique(p.indices)
            used = cols if used is None else np.union1d(used, cols)
    osize = _size(shape_of(out))
    indptr = np.arange(osize + 1, dtype=np.int64) * used.size
    return sp.csr_array((np.ones(osize * used.size, bool), np.tile(used, osize), indptr),
                        shape=(osize, trace.n))


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _contract(prim, values, pats, out, kw, trace):
    """An einsum: out[o] depends on operand i's element e where the einsum of the other
    operands' masks over the letters of (out, operand i) is nonzero. A traced operand's
    mask is all ones (global) or its nonzeros at this point (local); a constant's is its
    nonzeros."""
    ins, o = prim.einsum_spec([shape_of(v) for v in values], kw).split("->")
    ins = ins.split(",")
    oshape = shape_of(out)
    masks = []
    for v, p in zip(values, pats):
        if (p is not None and not trace.local) or isinstance(v, (Derived, Box)):
            masks.append(np.ones(shape_of(v), bool))
        else:
            masks.append(np.asarray(v) != 0)
    total = None
    for i, p in enumerate(pats):
        if p is None or i in prim.nondiff:
            continue
        shape = shape_of(values[i])
        keep = o + "".join(c for c in ins[i] if c not in o)
        ops = masks[:i] + [np.ones(shape, bool)] + masks[i + 1:]   # boolean: or of ands
        m = np.einsum(",".join(ins) + "->" + keep, *ops)
        if not keep:        # a scalar result of scalars
            dest = src = np.zeros(int(m != 0), np.int64)
        else:
            at = dict(zip(keep, np.nonzero(m)))
            dest = np.ravel_multi_index(tuple(at[c] for c in o), oshape) if o \
                else np.zeros(at[keep[0]].size, np.int64)
            src = np.ravel_multi_index(
                tuple(at[c] if n > 1 else np.zeros_like(at[c]) for c, n in zip(ins[i], shape)),
                shape) if ins[i] else np.zeros_like(dest)
        total = _accumulate(total, _pairs(dest, src, _size(oshape), _size(shape)) @ p)
    return total


RULES = {"elementwise": _elementwise, "gather": _gather, "scatter": _scatter,
         "reduce": _reduce, "scan": _scan, "lanes": _lanes, "contract": _contract,
         "dense": _dense}


# ------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------
def jacobian_pattern(f, x, args=(), local=False):
    """(pattern, value): the (m, n) boolean CSR pattern of the Jacobian of ``f(x, *args)``
    with respect to the array ``x`` (flattened, C order), and f's value at x."""
    sp = _sp()
    x = np.asarray(x, dtype=np.result_type(np.asarray(x).dtype, np.float64)) \
        if not isinstance(x, np.ndarray) or x.dtype.kind not in "fc" else x
    n = x.size
    trace = IndexTrace(n, local)
    eye = sp.csr_array((np.ones(n, bool), np.arange(n), np.arange(n + 1)), shape=(n, n))
    try:
        out = boxes_of(f(Index._make(x, eye, trace), *args))
    finally:
        trace.finish()
    if isinstance(out, Index) and out._trace is trace:
        value, pattern = out._v, out.pattern
    elif isinstance(out, Box) or isinstance(out, (list, tuple, dict)):
        raise TypeError("a sparse Jacobian needs f to return one array (or float), got "
                        f"{type(out).__name__}; stack the outputs with np.concatenate")
    else:
        value = _plain(out)
        pattern = _empty(_size(shape_of(value)), n)
    return as_pattern(pattern), value


def hessian_pattern(f, x, args=(), local=False):
    """The (n, n) boolean CSR pattern of the Hessian of the scalar ``f(x, *args)``: the
    Jacobian pattern of its gradient (made symmetric)."""
    def gradient(z, *a):
        return grad(f)(z, *a).reshape(-1) if shape_of(z) else grad(f)(z, *a)
    p, _ = jacobian_pattern(gradient, x, args, local)
    return as_pattern(p + p.T)
