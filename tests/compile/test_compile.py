"""dualad.compile: a replay equals a fresh recording bit for bit, changed decisions,
shapes and containers record again, what cannot be recorded is refused with the reason,
and the program cache is bounded."""
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dualad as ad
from dualad.compile import MAX_SIGNATURES, CompileError

UNARY = [np.sin, np.cos, np.tanh, np.exp, lambda v: -v, lambda v: v * v,
         lambda v: np.sqrt(v * v + 1.0), lambda v: 1.0 / (1.0 + v * v), abs]
BINARY = [lambda u, v: u + v, lambda u, v: u - v, lambda u, v: u * v,
          lambda u, v: u / (1.0 + v * v), lambda u, v: np.maximum(u, v),
          lambda u, v: u if np.sum(u) > np.sum(v) else v,        # max(u, v) on scalars
          lambda u, v: u * 2.0 if np.sum(u) > np.sum(v) else v - u]


def random_program(ops, arrays):
    """A program over x[i], y and intermediate values (scalars, or arrays with
    ``arrays``), with branches on values, driven by the integers ``ops``."""
    def f(x, y):
        pool = [x if arrays else x[0], x[1] if not arrays else x * y, y]
        for op in ops:
            a, b = pool[op % len(pool)], pool[(op // 7) % len(pool)]
            kind = op % 4
            if kind == 0:
                pool.append(UNARY[op % len(UNARY)](a))
            elif kind == 1 and arrays and op % 3 == 0:   # slices: scatters in the sweep
                u, v = a * x, b * x
                pool.append(np.concatenate([u[1:] * v[:-1], u[:1] - v[-1:]]))
            elif kind == 1 and arrays and op % 3 == 1:   # a gufunc with uniform constants
                pool.append((np.full((3, 3), 0.5) @ (x[:, None] * (a * x)))[0]
                            + np.ones(3) * b)
            elif kind == 1 and arrays:
                pool.append(np.where(a > b, a * b, a - b))
            elif kind == 2:
                pool.append(x[op % 3] * b)
            else:
                pool.append(BINARY[op % len(BINARY)](a, b))
        out = pool[-1] + 0.5 * pool[-2]
        return np.sum(out) if arrays else out
    return f


def bits(tree):
    return [np.asarray(v).tobytes() for v in ad.core.tree.flatten(tree)[0]]


def assert_same_bits(a, b):
    assert bits(a) == bits(b)


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=30),
       st.booleans(), st.floats(-2.0, 2.0), st.floats(-2.0, 2.0))
def test_replay_equals_fresh_recording_bit_for_bit(ops, arrays, y1, y2):
    f = random_program(ops, arrays)
    x1 = np.array([0.3, -0.7, 1.1])
    x2 = np.array([-0.4, 0.9, 0.2]) * (1.0 + abs(y2))
    g = ad.compile(ad.value_and_grad(f, argnums=(0, 1)))
    g(x1, y1)                                   # recorded
    replayed = g(x2, y2)                        # replayed, or recorded again on a branch
    fresh = ad.compile(ad.value_and_grad(f, argnums=(0, 1)))(x2, y2)   # a fresh recording
    assert_same_bits(replayed, fresh)
    eager = ad.value_and_grad(f, argnums=(0, 1))(x2, y2)
    for u, v in zip(ad.core.tree.flatten(replayed)[0], ad.core.tree.flatten(eager)[0]):
        np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-12)


def rosen_loop(x):
    s = 0.0
    for i in range(len(x) - 1):
        a = x[i + 1] - x[i] * x[i]
        s = s + 100.0 * a * a + (1.0 - x[i]) * (1.0 - x[i])
    return s


