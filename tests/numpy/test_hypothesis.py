"""NumPy functions with shape and axis arguments, on shapes and arguments drawn by hypothesis:
the value equals NumPy's and both modes agree with central differences to second order.

Values have distinct magnitudes (no ties for max/sort/median, none for the inf-norm) and keep
away from 0 (the kink of abs and the norms); tolerances are check_grads' float64 defaults
(see tests/numpy/test_functions.py)."""
import numpy as np
from hypothesis import given, strategies as st

import dualad as ad

import strategies as S


@st.composite
def data(draw, min_dims=0, max_dims=3, min_side=1):
    """Distinct magnitudes (>= 0.1 apart, >= 0.04 from 0) with random signs: no ties of the
    values or of their absolute values."""
    shape = draw(S.shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side))
    n = int(np.prod(shape))
    perm = np.asarray(draw(st.permutations(range(n))), dtype=np.float64)
    jitter = np.asarray(draw(st.lists(S.interval(-0.01, 0.01), min_size=n, max_size=n)))
    signs = np.where(draw(st.lists(st.booleans(), min_size=n, max_size=n)), 1.0, -1.0)
    return (signs * ((perm + 0.5) * 0.12 + jitter)).reshape(shape)


def check(f, *args):
    want = f(*args)
    got = ad.jvp(f, args, tuple(np.ones_like(a) for a in args))[0]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
    assert np.shape(got) == np.shape(want)
    ad.check_grads(f, args, order=2, modes=("fwd", "rev"))


@given(data(), st.data())
def test_reductions(x, d):
    axis = d.draw(S.reduction_axes(x.ndim))
    keepdims = d.draw(st.booleans())
    fn = d.draw(st.sampled_from([np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.ptp,
                                 np.median]))
    if fn is np.ptp and isinstance(axis, tuple) and len(axis) == 0:
        axis = None
    check(lambda x: fn(x, axis=axis, keepdims=keepdims), x)


@given(data(min_dims=1), st.data())
def test_var_std(x, d):
    axis = d.draw(S.reduction_axes(x.ndim))
    n = x.size if axis is None else int(np.prod([x.shape[a] for a in np.atleast_1d(axis)]))
    ddof = d.draw(st.integers(0, max(0, min(1, n - 1))))
    fn = d.draw(st.sampled_from([np.var, np.std]))
    keepdims = d.draw(st.booleans())
    check(lambda x: fn(x, axis=axis, ddof=ddof, keepdims=keepdims), x)


@given(data(min_dims=1), st.data())
def test_scans_and_differences(x, d):
    axis = d.draw(st.integers(-x.ndim, x.ndim - 1))
    fn = d.draw(st.sampled_from(["cumsum", "cumprod", "diff", "sort", "flip", "roll",
                                 "gradient"]))
    if fn == "diff":
        n = d.draw(st.integers(0, x.shape[axis]))
        f = lambda x: np.diff(x, n=n, axis=axis)           # noqa: E731
    elif fn == "roll":
        shift = d.draw(st.integers(-4, 4))
        f = lambda x: np.roll(x, shift, axis=axis)         # noqa: E731
    elif fn == "gradient":
        if x.shape[axis] < 2:
            return
        f = lambda x: np.gradient(x, 0.7, axis=axis)       # noqa: E731
    else:
        f = lambda x: getattr(np, fn)(x, axis=axis)        # noqa: E731
    check(f, x)


@given(data(min_dims=1), st.data())
def test_axis_moves(x, d):
    nd = x.ndim
    a, b = d.draw(st.integers(-nd, nd - 1)), d.draw(st.integers(-nd, nd - 1))
    e = d.draw(st.integers(-nd - 1, nd))
    check(lambda x: np.moveaxis(x, a, b) * 2.0 + np.swapaxes(x, a, b).sum()
          + np.expand_dims(x, e).sum(), x)


@given(data(min_dims=1, max_dims=2), st.data())
def test_joining_and_splitting(x, d):
    axis = d.draw(st.integers(-x.ndim, x.ndim - 1))
    k = d.draw(st.integers(1, 3))
    check(lambda x: np.concatenate([x * i for i in range(1, k + 1)], axis=axis), x)
    check(lambda x: np.stack([x * i for i in range(1, k + 1)], axis=axis), x)
    sections = d.draw(st.integers(1, x.shape[axis]))
    check(lambda x: np.concatenate(np.array_split(x, sections, axis=axis)[::-1], axis=axis), x)


@given(data(max_dims=2), st.data())
def test_tile_repeat_pad(x, d):
    reps = tuple(d.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    check(lambda x: np.tile(x, reps), x)
    r = d.draw(st.integers(0, 3))
    axis = None if x.ndim == 0 or d.draw(st.booleans()) else d.draw(
        st.integers(-x.ndim, x.ndim - 1))
    check(lambda x: np.repeat(x, r, axis=axis), x)
    if x.ndim:
        width = d.draw(st.integers(0, 2))
        mode = d.draw(st.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap"]))
        if mode in ("reflect", "symmetric", "wrap") and min(x.shape) == 1 and width:
            mode = "edge" if mode == "reflect" else mode
        check(lambda x: np.pad(x, width, mode=mode), x)


@given(data(min_dims=2, max_dims=3), st.data())
def test_diagonals(x, d):
    a1, a2 = d.draw(st.permutations(range(x.ndim)))[:2]
    off = d.draw(st.integers(-2, 2))
    check(lambda x: np.diagonal(x, off, a1, a2) * 1.0, x)
    check(lambda x: np.trace(x, off, a1, a2), x)
    k = d.draw(st.integers(-2, 2))
    check(lambda x: np.triu(x, k) + np.tril(x, -k), x)


@given(data(min_dims=1, max_dims=3), st.data())
def test_take_and_norms(x, d):
    axis = d.draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[axis]
    idx = d.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4))
    check(lambda x: np.take(x, idx, axis=axis), x)
    ord = d.draw(st.sampled_from([None, 1, 2, 3, np.inf, -np.inf]))
    check(lambda x: np.linalg.norm(x, ord, axis=axis), x)
