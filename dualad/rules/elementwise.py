"""Elementwise primitives: one partial-derivative expression per operand.

Each row ``d_i(*operands, out)`` serves forward mode (tangent * d), reverse mode (cotangent
* d, summed over broadcast axes), the scalar tape (partials of Python floats computed when
recorded) and the numba kernels (which compile the same expression). Every other fact about
an operation is a keyword of its row: the ``math`` implementation for Python floats
(``scalar``), where a fused kernel pays (``fused_jvp``, ``fused_vjp``), the Python operator
whose fast path inlines its partials (``fast``), the domain the tests draw from and the
convention at a kink. Rules use primitives and operators only, so outer traces
differentiate them too.
"""
import contextlib
import contextvars
import dis
import inspect
import math
import operator
import sys

import numpy as np

from ..core import Box, Primitive, decision_operand, dtype_of, ndim_of, register, shape_of
from .structural import align, broadcast_to, project, unbroadcast

# ------------------------------------------------------------------------------------
# Elementwise primitives: one derivative expression per operand.
# ------------------------------------------------------------------------------------
class Elementwise(Primitive):
    """A broadcasting elementwise op with partials ``d_i(*operands, out)``.

    ``partials[i]`` is None for an operand that takes no derivative (a condition).
    ``domain`` (optional) describes the inputs the finite-difference tests may draw: a
    name (tests/test_table.py: DOMAINS), or per operand an interval ``(lo, hi)`` or the
    list of values an operand without derivative (an order) takes.
    """

    elementwise = True
    kernel = True       # numba can compile the partials (a fused kernel is possible)

    def __init__(self, name, impl, partials, domain=None, kink=None, scalar=None,
                 fused_jvp=None, fused_vjp=False, fast=None):
        nondiff = {i for i, d in enumerate(partials) if d is None}
        super().__init__(name, impl, nondiff=nondiff, depends="elementwise")
        self.partials = partials
        self.nin = len(partials)
        self.domain = domain
        self.kink = kink  # the documented convention at a non-differentiable point
        self.scalar = scalar        # the math/operator function computing it on floats
        self.fused_jvp = fused_jvp  # fewest directions from which the fused kernel pays
        self.fused_vjp = fused_vjp  # whether the fused cotangent kernel pays
        self.fast = fast            # (Tracer method, value expression) of the fast operator
        # +1 / -1 for the constant partial of a linear operand (add, subtract, negative)
        self.signs = tuple(getattr(d, "sign", None) for d in partials)
        # which of (*operands, out) each partial reads: what the tape must keep
        self.reads = tuple(frozenset() if d is None else arguments_read(d, self.nin + 1)
                           for d in partials)

    def vjp_reads(self, parents):
        need = set()
        for i, p in enumerate(parents):
            if p is not None:
                need |= self.reads[i]
        need.discard(self.nin)      # the output: the tape's own value
        return need

    def residuals(self, primals, out, parents):
        """(primals, out) as the tape keeps them for the VJP: large arrays that no partial
        of a traced operand reads are swapped for a NaN stand-in of the same shape and
        dtype (no memory), so the temporaries of array code are freed as f runs instead
        of living until the backward sweep. A stand-in read by mistake gives NaN, never
        a plausible wrong number."""
        need = set()
        for i, p in enumerate(parents):
            if p is not None:
                need |= self.reads[i]
        if len(need) > self.nin:
            return primals, out
        primals = tuple(v if i in need else released(v) for i, v in enumerate(primals))
        return primals, (out if self.nin in need else released(out))

    def __call__(self, *args, **kw):
        # Plain Python floats take the math/operator implementation: same values, and
        # several times faster than a ufunc call on a scalar.
        if self.scalar is not None and not kw:
            for x in args:
                if type(x) is not float and type(x) is not int:
                    break
            else:
                try:
                    r = self.scalar(*args)
                    if type(r) is float:
                        return r
                except (ArithmeticError, ValueError):
                    pass
        return Primitive.__call__(self, *args, **kw)

    def partial(self, i, primals, out):
        try:
            d = self.partials[i](*primals, out)
        except (ArithmeticError, ValueError):
            # Python floats raise where NumPy gives inf/nan (1/0 at a kink): use NumPy's.
            f64 = [np.float64(p) if type(p) in (float, int) else p for p in primals]
            d = self.partials[i](*f64, np.float64(out) if type(out) is float else out)
        return _follow_dtype(d, out)

    def jvp(self, tangents, primals, out, kw):
        out_nd = ndim_of(out)
        total = None
        for i, t in enumerate(tangents):
            if t is None:
                continue
            term = scale(align(t, ndim_of(primals[i]), out_nd), self.partial(i, primals, out))
            total = term if total is None else total + term
        if total is None:
            return None
        want = (shape_of(total)[0],) + shape_of(out)
        return total if shape_of(total) == want else broadcast_to(total, shape=want)

    def vjp(self, i, g, primals, out, kw):
        d = self.partial(i, primals, out)
        if type(d) is np.ndarray and type(g) is np.ndarray and d.shape == g.shape \
                and d.base is None and d.flags.writeable and sys.getrefcount(d) == 2 \
                and np.result_type(d, g) == d.dtype and not strong_zeros.get():
            # the partial is a fresh temporary nobody else holds (not a primal, not out):
            # multiply into it instead of allocating the product (memory traffic decides
            # the speed of large arrays)
            d *= g
            return project(unbroadcast(d, shape_of(primals[i])), primals[i])
        return project(unbroadcast(scale(g, d), shape_of(primals[i])), primals[i])


