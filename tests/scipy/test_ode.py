"""ODE solutions differentiated through dualad.scipy.integrate.odeint / solve_ivp.

Checks: closed forms (exponential decay; a linear system through the matrix exponential),
central differences (check_grads, orders 1 and 2, both modes), the forward-sensitivity
and adjoint routes against each other, and SciPy's own values.

Tolerances: the solves run at rtol = atol = 1e-12 (LSODA) or 1e-10 (RK), so the
solution and its sensitivities carry errors ~1e-9 relative; derivatives are compared at
1e-6 relative. Central differences of a solve with step 2^-17 add the solver's error
divided by the step (~1e-12 / 1e-5 = 1e-7), hence check_grads at atol = rtol = 1e-5.
"""
import numpy as np
import pytest

import dualad as ad
from dualad import check_grads

pytest.importorskip("scipy.integrate")
import scipy.integrate as si  # noqa: E402
import scipy.linalg as sl  # noqa: E402

from dualad.scipy import integrate as I  # noqa: E402
from dualad.scipy import linalg as L  # noqa: E402

TIGHT = dict(rtol=1e-12, atol=1e-12)
ROUTES = ["forward", "adjoint"]


def close(got, want, rtol=1e-6, atol=1e-9):
    np.testing.assert_allclose(ad.primal(got), want, rtol=rtol, atol=atol)


def decay(y, t, k):
    return -k * y


@pytest.mark.parametrize("route", ROUTES)
def test_exponential_decay_closed_form(route):
    t = np.array([0.2, 0.7, 1.5, 3.0])
    y0, k = np.array([1.3]), 0.8

    def final(y0, k, t):
        return I.odeint(decay, y0, t, args=(k,), sensitivity=route, **TIGHT)[:, 0]
    expo = np.exp(-k * (t - t[0]))
    close(final(y0, k, t), y0[0] * expo)
    dy0, dk, dt = ad.jacrev(final, argnums=(0, 1, 2))(y0, k, t)
    close(dy0[:, 0], expo)
    close(dk, -(t - t[0]) * y0[0] * expo)
    want_dt = np.diag(-k * y0[0] * expo)
    want_dt[:, 0] = k * y0[0] * expo           # moving t0 later delays the decay
    want_dt[0, 0] = 0.0                        # y(t0) = y0 wherever t0 is
    close(dt, want_dt)
    for a, b in zip((dy0, dk, dt), ad.jacfwd(final, argnums=(0, 1, 2))(y0, k, t)):
        close(a, b)
    # second order in k: d2/dk2 of y0 exp(-k s) = s^2 y0 exp(-k s)
    hk = ad.jacfwd(ad.jacrev(lambda k: final(y0, k, t)))(k)
    close(hk, (t - t[0]) ** 2 * y0[0] * expo)


def linear(y, t, A):
    return A @ y


@pytest.mark.parametrize("route", ROUTES)
def test_linear_system_matches_the_matrix_exponential(route):
    rng = np.random.default_rng(3)
    A = 0.5 * rng.standard_normal((3, 3)) - 0.5 * np.eye(3)
    y0, t = rng.standard_normal(3), np.array([0.0, 0.4, 1.1])

    def by_ode(A, y0):
        return I.odeint(linear, y0, t, args=(A,), sensitivity=route, **TIGHT)

    def by_expm(A, y0):
        return np.stack([L.expm(A * s) @ y0 for s in t])
    close(by_ode(A, y0), np.stack([sl.expm(A * s) @ y0 for s in t]))
    for jac in (ad.jacfwd, ad.jacrev):
        for got, want in zip(jac(by_ode, argnums=(0, 1))(A, y0),
                             jac(by_expm, argnums=(0, 1))(A, y0)):
            close(got, want)
    # and the directional derivative in A is SciPy's Frechet derivative of expm
    E = rng.standard_normal((3, 3))
    tan = ad.jvp(lambda A: by_ode(A, y0), (A,), (E,))[1]
    close(tan[-1], sl.expm_frechet(A * t[-1], E * t[-1])[1] @ y0)


def lotka_volterra(y, t, theta):
    a, b, c, d = theta[0], theta[1], theta[2], theta[3]
    return np.stack([a * y[0] - b * y[0] * y[1], c * y[0] * y[1] - d * y[1]])


@pytest.mark.parametrize("route", ROUTES)
def test_nonlinear_against_finite_differences(route):
    y0, theta = np.array([1.0, 0.6]), np.array([1.1, 0.4, 0.3, 0.8])
    t = np.array([0.0, 0.5, 1.2])

    def f(y0, t, theta):
        return I.odeint(lotka_volterra, y0, t, args=(theta,), sensitivity=route, **TIGHT)
    check_grads(f, (y0, t, theta), order=2, atol=1e-5, rtol=1e-5)


