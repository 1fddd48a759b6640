"""The worked examples A-E of the reference material (shared/SEEDS.md), through the
object API: Tensor(requires_grad=True), backward(), .grad, dualad.optim."""
import numpy as np
import pytest

import dualad as ad
from dualad import Tensor


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_A_mean_of_3_y_squared():
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    y = x + 2
    z = 3 * y * y
    out = z.mean()
    assert y.grad_fn is not None and x.grad_fn is None and x.is_leaf
    assert out.item() == 27.0
    out.backward()
    # d out / d x_i = 3/2 (x_i + 2) = 4.5
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 2), 4.5))


def test_B_scalar_function_of_two_leaves():
    x = Tensor(2.0, requires_grad=True)
    y = Tensor(3.0, requires_grad=True)
    f = x * y + np.sin(x)
    f.backward()
    # x.grad = y + cos(x) = 3 + cos 2 = 2.5839... (not 3.4161, a slip in one article)
    assert x.grad.item() == pytest.approx(3 + np.cos(2.0), rel=1e-15)
    assert round(x.grad.item(), 4) == 2.5839
    assert y.grad.item() == 2.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_C_one_hidden_layer_mlp_with_weight_decay(seed):
    rng = np.random.default_rng(seed)
    d, hdim, q, lam = 4, 5, 3, 0.1
    x, y = rng.standard_normal(d), rng.standard_normal(q)
    W1 = Tensor(rng.standard_normal((hdim, d)), requires_grad=True)
    W2 = Tensor(rng.standard_normal((q, hdim)), requires_grad=True)

    z = W1 @ x
    h = np.tanh(z)                          # phi = tanh
    o = W2 @ h
    L = 0.5 * np.sum((o - y) ** 2)          # squared loss
    s = lam / 2 * (np.sum(W1 * W1) + np.sum(W2 * W2))
    J = L + s
    J.backward()

    # the closed forms of the textbook's backward propagation
    w1, w2 = W1.numpy(), W2.numpy()
    zv = w1 @ x
    hv = np.tanh(zv)
    dJ_do = w2 @ hv - y
    dJ_dW2 = np.outer(dJ_do, hv) + lam * w2
    dJ_dh = w2.T @ dJ_do
    dJ_dz = dJ_dh * (1 - np.tanh(zv) ** 2)
    dJ_dW1 = np.outer(dJ_dz, x) + lam * w1
    np.testing.assert_allclose(W2.grad.numpy(), dJ_dW2, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(W1.grad.numpy(), dJ_dW1, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("seed", [0, 1])
def test_D_multilayer_perceptron_deltas(seed):
    rng = np.random.default_rng(seed)
    sizes = [6, 5, 4, 3]
    Ws = [Tensor(rng.standard_normal((m, n)) * 0.8, requires_grad=True)
          for n, m in zip(sizes[:-1], sizes[1:])]
    bs = [Tensor(rng.standard_normal(m) * 0.1, requires_grad=True) for m in sizes[1:]]
    x, y = rng.standard_normal(sizes[0]), rng.uniform(size=sizes[-1])

    a = x
    for W, b in zip(Ws, bs):
        a = sigmoid(W @ a + b)
    loss = 0.5 * np.sum((a - y) ** 2)
    loss.backward()

    # by hand: delta(L) = (a(L) - y) * s'(z(L)), delta(l) = s'(z(l)) * (W(l+1)^T delta(l+1))
    acts, zs, av = [x], [], x
    for W, b in zip(Ws, bs):
        zs.append(W.numpy() @ av + b.numpy())
        av = 1 / (1 + np.exp(-zs[-1]))
        acts.append(av)
    dsig = [sigmoid(zl) * (1 - sigmoid(zl)) for zl in zs]
    delta = (acts[-1] - y) * dsig[-1]
    for l in range(len(Ws) - 1, -1, -1):
        np.testing.assert_allclose(Ws[l].grad.numpy(), np.outer(delta, acts[l]),
                                   rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(bs[l].grad.numpy(), delta, rtol=1e-12, atol=1e-15)
        if l:
            delta = dsig[l - 1] * (Ws[l].numpy().T @ delta)


def test_E_linear_regression_with_sgd():
    rng = np.random.default_rng(0)
    w_true, b_true = 2.0, -1.0
    x = rng.uniform(-5, 5, size=200)
    y = w_true * x + b_true + 0.05 * rng.standard_normal(200)

    w = Tensor(0.0, requires_grad=True)
    b = Tensor(0.0, requires_grad=True)
    opt = ad.optim.SGD([w, b], lr=0.01)
    losses = []
    for epoch in range(1000):
        opt.zero_grad()
        loss = np.mean((w * x + b - y) ** 2)
        loss.backward()
        opt.step()
        losses.append(loss.item())

    # the generating parameters, up to the noise ...
    assert w.item() == pytest.approx(w_true, abs=0.01)
    assert b.item() == pytest.approx(b_true, abs=0.01)
    # ... and exactly the least-squares fit the noise allows
    (w_ls, b_ls), *_ = np.linalg.lstsq(np.stack([x, np.ones_like(x)], axis=1), y, rcond=None)
    assert w.item() == pytest.approx(w_ls, abs=1e-8)
    assert b.item() == pytest.approx(b_ls, abs=1e-6)
    assert losses[-1] < 0.003 < losses[0]