def arguments_read(fn, nargs):
    """The positions among fn's first ``nargs`` arguments that its code reads (all of
    them when that cannot be told: a builtin, a closure over an argument)."""
    code = getattr(fn, "__code__", None)
    everything = frozenset(range(nargs))
    if code is None:
        return everything
    names = list(code.co_varnames[:code.co_argcount])
    if code.co_flags & inspect.CO_VARARGS:
        names.append(code.co_varnames[code.co_argcount + code.co_kwonlyargcount])
    if any(n in code.co_cellvars for n in names):
        return everything
    read = set()
    for ins in dis.get_instructions(code):
        if "FAST" in ins.opname:
            read.update(ins.argval if isinstance(ins.argval, tuple) else (ins.argval,))
    if len(names) > code.co_argcount:       # *args read at all: every argument
        return everything if names[-1] in read else frozenset()
    return frozenset(i for i, n in enumerate(names[:nargs]) if n in read)


RELEASE_MIN_SIZE = 4096     # smaller arrays cost more to swap than they free
_NAN_CELLS = {}


def released(v):
    """A read-only NaN array shaped like the array ``v`` (stride 0: no memory), or ``v``
    itself when it is small, not a float array, or not an array."""
    if type(v) is not np.ndarray or v.size < RELEASE_MIN_SIZE or v.dtype.kind not in "fc":
        return v
    cell = _NAN_CELLS.get(v.dtype)
    if cell is None:
        cell = _NAN_CELLS[v.dtype] = np.full(1, np.nan, dtype=v.dtype)
        cell.flags.writeable = False
    return np.ndarray(v.shape, v.dtype, buffer=cell, strides=(0,) * v.ndim)


_F64 = np.dtype(np.float64)
_LOW_PRECISION = (np.dtype(np.float32), np.dtype(np.float16), np.dtype(np.complex64))


def _follow_dtype(d, out):
    """A partial that came out in double precision (a mask times 1.0, a NumPy float64
    constant) cast down to the output's precision: float32 in, float32 derivatives out."""
    if type(d) is float or (type(out) is np.ndarray and out.dtype is _F64):
        return d                # a weakly typed constant, or a double-precision output
    if isinstance(d, (np.ndarray, np.generic)) and d.dtype.itemsize >= 8:
        dt = dtype_of(out)
        if dt in _LOW_PRECISION:
            return d.astype(dt if d.dtype.kind == "c" else np.finfo(dt).dtype)
    return d