def test_routes_agree():
    rng = np.random.default_rng(5)
    W, b = 0.4 * rng.standard_normal((3, 3)), 0.1 * rng.standard_normal(3)
    y0, t = rng.standard_normal(3), np.linspace(0.0, 1.0, 4)

    def rhs(y, t, W, b):
        return np.tanh(W @ y + b)

    def f(route):
        return lambda y0, W, b: I.odeint(rhs, y0, t, args=(W, b), sensitivity=route,
                                         **TIGHT)
    fwd = ad.jacrev(f("forward"), argnums=(0, 1, 2))(y0, W, b)
    adj = ad.jacrev(f("adjoint"), argnums=(0, 1, 2))(y0, W, b)
    tan = ad.jacfwd(f("auto"), argnums=(0, 1, 2))(y0, W, b)
    for a, c, d in zip(fwd, adj, tan):
        close(a, c, rtol=1e-7)
        close(a, d, rtol=1e-7)
    loss = lambda route: lambda W: np.sum(f(route)(y0, W, b) ** 2)  # noqa: E731
    close(ad.hessian(loss("adjoint"))(W), ad.hessian(loss("forward"))(W), rtol=1e-6)


def test_traced_values_equal_scipys():
    y0, theta = np.array([1.0, 0.6]), np.array([1.1, 0.4, 0.3, 0.8])
    t = np.linspace(0.0, 2.0, 7)
    got = ad.jvp(lambda th: I.odeint(lotka_volterra, y0, t, args=(th,)), (theta,),
                 (np.ones(4),))[0]
    np.testing.assert_array_equal(got, si.odeint(lotka_volterra, y0, t, args=(theta,)))


def test_tfirst_and_full_output():
    t = np.array([0.0, 1.0])
    ys, info = ad.jvp(lambda k: I.odeint(lambda t, y, k: -k * y, np.array([2.0]), t,
                                         args=(k,), tfirst=True, full_output=True),
                      (0.5,), (1.0,))[0]
    close(ys[:, 0], 2.0 * np.exp(-0.5 * t))
    assert info["message"] == "Integration successful."


@pytest.mark.parametrize("method", ["RK45", "DOP853", "Radau", "LSODA"])
def test_solve_ivp(method):
    t_eval = np.array([0.5, 1.0, 2.0])
    opts = dict(rtol=1e-10, atol=1e-12)

    def final(y0, k):
        r = I.solve_ivp(lambda t, y, k: -k * y, (0.0, 2.0), y0, method=method,
                        t_eval=t_eval, args=(k,), **opts)
        return r.y[0]
    y0, k = np.array([1.5]), 0.9
    ref = si.solve_ivp(lambda t, y, k: -k * y, (0.0, 2.0), y0, method=method, t_eval=t_eval,
                       args=(k,), **opts)
    close(final(y0, k), ref.y[0], rtol=1e-13)
    expo = np.exp(-k * t_eval)
    for jac in (ad.jacfwd, ad.jacrev):
        dy0, dk = jac(final, argnums=(0, 1))(y0, k)
        close(dy0[:, 0], expo, rtol=1e-6)
        close(dk, -t_eval * 1.5 * expo, rtol=1e-6)


def test_solve_ivp_result_and_default_times():
    def run(k):
        return I.solve_ivp(lambda t, y, k: -k * y, (0.0, 1.0), np.array([1.0]), args=(k,),
                           rtol=1e-10, atol=1e-12)
    ref = si.solve_ivp(lambda t, y: -0.5 * y, (0.0, 1.0), [1.0], rtol=1e-10, atol=1e-12)
    (t, y), dy = ad.jvp(lambda k: (run(k).t, run(k).y[0]), (0.5,), (1.0,))
    np.testing.assert_array_equal(t, ref.t)
    close(y, ref.y[0], rtol=1e-13)
    close(dy[1], -ref.t * np.exp(-0.5 * ref.t), rtol=1e-6)


def test_sensitivity_is_reported():
    small = I.explain_sensitivity(linear, np.ones(3), np.linspace(0, 1, 3),
                                  args=(np.eye(3),))
    assert small.route == "forward" and (small.n_state, small.n_params) == (3, 9)
    assert "39 states <= FORWARD_MAX_STATES" in small.reason
    big = I.explain_sensitivity(linear, np.ones(20), np.linspace(0, 1, 3),
                                args=(np.eye(20),))
    assert big.route == "adjoint" and "8420 states > FORWARD_MAX_STATES" in big.reason
    forced = I.explain_sensitivity(linear, np.ones(3), [0.0, 1.0], args=(np.eye(3),),
                                   sensitivity="forward")
    assert forced.route == "forward" and "asked" in forced.reason

    def route_seen(A):
        r = I.solve_ivp(lambda t, y, A: A @ y, (0.0, 1.0), np.ones(20), t_eval=[1.0],
                        args=(A,))
        assert r.sensitivity.route == "adjoint"
        return r.y[0, 0]
    # y(1) = expm(A) y0: d y_0 / dA_0j = t e^-t y0_j at A = -I, t = 1 (solve_ivp's
    # default tolerances: rtol 1e-3)
    close(ad.grad(route_seen)(-np.eye(20))[0], np.full(20, np.exp(-1.0)), rtol=3e-3)
    with pytest.raises(ValueError, match="sensitivity"):
        I.odeint(decay, np.ones(1), [0.0, 1.0], args=(ad.Dual(0.5, 1.0),),
                 sensitivity="backward")


