"""Scientific code written with plain NumPy (Rosenbrock, ODE right-hand sides) and Python
control flow and comparisons on traced values."""

import numpy as np
import pytest

import dualad as ad
from known_functions import rosenbrock, rosenbrock_residuals, rosenbrock_grad, rosenbrock_hess


# ------------------------------------------------------------------------------------
# Scientific code written with plain numpy
# ------------------------------------------------------------------------------------
def test_rosenbrock_derivatives():
    x = np.random.default_rng(1).uniform(-1.5, 1.5, 6)
    n = len(x)
    Jres = np.zeros((2 * (n - 1), n))
    for i in range(n - 1):
        Jres[i, i], Jres[i, i + 1] = -20.0 * x[i], 10.0
        Jres[n - 1 + i, i] = -1.0
    for jac in (ad.jacfwd, ad.jacrev):
        np.testing.assert_allclose(jac(rosenbrock_residuals)(x), Jres, rtol=1e-15)
        np.testing.assert_allclose(jac(rosenbrock)(x), rosenbrock_grad(x), rtol=1e-13)
    np.testing.assert_allclose(ad.grad(rosenbrock)(x), rosenbrock_grad(x), rtol=1e-13)
    np.testing.assert_allclose(ad.hessian(rosenbrock)(x), rosenbrock_hess(x), rtol=1e-13)


def lorenz(u, sigma=10.0, rho=28.0, beta=8.0 / 3.0):
    # np.stack, not np.array: np.array of traced scalars raises ConcretizationError
    x, y, z = u
    return np.stack([sigma * (y - x), x * (rho - z) - y, x * y - beta * z])


def lorenz_jac(u, sigma=10.0, rho=28.0, beta=8.0 / 3.0):
    x, y, z = u
    return np.array([[-sigma, sigma, 0.0], [rho - z, -1.0, -x], [y, x, -beta]])


def lotka_volterra(u, p):
    prey, pred = u[0], u[1]
    a, b, c, d = p
    return np.stack([a * prey - b * prey * pred, d * prey * pred - c * pred])


def test_ode_right_hand_sides():
    u = np.array([1.2, -0.7, 20.5])
    for jac in (ad.jacfwd, ad.jacrev, ad.jacobian):
        np.testing.assert_array_equal(jac(lorenz)(u), lorenz_jac(u))
    uv, p = np.array([10.0, 4.0]), np.array([1.1, 0.4, 0.4, 0.1])
    Ju = np.array([[p[0] - p[1] * uv[1], -p[1] * uv[0]],
                   [p[3] * uv[1], p[3] * uv[0] - p[2]]])
    Jp = np.array([[uv[0], -uv[0] * uv[1], 0.0, 0.0],
                   [0.0, 0.0, -uv[1], uv[0] * uv[1]]])
    for jac in (ad.jacfwd, ad.jacrev):
        Jq, Jr = jac(lotka_volterra, argnums=(0, 1))(uv, p)
        np.testing.assert_allclose(Jq, Ju, rtol=1e-15)
        np.testing.assert_allclose(Jr, Jp, rtol=1e-15)


# ------------------------------------------------------------------------------------
# Python control flow and comparisons
# ------------------------------------------------------------------------------------
def piecewise(x):
    if x > 1.0:
        return x ** 3
    elif x < -1.0:
        return -x
    return np.sin(x)


def newton_sqrt(a):
    """while loop with a value-dependent number of iterations."""
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
    return x


def power_rec(x, n):
    return 1.0 if n == 0 else x * power_rec(x, n - 1)


def clipped_sum(x):
    total = 0.0
    for i in range(len(x)):
        if x[i] > 0:
            total = total + x[i] ** 2
        else:
            total = total - x[i]
    return total


@pytest.mark.parametrize("d", ["grad", "fwd"])
def test_control_flow(d):
    D = (lambda f: ad.grad(f)) if d == "grad" else (lambda f: lambda x: ad.jvp(f, (x,), (1.0,))[1])
    assert D(piecewise)(2.0) == pytest.approx(12.0)
    assert D(piecewise)(-3.0) == -1.0
    assert D(piecewise)(0.5) == pytest.approx(np.cos(0.5))
    # the derivative of the converged Newton iteration is 1 / (2 sqrt(a))
    assert D(newton_sqrt)(2.0) == pytest.approx(1 / (2 * np.sqrt(2.0)), rel=1e-10)
    assert D(lambda x: power_rec(x, 5))(1.3) == pytest.approx(5 * 1.3 ** 4, rel=1e-14)
    x = np.array([1.5, -2.0, 0.5])
    g = ad.grad(clipped_sum)(x)
    np.testing.assert_allclose(g, [3.0, -1.0, 1.0])


def test_comparisons_of_traced_values():
    seen = {}

    def f(x, y):
        seen["lt"], seen["ge"] = bool(np.all(x < y)), bool(np.any(x >= y))
        seen["eq"] = (x == x).tolist()
        assert bool(x[0] < y[0]) and not (x[1] <= y[1]) and x[2] != y[2]
        m = x > 0.0
        seen["mask"] = m
        return np.sum(np.where(m, x * y, -x)) + (y if np.all(y > x) else 0.0)

    x = np.array([1.0, -2.0, 3.0])
    y = np.array([2.0, -3.0, 4.0])
    g = ad.grad(f)(x, y)
    assert seen["mask"].tolist() == [True, False, True]
    assert seen["lt"] is False and seen["ge"] is True and seen["eq"] == [True] * 3
    np.testing.assert_array_equal(g, [2.0, -1.0, 4.0])
    assert ad.grad(lambda s: s * 2 if s < 1 else s * 3)(0.0) == 2.0
    assert ad.grad(lambda s: s * 2 if s < 1 else s * 3)(2.0) == 3.0
    assert ad.grad(lambda s: max(s, 2 * s))(1.0) == 2.0
    assert ad.jvp(lambda s: min(s, 2 * s), (1.0,), (1.0,))[1] == 1.0
    assert sorted([ad.grad(lambda s: s)(1.0)]) == [1.0]
