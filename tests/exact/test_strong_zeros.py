"""Issue 12, items 3 and 4: power at a constant exponent 0 is exact at x = 0, and an
exactly-zero tangent or cotangent contributes exactly zero where it meets an inf or NaN
partial (strong zeros), in both modes, at second order, on the scalar tape, in the numba
kernels and in the object API."""
import warnings

import numpy as np
import pytest

import dualad as ad
from dualad.accel import kernels


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)    # NumPy at sqrt(-1), log(0)
        yield


def derivatives(f, x):
    """f'(x) by every route: reverse, forward, both Jacobians, the automatic Jacobian."""
    return {"grad": ad.grad(f)(x), "jacfwd": ad.jacfwd(f)(x), "jacrev": ad.jacrev(f)(x),
            "jacobian": ad.jacobian(f)(x), "jvp": ad.jvp(f, (x,), (1.0,))[1]}


BRANCHES = {
    "sqrt": (lambda x: np.where(x > 0, np.sqrt(x), 0.0), lambda x: np.where(x > 0, 0.5 / np.sqrt(np.abs(x) + (x <= 0)), 0.0)),
    "log": (lambda x: np.where(x > 0, np.log(x), 0.0), lambda x: np.where(x > 0, 1.0 / np.where(x > 0, x, 1.0), 0.0)),
    "reciprocal": (lambda x: np.where(x != 0, 1.0 / x, 0.0), lambda x: np.where(x != 0, -1.0 / np.where(x != 0, x, 1.0) ** 2, 0.0)),
    "arcsin": (lambda x: np.where(np.abs(x) < 1, np.arcsin(x), 0.0), lambda x: np.where(np.abs(x) < 1, 1.0 / np.sqrt(1 - np.where(np.abs(x) < 1, x * x, 0.0)), 0.0)),
}


@pytest.mark.parametrize("name", list(BRANCHES))
@pytest.mark.parametrize("x", [-1.0, 0.0, 4.0 / 9.0, 2.0])
def test_branch_not_taken_adds_nothing_scalar(name, x):
    f, df = BRANCHES[name]
    want = float(df(np.float64(x)))
    for route, got in derivatives(f, x).items():
        assert float(got) == pytest.approx(want, rel=1e-14, abs=0.0), route
    # second order: the branch not taken stays out
    h = ad.hessian(f)(x)
    assert np.isfinite(h) or name != "sqrt" or x > 0
    if not (np.abs(x) < 1 if name == "arcsin" else x > 0 if name != "reciprocal" else x != 0):
        assert float(h) == 0.0
        assert float(ad.grad(ad.grad(f))(x)) == 0.0


