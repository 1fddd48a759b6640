"""The reverse-mode tape: the numba sweep against the pure-Python reference sweep."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import dualad as ad
from dualad import kernels, tape_kernel
from dualad.api import _Recording
from dualad.reverse import _sweep_fast, _sweep_reference

UNARY = [np.sin, np.cos, np.tanh, np.exp, lambda v: -v, lambda v: v * v,
         lambda v: np.sqrt(v * v + 1.0), lambda v: 1.0 / (1.0 + v * v), np.arctan]
BINARY = [lambda u, v: u + v, lambda u, v: u - v, lambda u, v: u * v,
          lambda u, v: u / (1.0 + v * v), lambda u, v: np.maximum(u, v),
          lambda u, v: (u * u + 1.0) ** v * 0.1, lambda u, v: np.arctan2(u, v + 3.0)]


def random_program(ops):
    """A scalar program over x[i] (array elements), y (a float) and intermediate values,
    mixing in array operations, driven by the list of integers ``ops``."""
    def f(x, y):
        pool = [x[0], x[1], y]
        for k, op in enumerate(ops):
            a, b = pool[op % len(pool)], pool[(op // 7) % len(pool)]
            if op % 5 == 0:
                pool.append(UNARY[op % len(UNARY)](a))
            elif op % 5 == 4:   # an array operation in the middle of scalar code
                pool.append(np.sum(x * a) * 0.1)
            elif op % 5 == 3:
                pool.append(x[op % 3] * b)
            else:
                pool.append(BINARY[op % len(BINARY)](a, b))
        return pool[-1] + 0.5 * pool[-2]
    return f


def both_sweeps(f, args):
    rec = _Recording(f, args, (0, 1), False)
    out = rec.out_leaves[0]
    wanted = [b.slot for b in rec.inputs]
    seeds = {out.slot: 1.0}
    kernel = tape_kernel.compiled_sweep()
    assert kernel is not None, "numba should be enabled in this test run"
    return (_sweep_fast(rec.trace, seeds, wanted, kernel),
            _sweep_reference(rec.trace, seeds, wanted), rec)


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=40))
def test_fast_sweep_equals_reference_on_random_programs(ops):
    x = np.array([0.3, -0.7, 1.1])
    fast, ref, rec = both_sweeps(random_program(ops), (x, 0.4))
    for a, b in zip(fast, ref):
        if b is None:
            assert a is None or np.all(np.asarray(a) == 0)
        else:
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # and the gradient agrees with forward mode (an independent computation)
    f = random_program(ops)
    gx, gy = ad.grad(f, argnums=(0, 1))(x, 0.4)
    jx = ad.jacfwd(f, argnums=0)(x, 0.4)
    jy = ad.jvp(lambda y: f(x, y), (0.4,), (1.0,))[1]
    np.testing.assert_allclose(gx, jx, rtol=1e-12, atol=1e-12)
    assert gy == pytest.approx(jy, rel=1e-12, abs=1e-12)


def test_scalar_code_records_flat_entries_only():
    def rosen_loop(x):
        s = 0.0
        for i in range(len(x) - 1):
            s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
        return s
    x = np.linspace(-1.0, 1.0, 50)
    rec = _Recording(rosen_loop, (x,), 0, False)
    trace = rec.trace
    # every x[i] is an O(1) element entry into one gathered region, not a dense scatter
    assert trace.generic == {}
    assert trace.esize == x.size and list(trace.regions) == [rec.inputs[0].slot]
    bytes_per_entry = sum(arr.itemsize for arr in (trace.a, trace.b, trace.da, trace.db,
                                                   trace.scalar))
    assert bytes_per_entry <= 64
    g = ad.grad(rosen_loop)(x)
    want = np.zeros_like(x)
    want[:-1] = -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    want[1:] += 200 * (x[1:] - x[:-1] ** 2)
    np.testing.assert_allclose(g, want, rtol=1e-12)


def test_numba_switch_gives_reference_sweep(monkeypatch):
    f = random_program([1, 22, 333, 4444, 55, 6, 77, 8])
    x = np.array([0.3, -0.7, 1.1])
    with_numba = ad.grad(f, argnums=(0, 1))(x, 0.4)
    monkeypatch.setattr(kernels, "NUMBA_ENABLED", False)
    assert tape_kernel.compiled_sweep() is None
    without = ad.grad(f, argnums=(0, 1))(x, 0.4)
    np.testing.assert_array_equal(with_numba[0], without[0])
    assert with_numba[1] == without[1]


def test_traced_cotangent_uses_reference_sweep():
    # a vjp_fn of scalar code called under an outer grad: cotangents are Tracers
    def f(x):
        return np.sin(x) * x
    _, pull = ad.vjp(f, 0.7)
    g = ad.grad(lambda c: pull(c * c)[0])(1.5)
    assert g == pytest.approx(2 * 1.5 * (np.cos(0.7) * 0.7 + np.sin(0.7)), rel=1e-14)


def test_division_by_zero_follows_numpy():
    with np.errstate(divide="ignore"):
        assert ad.grad(np.sqrt)(0.0) == np.inf
        assert ad.grad(lambda x: 1.0 / x)(0.0) == -np.inf


def test_no_grad_never_zeroes_a_functional_grad():
    # grad called inside no_grad still differentiates (as torch.func.grad does) ...
    with ad.no_grad():
        assert ad.grad(lambda x: x * x)(3.0) == 6.0
        assert np.allclose(ad.grad(lambda x: np.sum(x * x))(np.ones(3)), 2.0)

    # ... while no_grad inside the differentiated function cuts the derivative there
    def f(x):
        with ad.no_grad():
            c = x * x
        return c * x
    assert ad.grad(f)(3.0) == 9.0
