"""dualad.adapt: derivatives in SciPy's calling conventions, checked against analytic
derivatives and used by the actual SciPy solvers."""
import numpy as np
import pytest

import dualad as ad
from dualad import adapt

scipy = pytest.importorskip("scipy")
from scipy import integrate, optimize  # noqa: E402

MODES = ["auto", "forward", "reverse"]


# ------------------------------------------------------------------------------------
# solve_ivp: jac(t, y, *args)
# ------------------------------------------------------------------------------------
def robertson(t, y, k1=0.04, k2=3e7, k3=1e4):
    a, b, c = y[0], y[1], y[2]
    return np.stack([-k1 * a + k3 * b * c,
                     k1 * a - k3 * b * c - k2 * b * b,
                     k2 * b * b])


def robertson_jac(t, y, k1=0.04, k2=3e7, k3=1e4):
    a, b, c = y
    return np.array([[-k1, k3 * c, k3 * b],
                     [k1, -k3 * c - 2 * k2 * b, -k3 * b],
                     [0.0, 2 * k2 * b, 0.0]])


@pytest.mark.parametrize("mode", MODES)
def test_ivp_jac_is_the_jacobian_in_y(mode):
    jac = adapt.ivp_jac(robertson, mode=mode)
    for t, y in [(0.0, np.array([1.0, 0.0, 0.0])), (3.0, np.array([0.9, 2e-5, 0.1]))]:
        np.testing.assert_allclose(jac(t, y), robertson_jac(t, y), rtol=1e-14)
        np.testing.assert_allclose(jac(t, y, 0.1, 1e6, 2e3),
                                   robertson_jac(t, y, 0.1, 1e6, 2e3), rtol=1e-14)


def test_jacobian_of_rhs_alone_differentiates_in_t():
    # why the adapter exists: jacobian(rhs) follows SciPy's argument order to t
    J = ad.jacobian(robertson)(1.0, np.array([0.9, 2e-5, 0.1]))
    assert np.shape(J) == (3,)


@pytest.mark.parametrize("method", ["BDF", "Radau", "LSODA"])
def test_solve_ivp_with_the_adapter(method):
    y0 = np.array([1.0, 0.0, 0.0])
    args = (0.04, 3e7, 1e4)
    kw = dict(method=method, rtol=1e-6, atol=1e-10, args=args)
    ours = integrate.solve_ivp(robertson, (0.0, 40.0), y0, jac=adapt.ivp_jac(robertson),
                               **kw)
    exact = integrate.solve_ivp(robertson, (0.0, 40.0), y0, jac=robertson_jac, **kw)
    assert ours.success and ours.njev > 0
    # the same Jacobians: the same steps, the same answer
    assert ours.nfev == exact.nfev and ours.njev == exact.njev
    np.testing.assert_allclose(ours.y[:, -1], exact.y[:, -1], rtol=1e-12, atol=1e-18)


def test_odeint_dfun_and_tfirst():
    y0 = np.array([1.0, 0.0, 0.0])
    ts = np.linspace(0.0, 10.0, 5)
    yfirst = lambda y, t: robertson(t, y)                      # noqa: E731
    a = integrate.odeint(yfirst, y0, ts, Dfun=ad.jacobian(yfirst), rtol=1e-8, atol=1e-12)
    b = integrate.odeint(robertson, y0, ts, Dfun=adapt.ivp_jac(robertson), tfirst=True,
                         rtol=1e-8, atol=1e-12)
    c = integrate.odeint(robertson, y0, ts, Dfun=robertson_jac, tfirst=True, rtol=1e-8,
                         atol=1e-12)
    np.testing.assert_allclose(a, c, rtol=1e-10, atol=1e-16)
    np.testing.assert_allclose(b, c, rtol=1e-10, atol=1e-16)


# ------------------------------------------------------------------------------------
# minimize: jac, hess, hessp (Rosenbrock written here, SciPy's analytic derivatives)
# ------------------------------------------------------------------------------------
def rosen(x, a=1.0, b=100.0):
    return np.sum(b * (x[1:] - x[:-1] ** 2) ** 2 + (a - x[:-1]) ** 2)


X0 = np.array([1.3, 0.7, 0.8, 1.9, 1.2])


def test_hessp_matches_scipys_analytic_hessian_product():
    hp = adapt.hessp(rosen)
    rng = np.random.default_rng(6)
    for _ in range(3):
        x, p = rng.standard_normal(5), rng.standard_normal(5)
        np.testing.assert_allclose(hp(x, p), optimize.rosen_hess_prod(x, p), rtol=1e-13)
        np.testing.assert_allclose(ad.grad(rosen)(x), optimize.rosen_der(x), rtol=1e-13)
        np.testing.assert_allclose(ad.hessian(rosen)(x), optimize.rosen_hess(x),
                                   rtol=1e-13)
    # extra arguments are held fixed
    x, p = rng.standard_normal(5), rng.standard_normal(5)
    np.testing.assert_allclose(hp(x, p, 1.0, 7.0), ad.hessian(rosen)(x, 1.0, 7.0) @ p,
                               rtol=1e-13)


@pytest.mark.parametrize("method", ["Newton-CG", "trust-ncg", "trust-krylov",
                                    "trust-constr"])
def test_minimize_with_hessp(method):
    ours = optimize.minimize(rosen, X0, args=(1.0, 100.0), method=method,
                             jac=ad.grad(rosen), hessp=adapt.hessp(rosen))
    scipys = optimize.minimize(optimize.rosen, X0, method=method, jac=optimize.rosen_der,
                               hessp=optimize.rosen_hess_prod)
    assert ours.success and ours.nit == scipys.nit
    np.testing.assert_allclose(ours.x, scipys.x, rtol=1e-10)
    np.testing.assert_allclose(ours.x, np.ones(5), atol=1e-3)


