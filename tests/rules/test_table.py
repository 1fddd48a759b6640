"""Every entry of the primitive table, checked against finite differences in both modes.

The test enumerates ``dualad.rules.TABLE`` itself (with scipy.special's rows when SciPy is
installed: tests/conftest.py loads them). Elementwise entries get their inputs from their
declared ``domain`` -- a name in DOMAINS below, or the row's own interval per operand and
the values of its orders -- and, for entries with a kink, from a recipe that keeps values
away from it; structural entries have their own generators below. An entry
with no recipe fails ``test_entry[<name>]`` and ``test_every_entry_has_a_recipe``.

For each drawn case:
- ``check_grads`` at order 2 in both modes: jvp and vjp against central differences, and
  the same for the derivative functions x -> jvp(f, x, v)[1] and x -> vjp(f, x)[1](u),
  each in both modes;
- jvp of jvp against the mixed second difference of f;
- the dot-product identity <w, J u> = <J^T w, u> between the modes, and its second-order
  form: fwd-over-fwd, rev-over-rev, fwd-over-rev and rev-over-fwd all give w^T f''[u, v].

Tolerances (float64, unit round-off eps = 2.2e-16):
- first differences with h = 2^-17: error <= h^2/6 M3 + eps |f| / h = 1e-11 M3 + 3e-11 |f|,
  M3 the third derivative along the direction. The domains below keep |x| <= 3 and at
  least 0.1 away from poles (|f| <= ~1e2, M3 <= ~1e5 for f and its first derivative), so
  the error is <= ~1e-6 absolute and far smaller relative to f'; atol = rtol = 1e-5.
- mixed second differences with h = 2^-13: error <= h^2/6 M4 + eps |f| / h^2
  = 2.5e-9 M4 + 1.5e-8 |f|; with M4 <= ~1e5 that is <= ~3e-4 absolute where the second
  derivative is ~1e2 or more; atol = rtol = 1e-4 relative to max(1, |f''|).
- the mode identities are exact up to the round-off of the inner products:
  1e-10 (1 + sum |terms|).
Kinks (abs at 0, ties of maximum/minimum) are kept >= 0.01 away, which is more than 100
times the largest step a finite difference takes (h |direction| <= 1e-3).
Linear algebra keeps the same bounds through the conditioning of the drawn matrices:
inv/det/solve take diagonally dominant matrices (||a^-1||_inf <= 1), the decompositions
spectra >= 0.4 apart (singular values >= 0.5), eig eigenvector matrices with cond <= 4.
Eigen- and singular vectors are checked with the labels (sign, order) fixed at the drawn
matrix, since LAPACK's own labels jump piecewise (see "Labels" below).
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import dualad as ad
from dualad import rules as P
from dualad.transforms.check import check_grads, numerical_hessian_form, random_like
from dualad.core import primal
from dualad.core.tree import flatten

import strategies as S

EPS1 = 2.0 ** -17
TOL1 = 1e-5
EPS2 = 2.0 ** -13
TOL2 = 1e-4
TOL_IDENTITY = 1e-10


class Case:
    """A function of the differentiated operands and the operands themselves."""

    def __init__(self, fn, args, label, seed, eps1=EPS1, tol1=TOL1, eps2=EPS2, tol2=TOL2,
                 tol_identity=TOL_IDENTITY):
        self.fn, self.args, self.label, self.seed = fn, tuple(args), label, seed
        self.eps1, self.tol1, self.eps2, self.tol2 = eps1, tol1, eps2, tol2
        self.tol_identity = tol_identity

    def __repr__(self):
        shapes = [np.shape(a) if isinstance(a, np.ndarray) else type(a).__name__
                  for a in self.args]
        return f"Case({self.label}; args {shapes}; seed {self.seed})"


# ------------------------------------------------------------------------------------
# Helpers on nested values
# ------------------------------------------------------------------------------------
def _leaves(tree):
    return [np.asarray(x, dtype=np.float64) for x in flatten(tree)[0]]


def inner(a, b):
    la, lb = _leaves(a), _leaves(b)
    assert len(la) == len(lb)
    return sum(float(np.sum(x * y)) for x, y in zip(la, lb))


def abs_inner(a, b):
    return sum(float(np.sum(np.abs(x * y))) for x, y in zip(_leaves(a), _leaves(b)))


# ------------------------------------------------------------------------------------
# The checks every case goes through
# ------------------------------------------------------------------------------------
def run_checks(case):
    f, x = case.fn, case.args
    check_grads(f, x, order=2, modes=("fwd", "rev"), eps=case.eps1, atol=case.tol1,
                rtol=case.tol1, seed=case.seed)

    rng = np.random.default_rng(case.seed)
    u, v = random_like(rng, x), random_like(rng, x)
    out, tangent = ad.jvp(f, x, u)
    w = random_like(rng, out)
    assert_same_structure(tangent, out)

    # first order: <w, J u> = <J^T w, u>
    ct = ad.vjp(f, *x)[1](w)
    a, b = inner(w, tangent), inner(ct, u)
    scale = 1.0 + abs_inner(w, tangent) + abs_inner(ct, u)
    assert abs(a - b) <= case.tol_identity * scale, (case, a, b)

    # second order: every composition of the modes gives w^T f''[u, v]
    def f_jvp(*p):
        return ad.jvp(f, p, u)[1]

    def f_vjp(*p):
        return ad.vjp(f, *p)[1](w)

    ff = ad.jvp(f_jvp, x, v)[1]                       # output-shaped
    forms = {
        "fwd-over-fwd": (inner(w, ff), abs_inner(w, ff)),
        "rev-over-rev": _form(ad.vjp(f_vjp, *x)[1](u), v),
        "fwd-over-rev": _form(ad.jvp(f_vjp, x, v)[1], u),
        "rev-over-fwd": _form(ad.vjp(f_jvp, *x)[1](w), v),
    }
    ref, ref_scale = forms["fwd-over-fwd"]
    for name, (val, sc) in forms.items():
        assert abs(val - ref) <= case.tol_identity * (1.0 + ref_scale + sc), (
            case, name, val, ref)

    # jvp of jvp against the mixed second difference of f
    want = numerical_hessian_form(f, x, u, v, eps=case.eps2)
    for g, h in zip(_leaves(ff), _leaves(want)):
        assert g.shape == h.shape, (case, g.shape, h.shape)
        np.testing.assert_allclose(g, h, rtol=case.tol2, atol=case.tol2 * max(
            1.0, float(np.max(np.abs(h), initial=0.0))), err_msg=repr(case))


def _form(a, b):
    return inner(a, b), abs_inner(a, b)


def assert_same_structure(a, b):
    la, da = flatten(a)
    lb, db = flatten(b)
    assert da == db
    for p, q in zip(la, lb):
        assert np.shape(p) == np.shape(q)


# ------------------------------------------------------------------------------------
# Elementwise entries: inputs from the declared domain
# ------------------------------------------------------------------------------------
GENERAL = S.interval(-2.0, 2.0)

# domain -> strategy of a list with one element strategy per operand
DOMAINS = {
    None: lambda n: st.just([GENERAL] * n),
    "positive": lambda n: st.just([S.interval(0.1, 3.0)] * n),
    "nonzero": lambda n: st.just([S.away_from_zero(0.25, 2.0)] * n),
    "nonzero_y": lambda n: st.just([GENERAL, S.away_from_zero(0.25, 2.0)]),
    "open_unit": lambda n: st.just([S.interval(-0.9, 0.9)] * n),
    "gt_one": lambda n: st.just([S.interval(1.1, 3.0)] * n),
    "tan": lambda n: st.just([S.interval(-1.3, 1.3)] * n),   # 0.27 from the poles
    "positive_x": lambda n: st.just([S.interval(0.2, 2.0), GENERAL]),
    "gt_minus_one": lambda n: st.just([S.interval(-0.9, 2.0)] * n),
    # (y, x) pairs at least 0.3 from the origin, and for arctan2 from the branch cut on
    # the negative x axis: either every y is off the x axis or every x is positive
    "nonzero_pair": lambda n: st.sampled_from([
        [S.away_from_zero(0.3, 2.0), GENERAL],
        [GENERAL, S.interval(0.3, 2.0)],
    ]),
    # remainder(x, y) / fmod(x, y) jump where x / y is an integer. y = +-(1 or 2) times
    # (1 + d), |d| <= 0.005, and x = k + f with f in [0.15, 0.85], |x| <= 2: x / y stays
    # >= 0.065 from every integer (in x: >= 0.065 |y|, far more than any step).
    "remainder": lambda n: st.just([
        st.builds(lambda k, f: k + f, st.integers(-2, 1), S.interval(0.15, 0.85)),
        st.builds(lambda s, c, d: s * c * (1.0 + d), st.sampled_from([-1.0, 1.0]),
                  st.sampled_from([1.0, 2.0]), S.interval(-0.005, 0.005)),
    ]),
}

# Entries with a non-differentiable point: values that keep away from it (None: the
# domain already does).
_NO_TIES = lambda n: st.just([S.off_grid(0.0), S.off_grid(0.05)])  # noqa: E731
KINKS = {
    "absolute": lambda n: st.just([S.away_from_zero(0.03, 2.0)]),
    "fabs": lambda n: st.just([S.away_from_zero(0.03, 2.0)]),
    # operands on interleaved grids never tie (|x - y| >= 0.01)
    "maximum": _NO_TIES, "minimum": _NO_TIES, "fmax": _NO_TIES, "fmin": _NO_TIES,
    "power": None,        # domain "positive_x" keeps x > 0, away from the convention at 0
    "float_power": None,  # the same
    "hypot": None,        # domain "nonzero_pair" keeps away from (0, 0)
    "sqrt": None,         # domain "positive" keeps away from 0
    "cbrt": None,         # domain "nonzero" keeps away from 0
    "remainder": None,    # domain "remainder" keeps x / y away from the jumps
    "fmod": None,
    "i0e": None,          # scipy.special rows: domain "nonzero" keeps away from |x|'s kink
    "i1e": None,
    "gammasgn": None,     # its domain (x > 0) has no jump
    "strong_multiply": None,  # drawn operands are never exactly 0: it is multiply there
}


def _per_operand(domain):
    """A row's own domain, per operand: an interval (lo, hi), or the list of values of an
    operand without derivative (an order)."""
    return st.just([st.sampled_from(d) if isinstance(d, list) else S.interval(*d)
                    for d in domain])


def _elementwise_recipe(prim):
    own = isinstance(prim.domain, tuple)
    if not own and prim.domain not in DOMAINS:
        return None
    domain = _per_operand(prim.domain) if own else DOMAINS[prim.domain](prim.nin)
    if prim.kink is not None:
        if prim.name not in KINKS:
            return None
        kink = KINKS[prim.name]
        values = kink(prim.nin) if kink else domain
    else:
        values = domain
    return elementwise_cases(prim, values)


@st.composite
def elementwise_cases(draw, prim, values):
    n = prim.nin
    elems = draw(values)
    assert len(elems) == n
    shps = draw(S.broadcastable_shapes(n))
    ops = []
    for i in range(n):
        if prim.partials[i] is None and not isinstance(prim.domain, tuple):
            ops.append(draw(hnp.arrays(np.bool_, shps[i])))     # a condition
        else:
            ops.append(draw(S.arrays(shps[i], elems[i])))
    diff = [i for i in range(n) if prim.partials[i] is not None]
    active = sorted(draw(st.lists(st.sampled_from(diff), min_size=1, unique=True)))

    def fn(*xs):
        full = list(ops)
        for i, x in zip(active, xs):
            full[i] = x
        return prim(*full)

    label = (f"{prim.name}(" + ", ".join(
        f"{'*' if i in active else ''}{type(o).__name__}{np.shape(o)}"
        for i, o in enumerate(ops)) + ")")
    return Case(fn, [ops[i] for i in active], label, draw(st.integers(0, 2 ** 32 - 1)))


# ------------------------------------------------------------------------------------
# Structural entries
# ------------------------------------------------------------------------------------
seeds = st.integers(0, 2 ** 32 - 1)


@st.composite
def sum_cases(draw):
    shape = draw(S.shapes())
    x = draw(S.arrays(shape, GENERAL))
    axis = draw(S.reduction_axes(len(shape)))
    keepdims = draw(st.booleans())
    return Case(lambda x: P.sum_(x, axis=axis, keepdims=keepdims), [x],
                f"sum(shape {shape}, axis={axis}, keepdims={keepdims})", draw(seeds))


@st.composite
def broadcast_to_cases(draw):
    shape = draw(S.shapes())
    target = draw(S.broadcast_targets(shape))
    x = draw(S.arrays(shape, GENERAL))
    return Case(lambda x: P.broadcast_to(x, shape=target), [x],
                f"broadcast_to({shape} -> {target})", draw(seeds))


@st.composite
def reshape_cases(draw):
    shape = draw(S.shapes())
    target = draw(S.reshape_targets(shape))
    x = draw(S.arrays(shape, GENERAL))
    return Case(lambda x: P.reshape(x, shape=target), [x],
                f"reshape({shape} -> {target})", draw(seeds))


@st.composite
def transpose_cases(draw):
    shape = draw(S.shapes())
    axes = draw(S.permutations(len(shape)))
    x = draw(S.arrays(shape, GENERAL))
    return Case(lambda x: P.transpose(x, axes=axes), [x], f"transpose({shape}, {axes})",
                draw(seeds))


# float32 data: unit round-off 6e-8, so steps and tolerances of float32 precision:
# h = 2^-7 gives a round-off error <= 1.2e-7 |x| / h = 3e-5 (|x| <= 2) and no truncation
# error (cast is linear); second differences with h = 2^-4 give <= 1.2e-7 |x| / h^2 = 6e-5.
# The modes round a direction to float32 at different places: 6e-8 relative per term.
F32 = dict(eps1=2.0 ** -7, tol1=2e-3, eps2=2.0 ** -4, tol2=2e-3, tol_identity=1e-6)


@st.composite
def cast_cases(draw):
    src, dst = draw(st.sampled_from([(np.float64, np.float32), (np.float32, np.float64),
                                     (np.float64, np.float64), (np.float32, np.float32)]))
    shape = draw(S.shapes())
    x = draw(hnp.arrays(src, shape, elements=st.floats(-2, 2, width=32)))
    tol = F32 if np.float32 in (src, dst) else {}
    return Case(lambda x: P.cast(x, dtype=dst), [x],
                f"cast({np.dtype(src).name}{shape} -> {np.dtype(dst).name})", draw(seeds),
                **tol)


@st.composite
def getitem_cases(draw):
    shape = draw(S.shapes())
    idx = draw(S.indices(shape))
    # a 0-d operand stays an ndarray here: Python floats cannot be indexed
    x = draw(hnp.arrays(np.float64, shape, elements=GENERAL))
    return Case(lambda x: P.getitem(x, idx=idx), [x], f"getitem({shape}, {idx!r})",
                draw(seeds))


@st.composite
def scatter_add_cases(draw):
    shape = draw(S.shapes(min_dims=1))
    idx = draw(S.indices(shape))
    gshape = np.empty(shape)[idx].shape
    g = draw(S.arrays(gshape, GENERAL))
    return Case(lambda g: P.scatter_add(g, idx=idx, shape=shape), [g],
                f"scatter_add({gshape} into {shape}, {idx!r})", draw(seeds))


@st.composite
def concatenate_cases(draw):
    nd = draw(st.integers(1, 3))
    base = list(draw(S.shapes(min_dims=nd, max_dims=nd)))
    axis = draw(st.integers(-nd, nd - 1))
    k = draw(st.integers(1, 4))
    xs = []
    for _ in range(k):
        base[axis] = draw(st.integers(0, 3))
        xs.append(draw(hnp.arrays(np.float64, tuple(base), elements=GENERAL)))
    active = sorted(draw(st.lists(st.integers(0, k - 1), min_size=1, unique=True)))

    def fn(*ys):
        full = list(xs)
        for i, y in zip(active, ys):
            full[i] = y
        return P.concatenate(*full, axis=axis)

    return Case(fn, [xs[i] for i in active],
                f"concatenate({[x.shape for x in xs]}, axis={axis}, active {active})",
                draw(seeds))


@st.composite
def pack_cases(draw):
    """np.array([...]) of k operands of one shape (scalars mostly), some of them constants."""
    lead = draw(st.sampled_from([(), (), (2,), (1, 3)]))
    shape = draw(st.sampled_from([(1,), (3,), (2, 2), (3, 1), (2, 1, 2)]))
    k = int(np.prod(shape))
    xs = [draw(hnp.arrays(np.float64, lead, elements=GENERAL)) for _ in range(k)]
    xs = [float(x) if x.shape == () else x for x in xs]
    active = sorted(draw(st.lists(st.integers(0, k - 1), min_size=1, unique=True)))

    def fn(*ys):
        full = list(xs)
        for i, y in zip(active, ys):
            full[i] = y
        return P.pack(*full, shape=shape)

    return Case(fn, [xs[i] for i in active], f"pack({k} x {lead}, shape={shape}, "
                f"active {active})", draw(seeds))


@st.composite
def index_update_cases(draw):
    """x[idx] = v for every kind of index (each element written once), v broadcast."""
    shape = draw(S.shapes(min_dims=1))
    idx = draw(S.indices(shape))
    assume(not P.duplicate_targets(idx, shape))
    target = np.empty(shape)[idx].shape
    vshape = target[draw(st.integers(0, len(target))):]
    vshape = tuple(1 if draw(st.booleans()) else n for n in vshape)
    x = draw(S.arrays(shape, GENERAL))
    v = draw(S.arrays(vshape, GENERAL))
    which = draw(st.sampled_from(["x", "v", "both"]))
    if which == "x":
        fn, args = (lambda x: P.index_update(x, v, idx=idx)), [x]
    elif which == "v":
        fn, args = (lambda v: P.index_update(x, v, idx=idx)), [v]
    else:
        fn, args = (lambda x, v: P.index_update(x, v, idx=idx)), [x, v]
    return Case(fn, args, f"index_update({shape}, {idx!r}, v {vshape}, active {which})",
                draw(seeds))


@st.composite
def matmul_cases(draw):
    ba, bb = draw(S.broadcastable_shapes(2, max_dims=2))
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    a = draw(hnp.arrays(np.float64, ba + (n, k), elements=GENERAL))
    b = draw(hnp.arrays(np.float64, bb + (k, m), elements=GENERAL))
    active = draw(st.sampled_from([(0,), (1,), (0, 1)]))
    ops = [a, b]

    def fn(*ys):
        full = list(ops)
        for i, y in zip(active, ys):
            full[i] = y
        return P.matmul(*full)

    return Case(fn, [ops[i] for i in active],
                f"matmul({a.shape} @ {b.shape}, active {active})", draw(seeds))


# --- reductions, scans and complex parts (dualad/reductions.py, primitives.py) ------------
def _with_zeros(draw, x):
    """Sometimes put exact zeros into x (prod and cumprod must be exact with zeros)."""
    if x.size and draw(st.booleans()):
        flat = x.reshape(-1).copy()
        for i in draw(st.lists(st.integers(0, x.size - 1), min_size=1, max_size=2)):
            flat[i] = 0.0
        x = flat.reshape(x.shape)
    return x


@st.composite
def scan_cases(draw, name):
    shape = draw(S.shapes(min_dims=1))
    x = _with_zeros(draw, draw(hnp.arrays(np.float64, shape, elements=GENERAL)))
    axis = draw(st.integers(0, len(shape) - 1))
    prim = P.TABLE[name]
    return Case(lambda x: prim(x, axis=axis), [x], f"{name}({shape}, axis={axis})",
                draw(seeds))


@st.composite
def prod_cases(draw):
    shape = draw(S.shapes(min_dims=1))
    x = _with_zeros(draw, draw(hnp.arrays(np.float64, shape, elements=GENERAL)))
    return Case(lambda x: P.TABLE["prod"](x), [x], f"prod({shape}, last axis)", draw(seeds))


@st.composite
def chooser_cases(draw, name):
    # distinct values on a grid (no ties: the tie convention is tested in test_numpy_*)
    shape = draw(S.shapes(min_dims=1))
    n = int(np.prod(shape))
    x = (draw(st.permutations(range(n))) if n else [])
    x = (np.asarray(x, dtype=np.float64) * 0.1 - 0.05 * n).reshape(shape)
    axes = draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True))
    axes = tuple(sorted(axes))
    keepdims = draw(st.booleans())
    prim = P.TABLE[name]
    return Case(lambda x: prim(x, axis=axes, keepdims=keepdims), [x],
                f"{name}({shape}, axis={axes}, keepdims={keepdims})", draw(seeds))


@st.composite
def unary_cases(draw, name):
    shape = draw(S.shapes())
    x = draw(S.arrays(shape, GENERAL))
    prim = P.TABLE[name]
    return Case(lambda x: prim(x), [x], f"{name}(real {np.shape(x)})", draw(seeds))


# --- linear algebra (dualad/linalg.py): well-conditioned matrices with separated spectra --
def _orthogonal(draw, n):
    # a generic rotation from a drawn seed: structured matrices (diagonal ones, the
    # minimal examples hypothesis starts from) are where LAPACK takes special paths (see
    # "Labels" below for the sign jumps that happen at generic matrices too)
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _spectrum(draw, k, lo=0.5, gap=0.4):
    """k values >= lo, at least ``gap`` apart, in random order."""
    steps = draw(st.lists(S.interval(gap, 1.0), min_size=k, max_size=k))
    vals = lo + np.cumsum(steps) - steps[0]
    return np.asarray(draw(st.permutations(list(vals))))


def _batch(draw):
    return draw(st.sampled_from([(), (2,)]))


def _matrices(draw, batch, make):
    if not batch:
        return make()
    return np.stack([make() for _ in range(batch[0])])


# Labels. LAPACK returns eigenvectors (eigh, eig) and singular vectors (svd) with a sign
# it does not define: the sign falls out of its iteration (reflector signs, the number of
# QR sweeps before deflation), and it jumps as a piecewise-constant function of the matrix
# -- at generic, well-conditioned matrices, not only structured ones. About one drawn
# eig/eigh case in 100 to 150 has a jump surface within the stencil of the mixed second
# difference (h (|u| + |v|) ~ 1e-3; for the recorded cases at the end of this file, along
# most random directions within 1e-4), and then that difference is ~|v| / h^2 ~ 1e7, or
# a first difference comes out negated. Householder QR flips the sign of column k of Q (row k of R) where
# the reflected entry crosses 0. LAPACK's eig may also reorder the eigenvalues. Each piece
# is smooth and dualad's rule is right on it, so the checked functions fix the labels the
# way the derivative does: a sign per vector that makes one chosen component positive
# (the component of largest modulus at the drawn matrix, >= 1/sqrt(n) in modulus, so it
# cannot reach 0 within the stencil), and for eig the order of the drawn matrix's
# eigenvalues (matched to the nearest: they are >= 0.4 apart and move by ~1e-3). The
# factors are computed from the value (primal): piecewise constant, derivative 0, so the
# derivative checked is exactly that of NumPy's factor on the piece (every term of the
# rule, the unit-norm and phase gauge of eig included, is still checked).
def _signs_at(vectors, rows):
    """sign(Re vectors[..., rows[..., k], k]) as (..., 1, n), real, vectors' precision."""
    x = primal(vectors)
    s = np.sign(np.real(np.take_along_axis(x, rows[..., None, :], axis=-2)))
    return s.astype(np.finfo(x.dtype).dtype)


