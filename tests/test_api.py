"""The functional API's contracts (issues 2 and 3), through the public functions only."""
import collections
import math
import threading

import numpy as np
import pytest

import dualad as ad
from dualad.core import Box
from dualad.core.tree import flatten, tree_map, unflatten

RNG = np.random.default_rng(20240611)


def f_mix(x):
    """R^3 -> R^2, with known Jacobian."""
    return np.stack([x[0] * x[1] + np.sin(x[2]), np.exp(x[0]) * x[2] ** 2])


def f_mix_jac(x):
    return np.array([[x[1], x[0], np.cos(x[2])],
                     [np.exp(x[0]) * x[2] ** 2, 0.0, 2 * np.exp(x[0]) * x[2]]])


def scalar_f(x):
    return np.sum(np.sin(x) * x ** 2)


def scalar_grad(x):
    return np.cos(x) * x ** 2 + 2 * x * np.sin(x)


def scalar_hess(x):
    return np.diag(-np.sin(x) * x ** 2 + 4 * x * np.cos(x) + 2 * np.sin(x))


X3 = np.array([0.3, -1.2, 0.7])


def assert_concrete(tree):
    """Every leaf is a plain ndarray or Python float (never a Dual/Tracer)."""
    leaves = flatten(tree)[0]
    assert leaves
    for leaf in leaves:
        assert not isinstance(leaf, Box), type(leaf)
        assert isinstance(leaf, (np.ndarray, float)), type(leaf)


# ------------------------------------------------------------------------------------
# Each transformation on a function with a known derivative
# ------------------------------------------------------------------------------------
def test_jvp_and_jacfwd():
    v = np.array([1.0, -2.0, 0.5])
    out, t = ad.jvp(f_mix, (X3,), (v,))
    np.testing.assert_array_equal(out, f_mix(X3))
    np.testing.assert_allclose(t, f_mix_jac(X3) @ v, rtol=1e-14)
    np.testing.assert_allclose(ad.jacfwd(f_mix)(X3), f_mix_jac(X3), rtol=1e-14)


def test_vjp_grad_value_and_grad_jacrev():
    w = np.array([0.5, -1.5])
    out, vjp_fn = ad.vjp(f_mix, X3)
    np.testing.assert_array_equal(out, f_mix(X3))
    ct = vjp_fn(w)
    assert isinstance(ct, tuple) and len(ct) == 1
    np.testing.assert_allclose(ct[0], w @ f_mix_jac(X3), rtol=1e-14)
    np.testing.assert_allclose(ad.jacrev(f_mix)(X3), f_mix_jac(X3), rtol=1e-14)
    np.testing.assert_allclose(ad.grad(scalar_f)(X3), scalar_grad(X3), rtol=1e-14)
    val, g = ad.value_and_grad(scalar_f)(X3)
    assert val == scalar_f(X3)
    np.testing.assert_allclose(g, scalar_grad(X3), rtol=1e-14)


def test_vjp_fn_returns_one_cotangent_per_primal():
    out, vjp_fn = ad.vjp(lambda x, y: x * y, 2.0, np.array([1.0, 3.0]))
    ct = vjp_fn(np.array([1.0, 1.0]))
    assert isinstance(ct, tuple) and len(ct) == 2
    assert ct[0] == 4.0 and isinstance(ct[0], float)
    np.testing.assert_array_equal(ct[1], [2.0, 2.0])


@pytest.mark.parametrize("mode", ["auto", "forward", "fwd", "reverse", "rev"])
def test_jacobian_modes(mode):
    np.testing.assert_allclose(ad.jacobian(f_mix, mode=mode)(X3), f_mix_jac(X3), rtol=1e-14)
    # wide and tall, so "auto" takes each branch
    wide = lambda x: np.sum(x ** 2)                       # noqa: E731  n > m
    tall = lambda s: np.array([1.0, 2.0, 3.0, 4.0]) * s   # noqa: E731  n < m
    np.testing.assert_allclose(ad.jacobian(wide, mode=mode)(X3), 2 * X3, rtol=1e-15)
    np.testing.assert_array_equal(ad.jacobian(tall, mode=mode)(2.0), [1.0, 2.0, 3.0, 4.0])


