"""Code written for autograd or JAX runs on dualad: autograd's names and call forms
(elementwise_grad, hessian_vector_product, check_grads(f, modes=, order=)(x), argnum=,
flatten), JAX's ravel_pytree and holomorphic=True, NumPy scalars in and out, and an
autograd-style program ported by swapping its imports only."""
import numpy as np
import pytest

import dualad as ad
from dualad.transforms.check import GradCheckError

rng = np.random.default_rng(13)
X = rng.standard_normal(4)
A = rng.standard_normal((3, 4))


# ------------------------------------------------------------------------------------
# NumPy scalars: the gradient has the type of the input
# ------------------------------------------------------------------------------------
@pytest.mark.parametrize("scalar", [np.float64, np.float32])
def test_numpy_scalar_in_numpy_scalar_out(scalar):
    x = scalar(0.7)
    f = lambda x: np.sin(x) * x          # noqa: E731
    want = np.cos(0.7) * 0.7 + np.sin(0.7)
    g = ad.grad(f)(x)
    assert type(g) is scalar
    np.testing.assert_allclose(g, want, rtol=1e-6)
    v, g2 = ad.value_and_grad(f)(x)
    assert type(g2) is scalar
    (g3,) = ad.vjp(f, x)[1](scalar(1.0))
    assert type(g3) is scalar
    gg = ad.grad(ad.grad(f))(x)          # second order keeps the type too
    assert type(gg) is scalar
    np.testing.assert_allclose(gg, 2 * np.cos(0.7) - 0.7 * np.sin(0.7), rtol=1e-6)


def test_python_floats_and_arrays_keep_their_types():
    assert type(ad.grad(np.sin)(0.5)) is float
    assert type(ad.grad(lambda x: np.sum(np.sin(x)))(np.array(0.5))) is np.ndarray


# ------------------------------------------------------------------------------------
# argnum= (autograd) for argnums= (JAX)
# ------------------------------------------------------------------------------------
def f2(x, y):
    return np.sum(np.sin(x) * y ** 2)


@pytest.mark.parametrize("name", ["grad", "jacfwd", "jacrev", "jacobian", "hessian",
                                  "elementwise_grad"])
def test_argnum_means_argnums(name):
    t = getattr(ad, name)
    y = X[::-1].copy()
    fun = f2 if name in ("grad", "hessian") else (lambda x, y: np.sin(x) * y ** 2)
    np.testing.assert_array_equal(t(fun, argnum=1)(X, y), t(fun, argnums=1)(X, y))
    assert not np.allclose(t(fun, argnum=1)(X, y), t(fun, argnum=0)(X, y))


def test_argnum_tuple_and_value_and_grad():
    y = X + 1.0
    gx, gy = ad.grad(f2, argnum=(0, 1))(X, y)
    np.testing.assert_allclose(gx, np.cos(X) * y ** 2, rtol=1e-14)
    np.testing.assert_allclose(gy, 2 * np.sin(X) * y, rtol=1e-14)
    v, g = ad.value_and_grad(f2, argnum=1)(X, y)
    np.testing.assert_allclose(g, gy, rtol=1e-14)


def test_argnum_and_argnums_together_are_refused():
    with pytest.raises(TypeError, match="argnums or argnum"):
        ad.grad(f2, 1, argnum=1)
    with pytest.raises(TypeError, match="argnums or argnum"):
        ad.jacfwd(f2, argnums=0, argnum=1)


# ------------------------------------------------------------------------------------
# elementwise_grad
# ------------------------------------------------------------------------------------
def test_elementwise_grad_is_the_diagonal_of_an_elementwise_jacobian():
    x = np.linspace(-2, 2, 7)
    np.testing.assert_allclose(ad.elementwise_grad(np.tanh)(x), 1 - np.tanh(x) ** 2,
                               rtol=1e-14)
    # second and third derivatives, as in autograd's tanh example
    d2 = ad.elementwise_grad(ad.elementwise_grad(np.tanh))(x)
    t = np.tanh(x)
    np.testing.assert_allclose(d2, -2 * t * (1 - t ** 2), rtol=1e-12, atol=1e-15)
    d3 = ad.elementwise_grad(ad.elementwise_grad(ad.elementwise_grad(np.tanh)))(x)
    np.testing.assert_allclose(d3, -2 * (1 - t ** 2) * (1 - 3 * t ** 2), rtol=1e-12,
                               atol=1e-15)


