"""Issue 12, item 9 (the parts outside in-place writes and conversions): det at a
singular matrix gives the adjugate, 5.0 // t and divmod work like t // c, t.view(),
t.flat and t.mT exist, np.hstack / np.concatenate / np.stack honour dtype=."""
import numpy as np
import pytest

import dualad as ad

SINGULAR = {
    "rank 1, 2x2": np.array([[1.0, 2.0], [2.0, 4.0]]),
    "rank 2, 3x3": np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]),
    "rank 1, 3x3": np.outer([1.0, 2.0, -1.0], [0.5, 1.0, 3.0]),
    "zero, 3x3": np.zeros((3, 3)),
    "stack": np.stack([np.eye(2), [[1.0, 2.0], [2.0, 4.0]]]),
}


def cofactors(a):
    n = a.shape[-1]
    c = np.zeros_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, axis=-2), j, axis=-1)
            c[..., i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return c


@pytest.mark.parametrize("name", list(SINGULAR))
def test_det_at_singular_matrices(name):
    a = SINGULAR[name]
    f = lambda a: np.sum(np.linalg.det(a))        # noqa: E731
    want = cofactors(a)
    np.testing.assert_allclose(ad.grad(f)(a), want, atol=1e-12)
    np.testing.assert_allclose(ad.jacfwd(f)(a), want, atol=1e-12)
    # second order: the Hessian against central differences of the exact gradient
    if a.ndim == 2:
        h = ad.hessian(f)(a)
        eps = 1e-6
        for i, j in np.ndindex(a.shape):
            e = np.zeros_like(a)
            e[i, j] = eps
            fd = (cofactors(a + e) - cofactors(a - e)) / (2 * eps)
            np.testing.assert_allclose(h[..., i, j], fd, atol=1e-6)


def test_floor_division_and_divmod_from_either_side():
    assert ad.grad(lambda t: 5.0 // t + t)(2.0) == 1.0
    assert ad.grad(lambda t: divmod(t, 2.0)[1])(3.0) == 1.0
    assert ad.grad(lambda t: divmod(7.0, t)[1])(3.0) == -2.0      # 7 - t floor(7 / t)
    assert ad.jvp(lambda t: divmod(7.0, t)[1], (3.0,), (1.0,))[1] == -2.0
    q, r = divmod(np.array([7.0, -7.0]), 3.0)
    x = np.array([7.0, -7.0])
    np.testing.assert_array_equal(ad.jacrev(lambda x: divmod(x, 3.0)[1])(x), np.eye(2))
    np.testing.assert_array_equal(ad.jacfwd(lambda x: divmod(10.0, x)[1])(x),
                                  np.diag(-np.floor(10.0 / x)))


def test_view_flat_and_mT():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(ad.grad(lambda x: np.sum(x.view() ** 2))(x), 2 * x)
    np.testing.assert_array_equal(ad.grad(lambda x: x.flat[4] * 3.0)(x),
                                  np.where(np.arange(6).reshape(2, 3) == 4, 3.0, 0.0))
    np.testing.assert_array_equal(ad.jacfwd(lambda x: sum(v * v for v in x.flat))(x), 2 * x)
    a = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0]])
    np.testing.assert_array_equal(ad.grad(lambda x: np.sum(x.mT * a.T))(x), a)
    with pytest.raises(ad.NotDifferentiableError, match="astype"):
        ad.grad(lambda x: np.sum(x.view(np.int64)))(x)


@pytest.mark.parametrize("join", [np.hstack, np.vstack, np.concatenate, np.stack])
def test_joining_honours_dtype(join):
    x = np.array([1.0, 2.0])
    out, t = ad.jvp(lambda x: join([x, 2.0 * x], dtype=np.float32), (x,), (np.ones(2),))
    want = join([x, 2.0 * x], dtype=np.float32)
    assert out.dtype == t.dtype == np.float32
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(t, join([np.ones(2), 2.0 * np.ones(2)]))
    g = ad.grad(lambda x: np.sum(join([x, x], dtype=np.float32)))(x)
    np.testing.assert_array_equal(g, [2.0, 2.0])
    with pytest.raises(TypeError, match="Cannot cast"):
        ad.grad(lambda x: np.sum(join([x, x], dtype=np.int64)))(x)