def test_closing_over_a_traced_value_raises():
    def f(k):
        return I.odeint(lambda y, t, c: -k * y, np.array([1.0]), [0.0, 1.0], args=(k * 0.0,))
    with pytest.raises(ad.NotDifferentiableError, match="args"):
        ad.grad(lambda k: np.sum(f(k)))(0.5)

    def g(k):     # nothing traced reaches odeint: SciPy itself meets the traced value
        return I.odeint(lambda y, t: -k * y, np.array([1.0]), [0.0, 1.0])
    with pytest.raises(ad.DualadError):
        ad.grad(lambda k: np.sum(g(k)))(0.5)


def test_object_api_through_odeint():
    k = ad.Tensor(np.array(0.7), requires_grad=True)
    t = np.linspace(0.0, 2.0, 5)
    y = I.odeint(decay, np.array([1.5]), t, args=(k,), **TIGHT)
    np.sum(y).backward()
    close(k.grad, np.sum(-t * 1.5 * np.exp(-0.7 * t)))


# A program written for scipy (or autograd.scipy, as in autograd's ODE-net example) runs
# with dualad.scipy in its place: same value, and dualad differentiates it.
PROGRAM = """
import numpy as np
from {pkg}.integrate import odeint

def nn_dynamics(y, t, params):
    for W, b in params:
        y = np.tanh(np.dot(y, W) + b)
    return y

def loss(params, y0, t, target):
    pred = odeint(nn_dynamics, y0, t, tuple((params,)), rtol=1e-10, atol=1e-10)
    return np.mean((pred - target) ** 2)
"""


def test_mechanical_port_of_an_ode_net():
    ours, theirs = {}, {}
    exec(PROGRAM.format(pkg="dualad.scipy"), ours)      # noqa: S102  (the program above)
    exec(PROGRAM.format(pkg="scipy"), theirs)           # noqa: S102
    rng = np.random.default_rng(8)
    params = [(0.5 * rng.standard_normal((2, 4)), 0.1 * rng.standard_normal(4)),
              (0.5 * rng.standard_normal((4, 2)), 0.1 * rng.standard_normal(2))]
    y0, t, target = np.array([1.0, -0.5]), np.linspace(0.0, 1.0, 6), np.zeros((6, 2))
    assert ours["loss"](params, y0, t, target) == theirs["loss"](params, y0, t, target)
    g = ad.grad(ours["loss"])(params, y0, t, target)
    # the directional derivative against a central difference of SciPy's program: step
    # 1e-4, so truncation (~h^2 = 1e-8) and the solver's error over the step (1e-10 / h =
    # 1e-6) stay below the 1e-5 relative tolerance
    v = [(rng.standard_normal(W.shape), rng.standard_normal(b.shape)) for W, b in params]
    h = 1e-4

    def at(s):
        return theirs["loss"]([(W + s * dW, b + s * db) for (W, b), (dW, db)
                               in zip(params, v)], y0, t, target)
    fd = (at(h) - at(-h)) / (2 * h)
    got = sum(np.sum(gW * dW) + np.sum(gb * db) for (gW, gb), (dW, db) in zip(g, v))
    np.testing.assert_allclose(got, fd, rtol=1e-5)


@pytest.mark.parametrize("route", ROUTES)
def test_edge_cases(route):
    # one output time: the solution is y0 itself; static args (ints, strings) pass through
    def f(y, t, k, n, name):
        return -k * y ** n
    one = lambda y0, k: I.odeint(f, y0, [0.0], args=(k, 2, "x"), sensitivity=route)  # noqa
    dy0, dk = ad.jacrev(one, argnums=(0, 1))(np.array([1.0]), 0.5)
    close(dy0, np.ones((1, 1, 1)))
    close(dk, np.zeros((1, 1)))
    # a right-hand side returning a list of traced scalars (as autograd examples do)
    def g(t, y):
        return [-y[0], -2.0 * y[1]]
    r = ad.grad(lambda y0: np.sum(I.solve_ivp(g, (0.0, 1.0), y0, t_eval=[1.0],
                                              sensitivity=route, **TIGHT).y))
    close(r(np.ones(2)), [np.exp(-1.0), np.exp(-2.0)])