def test_elementwise_grad_is_the_column_sum_in_general():
    f = lambda x: np.tanh(A @ x)                              # noqa: E731
    np.testing.assert_allclose(ad.elementwise_grad(f)(X), ad.jacfwd(f)(X).sum(axis=0),
                               rtol=1e-13)
    # forward and reverse over it, second order, against finite differences
    ad.check_grads(ad.elementwise_grad(f), (X,), order=2)


def test_elementwise_grad_refuses_complex_and_container_outputs():
    with pytest.raises(TypeError, match="real float output"):
        ad.elementwise_grad(lambda x: x * 1j)(X)
    with pytest.raises(TypeError, match="container"):
        ad.elementwise_grad(lambda x: (x, x))(X)


# ------------------------------------------------------------------------------------
# hessian_vector_product
# ------------------------------------------------------------------------------------
def test_hessian_vector_product_matches_the_hessian():
    y = X + 0.5
    v = rng.standard_normal(4)
    np.testing.assert_allclose(ad.hessian_vector_product(f2)(X, y, v),
                               ad.hessian(f2)(X, y) @ v, rtol=1e-13)
    np.testing.assert_allclose(ad.hessian_vector_product(f2, argnum=1)(X, y, v),
                               ad.hessian(f2, argnums=1)(X, y) @ v, rtol=1e-13)
    # a tuple of argnums takes a tuple of vectors
    w = rng.standard_normal(4)
    hx, hy = ad.hessian_vector_product(f2, (0, 1))(X, y, (v, w))
    H = ad.hessian(lambda z: f2(z[:4], z[4:]))(np.concatenate([X, y]))
    np.testing.assert_allclose(np.concatenate([hx, hy]), H @ np.concatenate([v, w]),
                               rtol=1e-13)


def test_hessian_vector_product_contracts_over_the_argument_shape():
    M = rng.standard_normal((2, 3))
    V = rng.standard_normal((2, 3))
    f = lambda M: np.sum(np.sin(M) ** 3)                      # noqa: E731
    H = ad.hessian(f)(M)                                      # (2, 3, 2, 3)
    np.testing.assert_allclose(ad.hessian_vector_product(f)(M, V),
                               np.tensordot(H, V, axes=2), rtol=1e-13)
    # third order: derivatives of the hvp against finite differences, both modes
    ad.check_grads(lambda M: ad.hessian_vector_product(f)(M, V), (M,), order=1)
    # keyword arguments pass through, held fixed
    g = lambda M, scale=1.0: scale * np.sum(np.sin(M) ** 3)  # noqa: E731
    np.testing.assert_allclose(ad.hessian_vector_product(g)(M, V, scale=2.0),
                               2.0 * np.tensordot(H, V, axes=2), rtol=1e-13)


# ------------------------------------------------------------------------------------
# check_grads: autograd's call form beside JAX's
# ------------------------------------------------------------------------------------
@ad.primitive
def wrong_sin(x):
    return np.sin(x)


wrong_sin.defjvp(lambda ts, out, x: ts[0] * np.cos(x) * 1.01)   # 1% off
wrong_sin.defvjp(lambda g, out, x: (g * np.cos(x) * 1.01,))


def test_check_grads_autograd_form_passes_and_fails():
    ad.check_grads(f2)(X, X + 1)                              # argnum 0, both modes, order 2
    ad.check_grads(f2, modes=["rev"], order=1)(X, X + 1)
    ad.check_grads(f2, argnum=1, modes=["fwd"])(X, X + 1)
    ad.check_grads(f2, argnum=(0, 1))(X, X + 1)
    ad.check_grads(f2, (X, X + 1), 2, modes=["fwd", "rev"])     # JAX's form
    with pytest.raises(GradCheckError):
        ad.check_grads(lambda x, y: np.sum(wrong_sin(x) * y))(X, X)
    with pytest.raises(GradCheckError):
        ad.check_grads(lambda x, y: np.sum(wrong_sin(y) * x), argnum=1, modes=["rev"])(X, X)
    # argnum 0 only: the wrong rule on argument 1 is never exercised
    ad.check_grads(lambda x, y: np.sum(np.sin(x) * wrong_sin(y)))(X, X)