def sample_operands(prim, rng, shape):
    """Random float64 operands of shape ``shape`` inside an elementwise primitive's
    ``domain`` (ties, kinks and poles have probability zero): for kernel tests and
    benchmarks."""
    if isinstance(prim.domain, tuple):      # per operand: an interval or the values
        return tuple(rng.choice(d, shape).astype(float) if isinstance(d, list)
                     else rng.uniform(*d, shape) for d in prim.domain)
    lo, hi = {"open_unit": (-0.9, 0.9), "tan": (-1.2, 1.2), "gt_one": (1.2, 3.0),
              "positive": (0.2, 2.0), "positive_x": (0.2, 2.0),
              "gt_minus_one": (-0.8, 2.0)}.get(prim.domain, (-2.0, 2.0))
    xs = [rng.uniform(lo, hi, shape) for _ in range(prim.nin)]
    if prim.domain in ("nonzero", "nonzero_y", "nonzero_pair"):
        xs = [rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 2.0, shape) for _ in xs]
    if prim.domain == "remainder":
        xs = [rng.uniform(0.2, 2.0, shape), rng.uniform(3.0, 5.0, shape)]
    if prim.domain == "positive_x" and prim.nin == 2:
        xs[1] = rng.uniform(-2.0, 2.0, shape)
    return tuple(xs)


def scale(t, d):
    """t * d, skipping the multiplication for the constant partials +1 and -1."""
    if type(d) is float:
        if d == 1.0:
            return t
        if d == -1.0:
            return np.negative(t) if type(t) is np.ndarray else negative(t)
    if not strong_zeros.get():      # times(t, d), inline: this is every partial's product
        return t * d
    return strong_multiply(t, d)


# ------------------------------------------------------------------------------------
# Strong zeros: an exactly-zero tangent or cotangent contributes exactly zero, even where
# the partial it meets is inf or NaN (the branch not taken by np.where(x > 0, sqrt(x), 0)
# at x <= 0, d/dy x**y at x < 0 in the direction of x only). IEEE gives 0 * inf = NaN.
#
# The common path pays nothing: a derivative (the result of a sweep, the output tangents
# of a forward pass) that comes out all finite cannot have met such a product, since the
# NaN it makes flows on to the result unless a select or an index drops it, and then it
# did not matter. Only a result with a non-finite value is computed again, in strong-zero
# mode (``strong_zero_mode``), where every tangent/cotangent times partial (the NumPy
# rule here, the scalar tape's sweep) zeroes the products whose first factor is 0.
# ------------------------------------------------------------------------------------
strong_zeros = contextvars.ContextVar("dualad_strong_zeros", default=False)


@contextlib.contextmanager
def strong_zero_mode():
    """Within: zero tangents and cotangents stay exactly zero (0 * inf = 0)."""
    token = strong_zeros.set(True)
    try:
        yield
    finally:
        strong_zeros.reset(token)


def times(t, d):
    """A tangent or cotangent ``t`` times a partial ``d``; in strong-zero mode, 0 where
    ``t`` is 0 whatever ``d`` is."""
    if not strong_zeros.get():
        return t * d
    return strong_multiply(t, d)


def _strong_times(t, d):
    with np.errstate(invalid="ignore"):     # 0 * inf, replaced below
        r = t * d
    if type(r) is np.ndarray:
        if not np.isfinite(d).all():
            r = np.where(t == 0, np.zeros((), r.dtype), r)
        return r
    if t == 0 and not np.isfinite(r):
        return type(r)(0.0) if type(r) is not float and isinstance(r, np.generic) else 0.0
    return r


def all_finite(values):
    """Whether every value in ``values`` (arrays, scalars, boxes, None) is finite; a
    Dual's tangents are looked at too (the rows of a batched sweep, a forward pass)."""
    for v in values:
        if type(v) is np.ndarray:       # the common case first
            if v.dtype.kind in "fc" and not np.isfinite(v).all():
                return False
            continue
        while isinstance(v, Box):
            t = getattr(v, "_t", None)
            if t is not None and not all_finite((t,)):
                return False
            v = v.value
        if v is None:
            continue
        if type(v) is float:
            if not math.isfinite(v):
                return False
        elif isinstance(v, (np.ndarray, np.generic, complex)):
            # an ndarray subclass (sparsity detection's marked arrays) is looked at as the
            # plain array it holds: this is a question about numbers, not a branch of f
            if not np.isfinite(np.asarray(v)).all():
                return False
    return True


def _elementwise(name, impl, *partials, **row):
    return register(Elementwise(name, impl, partials, **row))


