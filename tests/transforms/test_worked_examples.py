"""Worked textbook examples through the functional API: a scalar function, an MLP with
weight decay against its hand-derived backprop, layerwise deltas, a symbolic derivative."""

import numpy as np
import pytest

import dualad as ad


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