def _largest_rows(v):
    return np.argmax(np.abs(v), axis=-2)


def _packed_signs(s):
    """The factor for a packed (..., n + 1, n) eigh/eig result: 1 on the values' row, the
    column's sign s (..., 1, n) on the vectors below."""
    n = s.shape[-1]
    return np.concatenate([np.ones_like(s), np.broadcast_to(s, s.shape[:-2] + (n, n))],
                          axis=-2)


def _labelled_eigh(a, uplo, rows):
    out = P.TABLE["eigh"](a, UPLO=uplo)
    return out * _packed_signs(_signs_at(primal(out)[..., 1:, :], rows))


def _labelled_eig(a, w0, rows):
    """eig with the columns in the order of the eigenvalues w0 of the drawn matrix and
    the largest component of the drawn matrix's eigenvectors (rows) made positive."""
    out = P.TABLE["eig"](a)                       # (..., n + 1, n), complex
    w = primal(out)[..., 0, :]
    order = np.argmin(np.abs(w[..., :, None] - w0[..., None, :]), axis=-2)  # (..., n)
    batch, n = order.shape[:-1], order.shape[-1]
    idx = tuple(np.arange(b).reshape((-1,) + (1,) * (len(batch) - j + 1))
                for j, b in enumerate(batch)) + (np.arange(n + 1)[:, None],
                                                 order[..., None, :])
    out = P.getitem(out, idx=idx)
    return out * _packed_signs(_signs_at(primal(out)[..., 1:, :], rows))


