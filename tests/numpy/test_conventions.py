"""The documented derivatives at non-differentiable points of NumPy functions, in both modes
(the table's elementwise kinks are checked in tests/rules/test_table.py)."""
import numpy as np
import pytest

import dualad as ad


def both(f, x):
    """The gradient of scalar f by reverse mode and by forward mode (jacfwd)."""
    return ad.grad(f)(x), ad.jacfwd(f)(x)


def assert_both(f, x, want):
    rev, fwd = both(f, x)
    np.testing.assert_array_equal(rev, want)
    np.testing.assert_array_equal(fwd, want)


def test_max_min_ties_share_equally():
    x = np.array([1.0, 3.0, 3.0, -2.0])
    assert_both(lambda x: np.max(x), x, [0.0, 0.5, 0.5, 0.0])
    assert_both(lambda x: x.max(), x, [0.0, 0.5, 0.5, 0.0])
    assert_both(lambda x: np.amin(np.array([1.0, 1.0, 1.0, 2.0]) * x), np.ones(4),
                [1 / 3, 1 / 3, 1 / 3, 0.0])
    m = np.array([[2.0, 2.0], [5.0, 1.0]])
    assert_both(lambda m: np.sum(np.max(m, axis=1)), m, [[0.5, 0.5], [1.0, 0.0]])
    assert_both(lambda m: np.sum(np.min(m, axis=0, keepdims=True)), m, [[1.0, 0.0], [0.0, 1.0]])
    assert_both(lambda x: np.maximum.reduce(x), x, [0.0, 0.5, 0.5, 0.0])


def test_max_propagates_nan_with_its_derivative():
    x = np.array([1.0, np.nan, 3.0])
    assert_both(lambda x: np.max(x), x, [0.0, 1.0, 0.0])


def test_abs_and_fabs_at_zero():
    x = np.array([0.0, -2.0, 3.0])
    assert_both(lambda x: np.sum(np.abs(x)), x, [0.0, -1.0, 1.0])
    assert_both(lambda x: np.sum(np.fabs(x)), x, [0.0, -1.0, 1.0])
    assert_both(lambda x: np.sum(abs(x)), x, [0.0, -1.0, 1.0])


def test_sqrt_at_zero_is_infinite():
    with np.errstate(divide="ignore"):
        assert ad.grad(np.sqrt)(0.0) == np.inf
        assert ad.jvp(np.sqrt, (0.0,), (1.0,))[1] == np.inf


def test_clip_at_the_bounds_splits_like_maximum_and_minimum():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    assert_both(lambda x: np.sum(np.clip(x, 0.0, 1.0)), x, [0.0, 0.5, 1.0, 0.5, 0.0])
    lo = 0.5
    assert ad.grad(lambda lo: np.clip(0.5, lo, 1.0))(lo) == 0.5


def test_std_of_constant_data_has_derivative_zero():
    x = np.full(4, 2.5)
    assert_both(lambda x: np.std(x), x, np.zeros(4))
    assert np.all(np.isfinite(ad.hessian(lambda x: np.std(x))(x)))


def test_norm_of_the_zero_vector_has_derivative_zero():
    z = np.zeros(3)
    for ord in (None, 2, 1, np.inf, 3):
        assert_both(lambda x: np.linalg.norm(x, ord), z, np.zeros(3))
    assert_both(lambda m: np.linalg.norm(m), np.zeros((2, 2)), np.zeros((2, 2)))
    assert_both(lambda m: np.linalg.norm(m, "fro"), np.zeros((2, 2)), np.zeros((2, 2)))
    assert_both(lambda x: np.linalg.vector_norm(x), z, np.zeros(3))


def test_hypot_and_complex_abs_at_the_origin():
    assert ad.grad(lambda x: np.hypot(x, 0.0))(0.0) == 0.0
    assert ad.grad(lambda z: np.abs(z))(0j) == 0.0


def test_sort_ties_follow_the_stable_argsort():
    x = np.array([2.0, 1.0, 2.0])
    # sorted: [x1, x0, x2]; the largest output takes x2's derivative
    assert_both(lambda x: np.sort(x)[2], x, [0.0, 0.0, 1.0])
    assert_both(lambda x: np.sort(x)[1], x, [1.0, 0.0, 0.0])


def test_prod_and_cumprod_with_zeros_are_exact():
    x = np.array([2.0, 0.0, 3.0, 0.0])
    assert_both(lambda x: np.prod(x), x, [0.0, 0.0, 0.0, 0.0])
    x = np.array([2.0, 0.0, 3.0])
    assert_both(lambda x: np.prod(x), x, [0.0, 6.0, 0.0])
    assert_both(lambda x: np.sum(np.cumprod(x)), x, [1.0, 2.0 + 6.0, 0.0])
    H = ad.hessian(lambda x: np.prod(x))(x)
    np.testing.assert_array_equal(H, [[0, 3, 0], [3, 0, 2], [0, 2, 0]])


def test_double_where_keeps_nan_out_of_the_branch_not_taken():
    def safe_log(x):
        ok = x > 0
        return np.sum(np.where(ok, np.log(np.where(ok, x, 1.0)), 0.0))
    x = np.array([-1.0, 0.0, 2.0])
    assert_both(safe_log, x, [0.0, 0.0, 0.5])


def test_nan_to_num_gives_replaced_entries_derivative_zero():
    x = np.array([np.nan, np.inf, 1.5])
    assert_both(lambda x: np.sum(np.nan_to_num(x) * 0.5), x, [0.0, 0.0, 0.5])
    assert_both(lambda x: np.nansum(x * 2.0), np.array([np.nan, 1.0]), [0.0, 2.0])


def test_eigh_at_repeated_eigenvalues():
    a = np.eye(3)
    # functions of the eigenvalues only: defined (trace(A) = sum of eigenvalues)
    assert_both(lambda a: np.sum(np.linalg.eigvalsh(a)), a, np.eye(3))
    # functions of the eigenvectors: the derivative does not exist there -> NaN
    c = np.array([0.3, -1.0, 2.0])
    g = ad.grad(lambda a: np.sum(np.linalg.eigh(a)[1][:, 0] * c))(a)
    assert np.any(np.isnan(g))
    # ... unless the tied pair does not couple (here V^T gV is symmetric): 0 there
    g = ad.grad(lambda a: np.sum(np.linalg.eigh(a)[1] ** 3))(a)
    np.testing.assert_array_equal(g, np.zeros((3, 3)))


def test_cholesky_and_eigh_read_the_lower_triangle():
    a = np.array([[4.0, 100.0], [1.0, 3.0]])        # 100 is never read
    for f in (lambda a: np.sum(np.linalg.cholesky(a)), lambda a: np.sum(np.linalg.eigvalsh(a))):
        rev, fwd = both(f, a)
        assert rev[0, 1] == 0.0 and fwd[0, 1] == 0.0
        np.testing.assert_allclose(rev, fwd, rtol=1e-12, atol=1e-15)
    g = ad.grad(lambda a: np.sum(np.linalg.cholesky(a, upper=True)))(a.T)
    assert g[1, 0] == 0.0


def test_remainder_at_a_jump_uses_numpys_piece():
    assert ad.grad(lambda y: np.remainder(3.0, y))(1.5) == -2.0
    assert ad.grad(lambda x: np.mod(x, 1.5))(3.0) == 1.0


def test_piecewise_constant_functions_have_derivative_zero():
    x = np.array([0.4, 1.6, -2.5])
    for f in (np.floor, np.ceil, np.round, np.sign, np.trunc, np.rint, np.fix):
        assert_both(lambda x, f=f: np.sum(f(x) * x), x, f(x))
