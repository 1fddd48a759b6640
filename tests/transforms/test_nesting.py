"""Transformations composed to any order, with no perturbation confusion."""
import itertools

import numpy as np
import pytest

import dualad as ad


def D_fwd(f):
    """The derivative of a scalar function by forward mode."""
    return lambda x: ad.jvp(f, (x,), (1.0,))[1]


def D_rev(f):
    return ad.grad(f)


DS = {"fwd": D_fwd, "rev": D_rev}


# f(x) = x^3 sin x and its derivatives
def f(x):
    return x ** 3 * np.sin(x)


def f1(x):
    return 3 * x ** 2 * np.sin(x) + x ** 3 * np.cos(x)


def f2(x):
    return 6 * x * np.sin(x) + 6 * x ** 2 * np.cos(x) - x ** 3 * np.sin(x)


def f3(x):
    return (6 * np.sin(x) + 18 * x * np.cos(x) - 9 * x ** 2 * np.sin(x)
            - x ** 3 * np.cos(x))


@pytest.mark.parametrize("outer, inner", list(itertools.product(DS, DS)))
@pytest.mark.parametrize("x", [0.7, -1.9, np.float64(2.5)])
def test_second_derivative_every_mode_pair(outer, inner, x):
    assert DS[outer](DS[inner](f))(x) == pytest.approx(f2(x), rel=1e-13)


@pytest.mark.parametrize("modes", list(itertools.product(DS, repeat=3)))
def test_third_derivative(modes):
    a, b, c = (DS[m] for m in modes)
    x = 1.3
    assert a(b(c(f)))(x) == pytest.approx(f3(x), rel=1e-12)


def quartic(x):
    """A scalar function of a vector with a known Hessian."""
    return np.sum(x ** 4) + x[0] * x[1] * x[2] + np.sum(np.sin(x[:-1] * x[1:]))


def quartic_hess(x):
    n = len(x)
    H = np.diag(12 * x ** 2)
    H[0, 1] += x[2]
    H[1, 0] += x[2]
    H[0, 2] += x[1]
    H[2, 0] += x[1]
    H[1, 2] += x[0]
    H[2, 1] += x[0]
    for i in range(n - 1):
        u = x[i] * x[i + 1]
        s, c = np.sin(u), np.cos(u)
        H[i, i] += -s * x[i + 1] ** 2
        H[i + 1, i + 1] += -s * x[i] ** 2
        H[i, i + 1] += c - s * u
        H[i + 1, i] += c - s * u
    return H


def test_hessians_by_every_composition():
    x = np.array([0.4, -1.1, 0.8, 1.7])
    want = quartic_hess(x)
    for name, h in [("hessian", ad.hessian(quartic)),
                    ("jacfwd(jacrev)", ad.jacfwd(ad.jacrev(quartic))),
                    ("jacrev(jacfwd)", ad.jacrev(ad.jacfwd(quartic))),
                    ("jacfwd(jacfwd)", ad.jacfwd(ad.jacfwd(quartic))),
                    ("jacrev(jacrev)", ad.jacrev(ad.jacrev(quartic))),
                    ("jacfwd(grad)", ad.jacfwd(ad.grad(quartic)))]:
        H = h(x)
        assert H.shape == (4, 4), name
        np.testing.assert_allclose(H, want, rtol=1e-13, atol=1e-13, err_msg=name)


def test_jvp_of_grad_is_a_hessian_vector_product():
    x = np.array([0.4, -1.1, 0.8, 1.7])
    v = np.array([1.0, 2.0, -0.5, 0.25])
    out, hv = ad.jvp(ad.grad(quartic), (x,), (v,))
    np.testing.assert_allclose(out, ad.grad(quartic)(x), rtol=1e-15)
    np.testing.assert_allclose(hv, quartic_hess(x) @ v, rtol=1e-13)
    np.testing.assert_allclose(ad.hvp(quartic, (x,), (v,)), quartic_hess(x) @ v, rtol=1e-13)
    # and the vjp of the gradient (reverse over reverse)
    np.testing.assert_allclose(ad.vjp(ad.grad(quartic), x)[1](v)[0], quartic_hess(x) @ v,
                               rtol=1e-13)


