"""Shared hypothesis strategies: shapes, values inside a domain, indices, axes."""
import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

MAX_DIMS = 3
MAX_SIDE = 3


# ------------------------------------------------------------------------------------
# Shapes
# ------------------------------------------------------------------------------------
def shapes(min_dims=0, max_dims=MAX_DIMS, min_side=1, max_side=MAX_SIDE):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(n, max_dims=MAX_DIMS, max_side=MAX_SIDE):
    """n shapes that broadcast together (each may lack leading axes or have size-1 axes)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=n, max_dims=max_dims,
                                             max_side=max_side).map(lambda b: b.input_shapes)


# ------------------------------------------------------------------------------------
# Values
# ------------------------------------------------------------------------------------
def interval(lo, hi):
    """Floats in [lo, hi] (no nan, no inf)."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(m, hi):
    """Floats with m <= |x| <= hi."""
    return st.one_of(interval(-hi, -m), interval(m, hi))


def off_grid(offset, spacing=0.1, jitter=0.02, span=20):
    """Floats k * spacing + offset + j, |j| <= jitter: two such strategies with offsets that
    differ by spacing / 2 never come closer than spacing / 2 - 2 jitter (no ties)."""
    return st.builds(lambda k, j: k * spacing + offset + j,
                     st.integers(-span, span), interval(-jitter, jitter))


@st.composite
def arrays(draw, shape, elements, dtype=np.float64):
    """A float array of ``shape``; a 0-d one is sometimes a Python float or a NumPy scalar."""
    a = draw(hnp.arrays(dtype, shape, elements=elements))
    if a.shape == () and dtype == np.float64:
        kind = draw(st.sampled_from(["python", "ndarray", "numpy_scalar"]))
        if kind == "python":
            return float(a)
        if kind == "numpy_scalar":
            return np.float64(a)
    return a


# ------------------------------------------------------------------------------------
# Axes, permutations, target shapes
# ------------------------------------------------------------------------------------
@st.composite
def reduction_axes(draw, nd):
    """``axis`` for a reduction over nd dims: None, an int or a tuple (negative ones too)."""
    if nd == 0:
        return draw(st.sampled_from([None, ()]))
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-nd, nd - 1))
    axes = draw(st.lists(st.integers(0, nd - 1), unique=True, max_size=nd))
    return tuple(a - nd if draw(st.booleans()) else a for a in axes)


@st.composite
def permutations(draw, nd):
    return tuple(draw(st.permutations(range(nd))))


@st.composite
def reshape_targets(draw, shape):
    """A shape with the same number of elements: the prime factors spread over new axes."""
    size = math.prod(shape)
    factors, n, p = [], size, 2
    while n > 1:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    ndim = draw(st.integers(1 if factors else 0, 4))
    dims = [1] * ndim
    for f in factors:
        dims[draw(st.integers(0, ndim - 1))] *= f
    return tuple(dims)


@st.composite
def broadcast_targets(draw, shape):
    """A shape ``shape`` broadcasts to: new leading axes, size-1 axes stretched."""
    lead = draw(st.lists(st.integers(1, MAX_SIDE), max_size=2))
    rest = [n if n != 1 else draw(st.integers(1, MAX_SIDE)) for n in shape]
    return tuple(lead) + tuple(rest)


# ------------------------------------------------------------------------------------
# Indices
# ------------------------------------------------------------------------------------
def _int_array(draw, n, shape):
    a = draw(hnp.arrays(np.int64, shape, elements=st.integers(-n, n - 1)))
    # lists are advanced indices too; a 0-d array has no list form
    return a.tolist() if a.ndim and draw(st.booleans()) else a


@st.composite
def indices(draw, shape, kinds=("basic", "advanced", "bool")):
    """An index into an array of ``shape``.

    basic: ints, slices (negative steps too), None and Ellipsis. advanced: integer
    arrays or lists (repeated and negative entries, broadcasting against each other),
    mixed with ints and slices, adjacent or separated (NumPy then moves the advanced
    axes to the front). bool: a boolean mask over one or more consecutive axes, with
    ints and slices around it.
    """
    nd = len(shape)
    kinds = [k for k in kinds if nd or k == "basic"]
    kind = draw(st.sampled_from(kinds))
    if kind == "basic":
        return draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    if kind == "advanced":
        used = draw(st.integers(1, nd))
        ellipsis_first = used < nd and draw(st.booleans())
        axes = list(range(nd - used, nd)) if ellipsis_first else list(range(used))
        roles = [draw(st.sampled_from(["slice", "int", "array"])) for _ in axes]
        if "array" not in roles:
            roles[draw(st.integers(0, used - 1))] = "array"
        n_arrays = roles.count("array")
        ishapes = iter(draw(hnp.mutually_broadcastable_shapes(
            num_shapes=n_arrays, max_dims=2, max_side=3)).input_shapes)
        items = []
        for ax, role in zip(axes, roles):
            n = shape[ax]
            if role == "slice":
                items.append(draw(st.slices(n)))
            elif role == "int":
                items.append(draw(st.integers(-n, n - 1)))
            else:
                items.append(_int_array(draw, n, next(ishapes)))
    else:
        start = draw(st.integers(0, nd - 1))
        m = draw(st.integers(1, nd - start))
        mask = draw(hnp.arrays(np.bool_, shape[start:start + m]))
        before = [draw(st.one_of(st.slices(n), st.integers(-n, n - 1)))
                  for n in shape[:start]]
        after_n = draw(st.integers(0, nd - start - m))
        after = [draw(st.one_of(st.slices(n), st.integers(-n, n - 1)))
                 for n in shape[start + m:start + m + after_n]]
        items = before + [mask] + after
        ellipsis_first = False
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), None)
    if ellipsis_first:
        items.insert(0, Ellipsis)
    if len(items) == 1 and draw(st.booleans()):
        return items[0]
    return tuple(items)
