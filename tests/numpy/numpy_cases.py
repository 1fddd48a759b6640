"""Input recipes for the NumPy functions dualad differentiates (used by tests/numpy/test_*.py
and by scripts/gen_coverage.py, which lists the functions each case covers).

A case is a function written with plain ``np.*`` calls, its arguments (small float arrays,
fixed seeds), and the NumPy functions it exercises. Every case is checked in both modes at
first and second order against finite differences, its value against NumPy's own, and its
Jacobian in forward mode against reverse mode.
"""
import numpy as np

CASES = []


class Case:
    def __init__(self, label, fn, args, covers, tol=None, eps=None, value_rtol=1e-12,
                 order=2):
        self.label, self.fn, self.args, self.covers = label, fn, tuple(args), tuple(covers)
        self.tol, self.eps, self.value_rtol, self.order = tol, eps, value_rtol, order

    def __repr__(self):
        return self.label


def case(label, covers, fn, *args, **opts):
    covers = covers if isinstance(covers, (list, tuple)) else [covers]
    CASES.append(Case(label, fn, args, covers, **opts))


def rand(*shape, seed=0, lo=None, hi=None):
    rng = np.random.default_rng(seed)
    if lo is not None:
        return rng.uniform(lo, hi, size=shape)
    return rng.standard_normal(shape)


def away(*shape, seed=0, m=0.3, hi=2.0):
    """Values with m <= |x| <= hi (random signs)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(m, hi, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def spaced(*shape, seed=0):
    """Distinct values at least 0.1 apart (no ties for max/sort), in random order."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    v = (np.arange(n) - n / 2) * 0.37 + rng.uniform(-0.05, 0.05, size=n)
    return rng.permutation(v).reshape(shape)


# ------------------------------------------------------------------------------------
# Elementwise ufuncs, through np.<ufunc> (the table test checks the primitives directly)
# ------------------------------------------------------------------------------------
X = rand(2, 3, seed=1)
Y = rand(3, seed=2)
POS = rand(2, 3, seed=3, lo=0.2, hi=2.0)
UNIT = rand(2, 3, seed=4, lo=-0.8, hi=0.8)
NZ = away(2, 3, seed=5)

_UNARY = [
    (np.sin, X), (np.cos, X), (np.tan, UNIT), (np.arcsin, UNIT), (np.arccos, UNIT),
    (np.arctan, X), (np.sinh, X), (np.cosh, X), (np.tanh, X), (np.arcsinh, X),
    (np.arccosh, 1.0 + POS), (np.arctanh, UNIT), (np.exp, X), (np.exp2, X), (np.log, POS),
    (np.log2, POS), (np.log10, POS), (np.log1p, POS - 0.1), (np.expm1, X), (np.sqrt, POS),
    (np.cbrt, NZ), (np.square, X), (np.reciprocal, NZ), (np.absolute, NZ), (np.fabs, NZ),
    (np.negative, X), (np.positive, X), (np.deg2rad, X), (np.rad2deg, X),
    (np.degrees, X), (np.radians, X), (np.sinc, X), (np.conjugate, X),
]
for _u, _x in _UNARY:
    case(f"np.{_u.__name__}", _u, lambda x, _u=_u: _u(x), _x)

_BINARY = [
    (np.add, X, Y), (np.subtract, X, Y), (np.multiply, X, Y), (np.divide, X, away(3, seed=6)),
    (np.power, POS, Y), (np.float_power, POS, Y), (np.arctan2, NZ, POS), (np.hypot, X, NZ),
    (np.maximum, spaced(2, 3), spaced(3, seed=7) + 0.05),
    (np.minimum, spaced(2, 3), spaced(3, seed=7) + 0.05),
    (np.fmax, spaced(2, 3), spaced(3, seed=7) + 0.05),
    (np.fmin, spaced(2, 3), spaced(3, seed=7) + 0.05),
    (np.logaddexp, X, Y), (np.logaddexp2, X, Y),
    (np.remainder, np.array([[0.3, -1.6, 2.45]]), np.array([1.01, -0.99, 2.02])),
    (np.fmod, np.array([[0.3, -1.6, 2.45]]), np.array([1.01, -0.99, 2.02])),
]
for _u, _x, _y in _BINARY:
    case(f"np.{_u.__name__}", _u, lambda x, y, _u=_u: _u(x, y), _x, _y)