def _safe_log_base(x, y, out):
    if dtype_of(x).kind == "c":
        # complex base: log(x) x**y, zero where x == 0
        nz = _no_derivative(x) != 0
        return where(nz, log(where(nz, x, 1.0)) * out, 0.0)
    # d/dy x**y = log(x) x**y; zero where x == 0 (x**y is flat there for y > 0).
    pos = x > 0
    return where(pos, log(where(pos, x, 1.0)) * out, where(x == 0, 0.0, np.nan))


def _max_partial(x, y, out):
    return 1.0 * (x > y) + 0.5 * (x == y)


def _min_partial(x, y, out):
    return 1.0 * (x < y) + 0.5 * (x == y)


def expression(src):
    """A binary partial given as an expression in the operands x, y and the value o. The
    source is kept (``.expr``) so that reverse mode's scalar fast path inlines this same
    rule instead of calling it (one rule, two ways to run it)."""
    fn = eval(f"lambda x, y, o: {src}")  # noqa: S307  (a fixed string of this table)
    fn.expr = src
    return fn


def _constant(value):
    """The constant partial of a linear operand (any number of operands)."""
    fn = lambda *a: value  # noqa: E731
    fn.expr = repr(value)
    fn.sign = value if value in (1.0, -1.0) else None   # reverse mode adds or subtracts g
    return fn


ONE = _constant(1.0)
MINUS_ONE = _constant(-1.0)

add = _elementwise("add", np.add, ONE, ONE,
                   scalar=operator.add, fast=('add', 'x + y'))
subtract = _elementwise("subtract", np.subtract, ONE, MINUS_ONE,
                        scalar=operator.sub, fast=('sub', 'x - y'))
multiply = _elementwise("multiply", np.multiply, expression("y"), expression("x"),
                        scalar=operator.mul, fused_jvp=1, fast=('mul', 'x * y'))
class _StrongTimes(Elementwise):
    """t * d with t a tangent or cotangent: 0 where t is 0, whatever d is. Its own
    derivative keeps that: where t is 0 (a branch not taken: 0 all around), t * d' is 0
    even where d' is inf or NaN."""

    def jvp(self, tangents, primals, out, kw):
        (x, y), (tx, ty), nd = primals, tangents, ndim_of(out)
        terms = []
        if tx is not None:
            terms.append(strong_multiply(align(tx, ndim_of(x), nd), y))
        if ty is not None:
            terms.append(strong_multiply(x, align(ty, ndim_of(y), nd)))
        if not terms:
            return None
        total = terms[0] if len(terms) == 1 else terms[0] + terms[1]
        want = (shape_of(total)[0],) + shape_of(out)
        return total if shape_of(total) == want else broadcast_to(total, shape=want)


strong_multiply = register(_StrongTimes(
    "strong_multiply", _strong_times, (expression("y"), expression("x")),
    kink="0 where x is 0, whatever y is (strong zeros: a zero tangent or cotangent "
         "times an inf or NaN partial)"))
divide = _elementwise("divide", np.true_divide, expression("1.0 / y"), expression("-o / y"),
                      domain="nonzero_y",
                      scalar=operator.truediv, fused_jvp=1, fused_vjp=True, fast=('truediv', 'x / y'))
def _power_base(x, y, out):
    # x**2 is the common case: 2x avoids a general power over the whole array.
    if type(y) in (int, float) and y == 2:
        return 2.0 * x
    if type(x) is float:    # Python's float ** is complex for a negative base: NumPy's nan
        x = np.float64(x)
    return _exact_at_zero_exponent(y, lambda: y * x ** (y - 1))


def _exact_at_zero_exponent(y, general):
    """d/dx x**y = y x**(y-1), with the exact 0 where a constant exponent y is 0: x**0 is
    1 everywhere, while y x**(y-1) is 0 * inf = NaN at x = 0. (x**1 at second order,
    polynomials sum(c * x**k), np.vander and x[:, None] ** np.arange(k) meet it.) A
    traced exponent keeps the general expression, whose derivative in y is needed."""
    if type(y) in (int, float) or isinstance(y, np.generic):
        return 0.0 if y == 0 else general()
    d = general()
    if type(y) is np.ndarray and (y == 0).any():
        d = where(y == 0, 0.0, d)
    return d


