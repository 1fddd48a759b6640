"""scipy.special functions as rows of the primitive table.

SciPy's special functions are NumPy ufuncs, so ``scipy.special.gammaln(x)`` on a traced
value reaches dualad through ``__array_ufunc__``; each row here serves one of them the way
``elementwise.py`` serves NumPy's: one partial-derivative expression per operand,
``d(*operands, out)``, written with table rows (other special functions among them), so
outer derivatives differentiate the partials too. An operand that is an order or a shape
(``polygamma``'s n, ``iv``'s v, ``gammainc``'s a) has no partial; a traced value there
raises ``NotDifferentiableError`` instead of losing its derivative.

This module imports SciPy: ``import dualad`` never imports it. NumPy dispatch loads it the
first time a ufunc it does not know meets a traced value while ``scipy.special`` is
imported (``dualad.scipy.special`` imports it directly).

``domain`` gives, per operand, the interval the finite-difference tests draw from, or
the list of values an order takes (tests/test_table.py reads it).
"""
import math

import numpy as np
import scipy.special as sc
from scipy.special import _ufuncs

from ..core import Box, NotDifferentiableError, primal, register
from .elementwise import Elementwise, exp, log, log1p, sign, sqrt, where

_SQRT_PI = math.sqrt(math.pi)
_TWO_OVER_SQRT_PI = 2.0 / _SQRT_PI
_SQRT_2PI = math.sqrt(2.0 * math.pi)

# Test domains shared by several rows (see the module docstring).
ANY = (-2.0, 2.0)
POSITIVE = (0.5, 3.0)       # away from the poles at 0 (gamma, polygamma, Bessel y and k)
ORDERS = [-1.5, -0.5, 0.0, 0.5, 1.0, 2.0, 2.5]


class SpecialFunction(Elementwise):
    """An elementwise row for a scipy.special function (``args``: its operand names).

    Python floats take the function itself, as a float (what the scalar tape and the fast
    operators of reverse mode take). numba cannot call SciPy's ufuncs: no fused kernel
    (``kernel = False``)."""

    kernel = False

    def __init__(self, name, impl, partials, args, domain=None, kink=None):
        super().__init__(name, impl, partials, domain=domain, kink=kink,
                         scalar=lambda *xs: float(impl(*xs)))
        self.args = args

    def __call__(self, *args, **kw):
        for i in self.nondiff:
            if isinstance(args[i], Box):
                traced = ", ".join(a for j, a in enumerate(self.args) if j not in self.nondiff)
                raise NotDifferentiableError(
                    f"scipy.special.{self.name} with respect to {self.args[i]}",
                    hint=f"Only {traced} can be traced; pass {self.args[i]} as a constant "
                         f"(dualad.primal({self.args[i]}) if no derivative should flow "
                         "through it).")
        return Elementwise.__call__(self, *args, **kw)


def _row(name, impl, args, *partials, domain=None, kink=None):
    return register(SpecialFunction(name, impl, partials, tuple(args.split()),
                                    domain=domain, kink=kink))


def _polygamma_impl(n, x):
    r = sc.polygamma(n, x)          # a 0-d array for scalars: NumPy's scalar instead
    return r[()] if r.ndim == 0 else r


# --- gamma and related -------------------------------------------------------------------
gamma = _row("gamma", sc.gamma, "x", lambda x, o: o * digamma(x), domain=(POSITIVE,))
gammaln = _row("gammaln", sc.gammaln, "x", lambda x, o: digamma(x), domain=(POSITIVE,))
loggamma = _row("loggamma", sc.loggamma, "x", lambda x, o: digamma(x), domain=(POSITIVE,))
rgamma = _row("rgamma", sc.rgamma, "x", lambda x, o: -o * digamma(x), domain=(POSITIVE,))
gammasgn = _row("gammasgn", sc.gammasgn, "x", lambda x, o: 0.0 * x, domain=(POSITIVE,),
                kink="piecewise constant (+1 or -1, jumping at 0, -1, -2, ...): derivative 0 "
                     "everywhere")