case("operators", [], lambda x, y: (x + 1) * y - x / 2.0 + (-x) ** 2 + 3.0 ** y % 2.5 + abs(x),
     X, Y)
case("np.where", np.where, lambda x, y: np.where(x > 0, x, y), X, Y)
case("np.clip", np.clip, lambda x: np.clip(x, -0.5, 0.7), spaced(3, 4) * 0.5)
case("np.clip traced bounds", np.clip, lambda x, lo: np.clip(x, lo, 1.0), spaced(4) * 0.6,
     np.array(-0.11))
case("x.clip", ".clip", lambda x: x.clip(-0.5, None), spaced(3, 4) * 0.5)
case("np.nan_to_num", np.nan_to_num,
     lambda x: np.nan_to_num(x, posinf=5.0, neginf=-4.0) * 2.0 + np.nan_to_num(x) * 0.5, np.array([[0.5, np.inf, np.nan], [-np.inf, 0.2, 3.0]]))
case("np.add.outer", "np.ufunc.outer", lambda x, y: np.subtract.outer(x, y) * np.multiply.outer(x, y),
     rand(3), rand(2))

# ------------------------------------------------------------------------------------
# Reductions and scans
# ------------------------------------------------------------------------------------
A = rand(3, 4, seed=10)
B3 = rand(2, 3, 4, seed=11)
AZ = rand(3, 4, seed=12)
AZ[0, 1] = 0.0
AZ[2, 0] = AZ[2, 3] = 0.0     # two zeros in one row

case("np.sum", np.sum, lambda x: np.sum(x, axis=(0, 2), keepdims=True), B3)
case("x.sum", ".sum", lambda x: x.sum(1), A)
case("np.mean", np.mean, lambda x: np.mean(x, axis=-1), B3)
case("x.mean", ".mean", lambda x: x.mean(), A)
case("np.prod", np.prod, lambda x: np.prod(x, axis=1), A)
case("np.prod with zeros", np.prod, lambda x: np.prod(x, axis=1), AZ)
case("np.prod all, zeros", np.prod, lambda x: np.prod(x, axis=(0, 2)), np.where(B3 > 1, 0.0, B3))
case("x.prod", ".prod", lambda x: x.prod(), rand(5, seed=13, lo=0.5, hi=1.5))
case("np.max", [np.max, np.amax], lambda x: np.max(x, axis=0).sum() + np.amax(x, axis=(1, 2)),
     spaced(2, 3, 4))
case("np.min", [np.min, np.amin], lambda x: np.min(x, axis=1, keepdims=True) * np.amin(x),
     spaced(3, 4))
case("x.max x.min", [".max", ".min"], lambda x: x.max(axis=0) - x.min(axis=1).sum(), spaced(3, 3))
case("np.ptp", np.ptp, lambda x: np.ptp(x, axis=1), spaced(3, 4))
case("np.var", np.var, lambda x: np.var(x, axis=1) + np.var(x, ddof=1), A)
case("np.std", np.std, lambda x: np.std(x, axis=0, ddof=1, keepdims=True) + np.std(x), A)
case("x.var x.std", [".var", ".std"], lambda x: x.var(0) * x.std(1, ddof=1).sum(), A)
case("np.cumsum", np.cumsum, lambda x: np.cumsum(x, axis=1) + np.cumsum(x)[:4], A)
case("x.cumsum", ".cumsum", lambda x: x.cumsum(0), A)
case("np.cumprod", np.cumprod, lambda x: np.cumprod(x, axis=-1), A)
case("np.cumprod with zeros", np.cumprod, lambda x: np.cumprod(x, axis=1), AZ)
case("x.cumprod", ".cumprod", lambda x: x.cumprod(), rand(6, seed=14, lo=0.5, hi=1.5))
case("np.cumulative_sum/prod", [np.cumulative_sum, np.cumulative_prod],
     lambda x: np.cumulative_sum(x, axis=0, include_initial=True)[1:]
     + np.cumulative_prod(x, axis=0), A)
case("np.diff", np.diff, lambda x: np.diff(x) * np.diff(x, n=2, axis=0, prepend=1.0).sum(),
     A)
case("np.average", np.average,
     lambda x, w: np.average(x, axis=1, weights=w) + np.average(x), A,
     rand(4, seed=15, lo=0.5, hi=2.0))
case("np.trace", np.trace, lambda x: np.trace(x) + np.trace(x, offset=1, axis1=1, axis2=2),
     rand(3, 3, 3, seed=16))