def test_jacobian_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        ad.jacobian(f_mix, mode="sideways")


def test_hessian_and_hvp():
    H = ad.hessian(scalar_f)(X3)
    np.testing.assert_allclose(H, scalar_hess(X3), rtol=1e-13, atol=1e-14)
    v = np.array([1.0, 0.5, -2.0])
    np.testing.assert_allclose(ad.hvp(scalar_f, (X3,), (v,)), scalar_hess(X3) @ v,
                               rtol=1e-13, atol=1e-14)
    # two arguments: the Hessian blocks of f(x, y) = x^2 y + y^3
    f2 = lambda x, y: x * x * y + y ** 3   # noqa: E731
    got = ad.hvp(f2, (1.5, 2.0), (1.0, -1.0))
    # H = [[2y, 2x], [2x, 6y]] at (1.5, 2): [[4, 3], [3, 12]] @ (1, -1) = (1, -9)
    assert got == pytest.approx((1.0, -9.0), rel=1e-14)
    assert ad.hessian(f2, argnums=1)(1.5, 2.0) == pytest.approx(12.0, rel=1e-14)


# ------------------------------------------------------------------------------------
# argnums, has_aux
# ------------------------------------------------------------------------------------
def g3(x, y, z):
    return x * y ** 2 + np.sin(z) * x


def test_argnums_int_and_tuple():
    x, y, z = 1.5, -0.5, 0.25
    assert ad.grad(g3)(x, y, z) == pytest.approx(y ** 2 + np.sin(z), rel=1e-15)
    assert ad.grad(g3, argnums=1)(x, y, z) == pytest.approx(2 * x * y, rel=1e-15)
    assert ad.grad(g3, argnums=-1)(x, y, z) == pytest.approx(np.cos(z) * x, rel=1e-15)
    gs = ad.grad(g3, argnums=(2, 0))(x, y, z)
    assert isinstance(gs, tuple) and len(gs) == 2
    assert gs == pytest.approx((np.cos(z) * x, y ** 2 + np.sin(z)), rel=1e-15)
    one = ad.grad(g3, argnums=(1,))(x, y, z)
    assert isinstance(one, tuple) and len(one) == 1
    for jac in (ad.jacfwd, ad.jacrev, ad.jacobian):
        j = jac(g3, argnums=(0, 2))(x, y, z)
        assert isinstance(j, tuple)
        assert j == pytest.approx((y ** 2 + np.sin(z), np.cos(z) * x), rel=1e-15)


def test_has_aux():
    def f(x):
        return np.sum(x ** 2), {"norm1": np.sum(np.abs(x)), "n": 3}

    g, aux = ad.grad(f, has_aux=True)(X3)
    np.testing.assert_allclose(g, 2 * X3, rtol=1e-15)
    assert aux["n"] == 3 and aux["norm1"] == pytest.approx(np.sum(np.abs(X3)))
    assert_concrete(aux["norm1"])
    (val, aux2), g2 = ad.value_and_grad(f, has_aux=True)(X3)
    assert val == np.sum(X3 ** 2) and aux2["norm1"] == aux["norm1"]
    np.testing.assert_array_equal(g2, g)

    def h(x):
        return x * 2.0, np.sum(x)

    for jac in (ad.jacfwd, ad.jacrev):
        J, a = jac(h, has_aux=True)(X3)
        np.testing.assert_array_equal(J, 2 * np.eye(3))
        assert a == pytest.approx(np.sum(X3)) and not isinstance(a, Box)
    out, vjp_fn, a = ad.vjp(h, X3, has_aux=True)
    np.testing.assert_array_equal(vjp_fn(np.ones(3))[0], [2.0, 2.0, 2.0])
    out, t, a = ad.jvp(h, (X3,), (np.ones(3),), has_aux=True)
    np.testing.assert_array_equal(t, [2.0, 2.0, 2.0])
    assert a == pytest.approx(np.sum(X3)) and not isinstance(a, Box)


# ------------------------------------------------------------------------------------
# Containers in and out
# ------------------------------------------------------------------------------------
Params = collections.namedtuple("Params", "w b")


