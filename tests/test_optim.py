"""dualad.optim: the update rules against hand computations of PyTorch's documented
formulas, a few steps each, and the optimizer plumbing (zero_grad, groups, closures)."""
import math

import numpy as np
import pytest

import dualad as ad
from dualad import Tensor
from dualad.optim import SGD, Adam, AdamW


def quadratic_grad(p):
    """Gradient of the loss used below, sum(p**2 * (1, 2)) / 2 -> p * (1, 2)."""
    return p * np.array([1.0, 2.0])


def run(opt_cls, steps, **kw):
    w = Tensor([1.0, -2.0], requires_grad=True)
    opt = opt_cls([w], **kw)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss = np.sum(w * w * np.array([1.0, 2.0])) / 2.0
        loss.backward()
        opt.step()
        history.append(w.numpy().copy())
    return history


def test_plain_sgd():
    p = np.array([1.0, -2.0])
    for got in run(SGD, 3, lr=0.1):
        p = p - 0.1 * quadratic_grad(p)
        np.testing.assert_allclose(got, p, rtol=1e-15)


@pytest.mark.parametrize("nesterov,dampening", [(False, 0.0), (False, 0.3), (True, 0.0)])
def test_sgd_momentum_weight_decay_and_nesterov(nesterov, dampening):
    lr, mu, wd = 0.05, 0.9, 0.01
    p, buf = np.array([1.0, -2.0]), None
    hist = run(SGD, 4, lr=lr, momentum=mu, dampening=dampening, weight_decay=wd,
               nesterov=nesterov)
    for got in hist:
        g = quadratic_grad(p) + wd * p
        buf = g if buf is None else mu * buf + (1 - dampening) * g
        step = g + mu * buf if nesterov else buf
        p = p - lr * step
        np.testing.assert_allclose(got, p, rtol=1e-14)


def test_sgd_first_momentum_step_by_hand():
    # one parameter, written out: g = 2w at w = 3 -> g = 6, b = 6, w = 3 - 0.1 * 6 = 2.4;
    # then g = 4.8, b = 0.9 * 6 + 4.8 = 10.2, w = 2.4 - 1.02 = 1.38
    w = Tensor(3.0, requires_grad=True)
    opt = SGD([w], lr=0.1, momentum=0.9)
    for want in (2.4, 1.38):
        opt.zero_grad()
        (w * w).backward()
        opt.step()
        assert w.item() == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_adam(wd):
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    p, m, v = np.array([1.0, -2.0]), 0.0, 0.0
    for t, got in enumerate(run(Adam, 5, lr=lr, weight_decay=wd), start=1):
        g = quadratic_grad(p) + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        np.testing.assert_allclose(got, p, rtol=1e-14)


def test_adam_first_step_moves_each_entry_by_lr():
    # after bias correction the first step is lr * g / (|g| + eps): about lr per entry
    got = run(Adam, 1, lr=0.01)[0]
    np.testing.assert_allclose(got, [1.0 - 0.01, -2.0 + 0.01], rtol=1e-7)


def test_adamw_decays_the_weights_directly():
    lr, b1, b2, eps, wd = 0.01, 0.8, 0.99, 1e-6, 0.5
    p, m, v = np.array([1.0, -2.0]), 0.0, 0.0
    for t, got in enumerate(run(AdamW, 5, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd),
                            start=1):
        g = quadratic_grad(p)
        p = p - lr * wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        np.testing.assert_allclose(got, p, rtol=1e-14)
    assert AdamW([Tensor(1.0, requires_grad=True)]).defaults["weight_decay"] == 1e-2


def test_adam_and_adamw_differ_only_with_weight_decay():
    np.testing.assert_array_equal(run(Adam, 3, lr=0.1)[-1],
                                  run(AdamW, 3, lr=0.1, weight_decay=0.0)[-1])
    assert not np.allclose(run(Adam, 3, lr=0.1, weight_decay=0.5)[-1],
                           run(AdamW, 3, lr=0.1, weight_decay=0.5)[-1])


def test_zero_grad_and_parameters_without_grad():
    w, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    opt = SGD([w, b], lr=0.5)
    (w * 3.0).sum().backward()  # b gets no gradient: it is left alone
    opt.step()
    assert w.item() == pytest.approx(-0.5) and b.item() == 2.0 and b.grad is None
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad.numpy(), [0.0])
    opt.zero_grad()
    assert w.grad is None
    assert w.is_leaf and w.requires_grad  # a step keeps the parameter a tracked leaf


def test_param_groups_with_their_own_options():
    w, b = Tensor(1.0, requires_grad=True), Tensor(1.0, requires_grad=True)
    opt = SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
    (w + b).backward()
    opt.step()
    assert w.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.5)


def test_step_with_closure_returns_the_loss():
    w = Tensor(2.0, requires_grad=True)
    opt = SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = w * w
        loss.backward()
        return loss

    with ad.no_grad():  # the closure records even when called under no_grad
        loss = opt.step(closure)
    assert loss.item() == 4.0 and w.item() == 1.0


def test_step_keeps_dtype_and_retained_graphs():
    w = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = np.sum(w * w)
    y.backward(retain_graph=True)
    opt = SGD([w], lr=0.1)
    opt.step()
    assert w.dtype == np.float32
    w.grad = None
    y.backward()  # the graph saved the old values, not the updated ones
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 4.0])


def test_invalid_arguments_are_refused():
    w = Tensor(1.0, requires_grad=True)
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="learning rate"):
        Adam([w], lr=-1.0)
    with pytest.raises(ValueError, match="betas"):
        Adam([w], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="non-leaf"):
        SGD([w * 2.0], lr=0.1)
    with pytest.raises(TypeError, match="Tensors"):
        SGD([np.ones(2)], lr=0.1)


def test_sgd_and_adam_minimise_a_rosenbrock_valley():
    for make, steps in ((lambda p: SGD(p, lr=1e-3, momentum=0.9), 3000),
                        (lambda p: Adam(p, lr=0.02), 3000)):
        xy = Tensor([-1.0, 1.5], requires_grad=True)
        opt = make([xy])
        for _ in range(steps):
            opt.zero_grad()
            x, y = xy[0], xy[1]
            loss = (1.0 - x) ** 2 + 10.0 * (y - x * x) ** 2
            loss.backward()
            opt.step()
        np.testing.assert_allclose(xy.numpy(), [1.0, 1.0], atol=2e-2)
    assert math.isfinite(loss.item())
