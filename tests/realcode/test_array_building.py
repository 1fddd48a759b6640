"""Arrays built from traced values (issue 13, item 1): np.array([...]) of traced scalars,
mixed lists, np.full, np.r_, np.c_, np.append, np.fromiter, and lists passed to NumPy's
reductions. NumPy builds object arrays of the boxes; dualad makes them one box where they
meet it. Every idiom is checked against central differences in forward and reverse mode,
at first and second order (dualad.check_grads)."""
import numpy as np
import pytest

import dualad as ad

X = np.array([0.5, 1.2, -0.7])

IDIOMS = {
    "np.array of traced scalars": lambda x: np.array([x[0] * x[1], np.sin(x[2]), 2.0]),
    "np.array column of scalars": lambda x: np.array([[x[0] ** 2], [x[1] * x[2]]]),
    "np.array of traced rows": lambda x: np.array([x, x ** 2]),
    "np.asarray of a mixed list": lambda x: np.asarray([1.0, x[0], 3, x[1] / x[2]]),
    "np.asarray of a traced array": lambda x: np.exp(np.asarray(x)) * x,
    "np.full": lambda x: np.full(3, x[0]) * x,
    "np.full 2-d": lambda x: np.full((2, 2), x[1] ** 2).sum(axis=0),
    "np.r_": lambda x: np.r_[x[0], 1.0, x[1:] ** 2],
    "np.c_": lambda x: np.c_[[x[0], x[1]], [1.0, x[2]]],
    "np.append": lambda x: np.append(x, x[0] * x[1]),
    "np.append to a plain list": lambda x: np.append([1.0], x[0] ** 3),
    "np.fromiter dtype=object": lambda x: np.fromiter((x[i] ** 2 for i in range(3)),
                                                      dtype=object),
    "np.mean of a list": lambda x: np.mean([x[0], x[1] * x[2]]),
    "np.std of a list": lambda x: np.std([x[0], x[1] * x[2], 1.0]),
    "np.var of a list": lambda x: np.var([x[0], x[1] * x[2], 1.0]),
    "np.linalg.norm of a list": lambda x: np.linalg.norm([x[0], x[1] * x[2]]),
    "np.dot of lists": lambda x: np.dot([x[0], x[1]], [x[2], 2.0]),
    "np.sum of a list": lambda x: np.sum([x[0], x[1] ** 2]),
    "ufuncs on the built array": lambda x: np.tanh(np.array([x[0], x[1]])) ** 2,
    "built array + traced array": lambda x: np.array([x[0], x[1]]) + x[1:],
    "traced @ built": lambda x: x[:2] @ np.array([x[2], x[0]]),
    "concatenate traced and built": lambda x: np.concatenate([x, np.array([x[0] * 2])]),
    "stack traced and built": lambda x: np.stack([x[:2], np.array([x[2], 1.0])]),
    "returned in a tuple": lambda x: (np.array([x[0], x[1]]), [np.array([x[2]])]),
}


@pytest.mark.parametrize("name", sorted(IDIOMS))
def test_idiom_derivatives_match_finite_differences(name):
    ad.check_grads(IDIOMS[name], (X,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", sorted(IDIOMS))
def test_idiom_jacobians_agree_across_modes(name):
    f = IDIOMS[name]
    fwd, rev = ad.jacfwd(f)(X), ad.jacrev(f)(X)
    for a, b in zip(*(ad.core.tree.flatten(j)[0] for j in (fwd, rev))):
        assert np.asarray(a).dtype.kind == "f"        # never an object array
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_np_array_is_the_same_array_as_np_stack():
    f = IDIOMS["np.array of traced scalars"]
    g = lambda x: np.stack([x[0] * x[1], np.sin(x[2]), 2.0])   # noqa: E731
    np.testing.assert_array_equal(ad.jacfwd(f)(X), ad.jacfwd(g)(X))
    np.testing.assert_array_equal(ad.jacrev(f)(X), ad.jacrev(g)(X))
    value, _ = ad.jvp(f, (X,), (np.ones(3),))
    assert value.dtype == np.float64 and value.shape == (3,)


def test_object_api_tensors_built_into_arrays_keep_the_graph():
    w = ad.Tensor(X, requires_grad=True)
    v = np.array([w[0] * w[1], np.sin(w[2])])          # an object array of tensors
    loss = w[:2] @ v + np.sum(np.exp(np.asarray(w)))     # pack where it meets the matmul
    loss.backward()
    want = np.exp(X) + np.array([2 * X[0] * X[1], X[0] ** 2 + np.sin(X[2]),
                                 X[1] * np.cos(X[2])])
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-14)
    # tensors that do not require grad are data: np.array of them is a plain array
    t = ad.Tensor([1.0, 2.0])
    assert np.array([t[0], t[1]]).dtype == np.float64


def test_sympy_lambdify_matrix_output_is_differentiable():
    sympy = pytest.importorskip("sympy")
    a, b, c = sympy.symbols("a b c")
    rhs = sympy.lambdify((a, b, c), sympy.Matrix([a * b, sympy.sin(c) * a]), modules="numpy")
    f = lambda x: rhs(x[0], x[1], x[2])        # noqa: E731  (returns np.array([[.], [.]]))
    ad.check_grads(f, (X,), order=2, modes=("fwd", "rev"))
    J = ad.jacrev(f)(X)
    want = np.array([[[X[1], X[0], 0.0]], [[np.sin(X[2]), 0.0, X[0] * np.cos(X[2])]]])
    np.testing.assert_allclose(J, want, rtol=1e-15)


def test_object_arrays_of_traced_arrays_name_np_stack():
    def f(x):
        a = np.empty(2, dtype=object)
        a[0], a[1] = x, x          # whole arrays in the cells: no shape NumPy can see
        return a
    with pytest.raises(ValueError, match=r"np\.stack"):
        ad.jacfwd(f)(X)


def test_conversions_to_a_float_dtype_still_raise():
    with pytest.raises(ad.ConcretizationError, match="float64"):
        ad.grad(lambda x: np.sum(np.asarray(x, dtype=float)))(X)
    with pytest.raises(ad.ConcretizationError, match="float64"):
        ad.grad(lambda x: np.sum(np.array([x[0], x[1]], dtype=np.float64)))(X)


@pytest.mark.parametrize("transform", [ad.jacfwd, ad.jacrev])
def test_an_unpickled_object_array_of_numbers_never_drops_a_derivative(transform):
    import pickle
    c = pickle.loads(pickle.dumps(np.array([1.0, 2.0, 3.0], dtype=object)))
    assert c.dtype == object and c.dtype is not np.dtype(object)   # not the canonical one
    np.testing.assert_allclose(transform(lambda x: x * c)(X), np.diag([1.0, 2.0, 3.0]))
