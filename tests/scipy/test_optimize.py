"""Implicit differentiation of solutions (dualad.scipy.optimize) against closed forms and
finite differences.

Closed forms are compared at 1e-10 relative (the solvers converge to ~1e-14 there).
check_grads differentiates the solver's answer by central differences, so the solves
run at tolerances ~1e-14: the answer's error divided by the step 2^-17 stays ~1e-9,
far below the default tolerances (1e-5).
"""
import math

import numpy as np
import pytest

import dualad as ad
from dualad import check_grads

pytest.importorskip("scipy.optimize")
import scipy.optimize as so  # noqa: E402

from dualad.scipy import optimize as O  # noqa: E402


def close(got, want, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(ad.primal(got), want, rtol=rtol, atol=atol)


# ---- x = cos(a x): x' = -sin(a x) x / (1 + a sin(a x)) -----------------------------
def cos_map(x, a):
    return np.cos(a * x)


def dx_da(a, x):
    return -np.sin(a * x) * x / (1.0 + a * np.sin(a * x))


def test_fixed_point_closed_form():
    a = 1.3
    f = lambda a: O.fixed_point(cos_map, 0.5, args=(a,), xtol=1e-14)   # noqa: E731
    x = so.fixed_point(cos_map, 0.5, args=(a,), xtol=1e-14)
    close(ad.jvp(f, (a,), (1.0,))[0], x)
    close(ad.grad(f)(a), dx_da(a, x))
    close(ad.jacfwd(f)(a), dx_da(a, x))
    # second order: the central difference of the closed-form x'(a) (error ~h^2 = 1e-10)
    h = 1e-5
    want = (dx_da(a + h, f(a + h)) - dx_da(a - h, f(a - h))) / (2 * h)
    close(ad.grad(ad.grad(f))(a), want, rtol=1e-7)
    close(ad.jacfwd(ad.grad(f))(a), want, rtol=1e-7)
    check_grads(f, (a,), order=2)


def test_fixed_point_of_a_vector_map():
    rng = np.random.default_rng(2)
    W, b = 0.3 * rng.standard_normal((3, 3)), rng.standard_normal(3)

    def f(W, b):
        return O.fixed_point(lambda x, W, b: np.tanh(W @ x + b), np.zeros(3), args=(W, b),
                             xtol=1e-14, method="iteration", maxiter=2000)
    check_grads(f, (W, b), order=2)


def babylonian(F, x, args):
    """A hand-written solver on plain floats: it could not be traced (math.fabs, float)."""
    (a,) = args
    for _ in range(100):
        new = 0.5 * (x + a / x)
        if math.fabs(new - x) <= 1e-16 * new:
            return float(new)
        x = new
    return float(x)


def test_iterating_to_convergence_gives_the_derivative_of_the_answer():
    def sqrt(a):
        return O.implicit_root(lambda x, a: x * x - a, 1.0, (a,), solve=babylonian)
    a = 2.0
    close(sqrt(ad.Dual(a, 1.0)).tangent, 0.5 / np.sqrt(a))
    close(ad.grad(sqrt)(a), 0.5 / np.sqrt(a))
    close(ad.grad(ad.grad(sqrt))(a), -0.25 * a ** -1.5)
    close(ad.jacfwd(ad.jacrev(sqrt))(a), -0.25 * a ** -1.5)


def iterate_cos(F, x, args):
    """x <- cos(a x) until it stops moving (plain floats: math.cos cannot be traced)."""
    (a,) = args
    for _ in range(10000):
        new = math.cos(a * x)
        if math.fabs(new - x) <= 1e-15:
            return new
        x = new
    raise RuntimeError("no convergence")


def test_converged_loop_versus_truncated_loop():
    a = 0.8                  # the map contracts by 0.46 per step
    x = O.implicit_root(lambda x, a: np.cos(a * x) - x, 0.5, (a,), solve=iterate_cos)
    got = ad.grad(lambda a: O.implicit_root(lambda x, a: np.cos(a * x) - x, 0.5, (a,),
                                            solve=iterate_cos))(a)
    close(got, dx_da(a, x))

    def ten_steps(a):        # the loop itself, differentiated step by step: off by 3e-3
        x = 0.5
        for _ in range(10):
            x = np.cos(a * x)
        return x
    assert abs(ad.grad(ten_steps)(a) - dx_da(a, x)) > 1e-3


def test_implicit_root_default_solver_and_array_parameters():
    def cube_roots(c):      # x^3 = c elementwise, by scipy.optimize.root
        return O.implicit_root(lambda x, c: x ** 3 - c, np.ones(3), (c,))
    c = np.array([2.0, 5.0, 0.5])
    close(cube_roots(ad.Dual(c, np.ones(3))).value, np.cbrt(c))
    close(ad.jacrev(cube_roots)(c), np.diag(np.cbrt(c) / (3 * c)))
    check_grads(cube_roots, (c,), order=2)


def cubic_system(x, b):
    return np.stack([x[0] ** 3 + x[0] - b[0], x[1] - b[1] * x[0]])


@pytest.mark.parametrize("method", ["hybr", "lm"])
def test_root(method):
    b = np.array([1.0, -1.0])

    def f(b):
        return O.root(cubic_system, np.zeros(2), args=(b,), method=method, tol=1e-14).x
    res = so.root(cubic_system, np.zeros(2), args=(b,), method=method, tol=1e-14)
    x = res.x
    close(f(ad.Dual(b, np.ones(2))).value, x)
    d = 1.0 / (3 * x[0] ** 2 + 1)
    want = np.array([[d, 0.0], [b[1] * d, x[0]]])
    close(ad.jacfwd(f)(b), want)
    close(ad.jacrev(f)(b), want)
    check_grads(f, (b,), order=2)
    r = ad.jvp(lambda b: O.root(cubic_system, np.zeros(2), args=(b,), method=method,
                                tol=1e-14).fun, (b,), (np.ones(2),))[0]
    close(r, res.fun, atol=1e-12)


def test_minimize_quadratic_closed_form():
    A, b = np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([1.0, -1.0])

    def argmin(A, b):
        r = O.minimize(lambda x, A, b: 0.5 * x @ A @ x - b @ x, np.zeros(2), args=(A, b),
                       method="BFGS", options={"gtol": 1e-13})
        return r.x
    Ai = np.linalg.inv(A)
    close(ad.jacrev(argmin, argnums=1)(A, b), Ai)
    close(ad.jacfwd(argmin, argnums=1)(A, b), Ai)
    # only the symmetric part S of A enters the objective: S dx = -(dA + dA^T) / 2 x
    x = Ai @ b
    want = -0.5 * (np.einsum("ki,j->kij", Ai, x) + np.einsum("kj,i->kij", Ai, x))
    close(ad.jacfwd(argmin, argnums=0)(A, b), want, rtol=1e-8)
    close(ad.jacrev(argmin, argnums=0)(A, b), want, rtol=1e-8)


def logistic_loss(w, X, lam, y):
    z = X @ w
    return np.sum(np.logaddexp(0.0, z) - y * z) + lam * np.sum(w * w)


def logistic_fit(X, lam, y, method, options):
    return O.minimize(logistic_loss, np.zeros(3), args=(X, lam, y), method=method,
                      options=options).x


def logistic_data():
    rng = np.random.default_rng(4)
    return rng.standard_normal((12, 3)), (rng.uniform(size=12) < 0.5) * 1.0


def test_minimize_against_finite_differences():
    X, y = logistic_data()

    def fit(X, lam):      # trust-exact with dualad's exact Hessian: converged to ~1e-15
        return logistic_fit(X, lam, y, "trust-exact", {"gtol": 1e-14})
    w = fit(X, 0.7)
    close(ad.grad(lambda w: logistic_loss(w, X, 0.7, y))(w), np.zeros(3), atol=1e-12)
    check_grads(fit, (X, 0.7), order=2)


@pytest.mark.parametrize("method,options", [("BFGS", {"gtol": 1e-10}),
                                            ("Newton-CG", {"xtol": 1e-12})])
def test_minimize_methods_agree(method, options):
    # these stop with a gradient of ~1e-9, so the answers (and derivatives) agree to ~1e-7
    X, y = logistic_data()
    ref = ad.jacrev(lambda lam: logistic_fit(X, lam, y, "trust-exact", {"gtol": 1e-14}))
    got = ad.jacrev(lambda lam: logistic_fit(X, lam, y, method, options))
    close(got(0.7), ref(0.7), rtol=1e-6, atol=1e-9)
    got = ad.jacfwd(lambda X: logistic_fit(X, 0.7, y, method, options))(X)
    ref = ad.jacfwd(lambda X: logistic_fit(X, 0.7, y, "trust-exact", {"gtol": 1e-14}))(X)
    close(got, ref, rtol=1e-6, atol=1e-9)


def test_result_is_scipys_with_a_traced_x():
    def run(b):
        return O.minimize(lambda x, b: np.sum((x - b) ** 2), np.zeros(2), args=(b,))
    r = ad.jvp(lambda b: run(b).x, (np.array([1.0, 2.0]),), (np.ones(2),))
    close(r[1], np.ones(2), rtol=1e-8)
    plain = run(np.array([1.0, 2.0]))
    assert isinstance(plain, so.OptimizeResult) and plain.success


def test_minimize_with_jac_true():
    def value_and_gradient(x, b):
        return np.sum((x - b) ** 4 + x ** 2), 4 * (x - b) ** 3 + 2 * x
    b = np.array([1.0, 2.0])

    def fit(b, method):
        return O.minimize(value_and_gradient, np.zeros(2), args=(b,), jac=True,
                          method=method, options={"gtol": 1e-13}).x
    x = fit(b, "trust-exact")
    # the stationarity 4 (x - b)^3 + 2 x = 0 per coordinate: dx/db = 12 u^2 / (12 u^2 + 2)
    u2 = (x - b) ** 2
    close(ad.jacrev(lambda b: fit(b, "trust-exact"))(b), np.diag(12 * u2 / (12 * u2 + 2)))
    close(ad.jacfwd(lambda b: fit(b, "BFGS"))(b), np.diag(12 * u2 / (12 * u2 + 2)),
          rtol=1e-6)


def test_bounds_and_constraints():
    def fit(b, bounds=None, constraints=()):
        return O.minimize(lambda x, b: np.sum((x - b) ** 2), np.zeros(2), args=(b,),
                          bounds=bounds, constraints=constraints).x
    b = np.array([0.5, 0.2])
    close(ad.jacrev(lambda b: fit(b, bounds=[(-1, 1), (-1, 1)]))(b), np.eye(2), rtol=1e-8)
    with pytest.raises(ad.NotDifferentiableError, match="bound"):
        ad.jacrev(lambda b: fit(b, bounds=[(0.6, 1), (-1, 1)]))(b)
    with pytest.raises(ad.NotDifferentiableError, match="constraints"):
        ad.jacrev(lambda b: fit(b, constraints=[{"type": "eq", "fun": lambda x: x[0]}]))(b)


def test_starting_point_carries_no_derivative():
    g = ad.grad(lambda x0: O.fixed_point(cos_map, x0, args=(1.3,)))(0.5)
    assert g == 0.0
