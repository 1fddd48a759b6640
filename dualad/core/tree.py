"""Nested containers (tuples, lists, dicts, namedtuples, None) of arrays: flatten and rebuild."""
import numpy as np

from .box import Box, dtype_of, ndim_of, shape_of

LEAF = ("leaf",)
# Types that are always leaves, checked by exact type before the container tests: a bare
# array (the common argument of grad) flattens without walking.
_LEAF_TYPES = frozenset((np.ndarray, float, np.float64, int, complex, np.float32))


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def flatten(tree):
    """Leaves in a fixed order and a description to rebuild the structure with ``unflatten``."""
    if type(tree) in _LEAF_TYPES or isinstance(tree, Box):
        return [tree], LEAF
    leaves = []
    return leaves, _walk(tree, leaves)


# _walk and _build are module functions, not recursive closures: a closure that calls
# itself is a reference cycle, which would keep the leaves (a whole tape, through the
# output tracers) alive until the cyclic garbage collector runs.
def _walk(x, leaves):
    if type(x) in _LEAF_TYPES:
        leaves.append(x)
        return LEAF
    if x is None:
        return ("none",)
    if _is_namedtuple(x):
        return ("namedtuple", type(x), tuple(_walk(v, leaves) for v in x))
    if isinstance(x, (tuple, list)):
        return (type(x).__name__, tuple(_walk(v, leaves) for v in x))
    if isinstance(x, dict):
        keys = sorted(x, key=repr)
        return ("dict", tuple(keys), tuple(_walk(x[k], leaves) for k in keys))
    leaves.append(x)
    return LEAF


def unflatten(treedef, leaves):
    it = iter(leaves)
    if treedef == LEAF:
        return next(it)
    return _build(treedef, it)


def _build(d, it):
    tag = d[0]
    if tag == "leaf":
        return next(it)
    if tag == "none":
        return None
    if tag == "namedtuple":
        return d[1](*(_build(c, it) for c in d[2]))
    if tag == "tuple":
        return tuple(_build(c, it) for c in d[1])
    if tag == "list":
        return [_build(c, it) for c in d[1]]
    return {k: _build(c, it) for k, c in zip(d[1], d[2])}


def tree_map(fn, tree, *rest):
    leaves, treedef = flatten(tree)
    others = [flatten(r)[0] for r in rest]
    return unflatten(treedef, [fn(*xs) for xs in zip(leaves, *others)])


def ravel_pytree(tree):
    """``(flat, unravel)``: the leaves of a container of arrays and floats joined into one
    1-D array, and the function rebuilding the container from such a vector (JAX's
    ``ravel_pytree``, autograd's ``flatten``). Both directions are differentiable, so
    optimizers written for vectors work on parameters kept in dicts and lists.

    Examples:
        >>> flat, unravel = ad.ravel_pytree({"w": np.ones(2), "b": 0.5})
        >>> flat
        array([0.5, 1. , 1. ])
        >>> unravel(flat)["w"]
        array([1., 1.])
    """
    leaves, treedef = flatten(tree)
    shapes = [tuple(shape_of(x)) for x in leaves]
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    scalar = [ndim_of(x) == 0 and not isinstance(x, np.ndarray) for x in leaves]
    dtypes = [dtype_of(x) for x in leaves]
    flat = (np.concatenate([np.ravel(x) for x in leaves]) if leaves
            else np.zeros(0))

    def unravel(vector):
        if np.shape(vector) != np.shape(flat):
            raise ValueError(f"unravel expects a vector of shape {np.shape(flat)}, got "
                             f"{np.shape(vector)}")
        parts, off = [], 0
        for shape, size, sc, dt in zip(shapes, sizes, scalar, dtypes):
            piece = vector[off] if sc else np.reshape(vector[off:off + size], shape)
            if not isinstance(piece, Box) and np.result_type(piece) != dt:
                piece = piece.astype(dt) if hasattr(piece, "astype") else dt.type(piece)
            parts.append(piece)
            off += size
        return unflatten(treedef, parts)
    return flat, unravel


def flatten_func(func, example):
    """autograd's ``flatten_func``: ``(flat_func, unravel, flat_example)`` where
    ``flat_func(v, *args)`` is ``func(unravel(v), *args)`` with its output raveled too,
    for optimizers that work on vectors.

    Examples:
        >>> flat_f, unravel, v = ad.flatten_func(lambda p: p["w"] * 2.0, {"w": np.ones(2)})
        >>> flat_f(v)
        array([2., 2.])
    """
    flat_example, unravel = ravel_pytree(example)

    def flat_func(vector, *args):
        return ravel_pytree(func(unravel(vector), *args))[0]
    return flat_func, unravel, flat_example