def container_f(p):
    """p = {"layer": Params(w, b), "scales": [s0, s1], "pair": (u, v)} -> a nested output."""
    w, b = p["layer"]
    s0, s1 = p["scales"]
    u, v = p["pair"]
    y = w @ u + b
    return {"y": y * s0, "stats": (np.sum(y ** 2) * s1, [u * v])}


def make_params():
    return {"layer": Params(RNG.normal(size=(2, 3)), RNG.normal(size=2)),
            "scales": [1.5, -0.5], "pair": (RNG.normal(size=3), 0.7)}


def _loss(p):
    out = container_f(p)
    return np.sum(out["y"]) + out["stats"][0] + np.sum(out["stats"][1][0])


def test_grad_of_containers_keeps_structure():
    p = make_params()
    g = ad.grad(_loss)(p)
    assert set(g) == {"layer", "scales", "pair"}
    assert isinstance(g["layer"], Params) and isinstance(g["scales"], list)
    assert isinstance(g["pair"], tuple) and not isinstance(g["pair"], Params)
    assert g["layer"].w.shape == (2, 3) and g["layer"].b.shape == (2,)
    assert isinstance(g["scales"][0], float) and isinstance(g["pair"][1], float)
    # the same numbers from forward mode, one leaf direction at a time
    leaves, treedef = flatten(p)
    gleaves = flatten(g)[0]
    for i, leaf in enumerate(leaves):
        for j in range(np.size(leaf)):
            tan = [np.zeros(np.shape(x)) for x in leaves]
            tan[i].flat[j] = 1.0
            tan = [t if np.ndim(x) else float(t) for t, x in zip(tan, leaves)]
            d = ad.jvp(_loss, (p,), (unflatten(treedef, tan),))[1]
            assert np.ravel(gleaves[i])[j] == pytest.approx(d, rel=1e-13, abs=1e-14)


def test_jacobians_of_containers():
    p = make_params()
    out = container_f(p)
    for jac in (ad.jacfwd, ad.jacrev):
        J = jac(container_f)(p)
        assert set(J) == {"y", "stats"}
        assert isinstance(J["stats"], tuple) and isinstance(J["stats"][1], list)
        # every block has shape out.shape + in.shape
        Jyw = J["y"]["layer"].w
        assert Jyw.shape == out["y"].shape + p["layer"].w.shape
        assert J["stats"][1][0]["pair"][0].shape == (3, 3)
        assert np.shape(J["stats"][0]["scales"][1]) == ()
        # d y_i / d w_jk = s0 * delta_ij * u_k
        want = np.einsum("ij,k->ijk", np.eye(2), p["pair"][0]) * p["scales"][0]
        np.testing.assert_allclose(Jyw, want, rtol=1e-14)
    zeros = tree_map(lambda x: np.zeros_like(x) if np.ndim(x) else 0.0, p)
    out2, t = ad.jvp(container_f, (p,), (zeros,))
    assert set(t) == {"y", "stats"} and isinstance(t["stats"][1], list)
    assert all(not np.any(leaf) for leaf in flatten(t)[0])
    np.testing.assert_array_equal(out2["y"], out["y"])


def test_vjp_with_container_output():
    p = make_params()
    out, vjp_fn = ad.vjp(container_f, p)
    ct = {"y": np.ones(2), "stats": (1.0, [np.ones(3)])}
    (g,) = vjp_fn(ct)
    ref = ad.grad(_loss)(p)
    for a, b in zip(flatten(g)[0], flatten(ref)[0]):
        np.testing.assert_allclose(a, b, rtol=1e-14)


# ------------------------------------------------------------------------------------
# Shapes, dtypes, concreteness
# ------------------------------------------------------------------------------------
SHAPES = [(), (1,), (3,), (2, 3)]


