"""scipy.linalg on traced values: same names and signatures, differentiable in both modes
and to any order.

Where NumPy's linear algebra already has rows (solve, inv, det, cholesky, eigh) these are
compositions of them; three rows are new:
- ``solve_triangular``: reads one triangle of ``a`` (without its diagonal when
  ``unit_diagonal``); its derivative is that of the function, so the triangle that is not
  read gets 0. lu_solve and cho_solve are compositions of it.
- ``lu_factor``: the packed L\\U factor at fixed pivots (pivoting is piecewise constant).
- ``expm``, ``logm``, ``sqrtm`` (primary matrix functions f): the JVP is the Frechet
  derivative L_f(A, E), the upper-right block of f([[A, E], [0, A]]); the VJP uses
  <G, L_f(A, E)> = <L_f(A^T, G), E>, so it is the same block of f([[A^T, G], [0, A^T]]).
Rules call the rows themselves, so outer traces differentiate them (higher orders).
When no argument is traced, SciPy's own function runs.
"""
import numpy as np

from ..core import Box, NotDifferentiableError, Primitive, primal, register
from ._scipy import require_scipy

__all__ = ["solve_triangular", "cholesky", "cho_factor", "cho_solve", "lu_factor",
           "lu_solve", "expm", "expm_frechet", "logm", "sqrtm", "eigh", "eigvalsh", "det",
           "inv", "solve", "block_diag"]


def _sl():
    return require_scipy("dualad.scipy.linalg").linalg


def _traced(*xs):
    return any(isinstance(x, Box) for x in xs)


def _T(x):
    return np.swapaxes(x, -1, -2)


def _tri_mask(n, lower, unit):
    """The entries a triangular solve reads: one triangle, without the diagonal if unit."""
    m = np.tri(n, k=-1 if unit else 0, dtype=bool)
    return m if lower else m.T


def _masked(x, mask):
    return np.where(mask, x, 0.0)


def _sum_to(x, shape):
    """Sum the leading axes broadcasting added (a cotangent back to ``shape``)."""
    extra = np.ndim(x) - len(shape) if not isinstance(x, Box) else x.ndim - len(shape)
    return np.sum(x, axis=tuple(range(extra))) if extra else x


def _each_matrix(fn, *xs):
    """fn on each matrix of a (broadcast) stack: SciPy before 1.15 takes 2-D input only."""
    if all(x.ndim == 2 for x in xs):
        return fn(*xs)
    batch = np.broadcast_shapes(*(x.shape[:-2] for x in xs))
    xs = [np.broadcast_to(x, batch + x.shape[-2:]) for x in xs]
    outs = [fn(*(x[i] for x in xs)) for i in np.ndindex(batch)]
    return np.stack(outs).reshape(batch + outs[0].shape)


# ------------------------------------------------------------------------------------
# solve_triangular: a row of the table
# ------------------------------------------------------------------------------------
def _tri_impl(a, b, lower=False, trans=0, unit_diagonal=False):
    f = _sl().solve_triangular
    return _each_matrix(lambda x, y: f(x, y, trans=trans, lower=lower,
                                       unit_diagonal=unit_diagonal), a, b)


def _op(m, trans):
    return _T(m) if trans else m


def _tri_jvp(tangents, primals, out, lower=False, trans=0, unit_diagonal=False):
    a, b = primals
    ta, tb = tangents
    k = (ta if ta is not None else tb).shape[0]
    rhs = None if tb is None else tb
    if ta is not None:
        da = _masked(ta, _tri_mask(a.shape[-1], lower, unit_diagonal))
        term = -np.matmul(_op(da, trans), out)
        rhs = term if rhs is None else rhs + term
    rhs = np.broadcast_to(rhs, (k,) + out.shape) if rhs.shape[1:] != out.shape else rhs
    return solve_triangular_prim(a, rhs, lower=lower, trans=trans,
                                 unit_diagonal=unit_diagonal)


def _tri_vjp(i, g, primals, out, lower=False, trans=0, unit_diagonal=False):
    a, b = primals
    gb = solve_triangular_prim(a, g, lower=lower, trans=1 - trans,
                               unit_diagonal=unit_diagonal)
    if i == 1:
        return _sum_to(gb, b.shape)
    outer = np.matmul(gb, _T(out)) if trans == 0 else np.matmul(out, _T(gb))
    ga = -_masked(outer, _tri_mask(a.shape[-1], lower, unit_diagonal))
    return _sum_to(ga, a.shape)