def test_check_grads_autograd_form_passes_keyword_arguments():
    def f(x, scale=1.0):
        return np.sum(np.exp(x * scale))
    ad.check_grads(f)(X, scale=0.5)
    with pytest.raises(GradCheckError):
        ad.check_grads(lambda x, k=1.0: np.sum(wrong_sin(x * k)))(X, k=2.0)


# ------------------------------------------------------------------------------------
# ravel_pytree / flatten
# ------------------------------------------------------------------------------------
PARAMS = {"W": rng.standard_normal((3, 2)), "b": [0.25, rng.standard_normal(3)],
          "s": np.float64(1.5)}


def test_ravel_pytree_round_trip():
    flat, unravel = ad.ravel_pytree(PARAMS)
    assert flat.shape == (6 + 1 + 3 + 1,) and flat.dtype == np.float64
    back = unravel(flat)
    assert back["W"].shape == (3, 2) and back["b"][1].shape == (3,)
    np.testing.assert_array_equal(back["W"], PARAMS["W"])
    assert back["b"][0] == 0.25 and np.ndim(back["b"][0]) == 0
    assert type(back["s"]) is np.float64
    flat32, un32 = ad.ravel_pytree([np.ones(2, np.float32), np.float32(2.0)])
    assert flat32.dtype == np.float32 and type(un32(flat32)[1]) is np.float32
    assert ad.flatten is ad.ravel_pytree
    with pytest.raises(ValueError, match="vector of shape"):
        unravel(flat[:-1])
    empty, un = ad.ravel_pytree([])
    assert empty.shape == (0,) and un(empty) == []


def loss_tree(p, x):
    h = np.tanh(p["W"] @ x[:2] + p["b"][1] * p["b"][0])
    return np.sum(h ** 2) * p["s"]


def test_gradients_through_ravel_pytree():
    x = rng.standard_normal(2)
    flat, unravel = ad.ravel_pytree(PARAMS)
    f = lambda v: loss_tree(unravel(v), x)                    # noqa: E731
    g_tree = ad.grad(loss_tree)(PARAMS, x)
    g_flat = ad.grad(f)(flat)
    np.testing.assert_allclose(g_flat, ad.ravel_pytree(g_tree)[0], rtol=1e-14)
    np.testing.assert_allclose(ad.jacfwd(f)(flat), g_flat, rtol=1e-13)
    ad.check_grads(f, (flat,), order=2)
    # flattening traced values: the Jacobian of ravel is the identity
    J = ad.jacrev(lambda v: ad.ravel_pytree(unravel(v))[0])(flat)
    np.testing.assert_array_equal(J, np.eye(flat.size))


# ------------------------------------------------------------------------------------
# holomorphic=True (JAX's semantics)
# ------------------------------------------------------------------------------------
HOLO = [
    (np.sin, np.cos),
    (np.exp, np.exp),
    (lambda z: z ** 3 - 2j * z, lambda z: 3 * z ** 2 - 2j),
    (lambda z: 1.0 / (z + 2.0), lambda z: -1.0 / (z + 2.0) ** 2),
    (lambda z: np.log(z) * z, lambda z: np.log(z) + 1.0),
]


@pytest.mark.parametrize("f,df", HOLO)
def test_holomorphic_derivatives(f, df):
    z = np.complex128(0.7 + 0.4j)
    for t in (ad.grad, ad.jacfwd, ad.jacrev):
        np.testing.assert_allclose(t(f, holomorphic=True)(z), df(z), rtol=1e-13)
    # the complex derivative is the limit along any direction: central differences
    h = 1e-6
    for d in (h, 1j * h):
        np.testing.assert_allclose((f(z + d) - f(z - d)) / (2 * d), df(z), rtol=1e-8)
    # second order: the derivative of the derivative
    d2 = ad.grad(ad.grad(f, holomorphic=True), holomorphic=True)(z)
    np.testing.assert_allclose(d2, ad.jacfwd(df, holomorphic=True)(z), rtol=1e-12)
    np.testing.assert_allclose(ad.hessian(f, holomorphic=True)(z), d2, rtol=1e-12)


