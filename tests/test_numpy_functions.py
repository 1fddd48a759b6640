"""Every case of tests/numpy_cases.py: value equal to NumPy's, forward and reverse mode at
first and second order against central finite differences (dualad.check_grads), and the
full Jacobian of forward mode equal to reverse mode's.

Tolerances: check_grads' defaults for float64 (atol = rtol = 1e-5, steps of 2^-17): the
inputs are O(1), keep >= 0.1 from kinks, poles and ties, so central differences are good to
~1e-9. Forward and reverse Jacobians are the same sums in a different order: 1e-12.
"""
import numpy as np
import pytest

import dualad as ad
from dualad.tree import flatten

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