def _labelled_svd(a, rows):
    """svd with the largest component of each left singular vector at the drawn matrix
    (rows) made positive, the right one following."""
    out = P.TABLE["svd"](a)                       # (..., m k + k + k n)
    m, n = a.shape[-2:]
    k = min(m, n)
    p = primal(out)
    u = p[..., :m * k].reshape(p.shape[:-1] + (m, k))
    s = _signs_at(u, rows)                        # (..., 1, k)
    fu = np.broadcast_to(s, s.shape[:-2] + (m, k))
    fv = np.broadcast_to(np.swapaxes(s, -1, -2), s.shape[:-2] + (k, n))
    flat = lambda x: x.reshape(x.shape[:-2] + (-1,))    # noqa: E731
    return out * np.concatenate([flat(fu), np.ones_like(s[..., 0, :]), flat(fv)], axis=-1)


def _labelled_qr(a):
    """qr with R's diagonal made positive (|R_kk| >= the smallest singular value >= 0.5,
    so the sign of R_kk itself cannot change within the stencil)."""
    out = P.TABLE["qr"](a)                        # (..., m + n, n): Q above R
    m, n = a.shape[-2:]
    p = primal(out)
    s = np.sign(np.diagonal(p[..., m:, :], axis1=-2, axis2=-1))[..., None, :]  # (.., 1, n)
    return out * np.concatenate([np.broadcast_to(s, s.shape[:-2] + (m, n)),
                                 np.broadcast_to(np.swapaxes(s, -1, -2),
                                                 s.shape[:-2] + (n, n))], axis=-2)


