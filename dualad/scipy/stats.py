"""``scipy.stats`` distributions for traced values: a drop-in for ``import scipy.stats``.

Each distribution has scipy's call signatures (``norm.logpdf(x, loc=0, scale=1)``,
``t.cdf(x, df, loc=0, scale=1)``, ``poisson.logpmf(k, mu, loc=0)``,
``multivariate_normal.logpdf(x, mean, cov, allow_singular=False)``, a frozen
``norm(loc, scale)``), and is written with NumPy calls and scipy.special ufuncs that dualad
differentiates: x, loc, scale and the shape parameters all take derivatives, in both modes
and at any order. Where the distribution function needs a special function that is not
differentiable in an order (``gammainc``'s a in ``gamma.cdf``, ``betainc``'s a and b in
``beta.cdf``, ``binom.cdf``), a traced shape parameter raises ``NotDifferentiableError``.

Values outside the support give scipy's values (logpdf -inf, cdf 0 or 1), invalid
parameters (scale <= 0, ...) nan; no derivative flows through those masks.
"""
import math
import sys

import numpy as np

from ._scipy import require_scipy

require_scipy("dualad.scipy.stats")

from scipy import special as sc  # noqa: E402  (ufuncs: their rows serve traced values)
from ..rules import special as _rows  # noqa: E402,F401  (the rows those ufuncs need)
from ..core import Box, primal  # noqa: E402

