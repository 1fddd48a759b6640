"""dualad.scipy.special and the scipy.special rows: values against SciPy, derivatives
against SciPy's own derivative functions and finite differences, in both modes and at
second order (tests/test_table.py checks every row on its domain the same way).

Finite differences (check_grads): h = 2^-17, atol = rtol = 1e-5, as in test_table; the
functions here are evaluated where |f| <= ~1e2 and the third derivatives are <= ~1e3.
"""
import subprocess
import sys

import numpy as np
import pytest

scipy_special = pytest.importorskip("scipy.special")

import dualad as ad  # noqa: E402
import dualad.scipy.special as ds  # noqa: E402
from dualad import rules as P  # noqa: E402
from dualad.rules import special as rows  # noqa: E402

sc = scipy_special
RNG = np.random.default_rng(20261202)
SPECIAL_ROWS = sorted(n for n, p in P.TABLE.items() if isinstance(p, rows.SpecialFunction))


def _derivative_both_modes(f, x):
    """f'(x) elementwise for an elementwise f: forward (jvp with ones) and reverse."""
    fwd = ad.jvp(f, (x,), (np.ones_like(x),))[1]
    rev = ad.vjp(f, x)[1](np.ones_like(x))[0]
    return fwd, rev


# --- the rows: values, and derivatives against scipy's own derivative functions ---------
def test_every_row_is_exported():
    missing = [n for n in SPECIAL_ROWS if not hasattr(ds, n)]
    assert not missing, f"rows not in dualad.scipy.special: {missing}"


@pytest.mark.parametrize("name", SPECIAL_ROWS)
def test_ufunc_on_traced_values_gives_scipys_value(name):
    prim = P.TABLE[name]
    xs = P.sample_operands(prim, RNG, (5,))
    fn = getattr(ds, name)
    want = fn(*xs)
    diff = [i for i in range(prim.nin) if prim.partials[i] is not None]

    def f(x):
        args = list(xs)
        args[diff[0]] = x
        return fn(*args)

    got, _ = ad.jvp(f, (xs[diff[0]],), (np.ones(5),))
    np.testing.assert_array_equal(got, want)
    got_rev, _ = ad.vjp(f, xs[diff[0]])
    np.testing.assert_array_equal(got_rev, want)


X = np.array([0.6, 1.1, 1.9, 2.7])
V = np.array([-1.5, 0.0, 0.5, 2.0])

# d/dx from SciPy's own functions (independent of the rows' recurrences), rtol 1e-12:
# both sides are a few ulps of values of moderate size.
SCIPY_DERIVATIVES = [
    ("gammaln", lambda x: sc.gammaln(x), lambda x: sc.digamma(x)),
    ("digamma", lambda x: sc.digamma(x), lambda x: sc.polygamma(1, x)),
    ("polygamma", lambda x: ds.polygamma(2, x), lambda x: sc.polygamma(3, x)),
    ("jv", lambda x: sc.jv(V, x), lambda x: sc.jvp(V, x)),
    ("yv", lambda x: sc.yv(V, x), lambda x: sc.yvp(V, x)),
    ("iv", lambda x: sc.iv(V, x), lambda x: sc.ivp(V, x)),
    ("kv", lambda x: sc.kv(V, x), lambda x: sc.kvp(V, x)),
    ("j1", lambda x: sc.j1(x), lambda x: sc.jvp(1, x)),
    ("y1", lambda x: sc.y1(x), lambda x: sc.yvp(1, x)),
    ("i1", lambda x: sc.i1(x), lambda x: sc.ivp(1, x)),
    ("k1", lambda x: sc.k1(x), lambda x: sc.kvp(1, x)),
    ("i1e", lambda x: sc.i1e(x), lambda x: (sc.ivp(1, x) - sc.iv(1, x)) * np.exp(-x)),
    ("kve", lambda x: sc.kve(V, x), lambda x: (sc.kvp(V, x) + sc.kv(V, x)) * np.exp(x)),
    ("erfinv", lambda y: sc.erfinv(y / 3.0), lambda y: 1.0 / (3.0 * 2.0 / np.sqrt(np.pi)
                                                          * np.exp(-sc.erfinv(y / 3.0) ** 2))),
    ("ndtri", lambda y: sc.ndtri(y / 3.0), lambda y: 1.0 / (3.0 * np.exp(
        -0.5 * sc.ndtri(y / 3.0) ** 2) / np.sqrt(2 * np.pi))),
    ("zeta", lambda q: sc.zeta(3.0, q), lambda q: -3.0 * sc.zeta(4.0, q)),
    ("gammainc", lambda x: sc.gammainc(1.5, x),
     lambda x: x ** 0.5 * np.exp(-x) / sc.gamma(1.5)),
    ("stdtr", lambda x: sc.stdtr(2.5, x), lambda x: np.exp(
        sc.gammaln(1.75) - sc.gammaln(1.25)) / np.sqrt(2.5 * np.pi) * (1 + x * x / 2.5) ** -1.75),
    ("spence", lambda x: sc.spence(x), lambda x: np.log(x) / (1.0 - x)),
    ("stdtr df=1", lambda x: sc.stdtr(1.0, x - 1.1), lambda x: 1.0 / (np.pi * (
        1.0 + (x - 1.1) ** 2))),
]