@st.composite
def square_cases(draw, name):
    n = draw(st.integers(1, 3))
    batch = _batch(draw)
    # strictly diagonally dominant by a margin >= 1 (off-diagonal row sums < 1, diagonal
    # >= 3 - 1/n): ||a^-1||_inf <= 1, so inv/det stay well-conditioned for the tolerances
    a = draw(hnp.arrays(np.float64, batch + (n, n), elements=GENERAL)) * (0.5 / n) \
        + 3.0 * np.eye(n)
    if draw(st.booleans()):
        a = -a                  # negative determinants too
    prim = P.TABLE[name]
    return Case(lambda a: prim(a), [a], f"{name}({a.shape})", draw(seeds))


@st.composite
def solve_cases(draw):
    n, k = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    ba, bb = draw(S.broadcastable_shapes(2, max_dims=1))
    # as square_cases: off-diagonal row sums < 1, diagonal >= 3 - 1/n, so ||a^-1||_inf <= 1.
    # (Entries scaled by 0.5 alone let a row's off-diagonal sum reach the diagonal: with
    # the interval ends hypothesis favours, every entry -2 gives 3 I - ones for n = 3,
    # exactly singular: LinAlgError in float64 and float32.)
    a = draw(hnp.arrays(np.float64, ba + (n, n), elements=GENERAL)) * (0.5 / n) \
        + 3.0 * np.eye(n)
    b = draw(hnp.arrays(np.float64, bb + (n, k), elements=GENERAL))
    active = draw(st.sampled_from([(0,), (1,), (0, 1)]))
    ops = [a, b]

    def fn(*ys):
        full = list(ops)
        for i, y in zip(active, ys):
            full[i] = y
        return P.TABLE["solve"](*full)

    return Case(fn, [ops[i] for i in active], f"solve({a.shape}, {b.shape}, active {active})",
                draw(seeds))


