"""Every case of tests/numpy/numpy_cases.py: value equal to NumPy's, forward and reverse mode at
first and second order against central finite differences (dualad.check_grads), and the
full Jacobian of forward mode equal to reverse mode's.

Tolerances: check_grads' defaults for float64 (atol = rtol = 1e-5, steps of 2^-17): the
inputs are O(1), keep >= 0.1 from kinks, poles and ties, so central differences are good to
~1e-9. Forward and reverse Jacobians are the same sums in a different order: 1e-12.
"""
import numpy as np
import pytest

import dualad as ad
from dualad.core.tree import flatten

from numpy_cases import CASES


def _plain(out):
    return [np.asarray(x) for x in flatten(out)[0]]


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_value_matches_numpy(case):
    want = case.fn(*case.args)
    got, _ = ad.jvp(case.fn, case.args, tuple(np.ones_like(a) for a in case.args))
    for g, w in zip(_plain(got), _plain(want)):
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
        np.testing.assert_allclose(g, w, rtol=case.value_rtol, atol=1e-14)


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_against_finite_differences(case):
    kw = {} if case.tol is None else dict(atol=case.tol, rtol=case.tol)
    if case.eps is not None:
        kw["eps"] = case.eps
    ad.check_grads(case.fn, case.args, order=case.order, modes=("fwd", "rev"), **kw)


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_forward_jacobian_equals_reverse(case):
    argnums = tuple(range(len(case.args)))
    jf = ad.jacfwd(case.fn, argnums)(*case.args)
    jr = ad.jacrev(case.fn, argnums)(*case.args)
    for a, b in zip(_plain(jf), _plain(jr)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def _to32(a):
    return a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_float32_inputs_keep_numpys_dtypes(case):
    """float32 in: the value has NumPy's own dtype for the same inputs, the tangent the
    value's dtype, each cotangent its input's dtype; and the derivatives agree with the
    float64 ones to float32 accuracy."""
    args = tuple(_to32(a) for a in case.args)
    want = case.fn(*args)
    rng = np.random.default_rng(0)
    t = tuple(rng.standard_normal(np.shape(a)).astype(np.float32) for a in args)
    out, tangent = ad.jvp(case.fn, args, t)
    for o, w, d in zip(_plain(out), _plain(want), _plain(tangent)):
        assert o.dtype == w.dtype, ("value", o.dtype, w.dtype)
        assert d.dtype == o.dtype, ("tangent", d.dtype, o.dtype)
    _, pullback = ad.vjp(case.fn, *args)
    ct = pullback(tuple(rng.standard_normal(np.shape(o)).astype(np.asarray(o).dtype)
                        for o in flatten(out)[0]) if len(flatten(out)[0]) > 1 else
                  rng.standard_normal(np.shape(out)).astype(np.asarray(out).dtype))
    for c, a in zip(ct, args):
        assert np.asarray(c).dtype == a.dtype, ("cotangent", np.asarray(c).dtype, a.dtype)
    # the same directions in float64
    _, t64 = ad.jvp(case.fn, case.args, tuple(x.astype(np.float64) for x in t))
    for d32, d64 in zip(_plain(tangent), _plain(t64)):
        if d32.dtype in (np.float32, np.complex64):
            scale = max(1.0, float(np.nanmax(np.abs(d64), initial=0.0)))
            np.testing.assert_allclose(d32, d64, rtol=2e-3, atol=2e-3 * scale)
