"""The plain-array shortcuts in the rules and wrappers give what the generic path gives."""
import numpy as np
import pytest

import dualad as ad
from dualad import rules as P
from dualad.transforms.reverse import Recording as _Recording
from dualad.core.tree import flatten, unflatten

DTYPES = [np.float64, np.float32, np.complex128]


def _data(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, axis, keepdims", [
    ((5,), None, False), ((), None, False), ((3, 4), None, True), ((3, 4), (0,), False),
    ((3, 4), (1,), True), ((2, 3, 4), (0, 2), False), ((2, 3, 4), (1,), True),
    ((0, 3), (1,), False), ((0,), None, False), ((2, 1, 3), (1,), False)])
def test_sum_vjp_is_broadcast_to(dtype, shape, axis, keepdims):
    x = _data(shape, dtype)
    out = P.sum_(x, axis=axis, keepdims=keepdims)
    g = _data(np.shape(out), dtype, seed=1)
    got = P.sum_.vjp(0, g, (x,), out, {"axis": axis, "keepdims": keepdims})
    axes = P.norm_axes(axis, len(shape))
    kept = tuple(1 if d in axes else n for d, n in enumerate(shape))
    want = np.broadcast_to(np.reshape(g, kept), shape)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    assert not got.flags.writeable


def test_sum_vjp_of_a_strided_cotangent():
    g = np.arange(12.0).reshape(3, 4)[:, ::2]      # not contiguous: np.broadcast_to's way
    x = np.ones((3, 5, 2))
    got = P.sum_.vjp(0, g, (x,), P.sum_(x, axis=(1,)), {"axis": (1,)})
    np.testing.assert_array_equal(got, np.broadcast_to(g[:, None, :], (3, 5, 2)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gshape, shape", [((4, 3), (3,)), ((4, 3), (4, 1)), ((2, 4, 3), (1, 3)),
                                           ((4, 3), ()), ((4, 3), (4, 3)), ((3,), (1,))])
def test_unbroadcast_plain_equals_primitives(dtype, gshape, shape):
    g = _data(gshape, dtype)
    got = P.unbroadcast(g, shape)
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and gshape[lead + i] != 1)
    want = np.reshape(np.sum(g, axis=axes), shape)
    assert got.shape == tuple(shape) and got.dtype == want.dtype
    np.testing.assert_allclose(got, want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_elementwise_vjp_keeps_dtypes(dtype):
    x, y = _data((3, 4), dtype), _data((4,), dtype, seed=2)
    for prim in (P.add, P.subtract, P.multiply, P.power):
        args = (x, y) if prim is not P.power else (x, 2)
        out = prim(*args)
        g = _data(out.shape, dtype, seed=3)
        for i in range(1 if prim is P.power else 2):
            c = prim.vjp(i, g, args, out, {})
            assert c.shape == np.shape(args[i]) and c.dtype == np.dtype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sa, sb", [((3, 4), (4,)), ((4,), (4, 5)), ((4,), (4,))])
def test_vector_matmul_is_one_entry(dtype, sa, sb):
    a, b = _data(sa, dtype), _data(sb, dtype, seed=1)
    rec = _Recording(lambda a, b: a @ b, (a, b), (0, 1), False)
    assert len(rec.trace.generic) == 1
    np.testing.assert_allclose(rec.output(), a @ b)

    def as_matrices(a, b):     # the reshape route: a product of matrices
        a2 = a.reshape((1,) + a.shape) if a.ndim == 1 else a
        b2 = b.reshape(b.shape + (1,)) if b.ndim == 1 else b
        return np.sin(np.matmul(a2, b2)).reshape(np.shape(a @ b))

    for jac in (ad.jacrev, ad.jacfwd):
        got = jac(lambda a, b: np.sin(a @ b), argnums=(0, 1))(a, b)
        want = jac(as_matrices, argnums=(0, 1))(a, b)
        for u, v in zip(got, want):
            assert u.dtype == v.dtype and u.shape == v.shape
            np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("sa, sb", [((3, 4), (4,)), ((4,), (4, 5)), ((4,), (4,))])
def test_vector_matmul_second_order(sa, sb):
    a, b = _data(sa, np.float64), _data(sb, np.float64, seed=1)
    ad.check_grads(lambda a, b: np.tanh(a @ b), (a, b), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("tree", [np.ones(3), 1.5, np.float64(2.0), (np.ones(2), 1.0),
                                  [np.ones(2), (3.0, None)], {"b": 1.0, "a": np.zeros(1)}])
def test_flatten_round_trip(tree):
    leaves, treedef = flatten(tree)
    again = unflatten(treedef, leaves)
    assert type(again) is type(tree)
    leaves2, treedef2 = flatten(again)
    assert treedef2 == treedef and all(a is b for a, b in zip(leaves2, leaves))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_grad_of_sum_is_a_fresh_array_of_the_input_dtype(dtype):
    x = np.linspace(-1.0, 1.0, 7).astype(dtype)
    g = ad.grad(lambda x: np.sum(x * x))(x)
    assert g.dtype == np.dtype(dtype)
    np.testing.assert_allclose(g, 2 * x, rtol=1e-6)
    v, g0 = ad.value_and_grad(lambda x: np.sum(x))(x)
    np.testing.assert_array_equal(g0, np.ones_like(x))
    assert g0.dtype == np.dtype(dtype)


def test_grad_leaves_no_reference_cycles():
    """Tapes are freed by reference counting, not left to the cyclic collector."""
    import gc
    params = (np.ones((3, 2)), np.zeros(2))
    f = lambda p, x: np.sum(np.tanh(x @ p[0] + p[1]) ** 2)   # noqa: E731
    x = np.linspace(0.0, 1.0, 6).reshape(2, 3)
    ad.grad(f)(params, x)
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            ad.grad(f)(params, x)
            ad.jacrev(lambda v: np.sin(x @ v))(np.ones(3))
        assert gc.collect() == 0
    finally:
        gc.enable()
