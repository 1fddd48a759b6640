"""User-defined primitives: their own rules are used in both modes and at second order."""
import numpy as np
import pytest

import dualad as ad
from dualad.transforms.custom import primitive


def make_logsumexp():
    calls = {"jvp": 0, "vjp": 0}

    @primitive
    def logsumexp(x):
        m = np.max(x)
        return m + np.log(np.sum(np.exp(x - m)))

    @logsumexp.defjvp
    def _(tangents, out, x):
        calls["jvp"] += 1
        (t,) = tangents
        return np.sum(np.exp(x - out) * t)

    @logsumexp.defvjp
    def _(g, out, x):
        calls["vjp"] += 1
        return (g * np.exp(x - out),)

    return logsumexp, calls


X = np.array([0.3, -1.2, 2.0, 0.7])


def softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def test_rules_are_used_in_both_modes():
    lse, calls = make_logsumexp()
    np.testing.assert_allclose(ad.grad(lse)(X), softmax(X), rtol=1e-14)
    assert calls["vjp"] == 1
    np.testing.assert_allclose(ad.jacfwd(lse)(X), softmax(X), rtol=1e-14)
    assert calls["jvp"] == X.size   # one call per direction (chunked jacfwd, one pass)


def test_second_order_through_the_rules():
    lse, _ = make_logsumexp()
    p = softmax(X)
    want = np.diag(p) - np.outer(p, p)
    np.testing.assert_allclose(ad.hessian(lse)(X), want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ad.jacrev(ad.grad(lse))(X), want, rtol=1e-12, atol=1e-14)
    ad.check_grads(lambda x: lse(np.sin(x)) * x[0], (X,), order=2)


def test_missing_rule_names_the_primitive():
    @primitive
    def cube(x):
        return x ** 3

    @cube.defvjp
    def _(g, out, x):
        return (3 * g * x ** 2,)

    assert ad.grad(cube)(2.0) == pytest.approx(12.0)
    with pytest.raises(ad.NotDifferentiableError, match="cube.*defjvp"):
        ad.jvp(cube, (2.0,), (1.0,))


def test_rule_with_two_arguments_and_a_constant():
    @primitive
    def scaled_dot(a, b, scale=1.0):
        return scale * np.dot(a, b)

    @scaled_dot.defjvp
    def _(tangents, out, a, b, scale=1.0):
        ta, tb = tangents
        return scale * (np.dot(ta, b) + np.dot(a, tb))

    @scaled_dot.defvjp
    def _(g, out, a, b, scale=1.0):
        return scale * g * b, scale * g * a

    a, b = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    ga, gb = ad.grad(lambda a, b: scaled_dot(a, b, scale=2.0), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga, 2 * b)
    np.testing.assert_allclose(gb, 2 * a)
    J = ad.jacfwd(lambda b: scaled_dot(a, b, scale=2.0))(b)
    np.testing.assert_allclose(J, 2 * a)