def test_grad_of_a_function_that_calls_grad_inside():
    # g(x) = x * d/dy sin(x y) at y = 1 = x^2 cos x
    def g(x):
        return x * ad.grad(lambda y: np.sin(x * y))(1.0)

    for x in (0.3, 1.7):
        assert g(x) == pytest.approx(x * x * np.cos(x), rel=1e-15)
        want = 2 * x * np.cos(x) - x * x * np.sin(x)
        assert ad.grad(g)(x) == pytest.approx(want, rel=1e-14)
        assert D_fwd(g)(x) == pytest.approx(want, rel=1e-14)

    # an inner gradient of a vector function, used in an outer loss
    def loss(w):
        inner = ad.grad(lambda v: np.sum(np.tanh(w * v)))(np.ones(3))
        return np.sum(inner ** 2)

    w = np.array([0.5, -0.2, 1.0])
    # inner = w (1 - tanh(w)^2); loss = sum inner^2
    t = np.tanh(w)
    inner = w * (1 - t ** 2)
    d_inner = (1 - t ** 2) - 2 * w * t * (1 - t ** 2)
    np.testing.assert_allclose(ad.grad(loss)(w), 2 * inner * d_inner, rtol=1e-13)


# ------------------------------------------------------------------------------------
# Perturbation confusion
# ------------------------------------------------------------------------------------
@pytest.mark.parametrize("outer, inner", list(itertools.product(DS, DS)))
@pytest.mark.parametrize("x", [0.0, 1.5, -3.0])
def test_classic_x_times_D_of_x_plus_y(outer, inner, x):
    # d/dx [x * (d/dy (x + y))(1)] = d/dx [x * 1] = 1, not 2
    assert DS[outer](lambda x: x * DS[inner](lambda y: x + y)(1.0))(x) == 1.0


@pytest.mark.parametrize("outer, inner", list(itertools.product(DS, DS)))
@pytest.mark.parametrize("x", [0.5, 2.0, -1.25])
def test_classic_x_times_D_of_x_times_y(outer, inner, x):
    # d/dx [x * (d/dy (x y))(y = x)] = d/dx [x^2] = 2x
    assert DS[outer](lambda x: x * DS[inner](lambda y: x * y)(x))(x) == pytest.approx(2 * x)


@pytest.mark.parametrize("modes", list(itertools.product(DS, repeat=3)))
def test_three_levels_deep(modes):
    # d/dx [x * d/dy [y * d/dz (x y z)](y0)] = d/dx [x * 2 x y0] = 4 x y0
    A, B, C = (DS[m] for m in modes)
    y0, x = 0.7, 1.9

    def h(x):
        return x * B(lambda y: y * C(lambda z: x * y * z)(3.0))(y0)

    assert A(h)(x) == pytest.approx(4 * x * y0, rel=1e-14)


@pytest.mark.parametrize("outer", list(DS))
def test_inner_derivative_of_a_closure_over_the_outer_variable(outer):
    # d/dx D(y -> sin(x y))(x) = d/dx [x cos(x^2)] = cos(x^2) - 2 x^2 sin(x^2)
    for inner in DS.values():
        x = 0.9
        got = DS[outer](lambda x: inner(lambda y: np.sin(x * y))(x))(x)
        assert got == pytest.approx(np.cos(x * x) - 2 * x * x * np.sin(x * x), rel=1e-13)


def test_arrays_nested_forward_directions_do_not_mix():
    # jacfwd inside jacfwd with batched directions at both levels
    def inner_jac(x):
        return ad.jacfwd(lambda y: x * np.sin(y))(x)   # diag(x cos x)

    x = np.array([0.2, 0.9, -1.4])
    J = ad.jacfwd(inner_jac)(x)                          # d/dx_k of x_i cos(x_i) delta_ij
    want = np.zeros((3, 3, 3))
    for i in range(3):
        want[i, i, i] = np.cos(x[i]) - x[i] * np.sin(x[i])
    np.testing.assert_allclose(J, want, rtol=1e-14, atol=1e-15)


