"""The primitive table: every differentiable operation, declared once.

Elementwise operations give one partial-derivative expression per operand,
``d(*operands, out)``; forward mode multiplies it by the tangent, reverse mode by the
cotangent, and the numba kernels compile the same expression. Structural and linear
operations give a JVP and a VJP that are transposes of each other.

Rules are written with primitives and operators only, so an outer trace differentiates
them too: higher-order derivatives need nothing extra.

Tangents in forward mode carry a leading axis of k directions; ``align`` and ``batched``
helpers below keep the rules readable.
"""
import dis
import inspect
import math
import operator
import sys

import numpy as np

from .core import Box, Primitive, ndim_of, shape_of, dtype_of
from . import kernels

TABLE = {}


def register(prim):
    if prim.name in TABLE:
        raise ValueError(f"primitive {prim.name!r} declared twice")
    TABLE[prim.name] = prim
    return prim


# ------------------------------------------------------------------------------------
# Elementwise primitives: one derivative expression per operand.
# ------------------------------------------------------------------------------------
class Elementwise(Primitive):
    """A broadcasting elementwise op with partials ``d_i(*operands, out)``.

    ``partials[i]`` is None for an operand that takes no derivative (a condition).
    ``domain`` (optional) describes the inputs the finite-difference tests may draw.
    """

    elementwise = True

    def __init__(self, name, impl, partials, domain=None, kink=None):
        nondiff = {i for i, d in enumerate(partials) if d is None}
        super().__init__(name, impl, nondiff=nondiff)
        self.partials = partials
        self.nin = len(partials)
        self.domain = domain
        self.kink = kink  # the documented convention at a non-differentiable point
        self.scalar = _scalar_impl(name)
        # which of (*operands, out) each partial reads: what the tape must keep
        self.reads = tuple(frozenset() if d is None else arguments_read(d, self.nin + 1)
                           for d in partials)

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
        if type(out) is np.ndarray and kernels.NUMBA_ENABLED:  # fused kernel, if it pays
            fused = kernels.elementwise_jvp(self, tangents, primals, out)
            if fused is not None:
                return fused
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
        if type(out) is np.ndarray and kernels.NUMBA_ENABLED:  # fused kernel, if it pays
            fused = kernels.elementwise_vjp(self, i, g, primals, out)
            if fused is not None:
                return fused
        d = self.partial(i, primals, out)
        if type(d) is np.ndarray and type(g) is np.ndarray and d.shape == g.shape \
                and d.base is None and d.flags.writeable and sys.getrefcount(d) == 2 \
                and np.result_type(d, g) == d.dtype:
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


_SCALAR_ALIASES = {
    "add": operator.add, "subtract": operator.sub, "multiply": operator.mul,
    "divide": operator.truediv, "power": math.pow, "negative": operator.neg,
    "absolute": math.fabs, "arcsin": math.asin, "arccos": math.acos, "arctan": math.atan,
    "arctan2": math.atan2, "arcsinh": math.asinh, "arccosh": math.acosh,
    "arctanh": math.atanh,
}


def _scalar_impl(name):
    """The math/operator function computing the same value on Python floats, if any."""
    if name in _SCALAR_ALIASES:
        return _SCALAR_ALIASES[name]
    fn = getattr(math, name, None)
    return fn if name in ("sin", "cos", "tan", "exp", "log", "log1p", "expm1", "sqrt",
                          "tanh", "sinh", "cosh", "log2", "log10", "cbrt", "exp2") else None


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
    return t * d


def align(t, nd_in, nd_out):
    """Insert axes after the direction axis so an operand's tangent broadcasts to the output."""
    if nd_in == nd_out:
        return t
    s = shape_of(t)
    return reshape(t, shape=s[:1] + (1,) * (nd_out - nd_in) + s[1:])


def unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added, giving a cotangent of ``shape``."""
    gshape = shape_of(g)
    shape = tuple(shape)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    if type(g) is np.ndarray:   # a plain cotangent: what the primitives would compute
        if axes:
            g = np.add.reduce(g, axis=axes)
        return g.reshape(shape) if g.shape != shape else g
    if axes:
        g = sum_(g, axis=axes)
    return reshape(g, shape=shape) if shape_of(g) != shape else g


def _elementwise(name, impl, *partials, domain=None, kink=None):
    return register(Elementwise(name, impl, partials, domain=domain, kink=kink))


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
    return fn


ONE = _constant(1.0)
MINUS_ONE = _constant(-1.0)

add = _elementwise("add", np.add, ONE, ONE)
subtract = _elementwise("subtract", np.subtract, ONE, MINUS_ONE)
multiply = _elementwise("multiply", np.multiply, expression("y"), expression("x"))
divide = _elementwise("divide", np.true_divide, expression("1.0 / y"), expression("-o / y"),
                      domain="nonzero_y")
def _power_base(x, y, out):
    # x**2 is the common case: 2x avoids a general power over the whole array.
    if type(y) in (int, float) and y == 2:
        return 2.0 * x
    if type(x) is float:    # Python's float ** is complex for a negative base: NumPy's nan
        x = np.float64(x)
    return y * x ** (y - 1)


power = _elementwise("power", np.power, _power_base, _safe_log_base, domain="positive_x",
                     kink="d/dy at x == 0 is 0")
negative = _elementwise("negative", np.negative, MINUS_ONE)
absolute = _elementwise("absolute", np.absolute, lambda x, o: sign(x), kink="d/dx at 0 is 0")
sin = _elementwise("sin", np.sin, lambda x, o: cos(x))
cos = _elementwise("cos", np.cos, lambda x, o: -sin(x))
tan = _elementwise("tan", np.tan, lambda x, o: 1.0 + o * o, domain="tan")
exp = _elementwise("exp", np.exp, lambda x, o: o)
log = _elementwise("log", np.log, lambda x, o: 1.0 / x, domain="positive")
log1p = _elementwise("log1p", np.log1p, lambda x, o: 1.0 / (1.0 + x), domain="gt_minus_one")
expm1 = _elementwise("expm1", np.expm1, lambda x, o: o + 1.0)
sqrt = _elementwise("sqrt", np.sqrt, lambda x, o: 0.5 / o, domain="positive",
                    kink="d/dx at 0 is +inf (the one-sided derivative; a zero tangent or "
                         "cotangent times it is NaN, as in JAX)")
tanh = _elementwise("tanh", np.tanh, lambda x, o: 1.0 - o * o)
sinh = _elementwise("sinh", np.sinh, lambda x, o: cosh(x))
cosh = _elementwise("cosh", np.cosh, lambda x, o: sinh(x))
arcsin = _elementwise("arcsin", np.arcsin, lambda x, o: 1.0 / sqrt(1.0 - x * x),
                      domain="open_unit")
arccos = _elementwise("arccos", np.arccos, lambda x, o: -1.0 / sqrt(1.0 - x * x),
                      domain="open_unit")
arctan = _elementwise("arctan", np.arctan, lambda x, o: 1.0 / (1.0 + x * x))
arctan2 = _elementwise("arctan2", np.arctan2,
                       lambda y, x, o: x / (x * x + y * y),
                       lambda y, x, o: -y / (x * x + y * y), domain="nonzero_pair")
maximum = _elementwise("maximum", np.maximum, _max_partial,
                       lambda x, y, o: _max_partial(y, x, o), kink="ties split 1/2 : 1/2")
minimum = _elementwise("minimum", np.minimum, _min_partial,
                       lambda x, y, o: _min_partial(y, x, o), kink="ties split 1/2 : 1/2")
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
    from .core import primal
    return np.sign(primal(x))


def _no_derivative(x):
    """The value of ``x`` with every derivative stripped (piecewise-constant factors)."""
    from .core import primal
    return primal(x)


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
    return y * float_power(x, y - 1.0)


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


arcsinh = _elementwise("arcsinh", np.arcsinh, lambda x, o: 1.0 / sqrt(x * x + 1.0))
arccosh = _elementwise("arccosh", np.arccosh,
                       lambda x, o: 1.0 / (sqrt(x - 1.0) * sqrt(x + 1.0)),
                       domain="gt_one")
arctanh = _elementwise("arctanh", np.arctanh, lambda x, o: 1.0 / (1.0 - x * x),
                       domain="open_unit")
exp2 = _elementwise("exp2", np.exp2, lambda x, o: o * _LN2)
log2 = _elementwise("log2", np.log2, lambda x, o: 1.0 / (x * _LN2), domain="positive")
log10 = _elementwise("log10", np.log10, lambda x, o: 1.0 / (x * _LN10), domain="positive")
logaddexp = _elementwise("logaddexp", np.logaddexp, lambda x, y, o: exp(x - o),
                         lambda x, y, o: exp(y - o))
logaddexp2 = _elementwise("logaddexp2", np.logaddexp2, lambda x, y, o: exp2(x - o),
                          lambda x, y, o: exp2(y - o))
cbrt = _elementwise("cbrt", np.cbrt, lambda x, o: 1.0 / (3.0 * o * o), domain="nonzero",
                    kink="d/dx at 0 is +inf (a zero tangent or cotangent times it is NaN)")
square = _elementwise("square", np.square, lambda x, o: 2.0 * x)
reciprocal = _elementwise("reciprocal", np.reciprocal, lambda x, o: -(o * o),
                          domain="nonzero")
float_power = _elementwise("float_power", np.float_power, _float_power_base,
                           _float_power_exponent, domain="positive_x",
                           kink="d/dy at x == 0 is 0")
hypot = _elementwise("hypot", np.hypot, _hypot_partial,
                     lambda x, y, o: _hypot_partial(y, x, o), domain="nonzero_pair",
                     kink="d/dx and d/dy at (0, 0) are 0")
fabs = _elementwise("fabs", np.fabs, lambda x, o: sign(x), kink="d/dx at 0 is 0")
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


# ------------------------------------------------------------------------------------
# Structural and linear primitives: a JVP and its transpose, the VJP.
# ------------------------------------------------------------------------------------
def _norm_axes(axis, nd):
    if axis is None:
        return tuple(range(nd))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    return tuple(sorted(int(a) % nd if nd else 0 for a in axis))


def _sum_impl(x, axis=None, keepdims=False):
    if type(x) is np.ndarray:   # what np.sum calls for an ndarray, without its wrapper
        return np.add.reduce(x, axis=axis, keepdims=keepdims)
    return np.sum(x, axis=axis, keepdims=keepdims)


def _sum_jvp(tangents, primals, out, axis=None, keepdims=False):
    (t,) = tangents
    axes = _norm_axes(axis, ndim_of(primals[0]))
    return sum_(t, axis=tuple(a + 1 for a in axes), keepdims=keepdims)


def _sum_vjp(i, g, primals, out, axis=None, keepdims=False):
    shape = shape_of(primals[0])
    if type(g) is np.ndarray:
        view = _spread(g, shape, _norm_axes(axis, len(shape)), keepdims)
        if view is not None:
            return view
    if not keepdims:
        axes = _norm_axes(axis, len(shape))
        kept = tuple(1 if d in axes else n for d, n in enumerate(shape))
        g = reshape(g, shape=kept)
    return broadcast_to(g, shape=shape)


def _spread(g, shape, axes, keepdims):
    """The plain cotangent ``g`` of a sum over ``axes`` broadcast back to ``shape``: the
    read-only view np.broadcast_to gives, built directly (np.broadcast_to's Python
    overhead is most of a small sum's VJP). None when g is not a C-contiguous, nonempty
    array of the reduced shape (np.broadcast_to then does it, or raises)."""
    if not g.flags.c_contiguous or g.size == 0:
        return None
    gshape, gstrides = g.shape, g.strides
    strides, j = [], 0
    for d, n in enumerate(shape):
        if d in axes:
            strides.append(0)
            if keepdims:
                if gshape[j] != 1:
                    return None
                j += 1
        else:
            if j >= len(gshape) or gshape[j] != n or n == 0:
                return None
            strides.append(gstrides[j])
            j += 1
    if j != len(gshape):
        return None
    view = np.ndarray(shape, g.dtype, g, 0, tuple(strides))
    view.flags.writeable = False
    return view


sum_ = register(Primitive("sum", _sum_impl, _sum_jvp, _sum_vjp))


def _broadcast_impl(x, shape):
    return np.broadcast_to(x, shape)


def _broadcast_jvp(tangents, primals, out, shape):
    (t,) = tangents
    t = align(t, ndim_of(primals[0]), len(shape))
    return broadcast_to(t, shape=shape_of(t)[:1] + tuple(shape))


def _broadcast_vjp(i, g, primals, out, shape):
    return unbroadcast(g, shape_of(primals[0]))


broadcast_to = register(Primitive("broadcast_to", _broadcast_impl, _broadcast_jvp,
                                  _broadcast_vjp))


def _reshape_impl(x, shape):
    return x.reshape(shape) if type(x) is np.ndarray else np.reshape(x, shape)


def _reshape_jvp(tangents, primals, out, shape):
    (t,) = tangents
    return reshape(t, shape=shape_of(t)[:1] + shape_of(out))


def _reshape_vjp(i, g, primals, out, shape):
    return reshape(g, shape=shape_of(primals[0]))


reshape = register(Primitive("reshape", _reshape_impl, _reshape_jvp, _reshape_vjp))


def _transpose_impl(x, axes):
    return np.transpose(x, axes)


def _transpose_jvp(tangents, primals, out, axes):
    (t,) = tangents
    return transpose(t, axes=(0,) + tuple(a + 1 for a in axes))


def _transpose_vjp(i, g, primals, out, axes):
    return transpose(g, axes=tuple(int(a) for a in np.argsort(axes)))


transpose = register(Primitive("transpose", _transpose_impl, _transpose_jvp,
                               _transpose_vjp))


def _cast_impl(x, dtype):
    return np.asarray(x).astype(dtype) if not np.isscalar(x) else np.dtype(dtype).type(x)


def _cast_jvp(tangents, primals, out, dtype):
    t = tangents[0]
    if np.dtype(dtype).kind != "c" and dtype_of(t).kind == "c":
        t = real(t)     # complex -> real keeps the real part
    return cast(t, dtype=dtype)


def _cast_vjp(i, g, primals, out, dtype):
    return cast(project(g, primals[0]), dtype=dtype_of(primals[0]))


cast = register(Primitive("cast", _cast_impl, _cast_jvp, _cast_vjp))


# --- indexing ---------------------------------------------------------------------
def _is_advanced(k):
    return isinstance(k, (list, np.ndarray)) and not isinstance(k, Box)


def _index_tuple(idx):
    return idx if isinstance(idx, tuple) else (idx,)


def _advanced_layout(idx):
    """How many leading result axes numpy gives the advanced indices when they are
    separated by slices (numpy then moves them to the front), else 0."""
    idx = _index_tuple(idx)
    has_array = any(_is_advanced(k) for k in idx)
    if not has_array:
        return 0
    pos = [j for j, k in enumerate(idx)
           if _is_advanced(k) or isinstance(k, (int, np.integer))]
    if pos == list(range(pos[0], pos[-1] + 1)):
        return 0
    arrays = []
    for k in idx:
        if _is_advanced(k):
            k = np.asarray(k)
            arrays.extend(np.nonzero(k) if k.dtype == bool else (k,))
        elif isinstance(k, (int, np.integer)):
            arrays.append(np.asarray(k))
    return len(np.broadcast_shapes(*(a.shape for a in arrays)))


def _batched_index(idx):
    return (slice(None),) + _index_tuple(idx)


def _getitem_impl(x, idx):
    return x[idx]


def _getitem_jvp(tangents, primals, out, idx):
    (t,) = tangents
    r = getitem(t, idx=_batched_index(idx))
    lead = _advanced_layout(idx)
    return moveaxis_(r, lead, 0) if lead else r


def _getitem_vjp(i, g, primals, out, idx):
    return scatter_add(g, idx=idx, shape=shape_of(primals[0]))


getitem = register(Primitive("getitem", _getitem_impl, _getitem_jvp, _getitem_vjp))


def _scatter_impl(g, idx, shape):
    z = np.zeros(shape, dtype=np.result_type(np.asarray(g).dtype, np.float32))
    if any(_is_advanced(k) for k in _index_tuple(idx)):
        np.add.at(z, idx, g)
    else:
        z[idx] = g
    return z


def _scatter_jvp(tangents, primals, out, idx, shape):
    (t,) = tangents
    k = shape_of(t)[:1]   # the direction axis, read before it is moved
    lead = _advanced_layout(idx)
    if lead:
        t = moveaxis_(t, 0, lead)
    return scatter_add(t, idx=_batched_index(idx), shape=k + tuple(shape))


def _scatter_vjp(i, g, primals, out, idx, shape):
    return getitem(g, idx=idx)


scatter_add = register(Primitive("scatter_add", _scatter_impl, _scatter_jvp, _scatter_vjp))


def moveaxis_(x, src, dst):
    nd = ndim_of(x)
    order = [a for a in range(nd) if a != src]
    order.insert(dst, src)
    return transpose(x, axes=tuple(order))


# --- joining ------------------------------------------------------------------------
def _concat_impl(*xs, axis=0):
    return np.concatenate(xs, axis=axis)


def _concat_jvp(tangents, primals, out, axis=0):
    k = next(shape_of(t)[0] for t in tangents if t is not None)
    ts = [t if t is not None else np.zeros((k,) + shape_of(p), dtype=dtype_of(out))
          for t, p in zip(tangents, primals)]
    return concatenate(*ts, axis=axis % ndim_of(out) + 1)


def _concat_vjp(i, g, primals, out, axis=0):
    axis = axis % ndim_of(out)
    start = sum(shape_of(p)[axis] for p in primals[:i])
    stop = start + shape_of(primals[i])[axis]
    return project(getitem(g, idx=(slice(None),) * axis + (slice(start, stop),)), primals[i])


concatenate = register(Primitive("concatenate", _concat_impl, _concat_jvp, _concat_vjp))


# --- matrix product: operands both at least 2-D, or a vector and a vector or matrix ------
# (numpy_dispatch reshapes the other 1-D cases; a matrix-vector product is one entry).
def _swap_last(x):
    nd = ndim_of(x)
    return transpose(x, axes=tuple(range(nd - 2)) + (nd - 1, nd - 2))


# With 2-D operands, the k directions of a tangent are folded into one matrix product
# (one GEMM) instead of k matrix products, several times faster for many directions.
def _directions_matmul(ta, b):
    """ta[j] @ b for each direction j: ta (k, m, n), b (n, p) -> (k, m, p)."""
    k, m, n = shape_of(ta)
    return reshape(matmul(reshape(ta, shape=(k * m, n)), b), shape=(k, m, shape_of(b)[1]))


def _matmul_directions(a, tb):
    """a @ tb[j] for each direction j: a (m, n), tb (k, n, p) -> (k, m, p)."""
    k, n, p = shape_of(tb)
    folded = reshape(transpose(tb, axes=(1, 0, 2)), shape=(n, k * p))
    return transpose(reshape(matmul(a, folded), shape=(shape_of(a)[0], k, p)), axes=(1, 0, 2))


def _vector_matmul_jvp(ta, tb, a, b):
    """The JVP of a @ b when a or b is a vector (the other at most 2-D); the k directions
    are folded into one product with operands that keep to the same shapes."""
    na, nb = ndim_of(a), ndim_of(b)
    total = None
    if ta is not None:
        if na == 2:     # ta (k, m, n) @ b (n,)
            k, m, n = shape_of(ta)
            total = reshape(matmul(reshape(ta, shape=(k * m, n)), b), shape=(k, m))
        else:           # ta (k, n) @ b
            total = matmul(ta, b)
    if tb is not None:
        if nb == 2:     # a (n,) @ tb (k, n, p)
            k, n, p = shape_of(tb)
            folded = reshape(transpose(tb, axes=(1, 0, 2)), shape=(n, k * p))
            term = reshape(matmul(a, folded), shape=(k, p))
        else:           # a @ tb[j] = tb[j] @ a^T
            term = matmul(tb, _swap_last(a) if na == 2 else a)
        total = term if total is None else total + term
    return total


def _vector_matmul_vjp(i, g, a, b):
    """The cotangent of operand i of a @ b when a or b is a vector (the other at most 2-D)."""
    na, nb = ndim_of(a), ndim_of(b)
    if i == 0:
        if na == 2:     # a (m, n), b (n,): the outer product g b^T
            return reshape(g, shape=shape_of(g) + (1,)) * b
        return matmul(b, g) if nb == 2 else g * b
    if nb == 2:         # a (n,), b (n, p): the outer product a g^T
        return reshape(a, shape=shape_of(a) + (1,)) * g
    return matmul(g, a) if na == 2 else g * a


def _is_vector_product(a, b):
    na, nb = ndim_of(a), ndim_of(b)
    return (na == 1 and nb <= 2) or (nb == 1 and na <= 2)


def _matmul_jvp(tangents, primals, out, **kw):
    a, b = primals
    ta, tb = tangents
    if _is_vector_product(a, b):
        return _vector_matmul_jvp(ta, tb, a, b)
    nd = ndim_of(out)
    total = None
    if ta is not None:
        total = _directions_matmul(ta, b) if ndim_of(a) == ndim_of(b) == 2 else \
            matmul(align(ta, ndim_of(a), nd), b)
    if tb is not None:
        term = _matmul_directions(a, tb) if ndim_of(a) == ndim_of(b) == 2 else \
            matmul(a, align(tb, ndim_of(b), nd))
        total = term if total is None else total + term
    want = shape_of(total)[:1] + shape_of(out)
    return total if shape_of(total) == want else broadcast_to(total, shape=want)


def _matmul_vjp(i, g, primals, out, **kw):
    a, b = primals
    if _is_vector_product(a, b):
        return project(_vector_matmul_vjp(i, g, a, b), primals[i])
    if i == 0:
        return project(unbroadcast(matmul(g, _swap_last(b)), shape_of(a)), a)
    return project(unbroadcast(matmul(_swap_last(a), g), shape_of(b)), b)


matmul = register(Primitive("matmul", np.matmul, _matmul_jvp, _matmul_vjp))


# --- complex numbers --------------------------------------------------------------------
# Complex values follow JAX's and autograd's convention: a JVP is the R-linear map on
# tangents, and a VJP is its transpose with respect to the real pairing
# <a, b> = Re(sum(a * b)) (no conjugation). For holomorphic f the VJP is then g * f'(z), the
# same partial as the JVP, so the elementwise entries serve complex operands unchanged;
# the gradient of a real function f(z) is df/dx - i df/dy. A cotangent reaching a real
# operand from a complex result keeps its real part (``project``).
def _real_impl(x):
    return np.real(x)


def _real_jvp(tangents, primals, out):
    t = tangents[0]
    return real(t) if dtype_of(t).kind == "c" else t


def _real_vjp(i, g, primals, out):
    x = primals[0]
    return cast(g, dtype=dtype_of(x)) if dtype_of(x).kind == "c" else g


real = register(Primitive("real", _real_impl, _real_jvp, _real_vjp))


def _imag_impl(x):
    return np.imag(x)


def _imag_jvp(tangents, primals, out):
    return imag(tangents[0])


def _imag_vjp(i, g, primals, out):
    # Re(g * Im(t)) = Re((-i g) * t)
    x = primals[0]
    return g * (-1j) if dtype_of(x).kind == "c" else g * 0.0


imag = register(Primitive("imag", _imag_impl, _imag_jvp, _imag_vjp))


def _conj_jvp(tangents, primals, out):
    t = tangents[0]
    return conjugate(t) if dtype_of(t).kind == "c" else t


def _conj_vjp(i, g, primals, out):
    return conjugate(g) if dtype_of(g).kind == "c" else g


conjugate = register(Primitive("conjugate", np.conjugate, _conj_jvp, _conj_vjp))


def project(c, like):
    """The cotangent ``c`` in the space of the operand ``like``: its real part when ``like``
    is real and ``c`` complex (the transpose of the embedding of the reals)."""
    if type(c) is np.ndarray and c.dtype.kind != "c":   # a plain real cotangent
        return c
    if c is None or dtype_of(c).kind != "c" or dtype_of(like).kind == "c":
        return c
    return real(c)
