"""Library code that calls np.asarray first (issue 13, items 3 and 4): the actual SciPy,
numpy.polynomial and scikit-learn functions. Those that compute with NumPy after the
conversion run on the object arrays and give correct derivatives (both modes, second
order); those that convert to float raise an error naming the function the user called."""
import math

import numpy as np
import pytest

import dualad as ad

scipy = pytest.importorskip("scipy")
import scipy.integrate  # noqa: E402
import scipy.optimize  # noqa: E402
import scipy.special  # noqa: E402
from numpy.polynomial import polynomial as npoly  # noqa: E402

X = np.array([0.5, 1.2, -0.7, 0.3])
Y = np.array([0.1, 1.0, -0.5, 0.2])

WORKS = {
    "scipy.optimize.rosen": scipy.optimize.rosen,
    "scipy.optimize.rosen_der": scipy.optimize.rosen_der,
    "scipy.integrate.trapezoid": scipy.integrate.trapezoid,
    "scipy.integrate.trapezoid with x": lambda x: scipy.integrate.trapezoid(
        x ** 2, x=np.linspace(0.0, 1.0, 4)),
    "scipy.integrate.simpson": lambda x: scipy.integrate.simpson(x ** 2),
    "scipy.integrate.cumulative_trapezoid": scipy.integrate.cumulative_trapezoid,
    "numpy.polynomial.polynomial.polyval (coefficients)": lambda x: npoly.polyval(0.3, x),
    "numpy.polynomial.polynomial.polyval (points)": lambda x: npoly.polyval(x, [1.0, 2.0, 3.0]),
    "scipy.special.softmax": scipy.special.softmax,
}


@pytest.mark.parametrize("name", sorted(WORKS))
def test_library_function_derivatives(name):
    ad.check_grads(WORKS[name], (X,), order=2, modes=("fwd", "rev"))


def test_rosen_gradient_is_scipy_rosen_der():
    np.testing.assert_allclose(ad.grad(scipy.optimize.rosen)(X), scipy.optimize.rosen_der(X),
                               rtol=1e-14)
    np.testing.assert_allclose(ad.hessian(scipy.optimize.rosen)(X),
                               scipy.optimize.rosen_hess(X), rtol=1e-14)


sklearn = pytest.importorskip("sklearn")
import sklearn.metrics  # noqa: E402
import sklearn.metrics.pairwise  # noqa: E402

RAISES = {
    "sklearn.metrics.mean_squared_error": lambda x: sklearn.metrics.mean_squared_error(Y, x),
    "sklearn.metrics.mean_absolute_error": lambda x: sklearn.metrics.mean_absolute_error(Y, x),
    "sklearn.metrics.r2_score": lambda x: sklearn.metrics.r2_score(Y, x),
    "sklearn.metrics.pairwise.rbf_kernel":
        lambda x: sklearn.metrics.pairwise.rbf_kernel(x.reshape(2, 2)).sum(),
}


def _conversion_error(exc):
    """dualad's error: raised, or NumPy's ValueError caused by it."""
    while exc is not None and not isinstance(exc, ad.ConcretizationError):
        exc = exc.__cause__
    return exc


@pytest.mark.parametrize("transform", [ad.grad, lambda f: ad.jacfwd(f)])
@pytest.mark.parametrize("name", sorted(RAISES))
def test_library_conversions_name_the_function_called(name, transform):
    with pytest.raises((ad.ConcretizationError, ValueError)) as ei:
        transform(RAISES[name])(X)
    err = _conversion_error(ei.value)
    assert err is not None, ei.value
    msg = str(err)
    assert f"in {name}, called at test_library_code.py:" in msg, msg
    assert "dualad.primitive" in msg and "dualad.primal" in msg


# ------------------------------------------------------------------------------------
# The user's own conversions: the expression is quoted, the fix fits it
# ------------------------------------------------------------------------------------
@pytest.mark.parametrize("transform", [ad.grad, lambda f: ad.jacfwd(f)])
@pytest.mark.parametrize("fn, quoted, fix", [
    (lambda x: np.float64(x[0]), "`np.float64(x[0])`", "drop the conversion"),
    (lambda x: math.sin(x[0]), "`math.sin(x[0])`", "np.sin"),
    (lambda x: float(x[1]) * x[0], "`float(x[1])`", "dualad.primal(x)"),
    (lambda x: np.sum(np.fromiter((v * 2 for v in x), dtype=float)),
     "`np.fromiter((v * 2 for v in x), dtype=float)`", "np.array([...])"),
    (lambda x: np.sum(np.asarray(x, dtype=np.float64)),
     "`np.asarray(x, dtype=np.float64)` (conversion to a float64 array)", "dualad.primal"),
])
def test_user_conversions_quote_the_expression(transform, fn, quoted, fix):
    with pytest.raises((ad.ConcretizationError, ValueError)) as ei:
        transform(fn)(X)
    err = _conversion_error(ei.value)
    assert err is not None, ei.value
    msg = str(err)
    assert quoted in msg and "test_library_code.py:" in msg and fix in msg, msg


def test_scipy_ufuncs_are_named_by_their_home():
    from dualad.numpy.registry import ufunc_name
    assert ufunc_name(scipy.special.gammaln) == "scipy.special.gammaln"
    assert ufunc_name(scipy.special.erfcx, "reduce") == "scipy.special.erfcx.reduce"
    assert ufunc_name(np.add) == "numpy.add"