# ------------------------------------------------------------------------------------
# A vjp_fn made outside f, called inside f on traced cotangents
# ------------------------------------------------------------------------------------
def test_outer_vjp_fn_on_traced_cotangents():
    A = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]])
    x0 = np.array([0.3, -0.6, 1.1])

    def g(x):
        return np.tanh(A @ x)

    _, vjp_fn = ad.vjp(g, x0)
    t = np.tanh(A @ x0)
    J = (1 - t ** 2)[:, None] * A                       # the Jacobian of g at x0

    # linear in the cotangent: d/dc <w, J^T c> = J w, in both modes
    w = np.array([1.0, -2.0, 0.5])
    c0 = np.array([0.4, 0.8])
    h = lambda c: np.sum(vjp_fn(c)[0] * w)           # noqa: E731
    np.testing.assert_allclose(ad.grad(h)(c0), J @ w, rtol=1e-14)
    np.testing.assert_allclose(ad.jacfwd(lambda c: vjp_fn(c)[0])(c0), J.T, rtol=1e-14)
    dc = np.array([1.0, 3.0])
    out, tan = ad.jvp(lambda c: vjp_fn(c)[0], (c0,), (dc,))
    np.testing.assert_allclose(out, J.T @ c0, rtol=1e-14)
    np.testing.assert_allclose(tan, J.T @ dc, rtol=1e-14)

    # a nonlinear cotangent and second order
    k = lambda c: np.sum(vjp_fn(np.sin(c))[0] ** 2)   # noqa: E731
    s = np.sin(c0)
    np.testing.assert_allclose(ad.grad(k)(c0), 2 * np.cos(c0) * (J @ (J.T @ s)),
                               rtol=1e-13)
    H = ad.hessian(k)(c0)
    M = J @ J.T
    want = 2 * np.outer(np.cos(c0), np.cos(c0)) * M - 2 * np.diag(np.sin(c0) * (M @ s))
    np.testing.assert_allclose(H, want, rtol=1e-13, atol=1e-14)


def test_outer_jvp_result_inside_inner_grad_is_a_constant():
    # values computed by a finished transformation are plain numbers inside f
    _, t = ad.jvp(np.sin, (0.5,), (1.0,))
    assert ad.grad(lambda x: x * t)(2.0) == pytest.approx(np.cos(0.5))


# ------------------------------------------------------------------------------------
# Leaked tracers
# ------------------------------------------------------------------------------------
def test_leaked_tracer_from_grad():
    leaked = []

    def f(x):
        leaked.append(x * 2.0)
        return np.sum(x ** 2)

    ad.grad(f)(np.array([1.0, 2.0]))
    assert isinstance(leaked[0], ad.Tracer)
    with pytest.raises(ad.LeakedTracerError, match="leaked tracer"):
        np.sin(leaked[0])
    with pytest.raises(ad.LeakedTracerError):
        leaked[0] + 1.0
    # and inside a new derivative, mixed with that derivative's own values
    with pytest.raises(ad.LeakedTracerError):
        ad.grad(lambda y: np.sum(y * leaked[0]))(np.array([1.0, 1.0]))


def test_leaked_dual_from_jvp():
    leaked = {}

    def f(x):
        leaked["d"] = np.exp(x)
        return x

    ad.jvp(f, (1.0,), (1.0,))
    assert isinstance(leaked["d"], ad.Dual)
    with pytest.raises(ad.LeakedTracerError):
        leaked["d"] * 3.0
    with pytest.raises(ad.LeakedTracerError):
        ad.jvp(lambda y: y + leaked["d"], (1.0,), (1.0,))


def test_leaked_tracer_of_a_scalar_grad():
    box = []
    ad.grad(lambda x: box.append(x) or x * x)(3.0)
    with pytest.raises(ad.LeakedTracerError):
        box[0] * 2.0
    # the value is still available explicitly
    assert ad.primal(box[0]) == 3.0


def test_hessian_with_several_arguments_has_nested_blocks():
    def f(x, y):
        return np.sum(x ** 2 * y[0]) + y[1] ** 3 * x[0]

    x, y = np.array([1.0, 2.0, -1.0]), np.array([0.5, 2.0])
    H = ad.hessian(f, argnums=(0, 1))(x, y)
    assert isinstance(H, tuple) and len(H) == 2 and all(len(r) == 2 for r in H)
    assert [[b.shape for b in row] for row in H] == [[(3, 3), (3, 2)], [(2, 3), (2, 2)]]
    np.testing.assert_allclose(H[0][0], 2 * y[0] * np.eye(3))
    np.testing.assert_allclose(H[0][1], [[2 * x[0], 3 * y[1] ** 2], [2 * x[1], 0.0],
                                         [2 * x[2], 0.0]])
    np.testing.assert_allclose(H[1][0], H[0][1].T)
    np.testing.assert_allclose(H[1][1], [[0.0, 0.0], [0.0, 6 * y[1] * x[0]]])
