"""Issue 12, item 2: plain arrays written after a traced operation read them (a work
buffer refilled in a loop, a constant, a mask, an index array, clip bounds, a closure
constant, the caller's input before the pullback, data before Tensor.backward()) never
change the derivative: the tape keeps its own copy of what the VJP reads."""
import numpy as np
import pytest

import dualad as ad

X = np.array([0.5, -1.5, 2.0])


def refilled_buffer(x):
    buf = np.zeros(3)
    total = 0.0
    for k in range(1, 4):
        buf[:] = k                       # the same buffer, new values each step
        total = total + np.sum(buf * x)
    return total


def reused_constant(x):
    c = np.array([1.0, 2.0, 3.0])
    y = np.sum(np.sin(x) * c)
    c *= 10.0                            # written after sin(x) * c read it
    return y + np.sum(c)


def reused_mask(x):
    m = np.array([True, False, True])
    y = np.sum(np.where(m, x * x, 0.0))
    m[:] = False
    return y


def reused_index(x):
    idx = np.array([0, 2, 2])
    y = np.sum(x[idx] ** 2)
    idx[:] = 1
    return y


def reused_bounds(x):
    lo, hi = np.array([0.0, -1.0, 0.0]), np.array([1.0, 0.0, 1.0])
    y = np.sum(np.clip(x, lo, hi) * x)
    lo[:] = -5.0
    hi[:] = 5.0
    return y


def reused_matrix(x):
    A = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]])
    y = np.sum(np.tanh(A @ x))
    A[:] = 0.0
    return y


CASES = {
    "refilled buffer": (refilled_buffer, lambda x: np.full(3, 6.0)),
    "reused constant": (reused_constant, lambda x: np.cos(x) * np.array([1.0, 2.0, 3.0])),
    "reused mask": (reused_mask, lambda x: np.array([2.0, 0.0, 2.0]) * x),
    "reused index": (reused_index, lambda x: np.array([2.0, 0.0, 4.0]) * x),
    "reused bounds": (reused_bounds, lambda x: np.clip(x, [0.0, -1.0, 0.0], [1.0, 0.0, 1.0])
                      + x * ((x > [0.0, -1.0, 0.0]) & (x < [1.0, 0.0, 1.0]))),
    "reused matrix": (reused_matrix, lambda x: np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]]).T
                      @ (1.0 - np.tanh(np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]]) @ x) ** 2)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_written_after_the_read(name):
    f, df = CASES[name]
    want = df(X)
    np.testing.assert_allclose(ad.grad(f)(X), want, rtol=1e-14)
    np.testing.assert_allclose(ad.jacrev(f)(X), want, rtol=1e-14)
    np.testing.assert_allclose(ad.jacfwd(f)(X), want, rtol=1e-14)
    np.testing.assert_allclose(ad.vjp(f, X)[1](1.0)[0], want, rtol=1e-14)
    xs = X.tolist()                     # scalar code: the same through the scalar tape
    np.testing.assert_allclose(ad.grad(lambda *v: f(np.stack(v)), argnums=(0, 1, 2))(*xs),
                               want, rtol=1e-14)


def test_hessian_with_a_refilled_buffer():
    def f(x):
        buf = np.empty(3)
        total = 0.0
        for k in range(1, 3):
            buf[:] = k
            total = total + np.sum(buf * x ** 3)
        return total
    np.testing.assert_allclose(ad.hessian(f)(X), np.diag(3.0 * 6.0 * X), rtol=1e-14)


def test_caller_writes_its_input_before_the_pullback():
    x = X.copy()
    c = np.array([1.0, 2.0, 3.0])
    out, pullback = ad.vjp(lambda x: np.sum(c * x * x), x)
    x[:] = 10.0
    c[:] = -1.0
    np.testing.assert_allclose(pullback(1.0)[0], 2.0 * np.array([1.0, 2.0, 3.0]) * X,
                               rtol=1e-14)
    x = X.copy()                         # twice, and with a container of inputs
    out, pullback = ad.vjp(lambda p: np.sum(p["w"] * p["w"]), {"w": x})
    x *= 3.0
    np.testing.assert_allclose(pullback(1.0)[0]["w"], 2.0 * X, rtol=1e-14)


def test_data_written_before_tensor_backward():
    data = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    w = ad.Tensor(X.copy(), requires_grad=True)
    loss = ((data @ w) ** 2).sum()
    data[:] = 0.0                        # the next batch, loaded in place
    loss.backward()
    d = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    np.testing.assert_allclose(w.grad.value, 2.0 * d.T @ (d @ X), rtol=1e-14)


def test_read_only_arrays_are_kept_by_reference():
    # a read-only array cannot be written: the tape keeps it as it is, no copy
    A = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]])
    A.flags.writeable = False
    from dualad.modes.reverse import ReverseTrace
    rec = ad.transforms.reverse.Recording(lambda x: np.sum(A @ x), (X,), 0, False)
    kept = [v for entry in rec.trace.generic.values() for v in entry[2]]
    assert any(v is A for v in kept)
    assert isinstance(rec.trace, ReverseTrace)
