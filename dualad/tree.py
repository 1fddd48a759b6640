"""Nested containers (tuples, lists, dicts, namedtuples, None) of arrays: flatten and rebuild."""
import numpy as np

from .core import Box

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

    def walk(x):
        if type(x) in _LEAF_TYPES:
            leaves.append(x)
            return LEAF
        if x is None:
            return ("none",)
        if _is_namedtuple(x):
            return ("namedtuple", type(x), tuple(walk(v) for v in x))
        if isinstance(x, (tuple, list)):
            return (type(x).__name__, tuple(walk(v) for v in x))
        if isinstance(x, dict):
            keys = sorted(x, key=repr)
            return ("dict", tuple(keys), tuple(walk(x[k]) for k in keys))
        leaves.append(x)
        return LEAF

    return leaves, walk(tree)


def unflatten(treedef, leaves):
    it = iter(leaves)
    if treedef == LEAF:
        return next(it)

    def build(d):
        tag = d[0]
        if tag == "leaf":
            return next(it)
        if tag == "none":
            return None
        if tag == "namedtuple":
            return d[1](*(build(c) for c in d[2]))
        if tag == "tuple":
            return tuple(build(c) for c in d[1])
        if tag == "list":
            return [build(c) for c in d[1]]
        return {k: build(c) for k, c in zip(d[1], d[2])}

    return build(treedef)


def tree_map(fn, tree, *rest):
    leaves, treedef = flatten(tree)
    others = [flatten(r)[0] for r in rest]
    return unflatten(treedef, [fn(*xs) for xs in zip(leaves, *others)])