power = _elementwise("power", np.power, _power_base, _safe_log_base, domain="positive_x",
                     kink="d/dy at x == 0 is 0",
                     scalar=math.pow, fast=('pow', None))
negative = _elementwise("negative", np.negative, MINUS_ONE,
                        scalar=operator.neg, fast=('neg', '-x'))
absolute = _elementwise("absolute", np.absolute, lambda x, o: sign(x), kink="d/dx at 0 is 0",
                        scalar=math.fabs, fused_jvp=1, fused_vjp=True)
sin = _elementwise("sin", np.sin, lambda x, o: cos(x),
                   scalar=math.sin, fused_jvp=8, fused_vjp=True)
cos = _elementwise("cos", np.cos, lambda x, o: -sin(x),
                   scalar=math.cos, fused_jvp=8, fused_vjp=True)
tan = _elementwise("tan", np.tan, lambda x, o: 1.0 + o * o, domain="tan",
                   scalar=math.tan, fused_jvp=1, fused_vjp=True)
exp = _elementwise("exp", np.exp, lambda x, o: o,
                   scalar=math.exp, fused_jvp=8, fused_vjp=True)
# (x + 0.0) turns -0.0 into +0.0: log(-0.0) is log(0), whose slope is +inf, not -inf
log = _elementwise("log", np.log, lambda x, o: 1.0 / (x + 0.0), domain="positive",
                   scalar=math.log, fused_jvp=1, fused_vjp=True)
log1p = _elementwise("log1p", np.log1p, lambda x, o: 1.0 / (1.0 + x), domain="gt_minus_one",
                     scalar=math.log1p, fused_jvp=1, fused_vjp=True)
expm1 = _elementwise("expm1", np.expm1, lambda x, o: o + 1.0,
                     scalar=math.expm1, fused_jvp=8, fused_vjp=True)
sqrt = _elementwise("sqrt", np.sqrt, lambda x, o: 0.5 / (o + 0.0), domain="positive",
                    kink="d/dx at 0 is +inf (the one-sided derivative; a zero tangent or "
                         "cotangent times it is 0: strong zeros)",
                    scalar=math.sqrt, fused_jvp=1, fused_vjp=True)
tanh = _elementwise("tanh", np.tanh, lambda x, o: 1.0 - o * o,
                    scalar=math.tanh, fused_jvp=1, fused_vjp=True)
sinh = _elementwise("sinh", np.sinh, lambda x, o: cosh(x),
                    scalar=math.sinh)
cosh = _elementwise("cosh", np.cosh, lambda x, o: sinh(x),
                    scalar=math.cosh)
arcsin = _elementwise("arcsin", np.arcsin, lambda x, o: 1.0 / sqrt(1.0 - x * x),
                      domain="open_unit",
                      scalar=math.asin, fused_jvp=1, fused_vjp=True)
arccos = _elementwise("arccos", np.arccos, lambda x, o: -1.0 / sqrt(1.0 - x * x),
                      domain="open_unit",
                      scalar=math.acos, fused_jvp=1, fused_vjp=True)
arctan = _elementwise("arctan", np.arctan, lambda x, o: 1.0 / (1.0 + x * x),
                      scalar=math.atan, fused_jvp=1, fused_vjp=True)
arctan2 = _elementwise("arctan2", np.arctan2,
                       lambda y, x, o: x / (x * x + y * y),
                       lambda y, x, o: -y / (x * x + y * y), domain="nonzero_pair",
                       scalar=math.atan2, fused_jvp=1, fused_vjp=True)
maximum = _elementwise("maximum", np.maximum, _max_partial,
                       lambda x, y, o: _max_partial(y, x, o), kink="ties split 1/2 : 1/2",
                       fused_jvp=1, fused_vjp=True)
minimum = _elementwise("minimum", np.minimum, _min_partial,
                       lambda x, y, o: _min_partial(y, x, o), kink="ties split 1/2 : 1/2",
                       fused_jvp=1, fused_vjp=True)