def test_holomorphic_jacobians_of_vectors():
    C = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    z = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    f = lambda z: np.exp(C @ z)                               # noqa: E731
    want = np.exp(C @ z)[:, None] * C
    np.testing.assert_allclose(ad.jacfwd(f, holomorphic=True)(z), want, rtol=1e-13)
    np.testing.assert_allclose(ad.jacrev(f, holomorphic=True)(z), want, rtol=1e-13)
    g = lambda z: np.sum(np.sin(C @ z))                       # noqa: E731
    np.testing.assert_allclose(ad.grad(g, holomorphic=True)(z), np.cos(C @ z) @ C,
                               rtol=1e-13)


def test_holomorphic_on_a_function_that_is_not():
    # JAX: the promise only enables complex outputs; for conj the answer is the
    # derivative of the real part of the output (1)
    assert ad.grad(np.conjugate, holomorphic=True)(np.complex128(3 + 4j)) == 1.0


def test_holomorphic_refuses_real_inputs_and_outputs():
    with pytest.raises(TypeError, match="requires inputs with complex dtype"):
        ad.grad(np.sin, holomorphic=True)(0.5)
    with pytest.raises(TypeError, match="requires inputs with complex dtype"):
        ad.jacfwd(np.sin, holomorphic=True)(X)
    with pytest.raises(TypeError, match="requires outputs with complex dtype"):
        ad.jacrev(np.abs, holomorphic=True)(X + 0j)
    with pytest.raises(TypeError, match="requires outputs with complex dtype"):
        ad.grad(lambda z: np.abs(z), holomorphic=True)(1j)
    with pytest.raises(TypeError, match="holomorphic=True"):      # without the promise
        ad.grad(np.sin)(1j)


# ------------------------------------------------------------------------------------
# A program written for autograd, ported by swapping its imports only
# ------------------------------------------------------------------------------------
AUTOGRAD_PROGRAM = '''
import autograd.numpy as np
import autograd.numpy.random as npr
from autograd import grad, elementwise_grad, hessian_vector_product, value_and_grad
from autograd.misc import flatten
from autograd.misc.optimizers import adam
from autograd.test_util import check_grads
from autograd.builtins import tuple


def make_params(sizes, scale=0.5, rs=npr.RandomState(1)):
    """A list of (weights, biases) per layer."""
    return [tuple((scale * rs.randn(m, n), scale * rs.randn(n)))
            for m, n in zip(sizes[:-1], sizes[1:])]


def softplus(x):
    return np.logaddexp(0.0, x)


def predict(params, inputs):
    for W, b in params[:-1]:
        inputs = np.tanh(np.dot(inputs, W) + b)
    W, b = params[-1]
    return (np.dot(inputs, W) + b)[:, 0]


def loss(params, inputs, labels, l2=1e-3):
    logits = predict(params, inputs)
    flat, _ = flatten(params)
    # logistic loss with labels in {-1, +1}, plus weight decay
    return np.mean(softplus(-labels * logits)) + l2 * np.dot(flat, flat)


rs = npr.RandomState(0)
inputs = rs.randn(40, 2)
labels = np.sign(inputs[:, 0] * inputs[:, 1])          # an XOR-like pattern
params = make_params([2, 8, 1])

check_grads(loss, modes=["fwd", "rev"], order=2)(params, inputs, labels)
slope = elementwise_grad(softplus)(np.linspace(-3, 3, 7))

start, _ = value_and_grad(loss)(params, inputs, labels)
objective = lambda params, step: loss(params, inputs, labels)
trace = []
params = adam(grad(objective), params, num_iters=300, step_size=0.05,
              callback=lambda params, step, g: trace.append(objective(params, step)))
final = loss(params, inputs, labels)
accuracy = np.mean(np.sign(predict(params, inputs)) == labels)

flat, unflatten = flatten(params)
flat_loss = lambda v: loss(unflatten(v), inputs, labels)
direction = rs.randn(flat.size)
curvature = hessian_vector_product(flat_loss)(flat, direction)
'''