@pytest.mark.parametrize("in_shape", SHAPES)
@pytest.mark.parametrize("out_shape", SHAPES)
def test_jacobian_shape_is_out_shape_plus_in_shape(in_shape, out_shape):
    m = int(np.prod(out_shape))
    A = np.arange(1.0, 1.0 + m * int(np.prod(in_shape))).reshape(m, -1)

    def f(x):
        return np.reshape(A @ np.reshape(np.sin(x), (-1,)), out_shape)

    x = np.linspace(0.1, 0.9, int(np.prod(in_shape))).reshape(in_shape)
    want = (A * np.cos(x).reshape(-1)).reshape(out_shape + in_shape)
    for name, jac in [("jacfwd", ad.jacfwd(f)), ("jacrev", ad.jacrev(f)),
                      ("auto", ad.jacobian(f)), ("fwd", ad.jacobian(f, mode="fwd")),
                      ("rev", ad.jacobian(f, mode="rev"))]:
        J = jac(x)
        assert np.shape(J) == out_shape + in_shape, name
        np.testing.assert_allclose(J, want, rtol=1e-14, err_msg=name)
        assert_concrete(J)
    if out_shape == ():
        H = ad.hessian(f)(x)
        assert np.shape(H) == in_shape + in_shape


def test_gradient_has_the_primal_shape_and_dtype():
    for x in (1.5, np.float64(1.5), np.array(1.5), np.ones(3), np.ones((2, 1))):
        g = ad.grad(lambda x: np.sum(x * x))(x)
        assert np.shape(g) == np.shape(x)
        # the gradient has the type of the input: a Python float, a NumPy scalar (as
        # autograd returns), an ndarray
        assert type(g) is type(x)
        assert np.result_type(g) == np.float64
        np.testing.assert_array_equal(g, 2 * np.asarray(x))


@pytest.mark.parametrize("mode", ["grad", "jacfwd", "jacrev", "jvp", "vjp"])
def test_float32_stays_float32(mode):
    x = np.array([0.5, 1.0, 2.0], dtype=np.float32)
    f = lambda x: np.sum(np.sin(x) * x)   # noqa: E731
    h = lambda x: np.exp(x) * 2.0         # noqa: E731
    if mode == "grad":
        val, g = ad.value_and_grad(f)(x)
        assert g.dtype == np.float32 and g.shape == (3,)
        np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x), rtol=1e-6)
    elif mode == "jvp":
        out, t = ad.jvp(h, (x,), (np.ones(3, np.float32),))
        assert out.dtype == np.float32 and t.dtype == np.float32
    elif mode == "vjp":
        out, fn = ad.vjp(h, x)
        assert out.dtype == np.float32 and fn(np.ones(3, np.float32))[0].dtype == np.float32
    else:
        J = getattr(ad, mode)(h)(x)
        assert J.dtype == np.float32
        np.testing.assert_allclose(J, np.diag(2 * np.exp(x)), rtol=1e-6)


def test_results_are_concrete():
    x = X3
    f = lambda x: (np.sin(x), {"s": np.sum(x)})  # noqa: E731
    for res in (ad.jvp(f, (x,), (x,)), ad.vjp(f, x)[0], ad.jacfwd(f)(x), ad.jacrev(f)(x),
                ad.grad(scalar_f)(x), ad.value_and_grad(scalar_f)(x),
                ad.hessian(scalar_f)(x), ad.hvp(scalar_f, (x,), (x,)),
                ad.jacobian(f)(x), ad.grad(lambda s: s * s)(3.0)):
        assert_concrete(res)
    assert type(ad.grad(lambda s: s * s)(3.0)) is float
    assert type(ad.value_and_grad(lambda s: s * s)(3.0)[0]) is float


def test_value_and_grad_value_is_exactly_f():
    def f(x):
        return np.sum(np.tanh(x) ** 3 / (1.0 + x ** 2)) + 0.1 * np.prod(np.cos(x))
    x = RNG.normal(size=7)
    val, _ = ad.value_and_grad(f)(x)
    assert val == f(x)


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_grad_accepts_one_element_outputs(shape):
    g = ad.grad(lambda x: np.reshape(np.sum(x ** 3), shape))(X3)
    np.testing.assert_allclose(g, 3 * X3 ** 2, rtol=1e-15)


