"""Linear algebra on traced values: products (vdot, inner, outer, tensordot, einsum, kron,
cross, ...) as compositions, and numpy.linalg as primitives of the table.

Each decomposition is one primitive whose outputs are packed into one array (eigh: the
eigenvalues as a first row above the eigenvectors; svd and qr: the factors side by side),
so the table's one-output machinery carries them; the NumPy-facing function unpacks them
with indexing, which is itself differentiable.

Rules are written with the table's primitives (matmul, solve, transpose, where, ...), so
they are differentiated again at higher orders. Formulas: the standard matrix-calculus
results (e.g. M. Giles, "An extended collection of matrix derivative results for forward
and reverse mode AD", 2008; J. Townsend, "Differentiating the singular value
decomposition", 2016; I. Murray, "Differentiation of the Cholesky decomposition", 2016),
derived again here as transposes of the JVPs.

Conventions (documented on the coverage page and tested):
- cholesky and eigh read one triangle of the input (the lower one by default, as NumPy),
  and their derivatives are those of that function: the other triangle gets 0.
- eigh/svd at exactly repeated eigen/singular values: the eigen/singular-vector
  derivative does not exist there; dualad gives NaN where it would be needed and 0 where
  the cotangent (tangent) of the tied pair vanishes (functions of the values only are fine).
- inv, solve, det, slogdet need an invertible matrix (NumPy's LinAlgError otherwise);
  pinv is differentiated at constant rank.
- norm: the zero vector (matrix) has derivative 0 for the 2-norm and Frobenius norm;
  inf/-inf/1 norms and the matrix 1/inf norms follow max/min (ties split) and abs (0 at 0).
- Complex matrices: products, einsum, solve, inv, det follow the complex convention of
  dualad (holomorphic derivative, VJP transposed without conjugation: the transpose for
  the real pairing Re sum(a * b)). cholesky and eigh of a Hermitian matrix read one
  triangle and the real part of the diagonal, as LAPACK does; svd too. Complex eigen
  and singular vectors are fixed only up to a phase each: forward mode uses the gauge
  Im(diag(V^H dV)) = 0 (svd: the phase difference goes to U), so only phase-free
  functions of them (values, |v|^2, projectors, U diag(s) Vh) have a derivative, and
  reverse mode refuses a cotangent that depends on the phases. qr, pinv, slogdet are
  real only.
"""
import builtins
import math
import string

import numpy as np

from .. import rules as P
from ..core import dtype_of, ndim_of, primal, shape_of
from .basics import dot, matmul, moveaxis, ravel, reshape, stack
from .basics import sum as sum_
from .basics import transpose
from .matrices import _T, _diag_part, _mm, _real_only, _square
from .reductions import trace
from .registry import EXTRA_UFUNCS, FUNCTIONS, implements, invalidate, no_out, unsupported_kwargs
from .shapes import diagonal


# ------------------------------------------------------------------------------------
# Products (compositions)
# ------------------------------------------------------------------------------------
@implements(np.vdot)
def vdot(a, b):
    a = ravel(a)
    if dtype_of(a).kind == "c":
        a = P.conjugate(a)
    return dot(a, ravel(b))


@implements(np.inner)
def inner(a, b):
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        return a * b
    return tensordot(a, b, axes=([-1], [-1]))


@implements(np.outer)
def outer(a, b, out=None):
    no_out("numpy.outer", out)
    a, b = ravel(a), ravel(b)
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


@implements(np.linalg.outer)
def linalg_outer(x1, x2, /):
    if ndim_of(x1) != 1 or ndim_of(x2) != 1:
        raise ValueError("Input arrays must be one-dimensional")
    return outer(x1, x2)


