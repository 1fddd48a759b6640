"""dualad.scipy.stats: every method against scipy.stats' values (inside and outside the
support, invalid parameters), and its derivatives with respect to x, loc, scale and the
shape parameters against finite differences, in both modes and at second order
(check_grads defaults: h = 2^-17, atol = rtol = 1e-5; the points are inside the support,
away from its ends and from laplace's kink, where third derivatives are <= ~1e2)."""
import numpy as np
import pytest

scipy_stats = pytest.importorskip("scipy.stats")

import dualad as ad  # noqa: E402
import dualad.scipy.stats as ds  # noqa: E402

ss = scipy_stats
X = np.array([-1.5, -0.3, 0.0, 0.4, 0.9, 1.7, 2.5, np.inf, -np.inf, np.nan])
K = np.array([-1.0, 0.0, 1.0, 2.0, 2.5, 3.0, 5.0, 8.0, np.nan])

# name -> (shape parameters, loc and scale) for the value tests
CONTINUOUS = {
    "norm": ((), dict(loc=0.3, scale=1.4)),
    "t": ((3.5,), dict(loc=0.2, scale=0.8)),
    "cauchy": ((), dict(loc=0.1, scale=0.7)),
    "laplace": ((), dict(loc=0.2, scale=0.9)),
    "expon": ((), dict(loc=-0.5, scale=1.3)),
    "uniform": ((), dict(loc=-1.0, scale=2.0)),
    "gamma": ((2.5,), dict(loc=-0.5, scale=0.8)),
    "chi2": ((3.0,), dict(scale=0.6)),
    "beta": ((2.0, 3.0), dict(loc=-0.5, scale=2.0)),
    "lognorm": ((0.7,), dict(loc=-0.5, scale=1.2)),
}
DISCRETE = {
    "poisson": ((1.7,), dict(loc=0)),
    "binom": ((5, 0.3), {}),
    "bernoulli": ((0.3,), {}),
    "nbinom": ((2.5, 0.4), dict(loc=1)),
}
CONTINUOUS_METHODS = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]
DISCRETE_METHODS = ["logpmf", "pmf", "cdf", "logcdf", "sf", "logsf"]


def _close(got, want):
    # rtol 1e-12: the same closed forms as scipy's, evaluated in another order
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    assert np.shape(got) == np.shape(want)


@pytest.mark.parametrize("method", CONTINUOUS_METHODS)
@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_values(name, method):
    shapes, kw = CONTINUOUS[name]
    with np.errstate(all="ignore"):
        want = getattr(getattr(ss, name), method)(X, *shapes, **kw)
    _close(getattr(getattr(ds, name), method)(X, *shapes, **kw), want)
    # one scalar point, shapes by keyword, and the frozen distribution
    names = getattr(ds, name).shapes
    x0 = 0.45
    want0 = getattr(getattr(ss, name), method)(x0, *shapes, **kw)
    got0 = getattr(getattr(ds, name), method)(x0, **dict(zip(names, shapes)), **kw)
    assert type(got0) is type(want0)
    _close(got0, want0)
    _close(getattr(getattr(ds, name)(*shapes, **kw), method)(x0), want0)


@pytest.mark.parametrize("name", ["norm", "expon", "laplace", "cauchy", "uniform", "lognorm"])
def test_ppf_values(name):
    shapes, kw = CONTINUOUS[name]
    q = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
    _close(getattr(ds, name).ppf(q, *shapes, **kw), getattr(ss, name).ppf(q, *shapes, **kw))


def test_invalid_parameters_give_nan():
    assert np.isnan(ds.norm.logpdf(1.0, scale=-1.0))
    assert np.isnan(ds.gamma.cdf(1.0, -2.0))
    assert np.isnan(ds.binom.logpmf(1, 5, 1.5))
    assert np.isnan(ss.binom.logpmf(1, 5, 1.5))


@pytest.mark.parametrize("method", DISCRETE_METHODS)
@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_discrete_values(name, method):
    shapes, kw = DISCRETE[name]
    want = getattr(getattr(ss, name), method)(K, *shapes, **kw)
    _close(getattr(getattr(ds, name), method)(K, *shapes, **kw), want)


# --- derivatives -----------------------------------------------------------------------
XS = np.array([-0.7, 0.35, 0.8, 1.6])        # none at laplace's kink at loc


def _at(name, method, params, x=XS):
    """f(x, *params) for check_grads: params by name (shapes, loc, scale)."""
    names = list(params)

    def f(x, *values):
        return getattr(getattr(ds, name), method)(x, **dict(zip(names, values)))
    return f, (x,) + tuple(np.asarray(v, dtype=float) for v in params.values())