__all__ = ["norm", "t", "gamma", "beta", "expon", "laplace", "cauchy", "chi2", "lognorm",
           "uniform", "poisson", "binom", "bernoulli", "nbinom", "multivariate_normal",
           "dirichlet"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_PI = math.log(math.pi)


def _array(x):
    return x if isinstance(x, Box) else np.asarray(x, dtype=float)


def _value(x):
    return np.asarray(primal(x))


def _result(r):
    """A 0-d result as NumPy's scalar (what scipy returns)."""
    return r[()] if type(r) is np.ndarray and r.ndim == 0 else r


def _masked(inside, value, outside):
    """``value`` where the plain mask ``inside`` holds, else the constant ``outside``."""
    if np.all(inside):
        return value
    return np.where(inside, value, outside)


class _Distribution:
    """Parameters as scipy takes them: shapes, then loc (and scale), by position or name.
    ``constant_in_cdf``: the shapes the distribution functions (cdf, sf, their logs) take
    no derivative in (their special function has them as an order)."""

    shapes = ()
    scaled = True
    constant_in_cdf = ()

    def _bind(self, args, kw, method):
        names = self.shapes + (("loc", "scale") if self.scaled else ("loc",))
        if len(args) > len(names):
            raise TypeError(f"{self.name}.{method}() takes at most {len(names)} parameters")
        params = dict(zip(names, args))
        for k, v in kw.items():
            if k not in names or k in params:
                raise TypeError(f"{self.name}.{method}() got an unexpected or repeated "
                                f"argument {k!r}")
            params[k] = v
        missing = [n for n in self.shapes if n not in params]
        if missing:
            raise TypeError(f"{self.name}.{method}() missing the shape parameter(s) "
                            f"{', '.join(missing)}")
        params.setdefault("loc", 0.0)
        if self.scaled:
            params.setdefault("scale", 1.0)
        return {k: _array(v) for k, v in params.items()}

    def __call__(self, *args, **kw):
        """The frozen distribution: its methods take x only."""
        return _Frozen(self, args, kw)

    def _valid(self, **shapes):
        return True


class _Frozen:
    def __init__(self, dist, args, kw):
        self.dist, self.args, self.kw = dist, args, kw

    def __getattr__(self, method):
        fn = getattr(self.dist, method)
        return lambda *x: fn(*x, *self.args, **self.kw)


class _Continuous(_Distribution):
    """A location-scale family: z = (x - loc) / scale and the standard form's methods
    ``_logpdf(z, **shapes)``, ``_cdf`` (and, where more accurate, ``_logcdf``, ``_sf``,
    ``_logsf``, ``_ppf``) on the support [lower, upper]; ``inner`` is a point inside it
    (where the formulas are evaluated for points outside, which are masked anyway)."""

    lower, upper, inner = -np.inf, np.inf, 0.0

    def __init__(self, name):
        self.name = name

    def _standard(self, x, args, kw, method):
        p = self._bind(args, kw, method)
        loc, scale = p.pop("loc"), p.pop("scale")
        z = (_array(x) - loc) / scale
        valid = (_value(scale) > 0) & self._valid(**{k: _value(v) for k, v in p.items()})
        zv = _value(z)
        return z, zv, scale, p, valid

    def _inside(self, z, zv, strict=False):
        """z where it lies in the support (``inner`` elsewhere) and that mask."""
        inside = (zv > self.lower) & (zv < self.upper) if strict else \
            (zv >= self.lower) & (zv <= self.upper)
        return _masked(inside, z, self.inner), inside

    def logpdf(self, x, *args, **kw):
        z, zv, scale, p, valid = self._standard(x, args, kw, "logpdf")
        zs, inside = self._inside(z, zv)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = _masked(inside, self._logpdf(zs, **p) - np.log(scale), -np.inf)
        return _result(_masked(valid & ~np.isnan(zv), r, np.nan))

    def pdf(self, x, *args, **kw):
        return np.exp(self.logpdf(x, *args, **kw))

    def _tail(self, method, x, args, kw, below, above):
        z, zv, scale, p, valid = self._standard(x, args, kw, method)
        zs, _ = self._inside(z, zv, strict=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = getattr(self, "_" + method)(zs, **p)
            r = _masked(zv > self.lower, r, below)
            r = _masked(zv < self.upper, r, above)
        return _result(_masked(valid & ~np.isnan(zv), r, np.nan))

    def cdf(self, x, *args, **kw):
        return self._tail("cdf", x, args, kw, 0.0, 1.0)

    def logcdf(self, x, *args, **kw):
        return self._tail("logcdf", x, args, kw, -np.inf, 0.0)

    def sf(self, x, *args, **kw):
        return self._tail("sf", x, args, kw, 1.0, 0.0)

    def logsf(self, x, *args, **kw):
        return self._tail("logsf", x, args, kw, 0.0, -np.inf)

    def ppf(self, q, *args, **kw):
        p = self._bind(args, kw, "ppf")
        loc, scale = p.pop("loc"), p.pop("scale")
        q = _array(q)
        qv = _value(q)
        inside = (qv > 0) & (qv < 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = self._ppf(_masked(inside, q, 0.5), **p)
            r = _masked(inside, r, np.nan)
            r = _masked(qv != 0, r, self.lower)
            r = _masked(qv != 1, r, self.upper)
            return _result(r * scale + loc)

    # defaults from the cdf
    def _logcdf(self, z, **p):
        return np.log(self._cdf(z, **p))

    def _sf(self, z, **p):
        return 1.0 - self._cdf(z, **p)

    def _logsf(self, z, **p):
        return np.log(self._sf(z, **p))


def _distribution(base, name, **methods):
    """A distribution from its standard-form methods (a class with one instance)."""
    attrs = {k: (staticmethod(v) if callable(v) else v) for k, v in methods.items()}
    return type(f"{name}_gen", (base,), attrs)(name)


def _continuous(name, **methods):
    return _distribution(_Continuous, name, **methods)


norm = _continuous(
    "norm",
    _logpdf=lambda z: -0.5 * z * z - _LOG_SQRT_2PI,
    _cdf=lambda z: sc.ndtr(z), _logcdf=lambda z: sc.log_ndtr(z),
    _sf=lambda z: sc.ndtr(-z), _logsf=lambda z: sc.log_ndtr(-z),
    _ppf=lambda q: sc.ndtri(q))
t = _continuous(
    "t", shapes=("df",), constant_in_cdf=("df",), _valid=lambda df: df > 0,
    _logpdf=lambda z, df: (sc.gammaln(0.5 * (df + 1.0)) - sc.gammaln(0.5 * df)
                           - 0.5 * (np.log(df) + _LOG_PI)
                           - 0.5 * (df + 1.0) * np.log1p(z * z / df)),
    _cdf=lambda z, df: sc.stdtr(df, z), _sf=lambda z, df: sc.stdtr(df, -z))
cauchy = _continuous(
    "cauchy",
    _logpdf=lambda z: -_LOG_PI - np.log1p(z * z),
    _cdf=lambda z: 0.5 + np.arctan(z) / math.pi, _sf=lambda z: 0.5 - np.arctan(z) / math.pi,
    _ppf=lambda q: np.tan(math.pi * (q - 0.5)))


def _laplace_cdf(z):
    # 1/2 e^z below 0, 1 - 1/2 e^-z above: exp(-|z|) with |z| written per branch, so
    # the derivative at 0 is the density 1/2 (sign(0) = 0 would give 0)
    e = np.exp(np.where(_value(z) < 0, z, -z))
    return np.where(_value(z) < 0, 0.5 * e, 1.0 - 0.5 * e)


laplace = _continuous(
    "laplace",
    _logpdf=lambda z: -np.abs(z) - math.log(2.0),
    _cdf=_laplace_cdf, _sf=lambda z: _laplace_cdf(-z),
    _ppf=lambda q: np.where(_value(q) < 0.5, np.log(2.0 * q), -np.log(2.0 - 2.0 * q)))
expon = _continuous(
    "expon", lower=0.0, inner=1.0,
    _logpdf=lambda z: -z,
    _cdf=lambda z: -np.expm1(-z), _logcdf=lambda z: np.log(-np.expm1(-z)),
    _sf=lambda z: np.exp(-z), _logsf=lambda z: -z,
    _ppf=lambda q: -np.log1p(-q))
uniform = _continuous(
    "uniform", lower=0.0, upper=1.0, inner=0.5,
    _logpdf=lambda z: 0.0 * z,
    _cdf=lambda z: z, _sf=lambda z: 1.0 - z, _ppf=lambda q: q)
gamma = _continuous(
    "gamma", shapes=("a",), constant_in_cdf=("a",), lower=0.0, inner=1.0, _valid=lambda a: a > 0,
    _logpdf=lambda z, a: sc.xlogy(a - 1.0, z) - z - sc.gammaln(a),
    _cdf=lambda z, a: sc.gammainc(a, z), _sf=lambda z, a: sc.gammaincc(a, z))
chi2 = _continuous(
    "chi2", shapes=("df",), constant_in_cdf=("df",), lower=0.0, inner=1.0, _valid=lambda df: df > 0,
    _logpdf=lambda z, df: (sc.xlogy(0.5 * df - 1.0, z) - 0.5 * z - sc.gammaln(0.5 * df)
                           - 0.5 * df * math.log(2.0)),
    _cdf=lambda z, df: sc.gammainc(0.5 * df, 0.5 * z),
    _sf=lambda z, df: sc.gammaincc(0.5 * df, 0.5 * z))
beta = _continuous(
    "beta", shapes=("a", "b"), constant_in_cdf=("a", "b"), lower=0.0, upper=1.0, inner=0.5,
    _valid=lambda a, b: (a > 0) & (b > 0),
    _logpdf=lambda z, a, b: (sc.xlogy(a - 1.0, z) + sc.xlog1py(b - 1.0, -z)
                             - sc.betaln(a, b)),
    _cdf=lambda z, a, b: sc.betainc(a, b, z), _sf=lambda z, a, b: sc.betainc(b, a, 1.0 - z))


def _lognorm_logpdf(z, s):
    lz = np.log(z)
    return -np.log(s) - lz - _LOG_SQRT_2PI - 0.5 * (lz / s) ** 2


lognorm = _continuous(
    "lognorm", shapes=("s",), lower=0.0, inner=1.0, _valid=lambda s: s > 0,
    _logpdf=_lognorm_logpdf,
    _cdf=lambda z, s: sc.ndtr(np.log(z) / s), _logcdf=lambda z, s: sc.log_ndtr(np.log(z) / s),
    _sf=lambda z, s: sc.ndtr(-np.log(z) / s), _logsf=lambda z, s: sc.log_ndtr(-np.log(z) / s),
    _ppf=lambda q, s: np.exp(s * sc.ndtri(q)))


# ------------------------------------------------------------------------------------
# Discrete distributions: k shifted by loc; the pmf is 0 off the integers of the support
# ------------------------------------------------------------------------------------
class _Discrete(_Distribution):
    """``_logpmf(k, **shapes)`` on the integers of [``_lower``, ``_upper(**shapes)``];
    ``_cdf(k)`` and ``_sf(k)`` at integers k inside it."""

    scaled = False
    lower, inner = 0.0, 0.0

    def __init__(self, name):
        self.name = name

    def _upper(self, **p):
        return np.inf

    def _standard(self, k, args, kw, method):
        p = self._bind(args, kw, method)
        k = _array(k) - p.pop("loc")
        pv = {n: _value(v) for n, v in p.items()}
        return k, _value(k), p, self._valid(**pv), self._upper(**pv)

    def logpmf(self, k, *args, **kw):
        k, kv, p, valid, upper = self._standard(k, args, kw, "logpmf")
        inside = (kv == np.floor(kv)) & (kv >= self.lower) & (kv <= upper)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = _masked(inside, self._logpmf(_masked(inside, k, self.inner), **p), -np.inf)
        return _result(_masked(valid & ~np.isnan(kv), r, np.nan))

    def pmf(self, k, *args, **kw):
        return np.exp(self.logpmf(k, *args, **kw))

    def _tail(self, method, k, args, kw, below, above):
        k, kv, p, valid, upper = self._standard(k, args, kw, method)
        kf = np.floor(kv)                      # the cdf is flat between the integers
        inside = (kf >= self.lower) & (kf < upper)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = getattr(self, method)(_masked(inside, kf, self.inner), **p)
            r = _masked(kf >= self.lower, r, below)
            r = _masked(kf < upper, r, above)
        return _result(_masked(valid & ~np.isnan(kv), r, np.nan))

    def cdf(self, k, *args, **kw):
        return self._tail("_cdf", k, args, kw, 0.0, 1.0)

    def sf(self, k, *args, **kw):
        return self._tail("_sf", k, args, kw, 1.0, 0.0)

    def logcdf(self, k, *args, **kw):
        with np.errstate(divide="ignore"):
            return np.log(self.cdf(k, *args, **kw))

    def logsf(self, k, *args, **kw):
        with np.errstate(divide="ignore"):
            return np.log(self.sf(k, *args, **kw))


def _discrete(name, **methods):
    return _distribution(_Discrete, name, **methods)


def _binom_logpmf(k, n, p):
    return (sc.gammaln(n + 1.0) - sc.gammaln(k + 1.0) - sc.gammaln(n - k + 1.0)
            + sc.xlogy(k, p) + sc.xlog1py(n - k, -p))


poisson = _discrete(
    "poisson", shapes=("mu",), _valid=lambda mu: mu >= 0,
    _logpmf=lambda k, mu: sc.xlogy(k, mu) - mu - sc.gammaln(k + 1.0),
    _cdf=lambda k, mu: sc.gammaincc(k + 1.0, mu), _sf=lambda k, mu: sc.gammainc(k + 1.0, mu))
binom = _discrete(
    "binom", shapes=("n", "p"), constant_in_cdf=("n",), _valid=lambda n, p: (n >= 0) & (p >= 0) & (p <= 1),
    _upper=lambda n, p: n, _logpmf=_binom_logpmf,
    _cdf=lambda k, n, p: sc.betainc(n - k, k + 1.0, 1.0 - p),
    _sf=lambda k, n, p: sc.betainc(k + 1.0, n - k, p))
bernoulli = _discrete(
    "bernoulli", shapes=("p",), _valid=lambda p: (p >= 0) & (p <= 1),
    _upper=lambda p: 1.0, _logpmf=lambda k, p: _binom_logpmf(k, 1.0, p),
    _cdf=lambda k, p: 1.0 - p, _sf=lambda k, p: p)
nbinom = _discrete(
    "nbinom", shapes=("n", "p"), constant_in_cdf=("n",), _valid=lambda n, p: (n > 0) & (p > 0) & (p <= 1),
    _logpmf=lambda k, n, p: (sc.gammaln(n + k) - sc.gammaln(n) - sc.gammaln(k + 1.0)
                             + sc.xlogy(n, p) + sc.xlog1py(k, -p)),
    _cdf=lambda k, n, p: sc.betainc(n, k + 1.0, p),
    _sf=lambda k, n, p: sc.betainc(k + 1.0, n, 1.0 - p))


# ------------------------------------------------------------------------------------
# Multivariate
# ------------------------------------------------------------------------------------
class _MultivariateNormal:
    """``logpdf(x, mean=None, cov=1, allow_singular=False)``, ``pdf`` and
    ``entropy(mean=None, cov=1)``, as scipy: x's last axis holds the components (a 1-D x
    of a 1-D distribution is n points); cov's lower triangle is read (the derivative in
    cov is that of the function scipy computes, not symmetrized)."""

    name = "multivariate_normal"

    def __call__(self, mean=None, cov=1, allow_singular=False):
        return _Frozen(self, (), dict(mean=mean, cov=cov, allow_singular=allow_singular))

    def _parameters(self, mean, cov):
        cov = _array(cov)
        if mean is None:
            dim = 1 if np.ndim(_value(cov)) == 0 else np.shape(_value(cov))[0]
            mean = np.zeros(dim)
        mean = _array(mean)
        mean = np.reshape(mean, (1,)) if np.ndim(_value(mean)) == 0 else mean
        dim = np.shape(_value(mean))[0]
        if np.ndim(_value(cov)) == 0:
            cov = cov * np.eye(dim)
        elif np.ndim(_value(cov)) == 1:
            cov = cov * np.eye(dim)         # the diagonal
        if np.shape(_value(cov)) != (dim, dim):
            raise ValueError(f"cov must be {dim} x {dim} for a mean of length {dim}")
        return mean, cov, dim

    def logpdf(self, x, mean=None, cov=1, allow_singular=False):
        mean, cov, dim = self._parameters(mean, cov)
        x = _array(x)
        nd = np.ndim(_value(x))
        if nd == 0:
            x = np.reshape(x, (1, 1))
        elif nd == 1:
            x = np.reshape(x, (-1, 1)) if dim == 1 else np.reshape(x, (1, -1))
        lead = np.shape(_value(x))[:-1]
        dev = np.reshape(x - mean, (-1, dim))
        spectrum = np.linalg.eigvalsh(_value(cov))
        eps = 1e6 * np.finfo(float).eps * np.max(np.abs(spectrum))   # scipy's cut-off
        if np.min(spectrum) > eps:
            c = np.linalg.cholesky(cov)
            # solve c y = dev^T for every point at once: the Mahalanobis terms |y|^2
            y = np.linalg.solve(c, np.swapaxes(dev, -1, -2))
            maha = np.sum(y * y, axis=-2)
            log_det = 2.0 * np.sum(np.log(np.diagonal(c)))
            r = -0.5 * (dim * 2.0 * _LOG_SQRT_2PI + log_det + maha)
        elif not allow_singular:
            raise np.linalg.LinAlgError("singular matrix (pass allow_singular=True)")
        else:
            r = self._singular(dev, cov, eps)
        return _result(np.squeeze(np.reshape(r, lead)))

    def _singular(self, dev, cov, eps):
        """The density on the support of a singular cov (eigen-decomposition; its
        derivative needs the kept eigenvalues distinct)."""
        s, u = np.linalg.eigh(cov)
        keep = _value(s) > eps
        s, u = s[keep], u[:, keep]
        proj = dev @ u
        maha = np.sum(proj * proj / s, axis=-1)
        outside = np.linalg.norm(_value(dev) - (_value(proj) @ _value(u).T), axis=-1) > 1e-8 * (
            1.0 + np.linalg.norm(_value(dev), axis=-1))
        r = -0.5 * (int(np.sum(keep)) * 2.0 * _LOG_SQRT_2PI + np.sum(np.log(s)) + maha)
        return _masked(~outside, r, -np.inf)

    def pdf(self, x, mean=None, cov=1, allow_singular=False):
        return np.exp(self.logpdf(x, mean, cov, allow_singular))

    def entropy(self, mean=None, cov=1, allow_singular=False):
        """The differential entropy (a nonsingular cov: its Cholesky factor)."""
        _, cov, dim = self._parameters(mean, cov)
        log_det = 2.0 * np.sum(np.log(np.diagonal(np.linalg.cholesky(cov))))
        return _result(0.5 * (dim * (1.0 + 2.0 * _LOG_SQRT_2PI) + log_det))


class _Dirichlet:
    """``logpdf(x, alpha)`` and ``pdf``, as scipy: x's first axis holds the components
    (k of them, or k - 1 with the last one 1 - sum)."""

    name = "dirichlet"

    def __call__(self, alpha):
        return _Frozen(self, (alpha,), {})

    def logpdf(self, x, alpha):
        x, alpha = _array(x), _array(alpha)
        k = np.shape(_value(alpha))[0]
        if np.shape(_value(x))[0] == k - 1:
            x = np.concatenate([x, 1.0 - np.sum(x, axis=0, keepdims=True)], axis=0)
        a = np.reshape(alpha, (k,) + (1,) * (np.ndim(_value(x)) - 1))
        xv = _value(x)
        if np.any(xv < 0) or np.any(xv > 1) or np.any(
                np.abs(np.sum(xv, axis=0) - 1.0) > 10e-10):
            raise ValueError("each x must lie in the open simplex (0 < x_i < 1, sum 1)")
        norm_const = np.sum(sc.gammaln(alpha)) - sc.gammaln(np.sum(alpha))
        return _result(np.sum(sc.xlogy(a - 1.0, x), axis=0) - norm_const)

    def pdf(self, x, alpha):
        return np.exp(self.logpdf(x, alpha))


multivariate_normal = _MultivariateNormal()
dirichlet = _Dirichlet()

# autograd's distributions are modules (``import autograd.scipy.stats.norm as norm``): the
# same import of dualad.scipy.stats.norm finds the distribution object here.
for _name in __all__:
    sys.modules[f"{__name__}.{_name}"] = globals()[_name]