@implements(np.tensordot, np.linalg.tensordot)
def tensordot(a, b, axes=2):
    na, nb = ndim_of(a), ndim_of(b)
    if isinstance(axes, (int, np.integer)):
        axes = int(axes)
        axa, axb = list(range(na - axes, na)), list(range(axes))
    else:
        axa, axb = axes
        axa = [axa] if isinstance(axa, (int, np.integer)) else list(axa)
        axb = [axb] if isinstance(axb, (int, np.integer)) else list(axb)
    axa = [int(x) % na for x in axa] if na else []
    axb = [int(x) % nb for x in axb] if nb else []
    sa, sb = shape_of(a), shape_of(b)
    for i, j in zip(axa, axb):
        if sa[i] != sb[j]:
            raise ValueError("shape-mismatch for sum")
    free_a = [d for d in range(na) if d not in axa]
    free_b = [d for d in range(nb) if d not in axb]
    n_in = math.prod(sa[d] for d in axa)
    a2 = reshape(transpose(a, free_a + axa), (math.prod(sa[d] for d in free_a), n_in))
    b2 = reshape(transpose(b, axb + free_b), (n_in, math.prod(sb[d] for d in free_b)))
    r = P.matmul(a2, b2)
    return reshape(r, tuple(sa[d] for d in free_a) + tuple(sb[d] for d in free_b))


@implements(np.kron)
def kron(a, b):
    nd = builtins.max(ndim_of(a), ndim_of(b))
    a = reshape(a, (1,) * (nd - ndim_of(a)) + shape_of(a))
    b = reshape(b, (1,) * (nd - ndim_of(b)) + shape_of(b))
    sa, sb = shape_of(a), shape_of(b)
    a2 = reshape(a, tuple(s for n in sa for s in (n, 1)))
    b2 = reshape(b, tuple(s for n in sb for s in (1, n)))
    return reshape(a2 * b2, tuple(x * y for x, y in zip(sa, sb)))