solve_triangular_prim = register(Primitive("solve_triangular", _tri_impl, _tri_jvp,
                                             _tri_vjp))


def _trans_flag(trans):
    flags = {0: 0, "N": 0, 1: 1, "T": 1, 2: 1, "C": 1}
    if trans not in flags:
        raise ValueError(f"invalid trans {trans!r}: use 0/'N', 1/'T' or 2/'C'")
    return flags[trans]


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """Solve ``op(a) x = b`` for a triangular ``a`` (scipy.linalg.solve_triangular).

    Only the triangle named by ``lower`` is read (not the diagonal if ``unit_diagonal``),
    and the derivative with respect to ``a`` is 0 on the entries not read.
    """
    if not _traced(a, b):
        return _sl().solve_triangular(a, b, trans=trans, lower=lower,
                                      unit_diagonal=unit_diagonal, overwrite_b=overwrite_b,
                                      check_finite=check_finite)
    _real("solve_triangular", a, b)
    vector = np.ndim(b) == np.ndim(a) - 1
    x = solve_triangular_prim(a, b[..., None] if vector else b, lower=bool(lower),
                              trans=_trans_flag(trans), unit_diagonal=bool(unit_diagonal))
    return x[..., 0] if vector else x


def _real(name, *xs):
    for x in xs:
        if np.result_type(primal(x)).kind == "c":
            raise NotDifferentiableError(
                f"scipy.linalg.{name} of a complex matrix",
                hint="dualad.scipy.linalg differentiates real matrices only.")


# ------------------------------------------------------------------------------------
# Primary matrix functions: expm, logm, sqrtm
# ------------------------------------------------------------------------------------
def _block(a, e):
    """[[a, e], [0, a]] for each matrix of e (e may carry more leading axes than a)."""
    a = np.broadcast_to(a, e.shape) if np.shape(a) != np.shape(e) else a
    zero = np.zeros(np.shape(e))
    top = np.concatenate([a, e], axis=-1)
    bottom = np.concatenate([zero, a], axis=-1)
    return np.concatenate([top, bottom], axis=-2)


def _frechet(prim, a, e):
    """L_f(a, e): the upper-right block of f([[a, e], [0, a]])."""
    n = np.shape(e)[-1]
    return prim(_block(a, e))[..., :n, n:]


def _matrix_function(name, scipy_name):
    def impl(a):
        fn = getattr(_sl(), scipy_name)
        if name == "expm":
            return fn(a)
        return _each_matrix(fn, a)

    def jvp(tangents, primals, out):
        return _frechet(prim, primals[0], tangents[0])

    def vjp(i, g, primals, out):
        a = primals[0]
        return _sum_to(_frechet(prim, _T(a), g), np.shape(a))

    prim = register(Primitive(name, impl, jvp, vjp))
    return prim


expm_prim = _matrix_function("expm", "expm")
logm_prim = _matrix_function("logm", "logm")
sqrtm_prim = _matrix_function("sqrtm", "sqrtm")


def _square(name, a):
    s = np.shape(a) if not isinstance(a, Box) else a.shape
    if len(s) < 2 or s[-1] != s[-2]:
        raise ValueError(f"scipy.linalg.{name} expects square matrices, got shape {s}")


def expm(A):
    """The matrix exponential (scipy.linalg.expm), of a matrix or a stack of them."""
    if not _traced(A):
        return _sl().expm(A)
    _square("expm", A)
    _real("expm", A)
    return expm_prim(A)


def expm_frechet(A, E, method=None, compute_expm=True, check_finite=True):
    """``(expm(A), L)`` with L the Frechet derivative of expm at A in direction E."""
    if not _traced(A, E):
        return _sl().expm_frechet(A, E, method=method, compute_expm=compute_expm,
                                  check_finite=check_finite)
    _square("expm_frechet", A)
    _real("expm_frechet", A, E)
    n = A.shape[-1] if isinstance(A, Box) else np.shape(A)[-1]
    f = expm_prim(_block(A, E))
    L = f[..., :n, n:]
    return (f[..., :n, :n], L) if compute_expm else L