def test_scalar_program_runs_as_one_numba_loop():
    g = ad.compile(ad.grad(rosen_loop))
    x = np.linspace(-1.0, 1.0, 50)
    g(x)
    prog = g.last
    assert prog.scalar is None          # a call that only records never needs numba
    g(x)                                # the first replay builds the numba form
    if ad.accel.kernels.numba_enabled():
        assert prog.scalar is not None
    for seed in range(5):
        z = np.random.default_rng(seed).normal(size=50)
        got = g(z)
        assert g.recordings == 1
        assert_same_bits(got, prog.replay([z]))            # numba form = Python replay
        np.testing.assert_allclose(got, ad.grad(rosen_loop)(z), rtol=1e-13, atol=0)


def test_signed_zeros_of_a_gathered_gradient():
    """Element cotangents of -0.0 gather as the recording's sums do (x + 0.0 is +0.0)."""
    def f(x):
        return x[0] * 0.0 * -1.0 + x[1] * 0.0 - x[0] * 0.0 + x[2] * -0.0
    g = ad.compile(ad.grad(f))
    x = np.array([1.0, 2.0, 3.0])
    first = g(x)
    assert_same_bits(g(x), first)
    assert_same_bits(g(-x), ad.compile(ad.grad(f))(-x))


def branchy(x):
    if x[0] > 0:
        return np.sum(np.sin(x) * x)
    return np.sum(np.cos(x))


def test_changed_branch_records_again():
    g = ad.compile(ad.grad(branchy))
    a, b = np.array([0.5, 1.0]), np.array([-0.5, 1.0])
    for x, recordings in ((a, 1), (a * 2, 1), (b, 2), (b * 2, 2), (a, 2)):
        np.testing.assert_allclose(g(x), ad.grad(branchy)(x), rtol=1e-14)
        assert g.recordings == recordings
    assert len(g.programs(a)) == 2


def test_decisions_on_values_are_guarded():
    """max/min picks, int() and an index computed from values."""
    def f(x, k):
        i = int(np.argmax(x))
        m = max(x[0], x[1])
        return x[i] * m + x[int(k)] ** 2
    g = ad.compile(ad.grad(f))
    cases = [(np.array([1.0, 2.0, 0.5]), 0), (np.array([1.0, 2.0, 0.7]), 0),
             (np.array([3.0, 2.0, 0.5]), 0), (np.array([1.0, 2.0, 0.5]), 2)]
    for x, k in cases:
        np.testing.assert_allclose(g(x, k), ad.grad(f)(x, k), rtol=1e-14)
    assert g.recordings == 3        # the second case replays the first program


def test_changed_shape_and_container_record_again():
    f = lambda p: np.sum(p[0] ** 2) + np.sum(np.tanh(p[1]))  # noqa: E731
    g = ad.compile(ad.grad(f))
    a, b = np.ones(3), np.ones(2)
    g((a, b))
    g((a * 2, b))
    assert g.recordings == 1
    g((np.ones(4), b))               # a shape
    g([a, b])                        # a list, not a tuple
    assert g.recordings == 3
    h = ad.compile(ad.grad(lambda d: np.sum(d["u"] * d["v"])))
    h({"u": a, "v": a})
    h({"u": a, "v": a, "w": a})      # another key
    assert h.recordings == 2
    out = h({"u": a, "v": a * 3})
    np.testing.assert_allclose(out["u"], a * 3)


@pytest.mark.parametrize("name", ["grad", "value_and_grad", "jacfwd", "jacrev", "jacobian",
                                  "hessian", "hvp", "vjp"])
def test_every_transform(name):
    A = np.linspace(-1.0, 1.0, 12).reshape(4, 3)
    f = lambda x: np.tanh(A @ np.sin(x))               # noqa: E731
    s = lambda x: np.sum(np.exp(-x * x) * x) + x[0] * x[1]  # noqa: E731
    fns = {"grad": ad.grad(s), "value_and_grad": ad.value_and_grad(s),
           "jacfwd": ad.jacfwd(f), "jacrev": ad.jacrev(f), "jacobian": ad.jacobian(f),
           "hessian": ad.hessian(s), "hvp": lambda x: ad.hvp(s, (x,), (x + 1.0,)),
           "vjp": lambda x: ad.vjp(f, x)[1](np.arange(4.0))}
    fn = fns[name]
    g = ad.compile(fn)
    x = np.array([0.3, -0.2, 0.8])
    g(x)
    for z in (x * 2, -x):
        got, want = g(z), fn(z)
        for u, v in zip(ad.core.tree.flatten(got)[0], ad.core.tree.flatten(want)[0]):
            np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-14)
    assert g.recordings == 1 and g.replays == 2