@st.composite
def cholesky_cases(draw):
    n = draw(st.integers(1, 3))
    batch = _batch(draw)
    a = draw(hnp.arrays(np.float64, batch + (n, n), elements=GENERAL)) * 0.3 + 3.0 * np.eye(n)
    upper = draw(st.booleans())
    return Case(lambda a: P.TABLE["cholesky"](a, upper=upper), [a],
                f"cholesky({a.shape}, upper={upper})", draw(seeds))


@st.composite
def eigh_cases(draw):
    n = draw(st.integers(1, 3))
    batch = _batch(draw)
    uplo = draw(st.sampled_from(["L", "U"]))

    def make():
        q = _orthogonal(draw, n)
        a = (q * _spectrum(draw, n, lo=-1.0)) @ q.T
        noise = draw(hnp.arrays(np.float64, (n, n), elements=GENERAL))
        keep = np.tri(n, dtype=bool) if uplo == "L" else np.tri(n, dtype=bool).T
        return np.where(keep, a, noise)     # the triangle not read holds anything

    a = _matrices(draw, batch, make)
    rows = _largest_rows(np.linalg.eigh(a, UPLO=uplo)[1])
    return Case(lambda a: _labelled_eigh(a, uplo, rows), [a], f"eigh({a.shape}, {uplo})",
                draw(seeds))


@st.composite
def full_rank_cases(draw, name, tall_only=False):
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    if tall_only and m < n:
        m, n = n, m
    k = min(m, n)
    batch = _batch(draw)

    def make():
        u, v = _orthogonal(draw, m)[:, :k], _orthogonal(draw, n)[:, :k]
        return (u * _spectrum(draw, k)) @ v.T

    a = _matrices(draw, batch, make)
    if name == "svd":
        rows = _largest_rows(np.linalg.svd(a, full_matrices=False)[0])
        fn = lambda a: _labelled_svd(a, rows)          # noqa: E731
    elif name == "qr":
        fn = _labelled_qr
    else:                                               # pinv: unique, no labels
        fn = P.TABLE[name]
    return Case(fn, [a], f"{name}({a.shape})", draw(seeds))


EIG_MAX_COND = 4.0      # bound on cond(V), V the unit eigenvectors (see eig_cases)
EIG_PHASE_MARGIN = 0.1  # largest |component| of a complex eigenvector above the next


@st.composite
def eig_cases(draw):
    # A = S B S^-1: B block diagonal with spaced real eigenvalues or a complex pair a +- bi
    # (b >= 0.4), S = I + 0.3 N (N standard normal, from a drawn seed), kept when
    # - cond(V) <= 4: the eigenvalues' condition numbers and the eigenvector derivative,
    #   |dV| <= n cond(V) |dA| / gap, are then bounded as the tolerances assume (I + 0.3 N
    #   alone has cond(V) > 4 one time in ten, > 60 one in a thousand);
    # - for complex eigenvectors, the largest |component| exceeds the next by >= 0.1:
    #   NumPy's gauge makes that component real, so where two tie the gauge (and NumPy's
    #   value) jumps. Within the stencil |dA| <= ~1e-3, so each |component| moves by
    #   <= 3 * 4 * 1e-3 / 0.4 = 0.03 and the largest stays the same one.
    # A draw that fails is redrawn from the same rng (deterministic in the drawn seed).
    n = draw(st.integers(1, 3))
    batch = _batch(draw)

    def make():
        vals = _spectrum(draw, n, lo=-1.0)
        b = np.diag(vals)
        if n >= 2 and draw(st.booleans()):
            b[0, 1], b[1, 0], b[1, 1] = vals[1] - vals[0], vals[0] - vals[1], vals[0]
        rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
        while True:
            sm = np.eye(n) + 0.3 * rng.standard_normal((n, n))
            a = sm @ b @ np.linalg.inv(sm)
            v = np.linalg.eig(a)[1]
            top = np.sort(np.abs(v), axis=0)
            margin = top[-1] - top[-2] if n >= 2 else np.ones(n)
            if np.linalg.cond(v) <= EIG_MAX_COND and np.all(
                    (margin >= EIG_PHASE_MARGIN) | np.all(v.imag == 0, axis=0)):
                return a

    a = _matrices(draw, batch, make)
    w0, v0 = np.linalg.eig(a)
    rows = _largest_rows(v0)
    return Case(lambda a: _to_real(_labelled_eig(a, w0, rows)), [a], f"eig({a.shape})",
                draw(seeds))


@st.composite
def lstsq_cases(draw):
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k = min(m, n)
    u, v = _orthogonal(draw, m)[:, :k], _orthogonal(draw, n)[:, :k]
    a = (u * _spectrum(draw, k)) @ v.T
    b = draw(hnp.arrays(np.float64, (m, draw(st.integers(1, 2))), elements=GENERAL))
    active = draw(st.sampled_from([(0,), (1,), (0, 1)]))
    ops = [a, b]

    def fn(*ys):
        full = list(ops)
        for i, y in zip(active, ys):
            full[i] = y
        return P.TABLE["lstsq"](*full)

    return Case(fn, [ops[i] for i in active], f"lstsq({a.shape}, {b.shape}, active {active})",
                draw(seeds))


_EINSUM_SPECS = [
    ("ij,jk->ik", [(2, 3), (3, 2)]), ("ij->ji", [(2, 3)]), ("i,i->", [(3,), (3,)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 1)]), ("ij,ij->ij", [(1, 3), (2, 3)]),
    ("i,j->ij", [(2,), (3,)]), ("ijk,ik->j", [(2, 3, 2), (2, 2)]),
    ("ij,jk,kl->il", [(2, 2), (2, 3), (3, 2)]),
]


