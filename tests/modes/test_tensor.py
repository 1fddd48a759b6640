"""The object API: Tensor, backward(), .grad, no_grad, detach, grad_fn; and its agreement
with the functional API on random programs."""
import gc
import weakref

import numpy as np
import pytest
from hypothesis import given, strategies as st

import dualad as ad
from dualad import Tensor
from dualad.modes.tensor import GraphFreedError, TensorError


# ------------------------------------------------------------------------------------
# Construction, attributes, printing
# ------------------------------------------------------------------------------------
def test_construction_copies_and_reports_attributes():
    data = np.arange(6.0).reshape(2, 3)
    t = Tensor(data, requires_grad=True)
    data[0, 0] = 100.0  # the tensor holds its own copy
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and t.dtype == np.float64
    assert t.numpy()[0, 0] == 0.0
    assert t.requires_grad and t.is_leaf and t.grad_fn is None and t.grad is None
    assert Tensor([1, 2, 3]).dtype.kind == "i"
    assert Tensor([1, 2], dtype=float).dtype == np.float64
    assert Tensor(2.5).item() == 2.5 and isinstance(Tensor(2.5).item(), float)


def test_explicit_values_are_read_only_views():
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError):
        t.numpy()[0] = 5.0  # a write would corrupt values saved in a graph
    with pytest.raises(ValueError):
        t.data[0] = 5.0
    t.data = np.array([3.0, 4.0])  # rebinding is fine
    assert t.tolist() == [3.0, 4.0]


def test_requires_grad_needs_floats_and_leaves():
    with pytest.raises(TypeError, match="floating-point"):
        Tensor([1, 2], requires_grad=True)
    x = Tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    y = x * 2
    with pytest.raises(TensorError, match="leaf"):
        y.requires_grad_(False)
    x.requires_grad = False
    assert not x.requires_grad


def test_printing_names_the_operation():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "Tensor([1., 2.], requires_grad=True)"
    y = np.tanh(x)
    assert "grad_fn=<tanh>" in repr(y) and str(y) == repr(y)
    assert y.grad_fn.name == "tanh" and not y.is_leaf
    assert repr(Tensor(3.0)) == "Tensor(3.)"
    assert f"{(x * x).sum():.2f}" == "5.00"


def test_grad_fn_names_each_operation():
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    assert (x + 1).grad_fn.name == "add"
    assert (x * x).grad_fn.name == "multiply"
    assert (x @ x).grad_fn.name == "matmul"
    assert np.sum(x).grad_fn.name == "sum"
    assert x.T.grad_fn.name == "transpose"
    assert x[0].grad_fn.name == "getitem"
    assert np.exp(x).grad_fn.name == "exp"


def test_plain_numpy_functions_work_on_tensors():
    rng = np.random.default_rng(0)
    a, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    x, W = Tensor(a), Tensor(w, requires_grad=True)
    h = np.tanh(x @ W)
    assert isinstance(h, Tensor) and h.requires_grad
    np.testing.assert_allclose(h.numpy(), np.tanh(a @ w))
    s = np.sum(h)
    assert isinstance(s, Tensor) and s.shape == ()
    np.testing.assert_allclose(np.mean(h, axis=0).numpy(), np.tanh(a @ w).mean(axis=0))
    np.testing.assert_allclose((a @ W).numpy(), a @ w)  # ndarray @ Tensor
    np.testing.assert_allclose(np.maximum(W, 0.0).numpy(), np.maximum(w, 0.0))
    mask = W > 0  # comparisons give plain boolean arrays
    assert isinstance(mask, np.ndarray) and mask.dtype == bool


def test_results_of_untracked_tensors_are_tensors_without_grad():
    x = Tensor([1.0, 2.0])
    y = np.sin(x) * 2
    assert isinstance(y, Tensor) and not y.requires_grad and y.is_leaf and y.grad_fn is None
    with pytest.raises(TensorError, match="does not require grad"):
        y.sum().backward()


def test_float_and_asarray_refuse_only_tracked_tensors():
    x = Tensor(2.0, requires_grad=True)
    for convert in (float, int, lambda t: np.asarray(t, dtype=float)):
        with pytest.raises(TensorError, match="drop its gradient"):
            convert(x)
    # np.asarray without a dtype keeps the tensor (an object array, as for other boxes)
    assert np.asarray(x).dtype == object and np.asarray(x)[()] is x
    d = x.detach()
    assert float(d) == 2.0 and int(d) == 2 and np.asarray(d) == 2.0
    assert x.item() == 2.0 and ad.primal(x) == 2.0