digamma = _row("digamma", sc.digamma, "x", lambda x, o: polygamma(1, x),
               domain=(POSITIVE,))
# scipy.special.polygamma is a Python function (np.asarray first): dualad.scipy.special
# serves it with this row.
polygamma = _row("polygamma", _polygamma_impl, "n x", None,
                 lambda n, x, o: polygamma(n + 1, x), domain=([0, 1, 2], POSITIVE))
beta = _row("beta", sc.beta, "a b", lambda a, b, o: o * (digamma(a) - digamma(a + b)),
            lambda a, b, o: o * (digamma(b) - digamma(a + b)), domain=(POSITIVE, POSITIVE))
betaln = _row("betaln", sc.betaln, "a b", lambda a, b, o: digamma(a) - digamma(a + b),
              lambda a, b, o: digamma(b) - digamma(a + b), domain=(POSITIVE, POSITIVE))
# d/dx of the regularized incomplete gamma functions: x^(a-1) e^-x / Gamma(a)
gammainc = _row("gammainc", sc.gammainc, "a x", None,
                lambda a, x, o: exp((a - 1.0) * log(x) - x - gammaln(a)),
                domain=([0.5, 1.0, 1.5, 2.5], (0.1, 3.0)))
gammaincc = _row("gammaincc", sc.gammaincc, "a x", None,
                 lambda a, x, o: -exp((a - 1.0) * log(x) - x - gammaln(a)),
                 domain=([0.5, 1.0, 1.5, 2.5], (0.1, 3.0)))
# d/dx of the regularized incomplete beta function: x^(a-1) (1-x)^(b-1) / B(a, b)
betainc = _row("betainc", sc.betainc, "a b x", None, None,
               lambda a, b, x, o: exp((a - 1.0) * log(x) + (b - 1.0) * log1p(-x)
                                      - betaln(a, b)),
               domain=([0.5, 1.0, 2.5], [0.5, 1.0, 3.0], (0.1, 0.9)))
# The Hurwitz zeta function zeta(x, q) = sum_k (k + q)^-x (scipy.special.zeta(x, q) calls
# this ufunc): d/dq = -x zeta(x + 1, q). SciPy has no closed form for d/dx.
zeta = _row("zeta", _ufuncs._zeta, "x q", None, lambda x, q, o: -x * zeta(x + 1.0, q),
            domain=([2.0, 2.5, 3.0], POSITIVE))

# --- error functions and the normal distribution ------------------------------------------
erf = _row("erf", sc.erf, "x", lambda x, o: _TWO_OVER_SQRT_PI * exp(-x * x))
erfc = _row("erfc", sc.erfc, "x", lambda x, o: -_TWO_OVER_SQRT_PI * exp(-x * x))
erfi = _row("erfi", sc.erfi, "x", lambda x, o: _TWO_OVER_SQRT_PI * exp(x * x))
erfcx = _row("erfcx", sc.erfcx, "x", lambda x, o: 2.0 * x * o - _TWO_OVER_SQRT_PI)
erfinv = _row("erfinv", sc.erfinv, "y", lambda y, o: 0.5 * _SQRT_PI * exp(o * o),
              domain=((-0.9, 0.9),))
erfcinv = _row("erfcinv", sc.erfcinv, "y", lambda y, o: -0.5 * _SQRT_PI * exp(o * o),
               domain=((0.1, 1.9),))