def logm(A, disp=None):
    """The principal matrix logarithm (scipy.linalg.logm); ``disp`` as SciPy's
    (deprecated there): with ``disp=False`` the pair (logm, error estimate) is returned."""
    if not _traced(A):
        return _sl().logm(A) if disp is None else _sl().logm(A, disp=disp)
    _square("logm", A)
    _real("logm", A)
    out = logm_prim(A)
    if disp is False:
        v = primal(out)
        err = np.linalg.norm(_sl().expm(v) - primal(A), 1) / np.linalg.norm(primal(A), 1)
        return out, err
    return out


def sqrtm(A, disp=None, blocksize=None):
    """The principal matrix square root (scipy.linalg.sqrtm), for real results."""
    if not _traced(A):
        kw = {k: v for k, v in (("disp", disp), ("blocksize", blocksize)) if v is not None}
        return _sl().sqrtm(A, **kw)
    _square("sqrtm", A)
    _real("sqrtm", A)
    out = sqrtm_prim(A)
    if np.result_type(primal(out)).kind == "c":
        raise NotDifferentiableError(
            "scipy.linalg.sqrtm of a matrix whose square root is complex",
            hint="dualad differentiates real principal square roots (no eigenvalues on "
                 "the closed negative real axis).")
    if disp is False:
        v = primal(out)
        err = np.linalg.norm(v @ v - primal(A), "fro") ** 2 / np.linalg.norm(primal(A),
                                                                             "fro")
        return out, err
    return out


# ------------------------------------------------------------------------------------
# LU: a row for the factor at fixed pivots; lu_solve by triangular solves
# ------------------------------------------------------------------------------------
def _perm(piv):
    """The row order P a of LAPACK's sequential interchanges ``piv``."""
    perm = np.arange(len(piv))
    for i, p in enumerate(piv):
        perm[i], perm[p] = perm[p], perm[i]
    return perm


def _lu_impl(a, piv):
    return _sl().lu_factor(a)[0]


def _lu_parts(lu):
    n = lu.shape[-1]
    strict = np.tri(n, k=-1, dtype=bool)
    L = np.where(strict, lu, 0.0) + np.eye(n)
    U = np.where(strict, 0.0, lu)
    return L, U, strict


def _lu_jvp(tangents, primals, out, piv):
    # P A = L U  =>  X = L^-1 P dA U^-1,  dL = L stril(X),  dU = triu(X) U
    L, U, strict = _lu_parts(out)
    pda = tangents[0][..., _perm(piv), :]
    y = solve_triangular_prim(out, pda, lower=True, trans=0, unit_diagonal=True)
    x = _T(solve_triangular_prim(out, _T(y), lower=False, trans=1, unit_diagonal=False))
    return np.matmul(L, np.where(strict, x, 0.0)) + np.matmul(np.where(strict, 0.0, x), U)


def _lu_vjp(i, g, primals, out, piv):
    L, U, strict = _lu_parts(out)
    y = np.where(strict, np.matmul(_T(L), g), 0.0) + np.where(strict, 0.0,
                                                              np.matmul(g, _T(U)))
    # gA = P^T L^-T Y U^-T
    z = solve_triangular_prim(out, y, lower=True, trans=1, unit_diagonal=True)
    w = _T(solve_triangular_prim(out, _T(z), lower=False, trans=0, unit_diagonal=False))
    return w[np.argsort(_perm(piv)), :]


lu_factor_prim = register(Primitive("lu_factor", _lu_impl, _lu_jvp, _lu_vjp))