# The whole port: the imports, nothing else.
PORT = [("import autograd.numpy.random as npr", "import numpy.random as npr"),
        ("import autograd.numpy as np", "import numpy as np"),
        ("from autograd.misc import flatten", "from dualad import flatten"),
        ("from autograd.misc.flatten import", "from dualad import"),
        ("from autograd.misc.optimizers import", "from dualad.optim import"),
        ("from autograd.test_util import", "from dualad import"),
        ("from autograd.extend import", "from dualad import"),
        ("from autograd.builtins import", "from builtins import"),
        ("from autograd import", "from dualad import")]


def port(source):
    for old, new in PORT:
        source = source.replace(old, new)
    return source


def test_an_autograd_program_runs_after_swapping_its_imports():
    ported = port(AUTOGRAD_PROGRAM)
    assert "autograd" not in ported
    changed = [(a, b) for a, b in zip(AUTOGRAD_PROGRAM.splitlines(), ported.splitlines())
               if a != b]
    assert all(a.lstrip().startswith(("import", "from")) for a, _ in changed)
    env = {}
    exec(compile(ported, "ported_autograd_program.py", "exec"), env)
    np.testing.assert_allclose(env["slope"], 1 / (1 + np.exp(-np.linspace(-3, 3, 7))),
                               rtol=1e-14)
    assert env["final"] < 0.5 * env["start"] and env["accuracy"] >= 0.9
    assert len(env["trace"]) == 300 and env["trace"][-1] < env["trace"][0]
    # the Hessian-vector product of the trained net against the full Hessian
    H = ad.hessian(env["flat_loss"])(env["flat"])
    np.testing.assert_allclose(env["curvature"], H @ env["direction"], rtol=1e-10,
                               atol=1e-12)


def test_flatten_func():
    def f(p, x):
        return {"out": np.tanh(p["W"] @ x), "s": np.sum(p["b"][1]) * p["b"][0]}
    flat_f, unravel, flat0 = ad.flatten_func(f, PARAMS)
    x = rng.standard_normal(2)
    out = flat_f(flat0, x)
    np.testing.assert_array_equal(out, ad.ravel_pytree(f(PARAMS, x))[0])
    J = ad.jacobian(flat_f)(flat0, x)
    assert J.shape == (4, flat0.size)
    np.testing.assert_allclose(J, ad.jacfwd(flat_f)(flat0, x), rtol=1e-13)


# ------------------------------------------------------------------------------------
# autograd's functional optimizers
# ------------------------------------------------------------------------------------
TARGET = {"w": np.array([1.0, -2.0, 0.5]), "b": [np.array(3.0), np.ones((2, 2))]}


def quad_loss(p):
    t = ad.ravel_pytree(TARGET)[0]
    v = ad.ravel_pytree(p)[0]
    return np.sum((v - t) ** 2 * np.arange(1.0, v.size + 1))


def quad_grad(p, i):
    return ad.grad(quad_loss)(p)


X0 = {"w": np.zeros(3), "b": [np.array(0.0), np.zeros((2, 2))]}


def test_functional_adam_matches_the_adam_class():
    got = ad.optim.adam(quad_grad, X0, num_iters=40, step_size=0.05)
    assert set(got) == {"w", "b"} and got["b"][1].shape == (2, 2)
    # the object API's Adam (same rule, PyTorch's defaults for betas and eps)
    w = ad.Tensor(ad.ravel_pytree(X0)[0], requires_grad=True)
    opt = ad.optim.Adam([w], lr=0.05, betas=(0.9, 0.999), eps=1e-8)
    unravel = ad.ravel_pytree(X0)[1]
    for _ in range(40):
        opt.zero_grad()
        quad_loss(unravel(w)).backward()
        opt.step()
    np.testing.assert_allclose(ad.ravel_pytree(got)[0], w.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["adam", "sgd", "rmsprop"])
