"""Small helpers on the last two axes of (stacks of) matrices, shared by the linear-algebra
families: transposes, products, identities, triangles, diagonals, symmetrising, checks."""

import numpy as np

from .. import rules as P
from ..core import NotDifferentiableError, dtype_of, ndim_of, primal, shape_of


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