def lu_factor(a, overwrite_a=False, check_finite=True):
    """``(lu, piv)`` as scipy.linalg.lu_factor; ``lu`` is differentiable (the pivots are
    piecewise constant and carry no derivative). Square 2-D matrices."""
    if not _traced(a):
        return _sl().lu_factor(a, overwrite_a=overwrite_a, check_finite=check_finite)
    _square("lu_factor", a)
    _real("lu_factor", a)
    if a.ndim != 2:
        raise NotDifferentiableError("scipy.linalg.lu_factor of a stack of matrices",
                                     hint="Factor each matrix on its own.")
    piv = _sl().lu_factor(primal(a))[1]
    return lu_factor_prim(a, piv=piv), piv


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` (trans=0) or ``a^T x = b`` (1, 2) from ``lu_factor(a)``."""
    lu, piv = lu_and_piv
    if not _traced(lu, b):
        return _sl().lu_solve((lu, piv), b, trans=trans, overwrite_b=overwrite_b,
                              check_finite=check_finite)
    perm = _perm(np.asarray(piv))
    if _trans_flag(trans) == 0:      # L U x = P b
        y = solve_triangular(lu, b[perm], lower=True, unit_diagonal=True)
        return solve_triangular(lu, y, lower=False)
    y = solve_triangular(lu, b, trans=1, lower=False)     # U^T L^T P x = b
    z = solve_triangular(lu, y, trans=1, lower=True, unit_diagonal=True)
    return z[np.argsort(perm)]


# ------------------------------------------------------------------------------------
# Cholesky
# ------------------------------------------------------------------------------------
def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """The Cholesky factor (upper by default, as SciPy); reads the triangle named by
    ``lower``, and the other triangle has derivative 0."""
    if not _traced(a):
        return _sl().cholesky(a, lower=lower, overwrite_a=overwrite_a,
                              check_finite=check_finite)
    return np.linalg.cholesky(a, upper=not lower)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``(c, lower)`` as scipy.linalg.cho_factor: the factor in one triangle of c, and
    (like LAPACK) the entries of ``a`` in the other."""
    if not _traced(a):
        return _sl().cho_factor(a, lower=lower, overwrite_a=overwrite_a,
                                check_finite=check_finite)
    rest = np.triu(a, 1) if lower else np.tril(a, -1)
    return cholesky(a, lower=lower) + rest, lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` from ``cho_factor(a)`` (two triangular solves)."""
    c, lower = c_and_lower
    if not _traced(c, b):
        return _sl().cho_solve((c, lower), b, overwrite_b=overwrite_b,
                               check_finite=check_finite)
    if lower:    # L L^T x = b
        y = solve_triangular(c, b, lower=True)
        return solve_triangular(c, y, lower=True, trans=1)
    y = solve_triangular(c, b, lower=False, trans=1)      # U^T U x = b
    return solve_triangular(c, y, lower=False)


# ------------------------------------------------------------------------------------
# eigh, det, inv, solve, block_diag: compositions of NumPy's rows
# ------------------------------------------------------------------------------------
def _symmetric(a, lower):
    """The symmetric matrix SciPy sees when it reads one triangle of ``a``."""
    if lower:
        return np.tril(a) + _T(np.tril(a, -1))
    return np.triu(a) + _T(np.triu(a, 1))


def eigh(a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False,
         type=1, check_finite=True, subset_by_index=None, subset_by_value=None, driver=None):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix, or of the generalized
    problem ``a v = w b v`` (type 1, b positive definite: vectors with v^T b v = I).
    Eigenvector signs are LAPACK's and may differ from SciPy's for the generalized problem."""
    if not _traced(a, b):
        return _sl().eigh(a, b, lower=lower, eigvals_only=eigvals_only, overwrite_a=overwrite_a,
                          overwrite_b=overwrite_b, type=type, check_finite=check_finite,
                          subset_by_index=subset_by_index, subset_by_value=subset_by_value,
                          driver=driver)
    if subset_by_value is not None or type != 1:
        raise NotDifferentiableError(
            "scipy.linalg.eigh with subset_by_value or type != 1",
            hint="Use subset_by_index, or select the eigenvalues after the call.")
    uplo = "L" if lower else "U"
    if b is None:
        w, v = np.linalg.eigh(a, UPLO=uplo)
    else:       # b = L L^T:  (L^-1 a L^-T) u = w u,  v = L^-T u
        L = np.linalg.cholesky(b, upper=not lower)
        L = _T(L) if not lower else L
        c = solve_triangular(L, _symmetric(a, lower), lower=True)
        c = _T(solve_triangular(L, _T(c), lower=True))
        w, u = np.linalg.eigh(c)
        v = solve_triangular(L, u, lower=True, trans=1)
    if subset_by_index is not None:
        lo, hi = subset_by_index
        w, v = w[..., lo:hi + 1], v[..., :, lo:hi + 1]
    return w if eigvals_only else (w, v)


