"""Nested containers (tuples, lists, dicts and other mappings, namedtuples, None) of
arrays: flatten and rebuild. A container is rebuilt as its own type (a defaultdict with
its default factory, an OrderedDict in its order)."""
import collections
from collections.abc import Mapping

import numpy as np

from .box import Box

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
    if isinstance(x, Mapping):
        keys = sorted(x, key=repr)      # leaves in an order that does not depend on history
        kind = type(x)
        if kind is dict:
            return ("dict", tuple(keys), tuple(_walk(x[k], leaves) for k in keys))
        factory = getattr(x, "default_factory", None)
        return ("mapping", tuple(keys), tuple(_walk(x[k], leaves) for k in keys),
                kind, factory, tuple(x))
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
    built = {k: _build(c, it) for k, c in zip(d[1], d[2])}
    if tag == "dict":
        return built
    kind, factory, order = d[3], d[4], d[5]
    built = {k: built[k] for k in order}
    if isinstance(kind, type) and issubclass(kind, collections.defaultdict):
        return kind(factory, built)
    try:
        return kind(built)
    except TypeError:       # a mapping type that cannot be built from a dict
        return built


def tree_map(fn, tree, *rest):
    leaves, treedef = flatten(tree)
    others = [flatten(r)[0] for r in rest]
    return unflatten(treedef, [fn(*xs) for xs in zip(leaves, *others)])