# ------------------------------------------------------------------------------------
# backward()
# ------------------------------------------------------------------------------------
def test_scalar_backward_and_accumulation_until_zeroed():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])
    (x * x).sum().backward()  # a new graph: gradients add up
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0, 12.0])
    x.grad.zero_()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    x.grad = None
    (3 * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0, 3.0])


def test_non_scalar_backward_needs_a_gradient_of_the_output_shape():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    with pytest.raises(TensorError, match=r"scalar output.*shape \(3,\).*gradient="):
        y.backward()
    with pytest.raises(ValueError, match="shape"):
        y.backward(np.ones(2))
    v = np.array([1.0, 0.5, -1.0])
    y.backward(v)
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.array([1.0, 2.0, 3.0]) * v)


def test_one_element_output_needs_no_gradient():
    x = Tensor([[2.0]], requires_grad=True)
    (x * x).backward()
    assert x.grad.shape == (1, 1) and x.grad.item() == 4.0


def test_second_backward_needs_retain_graph():
    x = Tensor(2.0, requires_grad=True)
    y = x ** 3
    y.backward(retain_graph=True)
    y.backward()  # allowed: the first call kept the saved values
    assert x.grad.item() == pytest.approx(2 * 12.0)
    with pytest.raises(GraphFreedError, match="retain_graph=True"):
        y.backward()
    assert x.grad.item() == pytest.approx(24.0)  # the failed call changed nothing
    assert y.grad_fn.freed


def test_backward_through_a_shared_freed_subgraph_raises():
    x = Tensor(1.0, requires_grad=True)
    h = np.exp(x)
    (h * 2).backward()
    with pytest.raises(GraphFreedError, match="'exp'"):
        (h * 3).backward()


