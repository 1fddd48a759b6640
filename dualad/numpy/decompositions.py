"""numpy.linalg's decompositions as rows of the table: cholesky, eigh, svd, qr, pinv, eig,
lstsq (their conventions are described in ``linalg``'s docstring). Each decomposition is
one row whose outputs are packed into one array, unpacked by indexing in the NumPy-facing
function (itself differentiable)."""
import builtins

import numpy as np

from .. import rules as P
from ..core import NotDifferentiableError, dtype_of, ndim_of, primal, shape_of
from .basics import reshape
from .basics import sum as sum_
from .linalg import MATRICES, inv_prim, solve_prim
from .matrices import (_H, _T, _conj, _diag_embed, _diag_part, _eye, _gap_matrix, _is_complex, _mm,
                       _phase_free, _re, _real_only, _square, _sym_from, _sym_transpose, _tril,
                       _triu)
from .registry import implements


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
