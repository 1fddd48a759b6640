"""dualad.scipy.signal: convolve, correlate, fftconvolve, oaconvolve on traced values
against scipy.signal's values (every mode, odd and even sizes, either operand larger,
real and complex, 1-D to 3-D, both the shifted-slice and the FFT route), and their
derivatives against finite differences in both modes at second order. Convolution is
bilinear, so the differences are exact up to round-off: check_grads' defaults."""
import numpy as np
import pytest

scipy_signal = pytest.importorskip("scipy.signal")

import dualad as ad  # noqa: E402
import dualad.scipy.signal as ds  # noqa: E402

ss = scipy_signal
RNG = np.random.default_rng(11)
SHAPES = [((7,), (3,)), ((3,), (7,)), ((6,), (4,)), ((4,), (6,)), ((5, 6), (2, 3)),
          ((2, 3), (5, 6)), ((4, 5, 3), (2, 2, 2)), ((5, 4), (4, 5))]


def _operands(s1, s2, complex_):
    a, b = RNG.normal(size=s1), RNG.normal(size=s2)
    if complex_:
        a, b = a + 1j * RNG.normal(size=s1), b + 1j * RNG.normal(size=s2)
    return a, b


def _modes(s1, s2):
    contains = all(x >= y for x, y in zip(s1, s2)) or all(y >= x for x, y in zip(s1, s2))
    return ["full", "same"] + (["valid"] if contains else [])


def _traced_value(fn, a, b, which):
    """fn's value with operand ``which`` traced (forward and reverse mode)."""
    if which == 0:
        f, x = (lambda x: fn(x, b)), a
    else:
        f, x = (lambda x: fn(a, x)), b
    fwd = ad.jvp(f, (x,), (np.zeros_like(x),))[0]
    rev = ad.vjp(f, x)[0]
    return fwd, rev


@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("s1, s2", SHAPES)
def test_values(s1, s2, complex_):
    a, b = _operands(s1, s2, complex_)
    for mode in _modes(s1, s2):
        for name, method in [("convolve", "direct"), ("convolve", "fft"),
                             ("correlate", "direct"), ("correlate", "fft"),
                             ("fftconvolve", None), ("oaconvolve", None)]:
            kw = dict(mode=mode) if method is None else dict(mode=mode, method=method)
            want = getattr(ss, name)(a, b, **kw)
            np.testing.assert_array_equal(getattr(ds, name)(a, b, **kw), want)  # plain
            for which in (0, 1):
                for got in _traced_value(lambda x, y: getattr(ds, name)(x, y, **kw), a, b,
                                         which):
                    assert np.shape(got) == np.shape(want), (name, mode, which)
                    # round-off of sums of |s2| products (direct) or of the FFTs
                    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12,
                                               err_msg=f"{name} {mode} {method} {which}")


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_fft_axes(mode):
    a, b = RNG.normal(size=(3, 8)), RNG.normal(size=(3, 3))
    for name, b_ in [("fftconvolve", b), ("oaconvolve", b[:1])]:
        want = getattr(ss, name)(a, b_, mode=mode, axes=1)
        for got in _traced_value(lambda x, y: getattr(ds, name)(x, y, mode=mode, axes=1),
                                 a, b_, 0):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["convolve", "correlate"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("method", ["direct", "fft"])
def test_derivatives(name, mode, method):
    a, b = RNG.normal(size=(5, 4)), RNG.normal(size=(2, 3))
    ad.check_grads(lambda a, b: getattr(ds, name)(a, b, mode=mode, method=method), (a, b),
                   order=2)


def test_derivatives_fft_axes_and_complex():
    a, b = RNG.normal(size=(2, 9)), RNG.normal(size=(2, 4))
    ad.check_grads(lambda a, b: ds.fftconvolve(a, b, mode="same", axes=-1), (a, b), order=2)
    c = RNG.normal(size=6) + 1j * RNG.normal(size=6)
    ad.check_grads(lambda a: np.abs(ds.correlate(c, a)) ** 2, (RNG.normal(size=3),), order=2)


def test_large_inputs_take_the_fft_route():
    # above DIRECT_MAX multiply-adds method="auto" goes through FFTs: same values
    a, b = RNG.normal(size=3000), RNG.normal(size=200)
    assert 3199 * 200 > ds.DIRECT_MAX
    g = ad.grad(lambda b: np.sum(ds.convolve(a, b) ** 2))(b)
    full = ss.convolve(a, b)
    want = 2.0 * ss.correlate(full, a, mode="valid")      # d/db sum (a * b)^2
    np.testing.assert_allclose(g, want, rtol=1e-9, atol=1e-9)


def test_errors_as_scipy():
    a = ad.Dual(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="same dimensionality"):
        ds.convolve(a, np.ones((2, 2)))
    with pytest.raises(ValueError, match="acceptable mode"):
        ds.convolve(a, np.ones(2), mode="wrong")
    with pytest.raises(ValueError, match="For 'valid' mode"):
        ds.convolve(ad.Dual(np.ones((3, 2)), np.ones((3, 2))), np.ones((2, 3)), mode="valid")