def test_backward_on_a_leaf_accumulates_the_seed():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.backward(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_fan_out_and_reuse_accumulate():
    x = Tensor(0.7, requires_grad=True)
    a = np.sin(x)
    y = a * a + a * x + x
    y.backward()
    want = 2 * np.sin(0.7) * np.cos(0.7) + np.cos(0.7) * 0.7 + np.sin(0.7) + 1
    assert x.grad.item() == pytest.approx(want, rel=1e-14)


def test_deep_graph_needs_no_recursion():
    x = Tensor(0.5, requires_grad=True)
    y = x
    for _ in range(20000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad.item() == 1.0


def test_graph_is_freed_with_its_output():
    w = Tensor(np.ones(3), requires_grad=True)
    loss = np.sum(np.tanh(w * 2.0))
    node = weakref.ref(loss.grad_fn)
    inner = weakref.ref(loss.grad_fn.parents[0])
    del loss
    gc.collect()
    assert node() is None and inner() is None


def test_training_loop_does_not_grow():
    w = Tensor(np.ones(3), requires_grad=True)
    for _ in range(5):
        np.sum(w * w).backward()
    gc.collect()
    # the only objects alive are the leaf and its gradient: no tape kept anywhere
    from dualad.modes.tensor import Node
    assert not [o for o in gc.get_objects() if type(o) is Node and o.parents
                and any(p is w for p in o.parents)]


# ------------------------------------------------------------------------------------
# no_grad, detach, in-place updates
# ------------------------------------------------------------------------------------
def test_no_grad_block_and_decorator():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert ad.is_grad_enabled()
    with ad.no_grad():
        assert not ad.is_grad_enabled()
        y = x * 2
        with ad.enable_grad():
            z = x * 2
    assert ad.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert z.requires_grad and z.grad_fn.name == "multiply"

    @ad.no_grad()
    def f(t):
        return t * t
    assert not f(x).requires_grad and ad.is_grad_enabled()


def test_no_grad_does_not_zero_a_functional_grad_called_inside_it():
    # A grad started inside the block is a new differentiation (as torch.func.grad):
    # it must not silently return zeros.
    with ad.no_grad():
        g = ad.grad(lambda v: v * v)(3.0)
        y = Tensor(2.0, requires_grad=True) * 3.0
    assert g == 6.0
    assert not y.requires_grad and y.grad_fn is None


def test_detach_cuts_the_graph():
    x = Tensor(2.0, requires_grad=True)
    y = x * x
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.item() == 4.0
    (d * x).backward()
    assert x.grad.item() == 4.0  # d is a constant: d(d * x)/dx = d


def test_inplace_update_rules():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with pytest.raises(TensorError, match="no_grad"):
        w -= 0.1 * w.grad
    with ad.no_grad():
        w -= 0.1 * w.grad
        w[0] = 5.0
    np.testing.assert_allclose(w.numpy(), [5.0, 1.6])
    assert w.is_leaf and w.requires_grad
    y = w * 1.0
    with pytest.raises(TensorError, match="made by 'multiply'"):
        with ad.no_grad():
            y += 1.0
    c = Tensor([0.0, 0.0])
    c += 1.0
    np.testing.assert_array_equal(c.numpy(), [1.0, 1.0])
    c += w * w  # recorded (as torch does): c now depends on w
    assert c.requires_grad and not c.is_leaf
    w.grad = None
    c.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.numpy())


def test_inplace_update_keeps_a_retained_graph_correct():
    w = Tensor(3.0, requires_grad=True)
    y = w * w
    y.backward(retain_graph=True)
    with ad.no_grad():
        w -= 1.0  # binds a new value; y's saved w is untouched
    w.grad = None
    y.backward()
    assert w.grad.item() == 6.0 and w.item() == 2.0


# ------------------------------------------------------------------------------------
# Mixing with the functional API
# ------------------------------------------------------------------------------------
def test_functional_grad_of_a_function_using_tensors():
    W = Tensor(np.arange(3.0), requires_grad=True)
    g = ad.grad(lambda v: np.sum(W * np.sin(v)))(np.ones(3))
    np.testing.assert_allclose(np.asarray(ad.primal(g)), np.arange(3.0) * np.cos(1.0))


def test_functional_grad_of_a_tensor_records_on_its_graph():
    # grad(f)(x) with x a Tensor is a Tensor on x's graph: backward gives f''(x)
    x = Tensor(1.5, requires_grad=True)
    g = ad.grad(lambda u: u ** 3)(x)
    assert isinstance(g, Tensor) and g.item() == pytest.approx(3 * 1.5 ** 2)
    g.backward()
    assert x.grad.item() == pytest.approx(6 * 1.5)


def test_tensor_of_a_traced_value_is_refused():
    with pytest.raises(TensorError, match="Tracer"):
        ad.grad(lambda v: Tensor(v, requires_grad=True).sum())(np.ones(3))
    with pytest.raises(TensorError, match="Dual"):
        ad.jvp(lambda v: Tensor(v), (1.0,), (1.0,))


def test_custom_primitives_work_on_tensors():
    @ad.primitive
    def logsumexp(x):
        m = np.max(x)
        return m + np.log(np.sum(np.exp(x - m)))

    @logsumexp.defvjp
    def _(g, out, x):
        return (g * np.exp(x - out),)

    a = np.array([1.0, 2.0, 3.0])
    x = Tensor(a, requires_grad=True)
    y = logsumexp(x)
    assert y.grad_fn.name == "logsumexp"
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), ad.grad(logsumexp)(a), rtol=1e-15)
    np.testing.assert_allclose(x.grad.numpy(), np.exp(a) / np.sum(np.exp(a)), rtol=1e-14)

# ------------------------------------------------------------------------------------
# The object API and the functional API agree on random programs
# ------------------------------------------------------------------------------------
UNARY = {
    "sin": np.sin, "cos": np.cos, "tanh": np.tanh,
    "exp_tanh": lambda a: np.exp(np.tanh(a)),
    "square": lambda a: a * a, "cube": lambda a: a ** 3,
    "softabs": lambda a: np.sqrt(a * a + 1.0), "log1p_sq": lambda a: np.log1p(a * a),
    "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)), "relu": lambda a: np.maximum(a, 0.0),
    "leaky": lambda a: np.where(a > 0, a, 0.1 * a), "abs": np.abs,
    "affine": lambda a: 2.5 * a - 1.0, "neg": lambda a: -a,
    "T": lambda a: a.T, "flip": lambda a: a[::-1], "cols": lambda a: a[:, [2, 0, 1]],
    "center": lambda a: a - np.mean(a, axis=0, keepdims=True),
    "rowscale": lambda a: a * np.sum(a, axis=1, keepdims=True),
    "roundtrip": lambda a: np.reshape(np.ravel(a), (3, 3)),
}
BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0), "matmul": lambda a, b: (a @ b) / 3.0,
    "max": np.maximum, "min": np.minimum, "arctan2": lambda a, b: np.arctan2(a, b * b + 1.0),
    "stackmean": lambda a, b: np.mean(np.stack([a, b]), axis=0),
    "concat": lambda a, b: np.concatenate([a, b], axis=0)[2:5],
    "bcast": lambda a, b: a + np.sum(b, axis=0),
}
OPS = sorted(UNARY) + sorted(BINARY)
program_st = st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 99), st.integers(0, 99)),
                      min_size=1, max_size=8)