@st.composite
def einsum_cases(draw):
    spec, shapes = draw(st.sampled_from(_EINSUM_SPECS))
    ops = [draw(hnp.arrays(np.float64, s, elements=GENERAL)) for s in shapes]
    active = sorted(draw(st.lists(st.integers(0, len(ops) - 1), min_size=1, unique=True)))

    def fn(*ys):
        full = list(ops)
        for i, y in zip(active, ys):
            full[i] = y
        return P.TABLE["einsum"](*full, spec=spec)

    return Case(fn, [ops[i] for i in active], f"einsum({spec!r}, active {active})",
                draw(seeds))


# --- FFT (dualad/fft.py): complex results read through a fixed R-linear map to reals ----
def _to_real(z):
    return P.real(z) * 1.3 + P.imag(z) * 0.7


@st.composite
def fft_cases(draw, name):
    shape = draw(S.shapes(min_dims=1))
    x = draw(hnp.arrays(np.float64, shape, elements=GENERAL))
    axis = draw(st.integers(0, len(shape) - 1))
    n = draw(st.integers(1, 5))
    norm = draw(st.sampled_from([None, "backward", "ortho", "forward"]))
    prim = P.TABLE[name]
    kw = dict(n=n, axis=axis, norm=norm)
    if name == "fft":
        kw["inverse"] = draw(st.booleans())
    if name == "irfft":
        fn = lambda x: prim(x, **kw)           # noqa: E731  (real output)
    else:
        fn = lambda x: _to_real(prim(x, **kw))  # noqa: E731
    return Case(fn, [x], f"{name}({shape}, {kw})", draw(seeds))


# --- the SciPy layer's rows (dualad/scipy): triangular solves, LU, matrix functions, ODE
# solutions, implicit solutions. Their imports register the rows; SciPy computes them.
import dualad.scipy.integrate as scipy_integrate  # noqa: E402
import dualad.scipy.linalg  # noqa: E402,F401  (registers solve_triangular, lu_factor, expm...)
import dualad.scipy.optimize as scipy_optimize  # noqa: E402


@st.composite
def solve_triangular_cases(draw):
    n, k = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    batch = _batch(draw)
    # diagonally dominant: |a^-1| <= 1 whichever triangle is read
    a = draw(hnp.arrays(np.float64, batch + (n, n), elements=GENERAL)) * (0.5 / n) \
        + 3.0 * np.eye(n)
    b = draw(hnp.arrays(np.float64, batch + (n, k), elements=GENERAL))
    kw = dict(lower=draw(st.booleans()), trans=draw(st.sampled_from([0, 1])),
              unit_diagonal=draw(st.booleans()))
    return Case(lambda a, b: P.TABLE["solve_triangular"](a, b, **kw), [a, b],
                f"solve_triangular({a.shape}, {b.shape}, {kw})", draw(seeds))


@st.composite
def lu_factor_cases(draw):
    # rows of a diagonally dominant matrix in a drawn order: the pivots are the same for
    # every matrix the differences visit (each pivot beats the rest of its column by > 1)
    n = draw(st.integers(1, 4))
    a = draw(hnp.arrays(np.float64, (n, n), elements=GENERAL)) * (0.5 / n) + 3.0 * np.eye(n)
    a = a[np.asarray(draw(st.permutations(list(range(n)))))]
    piv = scipy_linalg_lu_pivots(a)
    return Case(lambda a: P.TABLE["lu_factor"](a, piv=piv), [a],
                f"lu_factor({a.shape}, piv={piv})", draw(seeds))


def scipy_linalg_lu_pivots(a):
    import scipy.linalg
    return scipy.linalg.lu_factor(a)[1]


@st.composite
def matrix_function_cases(draw, name):
    # SciPy's logm takes 30-200 ms a call (its derivatives need logm of 2n and 4n blocks):
    # small single matrices only
    n = draw(st.integers(1, 2 if name == "logm" else 3))
    batch = () if name == "logm" else _batch(draw)

    def make():
        if name == "expm":     # |A| <= 1: exp(A) and its Frechet derivatives are O(e)
            return draw(hnp.arrays(np.float64, (n, n), elements=GENERAL)) * (0.5 / n)
        # eigenvalues in [0.5, 2] (spectrum >= 0.4 apart), a small non-symmetric part:
        # the principal log and square root are smooth there
        q = _orthogonal(draw, n)
        noise = draw(hnp.arrays(np.float64, (n, n), elements=GENERAL)) * (0.05 / n)
        return (q * _spectrum(draw, n)) @ q.T + noise
    a = _matrices(draw, batch, make)
    return Case(lambda a: P.TABLE[name](a), [a], f"{name}({a.shape})", draw(seeds))


def _ode_rhs(y, t, W):
    return np.tanh(W @ y) - 0.5 * y


@st.composite
def odeint_cases(draw):
    # a stable nonlinear system, solved at rtol = atol = 1e-12: the solution's error over
    # the difference step (2^-17) stays ~1e-7, inside the table's tolerances
    n = draw(st.integers(1, 2))
    y0 = draw(hnp.arrays(np.float64, (n,), elements=GENERAL))
    W = draw(hnp.arrays(np.float64, (n, n), elements=GENERAL)) * 0.5
    gaps = draw(st.lists(S.interval(0.1, 0.6), min_size=1, max_size=2))
    t = np.cumsum([draw(S.interval(-0.5, 0.5))] + gaps)
    route = draw(st.sampled_from(["forward", "adjoint"]))
    return Case(lambda y0, t, W: scipy_integrate.odeint(
        _ode_rhs, y0, t, args=(W,), rtol=1e-12, atol=1e-12, sensitivity=route),
        [y0, t, W], f"odeint(n={n}, T={len(t)}, {route})", draw(seeds))


@st.composite
def implicit_root_cases(draw):
    # x^3 + x = c (elementwise; increasing in x, so one simple root for every c)
    shape = draw(S.shapes(max_dims=1))
    c = draw(S.arrays(shape, GENERAL))
    return Case(lambda c: scipy_optimize.implicit_root(lambda x, c: x ** 3 + x - c,
                                                       np.zeros(np.shape(c)), (c,)),
                [c], f"implicit_root(x^3 + x = c, {np.shape(c)})", draw(seeds))


