"""Quadrature of samples (dualad.scipy.integrate) against SciPy and finite differences.

The rules are rational in x and linear in y, so on spacings >= 0.1 (x drawn sorted with
gaps of at least 0.1) central differences with h = 2^-17 are accurate to ~1e-9 and the
default check_grads tolerances (1e-5) hold; values agree with SciPy's to round-off.
"""
import numpy as np
import pytest

import dualad as ad
from dualad import check_grads

si = pytest.importorskip("scipy.integrate")
from dualad.scipy import integrate as I  # noqa: E402


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def grid(rng, n):
    return np.cumsum(rng.uniform(0.1, 0.6, n))


def same(got, want):
    np.testing.assert_allclose(ad.primal(got), want, rtol=1e-12, atol=1e-13)


def traced_value(f, *args):
    return ad.jvp(f, args, tuple(np.zeros_like(a) for a in args))[0]


NAMES = ["trapezoid", "simpson", "cumulative_trapezoid", "cumulative_simpson"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", [2, 3, 4, 5, 8])
def test_samples_with_x(name, n, rng):
    y, x = rng.standard_normal((2, n)), grid(rng, n)
    ours, theirs = getattr(I, name), getattr(si, name)
    f = (lambda y, x: ours(y, x=x, axis=-1))
    same(traced_value(f, y, x), theirs(y, x=x, axis=-1))
    check_grads(f, (y, x), order=2)


@pytest.mark.parametrize("name", NAMES)
def test_axis_dx_and_shared_x(name, rng):
    y, x = rng.standard_normal((5, 3)), grid(rng, 5)
    ours, theirs = getattr(I, name), getattr(si, name)
    same(traced_value(lambda y: ours(y, dx=0.3, axis=0), y), theirs(y, dx=0.3, axis=0))
    check_grads(lambda y, x: ours(y, x=x, axis=0), (y, x), order=2)
    xs = np.sort(rng.uniform(0.0, 3.0, (5, 3)), axis=0) + 0.2 * np.arange(5)[:, None]
    same(traced_value(lambda y, x: ours(y, x=x, axis=0), y, xs), theirs(y, x=xs, axis=0))
    check_grads(lambda y, x: ours(y, x=x, axis=0), (y, xs), order=2)


def test_initial(rng):
    y, x = rng.standard_normal(6), grid(rng, 6)
    same(traced_value(lambda y: I.cumulative_trapezoid(y, x=x, initial=0), y),
         si.cumulative_trapezoid(y, x=x, initial=0))
    f = lambda y, c: I.cumulative_simpson(y, x=x, initial=c)     # noqa: E731
    same(traced_value(f, y, 1.5), si.cumulative_simpson(y, x=x, initial=1.5))
    check_grads(f, (y, 1.5), order=2)
    with pytest.raises(ValueError, match="initial"):
        ad.grad(lambda y: np.sum(I.cumulative_trapezoid(y, initial=1.0)))(y)


def test_simpson_is_exact_on_quadratics(rng):
    x = grid(rng, 6)                       # an even count: SciPy's last-interval rule
    c = np.array([0.3, -1.2, 2.0])

    def area(c):
        return I.simpson(c[0] + c[1] * x + c[2] * x * x, x=x)
    exact = lambda c: (c[0] * (x[-1] - x[0]) + c[1] * (x[-1] ** 2 - x[0] ** 2) / 2  # noqa
                       + c[2] * (x[-1] ** 3 - x[0] ** 3) / 3)
    np.testing.assert_allclose(area(c), exact(c), rtol=1e-12)
    np.testing.assert_allclose(ad.grad(area)(c), ad.grad(exact)(c), rtol=1e-12)