AN = A.copy()
AN[0, 1] = AN[1, 0] = AN[2, 2] = np.nan
SN = spaced(2, 3)
SN[0, 1] = SN[1, 0] = np.nan
case("np.nansum/nanmean/nanprod", [np.nansum, np.nanmean, np.nanprod],
     lambda x: np.nansum(x, axis=1) + np.nanmean(x, axis=0)[:3] + np.nanprod(x, axis=1), AN)
case("np.nanmax/nanmin", [np.nanmax, np.nanmin],
     lambda x: np.nanmax(x, axis=1) + np.nanmin(x), SN)
case("np.nancumsum/nancumprod", [np.nancumsum, np.nancumprod],
     lambda x: np.nancumsum(x) + np.nancumprod(x, axis=1).ravel(), AN[:2, :2].copy())
case("np.trapezoid", np.trapezoid,
     lambda y, x: np.trapezoid(y, x, axis=0) * np.trapezoid(y, dx=0.5).sum(), A,
     np.cumsum(rand(3, seed=18, lo=0.5, hi=1.0)))
case("ufunc.reduce/accumulate", ["np.ufunc.reduce", "np.ufunc.accumulate"],
     lambda x: np.add.reduce(x, axis=1) + np.multiply.reduce(x, axis=1)
     + np.maximum.reduce(x, axis=1) + np.minimum.reduce(x, axis=1)
     + np.add.accumulate(x, axis=1)[:, -1] * np.multiply.accumulate(x, axis=1)[:, 2],
     spaced(2, 4))

# ------------------------------------------------------------------------------------
# Shapes, joining, splitting, indexing
# ------------------------------------------------------------------------------------
case("np.reshape/ravel/x.reshape/x.ravel/x.flatten",
     [np.reshape, np.ravel, ".reshape", ".ravel", ".flatten"],
     lambda x: np.reshape(x, (4, 3)).T @ np.ravel(x).reshape(4, 3)
     + x.reshape(4, 3).ravel().reshape((3, 4)).T.flatten()[0], A)
case("np.transpose/x.T/x.transpose", [np.transpose, ".T", ".transpose"],
     lambda x: np.transpose(x, (2, 0, 1)) * x.T.transpose(0, 2, 1) + np.transpose(x).sum(), B3)
case("np.swapaxes/moveaxis/rollaxis/x.swapaxes",
     [np.swapaxes, np.moveaxis, np.rollaxis, ".swapaxes"],
     lambda x: np.swapaxes(x, 0, 2) + np.moveaxis(x, 0, -1).transpose(1, 0, 2)
     + np.rollaxis(x, 2).transpose(0, 2, 1) + x.swapaxes(-1, 0), B3[:, :2, :2].copy())
case("np.expand_dims/squeeze/x.squeeze", [np.expand_dims, np.squeeze, ".squeeze"],
     lambda x: np.squeeze(np.expand_dims(x, (0, 2)), axis=0) + x[:, None].squeeze()[:, None], A)
case("np.broadcast_to", np.broadcast_to, lambda x: np.broadcast_to(x, (2, 3, 4)), rand(3, 1))
case("np.atleast_1d/2d/3d", [np.atleast_1d, np.atleast_2d, np.atleast_3d],
     lambda x: np.atleast_3d(x)[..., 0] + np.atleast_2d(x[0]) + np.atleast_1d(x[0, 0]), A)
case("np.concatenate/concat", [np.concatenate, np.concat],
     lambda x, y: np.concatenate([x, y, 2 * x], axis=1) + np.concat([x, y, x], axis=-1), A,
     rand(3, 1, seed=19))
case("np.stack of arrays", np.stack, lambda x, y: np.stack([x, y], axis=1), rand(3), rand(3))
case("np.stack of traced scalars", np.stack,
     lambda x: np.stack([x[0] * x[1], np.sin(x[2]), 2.0]), rand(3))
case("np.hstack/vstack/dstack/column_stack",
     [np.hstack, np.vstack, np.dstack, np.column_stack],
     lambda x, y: np.hstack([x, y]) + np.vstack([x[:, :2].T, y.T]).T
     + np.dstack([x, y[:, :2]]).sum(-1)[:, :3].sum() + np.column_stack([x[:, 0], y]).sum()
     + np.vstack((x[0], x[1])).sum(), rand(3, 2), rand(3, 2, seed=20))
