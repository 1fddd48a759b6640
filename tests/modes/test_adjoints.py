"""In-place accumulation in the backward sweep (``reverse.Adjoints``).

Sums go in place only into arrays the sweep allocated itself; reads x[idx] add their
cotangent into x's adjoint at idx. These tests draw random programs of slices, sums,
differences and negations (where cotangents are passed on unchanged, so aliasing would
show) and compare reverse mode with forward mode, which never touches that code, and check
that no seed, input or primal is modified.
"""
import numpy as np
from hypothesis import given, settings, strategies as st

import dualad as ad
from dualad.rules import RELEASE_MIN_SIZE

N = 12
SLICES = [slice(1, None), slice(None, -1), slice(None, None, 2), slice(1, None, 2),
          slice(2, 8), slice(None)]


def run_program(x, ops, keep=3):
    """Apply ``ops`` to a list of live vectors, all derived from x; return the first
    ``keep`` elements of the last three, joined."""
    live = [x, x * 1.0]
    for kind, i, j, s in ops:
        a, b = live[i % len(live)], live[j % len(live)]
        if kind == "add":
            n = min(a.shape[0], b.shape[0])
            live.append(a[:n] + b[:n])
        elif kind == "sub":
            n = min(a.shape[0], b.shape[0])
            live.append(a[:n] - b[-n:])
        elif kind == "neg":
            live.append(-a)
        elif kind == "slice":
            r = a[SLICES[s]]
            live.append(r if r.shape[0] else a)
        elif kind == "square":
            live.append(a * a)
        elif kind == "scale":
            live.append(2.5 * a)
        elif kind == "sin":
            live.append(np.sin(a))
        elif kind == "exp":
            live.append(np.exp(0.1 * a))
    return np.concatenate([v[:keep] for v in live[-3:]])


programs = st.lists(st.tuples(st.sampled_from(["add", "sub", "neg", "slice", "square",
                                               "scale", "sin", "exp"]),
                              st.integers(0, 20), st.integers(0, 20),
                              st.integers(0, len(SLICES) - 1)),
                    min_size=1, max_size=12)


@given(programs, st.integers(0, 2 ** 16))
def test_reverse_equals_forward_on_random_programs(ops, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(N)
    x_before = x.copy()
    f = lambda v: run_program(v, ops)  # noqa: E731
    out, vjp_fn = ad.vjp(f, x)
    ct = rng.standard_normal(out.shape)
    ct_before = ct.copy()
    (got,) = vjp_fn(ct)
    want = ad.jacfwd(f)(x).T @ ct
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # a second pull with the same cotangent gives the same answer: nothing was mutated
    np.testing.assert_allclose(vjp_fn(ct)[0], want, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(ct, ct_before)
    np.testing.assert_array_equal(x, x_before)


@settings(max_examples=25, deadline=None)
@given(programs, st.integers(0, 2 ** 16))
def test_large_arrays_reverse_agrees_with_forward(ops, seed):
    # above RELEASE_MIN_SIZE the tape also releases what no partial reads: together with
    # the in-place sums, checked through <w, J u> = <J^T w, u> (forward mode keeps all)
    rng = np.random.default_rng(seed)
    n = 2 * RELEASE_MIN_SIZE + 5
    x = rng.standard_normal(n)
    f = lambda v: run_program(v, ops, keep=n)  # noqa: E731
    out, vjp_fn = ad.vjp(f, x)
    w, u = rng.standard_normal(out.shape), rng.standard_normal(n)
    (ct,) = vjp_fn(w)
    jvp_out = ad.jvp(f, (x,), (u,))[1]
    lhs, rhs = float(np.dot(w, jvp_out)), float(np.dot(ct, u))
    assert abs(lhs - rhs) <= 1e-11 * (float(np.sum(np.abs(w * jvp_out))) + 1.0), (lhs, rhs)


def test_overlapping_reads_of_one_array():
    x = np.linspace(-1.0, 2.0, 9)

    def f(v):
        return np.sum(v[1:] * v[:-1]) + np.sum(v[::2] ** 2) - np.sum(v[2:5])

    want = np.zeros_like(x)
    want[1:] += x[:-1]
    want[:-1] += x[1:]
    want[::2] += 2 * x[::2]
    want[2:5] -= 1.0
    np.testing.assert_allclose(ad.grad(f)(x), want, rtol=1e-14)


def test_float32_reads_stay_float32():
    x = np.linspace(-1.0, 1.0, 7, dtype=np.float32)
    g = ad.grad(lambda v: np.sum(v[1:] - v[:-1] ** 2))(x)
    assert g.dtype == np.float32
    want = np.zeros(7, np.float32)
    want[1:] += 1.0
    want[:-1] -= 2 * x[:-1]
    np.testing.assert_allclose(g, want, rtol=1e-6)


def test_complex_cotangent_into_a_real_array():
    x = np.array([0.3, -1.2, 2.0, 0.7])

    def f(v):
        z = v[1:] * (1.0 + 2.0j) - v[:-1]
        return np.sum(np.abs(z) ** 2)

    np.testing.assert_allclose(ad.grad(f)(x), ad.jacfwd(f)(x), rtol=1e-12)


def test_second_order_through_slices():
    x = np.linspace(0.1, 1.0, 6)
    f = lambda v: np.sum(v[1:] ** 2 * v[:-1]) - np.sum(v[::2] ** 3)  # noqa: E731
    h = ad.hessian(f)(x)
    # rows of the Hessian by reverse over forward, independently
    h2 = ad.jacrev(lambda v: ad.jvp(f, (v,), (np.ones_like(v),))[1])(x)
    np.testing.assert_allclose(h @ np.ones_like(x), h2, rtol=1e-12, atol=1e-12)