class _Select(Elementwise):
    """where(c, x, y): its derivatives select too (no multiplication by the 0/1 partials),
    so a NaN or inf derivative in the branch not taken never leaks through (the double-where
    idiom, and np.nan_to_num, rely on that)."""

    def jvp(self, tangents, primals, out, kw):
        c, x, y = primals
        _, tx, ty = tangents
        if tx is None and ty is None:
            return None
        nd = ndim_of(out)
        tx = 0.0 if tx is None else align(tx, ndim_of(x), nd)
        ty = 0.0 if ty is None else align(ty, ndim_of(y), nd)
        r = where(c, tx, ty)
        k = shape_of(r)[0] if ndim_of(r) == nd + 1 else shape_of(
            tangents[1] if tangents[1] is not None else tangents[2])[0]
        want = (k,) + shape_of(out)
        return r if shape_of(r) == want else broadcast_to(r, shape=want)

    def vjp(self, i, g, primals, out, kw):
        c = primals[0]
        picked = where(c, g, 0.0) if i == 1 else where(c, 0.0, g)
        return project(unbroadcast(picked, shape_of(primals[i])), primals[i])


where = register(_Select("where", np.where, (None, lambda c, x, y, o: 1.0 * c,
                                              lambda c, x, y, o: 1.0 * np.logical_not(c))))


def sign(x):
    """Sign of the value; piecewise constant, so no derivative flows."""
    return np.sign(decision_operand(x))


def _no_derivative(x):
    """The value of ``x`` with every derivative stripped (piecewise-constant factors; a
    value of a program dualad.compile records stays one)."""
    return decision_operand(x)


# --- more elementwise functions: inverse hyperbolics, bases 2 and 10, powers, ... ----
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_DEG = 180.0 / math.pi
_RAD = math.pi / 180.0


def _hypot_partial(x, y, out):
    # x / hypot(x, y); 0 at the origin (the convention of abs at 0).
    zero = out == 0
    return where(zero, 0.0, x / where(zero, 1.0, out))


def _fmax_partial(x, y, out):
    # as maximum, and the operand that is not NaN takes the whole derivative
    return (1.0 * (x > y) + 0.5 * (x == y)
            + 1.0 * (np.isnan(_no_derivative(y)) & ~np.isnan(_no_derivative(x))))


def _fmin_partial(x, y, out):
    return (1.0 * (x < y) + 0.5 * (x == y)
            + 1.0 * (np.isnan(_no_derivative(y)) & ~np.isnan(_no_derivative(x))))


def _float_power_base(x, y, out):
    return _exact_at_zero_exponent(y, lambda: y * float_power(x, y - 1.0))


def _float_power_exponent(x, y, out):
    return _safe_log_base(x, y, out)


# sinc'(x) = (cos(pi x) - sinc(x)) / x. Near 0 that difference cancels, and at 0 it is 0/0:
# there the Taylor series -pi^2 x/3 + pi^4 x^3/30 - pi^6 x^5/840 + pi^8 x^7/45360 (error
# below 1e-17 for |x| <= 0.01) is used instead. Both branches are smooth expressions, so
# second and higher derivatives come out right, including at 0 (sinc''(0) = -pi^2/3).
_SINC_SERIES = 1e-2


def _sinc_partial(x, out):
    small = np.abs(_no_derivative(x)) < _SINC_SERIES
    xs = where(small, x, 0.0)
    x2 = xs * xs
    pi2 = math.pi ** 2
    series = xs * (-pi2 / 3.0 + x2 * (pi2 ** 2 / 30.0 + x2 * (
        -pi2 ** 3 / 840.0 + x2 * (pi2 ** 4 / 45360.0))))
    xl = where(small, 1.0, x)
    exact = (cos(math.pi * xl) - sinc(xl)) / xl
    return where(small, series, exact)


def _floor_quotient(x, y, out):
    return -np.floor(_no_derivative(x) / _no_derivative(y))


def _trunc_quotient(x, y, out):
    return -np.trunc(_no_derivative(x) / _no_derivative(y))


arcsinh = _elementwise("arcsinh", np.arcsinh, lambda x, o: 1.0 / sqrt(x * x + 1.0),
                       scalar=math.asinh, fused_jvp=1, fused_vjp=True)
arccosh = _elementwise("arccosh", np.arccosh,
                       lambda x, o: 1.0 / (sqrt(x - 1.0) * sqrt(x + 1.0)),
                       domain="gt_one",
                       scalar=math.acosh, fused_jvp=1, fused_vjp=True)