case("np.block", np.block, lambda x, y: np.block([[x, y], [y, x]]), rand(2, 2), rand(2, 2, seed=21))
case("np.append", np.append, lambda x, y: np.append(x, y) * 2.0 + np.append(x, x, axis=0).sum(),
     rand(2, 2), rand(3, seed=22))
case("np.split/array_split/hsplit/vsplit/dsplit",
     [np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit],
     lambda x: np.split(x, 2, axis=1)[1] * np.array_split(x, 3, axis=1)[0][:, :1]
     + np.hsplit(x, [1])[1][:, 1:] + np.vsplit(x, 2)[0][0, 0]
     + np.dsplit(x[:, :, None], [0])[1][:, 2:, 0],
     rand(2, 4))
case("np.unstack", np.unstack, lambda x: np.unstack(x, axis=1)[2] * 2.0, A)
case("np.tile", np.tile, lambda x: np.tile(x, (2, 1, 3)) + np.tile(x[0], 2)[None, :8].sum(),
     rand(2, 4))
case("np.repeat/x.repeat", [np.repeat, ".repeat"],
     lambda x: np.repeat(x, 2, axis=0)[:3, :3] + np.repeat(x, [2, 0, 1], axis=1)
     + x.repeat(3)[:9].reshape(3, 3), rand(3, 3))
case("np.flip/fliplr/flipud", [np.flip, np.fliplr, np.flipud],
     lambda x: np.flip(x) + np.fliplr(x) * np.flipud(x) + np.flip(x, axis=(0,)), A)
case("np.rot90", np.rot90, lambda x: np.rot90(x) + np.rot90(x, 2).T[::-1] + np.rot90(x, -1),
     rand(3, 3))
case("np.roll", np.roll,
     lambda x: np.roll(x, 2) + np.roll(x, (1, -1), axis=(0, 1)) + np.roll(x, 5, axis=1), A)
case("np.pad constant", np.pad,
     lambda x: np.pad(x, ((1, 0), (2, 3)), constant_values=1.5) + np.pad(x, 1)[0:4, 0:9].sum(),
     A)
case("np.pad edge/reflect/symmetric/wrap", np.pad,
     lambda x: np.pad(x, 2, mode="edge") + np.pad(x, 2, mode="reflect")
     + np.pad(x, 2, mode="symmetric") * np.pad(x, 2, mode="wrap"), A)
case("np.triu/tril", [np.triu, np.tril],
     lambda x: np.triu(x, 1) + np.tril(x) * np.tril(x, -1) + np.triu(x[None], -1)[0], A)
case("np.diag/diagflat", [np.diag, np.diagflat],
     lambda x: np.diag(x[0], 1)[:3, :4] + np.diag(x, -1).sum() + np.diagflat(x[:2, :2])[:3, :4],
     A)
case("np.diagonal/x.diagonal", [np.diagonal, ".diagonal"],
     lambda x: np.diagonal(x, 1, 0, 2) * x.diagonal(axis1=1, axis2=2)[:, :3].T, B3)
case("np.take/x.take", [np.take, ".take"],
     lambda x: np.take(x, [0, 2, 2, -1]) + np.take(x, [3, 1], axis=1).sum()
     + x.take([1, 1, 0], axis=0).sum(0)[:4], A)
case("np.take_along_axis", np.take_along_axis,
     lambda x: np.take_along_axis(x, np.array([[0, 3], [1, 1], [2, 0]]), axis=1), A)
case("np.sort", np.sort, lambda x: np.sort(x) + np.sort(x, axis=0) + np.sort(x, axis=None)[:4],
     spaced(3, 4))
case("np.partition", np.partition, lambda x: np.partition(x, 2, axis=1), spaced(3, 4))
case("argsort selection", [], lambda x: x[np.argsort(x)][::2] + x[np.argmax(x)], spaced(6))
case("np.delete/compress/extract/select/choose",
     [np.delete, np.compress, np.extract, np.select, np.choose],
     lambda x: np.delete(x, [0, 2], axis=1) + np.compress([True, False, True], x, axis=0).sum()
     + np.extract(x > 0, x).sum()
     + np.select([x[:, :2] > 0.5, x[:, :2] < -0.5], [x[:, :2] ** 2, -x[:, :2]], 0.1)
     + np.choose(np.array([[0, 1], [1, 0], [0, 0]]), [x[:, 1:3], x[:, 2:] ** 2]),
     spaced(3, 4))