SCALAR_OPS = ["sin", "cos", "tanh", "exp_tanh", "square", "cube", "softabs", "log1p_sq",
              "sigmoid", "affine", "neg", "add", "sub", "mul", "div", "arctan2"]
scalar_program_st = st.lists(
    st.tuples(st.sampled_from(SCALAR_OPS), st.integers(0, 99), st.integers(0, 99)),
    min_size=1, max_size=10)


def run_program(program, x, y, weights):
    values = [x, y]
    for name, i, j in program:
        a, b = values[i % len(values)], values[j % len(values)]
        values.append(UNARY[name](a) if name in UNARY else BINARY[name](a, b))
    return np.sum(values[-1] * weights) + np.mean(values[len(values) // 2])


def _inputs(seed, shape):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), rng.standard_normal(shape), rng.standard_normal(shape)


def _assert_same(leaf, fun):
    # a leaf the output does not depend on keeps grad None (PyTorch's convention)
    obj = np.zeros(np.shape(fun)) if leaf.grad is None else leaf.grad.numpy()
    np.testing.assert_allclose(obj, fun, rtol=1e-13, atol=1e-13)


@given(program_st, st.integers(0, 2 ** 32 - 1))
def test_object_and_functional_gradients_agree_on_random_programs(program, seed):
    x, y, c = _inputs(seed, (3, 3))
    fx, fy = ad.grad(lambda a, b: run_program(program, a, b, c), argnums=(0, 1))(x, y)
    X, Y = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
    out = run_program(program, X, Y, c)
    assert out.item() == pytest.approx(float(run_program(program, x, y, c)), rel=1e-14)
    out.backward()
    _assert_same(X, fx)
    _assert_same(Y, fy)


@given(scalar_program_st, st.floats(-2, 2), st.floats(-2, 2))
def test_object_and_functional_gradients_agree_on_scalar_programs(program, x, y):
    fx, fy = ad.grad(lambda a, b: run_program(program, a, b, 1.0), argnums=(0, 1))(x, y)
    X, Y = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
    run_program(program, X, Y, 1.0).backward()
    _assert_same(X, fx)
    _assert_same(Y, fy)


@given(program_st, st.integers(0, 2 ** 32 - 1))
def test_non_scalar_backward_agrees_with_functional_vjp(program, seed):
    x, y, v = _inputs(seed, (3, 3))

    def f(a, b):
        values = [a, b]
        for name, i, j in program:
            p, q = values[i % len(values)], values[j % len(values)]
            values.append(UNARY[name](p) if name in UNARY else BINARY[name](p, q))
        return values[-1]

    out, pull = ad.vjp(f, x, y)
    fx, fy = pull(v)
    X, Y = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
    T = f(X, Y)
    np.testing.assert_allclose(T.numpy(), out, rtol=1e-14)
    T.backward(v)
    _assert_same(X, fx)
    _assert_same(Y, fy)


def test_copy_and_pickle_leaves():
    import copy
    import pickle
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    for c in (copy.deepcopy(w), pickle.loads(pickle.dumps(w))):
        assert c is not w and c.requires_grad and c.is_leaf
        np.testing.assert_array_equal(c.numpy(), [1.0, 2.0])
        np.testing.assert_array_equal(c.grad.numpy(), [2.0, 4.0])
        (c * 3.0).sum().backward()  # the copy is a tensor like any other
        np.testing.assert_array_equal(c.grad.numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])
    with pytest.raises(TensorError, match="leaf"):
        copy.deepcopy(w * 2.0)