@pytest.mark.parametrize("name, f, df", SCIPY_DERIVATIVES, ids=[c[0] for c in SCIPY_DERIVATIVES])
def test_derivative_equals_scipys(name, f, df):
    for got in _derivative_both_modes(f, X):
        np.testing.assert_allclose(got, df(X), rtol=1e-12, atol=1e-14)


def test_spence_at_one():
    # the partial switches to a series at 1 (0/0 in the closed form): the limit -1 and
    # its own derivative 1/2 there
    d1 = ad.grad(lambda x: sc.spence(x))(1.0)
    d2 = ad.grad(ad.grad(lambda x: sc.spence(x)))(1.0)
    assert d1 == -1.0 and abs(d2 - 0.5) < 1e-15


@pytest.mark.parametrize("x", [1.3, np.float64(1.3), np.array([0.7, 1.3])])
def test_third_order_through_the_rows(x):
    # d^3/dx^3 gammaln = polygamma(2, x): digamma's partial is polygamma's row, whose own
    # partial is polygamma(n + 1, x)
    def d(f):      # the elementwise derivative of an elementwise f, by reverse mode
        return ad.grad(lambda y: np.sum(f(y)))

    np.testing.assert_allclose(d(d(d(sc.gammaln)))(x), sc.polygamma(2, x), rtol=1e-13)
    np.testing.assert_allclose(ad.jvp(lambda y: ad.jvp(lambda z: ad.jvp(
        sc.gammaln, (z,), (np.ones_like(z),))[1], (y,), (np.ones_like(y),))[1],
        (x,), (np.ones_like(x),))[1], sc.polygamma(2, x), rtol=1e-13)


def test_python_floats_take_the_scalar_paths():
    # reverse mode records Python floats as scalar entries (and np.erf-style one-operand
    # ufuncs through the fast operators): same values and derivatives as the array path
    def f(x):
        return sc.gammaln(x) * sc.erf(x) + sc.xlogy(x, 2.0 * x) + sc.iv(0.5, x)

    g_float = ad.grad(f)(1.3)
    g_array = ad.grad(lambda x: np.sum(f(x)))(np.array([1.3]))
    assert type(g_float) is float
    np.testing.assert_allclose(g_float, g_array[0], rtol=1e-15)
    ad.check_grads(f, (1.3,), order=2)


@pytest.mark.parametrize("call, what", [
    (lambda v: sc.iv(v, 1.3), "scipy.special.iv with respect to v"),
    (lambda a: sc.gammainc(a, 1.3), "scipy.special.gammainc with respect to a"),
    (lambda n: ds.polygamma(n, 1.3), "scipy.special.polygamma with respect to n"),
    (lambda x: sc.zeta(x, 1.3), "scipy.special.zeta with respect to x"),
    (lambda x: ds.zeta(x), "scipy.special.zeta(x) with respect to x"),
])
@pytest.mark.parametrize("mode", [ad.grad, ad.jacfwd])
def test_order_parameters_raise(call, what, mode):
    with pytest.raises(ad.NotDifferentiableError, match=what.replace("(", r"\(").replace(
            ")", r"\)")):
        mode(call)(1.5)


# --- the Python-level functions -------------------------------------------------------
A = RNG.normal(size=(3, 4))
B = RNG.normal(size=(3, 4))
LSE_CASES = [
    dict(), dict(axis=0), dict(axis=-1, keepdims=True), dict(axis=(0, 1)),
    dict(b=np.abs(B) + 0.1), dict(b=B, return_sign=True, axis=1),
    dict(b=np.where(B > 0, B, 0.0), axis=0), dict(b=2.0, keepdims=True),
]


@pytest.mark.parametrize("kw", LSE_CASES, ids=[str(sorted(k)) for k in LSE_CASES])
def test_logsumexp_values(kw):
    got, want = ds.logsumexp(A, **kw), sc.logsumexp(A, **kw)
    for g, w in zip(np.atleast_1d(got) if not kw.get("return_sign") else got,
                    np.atleast_1d(want) if not kw.get("return_sign") else want):
        np.testing.assert_allclose(g, w, rtol=1e-14, atol=1e-14)
        assert np.shape(g) == np.shape(w)


def test_logsumexp_edge_values():
    assert np.isnan(ds.logsumexp([1.0, 2.0], b=[1.0, -2.0]))     # negative sum
    assert ds.logsumexp([1.0, 2.0], b=[0.0, 0.0]) == -np.inf
    assert ds.logsumexp([-np.inf, -np.inf]) == -np.inf
    assert ds.logsumexp([np.inf, 1.0]) == np.inf
    r, s = ds.logsumexp([1.0, 2.0], b=[1.0, -2.0], return_sign=True)
    w = sc.logsumexp([1.0, 2.0], b=[1.0, -2.0], return_sign=True)
    np.testing.assert_allclose([r, s], w, rtol=1e-15)