case("np.copy/x.copy", [np.copy, ".copy"], lambda x: np.copy(x) * x.copy(), A)
case("np.zeros_like, then item assignment (recorded)", np.zeros_like,
     lambda x: (lambda z: (z.__setitem__((0, 1), x[1, 0] * x[0, 0]),
                           z.__setitem__(1, np.sin(x[0])), z)[-1])(np.zeros_like(x)) + x, A)
case("np.ones_like, then a masked update (recorded)", np.ones_like,
     lambda x: (lambda z: (z.__setitem__(x > 0, x[x > 0] ** 2), z)[-1])(np.ones_like(x)) * x,
     A)
case("np.empty_like, every element written", np.empty_like,
     lambda x: (lambda z: (z.__setitem__(slice(None), np.exp(x) * x[0, 0]), z)[-1])(
         np.empty_like(x)), A)
case("np.full_like with a traced value", np.full_like,
     lambda x: np.full_like(x, x[0, 0]) * x, A)
case("np.meshgrid", np.meshgrid,
     lambda x, y: np.meshgrid(x, y)[0] * np.meshgrid(x, y, indexing="ij")[1].T, rand(3), rand(2))
case("np.linspace traced ends", np.linspace, lambda a: np.linspace(a[0], a[1], 5) ** 2,
     rand(2))
case("np.permute_dims/matrix_transpose", [np.permute_dims, np.matrix_transpose],
     lambda x: np.permute_dims(x, (1, 0, 2)) * np.matrix_transpose(x).transpose(1, 0, 2),
     rand(2, 3, 3))
case("indexing: basic, advanced (repeats accumulate), boolean", [],
     lambda x: x[1:, ::-2] * x[[0, 0, 2], [1, 1, 3]].sum() + x[x > 0].sum() + x[..., None][2, 1],
     A)
case("iteration over a traced array", [], lambda x: np.stack([r * i for i, r in enumerate(x)]), A)
case("len/shape/ndim/size/dtype", [], lambda x: x * (len(x) + x.shape[1] + x.ndim + x.size
                                                   + (x.dtype.kind == "f")), A)
case("x.astype/np.astype", [".astype", np.astype],
     lambda x: x.astype(np.float32).astype(np.float64) * 0.0 + x.astype("float64")
     + np.astype(x, np.float64), A)
case("x.dot", ".dot", lambda x, y: x.dot(y), A, rand(4, 2))
case("np.dot", np.dot,
     lambda a, b, c: np.dot(a, b) + np.dot(a[0], c) + np.dot(b.T[0], c) * np.dot(2.0, a)[:, :2],
     A, rand(4, 2), rand(4))

# ------------------------------------------------------------------------------------
# Linear algebra
# ------------------------------------------------------------------------------------
M = rand(3, 3, seed=30)
SPD = M @ M.T + 3.0 * np.eye(3)
NS = rand(3, 3, seed=31)                      # not symmetric: one triangle is read
TALL = rand(4, 3, seed=32)
WIDE = rand(3, 4, seed=33)
V3 = rand(3, seed=34)
BATCH = rand(2, 3, 3, seed=35) + 3.0 * np.eye(3)

case("np.matmul/@", [np.matmul, "@"],
     lambda a, b, v: np.matmul(a, b) + (a @ v)[:, None] + (v @ a @ v) * (b.T @ a.T).T, M, TALL.T,
     V3)
case("np.vdot/inner/outer", [np.vdot, np.inner, np.outer],
     lambda a, b: np.vdot(a, b) * np.inner(a, b) + np.outer(a[0], b[1]), M, NS)
case("np.tensordot", np.tensordot,
     lambda a, b: np.tensordot(a, b, axes=([1, 0], [0, 2])) + np.tensordot(a[:, 0], b[0].T, 1),
     rand(3, 2, seed=36), rand(2, 4, 3, seed=37))
case("np.einsum", np.einsum,
     lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c) + np.einsum("ii->i", a)[:, None]
     + np.einsum("...ij,j", b.T[None], c[:, 0]).sum() + np.einsum("ijk->", b[:, :, None]),
     M, NS, SPD)
case("np.einsum sublists and broadcasting", np.einsum,
     lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [2, 0]) + np.einsum("ij,ij->ij", a[:1], a),
     M, NS)
case("np.kron", np.kron, lambda a, b: np.kron(a, b) + np.kron(a[0], b).sum(), rand(2, 2),
     rand(2, 3, seed=38))
