"""What comes back: Jacobian shapes, dtypes (float32 stays float32), concrete values,
zeros for unused inputs, int inputs promoted, jacfwd's chunking."""
import math

import numpy as np
import pytest

import dualad as ad
from known_functions import RNG, X3, assert_concrete, scalar_f


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
