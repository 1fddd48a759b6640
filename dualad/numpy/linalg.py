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
from ..core import primal, shape_of, ndim_of, dtype_of
from ..core import NotDifferentiableError
from .basics import (dot, matmul, moveaxis, ravel, reshape, stack, sum as sum_, transpose)
from .reductions import (amax, amin, safe_sqrt, trace)
from .registry import (COMPLEX_UFUNCS, EXTRA_UFUNCS, FUNCTIONS, implements, invalidate, no_out,
                       unsupported_kwargs, value_only)
from .shapes import (diagonal)


# ------------------------------------------------------------------------------------
# Small helpers on the last two axes
# ------------------------------------------------------------------------------------
def _T(x):
    nd = ndim_of(x)
    return P.transpose(x, axes=tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _mm(a, b):
    return P.matmul(a, b)


def _is_complex(x):
    return dtype_of(x).kind == "c"


def _conj(x):
    """The complex conjugate (nothing to do, and nothing recorded, for real values)."""
    return P.conjugate(x) if _is_complex(x) else x


def _H(x):
    """The conjugate transpose of the last two axes (the transpose for real values)."""
    return _conj(_T(x))


def _re(x):
    return P.real(x) if _is_complex(x) else x


def _eye(n, like):
    return np.eye(n, dtype=np.result_type(dtype_of(like), np.float32))


def _tril(x, k=0):
    n, m = shape_of(x)[-2:]
    return P.where(np.tri(n, m, k=k, dtype=bool), x, 0.0)


def _triu(x, k=0):
    n, m = shape_of(x)[-2:]
    return P.where(~np.tri(n, m, k=k - 1, dtype=bool), x, 0.0)


def _diag_part(x):
    n = shape_of(x)[-1]
    ar = np.arange(n)
    return P.getitem(x, idx=(Ellipsis, ar, ar))


def _diag_embed(v):
    """(..., n) -> (..., n, n) with v on the diagonal."""
    n = shape_of(v)[-1]
    return P.reshape(v, shape=shape_of(v) + (1,)) * _eye(n, v)


def _sym_from(t, lower):
    """The symmetric (Hermitian) matrix a function reading one triangle of its input
    sees; LAPACK reads only the real part of a complex diagonal."""
    if not _is_complex(t):
        if lower:
            return _tril(t) + _T(_tril(t, -1))
        return _triu(t) + _T(_triu(t, 1))
    strict = _tril(t, -1) if lower else _triu(t, 1)
    return strict + _H(strict) + _diag_embed(P.real(_diag_part(t)))


def _sym_transpose(g, lower):
    """The transpose of ``_sym_from`` (for the real pairing Re sum(g * t)): a matrix
    gradient onto the triangle that is read."""
    if not _is_complex(g):
        if lower:
            return _tril(g) + _tril(_T(g), -1)
        return _triu(g) + _triu(_T(g), 1)
    both = g + _H(g)
    strict = _tril(both, -1) if lower else _triu(both, 1)
    return strict + _diag_embed(P.real(_diag_part(g)))


def _phase_free(name, j):
    """Complex eigen/singular vectors are unique up to a phase per vector; a function of
    them has a derivative only if it does not depend on those phases, that is, if
    Im(diag(j)) vanishes (j: V^T gV of the cotangent, U^T gU + V^T gV for svd)."""
    jv = primal(j)
    if not np.iscomplexobj(jv):
        return
    d = np.abs(np.imag(np.diagonal(jv, axis1=-2, axis2=-1)))
    scale = np.max(np.abs(jv), initial=0.0)
    if np.max(d, initial=0.0) > 1e-8 * max(scale, 1e-300):
        raise NotDifferentiableError(
            f"numpy.linalg.{name} of a complex matrix, followed by a function that depends "
            "on the phases of the vectors",
            hint="Each complex eigen/singular vector is fixed only up to a factor "
                 "exp(i phi), so such a function has no derivative. Differentiate a "
                 "phase-free quantity instead (the values, |v|**2, v @ v.conj().T, "
                 "U @ diag(s) @ Vh, ...).")


def _real_only(name, *xs):
    for x in xs:
        if dtype_of(x).kind == "c":
            raise NotDifferentiableError(
                f"numpy.linalg.{name} of a complex matrix",
                hint="dualad differentiates this decomposition for real matrices only.")


def _square(name, a):
    s = shape_of(a)
    if len(s) < 2 or s[-1] != s[-2]:
        raise np.linalg.LinAlgError(
            "Last 2 dimensions of the array must be square")


def _gap_matrix(w, m):
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it (a function of w, so higher
    derivatives see it). At exactly repeated values the vector derivative does not exist:
    NaN where ``m`` (the coupling of the tied pair) is nonzero, else 0."""
    wv = primal(w)
    n = wv.shape[-1]
    dv = np.expand_dims(wv, -2) - np.expand_dims(wv, -1)       # w[j] - w[i]
    off = ~np.eye(n, dtype=bool)
    tie = (dv == 0) & off
    ok = off & ~tie
    s = shape_of(w)
    d = P.reshape(w, shape=s[:-1] + (1, n)) - P.reshape(w, shape=s[:-1] + (n, 1))
    fill = 0.0
    if np.any(tie):
        fill = np.where(tie & (primal(m) != 0), np.nan, 0.0).astype(
            np.result_type(wv.dtype, np.float32))
    return P.where(ok, 1.0 / P.where(ok, d, 1.0), fill)


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
    return out * _trace_last(solve_prim(a, tangents[0]))


def _det_vjp(i, g, primals, out):
    a = primals[0]
    s = shape_of(out)
    return P.reshape(g * out, shape=s + (1, 1)) * _T(inv_prim(a))


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


# ------------------------------------------------------------------------------------
# cholesky
# ------------------------------------------------------------------------------------
def _phi(x):
    """The lower triangle with the diagonal halved."""
    n = shape_of(x)[-1]
    w = np.tri(n, dtype=np.result_type(dtype_of(x), np.float32)) - 0.5 * np.eye(n)
    return x * w.astype(np.result_type(dtype_of(x), np.float32))


def _chol_impl(a, upper=False):
    return np.linalg.cholesky(a, upper=upper)


def _chol_lower(L, upper):
    return _H(L) if upper else L


def _chol_jvp(tangents, primals, out, upper=False):
    L = _chol_lower(out, upper)
    ds = _sym_from(tangents[0], lower=not upper)
    y = solve_prim(L, ds)                       # L^-1 dS
    c = _T(solve_prim(_conj(L), _T(y)))         # L^-1 dS L^-H
    dL = _mm(L, _phi(c))
    return _H(dL) if upper else dL


def _chol_vjp(i, g, primals, out, upper=False):
    # the transpose of the JVP for the real pairing: X -> A X B transposes to G -> A^T G B^T
    L = _chol_lower(out, upper)
    gl = _H(g) if upper else g
    p = _phi(_mm(_T(L), gl))
    x = solve_prim(_T(L), p)                    # L^-T P
    G = _T(solve_prim(_H(L), _T(x)))            # L^-T P conj(L)^-1
    return _sym_transpose(G, lower=not upper)


cholesky_prim = P.register(P.Primitive("cholesky", _chol_impl, _chol_jvp, _chol_vjp,
        depends="lanes", depends_axes=MATRICES))


@implements(np.linalg.cholesky, convention="reads one triangle of the input (lower by "
                                           "default); the other triangle has derivative 0")
def cholesky(a, /, *, upper=False):
    _square("cholesky", a)
    return cholesky_prim(a, upper=bool(upper))


# ------------------------------------------------------------------------------------
# eigh: packed (..., n + 1, n): row 0 the eigenvalues, rows 1.. the eigenvectors
# ------------------------------------------------------------------------------------
def _eigh_impl(a, UPLO="L"):
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return np.concatenate([w[..., None, :], v], axis=-2)


def _unpack_eigh(p):
    n = shape_of(p)[-1]
    return (P.getitem(p, idx=(Ellipsis, 0, slice(None))),
            P.getitem(p, idx=(Ellipsis, slice(1, n + 1), slice(None))))


def _unpack_hermitian(p):
    """(w, v) of eigh: a complex Hermitian matrix has real eigenvalues, packed as
    complex numbers."""
    w, v = _unpack_eigh(p)
    return _re(w), v


def _eigh_jvp(tangents, primals, out, UPLO="L"):
    # complex: in the gauge Im(diag(V^H dV)) = 0 (each vector's phase held)
    w, v = _unpack_hermitian(out)
    ds = _sym_from(tangents[0], lower=UPLO.upper() == "L")
    m = _mm(_H(v), _mm(ds, v))                  # V^H dS V
    dw = _re(_diag_part(m))
    dv = _mm(v, _gap_matrix(w, m) * m)
    nd = ndim_of(dw)
    return P.concatenate(P.reshape(dw, shape=shape_of(dw)[:-1] + (1,) + shape_of(dw)[-1:]),
                         dv, axis=nd - 1)


def _eigh_vjp(i, g, primals, out, UPLO="L"):
    w, v = _unpack_hermitian(out)
    gw, gv = _unpack_hermitian(g)
    m = _mm(_T(v), gv)                           # V^T gV
    _phase_free("eigh", m)
    inner = _diag_embed(gw) + _gap_matrix(w, m - _H(m)) * m
    G = _mm(_conj(v), _mm(inner, _T(v)))         # conj(V) inner V^T
    return _sym_transpose(G, lower=UPLO.upper() == "L")


eigh_prim = P.register(P.Primitive("eigh", _eigh_impl, _eigh_jvp, _eigh_vjp,
        depends="lanes", depends_axes=MATRICES))

_EIG_TIES = ("reads one triangle (lower by default); at exactly repeated eigenvalues the "
             "eigenvector derivative is NaN where needed, 0 where the tied pair's "
             "coupling vanishes; complex: phase-free functions of the vectors only")


@implements(np.linalg.eigh, convention=_EIG_TIES)
def eigh(a, UPLO="L"):
    _square("eigh", a)
    w, v = _unpack_hermitian(eigh_prim(a, UPLO=UPLO))
    return np.linalg._linalg.EighResult(w, v)


@implements(np.linalg.eigvalsh, convention="reads one triangle (lower by default)")
def eigvalsh(a, UPLO="L"):
    return eigh(a, UPLO)[0]


# ------------------------------------------------------------------------------------
# svd (reduced): packed along the last axis as [ravel(U) | s | ravel(Vh)]
# ------------------------------------------------------------------------------------
def _svd_impl(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    batch = a.shape[:-2]
    return np.concatenate([u.reshape(batch + (-1,)), s, vh.reshape(batch + (-1,))], axis=-1)


def _svd_dims(a_shape):
    m, n = a_shape[-2:]
    return m, n, builtins.min(m, n)


def _unpack_svd(p, a_shape):
    m, n, k = _svd_dims(a_shape)
    batch = shape_of(p)[:-1]
    u = P.reshape(P.getitem(p, idx=(Ellipsis, slice(0, m * k))), shape=batch + (m, k))
    s = _re(P.getitem(p, idx=(Ellipsis, slice(m * k, m * k + k))))   # real, packed
    vh = P.reshape(P.getitem(p, idx=(Ellipsis, slice(m * k + k, None))), shape=batch + (k, n))
    return u, s, vh


def _pack_svd(u, s, vh):
    batch = shape_of(s)[:-1]
    return P.concatenate(P.reshape(u, shape=batch + (-1,)), s,
                         P.reshape(vh, shape=batch + (-1,)), axis=len(batch))


def _svd_jvp(tangents, primals, out):
    a = primals[0]
    (da,) = tangents
    m, n, k = _svd_dims(shape_of(a))
    u, s, vh = _unpack_svd(out, shape_of(a))
    v = _H(vh)
    dp = _mm(_H(u), _mm(da, v))                  # U^H dA V   (k, ..., k, k)
    ds = _re(_diag_part(dp))
    S = _diag_embed(s)
    s2 = s * s
    inv_s = _diag_embed(1.0 / s)
    du_core = _mm(dp, S) + _mm(S, _H(dp))
    dv_core = _mm(S, dp) + _mm(_H(dp), S)
    du_inner = _gap_matrix(s2, du_core - _H(du_core)) * du_core
    if _is_complex(dp):
        # complex: U^H dU and V^H dV have imaginary diagonals of which only the
        # difference, i Im(dP_ii) / s_i, is fixed; the gauge puts it on U
        du_inner = du_inner + _diag_embed(1j * P.imag(_diag_part(dp)) / s)
    du = _mm(u, du_inner)
    dv = _mm(v, _gap_matrix(s2, dv_core - _H(dv_core)) * dv_core)
    if m > k:
        du = du + _mm(da - _mm(u, _mm(_H(u), da)), _mm(v, inv_s))
    if n > k:
        dv = dv + _mm(_H(da) - _mm(v, _mm(vh, _H(da))), _mm(u, inv_s))
    return _pack_svd(du, ds, _H(dv))


def _svd_vjp(i, g, primals, out):
    a = primals[0]
    m, n, k = _svd_dims(shape_of(a))
    u, s, vh = _unpack_svd(out, shape_of(a))
    gu, gs, gvh = _unpack_svd(g, shape_of(a))
    v, gv = _H(vh), _H(gvh)
    S = _diag_embed(s)
    s2 = s * s
    inv_s = _diag_embed(1.0 / s)
    ju = _mm(_T(u), gu)
    jv = _mm(_T(v), gv)
    au = ju - _H(ju)
    av = jv - _H(jv)
    # the transpose of the JVP above for the real pairing (X -> A X B transposes to
    # G -> A^T G B^T): F is antisymmetric, F o (X + X^H) -> anti-Hermitian parts
    fu = _gap_matrix(s2, au) * au
    fv = _gap_matrix(s2, av) * av
    core = _mm(fu, S) + _mm(S, fv) + _diag_embed(gs)
    if _is_complex(ju):
        _phase_free("svd", ju + jv)
        core = core + _diag_embed(1j * P.imag(_diag_part(ju)) / s)
    uc, vhc = _conj(u), _conj(vh)
    ga = _mm(uc, _mm(core, vhc))
    if m > k:
        ga = ga + _mm(gu - _mm(uc, ju), _mm(inv_s, vhc))
    if n > k:
        ga = ga + _mm(_mm(uc, inv_s), _H(gv - _mm(_conj(v), jv)))
    return ga


svd_prim = P.register(P.Primitive("svd", _svd_impl, _svd_jvp, _svd_vjp,
        depends="lanes", depends_axes=MATRICES))

_SVD_TIES = ("at exactly repeated singular values the singular-vector derivative is NaN "
             "where needed; zero singular values of non-square matrices give NaN; "
             "complex: phase-free functions of the vectors only")


@implements(np.linalg.svd, convention=_SVD_TIES)
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    shape = shape_of(a)
    if len(shape) < 2:
        raise np.linalg.LinAlgError("%d-dimensional array given. Array must be at least "
                                    "two-dimensional" % len(shape))
    m, n, k = _svd_dims(shape)
    if compute_uv and full_matrices and m != n:
        raise NotDifferentiableError(
            "numpy.linalg.svd(..., full_matrices=True) of a non-square matrix",
            hint="The extra singular vectors are not unique; use full_matrices=False.")
    u, s, vh = _unpack_svd(svd_prim(a), shape)
    if not compute_uv:
        return s
    return np.linalg._linalg.SVDResult(u, s, vh)


@implements(np.linalg.svdvals, convention="derivative of each singular value: u_i v_i^T")
def svdvals(x, /):
    return svd(x, compute_uv=False)


# ------------------------------------------------------------------------------------
# qr (m >= n): packed (..., m + n, n): Q above R
# ------------------------------------------------------------------------------------
def _qr_impl(a):
    q, r = np.linalg.qr(a, mode="reduced")
    return np.concatenate([q, r], axis=-2)


def _unpack_qr(p, a_shape):
    m, n = a_shape[-2:]
    return (P.getitem(p, idx=(Ellipsis, slice(0, m), slice(None))),
            P.getitem(p, idx=(Ellipsis, slice(m, m + n), slice(None))))


def _qr_jvp(tangents, primals, out):
    a = primals[0]
    (da,) = tangents
    q, r = _unpack_qr(out, shape_of(a))
    x = _T(solve_prim(_T(r), _T(da)))            # dA R^-1
    c = _mm(_T(q), x)
    low = _tril(c, -1)
    omega = low - _T(low)
    dq = _mm(q, omega) + x - _mm(q, c)
    dr = _mm(c - omega, r)
    return P.concatenate(dq, dr, axis=ndim_of(dq) - 2)


def _qr_vjp(i, g, primals, out):
    a = primals[0]
    q, r = _unpack_qr(out, shape_of(a))
    gq, gr = _unpack_qr(g, shape_of(a))
    mm = _mm(gr, _T(r)) - _mm(_T(q), gq)
    nmat = _triu(mm) + _tril(_T(mm), -1)
    xbar = gq + _mm(q, nmat)
    return _T(solve_prim(r, _T(xbar)))          # Xbar R^-T


qr_prim = P.register(P.Primitive("qr", _qr_impl, _qr_jvp, _qr_vjp,
        depends="lanes", depends_axes=MATRICES))


@implements(np.linalg.qr)
def qr(a, mode="reduced"):
    _real_only("qr", a)
    shape = shape_of(a)
    m, n = shape[-2:]
    if m < n:
        raise NotDifferentiableError(
            "numpy.linalg.qr of a wide matrix (more columns than rows)",
            hint="dualad differentiates QR for matrices with rows >= columns.")
    if mode == "complete" and m != n:
        raise NotDifferentiableError(
            "numpy.linalg.qr(..., mode='complete') of a non-square matrix",
            hint="The extra columns of Q are not unique; use mode='reduced'.")
    if mode not in ("reduced", "complete", "r"):
        raise NotDifferentiableError(f"numpy.linalg.qr(..., mode={mode!r})")
    q, r = _unpack_qr(qr_prim(a), shape)
    if mode == "r":
        return r
    return np.linalg._linalg.QRResult(q, r)


# ------------------------------------------------------------------------------------
# pinv (at constant rank)
# ------------------------------------------------------------------------------------
def _pinv_impl(a, rcond=None, hermitian=False):
    kw = {} if rcond is None else {"rcond": rcond}
    return np.linalg.pinv(a, hermitian=hermitian, **kw)


def _pinv_jvp(tangents, primals, out, rcond=None, hermitian=False):
    a = primals[0]
    (da,) = tangents
    p = out
    m, n = shape_of(a)[-2:]
    k_ = _eye(m, a) - _mm(a, p)                  # I - A A+   (m, m)
    j_ = _eye(n, a) - _mm(p, a)                  # I - A+ A   (n, n)
    dat = _T(da)
    return (-_mm(p, _mm(da, p)) + _mm(_mm(p, _T(p)), _mm(dat, k_))
            + _mm(j_, _mm(dat, _mm(_T(p), p))))


def _pinv_vjp(i, g, primals, out, rcond=None, hermitian=False):
    a = primals[0]
    p = out
    m, n = shape_of(a)[-2:]
    k_ = _eye(m, a) - _mm(a, p)
    j_ = _eye(n, a) - _mm(p, a)
    gt = _T(g)
    return (-_mm(_T(p), _mm(g, _T(p))) + _mm(k_, _mm(gt, _mm(p, _T(p))))
            + _mm(_mm(_T(p), p), _mm(gt, j_)))


pinv_prim = P.register(P.Primitive("pinv", _pinv_impl, _pinv_jvp, _pinv_vjp,
        depends="lanes", depends_axes=MATRICES))


@implements(np.linalg.pinv, convention="differentiated at constant rank (singular values "
                                       "below the cutoff stay zero)")
def pinv(a, rcond=None, hermitian=False, *, rtol=np._NoValue):
    _real_only("pinv", a)
    if rtol is not np._NoValue and rtol is not None:
        raise NotDifferentiableError("numpy.linalg.pinv(..., rtol=...)",
                                     hint="Use rcond=... instead.")
    return pinv_prim(a, rcond=rcond, hermitian=bool(hermitian))


# ------------------------------------------------------------------------------------
# norms
# ------------------------------------------------------------------------------------
def _abs(x):
    if dtype_of(x).kind == "c":
        return COMPLEX_UFUNCS[np.absolute](x)
    return P.absolute(x)


def _abs2(x):
    if dtype_of(x).kind == "c":
        re, im = P.real(x), P.imag(x)
        return re * re + im * im
    return x * x


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return safe_sqrt(sum_(_abs2(x), axis=axis, keepdims=keepdims))
    if ord == np.inf:
        return amax(_abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return amin(_abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return np.sum(primal(x) != 0, axis=axis, keepdims=keepdims).astype(
            np.result_type(dtype_of(x).type(0).real.dtype, np.float32)
            if dtype_of(x).kind in "fc" else np.float64)
    if ord == 1:
        return sum_(_abs(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    ord = float(ord)
    s = sum_(P.power(_abs(x), ord), axis=axis, keepdims=keepdims)
    pos = primal(s) > 0
    if np.all(pos):
        return P.power(s, 1.0 / ord)
    return P.where(pos, P.power(P.where(pos, s, 1.0), 1.0 / ord), 0.0)


def _matrix_norm(x, ord, axes, keepdims):
    r_ax, c_ax = axes
    nd = ndim_of(x)
    if ord in (None, "fro", "f"):
        r = safe_sqrt(sum_(_abs2(x), axis=(r_ax, c_ax)))
    elif ord in ("nuc", 2, -2):
        s = svd(moveaxis(x, (r_ax, c_ax), (-2, -1)), compute_uv=False)
        r = (sum_(s, axis=-1) if ord == "nuc" else
             amax(s, axis=-1) if ord == 2 else amin(s, axis=-1))
    elif ord in (1, -1):
        c = sum_(_abs(x), axis=r_ax)
        c_ax2 = c_ax - 1 if c_ax > r_ax else c_ax
        r = amax(c, axis=c_ax2) if ord == 1 else amin(c, axis=c_ax2)
    elif ord in (np.inf, -np.inf):
        c = sum_(_abs(x), axis=c_ax)
        r_ax2 = r_ax - 1 if r_ax > c_ax else r_ax
        r = amax(c, axis=r_ax2) if ord == np.inf else amin(c, axis=r_ax2)
    else:
        raise ValueError("Invalid norm order for matrices.")
    if keepdims:
        shape = list(shape_of(x))
        shape[r_ax] = shape[c_ax] = 1
        r = reshape(r, tuple(shape))
    return r


_NORM = ("2-norm and Frobenius norm of a zero vector/matrix: derivative 0; "
         "inf/-inf/1-norms: ties split like max/min, abs'(0) = 0; matrix 2-norm and "
         "nuclear norm via singular values (distinct ones)")


@implements(np.linalg.norm, convention=_NORM)
def norm(x, ord=None, axis=None, keepdims=False):
    nd = ndim_of(x)
    if axis is None:
        if ord is None:
            r = safe_sqrt(sum_(_abs2(ravel(x))))
            return reshape(r, (1,) * nd) if keepdims else r
        axis = tuple(range(nd))
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    axis = tuple(int(a) % nd for a in axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis, keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError("Improper number of dimensions to norm.")


@implements(np.linalg.vector_norm, convention=_NORM)
def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    if axis is None:
        r = _vector_norm(ravel(x), ord, (0,), False)
        return reshape(r, (1,) * ndim_of(x)) if keepdims else r
    if isinstance(axis, tuple) and len(axis) > 1:
        nd = ndim_of(x)
        axis = tuple(a % nd for a in axis)
        rest = [d for d in range(nd) if d not in axis]
        y = reshape(transpose(x, rest + list(axis)),
                    tuple(shape_of(x)[d] for d in rest) + (-1,))
        r = _vector_norm(y, ord, (len(rest),), False)
        if keepdims:
            r = reshape(r, tuple(1 if d in axis else n for d, n in enumerate(shape_of(x))))
        return r
    return _vector_norm(x, ord, (int(axis) % ndim_of(x),), keepdims)


@implements(np.linalg.matrix_norm, convention=_NORM)
def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    nd = ndim_of(x)
    return _matrix_norm(x, ord, (nd - 2, nd - 1), keepdims)


@implements(np.linalg.cond)
def cond(x, p=None):
    if p is None or p in (2, -2):
        s = svd(x, compute_uv=False)
        return (amax(s, axis=-1) / amin(s, axis=-1) if p != -2
                else amin(s, axis=-1) / amax(s, axis=-1))
    return norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))


FUNCTIONS[np.linalg.matrix_rank] = value_only(np.linalg.matrix_rank)


# ------------------------------------------------------------------------------------
# eig (general square matrices): packed (..., n + 1, n), eigenvalues above eigenvectors.
# NumPy (LAPACK geev) normalizes each eigenvector to unit 2-norm with its largest
# component real; the derivative keeps that gauge: for E = V (F o (V^-1 dA V)),
#   dV = E - V Re(diag(V^H E)) + i V diag(theta),  theta_k = -Im(E[p_k, k]) / V[p_k, k],
# p_k the row of the largest |V[:, k]|.
# ------------------------------------------------------------------------------------
def _eig_impl(a):
    w, v = np.linalg.eig(a)
    return np.concatenate([w[..., None, :], v], axis=-2)


def _largest_rows(v):
    return np.argmax(np.abs(primal(v)), axis=-2)          # (..., n)


def _batch_index(batch):
    nb = len(batch)
    return tuple(np.arange(b).reshape((-1,) + (1,) * (nb - j)) for j, b in enumerate(batch))


def _pick(x, rows):
    """x[..., rows[..., k], k] for each column k (rows from the primal, constant); x may
    have leading direction axes that rows lacks."""
    n = shape_of(x)[-1]
    extra = ndim_of(x) - 1 - rows.ndim
    return P.getitem(x, idx=(slice(None),) * extra + _batch_index(rows.shape[:-1])
                     + (rows, np.arange(n)))


def _eig_jvp(tangents, primals, out):
    w, v = _unpack_eigh(out)
    vinv = inv_prim(v)
    c = _mm(vinv, _mm(tangents[0], v))                     # V^-1 dA V
    dw = _diag_part(c)
    e = _mm(v, _gap_matrix(w, c) * c)
    if dtype_of(v).kind == "c":
        r = P.real(P.sum_(P.conjugate(v) * e, axis=(ndim_of(e) - 2,)))
        rows = _largest_rows(v)
        theta = -P.imag(_pick(e, rows)) / P.real(_pick(v, rows))
        nd = ndim_of(r)
        r2 = P.reshape(r, shape=shape_of(r)[:-1] + (1,) + shape_of(r)[-1:])
        t2 = P.reshape(theta, shape=shape_of(theta)[:-1] + (1,) + shape_of(theta)[-1:])
        e = e - v * r2 + (v * t2) * 1j
    else:
        r = P.sum_(v * e, axis=(ndim_of(e) - 2,))
        e = e - v * P.reshape(r, shape=shape_of(r)[:-1] + (1,) + shape_of(r)[-1:])
    nd = ndim_of(dw)
    return P.concatenate(P.reshape(dw, shape=shape_of(dw)[:-1] + (1,) + shape_of(dw)[-1:]),
                         e, axis=nd - 1)


def _eig_vjp(i, g, primals, out):
    a = primals[0]
    w, v = _unpack_eigh(out)
    gw, gv = _unpack_eigh(g)
    n = shape_of(v)[-1]
    s = P.sum_(gv * v, axis=(ndim_of(v) - 2,))              # sum_i gV_ik V_ik
    col = lambda x: P.reshape(x, shape=shape_of(x)[:-1] + (1, n))   # noqa: E731
    if dtype_of(v).kind == "c":
        ge = gv - P.conjugate(v) * col(P.real(s))
        rows = _largest_rows(v)
        b = -P.imag(s) / P.real(_pick(v, rows))
        ge = ge + P.scatter_add(b * 1j, idx=_pick_index(v, rows), shape=shape_of(v))
    else:
        ge = gv - v * col(s)
    vt = _T(v)
    h = _diag_embed(gw) + _gap_matrix(w, _mm(vt, ge)) * _mm(vt, ge)
    ga = _mm(_T(inv_prim(v)), _mm(h, vt))
    return P.project(ga, a)


def _pick_index(x, rows):
    return _batch_index(rows.shape[:-1]) + (rows, np.arange(shape_of(x)[-1]))


eig_prim = P.register(P.Primitive("eig", _eig_impl, _eig_jvp, _eig_vjp,
        depends="lanes", depends_axes=MATRICES))


@implements(np.linalg.eig, convention="eigenvectors in NumPy's gauge (unit norm, largest "
                                      "component real); repeated eigenvalues: NaN where "
                                      "the eigenvector derivative would be needed")
def eig(a):
    _square("eig", a)
    w, v = _unpack_eigh(eig_prim(a))
    return np.linalg._linalg.EigResult(w, v)


@implements(np.linalg.eigvals)
def eigvals(a):
    return eig(a)[0]


# ------------------------------------------------------------------------------------
# lstsq: x = A+ b (the minimum-norm least-squares solution), differentiated at constant
# rank through the derivative of the pseudo-inverse; the value is NumPy's.
# ------------------------------------------------------------------------------------
def _lstsq_impl(a, b, rcond=None):
    return np.linalg.lstsq(a, b, rcond=rcond)[0]


def _lstsq_jvp(tangents, primals, out, rcond=None):
    a, b = primals
    ta, tb = tangents
    p = pinv_prim(a, rcond=rcond)
    total = None
    if ta is not None:
        total = _mm(_pinv_jvp((ta,), (a,), p), b)
    if tb is not None:
        term = _mm(p, tb)
        total = term if total is None else total + term
    return total


def _lstsq_vjp(i, g, primals, out, rcond=None):
    a, b = primals
    p = pinv_prim(a, rcond=rcond)
    if i == 1:
        return _mm(_T(p), g)
    return _pinv_vjp(0, _mm(g, _T(b)), (a,), p)


lstsq_prim = P.register(P.Primitive("lstsq", _lstsq_impl, _lstsq_jvp, _lstsq_vjp))


@implements(np.linalg.lstsq, convention="differentiated at constant rank, through the "
                                        "pseudo-inverse (x = pinv(a) @ b)")
def lstsq(a, b, rcond=None):
    _real_only("lstsq", a, b)
    if ndim_of(a) != 2:
        raise np.linalg.LinAlgError("lstsq requires a 2-D matrix")
    vec = ndim_of(b) == 1
    b2 = reshape(b, shape_of(b) + (1,)) if vec else b
    x = lstsq_prim(a, b2, rcond=rcond)
    m, n = shape_of(a)
    rank = np.linalg.matrix_rank(primal(a))
    s = svd(a, compute_uv=False)
    if rank == n and m > n:
        r = b2 - _mm(a, x)
        res = sum_(r * r, axis=0)
    else:
        res = np.zeros((0,), dtype=dtype_of(x))
    if vec:
        x = reshape(x, (n,))
    return x, res, rank, s