STRUCTURAL = {
    "solve_triangular": solve_triangular_cases(),
    "lu_factor": lu_factor_cases(),
    "expm": matrix_function_cases("expm"),
    "logm": matrix_function_cases("logm"),
    "sqrtm": matrix_function_cases("sqrtm"),
    "odeint": odeint_cases(),
    "implicit_root": implicit_root_cases(),
    "eig": eig_cases(),
    "lstsq": lstsq_cases(),
    "fft": fft_cases("fft"),
    "rfft": fft_cases("rfft"),
    "irfft": fft_cases("irfft"),
    "inv": square_cases("inv"),
    "det": square_cases("det"),
    "logabsdet": square_cases("logabsdet"),
    "solve": solve_cases(),
    "cholesky": cholesky_cases(),
    "eigh": eigh_cases(),
    "svd": full_rank_cases("svd"),
    "qr": full_rank_cases("qr", tall_only=True),
    "pinv": full_rank_cases("pinv"),
    "einsum": einsum_cases(),
    "cumsum": scan_cases("cumsum"),
    "cumprod": scan_cases("cumprod"),
    "prod": prod_cases(),
    "max": chooser_cases("max"),
    "min": chooser_cases("min"),
    "real": unary_cases("real"),
    "imag": unary_cases("imag"),
    "conjugate": unary_cases("conjugate"),
    "sum": sum_cases(),
    "broadcast_to": broadcast_to_cases(),
    "reshape": reshape_cases(),
    "transpose": transpose_cases(),
    "cast": cast_cases(),
    "getitem": getitem_cases(),
    "scatter_add": scatter_add_cases(),
    "concatenate": concatenate_cases(),
    "pack": pack_cases(),
    "index_update": index_update_cases(),
    "matmul": matmul_cases(),
}

# Entries deliberately not checked here, each with the reason. Keep it short.
NOT_CHECKED = {}

# Entries whose checks cost seconds a case (SciPy's logm takes ~50 ms a call and an ODE
# solve at rtol 1e-12 ~10 ms; an order-2 check makes hundreds): fewer drawn cases.
FEWER_EXAMPLES = {"logm": 4, "odeint": 5}


def recipe(name):
    prim = P.TABLE[name]
    if name in STRUCTURAL:
        return STRUCTURAL[name]
    if isinstance(prim, P.Elementwise):
        return _elementwise_recipe(prim)
    return None


def _missing():
    out = []
    for name, prim in P.TABLE.items():
        if name in NOT_CHECKED or recipe(name) is not None:
            continue
        why = (f"domain {prim.domain!r} has no entry in DOMAINS"
               if isinstance(prim, P.Elementwise) and prim.domain not in DOMAINS else
               f"kink {prim.kink!r} has no entry in KINKS"
               if isinstance(prim, P.Elementwise) else "no generator in STRUCTURAL")
        out.append(f"{name}: {why}")
    return out


# ------------------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------------------
def test_every_entry_has_a_recipe():
    missing = _missing()
    assert not missing, ("primitive table entries without an input recipe in "
                         "tests/rules/test_table.py: " + "; ".join(missing))
    assert not set(NOT_CHECKED) - set(P.TABLE), "NOT_CHECKED names entries that do not exist"
    assert not set(STRUCTURAL) - set(P.TABLE), "STRUCTURAL names entries that do not exist"


def test_table_is_not_trivially_small():
    # The enumeration below must see the table (a broken import would give zero tests).
    assert len(P.TABLE) >= 30
    assert {"add", "sin", "sum", "getitem", "matmul"} <= set(P.TABLE)


@pytest.mark.parametrize("name", sorted(P.TABLE))
def test_entry(name):
    if name in NOT_CHECKED:
        pytest.skip(NOT_CHECKED[name])
    strategy = recipe(name)
    if strategy is None:
        pytest.fail(f"primitive {name!r} has no input recipe in tests/rules/test_table.py "
                    f"({'; '.join(m for m in _missing() if m.startswith(name + ':'))})")

    @given(strategy)
    def run(case):
        run_checks(case)

    if name in FEWER_EXAMPLES:
        run = settings(max_examples=FEWER_EXAMPLES[name])(run)
    run()


def _to32(a):
    return np.asarray(a, dtype=np.float32) if np.result_type(a) == np.float64 else a


@pytest.mark.parametrize("name", sorted(P.TABLE))
def test_entry_float32(name):
    """float32 operands: tangents have the output's dtype, cotangents the operand's, and
    the values match the float64 derivatives to float32 accuracy (unit round-off 6e-8,
    amplified by the conditioning of f' on the domains above, <= ~1e2: rtol 1e-4)."""
    strategy = recipe(name)
    if strategy is None or name in NOT_CHECKED:
        pytest.skip("no recipe (reported by test_entry)")

    @settings(max_examples=10)
    @given(strategy)
    def run(case):
        x32 = tuple(_to32(a) for a in case.args)
        rng = np.random.default_rng(case.seed)
        u = tuple(_to32(a) for a in random_like(rng, case.args))
        out, t = ad.jvp(case.fn, x32, u)
        assert np.result_type(t) == np.result_type(out), (case, "tangent dtype")
        w = random_like(rng, out)
        ct = ad.vjp(case.fn, *x32)[1](w)
        for a, c in zip(x32, ct):
            assert np.result_type(c) == np.result_type(a), (case, "cotangent dtype")
            assert np.shape(c) == np.shape(a)
        # the same directions in float64
        t64 = ad.jvp(case.fn, case.args, tuple(np.asarray(v, np.float64) for v in u))[1]
        ct64 = ad.vjp(case.fn, *case.args)[1](w)
        for got, want in zip(_leaves((t,) + tuple(ct)), _leaves((t64,) + tuple(ct64))):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * max(
                1.0, float(np.max(np.abs(want), initial=0.0))), err_msg=repr(case))

    run()


# ------------------------------------------------------------------------------------
# The documented conventions at the kinks, in both modes
# ------------------------------------------------------------------------------------
def _both_modes(f, args):
    fwd = [ad.jvp(f, args, tuple(1.0 if j == i else 0.0 for j in range(len(args))))[1]
           for i in range(len(args))]
    rev = list(ad.grad(f, argnums=tuple(range(len(args))))(*args))
    return fwd, rev


# name -> [(args, the derivative with respect to each operand)]
KINK_CONVENTIONS = {
    "absolute": [((0.0,), [0.0])],
    "sqrt": [((0.0,), [np.inf])],
    "cbrt": [((0.0,), [np.inf])],
    "fabs": [((0.0,), [0.0])],
    "maximum": [((1.5, 1.5), [0.5, 0.5])],
    "minimum": [((-0.5, -0.5), [0.5, 0.5])],
    "fmax": [((1.5, 1.5), [0.5, 0.5]), ((np.nan, 2.0), [0.0, 1.0]),
             ((2.0, np.nan), [1.0, 0.0])],
    "fmin": [((-0.5, -0.5), [0.5, 0.5]), ((np.nan, 2.0), [0.0, 1.0]),
             ((2.0, np.nan), [1.0, 0.0])],
    # d/dy x**y at x == 0 is 0; d/dx = 2.5 * 0**1.5 = 0
    "power": [((0.0, 2.5), [0.0, 0.0])],
    "float_power": [((0.0, 2.5), [0.0, 0.0])],
    "hypot": [((0.0, 0.0), [0.0, 0.0])],
    # a tangent or cotangent (x) times a partial (y): 0 where x is 0
    "strong_multiply": [((0.0, np.inf), [np.inf, 0.0]), ((2.0, 3.0), [3.0, 2.0])],
    # at a jump: the derivative of the piece NumPy's result lies on
    "remainder": [((3.0, 1.5), [1.0, -2.0]), ((-3.0, 1.5), [1.0, 2.0])],
    "fmod": [((3.0, 1.5), [1.0, -2.0]), ((-3.0, 1.5), [1.0, 2.0])],
    # scipy.special: e^-|x| I_n(x) with sign(0) = 0 (i0e: one-sided slopes -1, +1)
    "i0e": [((0.0,), [0.0])],
    "i1e": [((0.0,), [0.5])],
    "gammasgn": [((0.0,), [0.0]), ((-1.0,), [0.0]), ((-1.5,), [0.0])],
}