case("np.cross/linalg.cross", [np.cross, np.linalg.cross],
     lambda a, b: np.cross(a, b) + np.cross(a, b, axisa=0, axisb=0).T + np.linalg.cross(b, a),
     M, NS)
case("np.vecdot/linalg.vecdot/outer/tensordot/matmul",
     [np.vecdot, np.linalg.vecdot, np.linalg.outer, np.linalg.tensordot, np.linalg.matmul],
     lambda a, b: np.vecdot(a, b) + np.linalg.vecdot(a, b, axis=0) + np.linalg.outer(a[0], b[0])
     + np.linalg.tensordot(a, b, axes=1) + np.linalg.matmul(a, b), M, NS)
case("np.linalg.multi_dot/matrix_power", [np.linalg.multi_dot, np.linalg.matrix_power],
     lambda a, b: np.linalg.multi_dot([a, b, a]) + np.linalg.matrix_power(a, 3)
     + np.linalg.matrix_power(b, -2), M, SPD)
case("np.linalg.trace/diagonal/matrix_transpose",
     [np.linalg.trace, np.linalg.diagonal, np.linalg.matrix_transpose],
     lambda a: np.linalg.trace(a)[:, None] * np.linalg.diagonal(a)
     + np.linalg.matrix_transpose(a)[:, 0], BATCH)
case("np.linalg.solve", np.linalg.solve,
     lambda a, b, v: np.linalg.solve(a, b) + np.linalg.solve(a, v)[:, None], SPD + NS, TALL.T, V3)
case("np.linalg.solve batched", np.linalg.solve,
     lambda a, b: np.linalg.solve(a, b), BATCH, rand(3, 2, seed=39))
case("np.linalg.inv", np.linalg.inv, lambda a: np.linalg.inv(a), BATCH)
case("np.linalg.det", np.linalg.det, lambda a: np.linalg.det(a), BATCH)
case("np.linalg.slogdet", np.linalg.slogdet,
     lambda a: np.linalg.slogdet(a)[1] * np.linalg.slogdet(a).sign, NS)
case("np.linalg.cholesky", np.linalg.cholesky,
     lambda a: np.linalg.cholesky(a) + np.linalg.cholesky(a, upper=True), SPD)
case("np.linalg.cholesky of a non-symmetric input (lower triangle read)", np.linalg.cholesky,
     lambda a: np.linalg.cholesky(a + 3.0 * np.eye(3)), NS * 0.3)
case("np.linalg.eigh/eigvalsh", [np.linalg.eigh, np.linalg.eigvalsh],
     lambda a: np.linalg.eigh(a)[0] + np.linalg.eigvalsh(a, UPLO="U")
     + np.linalg.eigh(a).eigenvectors ** 2, NS)
case("np.linalg.eigh batched", np.linalg.eigh,
     lambda a: np.linalg.eigh(a)[1] * np.linalg.eigh(a)[0][..., None, :], BATCH)
case("np.linalg.svd tall", np.linalg.svd,
     lambda a: sum(x.ravel()[:3] ** 2 for x in np.linalg.svd(a, full_matrices=False)), TALL)
case("np.linalg.svd wide, square", np.linalg.svd,
     lambda a, b: np.linalg.svd(a, full_matrices=False)[0] ** 2
     + np.linalg.svd(b)[2] ** 2 + np.linalg.svd(a, compute_uv=False)[:, None], WIDE, M)
case("np.linalg.svdvals", np.linalg.svdvals, lambda a: np.linalg.svdvals(a), TALL)
case("np.linalg.qr", np.linalg.qr,
     lambda a, b: np.linalg.qr(a)[0].sum(0) + np.linalg.qr(a).R.sum(0)
     + np.linalg.qr(b, mode="r").sum(0), TALL, M)
case("np.linalg.pinv", np.linalg.pinv, lambda a, b: np.linalg.pinv(a) + np.linalg.pinv(b),
     TALL, WIDE.T)
case("np.linalg.norm vectors", np.linalg.norm,
     lambda x: np.stack([np.linalg.norm(x), np.linalg.norm(x, 1), np.linalg.norm(x, np.inf),
                         np.linalg.norm(x, -np.inf), np.linalg.norm(x, 3),
                         np.linalg.norm(x, 0.5), np.linalg.norm(x, 0)]),
     away(5, seed=40))
