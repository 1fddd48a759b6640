"""dualad.scipy.linalg against SciPy's values and against finite differences.

Every function is checked with ``check_grads`` at order 2 in both modes (jvp and vjp
against central differences, then the same on the derivative functions). The matrices
are well conditioned (diagonally dominant, or SPD with eigenvalues in [1, ~4]), so
with the default step 2^-17 the difference error is ~1e-10 relative and the default
tolerances (1e-5) hold with a wide margin. Values are compared with SciPy's at 1e-10
relative (the same LAPACK routines; block-trick Frechet derivatives agree with SciPy's
expm_frechet to the round-off of a 2n x 2n exponential).
"""
import subprocess
import sys

import numpy as np
import pytest

import dualad as ad
from dualad import check_grads

sl = pytest.importorskip("scipy.linalg")
from dualad.scipy import linalg as L  # noqa: E402



@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def dominant(rng, n, batch=()):
    return 0.3 * rng.standard_normal(batch + (n, n)) + np.diag(np.arange(3.0, 3.0 + n))


def spd(rng, n):
    q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    return (q * np.linspace(1.0, 4.0, n)) @ q.T


def same(got, want):
    got, want = ad.primal(got), np.asarray(want)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def traced_value(f, *args):
    """f's value computed on traced inputs (the differentiable path, not SciPy's)."""
    return ad.jvp(f, args, tuple(np.zeros_like(a) for a in args))[0]


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("trans", [0, 1, "C"])
@pytest.mark.parametrize("unit", [False, True])
def test_solve_triangular(lower, trans, unit, rng):
    a, b = dominant(rng, 4), rng.standard_normal((4, 2))

    def f(a, b):
        return L.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)
    same(traced_value(f, a, b), sl.solve_triangular(a, b, trans=trans, lower=lower,
                                                    unit_diagonal=unit))
    check_grads(f, (a, b), order=2)


def test_solve_triangular_reads_one_triangle(rng):
    a, b = dominant(rng, 4), rng.standard_normal(4)
    g = ad.grad(lambda a: np.sum(L.solve_triangular(a, b, lower=True, unit_diagonal=True)))(a)
    assert np.all(g[np.triu_indices(4)] == 0.0) and np.all(g[np.tril_indices(4, -1)] != 0.0)


def test_solve_triangular_vector_and_stack(rng):
    a, b = dominant(rng, 3), rng.standard_normal(3)
    same(traced_value(L.solve_triangular, a, b), sl.solve_triangular(a, b))
    check_grads(L.solve_triangular, (a, b), order=2)
    a3, b3 = dominant(rng, 3, batch=(2,)), rng.standard_normal((2, 3, 2))
    same(traced_value(lambda a, b: L.solve_triangular(a, b, lower=True), a3, b3),
         sl.solve_triangular(a3, b3, lower=True))
    check_grads(lambda a, b: L.solve_triangular(a, b, lower=True), (a3, b3), order=2)


@pytest.mark.parametrize("lower", [True, False])
def test_cholesky_and_cho_solve(lower, rng):
    a, b = spd(rng, 4), rng.standard_normal((4, 2))
    same(traced_value(lambda a: L.cholesky(a, lower=lower), a), sl.cholesky(a, lower=lower))
    check_grads(lambda a: L.cholesky(a, lower=lower), (a,), order=2)
    c = traced_value(lambda a: L.cho_factor(a, lower=lower)[0], a)
    same(c, sl.cho_factor(a, lower=lower)[0])

    def f(a, b):
        return L.cho_solve(L.cho_factor(a, lower=lower), b)
    same(traced_value(f, a, b), sl.cho_solve(sl.cho_factor(a, lower=lower), b))
    check_grads(f, (a, b), order=2)


@pytest.mark.parametrize("trans", [0, 1])
def test_lu(trans, rng):
    a = dominant(rng, 4)[[2, 0, 3, 1]]      # rows out of order: LU pivots
    b = rng.standard_normal((4, 3))
    lu, piv = sl.lu_factor(a)
    assert np.any(piv != np.arange(4))
    same(traced_value(lambda a: L.lu_factor(a)[0], a), lu)
    check_grads(lambda a: L.lu_factor(a)[0], (a,), order=2)

    def f(a, b):
        return L.lu_solve(L.lu_factor(a), b, trans=trans)
    same(traced_value(f, a, b), sl.lu_solve((lu, piv), b, trans=trans))
    check_grads(f, (a, b), order=2)


@pytest.mark.parametrize("name", ["expm", "logm", "sqrtm"])
def test_matrix_functions(name, rng):
    a = spd(rng, 3) if name != "expm" else 0.5 * rng.standard_normal((3, 3))
    a = a + 0.1 * rng.standard_normal((3, 3)) if name != "expm" else a   # not symmetric
    fn = getattr(L, name)
    same(traced_value(fn, a), getattr(sl, name)(a))
    check_grads(fn, (a,), order=2)