dawsn = _row("dawsn", sc.dawsn, "x", lambda x, o: 1.0 - 2.0 * x * o)
ndtr = _row("ndtr", sc.ndtr, "x", lambda x, o: exp(-0.5 * x * x) / _SQRT_2PI)
# phi(x) / Phi(x) as exp(log phi(x) - log Phi(x)): no overflow far in the left tail
log_ndtr = _row("log_ndtr", sc.log_ndtr, "x", lambda x, o: exp(-0.5 * x * x - o) / _SQRT_2PI)
# Student's t distribution function: d/dt is the t density. (No df = 1 in the test
# domain: SciPy's stdtr(1, t) is off by ~1e-12 near t = 0, which finite differences
# amplify past their tolerance; tests/scipy checks that case against 1 / (pi (1 + t^2)).)
stdtr = _row("stdtr", sc.stdtr, "df t", None,
             lambda df, t, o: exp(gammaln(0.5 * (df + 1.0)) - gammaln(0.5 * df)
                                  - 0.5 * (df + 1.0) * log1p(t * t / df))
             / sqrt(df * math.pi), domain=([1.5, 2.5, 5.0], ANY))
ndtri = _row("ndtri", sc.ndtri, "y", lambda y, o: _SQRT_2PI * exp(0.5 * o * o),
             domain=((0.05, 0.95),))

# --- logistic, information theory ----------------------------------------------------------
expit = _row("expit", sc.expit, "x", lambda x, o: o * (1.0 - o))
logit = _row("logit", sc.logit, "p", lambda p, o: 1.0 / (p * (1.0 - p)),
             domain=((0.05, 0.95),))
log_expit = _row("log_expit", sc.log_expit, "x", lambda x, o: expit(-x))
xlogy = _row("xlogy", sc.xlogy, "x y", lambda x, y, o: log(y), lambda x, y, o: x / y,
             domain=(ANY, (0.1, 3.0)))
xlog1py = _row("xlog1py", sc.xlog1py, "x y", lambda x, y, o: log1p(y),
               lambda x, y, o: x / (1.0 + y), domain=(ANY, (-0.9, 2.0)))
entr = _row("entr", sc.entr, "x", lambda x, o: -1.0 - log(x), domain=((0.1, 3.0),))
rel_entr = _row("rel_entr", sc.rel_entr, "x y", lambda x, y, o: log(x) - log(y) + 1.0,
                lambda x, y, o: -x / y, domain=((0.1, 3.0), (0.1, 3.0)))
kl_div = _row("kl_div", sc.kl_div, "x y", lambda x, y, o: log(x) - log(y),
              lambda x, y, o: 1.0 - x / y, domain=((0.1, 3.0), (0.1, 3.0)))

# --- Bessel functions: d/dx from the recurrences (order v not differentiable) -------------
# The exponentially scaled ones (i0e = e^-|x| i0, kve = e^x kv, ...) add the scale's term;
# |x| has a kink at 0, where sign(0) = 0 is taken.
_KINK_SCALED = "d/dx at 0 takes sign(0) = 0 in the e^-|x| factor"
i0 = _row("i0", sc.i0, "x", lambda x, o: i1(x))
# I_2 as e^|x| ive(2, x): SciPy's iv is nan for subnormal x, ive is not
i1 = _row("i1", sc.i1, "x", lambda x, o: 0.5 * (i0(x) + ive(2.0, x) * exp(abs(x))))
i0e = _row("i0e", sc.i0e, "x", lambda x, o: i1e(x) - sign(x) * o,
           domain="nonzero", kink=_KINK_SCALED + " (one-sided derivatives -1, +1)")
i1e = _row("i1e", sc.i1e, "x", lambda x, o: 0.5 * (i0e(x) + ive(2.0, x)) - sign(x) * o,
           domain="nonzero", kink=_KINK_SCALED + " (d/dx = 1/2 there; the second "
                                                      "derivative jumps)")
iv = _row("iv", sc.iv, "v x", None, lambda v, x, o: 0.5 * (iv(v - 1.0, x) + iv(v + 1.0, x)),
          domain=(ORDERS, POSITIVE))
ive = _row("ive", sc.ive, "v x", None,
           lambda v, x, o: 0.5 * (ive(v - 1.0, x) + ive(v + 1.0, x)) - sign(x) * o,
           domain=(ORDERS, POSITIVE))