def test_refused_with_the_reason():
    # np.asarray of a traced value keeps it traced (an object array): recorded, replayed
    f = lambda x: np.sum(np.asarray(x) * 2.0 * x)  # noqa: E731
    g = ad.compile(ad.grad(f))
    g(np.ones(3))
    np.testing.assert_array_equal(g(np.arange(3.0)), ad.grad(f)(np.arange(3.0)))
    assert g.recordings == 1
    # ... but of a value the program computes without differentiating it, it is refused
    h = ad.compile(lambda x, y: ad.grad(lambda u: np.sum(u * np.asarray(y)))(x))
    with pytest.raises(CompileError, match="np.asarray"):
        h(np.ones(3), np.ones(3))
    k = ad.compile(lambda x, y: ad.grad(lambda u: np.sum(u) * y.item())(x))
    with pytest.raises(CompileError, match=r"\.item\(\)"):
        k(np.ones(3), np.ones(1))


def test_random_draws_are_caught():
    g = ad.compile(ad.grad(lambda x: np.sum(x * np.random.normal(size=x.shape))))
    with pytest.raises(CompileError, match="random"):
        g(np.ones(3))
    h = ad.compile(ad.grad(lambda x: np.sum(x) * random.random()))
    with pytest.raises(CompileError, match="random"):
        h(np.ones(3))


def test_side_effects_happen_while_recording_only():
    seen = []

    def f(x):
        seen.append(1)
        return np.sum(x * x)
    g = ad.compile(ad.grad(f))
    for _ in range(3):
        g(np.ones(2))
    assert seen == [1]


def test_the_cache_is_bounded():
    def f(x, k):
        return x[int(k) % 5] * 2.0 + np.sum(x)
    g = ad.compile(ad.grad(f), max_programs=3)
    x = np.ones(5)
    for k in range(10):
        np.testing.assert_allclose(g(x, k)[k % 5], 3.0)
    assert len(g.programs(x, 0)) == 3 and g.recordings == 10
    h = ad.compile(ad.grad(lambda x: np.sum(x * x)))
    for n in range(1, MAX_SIGNATURES + 10):
        h(np.ones(n))
    assert len(h.cache) == MAX_SIGNATURES


def test_outputs_are_fresh_arrays():
    g = ad.compile(ad.grad(lambda x, y: np.sum(y * 2.0)))     # d/dx is a constant zero
    a = g(np.ones(2), np.ones(2))
    a[:] = 5.0
    np.testing.assert_array_equal(g(np.ones(2), np.ones(2)), 0.0)


def test_shapes_computed_from_values_are_guarded():
    def f(x):
        idx = np.nonzero(x > 0)[0]
        s = 0.0
        for i in range(len(idx)):           # a loop as long as a value-dependent shape
            s = s + x[idx[i]] ** 2
        return s
    g = ad.compile(ad.grad(f))
    for x in (np.array([1.0, -1.0, 2.0]), np.array([1.0, -1.0, -2.0]),
              np.array([1.0, 3.0, 2.0]), np.array([2.0, -3.0, 4.0])):
        np.testing.assert_allclose(g(x), ad.grad(f)(x), rtol=1e-14)
    assert g.recordings == 3


def test_a_compiled_function_inside_a_derivative_is_refused():
    g = ad.compile(lambda x: np.sum(x ** 2))
    with pytest.raises(CompileError, match="outermost"):
        ad.grad(g)(np.ones(2))