@pytest.mark.parametrize("name", sorted(KINK_CONVENTIONS))
def test_kink_conventions(name):
    if name not in P.TABLE:
        pytest.skip(f"{name} is not in the table")
    prim = P.TABLE[name]
    assert prim.kink is not None
    for args, want in KINK_CONVENTIONS[name]:
        fwd, rev = _both_modes(lambda *a: prim(*a), args)
        assert fwd == want, (name, args, "forward")
        assert rev == want, (name, args, "reverse")


def test_every_kink_has_a_convention_test():
    kinked = {n for n, p in P.TABLE.items() if getattr(p, "kink", None) is not None}
    missing = kinked - set(KINK_CONVENTIONS)
    assert not missing, f"kinked entries without a convention in KINK_CONVENTIONS: {missing}"


# ------------------------------------------------------------------------------------
# Index layouts NumPy treats specially, always checked (the random draws may miss them)
# ------------------------------------------------------------------------------------
_I = np.array
INDEX_LAYOUTS = [
    ((4,), [1, 1, 3, -1]),                                   # repeated and negative
    ((3, 4), (_I([[0, 2], [2, 2]]), _I([1, 3]))),            # broadcasting arrays
    ((2, 3, 4), ([0, 1, 1], slice(None), [3, 0, 3])),        # non-adjacent: to the front
    ((2, 3, 4), (1, slice(None), _I([2, 2, 0]))),            # int and array, separated
    ((2, 3, 4), (slice(None), [2, 0, 2], [1, 1, 3])),        # adjacent, in place
    ((2, 3, 4), ([1, 0], None, [2, 2])),                     # separated by a new axis
    ((2, 3, 4), ([1, 0], Ellipsis, [2, 3])),                 # separated by an ellipsis
    ((3, 2), ([2, 0], Ellipsis, [1, 1])),                    # ellipsis covering no axis
    ((2, 3, 4), (_I([[True, False, True], [False, True, True]]), slice(None, None, -2))),
    ((2, 3, 4), (slice(None), _I([True, False, True]), 3)),  # mask and int, adjacent
    ((2, 3, 4), (_I([True, True]), slice(1, 3), 0)),         # mask and int, separated
    ((3, 4), _I([False, False, False])),                     # empty selection
]


@pytest.mark.parametrize("shape, idx", INDEX_LAYOUTS,
                         ids=[f"{s}-{i!r}"[:60] for s, i in INDEX_LAYOUTS])
def test_index_layouts(shape, idx):
    rng = np.random.default_rng(3)
    x = rng.uniform(-2, 2, shape)
    run_checks(Case(lambda x: P.getitem(x, idx=idx), [x], f"getitem({shape}, {idx!r})", 1))
    g = rng.uniform(-2, 2, x[idx].shape)
    run_checks(Case(lambda g: P.scatter_add(g, idx=idx, shape=shape), [g],
                    f"scatter_add({shape}, {idx!r})", 2))
    # and through NumPy syntax with several directions at once (jacfwd) and reverse mode
    want = np.zeros(x[idx].shape + shape)
    flat = want.reshape(x[idx].size, x.size)
    np.add.at(flat, (np.arange(x[idx].size), np.arange(x.size).reshape(shape)[idx].ravel()), 1.0)
    np.testing.assert_array_equal(ad.jacfwd(lambda x: x[idx])(x), want)
    np.testing.assert_array_equal(ad.jacrev(lambda x: x[idx])(x), want)


# ------------------------------------------------------------------------------------
# Bugs found by the table test (outside the files this test owns), now regression tests
# ------------------------------------------------------------------------------------
def test_cumprod_second_order_with_a_tiny_entry():
    # cumprod's division rule out * cumsum(t / x) was used for every |x| above sqrt(tiny);
    # differentiated again its two ~1/x terms cancel: reductions.py now takes the exact
    # rule for entries below 1e-6 of the data's scale
    x = np.array([1e-100, 2.0])
    H = ad.hessian(lambda x: np.sum(np.cumprod(x)))(x)
    np.testing.assert_allclose(H, [[0.0, 1.0], [1.0, 0.0]], rtol=0, atol=1e-12)


# Cases the randomized profile drew where NumPy's eigenvector signs jump inside the
# finite-difference stencil (see "Labels" above), checked through the labelled functions.
# Before the labels they failed (differences of ~|v| / h^2, or exact negations); the
# derivative rules were right on each piece.
_SIGN_JUMP_EIGH = np.array([
    [-0.6046354306470525, 0.16817939388694625, -0.03378373902638379],
    [0.0, -0.4751569598817631, 0.3399202550896381],
    [0.0, 0.0, -0.7202076094711847]])                 # eigenvalues -1, -0.6, -0.2; UPLO U
_SIGN_JUMP_EIG = [
    (np.array([[0.8615150443307773, 0.5395596802629925, 0.08110209434909953],
               [-0.7883195003363737, -1.2213362128882688, 0.08995065995908368],
               [-0.197663808388971, -0.008239272921666155, -0.15681565237500508]]), 6513),
    (np.array([[-0.992120296290056, -0.8590451355565683, 0.2624212253826058],
               [0.07626702808492514, 0.06000094908918612, -0.09502939435586139],
               [0.810054008408891, 0.7937040952234282, 0.93208934720087]]), 0),
    # a complex pair and an eigenvalue exactly 0 (LAPACK flips the pair's sign there)
    (np.array([[-1.734071118180349, 1.530320783606275, 0.03156602107113271],
               [-2.785766467190968, -0.2796399806206842, 0.05242085899604927],
               [-0.7179921816137497, -0.3928184441869446, 0.013711098801033193]]), 3903),
]


@pytest.mark.parametrize("seed", [2, 112273389])
def test_eigh_across_a_lapack_sign_jump(seed):
    a = _SIGN_JUMP_EIGH
    rows = _largest_rows(np.linalg.eigh(a, UPLO="U")[1])
    run_checks(Case(lambda a: _labelled_eigh(a, "U", rows), [a], "eigh sign jump", seed))


@pytest.mark.parametrize("k", range(len(_SIGN_JUMP_EIG)))
def test_eig_across_a_lapack_sign_jump(k):
    a, seed = _SIGN_JUMP_EIG[k]
    w0, v0 = np.linalg.eig(a)
    rows = _largest_rows(v0)
    run_checks(Case(lambda a: _to_real(_labelled_eig(a, w0, rows)), [a], "eig sign jump",
                    seed))
