"""Issue 12, item 3: every elementwise partial at 0, -0, +-1, +-inf and the boundaries of
its domain, in both modes, and at second order where 0 is a regular point. Exact values
(limits where the point is a boundary); NaN where the derivative does not exist; None
where the point lies outside the domain (the value itself is NaN there, as in NumPy)."""
import math
import warnings

import numpy as np
import pytest

import dualad as ad
from dualad import rules as P

INF, NAN = math.inf, math.nan
E, S1, C1, SH1, CH1, T1 = math.e, math.sin(1), math.cos(1), math.sinh(1), math.cosh(1), \
    math.tanh(1)
LN2, LN10 = math.log(2), math.log(10)
POINTS = (0.0, -0.0, 1.0, -1.0, INF, -INF)

# first derivative at POINTS, and the second derivative at 0 (None: 0 is not regular)
FIRST = {
    "absolute": ((0, 0, 1, -1, 1, -1), 0),
    "fabs": ((0, 0, 1, -1, 1, -1), 0),
    "arccos": ((-1, -1, -INF, -INF, None, None), 0),
    "arccosh": ((None, None, INF, None, 0, None), None),
    "arcsin": ((1, 1, INF, INF, None, None), 0),
    "arcsinh": ((1, 1, 2 ** -0.5, 2 ** -0.5, 0, 0), 0),
    "arctan": ((1, 1, 0.5, 0.5, 0, 0), 0),
    "arctanh": ((1, 1, INF, INF, None, None), 0),
    "cbrt": ((INF, INF, 1 / 3, 1 / 3, 0, 0), None),
    "cos": ((0, 0, -S1, S1, NAN, NAN), -1),
    "cosh": ((0, 0, SH1, -SH1, INF, -INF), 1),
    "deg2rad": ((math.pi / 180,) * 6, 0),
    "radians": ((math.pi / 180,) * 6, 0),
    "degrees": ((180 / math.pi,) * 6, 0),
    "rad2deg": ((180 / math.pi,) * 6, 0),
    "exp": ((1, 1, E, 1 / E, INF, 0), 1),
    "exp2": ((LN2, LN2, 2 * LN2, LN2 / 2, INF, 0), LN2 ** 2),
    "expm1": ((1, 1, E, 1 / E, INF, 0), 1),
    "log": ((INF, INF, 1, None, 0, None), -INF),
    "log2": ((INF, INF, 1 / LN2, None, 0, None), -INF),
    "log10": ((INF, INF, 1 / LN10, None, 0, None), -INF),
    "log1p": ((1, 1, 0.5, INF, 0, None), -1),
    "negative": ((-1,) * 6, 0),
    "reciprocal": ((-INF, -INF, -1, -1, 0, 0), None),
    "sin": ((1, 1, C1, C1, NAN, NAN), 0),
    "sinc": ((0, 0, -1, 1, None, None), -math.pi ** 2 / 3),
    "sinh": ((1, 1, CH1, CH1, INF, INF), 0),
    "sqrt": ((INF, INF, 0.5, None, 0, None), -INF),
    "square": ((0, 0, 2, -2, INF, -INF), 2),
    "tan": ((1, 1, 1 / C1 ** 2, 1 / C1 ** 2, NAN, NAN), 0),
    "tanh": ((1, 1, 1 - T1 ** 2, 1 - T1 ** 2, 0, 0), 0),
}

# NumPy's rows; scipy.special's (rules/special.py) are checked at their domains' edges by
# tests/rules/test_table.py and tests/scipy/test_scipy_special.py
UNARY = sorted(n for n, p in P.TABLE.items() if isinstance(p, P.Elementwise) and p.nin == 1
               and type(p).__module__ != "dualad.rules.special")


def test_every_unary_row_is_audited():
    assert set(UNARY) == set(FIRST), set(UNARY) ^ set(FIRST)


def _same(got, want):
    got = float(got)
    if math.isnan(want):
        return math.isnan(got)
    if math.isinf(want):
        return got == want
    return got == pytest.approx(want, rel=1e-14, abs=1e-300)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@pytest.mark.parametrize("name", UNARY)
def test_unary_rows_at_special_points(name):
    prim = P.TABLE[name]
    firsts, second = FIRST[name]
    f = lambda t: prim(t)                 # noqa: E731
    for x, want in zip(POINTS, firsts):
        if want is None:
            continue
        for route, got in (("grad", ad.grad(f)(x)), ("jvp", ad.jvp(f, (x,), (1.0,))[1]),
                           ("grad of array", ad.grad(lambda v: np.sum(prim(v)))(np.array([x]))[0]),
                           ("jacfwd of array", ad.jacfwd(prim)(np.array([x]))[0, 0])):
            assert _same(got, want), (name, x, route, got, want)
    if second is not None:
        for route, fn in (("hessian", ad.hessian(f)), ("grad of grad", ad.grad(ad.grad(f))),
                          ("jacfwd of jacfwd", ad.jacfwd(ad.jacfwd(f)))):
            assert _same(fn(0.0), second), (name, route, fn(0.0), second)


BINARY = [
    # (row, x, y, d/dx, d/dy)
    ("power", 0.0, 0.0, 0.0, 0.0), ("power", 0.0, 1.0, 1.0, 0.0), ("power", 0.0, 2.0, 0.0, 0.0),
    ("power", 0.0, 3.0, 0.0, 0.0), ("power", 0.0, 0.5, INF, 0.0), ("power", 2.0, 0.0, 0.0, LN2),
    ("power", -2.0, 3.0, 12.0, NAN), ("power", INF, 2.0, INF, INF),
    ("float_power", 0.0, 0.0, 0.0, 0.0), ("float_power", 0.0, 1.0, 1.0, 0.0),
    ("logaddexp", INF, 1.0, 1.0, 0.0), ("logaddexp", 1.0, INF, 0.0, 1.0),
    ("logaddexp", -INF, 1.0, 0.0, 1.0), ("logaddexp", 2.0, 2.0, 0.5, 0.5),
    ("logaddexp2", INF, 1.0, 1.0, 0.0), ("logaddexp2", -INF, 1.0, 0.0, 1.0),
    ("multiply", 0.0, INF, INF, 0.0), ("divide", 1.0, INF, 0.0, 0.0),
    ("divide", 0.0, 2.0, 0.5, 0.0), ("arctan2", 1.0, 0.0, 0.0, -1.0),
    ("hypot", 0.0, 0.0, 0.0, 0.0), ("hypot", 0.0, 2.0, 0.0, 1.0),
    ("maximum", INF, INF, 0.5, 0.5), ("minimum", 0.0, 0.0, 0.5, 0.5),
    ("strong_multiply", 0.0, NAN, NAN, 0.0),
]


@pytest.mark.parametrize("row,x,y,dx,dy", BINARY)
def test_binary_rows_at_special_points(row, x, y, dx, dy):
    prim = P.TABLE[row]
    f = lambda a, b: prim(a, b)           # noqa: E731
    g = ad.grad(f, argnums=(0, 1))(x, y)
    fx = ad.jvp(f, (x, y), (1.0, 0.0))[1]
    fy = ad.jvp(f, (x, y), (0.0, 1.0))[1]
    for got, want, what in ((g[0], dx, "grad x"), (g[1], dy, "grad y"), (fx, dx, "jvp x"),
                            (fy, dy, "jvp y")):
        assert _same(got, want), (row, x, y, what, got, want)