@pytest.mark.parametrize("method", ["trust-exact", "trust-krylov", "Newton-CG"])
def test_minimize_with_hess_and_value_and_grad(method):
    ours = optimize.minimize(ad.value_and_grad(rosen), X0, jac=True,
                             hess=ad.hessian(rosen), method=method)
    scipys = optimize.minimize(optimize.rosen, X0, jac=optimize.rosen_der,
                               hess=optimize.rosen_hess, method=method)
    assert ours.success and ours.nit == scipys.nit
    np.testing.assert_allclose(ours.x, scipys.x, rtol=1e-10)


# ------------------------------------------------------------------------------------
# root and least_squares: jac(x, *args, **kwargs)
# ------------------------------------------------------------------------------------
def system(x, c):
    return np.stack([x[0] ** 2 + x[1] ** 2 - c, np.exp(x[0]) - x[1]])


def system_jac(x, c):
    return np.array([[2 * x[0], 2 * x[1]], [np.exp(x[0]), -1.0]])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", ["hybr", "lm"])
def test_root(mode, method):
    jac = adapt.jac(system, mode=mode)
    x = np.array([0.3, 1.2])
    np.testing.assert_allclose(jac(x, 4.0), system_jac(x, 4.0), rtol=1e-14)
    r = optimize.root(system, x, args=(4.0,), jac=jac, method=method)
    assert r.success
    np.testing.assert_allclose(system(r.x, 4.0), 0.0, atol=1e-10)


def residuals(p, t, y, scale=1.0):
    return scale * (p[0] * np.exp(-p[1] * t) + p[2] - y)


def test_least_squares_with_args_and_kwargs():
    t = np.linspace(0.0, 4.0, 30)
    truth = np.array([2.0, 1.3, 0.5])
    y = residuals(truth, t, 0.0) + 0.01 * np.sin(7 * t)
    jac = adapt.jac(residuals)
    p0 = np.array([1.0, 1.0, 0.0])
    want = np.stack([np.exp(-p0[1] * t), -p0[0] * t * np.exp(-p0[1] * t), np.ones_like(t)],
                    axis=1) * 3.0
    np.testing.assert_allclose(jac(p0, t, y, scale=3.0), want, rtol=1e-14)
    ours = optimize.least_squares(residuals, p0, jac=jac, args=(t, y),
                                  kwargs={"scale": 3.0}, xtol=1e-14, ftol=1e-14, gtol=1e-14)
    exact = optimize.least_squares(residuals, p0, args=(t, y), kwargs={"scale": 3.0},
                                   jac=lambda p, t, y, scale: np.stack(
                                       [np.exp(-p[1] * t), -p[0] * t * np.exp(-p[1] * t),
                                        np.ones_like(t)], axis=1) * scale,
                                   xtol=1e-14, ftol=1e-14, gtol=1e-14)
    assert ours.success
    np.testing.assert_allclose(ours.x, exact.x, rtol=1e-10)
    np.testing.assert_allclose(ours.x, truth, atol=0.02)


def test_jac_of_a_scalar_output_is_one_row():
    J = adapt.jac(lambda x: np.sum(x ** 2))(np.array([1.0, 2.0]))
    assert J.shape == (1, 2)
    np.testing.assert_array_equal(J, [[2.0, 4.0]])


# ------------------------------------------------------------------------------------
# trust-constr with a nonlinear constraint: jac and hess(x, v)
# ------------------------------------------------------------------------------------
def circle(x):
    return np.stack([x[0] ** 2 + x[1] ** 2, x[0] * x[1] ** 3])


def circle_jac(x):
    return np.array([[2 * x[0], 2 * x[1]], [x[1] ** 3, 3 * x[0] * x[1] ** 2]])


def circle_hess(x, v):
    return v[0] * 2 * np.eye(2) + v[1] * np.array([[0.0, 3 * x[1] ** 2],
                                                   [3 * x[1] ** 2, 6 * x[0] * x[1]]])


def test_constraint_hess_is_the_weighted_hessian_sum():
    x, v = np.array([0.4, -1.1]), np.array([0.7, -2.0])
    np.testing.assert_allclose(adapt.constraint_hess(circle)(x, v), circle_hess(x, v),
                               rtol=1e-14)
    np.testing.assert_allclose(adapt.jac(circle)(x), circle_jac(x), rtol=1e-14)


def test_trust_constr_with_constraint_derivatives():
    f = lambda x: (x[0] - 2.0) ** 2 + (x[1] - 1.0) ** 2       # noqa: E731

    def solve(jac, hess):
        con = optimize.NonlinearConstraint(circle, [-np.inf, -np.inf], [1.0, 0.1],
                                           jac=jac, hess=hess)
        return optimize.minimize(f, np.array([0.1, 0.1]), method="trust-constr",
                                 jac=ad.grad(f), hess=ad.hessian(f), constraints=[con])
    ours = solve(adapt.jac(circle), adapt.constraint_hess(circle))
    exact = solve(circle_jac, circle_hess)
    assert ours.success and ours.nit == exact.nit
    np.testing.assert_allclose(ours.x, exact.x, rtol=1e-10)
    np.testing.assert_allclose(ours.x, [2 / np.sqrt(5), 1 / np.sqrt(5)], atol=1e-4)