# every parameter differentiable (the distribution functions whose special function has
# the shape as an order take only x, loc and scale: CDF_ORDER_SHAPES)
DERIVATIVE_PARAMS = {
    "norm": dict(loc=0.3, scale=1.4),
    "t": dict(df=3.5, loc=0.2, scale=0.8),
    "cauchy": dict(loc=0.1, scale=0.7),
    "laplace": dict(loc=0.2, scale=0.9),
    "expon": dict(loc=-1.5, scale=1.3),
    "uniform": dict(loc=-1.0, scale=3.0),
    "gamma": dict(a=2.5, loc=-1.5, scale=0.8),
    "chi2": dict(df=3.0, loc=-1.0, scale=0.6),
    "beta": dict(a=2.0, b=3.0, loc=-1.0, scale=3.0),
    "lognorm": dict(s=0.7, loc=-1.5, scale=1.2),
}


@pytest.mark.parametrize("method", CONTINUOUS_METHODS)
@pytest.mark.parametrize("name", sorted(DERIVATIVE_PARAMS))
def test_continuous_derivatives(name, method):
    params = dict(DERIVATIVE_PARAMS[name])
    fixed = {}
    if method not in ("logpdf", "pdf"):
        fixed = {k: params.pop(k) for k in getattr(ds, name).constant_in_cdf}
    names = list(params)

    def f(x, *values):
        return getattr(getattr(ds, name), method)(x, **dict(zip(names, values)), **fixed)
    ad.check_grads(f, (XS,) + tuple(float(v) for v in params.values()), order=2)


CONSTANT_IN_CDF = [(name, shape) for name in sorted(ds.__all__)
                   for shape in getattr(getattr(ds, name), "constant_in_cdf", ())]


@pytest.mark.parametrize("method", ["cdf", "sf", "logcdf", "logsf"])
@pytest.mark.parametrize("name, shape", CONSTANT_IN_CDF)
def test_shape_parameters_of_distribution_functions_raise(name, shape, method):
    params = dict(DERIVATIVE_PARAMS.get(name) or DISCRETE_DERIVATIVE_PARAMS[name])
    value = params.pop(shape)
    dist = getattr(ds, name)
    with pytest.raises(ad.NotDifferentiableError, match="with respect to"):
        ad.grad(lambda s: getattr(dist, method)(1.0, **{shape: s}, **params))(value)


def test_which_shapes_are_constant_in_cdf():
    assert {n for n, _ in CONSTANT_IN_CDF} == {"t", "gamma", "chi2", "beta", "binom", "nbinom"}


DISCRETE_DERIVATIVE_PARAMS = {
    "poisson": dict(mu=1.7),
    "binom": dict(n=5.0, p=0.3),
    "bernoulli": dict(p=0.3),
    "nbinom": dict(n=2.5, p=0.4),
}


@pytest.mark.parametrize("method", DISCRETE_METHODS)
@pytest.mark.parametrize("name", sorted(DISCRETE_DERIVATIVE_PARAMS))
def test_discrete_derivatives(name, method):
    params = dict(DISCRETE_DERIVATIVE_PARAMS[name])
    k = np.array([0.0, 1.0, 3.0]) if name != "bernoulli" else np.array([0.0, 1.0])
    fixed = {}
    if method not in ("logpmf", "pmf"):
        fixed = {s: params.pop(s) for s in getattr(ds, name).constant_in_cdf}
        k = k[k < 1] if name == "bernoulli" else k      # cdf 1 above the support: flat
    names = list(params)

    def f(*values):
        return getattr(getattr(ds, name), method)(k, **dict(zip(names, values)), **fixed)
    ad.check_grads(f, tuple(float(v) for v in params.values()), order=2)


# --- multivariate ------------------------------------------------------------------------
RNG = np.random.default_rng(7)
F = RNG.normal(size=(3, 3))
COV = F @ F.T + np.eye(3)
MEAN = RNG.normal(size=3)
PTS = RNG.normal(size=(4, 3))


@pytest.mark.parametrize("x, mean, cov", [
    (PTS, MEAN, COV), (PTS[0], MEAN, COV), (PTS[:1], MEAN, COV), (PTS.reshape(2, 2, 3), MEAN, COV),
    (PTS[:, 0], 0.5, 2.0), (PTS, MEAN, np.array([1.0, 2.0, 0.5])), (PTS, None, COV),
    (PTS[:, :2], MEAN[:2], 1.5)])
def test_multivariate_normal_values(x, mean, cov):
    want = ss.multivariate_normal.logpdf(x, mean, cov)
    _close(ds.multivariate_normal.logpdf(x, mean, cov), want)
    _close(ds.multivariate_normal.pdf(x, mean, cov), ss.multivariate_normal.pdf(x, mean, cov))
    _close(ds.multivariate_normal(mean, cov).logpdf(x), want)