def test_expm_jvp_is_scipys_frechet_derivative(rng):
    a, e = 0.5 * rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    np.testing.assert_allclose(ad.jvp(L.expm, (a,), (e,))[1], sl.expm_frechet(a, e)[1],
                               rtol=1e-10, atol=1e-12)


def test_expm_frechet_and_stack(rng):
    a, e = 0.5 * rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    got = traced_value(lambda a, e: L.expm_frechet(a, e), a, e)
    want = sl.expm_frechet(a, e)
    same(got[0], want[0])
    same(got[1], want[1])
    check_grads(lambda a, e: L.expm_frechet(a, e, compute_expm=False), (a, e), order=2)
    a3 = 0.5 * rng.standard_normal((2, 3, 3))
    same(traced_value(L.expm, a3), sl.expm(a3))
    check_grads(L.expm, (a3,), order=2)


@pytest.mark.parametrize("lower", [True, False])
def test_eigh(lower, rng):
    a = spd(rng, 4) + 0.2 * np.triu(rng.standard_normal((4, 4)), 1)    # one triangle is read
    w = traced_value(lambda a: L.eigh(a, lower=lower, eigvals_only=True), a)
    same(w, sl.eigh(a, lower=lower, eigvals_only=True))
    check_grads(lambda a: L.eigh(a, lower=lower)[0], (a,), order=2)

    def projector(a):       # v diag(w) v^T rebuilt from vectors: independent of their signs
        w, v = L.eigh(a, lower=lower, subset_by_index=(1, 3))
        return (v * w) @ v.T
    check_grads(projector, (a,), order=2)


def test_generalized_eigh(rng):
    a, b = spd(rng, 3) + 0.1 * np.tril(rng.standard_normal((3, 3)), -1), spd(rng, 3)
    w, v = traced_value(lambda a, b: L.eigh(a, b), a, b)
    ws, vs = sl.eigh(a, b)
    same(w, ws)
    np.testing.assert_allclose(np.abs(v), np.abs(vs), rtol=1e-9, atol=1e-12)
    check_grads(lambda a, b: L.eigh(a, b)[0], (a, b), order=2)
    check_grads(lambda a, b: L.eigvalsh(a, b), (a, b), order=1)


@pytest.mark.parametrize("assume_a,lower,transposed", [
    (None, False, False), ("gen", False, True), ("sym", True, False), ("sym", False, False),
    ("pos", True, False), ("lower triangular", False, False),
    ("upper triangular", False, True), ("diagonal", False, False),
    ("tridiagonal", False, False)])
def test_solve(assume_a, lower, transposed, rng):
    a = dominant(rng, 4) + 0.5 * np.eye(4)
    if assume_a == "pos":
        a = spd(rng, 4) + 0.3 * np.triu(rng.standard_normal((4, 4)), 1)  # upper part is not read
    b = rng.standard_normal((4, 2))

    def f(a, b):
        return L.solve(a, b, lower=lower, assume_a=assume_a, transposed=transposed)
    same(traced_value(f, a, b), sl.solve(a, b, lower=lower, assume_a=assume_a,
                                         transposed=transposed))
    check_grads(f, (a, b), order=2)


@pytest.mark.parametrize("assume_a", [None, "sym", "upper triangular", "diagonal"])
def test_inv_det(assume_a, rng):
    a = dominant(rng, 3)
    # SciPy 1.17 documents that 'diagonal' reads the diagonal only, but inverts all of a
    want = np.diag(1.0 / np.diag(a)) if assume_a == "diagonal" else sl.inv(a, assume_a=assume_a)
    same(traced_value(lambda a: L.inv(a, assume_a=assume_a), a), want)
    check_grads(lambda a: L.inv(a, assume_a=assume_a), (a,), order=2)
    same(traced_value(L.det, a), sl.det(a))
    check_grads(L.det, (a,), order=2)


def test_block_diag(rng):
    a, b, c = rng.standard_normal((2, 2)), rng.standard_normal(3), 1.5
    same(traced_value(lambda a, b, c: L.block_diag(a, b, c), a, b, c), sl.block_diag(a, b, c))
    check_grads(lambda a, b, c: L.block_diag(a, b, c), (a, b, c), order=2)


def test_plain_inputs_run_scipy_itself(rng):
    a = dominant(rng, 3)
    assert L.expm(a) is not None and np.array_equal(L.expm(a), sl.expm(a))
    assert np.array_equal(L.lu_factor(a)[0], sl.lu_factor(a)[0])


def test_complex_matrix_is_refused(rng):
    a = dominant(rng, 3) + 0j
    with pytest.raises(ad.NotDifferentiableError, match="complex"):
        ad.jvp(L.expm, (a,), (np.ones_like(a),))


def test_import_dualad_does_not_import_scipy(rng):
    code = ("import sys, dualad, dualad.scipy.linalg, dualad.scipy.integrate, "
            "dualad.scipy.optimize; print('scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