case("np.linalg.norm matrices", np.linalg.norm,
     lambda x: np.stack([np.linalg.norm(x), np.linalg.norm(x, "fro"), np.linalg.norm(x, "nuc"),
                         np.linalg.norm(x, 2), np.linalg.norm(x, -2), np.linalg.norm(x, 1),
                         np.linalg.norm(x, -1), np.linalg.norm(x, np.inf),
                         np.linalg.norm(x, -np.inf)]), TALL)
case("np.linalg.norm axis/keepdims", np.linalg.norm,
     lambda x: np.linalg.norm(x, axis=1, keepdims=True) + np.linalg.norm(x, 1, axis=(2, 0))[None, :, None],
     rand(2, 3, 4, seed=41))
case("np.linalg.vector_norm/matrix_norm", [np.linalg.vector_norm, np.linalg.matrix_norm],
     lambda x: np.linalg.vector_norm(x, axis=(0, 2)) + np.linalg.vector_norm(x, ord=np.inf)
     + np.linalg.matrix_norm(x, ord="nuc")[:, None].sum(), rand(2, 3, 4, seed=42))
case("np.linalg.cond", np.linalg.cond, lambda a: np.linalg.cond(a) + np.linalg.cond(a, "fro"), M)

# ------------------------------------------------------------------------------------
# FFT (real inputs; complex intermediates reduced to real outputs by a fixed R-linear map,
# so the real part and the imaginary part are both checked)
# ------------------------------------------------------------------------------------
def _c(z):
    return np.real(z) * 1.3 + np.imag(z) * 0.7


F1 = rand(3, 5, seed=50)
F2 = rand(2, 6, seed=51)
case("np.fft.fft/ifft", [np.fft.fft, np.fft.ifft],
     lambda x: _c(np.fft.fft(x)) + _c(np.fft.ifft(x * 1j + x ** 2, norm="forward"))
     + _c(np.fft.fft(x, n=7, norm="ortho"))[:, :5] + _c(np.fft.fft(x, n=2, axis=0)).sum(), F1)
case("np.fft.rfft", np.fft.rfft,
     lambda x: _c(np.fft.rfft(x)) + _c(np.fft.rfft(x, n=6, norm="ortho"))[:, :3]
     + _c(np.fft.rfft(x, n=4, axis=1)).sum(), F1)
case("np.fft.irfft (odd and even n, truncated and padded)", np.fft.irfft,
     lambda x: np.fft.irfft(x + 1j * x ** 2, n=5) + np.fft.irfft(x + 1j * x, n=8, norm="ortho")[:, :5]
     + np.fft.irfft(x * (1 - 1j), n=4).sum() + np.fft.irfft(x, norm="forward")[:, :5], F1)
case("np.fft.fft2/ifft2/fftn/ifftn", [np.fft.fft2, np.fft.ifft2, np.fft.fftn, np.fft.ifftn],
     lambda x: _c(np.fft.fft2(x)) * _c(np.fft.ifft2(x, s=(3, 4)))[:, :1]
     + _c(np.fft.fftn(x, axes=(0,))) + _c(np.fft.ifftn(x, s=(4, 6), axes=(0, 1))).sum(), F1)
case("np.fft.rfft2/irfft2/rfftn/irfftn", [np.fft.rfft2, np.fft.irfft2, np.fft.rfftn, np.fft.irfftn],
     lambda x: _c(np.fft.rfft2(x)).sum() + np.fft.irfft2(np.fft.rfft2(x) * (1 + x[:, :4]))
     + _c(np.fft.rfftn(x, s=(2, 4), axes=(0, 1))).sum() + np.fft.irfftn(x + 1j * x)[:, :6], F2)
case("np.fft.hfft/ihfft", [np.fft.hfft, np.fft.ihfft],
     lambda x: np.fft.hfft(x + 0.5j * x ** 2) + _c(np.fft.ihfft(x, norm="ortho")).sum(), F2)
case("np.fft.fftshift/ifftshift", [np.fft.fftshift, np.fft.ifftshift],
     lambda x: np.fft.fftshift(x) + np.fft.ifftshift(x, axes=0) * np.fft.fftshift(x, axes=(1,)), F1)