@implements(np.cross, np.linalg.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    a = moveaxis(a, axisa, -1)
    b = moveaxis(b, axisb, -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n"
                         "(dimension must be 2 or 3)")

    def comp(x, i):
        return P.getitem(x, idx=(Ellipsis, i))

    a0, a1 = comp(a, 0), comp(a, 1)
    b0, b1 = comp(b, 0), comp(b, 1)
    a2 = comp(a, 2) if na == 3 else 0.0
    b2 = comp(b, 2) if nb == 3 else 0.0
    if na == 2 and nb == 2:
        return a0 * b1 - a1 * b0
    c = stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return moveaxis(c, -1, axisc)


@implements(np.linalg.vecdot)
def vecdot(x1, x2, /, *, axis=-1, out=None, **kw):
    no_out("numpy.vecdot", out)
    unsupported_kwargs("numpy.vecdot", kw)
    if dtype_of(x1).kind == "c":
        x1 = P.conjugate(x1)
    return sum_(x1 * x2, axis=axis)


FUNCTIONS[np.linalg.matmul] = matmul
EXTRA_UFUNCS[np.vecdot] = lambda x1, x2, axis=-1: vecdot(x1, x2, axis=axis)


def matvec(x1, x2, /):
    """np.matvec: x1 (..., m, n) times vectors x2 (..., n)."""
    return P.getitem(matmul(x1, P.reshape(x2, shape=shape_of(x2) + (1,))), idx=(Ellipsis, 0))


def vecmat(x1, x2, /):
    """np.vecmat: conj(x1) (..., m) times matrices x2 (..., m, n)."""
    if dtype_of(x1).kind == "c":
        x1 = P.conjugate(x1)
    return P.getitem(matmul(P.reshape(x1, shape=shape_of(x1)[:-1] + (1,) + shape_of(x1)[-1:]),
                            x2), idx=(Ellipsis, 0, slice(None)))


EXTRA_UFUNCS[np.matvec] = matvec
EXTRA_UFUNCS[np.vecmat] = vecmat
invalidate()   # rebuild the ufunc map with the entries above


@implements(np.linalg.multi_dot)
def multi_dot(arrays, *, out=None):
    no_out("numpy.linalg.multi_dot", out)
    arrays = list(arrays)
    r = arrays[0]
    for x in arrays[1:]:
        r = dot(r, x)
    return r


@implements(np.linalg.matrix_power)
def matrix_power(a, n):
    _square("matrix_power", a)
    n = int(n)
    if n == 0:
        return np.broadcast_to(np.eye(shape_of(a)[-1], dtype=dtype_of(a)), shape_of(a)).copy()
    if n < 0:
        a, n = inv(a), -n
    result, base = None, a
    while n:
        if n & 1:
            result = base if result is None else _mm(result, base)
        n >>= 1
        if n:
            base = _mm(base, base)
    return result


@implements(np.linalg.trace)
def linalg_trace(x, /, *, offset=0, dtype=None):
    return trace(x, offset=offset, axis1=-2, axis2=-1, dtype=dtype)


@implements(np.linalg.diagonal)
def linalg_diagonal(x, /, *, offset=0):
    return diagonal(x, offset=offset, axis1=-2, axis2=-1)


FUNCTIONS[np.linalg.matrix_transpose] = _T


# ------------------------------------------------------------------------------------
# einsum: a primitive on operands whose subscripts are distinct letters, each shared with
# the output or another operand; the NumPy-facing function takes repeated letters
# (diagonals) and letters summed in one operand only out first.
# ------------------------------------------------------------------------------------
_LETTERS = string.ascii_letters


def _parse_einsum(subscripts, operands):
    """(list of input subscript strings, output string) with the ellipsis made explicit."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        ins, out = subscripts.split("->")
    else:
        ins, out = subscripts, None
    ins = ins.split(",")
    if len(ins) != len(operands):
        raise ValueError("more operands provided to einstein sum function than specified "
                         "in the subscripts string" if len(operands) > len(ins) else
                         "fewer operands provided to einstein sum function than specified "
                         "in the subscripts string")
    used = set("".join(ins) + (out or "")) - {"."}
    free = [c for c in _LETTERS if c not in used]
    n_ell = 0
    for s, op in zip(ins, operands):
        if "..." in s:
            n_ell = builtins.max(n_ell, ndim_of(op) - (len(s) - 3))
    ell = "".join(free[:n_ell])
    new_ins = []
    for s, op in zip(ins, operands):
        if "..." in s:
            k = ndim_of(op) - (len(s) - 3)
            s = s.replace("...", ell[n_ell - k:] if k else "")
        if len(s) != ndim_of(op):
            raise ValueError("einstein sum subscripts string contains too many subscripts "
                             "for operand")
        new_ins.append(s)
    if out is None:
        counts = {}
        for s in new_ins:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return new_ins, out


def _einsum_impl(*ops, spec, optimize=False):
    return np.einsum(spec, *ops, optimize=optimize)


def _spec(ins, out):
    return ",".join(ins) + "->" + out


def _einsum_jvp(tangents, primals, out, spec, optimize=False):
    ins, o = spec.split("->")
    ins = ins.split(",")
    z = next(c for c in _LETTERS if c not in spec)
    total = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        subs = list(ins)
        subs[i] = z + subs[i]
        ops = list(primals)
        ops[i] = t
        term = einsum_prim(*ops, spec=_spec(subs, z + o), optimize=optimize)
        total = term if total is None else total + term
    want = shape_of(total)[:1] + shape_of(out)
    return total if shape_of(total) == want else P.broadcast_to(total, shape=want)


def _einsum_vjp(i, g, primals, out, spec, optimize=False):
    ins, o = spec.split("->")
    ins = ins.split(",")
    others = [ins[j] for j in range(len(ins)) if j != i]
    ops = [primals[j] for j in range(len(ins)) if j != i]
    r = einsum_prim(g, *ops, spec=_spec([o] + others, ins[i]), optimize=optimize)
    # size-1 axes of the operand that broadcast against the others: sum them back
    shape = shape_of(primals[i])
    axes = tuple(d for d, (n, m) in enumerate(zip(shape, shape_of(r))) if n == 1 and m != 1)
    if axes:
        r = P.sum_(r, axis=axes, keepdims=True)
    return P.project(r, primals[i])


#: The sparsity structure of the rows on stacks of matrices: each output matrix depends on
#: the whole input matrix of its stack position (``Primitive.depends = "lanes"``).
MATRICES = P.last_axes(2)

einsum_prim = P.register(P.Primitive("einsum", _einsum_impl, _einsum_jvp, _einsum_vjp,
                                      depends="contract",
                                      einsum_spec=lambda shapes, kw: kw["spec"]))


def _einsum_prepare(ins, out, ops):
    """Distinct letters per operand (repeated ones: their diagonal), and letters of one
    operand only that the output drops summed out first."""
    ins, ops = list(ins), list(ops)
    for k in range(len(ops)):
        s, x = ins[k], ops[k]
        for c in dict.fromkeys(s):
            pos = [p for p, d in enumerate(s) if d == c]
            if len(pos) < 2:
                continue
            rest = [p for p in range(len(s)) if p not in pos]
            x = P.transpose(x, axes=tuple(rest + pos)) if rest + pos != list(range(len(s))) \
                else x
            n = shape_of(x)[-1]
            ar = np.arange(n)
            x = P.getitem(x, idx=(Ellipsis,) + (ar,) * len(pos))
            s = "".join(s[p] for p in rest) + c
        elsewhere = set(out).union(*(set(ins[j]) for j in range(len(ins)) if j != k))
        lone = [p for p, c in enumerate(s) if c not in elsewhere]
        if lone:
            x = P.sum_(x, axis=tuple(lone))
            s = "".join(c for p, c in enumerate(s) if p not in lone)
        ins[k], ops[k] = s, x
    return ins, ops


@implements(np.einsum)
def einsum(*operands, out=None, optimize=False, **kw):
    no_out("numpy.einsum", out)
    unsupported_kwargs("numpy.einsum", {k: v for k, v in kw.items()
                                         if not (k == "dtype" and v is None)})
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], list(operands[1:])
    else:   # einsum(op0, sublist0, op1, sublist1, ..., [sublistout])
        outsub = None
        if len(operands) % 2 == 1:
            outsub = operands[-1]
            operands = operands[:-1]
        ops, subs = list(operands[0::2]), list(operands[1::2])

        def letters(sl):
            return "".join("..." if x is Ellipsis else _LETTERS[x] for x in sl)
        subscripts = ",".join(letters(s) for s in subs)
        if outsub is not None:
            subscripts += "->" + letters(outsub)
    ins, o = _parse_einsum(subscripts, ops)
    if len(set(o)) != len(o):
        raise ValueError("einstein sum subscripts string includes output subscript "
                         "multiple times")
    ins, ops = _einsum_prepare(ins, o, ops)
    opt = bool(optimize) if not isinstance(optimize, str) else optimize
    return einsum_prim(*ops, spec=_spec(ins, o), optimize=opt)


# ------------------------------------------------------------------------------------
# inv, solve, det, slogdet
# ------------------------------------------------------------------------------------
def _inv_jvp(tangents, primals, out):
    return -_mm(out, _mm(tangents[0], out))


def _inv_vjp(i, g, primals, out):
    ot = _T(out)
    return -_mm(ot, _mm(g, ot))


inv_prim = P.register(P.Primitive("inv", np.linalg.inv, _inv_jvp, _inv_vjp,
        depends="lanes", depends_axes=MATRICES))


@implements(np.linalg.inv)
def inv(a):
    _square("inv", a)
    return inv_prim(a)


def _solve_jvp(tangents, primals, out):
    a, b = primals
    ta, tb = tangents
    nd = ndim_of(out)
    rhs = None
    if tb is not None:
        rhs = P.align(tb, ndim_of(b), nd)
    if ta is not None:
        term = -_mm(P.align(ta, ndim_of(a), nd), out)
        rhs = term if rhs is None else rhs + term
    r = solve_prim(a, rhs)
    want = shape_of(r)[:1] + shape_of(out)
    return r if shape_of(r) == want else P.broadcast_to(r, shape=want)


def _solve_vjp(i, g, primals, out):
    a, b = primals
    gb = solve_prim(_T(a), g)
    if i == 1:
        return P.project(P.unbroadcast(gb, shape_of(b)), b)
    return P.project(P.unbroadcast(-_mm(gb, _T(out)), shape_of(a)), a)


solve_prim = P.register(P.Primitive("solve", np.linalg.solve, _solve_jvp, _solve_vjp))


@implements(np.linalg.solve)
def solve(a, b):
    _square("solve", a)
    if ndim_of(b) == 1:      # NumPy 2: a 1-D b is one vector, for every matrix of a
        return P.getitem(solve_prim(a, reshape(b, shape_of(b) + (1,))), idx=(Ellipsis, 0))
    return solve_prim(a, b)


def _trace_last(x):
    return P.sum_(_diag_part(x), axis=(ndim_of(x) - 2,))


def _det_jvp(tangents, primals, out):
    a = primals[0]
    if _any_zero(out):      # singular: tr(adj(a) da), adj from the cofactors
        t = tangents[0]
        return P.sum_(P.sum_(_cofactors(a) * t, axis=(ndim_of(t) - 1,)),
                      axis=(ndim_of(t) - 2,))
    return out * _trace_last(solve_prim(a, tangents[0]))


def _det_vjp(i, g, primals, out):
    a = primals[0]
    s = shape_of(out)
    if _any_zero(out):      # singular: the cofactor matrix (adj(a)^T), as JAX gives it
        return P.reshape(g, shape=s + (1, 1)) * _cofactors(a)
    return P.reshape(g * out, shape=s + (1, 1)) * _T(inv_prim(a))


def _any_zero(out):
    return not np.all(primal(out))


def _cofactors(a):
    """The cofactor matrix of (a stack of) square matrices, adj(a)^T, from the
    determinants of the minors: defined for singular matrices too (det(a) inv(a) is
    not), and differentiable again by the det rule (its minors may be singular too)."""
    n = shape_of(a)[-1]
    if n == 1:
        return P.broadcast_to(np.ones((1, 1), dtype_of(a)), shape=shape_of(a))
    rows = []
    for i in range(n):
        keep_i = np.array([k for k in range(n) if k != i])
        without_row = P.getitem(a, idx=(Ellipsis, keep_i, slice(None)))
        row = []
        for j in range(n):
            keep_j = np.array([k for k in range(n) if k != j])
            minor = P.getitem(without_row, idx=(Ellipsis, slice(None), keep_j))
            d = det_prim(minor)
            row.append(d if (i + j) % 2 == 0 else -d)
        rows.append(stack(row, axis=-1))
    return stack(rows, axis=-2)


det_prim = P.register(P.Primitive("det", np.linalg.det, _det_jvp, _det_vjp,
        depends="lanes", depends_axes=MATRICES))


@implements(np.linalg.det)
def det(a):
    _square("det", a)
    return det_prim(a)


def _logabsdet_impl(a):
    return np.linalg.slogdet(a)[1]


def _logabsdet_jvp(tangents, primals, out):
    return _trace_last(solve_prim(primals[0], tangents[0]))


def _logabsdet_vjp(i, g, primals, out):
    return P.reshape(g, shape=shape_of(g) + (1, 1)) * _T(inv_prim(primals[0]))


logabsdet_prim = P.register(P.Primitive("logabsdet", _logabsdet_impl, _logabsdet_jvp,
                                        _logabsdet_vjp,
        depends="lanes", depends_axes=MATRICES))


@implements(np.linalg.slogdet)
def slogdet(a):
    _square("slogdet", a)
    _real_only("slogdet", a)
    sign = np.linalg.slogdet(primal(a))[0]   # piecewise constant: no derivative
    return np.linalg._linalg.SlogdetResult(sign, logabsdet_prim(a))