@pytest.mark.parametrize("n", [5, 5000])      # 5000: above the fused kernels' MIN_SIZE
@pytest.mark.parametrize("policy", [None, "all", "none"])
def test_branch_not_taken_adds_nothing_arrays(n, policy, monkeypatch):
    monkeypatch.setattr(kernels, "POLICY", policy)
    x = np.linspace(-2.0, 2.0, n)
    x[n // 2] = 0.0
    for name, (f, df) in BRANCHES.items():
        want = df(x)
        g = ad.grad(lambda x: np.sum(f(x)))(x)
        np.testing.assert_allclose(g, want, rtol=1e-14, err_msg=name)
        t = ad.jvp(f, (x,), (np.ones(n),))[1]
        np.testing.assert_allclose(t, want, rtol=1e-14, err_msg=name)
        assert np.all(np.isfinite(g)) and np.all(np.isfinite(t))
    x = ad.Tensor(np.linspace(-2.0, 2.0, n), requires_grad=True)
    np.where(x > 0, np.sqrt(x), 0.0).sum().backward()
    np.testing.assert_allclose(x.grad.value, BRANCHES["sqrt"][1](x.value), rtol=1e-14)


def test_jacobian_of_small_vector_function_both_modes():
    f = lambda x: np.where(x > 0, np.sqrt(x), -x)   # noqa: E731
    x = np.array([-1.0, 0.0, 4.0])
    want = np.diag([-1.0, -1.0, 0.25])
    for jac in (ad.jacfwd, ad.jacrev, ad.jacobian):
        np.testing.assert_array_equal(jac(f)(x), want)
    np.testing.assert_array_equal(ad.hessian(lambda x: np.sum(f(x)))(x),
                                  np.diag([0.0, 0.0, -0.25 / 4.0 ** 1.5 * 0.5 * 2]))


def test_power_of_a_negative_base_both_modes():
    f = lambda x: x[0] ** x[1]                      # noqa: E731
    x = np.array([-2.0, 3.0])
    for jac in (ad.jacfwd, ad.jacrev, ad.grad):
        got = jac(f)(x)
        assert got[0] == 12.0 and np.isnan(got[1])
    assert ad.jvp(f, (x,), (np.array([1.0, 0.0]),))[1] == 12.0


def test_scalar_tape_and_its_kernel():
    # a long scalar program: its tape is swept by the numba kernel
    def f(x):
        s = 0.0
        for _ in range(64):
            s = s + 0.01 * x
        return s + np.where(x > 0, np.sqrt(x), 0.0) + np.where(x > 0, np.log(x), 0.0)
    assert ad.grad(f)(-1.0) == pytest.approx(0.64, rel=1e-14)
    assert ad.grad(f)(0.0) == pytest.approx(0.64, rel=1e-14)
    assert ad.jvp(f, (-1.0,), (1.0,))[1] == pytest.approx(0.64, rel=1e-14)


def test_a_true_nan_or_inf_stays():
    # strong zeros never hide a derivative that is really infinite or undefined
    assert ad.grad(np.sqrt)(0.0) == np.inf
    assert ad.jvp(np.sqrt, (0.0,), (1.0,))[1] == np.inf
    assert np.isnan(ad.grad(np.sqrt)(-1.0))
    assert ad.grad(lambda x: np.sqrt(x) * 0.0 + x)(1.0) == 1.0


# --- item 3: power at integer exponents, exact at x = 0 -------------------------------
def test_power_with_constant_exponent_zero_and_one():
    for x in (0.0, -1.5, 2.0):
        assert ad.grad(lambda x: x ** 0)(x) == 0.0
        assert ad.grad(lambda x: x ** 0.0)(x) == 0.0
        assert ad.jvp(lambda x: x ** 0, (x,), (1.0,))[1] == 0.0
        assert ad.hessian(lambda x: x ** 1)(x) == 0.0
        assert ad.grad(ad.grad(lambda x: x ** 1))(x) == 0.0
        assert ad.hessian(lambda x: x ** 2.0)(x) == 2.0
        assert ad.hessian(lambda x: np.float_power(x, 1.0))(x) == 0.0
    assert ad.grad(lambda x: np.power(x, np.float64(0.0)))(0.0) == 0.0


@pytest.mark.parametrize("x", [np.array([0.0, 1.0, -2.0]), np.array([0.0, 0.0])])
def test_polynomials_and_vander_at_zero(x):
    coef = np.array([1.0, 2.0, 3.0, 4.0])
    poly = lambda x: sum(c * x ** k for k, c in enumerate(coef))      # noqa: E731
    dpoly = lambda x: sum(k * c * x ** max(k - 1, 0) for k, c in enumerate(coef) if k)  # noqa: E731
    d2poly = lambda x: sum(k * (k - 1) * c * x ** max(k - 2, 0)       # noqa: E731
                           for k, c in enumerate(coef) if k > 1)
    for xi in x:
        assert ad.grad(poly)(float(xi)) == pytest.approx(dpoly(xi), rel=1e-14)
        assert ad.hessian(poly)(float(xi)) == pytest.approx(d2poly(xi), rel=1e-14)
    k = 4
    want = np.zeros((len(x), k, len(x)))
    for i, xi in enumerate(x):
        for j in range(k):               # np.vander(x, k)[i, j] = x_i ** (k - 1 - j)
            p = k - 1 - j
            want[i, j, i] = p * xi ** (p - 1) if p else 0.0
    for jac in (ad.jacfwd, ad.jacrev):
        np.testing.assert_allclose(jac(lambda x: np.vander(x, k))(x), want, rtol=1e-14)
        got = jac(lambda x: x[:, None] ** np.arange(k))(x)
        np.testing.assert_allclose(got, want[:, ::-1], rtol=1e-14)
    h = ad.hessian(lambda x: np.sum(x[:, None] ** np.arange(k)))(x)
    np.testing.assert_allclose(h, np.diag(2.0 + 6.0 * x), rtol=1e-14)