# ------------------------------------------------------------------------------------
# Complex functions on real inputs (complex inputs: tests/numpy/test_complex.py)
# ------------------------------------------------------------------------------------
case("np.real/imag/conj/angle/abs of complex values",
     [np.real, np.imag, np.conj, np.angle, np.real_if_close, ".real", ".imag", ".conj"],
     lambda x, y: np.real(np.exp(x + 1j * y)) + np.imag((x + 1j * y) ** 2) * np.angle(x + 1j * y)
     + np.abs(np.conj(x * (1 + 2j) + y)) + (x + 1j * y).real * (x - 1j * y).imag
     + np.real_if_close(x + 0j) + (x + 2j).conj().imag, away(2, 3, seed=52), away(2, 3, seed=53))

ROT = np.array([[0.5, 1.2, 0.1], [-1.1, 0.4, 0.3], [0.2, -0.3, 2.0]])   # a complex pair
case("np.linalg.eig/eigvals", [np.linalg.eig, np.linalg.eigvals],
     lambda a, b: _c(np.linalg.eig(a)[1]) + _c(np.linalg.eigvals(a))
     + np.linalg.eig(b).eigenvectors * np.linalg.eigvals(b), ROT, SPD + NS)

# ------------------------------------------------------------------------------------
# Order statistics, differences of data, numerical utilities
# ------------------------------------------------------------------------------------
case("np.median/quantile/percentile", [np.median, np.quantile, np.percentile],
     lambda x: np.median(x, axis=1) + np.median(x) + np.quantile(x, [0.1, 0.93], axis=1).sum(0)
     + np.percentile(x, 30.0, axis=(0, 1), keepdims=True)[0, 0], spaced(3, 4))
case("np.gradient", np.gradient,
     lambda x: np.gradient(x)[0] + np.gradient(x, 0.5, axis=1) + np.gradient(x, edge_order=2)[1],
     A)
case("np.interp", np.interp,
     lambda x, fp: np.interp(x, [0.0, 0.7, 1.5, 2.2], fp, right=-1.0),
     np.array([-0.3, 0.2, 1.0, 1.9, 2.5]), rand(4, seed=60))
case("np.polyval", np.polyval, lambda p, x: np.polyval(p, x), rand(4, seed=61), rand(3, seed=62))
case("np.convolve/correlate", [np.convolve, np.correlate],
     lambda a, v: np.convolve(a, v) + np.convolve(a, v, "same").sum()
     + np.correlate(a, v, "full") * np.correlate(v, a).sum(), rand(5, seed=63), rand(3, seed=64))
case("np.nanvar/nanstd", [np.nanvar, np.nanstd],
     lambda x: np.nanvar(x, axis=1) + np.nanstd(x, ddof=1)
     + np.nanvar(x, axis=0, keepdims=True)[0, :3], AN)
case("np.cov/corrcoef", [np.cov, np.corrcoef],
     lambda x: np.cov(x) + np.cov(x, bias=True) + np.cov(x[0], x[1]).sum()
     + np.cov(x, rowvar=False)[:3, :3] + np.corrcoef(x) * np.corrcoef(x[0], x[1]).sum(), A)
case("np.ediff1d/unwrap", [np.ediff1d, np.unwrap],
     lambda x: np.ediff1d(x, to_begin=[1.0], to_end=x[0, :2])[:12] + np.unwrap(x * 4).ravel(),
     A)
case("np.broadcast_arrays/resize/insert", [np.broadcast_arrays, np.resize, np.insert],
     lambda x, v: np.broadcast_arrays(x, v)[1] * np.broadcast_arrays(x, v)[0]
     + np.resize(x, (4, 3)).T + np.insert(x, 1, v, axis=0)[1:]
     + np.insert(x, [0, 2], 5.0, axis=0)[:3] + np.insert(x, 3, v[:2])[:12].reshape(3, 4),
     A, rand(4, seed=65))
case("np.vander/logspace", [np.vander, np.logspace],
     lambda v: np.vander(v) + np.vander(v, 4, increasing=True) + np.logspace(v[0], v[1], 4, base=2.0),
     rand(4, seed=66))
case("np.matvec/vecmat", [np.matvec, np.vecmat],
     lambda x, v: np.matvec(x, v) + np.vecmat(v[:3], x).sum(), A, rand(4, seed=67))
case("np.linalg.lstsq", np.linalg.lstsq,
     lambda a, b, c: np.linalg.lstsq(a, b)[0] + np.linalg.lstsq(a, c)[0][:, None]
     + np.linalg.lstsq(a, c)[1] + np.linalg.lstsq(a, c)[3][:, None]
     + np.linalg.lstsq(a.T, c[:3])[0].sum(), TALL, rand(4, 2, seed=68), rand(4, seed=69))
