"""Each transform on a function with a known derivative: jvp, jacfwd, vjp, grad,
value_and_grad, jacrev, jacobian's modes, hessian, hvp."""

import numpy as np
import pytest

import dualad as ad
from known_functions import X3, f_mix, f_mix_jac, scalar_f, scalar_grad, scalar_hess


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