@pytest.mark.parametrize("out, what", [
    (lambda x: np.sum(x) * (1 + 2j), "complex"),
    (lambda x: 3, "int"),
    (lambda x: np.sum(x) > 0, "bool"),
    (lambda x: np.array([1, 2]).sum(), "int"),
])
def test_grad_rejects_non_float_outputs(out, what):
    with pytest.raises(TypeError):
        ad.grad(out)(X3)


def test_outputs_independent_of_the_input_give_zeros():
    const = lambda x: np.array([1.0, 2.0])   # noqa: E731
    np.testing.assert_array_equal(ad.jacfwd(const)(X3), np.zeros((2, 3)))
    np.testing.assert_array_equal(ad.jacrev(const)(X3), np.zeros((2, 3)))
    np.testing.assert_array_equal(ad.jvp(const, (X3,), (X3,))[1], np.zeros(2))
    np.testing.assert_array_equal(ad.vjp(const, X3)[1](np.ones(2))[0], np.zeros(3))
    g = ad.grad(lambda x, y: np.sum(y * y), argnums=0)(X3, 2.0)
    assert g.shape == (3,) and not np.any(g)
    assert ad.grad(lambda x: 5.0)(2.0) == 0.0
    np.testing.assert_array_equal(ad.hessian(lambda x: np.sum(x))(X3), np.zeros((3, 3)))
    # an output that is one of the inputs unchanged, another a constant
    J = ad.jacrev(lambda x, y: (x, 1.0), argnums=1)(X3, 2.0)
    np.testing.assert_array_equal(J[0], np.zeros(3))
    assert J[1] == 0.0


def test_int_inputs_are_promoted_to_float64():
    assert ad.grad(lambda x: x * x)(3) == 6.0
    assert type(ad.grad(lambda x: x * x)(3)) is float
    g = ad.grad(lambda x: np.sum(x ** 2))(np.array([1, 2, 3]))
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g, [2.0, 4.0, 6.0])
    J = ad.jacfwd(lambda x: x / 2)(np.array([1, 2], dtype=np.int32))
    assert J.dtype == np.float64
    np.testing.assert_array_equal(J, np.eye(2) / 2)
    out, t = ad.jvp(lambda x: x / 4, (np.arange(3),), (np.ones(3),))
    assert out.dtype == np.float64 and t.dtype == np.float64
    np.testing.assert_array_equal(out, [0.0, 0.25, 0.5])