def test_functional_optimizers_converge_and_call_back(name):
    seen = []

    def callback(x, i, g):
        seen.append(i)
        assert set(x) == {"w", "b"} and set(g) == {"w", "b"}
    opt = getattr(ad.optim, name)
    settings = {"adam": dict(step_size=0.1), "sgd": dict(step_size=0.05),
                "rmsprop": dict(step_size=0.01)}[name]
    got = opt(quad_grad, X0, callback=callback, num_iters=1500, **settings)
    assert seen == list(range(1500))
    np.testing.assert_allclose(ad.ravel_pytree(got)[0], ad.ravel_pytree(TARGET)[0],
                               atol=1e-2)


def test_sgd_and_rmsprop_follow_autograds_recurrences():
    # f(x) = x^2 / 2 in one variable: g = x, the recurrences written out
    grad1 = lambda x, i: x                                    # noqa: E731
    x, v = 1.0, 0.0
    for _ in range(5):
        v = 0.9 * v - 0.1 * x
        x = x + 0.1 * v
    np.testing.assert_allclose(ad.optim.sgd(grad1, np.array(1.0), num_iters=5), x, rtol=1e-15)
    x, a = 1.0, 1.0
    for _ in range(5):
        a = 0.9 * a + 0.1 * x * x
        x = x - 0.1 * x / (np.sqrt(a) + 1e-8)
    np.testing.assert_allclose(ad.optim.rmsprop(grad1, np.array(1.0), num_iters=5), x,
                               rtol=1e-15)


AUTOGRAD_PRIMITIVES = '''
import autograd.numpy as np
from autograd import grad, hessian
from autograd.extend import primitive, defvjp, defjvp
from autograd.test_util import check_grads


@primitive
def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def logsumexp_vjp(ans, x):
    return lambda g: g * np.exp(x - ans)


defvjp(logsumexp, logsumexp_vjp)
defjvp(logsumexp, lambda g, ans, x: np.sum(g * np.exp(x - ans)))


@primitive
def scaled_sin(x, k):
    return k * np.sin(x)


defvjp(scaled_sin, lambda ans, x, k: lambda g: g * k * np.cos(x),
       lambda ans, x, k: lambda g: np.sum(g * np.sin(x)))
defjvp(scaled_sin, lambda g, ans, x, k: g * k * np.cos(x),
       lambda g, ans, x, k: g * np.sin(x))

x = np.array([0.5, -1.0, 2.0])
check_grads(logsumexp, modes=["fwd", "rev"], order=2)(x)
check_grads(lambda x, k: np.sum(scaled_sin(x, k) ** 2), argnum=(0, 1))(x, 1.5)
g = grad(logsumexp)(x)
H = hessian(logsumexp)(x)
'''


def test_autograd_custom_primitives_port():
    env = {}
    exec(compile(port(AUTOGRAD_PRIMITIVES), "ported_primitives.py", "exec"), env)
    x = env["x"]
    p = np.exp(x) / np.sum(np.exp(x))
    np.testing.assert_allclose(env["g"], p, rtol=1e-14)
    np.testing.assert_allclose(env["H"], np.diag(p) - np.outer(p, p), rtol=1e-12, atol=1e-15)


def test_autograd_defvjp_with_argnums_and_missing_rules():
    @ad.primitive
    def f(a, x):
        return a * x ** 2
    ad.defvjp(f, lambda ans, a, x: lambda g: g * 2 * a * x, argnums=(1,))
    assert ad.grad(f, argnums=1)(3.0, 2.0) == 12.0
    with pytest.raises(ad.NotDifferentiableError, match="argument 0"):
        ad.grad(f, argnums=0)(3.0, 2.0)                    # no rule given for a
    with pytest.raises(ad.NotDifferentiableError, match="defjvp"):
        ad.jacfwd(f, argnums=1)(3.0, 2.0)
    ad.defjvp(f, None, lambda t, ans, a, x: t * 2 * a * x)
    assert ad.jacfwd(f, argnums=1)(3.0, 2.0) == 12.0
    with pytest.raises(ad.NotDifferentiableError, match="argument 0"):
        ad.jacfwd(f, argnums=0)(3.0, 2.0)
