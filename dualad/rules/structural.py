"""Structural and linear primitives: each gives a JVP and its transpose, the VJP.

Sums, broadcasting, reshapes, transposes, casts, indexing and its transpose (scatter-add),
joining, the matrix product and the complex parts. Rules are written with primitives and
operators only, so an outer trace differentiates them too. Forward-mode tangents carry a
leading axis of k directions; ``align`` and ``unbroadcast`` keep the rules readable.
"""
import numpy as np

from ..core import Box, Primitive, dtype_of, ndim_of, register, set_packer, shape_of

def align(t, nd_in, nd_out):
    """Insert axes after the direction axis so an operand's tangent broadcasts to the output."""
    if nd_in == nd_out:
        return t
    s = shape_of(t)
    return reshape(t, shape=s[:1] + (1,) * (nd_out - nd_in) + s[1:])


def unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added, giving a cotangent of ``shape``."""
    gshape = shape_of(g)
    shape = tuple(shape)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    if type(g) is np.ndarray:   # a plain cotangent: what the primitives would compute
        if axes:
            g = np.add.reduce(g, axis=axes)
        return g.reshape(shape) if g.shape != shape else g
    if axes:
        g = sum_(g, axis=axes)
    return reshape(g, shape=shape) if shape_of(g) != shape else g


# ------------------------------------------------------------------------------------
# Structural and linear primitives: a JVP and its transpose, the VJP.
# ------------------------------------------------------------------------------------
def norm_axes(axis, nd):
    if axis is None:
        return tuple(range(nd))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    return tuple(sorted(int(a) % nd if nd else 0 for a in axis))


def _sum_impl(x, axis=None, keepdims=False):
    if type(x) is np.ndarray:   # what np.sum calls for an ndarray, without its wrapper
        return np.add.reduce(x, axis=axis, keepdims=keepdims)
    return np.sum(x, axis=axis, keepdims=keepdims)


def _sum_jvp(tangents, primals, out, axis=None, keepdims=False):
    (t,) = tangents
    axes = norm_axes(axis, ndim_of(primals[0]))
    return sum_(t, axis=tuple(a + 1 for a in axes), keepdims=keepdims)


def _sum_vjp(i, g, primals, out, axis=None, keepdims=False):
    shape = shape_of(primals[0])
    if type(g) is np.ndarray:
        view = _spread(g, shape, norm_axes(axis, len(shape)), keepdims)
        if view is not None:
            return view
    if not keepdims:
        axes = norm_axes(axis, len(shape))
        kept = tuple(1 if d in axes else n for d, n in enumerate(shape))
        g = reshape(g, shape=kept)
    return broadcast_to(g, shape=shape)


def _spread(g, shape, axes, keepdims):
    """The plain cotangent ``g`` of a sum over ``axes`` broadcast back to ``shape``: the
    read-only view np.broadcast_to gives, built directly (np.broadcast_to's Python
    overhead is most of a small sum's VJP). None when g is not a C-contiguous, nonempty
    array of the reduced shape (np.broadcast_to then does it, or raises)."""
    if not g.flags.c_contiguous or g.size == 0:
        return None
    gshape, gstrides = g.shape, g.strides
    strides, j = [], 0
    for d, n in enumerate(shape):
        if d in axes:
            strides.append(0)
            if keepdims:
                if gshape[j] != 1:
                    return None
                j += 1
        else:
            if j >= len(gshape) or gshape[j] != n or n == 0:
                return None
            strides.append(gstrides[j])
            j += 1
    if j != len(gshape):
        return None
    view = np.ndarray(shape, g.dtype, g, 0, tuple(strides))
    view.flags.writeable = False
    return view


def axis_kw(ndim, kw):
    """The axes a reduction's ``axis=`` keyword names (all of them for None): the
    ``depends_axes`` of the rows that reduce or scan along ``axis``."""
    return norm_axes(kw.get("axis"), ndim)


def last_axes(count):
    """``depends_axes`` of rows working on the last ``count`` axes (a row of ``prod``, the
    matrices of a linear-algebra row)."""
    return lambda ndim, kw: tuple(range(ndim - count, ndim))


sum_ = register(Primitive("sum", _sum_impl, _sum_jvp, _sum_vjp, depends="reduce",
                          depends_axes=axis_kw))


def _broadcast_impl(x, shape):
    return np.broadcast_to(x, shape)


def _broadcast_jvp(tangents, primals, out, shape):
    (t,) = tangents
    t = align(t, ndim_of(primals[0]), len(shape))
    return broadcast_to(t, shape=shape_of(t)[:1] + tuple(shape))


def _broadcast_vjp(i, g, primals, out, shape):
    return unbroadcast(g, shape_of(primals[0]))


broadcast_to = register(Primitive("broadcast_to", _broadcast_impl, _broadcast_jvp,
                                  _broadcast_vjp, cost="view", depends="gather"))


def _reshape_impl(x, shape):
    return x.reshape(shape) if type(x) is np.ndarray else np.reshape(x, shape)


def _reshape_jvp(tangents, primals, out, shape):
    (t,) = tangents
    return reshape(t, shape=shape_of(t)[:1] + shape_of(out))


def _reshape_vjp(i, g, primals, out, shape):
    return reshape(g, shape=shape_of(primals[0]))


reshape = register(Primitive("reshape", _reshape_impl, _reshape_jvp, _reshape_vjp,
                             cost="view", depends="gather"))


def _transpose_impl(x, axes):
    return np.transpose(x, axes)


def _transpose_jvp(tangents, primals, out, axes):
    (t,) = tangents
    return transpose(t, axes=(0,) + tuple(a + 1 for a in axes))


def _transpose_vjp(i, g, primals, out, axes):
    return transpose(g, axes=tuple(int(a) for a in np.argsort(axes)))


transpose = register(Primitive("transpose", _transpose_impl, _transpose_jvp,
                               _transpose_vjp, cost="view", depends="gather"))


def _cast_impl(x, dtype):
    return np.asarray(x).astype(dtype) if not np.isscalar(x) else np.dtype(dtype).type(x)


def _cast_jvp(tangents, primals, out, dtype):
    t = tangents[0]
    if np.dtype(dtype).kind != "c" and dtype_of(t).kind == "c":
        t = real(t)     # complex -> real keeps the real part
    return cast(t, dtype=dtype)


def _cast_vjp(i, g, primals, out, dtype):
    return cast(project(g, primals[0]), dtype=dtype_of(primals[0]))


cast = register(Primitive("cast", _cast_impl, _cast_jvp, _cast_vjp, depends="elementwise"))


# --- indexing ---------------------------------------------------------------------
def _is_advanced(k):
    return isinstance(k, (list, np.ndarray)) and not isinstance(k, Box)


def _index_tuple(idx):
    return idx if isinstance(idx, tuple) else (idx,)


def _advanced_layout(idx):
    """How many leading result axes numpy gives the advanced indices when they are
    separated by slices (numpy then moves them to the front), else 0."""
    idx = _index_tuple(idx)
    has_array = any(_is_advanced(k) for k in idx)
    if not has_array:
        return 0
    pos = [j for j, k in enumerate(idx)
           if _is_advanced(k) or isinstance(k, (int, np.integer))]
    if pos == list(range(pos[0], pos[-1] + 1)):
        return 0
    arrays = []
    for k in idx:
        if _is_advanced(k):
            k = np.asarray(k)
            arrays.extend(np.nonzero(k) if k.dtype == bool else (k,))
        elif isinstance(k, (int, np.integer)):
            arrays.append(np.asarray(k))
    return len(np.broadcast_shapes(*(a.shape for a in arrays)))


def _batched_index(idx):
    return (slice(None),) + _index_tuple(idx)


def _getitem_impl(x, idx):
    return x[idx]


def _getitem_jvp(tangents, primals, out, idx):
    (t,) = tangents
    r = getitem(t, idx=_batched_index(idx))
    lead = _advanced_layout(idx)
    return moveaxis_(r, lead, 0) if lead else r


def _getitem_vjp(i, g, primals, out, idx):
    return scatter_add(g, idx=idx, shape=shape_of(primals[0]))


getitem = register(Primitive("getitem", _getitem_impl, _getitem_jvp, _getitem_vjp,
                             depends="gather"))


def basic_index(idx):
    """True when ``idx`` holds no array index (so ``z[idx] = g`` scatters without repeats)."""
    return not any(_is_advanced(k) for k in _index_tuple(idx))


def _scatter_impl(g, idx, shape):
    z = np.zeros(shape, dtype=np.result_type(np.asarray(g).dtype, np.float32))
    if not basic_index(idx):
        np.add.at(z, idx, g)
    else:
        z[idx] = g
    return z


def _scatter_jvp(tangents, primals, out, idx, shape):
    (t,) = tangents
    k = shape_of(t)[:1]   # the direction axis, read before it is moved
    lead = _advanced_layout(idx)
    if lead:
        t = moveaxis_(t, 0, lead)
    return scatter_add(t, idx=_batched_index(idx), shape=k + tuple(shape))


def _scatter_vjp(i, g, primals, out, idx, shape):
    return getitem(g, idx=idx)


scatter_add = register(Primitive("scatter_add", _scatter_impl, _scatter_jvp, _scatter_vjp,
                                 depends="scatter"))


def moveaxis_(x, src, dst):
    nd = ndim_of(x)
    order = [a for a in range(nd) if a != src]
    order.insert(dst, src)
    return transpose(x, axes=tuple(order))


# --- joining ------------------------------------------------------------------------
def _concat_impl(*xs, axis=0):
    return np.concatenate(xs, axis=axis)


def _concat_jvp(tangents, primals, out, axis=0):
    k = next(shape_of(t)[0] for t in tangents if t is not None)
    ts = [t if t is not None else np.zeros((k,) + shape_of(p), dtype=dtype_of(out))
          for t, p in zip(tangents, primals)]
    return concatenate(*ts, axis=axis % ndim_of(out) + 1)


def _concat_vjp(i, g, primals, out, axis=0):
    axis = axis % ndim_of(out)
    start = sum(shape_of(p)[axis] for p in primals[:i])
    stop = start + shape_of(primals[i])[axis]
    return project(getitem(g, idx=(slice(None),) * axis + (slice(start, stop),)), primals[i])


concatenate = register(Primitive("concatenate", _concat_impl, _concat_jvp, _concat_vjp,
                                 depends="gather"))
concatenate.vjp_reads = lambda parents: ()     # linear: its VJP reads shapes, not values


# --- matrix product: operands both at least 2-D, or a vector and a vector or matrix ------
# (numpy_dispatch reshapes the other 1-D cases; a matrix-vector product is one entry).
def _swap_last(x):
    nd = ndim_of(x)
    return transpose(x, axes=tuple(range(nd - 2)) + (nd - 1, nd - 2))


# With 2-D operands, the k directions of a tangent are folded into one matrix product
# (one GEMM) instead of k matrix products, several times faster for many directions.
def _directions_matmul(ta, b):
    """ta[j] @ b for each direction j: ta (k, m, n), b (n, p) -> (k, m, p)."""
    k, m, n = shape_of(ta)
    return reshape(matmul(reshape(ta, shape=(k * m, n)), b), shape=(k, m, shape_of(b)[1]))


def _matmul_directions(a, tb):
    """a @ tb[j] for each direction j: a (m, n), tb (k, n, p) -> (k, m, p)."""
    k, n, p = shape_of(tb)
    folded = reshape(transpose(tb, axes=(1, 0, 2)), shape=(n, k * p))
    return transpose(reshape(matmul(a, folded), shape=(shape_of(a)[0], k, p)), axes=(1, 0, 2))


def _vector_matmul_jvp(ta, tb, a, b):
    """The JVP of a @ b when a or b is a vector (the other at most 2-D); the k directions
    are folded into one product with operands that keep to the same shapes."""
    na, nb = ndim_of(a), ndim_of(b)
    total = None
    if ta is not None:
        if na == 2:     # ta (k, m, n) @ b (n,)
            k, m, n = shape_of(ta)
            total = reshape(matmul(reshape(ta, shape=(k * m, n)), b), shape=(k, m))
        else:           # ta (k, n) @ b
            total = matmul(ta, b)
    if tb is not None:
        if nb == 2:     # a (n,) @ tb (k, n, p)
            k, n, p = shape_of(tb)
            folded = reshape(transpose(tb, axes=(1, 0, 2)), shape=(n, k * p))
            term = reshape(matmul(a, folded), shape=(k, p))
        else:           # a @ tb[j] = tb[j] @ a^T
            term = matmul(tb, _swap_last(a) if na == 2 else a)
        total = term if total is None else total + term
    return total


def _vector_matmul_vjp(i, g, a, b):
    """The cotangent of operand i of a @ b when a or b is a vector (the other at most 2-D)."""
    na, nb = ndim_of(a), ndim_of(b)
    if i == 0:
        if na == 2:     # a (m, n), b (n,): the outer product g b^T
            return reshape(g, shape=shape_of(g) + (1,)) * b
        return matmul(b, g) if nb == 2 else g * b
    if nb == 2:         # a (n,), b (n, p): the outer product a g^T
        return reshape(a, shape=shape_of(a) + (1,)) * g
    return matmul(g, a) if na == 2 else g * a


def is_vector_product(a, b):
    na, nb = ndim_of(a), ndim_of(b)
    return (na == 1 and nb <= 2) or (nb == 1 and na <= 2)


def _matmul_jvp(tangents, primals, out, **kw):
    a, b = primals
    ta, tb = tangents
    if is_vector_product(a, b):
        return _vector_matmul_jvp(ta, tb, a, b)
    nd = ndim_of(out)
    total = None
    if ta is not None:
        total = _directions_matmul(ta, b) if ndim_of(a) == ndim_of(b) == 2 else \
            matmul(align(ta, ndim_of(a), nd), b)
    if tb is not None:
        term = _matmul_directions(a, tb) if ndim_of(a) == ndim_of(b) == 2 else \
            matmul(a, align(tb, ndim_of(b), nd))
        total = term if total is None else total + term
    want = shape_of(total)[:1] + shape_of(out)
    return total if shape_of(total) == want else broadcast_to(total, shape=want)


def _matmul_vjp(i, g, primals, out, **kw):
    a, b = primals
    if is_vector_product(a, b):
        return project(_vector_matmul_vjp(i, g, a, b), primals[i])
    if i == 0:
        return project(unbroadcast(matmul(g, _swap_last(b)), shape_of(a)), a)
    return project(unbroadcast(matmul(_swap_last(a), g), shape_of(b)), b)


def _matmul_spec(shapes, kw):
    """The einsum of a matmul of operands of these shapes (its sparsity structure)."""
    na, nb = len(shapes[0]), len(shapes[1])
    if na == 1 or nb == 1:
        return {(1, 1): "j,j->", (1, 2): "j,jk->k", (2, 1): "ij,j->i"}[na, nb]
    nbatch = max(na, nb) - 2
    batch = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:nbatch]
    return f"{batch[nbatch - na + 2:]}ij,{batch[nbatch - nb + 2:]}jk->{batch}ik"


matmul = register(Primitive("matmul", np.matmul, _matmul_jvp, _matmul_vjp,
                            cost="matmul", depends="contract", einsum_spec=_matmul_spec))


# --- complex numbers --------------------------------------------------------------------
# Complex values follow JAX's and autograd's convention: a JVP is the R-linear map on
# tangents, and a VJP is its transpose with respect to the real pairing
# <a, b> = Re(sum(a * b)) (no conjugation). For holomorphic f the VJP is then g * f'(z), the
# same partial as the JVP, so the elementwise entries serve complex operands unchanged;
# the gradient of a real function f(z) is df/dx - i df/dy. A cotangent reaching a real
# operand from a complex result keeps its real part (``project``).
def _real_impl(x):
    return np.real(x)


def _real_jvp(tangents, primals, out):
    t = tangents[0]
    return real(t) if dtype_of(t).kind == "c" else t


def _real_vjp(i, g, primals, out):
    x = primals[0]
    return cast(g, dtype=dtype_of(x)) if dtype_of(x).kind == "c" else g


real = register(Primitive("real", _real_impl, _real_jvp, _real_vjp, depends="elementwise"))


def _imag_impl(x):
    return np.imag(x)


def _imag_jvp(tangents, primals, out):
    return imag(tangents[0])


def _imag_vjp(i, g, primals, out):
    # Re(g * Im(t)) = Re((-i g) * t)
    x = primals[0]
    return g * (-1j) if dtype_of(x).kind == "c" else g * 0.0


imag = register(Primitive("imag", _imag_impl, _imag_jvp, _imag_vjp, depends="elementwise"))


def _conj_jvp(tangents, primals, out):
    t = tangents[0]
    return conjugate(t) if dtype_of(t).kind == "c" else t


def _conj_vjp(i, g, primals, out):
    return conjugate(g) if dtype_of(g).kind == "c" else g


conjugate = register(Primitive("conjugate", np.conjugate, _conj_jvp, _conj_vjp,
                               depends="elementwise"))


def project(c, like):
    """The cotangent ``c`` in the space of the operand ``like``: its real part when ``like``
    is real and ``c`` complex (the transpose of the embedding of the reals)."""
    if type(c) is np.ndarray and c.dtype.kind != "c":   # a plain real cotangent
        return c
    if c is None or dtype_of(c).kind != "c" or dtype_of(like).kind == "c":
        return c
    return real(c)


# --- arrays built from traced values, and recorded writes ---------------------------
def _pack_impl(*xs, shape):
    """Operands of one shape s stacked along a last axis reshaped to ``shape``:
    ``out[..., j] = xs[j]`` (s = () builds an array from scalars)."""
    return np.stack(xs, axis=-1).reshape(np.shape(xs[0]) + tuple(shape))


def _pack_jvp(tangents, primals, out, shape):
    given = next(t for t in tangents if t is not None)
    zero = None
    ts = []
    for t in tangents:
        if t is None:
            if zero is None:
                zero = np.zeros(shape_of(given), dtype=dtype_of(out))
            t = zero
        ts.append(t)
    return pack(*ts, shape=shape)


def _pack_vjp(i, g, primals, out, shape):
    lead = shape_of(primals[0])
    if type(g) is np.ndarray:
        return project(g.reshape(lead + (-1,))[..., i], primals[i])
    flat = reshape(g, shape=lead + (int(np.prod(shape, dtype=np.int64)),))
    return project(getitem(flat, idx=(Ellipsis, i)), primals[i])


#: ``np.array([a, b, c])`` of traced scalars: what an object array of boxes becomes where
#: it meets dualad (``core.from_objects``).
pack = register(Primitive("pack", _pack_impl, _pack_jvp, _pack_vjp, depends="gather"))
set_packer(pack)


def _update_impl(x, v, idx):
    y = np.array(x, copy=True)
    y[idx] = v
    return y


def _update_jvp(tangents, primals, out, idx):
    tx, tv = tangents
    x, v = primals
    given = tx if tx is not None else tv
    k = shape_of(given)[:1]
    if tx is None:
        tx = np.zeros(k + shape_of(x), dtype=dtype_of(out))
    if tv is None:
        tv = 0.0
    else:
        target = np.empty(shape_of(x), dtype=bool)[idx].shape   # what x[idx] selects
        tv = align(tv, ndim_of(v), len(target))
        lead = _advanced_layout(idx)
        if lead:
            tv = moveaxis_(tv, 0, lead)
    return index_update(tx, tv, idx=_batched_index(idx))


def _update_vjp(i, g, primals, out, idx):
    if i == 0:      # the entries that were overwritten get no cotangent
        return index_update(g, 0.0, idx=idx)
    return unbroadcast(project(getitem(g, idx=idx), primals[1]), shape_of(primals[1]))


#: ``x[idx] = v`` recorded as a new value (the box is rebound to it; readers of the old
#: value keep the old one), as torch and mygrad record in-place writes.
index_update = register(Primitive("index_update", _update_impl, _update_jvp, _update_vjp,
                                  depends="gather"))


def duplicate_targets(idx, shape):
    """Whether an advanced index writes some element twice (``x[[0, 0]] = v``: only the
    last write survives, which a rule on the index as a whole cannot express)."""
    if not any(_is_advanced(k) and np.asarray(k).dtype != bool for k in _index_tuple(idx)):
        return False
    hits = np.zeros(shape, dtype=np.intp)
    np.add.at(hits, idx, 1)
    return bool(hits.max(initial=0) > 1)