jv = _row("jv", sc.jv, "v x", None, lambda v, x, o: 0.5 * (jv(v - 1.0, x) - jv(v + 1.0, x)),
          domain=(ORDERS, POSITIVE))
yv = _row("yv", sc.yv, "v x", None, lambda v, x, o: 0.5 * (yv(v - 1.0, x) - yv(v + 1.0, x)),
          domain=(ORDERS, POSITIVE))
kv = _row("kv", sc.kv, "v x", None, lambda v, x, o: -0.5 * (kv(v - 1.0, x) + kv(v + 1.0, x)),
          domain=(ORDERS, POSITIVE))
kve = _row("kve", sc.kve, "v x", None,
           lambda v, x, o: o - 0.5 * (kve(v - 1.0, x) + kve(v + 1.0, x)),
           domain=(ORDERS, POSITIVE))
j0 = _row("j0", sc.j0, "x", lambda x, o: -j1(x))
j1 = _row("j1", sc.j1, "x", lambda x, o: 0.5 * (j0(x) - jv(2.0, x)))
yn = _row("yn", sc.yn, "n x", None, lambda n, x, o: 0.5 * (yv(n - 1.0, x) - yv(n + 1.0, x)),
          domain=([0, 1, 2, 3], POSITIVE))
y0 = _row("y0", sc.y0, "x", lambda x, o: -y1(x), domain=(POSITIVE,))
y1 = _row("y1", sc.y1, "x", lambda x, o: 0.5 * (y0(x) - yv(2.0, x)), domain=(POSITIVE,))
k0 = _row("k0", sc.k0, "x", lambda x, o: -k1(x), domain=(POSITIVE,))
k1 = _row("k1", sc.k1, "x", lambda x, o: -0.5 * (k0(x) + kv(2.0, x)), domain=(POSITIVE,))
k0e = _row("k0e", sc.k0e, "x", lambda x, o: o - k1e(x), domain=(POSITIVE,))
k1e = _row("k1e", sc.k1e, "x", lambda x, o: o - 0.5 * (k0e(x) + kve(2.0, x)),
           domain=(POSITIVE,))


# --- exponential integrals, dilogarithm ----------------------------------------------------
exp1 = _row("exp1", sc.exp1, "x", lambda x, o: -exp(-x) / x, domain=((0.2, 3.0),))
expi = _row("expi", sc.expi, "x", lambda x, o: exp(x) / x, domain=((0.2, 3.0),))


def _expn_partial(n, x, o):
    # d/dx E_n = -E_{n-1}; scipy's expn takes n >= 0 only, so E_0 = e^-x / x and
    # E_-1 = e^-x (1/x + 1/x^2) are written out (every order of derivative stays finite)
    m = n - 1.0
    e = exp(-x) / x
    return -where(m >= 1.0, expn(where(m >= 1.0, m, 1.0), x),
                  where(m == 0.0, e, e * (1.0 + 1.0 / x)))


expn = _row("expn", sc.expn, "n x", None, _expn_partial,
            domain=([0.0, 1.0, 2.0, 3.0], (0.2, 3.0)))


# spence(z) = int_1^z log(t) / (1 - t) dt: d/dz = log(z) / (1 - z) = -log1p(u) / u with
# u = z - 1, which is 0/0 at z = 1; there (|u| < 1e-3) its Taylor series
# -(1 - u/2 + u^2/3 - u^3/4 + u^4/5) (error below 1e-15), a polynomial, so every order of
# derivative is right at 1 too.
_SPENCE_SERIES = 1e-3


def _spence_partial(z, o):
    u = z - 1.0
    small = np.abs(primal(u)) < _SPENCE_SERIES
    us = where(small, u, 0.0)
    series = -(1.0 + us * (-0.5 + us * (1.0 / 3.0 + us * (-0.25 + us * 0.2))))
    ul = where(small, 1.0, u)
    return where(small, series, -log1p(ul) / ul)


spence = _row("spence", sc.spence, "z", _spence_partial, domain=((0.2, 3.0),))