# ------------------------------------------------------------------------------------
# jacfwd chunking
# ------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 7, 64, 65, 130])
def test_jacfwd_chunks(n):
    calls = []

    def f(x):
        calls.append(1)
        return np.concatenate([x * x[::-1], np.reshape(np.sum(np.sin(x)), (1,))])

    x = np.linspace(-1.0, 1.0, n)
    want = np.vstack([np.diag(x[::-1]) + np.fliplr(np.diag(x)), np.cos(x)[None]])
    results = {}
    for k in (1, 3, None):
        calls.clear()
        results[k] = ad.jacfwd(f, chunk_size=k)(x)
        passes = math.ceil(n / (k or ad.cost.DEFAULT_CHUNK))
        assert len(calls) == passes, (k, len(calls), passes)
        np.testing.assert_allclose(results[k], want, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(results[1], results[3])
    np.testing.assert_array_equal(results[1], results[None])


# ------------------------------------------------------------------------------------
# Scientific code written with plain numpy
# ------------------------------------------------------------------------------------
def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_residuals(x):
    return np.concatenate([10.0 * (x[1:] - x[:-1] ** 2), 1.0 - x[:-1]])


def rosenbrock_grad(x):
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


def rosenbrock_hess(x):
    n = len(x)
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        H[i, i + 1] = H[i + 1, i] = -400.0 * x[i]
        H[i + 1, i + 1] += 200.0
    return H


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


# ------------------------------------------------------------------------------------
# Depth, threads, an optimiser
# ------------------------------------------------------------------------------------
def test_gradient_of_a_million_chained_operations():
    n = 250_000   # 4 primitives per step: 10^6 operations on the tape

    def f(x):
        for _ in range(n):
            x = x * 0.999999 + 1e-7 * np.sin(x)
        return x

    x0 = 0.5
    g = ad.grad(f)(x0)
    # the chain rule, iterated in plain floats: d x_{k+1} / d x_k = 0.999999 + 1e-7 cos x_k
    x, d = x0, 1.0
    for _ in range(n):
        d *= 0.999999 + 1e-7 * math.cos(x)
        x = x * 0.999999 + 1e-7 * math.sin(x)
    assert g == pytest.approx(d, rel=1e-10)


def test_threads_compute_different_gradients_at_once():
    n_threads = 8
    barrier = threading.Barrier(n_threads)
    results, errors = {}, []

    def work(k):
        try:
            x = np.linspace(-1.0, 1.0, 50) * (k + 1)

            def f(x):
                barrier.wait(timeout=30)      # every thread is mid-trace at once
                y = x
                for _ in range(200):
                    y = np.sin(y) * (1.0 + 0.01 * k)
                return np.sum(y * x ** 2)

            results[k] = (x, ad.grad(f)(x), ad.jacfwd(lambda x: np.sin(x) * k)(x[:3]))
        except BaseException as e:   # noqa: BLE001  (reported below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for k in range(n_threads):
        x, g, J = results[k]

        def f_plain(x, k=k):
            y = x
            for _ in range(200):
                y = np.sin(y) * (1.0 + 0.01 * k)
            return np.sum(y * x ** 2)

        # forward mode, one direction at a time, in this thread
        want = np.array([ad.jvp(f_plain, (x,), (e,))[1] for e in np.eye(len(x))])
        np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(J, np.diag(np.cos(x[:3]) * k), rtol=1e-15)


def test_scipy_trust_ncg_solves_rosenbrock_50():
    optimize = pytest.importorskip("scipy.optimize")
    x0 = np.full(50, -1.2)
    x0[1::2] = 1.0

    def hessp(x, p):
        return ad.hvp(rosenbrock, (x,), (p,))

    res = optimize.minimize(rosenbrock, x0, jac=ad.grad(rosenbrock), hessp=hessp,
                            method="trust-ncg", options={"gtol": 1e-8, "maxiter": 500})
    assert res.success, res.message
    np.testing.assert_allclose(res.x, np.ones(50), atol=1e-6)
    assert res.fun < 1e-12


# ------------------------------------------------------------------------------------
# Worked textbook examples (a scalar function, backprop by hand in an MLP with weight decay, a symbolic derivative) through the functional API
# ------------------------------------------------------------------------------------
def test_seed_b():
    f = lambda x, y: x * y + np.sin(x)   # noqa: E731
    gx, gy = ad.grad(f, argnums=(0, 1))(2.0, 3.0)
    assert gx == pytest.approx(3.0 + np.cos(2.0), rel=1e-15)
    assert gx == pytest.approx(2.5839, abs=1e-4)
    assert gy == 2.0


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_seed_c_mlp_with_weight_decay():
    rng = np.random.default_rng(7)
    d, h, q, lam = 4, 5, 3, 0.1
    W1, W2 = rng.normal(size=(h, d)), rng.normal(size=(q, h))
    x, y = rng.normal(size=d), rng.normal(size=q)

    def J(W1, W2):
        z = W1 @ x
        hh = sigmoid(z)
        o = W2 @ hh
        L = 0.5 * np.sum((o - y) ** 2)
        s = lam / 2 * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
        return L + s

    g1, g2 = ad.grad(J, argnums=(0, 1))(W1, W2)
    z = W1 @ x
    hh = sigmoid(z)
    o = W2 @ hh
    dJ_do = o - y
    dJ_dW2 = np.outer(dJ_do, hh) + lam * W2
    dJ_dh = W2.T @ dJ_do
    dJ_dz = dJ_dh * hh * (1 - hh)
    dJ_dW1 = np.outer(dJ_dz, x) + lam * W1
    np.testing.assert_allclose(g2, dJ_dW2, rtol=1e-13)
    np.testing.assert_allclose(g1, dJ_dW1, rtol=1e-13)
    # forward mode agrees on the same closed forms
    np.testing.assert_allclose(ad.jacfwd(J, argnums=1)(W1, W2), dJ_dW2, rtol=1e-13)


def test_seed_d_layerwise_deltas():
    rng = np.random.default_rng(11)
    sizes = [3, 4, 4, 2]
    Ws = [rng.normal(size=(m, n)) for n, m in zip(sizes[:-1], sizes[1:])]
    bs = [rng.normal(size=m) for m in sizes[1:]]
    x, t = rng.normal(size=3), rng.normal(size=2)

    def loss(Ws, bs):
        a = x
        for W, b in zip(Ws, bs):
            a = sigmoid(W @ a + b)
        return 0.5 * np.sum((a - t) ** 2)

    gW, gb = ad.grad(loss, argnums=(0, 1))(Ws, bs)
    assert isinstance(gW, list) and len(gW) == 3
    # by hand: delta(L) = sigma'(z_L) (a_L - t); delta(l) = sigma'(z_l) (W_{l+1}^T delta(l+1))
    acts, zs = [x], []
    for W, b in zip(Ws, bs):
        zs.append(W @ acts[-1] + b)
        acts.append(sigmoid(zs[-1]))
    dsig = lambda z: sigmoid(z) * (1 - sigmoid(z))   # noqa: E731
    delta = dsig(zs[-1]) * (acts[-1] - t)
    for l in range(len(Ws) - 1, -1, -1):
        np.testing.assert_allclose(gW[l], np.outer(delta, acts[l]), rtol=1e-13)
        np.testing.assert_allclose(gb[l], delta, rtol=1e-13)
        if l:
            delta = dsig(zs[l - 1]) * (Ws[l].T @ delta)


def test_seed_f_sympy():
    sympy = pytest.importorskip("sympy")
    s = sympy.Symbol("x")
    dexpr = sympy.diff(s ** 3 + sympy.sin(2 * s), s)
    assert sympy.simplify(dexpr - (3 * s ** 2 + 2 * sympy.cos(2 * s))) == 0
    d = sympy.lambdify(s, dexpr, "numpy")
    d2 = sympy.lambdify(s, sympy.diff(dexpr, s), "numpy")
    f = lambda x: x ** 3 + np.sin(2 * x)   # noqa: E731
    xs = np.linspace(-3, 3, 25)
    for x in xs:
        assert ad.grad(f)(float(x)) == pytest.approx(d(x), rel=1e-14, abs=1e-13)
        assert ad.jvp(f, (float(x),), (1.0,))[1] == pytest.approx(d(x), rel=1e-14, abs=1e-13)
        assert ad.grad(ad.grad(f))(float(x)) == pytest.approx(d2(x), rel=1e-13, abs=1e-12)
    # vectorised: the Jacobian of the elementwise f is diagonal with the symbolic values
    np.testing.assert_allclose(ad.jacfwd(f)(xs), np.diag(d(xs)), rtol=1e-14, atol=1e-13)
    np.testing.assert_allclose(ad.grad(lambda x: np.sum(f(x)))(xs), d(xs), rtol=1e-14,
                               atol=1e-13)


# ------------------------------------------------------------------------------------
# check_grads and numerical_jvp
# ------------------------------------------------------------------------------------
from dualad.transforms.check import GradCheckError, numerical_hessian_form, numerical_jvp  # noqa: E402


def _broken(name, jvp_factor=1.0, vjp_factor=1.0, second_order_ok=True):
    """sin with its rules scaled (a wrong derivative on purpose); with second_order_ok
    False the JVP rule takes the value of cos, so nothing flows at second order."""
    def jvp_rule(tangents, primals, out):
        c = np.cos(primals[0] if second_order_ok else ad.primal(primals[0]))
        return tangents[0] * c * jvp_factor

    def vjp_rule(i, g, primals, out):
        return g * np.cos(primals[0]) * vjp_factor

    return ad.Primitive(name, np.sin, jvp_rule, vjp_rule)


def test_check_grads_passes_on_correct_derivatives_of_containers():
    P2 = collections.namedtuple("P2", "a b")

    def f(p, scale):
        y = np.tanh(p["w"] @ p["v"].a) * scale + p["v"].b ** 2
        return {"y": y, "pair": (np.sum(y ** 2), [np.exp(-scale * p["v"].a)])}

    p = {"w": RNG.normal(size=(2, 3)), "v": P2(RNG.normal(size=3), 0.7)}
    ad.check_grads(f, (p, 1.3), order=2)
    ad.check_grads(f, (p, 1.3), order=1, modes=("forward", "reverse"))
    ad.check_grads(f, [p, 1.3], order=3, modes="rev")
    ad.check_grads(np.sin, 0.5)                 # a single argument need not be a tuple
    ad.check_grads(lambda x: x * x, (3,))       # ints are promoted


@pytest.mark.parametrize("mode, broken, where", [
    ("fwd", dict(jvp_factor=2.0), "forward mode (jvp) of f, order 1"),
    ("rev", dict(vjp_factor=0.5), "reverse mode (vjp) of f, order 1"),
    ("fwd", dict(second_order_ok=False), "forward mode (jvp) of (x -> jvp(f, x, v)[1]), order 2"),
])
def test_check_grads_reports_wrong_derivatives(mode, broken, where):
    prim = _broken("broken_sin", **broken)
    x = np.array([0.3, 1.1, -0.4])
    with pytest.raises(GradCheckError) as ei:
        ad.check_grads(lambda x: prim(x), (x,), order=2, modes=(mode,))
    msg = str(ei.value)
    assert isinstance(ei.value, AssertionError) and isinstance(ei.value, ad.DualadError)
    assert where in msg, msg
    assert "disagrees with central differences" in msg
    assert "abs error" in msg and "rel error" in msg
    if mode == "fwd":
        assert "worst at index" in msg and "expected" in msg and "got" in msg
    else:
        assert "<vjp(u), v>" in msg
    # the other mode is not affected by a broken rule of this one at order 1
    other = "rev" if mode == "fwd" else "fwd"
    ad.check_grads(lambda x: prim(x), (x,), order=1, modes=(other,))


def test_check_grads_rejects_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        ad.check_grads(np.sin, (1.0,), modes=("sideways",))
    with pytest.raises(ValueError, match="order"):
        ad.check_grads(np.sin, (1.0,), order=0)
    with pytest.raises(TypeError):
        ad.check_grads(np.sin, ("abc",))


def test_numerical_jvp_and_second_differences():
    x = np.array([0.2, -0.7, 1.4])
    v = np.array([1.0, 0.5, -2.0])
    # central differences: error ~ h^2/6 |f'''| (1e-11 at h = 2^-17) + round-off 3e-11
    got = numerical_jvp(np.sin, (x,), (v,))
    np.testing.assert_allclose(got, np.cos(x) * v, rtol=0, atol=1e-9)
    # pytree arguments and outputs, explicit step
    got = numerical_jvp(lambda p: {"s": p["a"] * p["b"]}, ({"a": 2.0, "b": x},),
                        ({"a": 1.0, "b": v},), eps=1e-4)
    np.testing.assert_allclose(got["s"], x + 2.0 * v, rtol=0, atol=1e-9)   # bilinear: exact
    # mixed second difference of sin along u, v: -sin(x) u v (error ~ h^2 + eps / h^2)
    u = np.array([0.3, 1.0, 1.0])
    got = numerical_hessian_form(lambda x: np.sin(x), (x,), (u,), (v,))
    np.testing.assert_allclose(got, -np.sin(x) * u * v, rtol=0, atol=1e-6)


def test_check_grads_float32_uses_float32_steps_and_tolerances():
    from dualad.transforms.check import default_eps, default_tolerance
    x = np.linspace(-2, 2, 7).astype(np.float32)
    assert default_eps((x,)) == 2.0 ** -7 and default_tolerance((x,)) == (2e-3, 2e-3)
    assert default_eps((x.astype(np.float64),)) == 2.0 ** -17
    ad.check_grads(lambda x: np.sin(x) * np.exp(x), (x,), order=2)
    with pytest.raises(GradCheckError):
        prim = _broken("broken_sin32", jvp_factor=1.05)
        ad.check_grads(lambda x: prim(x), (x,), order=1, modes="fwd")