@pytest.mark.parametrize("kw", [dict(), dict(axis=0), dict(axis=1, keepdims=True),
                                dict(axis=1, b=np.abs(B) + 0.1)])
def test_logsumexp_derivatives(kw):
    ad.check_grads(lambda a: ds.logsumexp(a, **kw), (A,), order=2)


def test_logsumexp_signed_derivatives():
    # weights of both signs, sums kept away from 0: d/da log|sum b e^a| = b e^a / sum
    b = np.array([[1.0, -0.3, 0.5, -0.2], [-2.0, 0.4, 0.1, -0.1], [0.5, 0.5, -0.1, 0.2]])
    assert np.all(np.abs(np.sum(b * np.exp(A), axis=1)) > 0.5)
    ad.check_grads(lambda a, b: ds.logsumexp(a, axis=1, b=b, return_sign=True)[0],
                   (A, b), order=2)


def test_logsumexp_gradient_is_softmax():
    for mode in (ad.grad, ad.jacfwd):
        np.testing.assert_allclose(mode(lambda a: ds.logsumexp(a))(A), sc.softmax(A),
                                   rtol=1e-14)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_softmax(fn, axis):
    np.testing.assert_allclose(getattr(ds, fn)(A, axis=axis),
                               getattr(sc, fn)(A, axis=axis), rtol=1e-14, atol=1e-15)
    ad.check_grads(lambda a: getattr(ds, fn)(a, axis=axis), (A,), order=2)


def test_multigammaln():
    a = np.array([2.1, 3.5])
    np.testing.assert_allclose(ds.multigammaln(a, 3), sc.multigammaln(a, 3), rtol=1e-14)
    ad.check_grads(lambda a: ds.multigammaln(a, 3), (a,), order=2)
    np.testing.assert_allclose(ad.grad(lambda a: ds.multigammaln(a, 3))(2.1),
                               sum(sc.digamma(2.1 - j / 2) for j in range(3)), rtol=1e-14)
    with pytest.raises(ValueError):
        ds.multigammaln(0.9, 3)


def test_zeta():
    assert ds.zeta(2.0) == sc.zeta(2.0)
    assert ds.zeta(2.0, 1.5) == sc.zeta(2.0, 1.5)
    ad.check_grads(lambda q: ds.zeta(2.5, q), (np.array([0.7, 1.6]),), order=2)


def test_polygamma_values():
    n = np.array([0, 1, 2, 3])
    np.testing.assert_array_equal(ds.polygamma(n, X), sc.polygamma(n, X))
    assert ds.polygamma(1, 1.5) == sc.polygamma(1, 1.5)


# --- SciPy stays optional ---------------------------------------------------------------
def _run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)


def test_import_dualad_does_not_import_scipy():
    r = _run("import sys, dualad, dualad.scipy\n"
             "import numpy as np\n"
             "dualad.grad(lambda x: np.sum(np.sin(x)))(np.ones(3))\n"
             "assert 'scipy' not in sys.modules, sorted(m for m in sys.modules if 'scipy' in m)")
    assert r.returncode == 0, r.stderr


def test_rows_load_when_a_scipy_ufunc_meets_a_traced_value():
    # no import of dualad.scipy: the first scipy.special ufunc on a traced value loads the
    # rows, in each mode and on the scalar paths
    r = _run("import sys, numpy as np, dualad as ad, scipy.special as sc\n"
             "assert 'dualad.rules.special' not in sys.modules\n"
             "assert abs(ad.grad(sc.gammaln)(1.5) - sc.digamma(1.5)) < 1e-15\n"
             "assert abs(ad.jvp(sc.erf, (0.3,), (1.0,))[1] - 2/np.pi**0.5*np.exp(-0.09)) < 1e-15\n"
             "x = np.array([0.5, 1.5])\n"
             "assert np.allclose(ad.jacfwd(sc.expit)(x), np.diag(sc.expit(x)*sc.expit(-x)))\n"
             "t = ad.Tensor(np.array([1.5]), requires_grad=True)\n"
             "sc.gammaln(t).sum().backward()\n"
             "assert np.allclose(t.grad, sc.digamma(1.5))\n")
    assert r.returncode == 0, r.stderr


def test_missing_scipy_says_how_to_install():
    r = _run("import sys; sys.modules['scipy'] = None\n"
             "import dualad\n"
             "try:\n"
             "    import dualad.scipy.special\n"
             "except ImportError as e:\n"
             "    assert 'pip install \"dualad[scipy]\"' in str(e), str(e)\n"
             "    assert 'dualad.scipy.special' in str(e), str(e)\n"
             "else:\n"
             "    raise SystemExit('no ImportError')\n")
    assert r.returncode == 0, r.stderr