def test_multivariate_normal_singular():
    cov = np.diag([1.0, 2.0, 0.0])
    for x in ([[1.0, 2.0, 3.0]], [[1.0, 2.0, 0.0]], [1.0, -1.0, 0.0]):
        _close(ds.multivariate_normal.logpdf(x, np.zeros(3), cov, allow_singular=True),
               ss.multivariate_normal.logpdf(x, np.zeros(3), cov, allow_singular=True))
    with pytest.raises(np.linalg.LinAlgError):
        ds.multivariate_normal.logpdf([1.0, 2.0, 0.0], np.zeros(3), cov)
    # derivatives in x and the mean along the support (the first two components; the
    # cov a constant)

    def f(y, m):
        x = np.concatenate([y, np.zeros((2, 1))], axis=1)
        return ds.multivariate_normal.logpdf(x, np.concatenate([m, np.zeros(1)]), cov,
                                             allow_singular=True)
    ad.check_grads(f, (np.array([[1.0, 2.0], [0.3, -0.2]]), np.array([0.1, 0.2])), order=2)


def test_multivariate_normal_derivatives():
    def f(x, mean, factor):
        cov = factor @ factor.T + np.eye(3)
        return ds.multivariate_normal.logpdf(x, mean, cov)
    ad.check_grads(f, (PTS, MEAN, F), order=2)
    # the gradient in x is -cov^-1 (x - mean)
    g = ad.grad(lambda x: ds.multivariate_normal.logpdf(x, MEAN, COV))(PTS[0])
    np.testing.assert_allclose(g, -np.linalg.solve(COV, PTS[0] - MEAN), rtol=1e-13)


def test_multivariate_normal_cov_derivative_is_scipys():
    # d logpdf / d cov_ij, each entry moved alone (scipy reads the lower triangle too):
    # central differences of scipy's own function, h = 1e-6 (error ~1e-10)
    g = ad.grad(lambda c: np.sum(ds.multivariate_normal.logpdf(PTS, MEAN, c)))(COV)
    h = 1e-6
    fd = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            e = np.zeros((3, 3))
            e[i, j] = h
            fd[i, j] = (np.sum(ss.multivariate_normal.logpdf(PTS, MEAN, COV + e)) - np.sum(
                ss.multivariate_normal.logpdf(PTS, MEAN, COV - e))) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-7, atol=1e-8)


def test_multivariate_normal_entropy():
    _close(ds.multivariate_normal.entropy(MEAN, COV), ss.multivariate_normal.entropy(MEAN, COV))
    _close(ds.multivariate_normal(MEAN, COV).entropy(), ss.multivariate_normal(MEAN, COV).entropy())
    ad.check_grads(lambda f: ds.multivariate_normal.entropy(MEAN, f @ f.T + np.eye(3)), (F,),
                   order=2)


def test_dirichlet():
    x = np.array([[0.2, 0.3], [0.5, 0.1], [0.3, 0.6]])
    alpha = np.array([1.5, 2.0, 0.7])
    _close(ds.dirichlet.logpdf(x, alpha), ss.dirichlet.logpdf(x, alpha))
    _close(ds.dirichlet.logpdf(x[:2], alpha), ss.dirichlet.logpdf(x[:2], alpha))
    _close(ds.dirichlet.pdf(x[:, 0], alpha), ss.dirichlet.pdf(x[:, 0], alpha))
    _close(ds.dirichlet(alpha).logpdf(x[:, 0]), ss.dirichlet(alpha).logpdf(x[:, 0]))
    # x by its first k - 1 components (the last is 1 - their sum), and alpha
    ad.check_grads(lambda x, a: ds.dirichlet.logpdf(x, a), (x[:2], alpha), order=2)
    with pytest.raises(ValueError):
        ds.dirichlet.logpdf([0.5, 0.6, 0.1], alpha)


@pytest.mark.parametrize("name", ["norm", "expon", "laplace", "cauchy", "uniform", "lognorm"])
def test_ppf_derivatives(name):
    params = {k: v for k, v in DERIVATIVE_PARAMS[name].items()}
    q = np.array([0.15, 0.4, 0.8])     # none at laplace's kink at 1/2
    names = list(params)

    def f(q, *values):
        return getattr(ds, name).ppf(q, **dict(zip(names, values)))
    ad.check_grads(f, (q,) + tuple(float(v) for v in params.values()), order=2)
    # the inverse of the cdf
    x = getattr(ds, name).ppf(q, **params)
    np.testing.assert_allclose(getattr(ds, name).cdf(x, **params), q, rtol=1e-12)
