"""Issue 12: random programs with the patterns that broke derivatives before -- copies of
traced values, one work buffer refilled between reads, kinks and exact zeros, where-
branches whose untaken side is NaN or inf, powers at integer exponents, scalar code on the
tape, nested transforms with traced primals, tangents and cotangents. Forward and reverse
mode must agree with each other, and with central differences wherever the program is
smooth at the point (one-sided differences agree); no NaN may appear where the true
derivative is finite.

CI runs the hypothesis profile's short budget (derandomized). A long local run:
``DUALAD_RANDOM_PROGRAMS=10000 pytest tests/exact/test_random_programs.py``.
"""
import copy
import os
import warnings

import numpy as np
from hypothesis import given, settings, strategies as st

import dualad as ad

N = 5
OPS = ["add", "mul", "sin", "exp", "roll", "copy", "deepcopy", "copy_list", "buffer",
       "abs", "max0", "where_sqrt", "where_log", "where_recip", "pow", "vander", "scalar",
       "scalar_chain", "nested_jvp", "nested_grad", "nested_vjp", "nested_hvp"]


def run(x, ops):
    """The program: a list of live vectors of length N, all derived from x."""
    live = [x, np.sin(x)]
    buf = np.empty(N)                     # one work buffer, refilled by every "buffer" op
    for kind, i, j, k in ops:
        a, b = live[i % len(live)], live[j % len(live)]
        if kind == "add":
            r = a + b
        elif kind == "mul":
            r = a * b
        elif kind == "sin":
            r = np.sin(a)
        elif kind == "exp":
            r = np.exp(0.2 * np.tanh(a))
        elif kind == "roll":
            r = np.roll(a, 1 + k % 3)
        elif kind == "copy":
            r = copy.copy(a) * b
        elif kind == "deepcopy":
            r = copy.deepcopy(a) + b
        elif kind == "copy_list":
            r = copy.deepcopy([a, {"b": b}])[1]["b"] * 2.0
        elif kind == "buffer":
            buf[:] = k - 1.5              # written after earlier reads of buf
            r = buf * a + b
        elif kind == "abs":
            r = np.abs(a)
        elif kind == "max0":
            r = np.maximum(a, 0.0)
        elif kind == "where_sqrt":
            r = np.where(a > 0, np.sqrt(a), 0.0)
        elif kind == "where_log":         # log1p(a) is NaN where not taken (a <= -1)
            r = np.where(a > -0.5, np.log1p(a), a)
        elif kind == "where_recip":
            r = np.where(np.abs(a) > 0.1, 1.0 / a, 0.0)     # 1/0 untaken at a = 0
        elif kind == "pow":
            r = a ** (k % 4) + b ** float(k % 3)
        elif kind == "vander":
            r = np.sum(a[:, None] ** np.arange(1 + k % 4), axis=1)
        elif kind == "scalar":
            r = a * a[k % N]
        elif kind == "scalar_chain":      # enough scalar entries for the numba sweep
            s = a[k % N]
            for _ in range(40):
                s = s * 0.99 + 0.01 * b[0]
            r = a + s
        elif kind == "nested_jvp":        # traced primal and tangent
            r = ad.jvp(np.sin, (a,), (b,))[1]
        elif kind == "nested_grad":
            r = ad.grad(lambda v: np.sum(np.tanh(v) * b))(a)
        elif kind == "nested_vjp":        # traced primal and cotangent
            r = ad.vjp(np.tanh, a)[1](b)[0]
        elif kind == "nested_hvp":
            r = ad.hvp(lambda v: np.sum(np.sin(v) * v), (a,), (b,))
        live.append(r)
    return np.concatenate(live[-3:])


programs = st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 30), st.integers(0, 30),
                              st.integers(0, 11)), min_size=1, max_size=8)


def _inputs(rng):
    x = rng.uniform(-1.5, 1.5, N)
    x[rng.random(N) < 0.3] = 0.0          # exact zeros: kinks and untaken branches
    return x


def _central(f, x, u, h):
    return (f(x + h * u) - f(x - h * u)) / (2 * h)


def _check(ops, seed):
    rng = np.random.default_rng(seed)
    x = _inputs(rng)
    f = lambda v: run(v, ops)             # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)    # NumPy at sqrt(-1), log(0)
        y = f(x)
        jf = ad.jacfwd(f)(x)
        jr = ad.jacrev(f)(x)
        scale = 1.0 + np.abs(jf)
        np.testing.assert_allclose(jr, jf, rtol=1e-9, atol=1e-9 * scale.max())
        w, u = rng.standard_normal(y.shape), rng.standard_normal(N)
        out, pullback = ad.vjp(f, x)
        np.testing.assert_array_equal(out, y)
        np.testing.assert_allclose(pullback(w)[0], jf.T @ w, rtol=1e-9,
                                   atol=1e-9 * float(np.max(np.abs(jf).T @ np.abs(w))) + 1e-12)
        np.testing.assert_allclose(ad.jvp(f, (x,), (u,))[1], jf @ u, rtol=1e-9,
                                   atol=1e-9 * float(np.max(np.abs(jf) @ np.abs(u))) + 1e-12)
        # central differences column by column, where f is smooth along the column
        h = 1e-6
        compared = 0
        for c in range(N):
            e = np.zeros(N)
            e[c] = 1.0
            fd = _central(f, x, e, h)
            one_sided = (f(x + h * e) - y) / h, (y - f(x - h * e)) / h
            # smooth: the central difference has converged (it moves by O(h^2) when the
            # step is 4h; a pole, a jump or a |x|^1.5 cusp moves it more)
            fd4 = _central(f, x, e, 4 * h)
            smooth = (np.abs(one_sided[0] - one_sided[1]) <= 1e-3 * (1.0 + np.abs(fd))) \
                & (np.abs(fd4 - fd) <= 1e-6 * (1.0 + np.abs(fd))) & np.isfinite(fd)
            got = jf[:, c]
            # no NaN or inf where the derivative is finite (strong zeros)
            assert np.all(np.isfinite(got[smooth])), (ops, c, got, fd)
            # a kink too small to tell from curvature lies between the one-sided slopes
            tol = 1e-5 * (1.0 + np.abs(fd)) + np.abs(one_sided[0] - one_sided[1])
            bad = smooth & ~(np.abs(got - fd) <= tol)
            assert not bad.any(), (ops, c, got[bad], fd[bad])
            compared += int(smooth.sum())
    return compared


_long = int(os.environ.get("DUALAD_RANDOM_PROGRAMS", "0"))
_budget = settings(max_examples=_long) if _long else (lambda fn: fn)


@_budget
@given(programs, st.integers(0, 2 ** 16))
def test_random_programs(ops, seed):
    _check(ops, seed)


def test_every_op_is_drawn():
    # each pattern at least once, deterministically, whatever hypothesis draws
    for n, kind in enumerate(OPS):
        ops = [("sin", 0, 1, 0), (kind, 1, 2, n), ("mul", 2, 3, 1), (kind, 3, 0, n + 5)]
        # most entries are smooth at the point: the differences check them
        assert _check(ops, n) >= 3 * N * N // 2, kind