arctanh = _elementwise("arctanh", np.arctanh, lambda x, o: 1.0 / (1.0 - x * x),
                       domain="open_unit",
                       scalar=math.atanh, fused_jvp=1, fused_vjp=True)
exp2 = _elementwise("exp2", np.exp2, lambda x, o: o * _LN2,
                    scalar=getattr(math, "exp2", None), fused_jvp=1, fused_vjp=True)
log2 = _elementwise("log2", np.log2, lambda x, o: 1.0 / ((x + 0.0) * _LN2), domain="positive",
                    scalar=math.log2, fused_jvp=1, fused_vjp=True)
log10 = _elementwise("log10", np.log10, lambda x, o: 1.0 / ((x + 0.0) * _LN10),
                     domain="positive",
                     scalar=math.log10, fused_jvp=1, fused_vjp=True)
# d/dx log(e^x + e^y) = 1 / (1 + e^(y - x)): also right at x = +inf (exp(x - o) is
# exp(inf - inf) = NaN there)
logaddexp = _elementwise("logaddexp", np.logaddexp, lambda x, y, o: 1.0 / (1.0 + exp(y - x)),
                         lambda x, y, o: 1.0 / (1.0 + exp(x - y)),
                         fused_jvp=8)
logaddexp2 = _elementwise("logaddexp2", np.logaddexp2,
                          lambda x, y, o: 1.0 / (1.0 + exp2(y - x)),
                          lambda x, y, o: 1.0 / (1.0 + exp2(x - y)),
                          fused_jvp=8)
cbrt = _elementwise("cbrt", np.cbrt, lambda x, o: 1.0 / (3.0 * o * o), domain="nonzero",
                    kink="d/dx at 0 is +inf (a zero tangent or cotangent times it is 0: "
                         "strong zeros)",
                    scalar=getattr(math, "cbrt", None), fused_jvp=1, fused_vjp=True)
square = _elementwise("square", np.square, lambda x, o: 2.0 * x,
                      fused_jvp=8, fused_vjp=True)
reciprocal = _elementwise("reciprocal", np.reciprocal, lambda x, o: -(o * o),
                          domain="nonzero",
                          fused_jvp=1, fused_vjp=True)
float_power = _elementwise("float_power", np.float_power, _float_power_base,
                           _float_power_exponent, domain="positive_x",
                           kink="d/dy at x == 0 is 0")
hypot = _elementwise("hypot", np.hypot, _hypot_partial,
                     lambda x, y, o: _hypot_partial(y, x, o), domain="nonzero_pair",
                     kink="d/dx and d/dy at (0, 0) are 0",
                     fused_jvp=1, fused_vjp=True)
fabs = _elementwise("fabs", np.fabs, lambda x, o: sign(x), kink="d/dx at 0 is 0",
                    fused_jvp=1, fused_vjp=True)
fmax = _elementwise("fmax", np.fmax, _fmax_partial, lambda x, y, o: _fmax_partial(y, x, o),
                    kink="ties split 1/2 : 1/2; a NaN operand gets 0")
fmin = _elementwise("fmin", np.fmin, _fmin_partial, lambda x, y, o: _fmin_partial(y, x, o),
                    kink="ties split 1/2 : 1/2; a NaN operand gets 0")
deg2rad = _elementwise("deg2rad", np.deg2rad, lambda x, o: _RAD)
radians = _elementwise("radians", np.radians, lambda x, o: _RAD)
rad2deg = _elementwise("rad2deg", np.rad2deg, lambda x, o: _DEG)
degrees = _elementwise("degrees", np.degrees, lambda x, o: _DEG)
sinc = _elementwise("sinc", np.sinc, _sinc_partial)
remainder = _elementwise("remainder", np.remainder, ONE, _floor_quotient, domain="remainder",
                         kink="jumps where x/y is an integer: the derivative of the piece "
                              "NumPy's result lies on (d/dx = 1, d/dy = -floor(x/y))")
fmod = _elementwise("fmod", np.fmod, ONE, _trunc_quotient, domain="remainder",
                    kink="jumps where x/y is a nonzero integer: the derivative of the piece "
                         "NumPy's result lies on (d/dx = 1, d/dy = -trunc(x/y))")