def eigvalsh(a, b=None, *, lower=True, overwrite_a=False, overwrite_b=False, type=1,
             check_finite=True, subset_by_index=None, subset_by_value=None, driver=None):
    """The eigenvalues of ``eigh`` (scipy.linalg.eigvalsh)."""
    return eigh(a, b, lower=lower, eigvals_only=True, overwrite_a=overwrite_a,
                overwrite_b=overwrite_b, type=type, check_finite=check_finite,
                subset_by_index=subset_by_index, subset_by_value=subset_by_value,
                driver=driver)


def det(a, overwrite_a=False, check_finite=True):
    """The determinant (scipy.linalg.det)."""
    if not _traced(a):
        return _sl().det(a, overwrite_a=overwrite_a, check_finite=check_finite)
    return np.linalg.det(a)


_GENERAL = (None, "gen", "general")
_SYM = ("sym", "symmetric", "her", "hermitian", "pos", "positive definite")
_TRIANGULAR = {"lower triangular": True, "upper triangular": False}


def _structured(a, assume_a, lower):
    """The matrix SciPy reads for ``assume_a`` (None for a triangular solve)."""
    if assume_a in _GENERAL or assume_a == "banded":
        return a
    if assume_a in _SYM:
        return _symmetric(a, lower)
    if assume_a == "tridiagonal":
        n = a.shape[-1]
        return np.where(np.abs(np.subtract.outer(np.arange(n), np.arange(n))) <= 1, a, 0.0)
    if assume_a == "diagonal":
        n = a.shape[-1]
        return np.where(np.eye(n, dtype=bool), a, 0.0)
    raise ValueError(f"unknown assume_a {assume_a!r}")


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a=None, transposed=False):
    """Solve ``a x = b`` (``a^T x = b`` if transposed) reading the part of ``a`` that
    ``assume_a`` names, as scipy.linalg.solve; that part alone carries the derivative."""
    if not _traced(a, b):
        return _sl().solve(a, b, lower=lower, overwrite_a=overwrite_a,
                           overwrite_b=overwrite_b, check_finite=check_finite,
                           assume_a=assume_a, transposed=transposed)
    _square("solve", a)
    if assume_a in _TRIANGULAR:
        return solve_triangular(a, b, trans=1 if transposed else 0,
                                lower=_TRIANGULAR[assume_a])
    m = _structured(a, assume_a, lower)
    return np.linalg.solve(_T(m) if transposed else m, b)


def inv(a, overwrite_a=False, check_finite=True, *, assume_a=None, lower=False):
    """The inverse (scipy.linalg.inv), reading the part of ``a`` that ``assume_a`` names
    ('diagonal': the diagonal only, as SciPy documents; SciPy 1.17 inverts all of a)."""
    if not _traced(a) and assume_a != "diagonal":
        extra = {} if assume_a is None and not lower else dict(assume_a=assume_a, lower=lower)
        return _sl().inv(a, overwrite_a=overwrite_a, check_finite=check_finite, **extra)
    _square("inv", a)
    if assume_a in _TRIANGULAR:
        eye = np.broadcast_to(np.eye(a.shape[-1]), a.shape)
        return solve_triangular(a, eye, lower=_TRIANGULAR[assume_a])
    return np.linalg.inv(_structured(a, assume_a, lower))


def block_diag(*arrs):
    """The block-diagonal matrix of ``arrs`` (scipy.linalg.block_diag): 0-d and 1-d inputs
    are single rows, as in SciPy."""
    if not _traced(*arrs):
        return _sl().block_diag(*arrs)
    if not arrs:
        return np.empty((1, 0))
    mats = []
    for x in arrs:
        nd = x.ndim if isinstance(x, Box) else np.ndim(x)
        if nd > 2:
            raise ValueError("arguments in the following positions have dimension greater "
                             "than 2: " + str([i for i, y in enumerate(arrs) if np.ndim(
                                 primal(y)) > 2]))
        mats.append(np.reshape(x, (1, -1)) if nd < 2 else x)
    widths = [np.shape(primal(m))[1] for m in mats]
    total = sum(widths)
    rows, left = [], 0
    for m, w in zip(mats, widths):
        r = np.shape(primal(m))[0]
        rows.append(np.concatenate([np.zeros((r, left)), m, np.zeros((r, total - left - w))],
                                   axis=1))
        left += w
    return np.concatenate(rows, axis=0)
