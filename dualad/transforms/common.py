"""What every transform shares: inputs selected by argnums and flattened from containers,
outputs split from their aux and stripped of a finished trace's boxes, derivatives shaped
like their primals, Jacobian blocks assembled per input leaf."""
import functools
import math
from typing import Any, Callable, TypeVar, cast

import numpy as np

from ..core import Box, as_input, dtype_of, from_objects, primal, shape_of
from ..core.tree import flatten, unflatten


def like(g, x):
    """A derivative shaped and typed like the primal ``x`` (zeros if ``g`` is None)."""
    if type(g) is np.ndarray and type(x) is np.ndarray and g.dtype == x.dtype:
        return g
    if g is None:
        g = np.zeros(shape_of(x), dtype=dtype_of(x))
    if isinstance(g, Box):
        return g
    px = primal(x)
    if isinstance(px, (float, complex)) and not isinstance(px, np.generic):
        return type(px)(g if np.ndim(g) == 0 else np.reshape(g, ()))
    g = np.asarray(g)
    dt = dtype_of(x)
    g = g.astype(dt, copy=False) if g.dtype != dt else g
    # A NumPy scalar input (np.float64(3.0)) gets a NumPy scalar back, not a 0-d array.
    return g[()] if isinstance(px, np.generic) and g.ndim == 0 else g


Transform = TypeVar("Transform", bound=Callable[..., Any])


def argnum_alias(transform: Transform) -> Transform:
    """Let ``transform(f, argnum=1)`` (autograd's spelling) mean ``argnums=1``.

    Type checkers keep seeing the transform's own annotated signature (with ``argnums``).
    """
    @functools.wraps(transform)
    def accepting(f, *args, argnum=None, **kw):
        if argnum is not None:
            if args or "argnums" in kw:
                raise TypeError(f"{transform.__name__}: pass argnums or argnum, not both")
            kw["argnums"] = argnum
        return transform(f, *args, **kw)
    return cast(Transform, accepting)


def check_holomorphic(name, leaves, what):
    """``holomorphic=True`` promises complex-analytic f: its inputs (outputs) must be
    complex, as in JAX; a real one is refused rather than silently given a real-axis
    derivative."""
    for x in leaves:
        dt = dtype_of(x)
        if dt.kind != "c":
            raise TypeError(f"{name} with holomorphic=True requires {what} with complex "
                            f"dtype, but got {dt}; make them complex (x + 0j) or drop "
                            "holomorphic=True")


def normalize_argnums(argnums, nargs):
    """(whether one argument was asked for, the argument positions as non-negative ints).
    A position may repeat: each entry then gets the derivative of that argument."""
    if type(argnums) is int and 0 <= argnums < nargs:
        return True, (argnums,)
    single = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    if single:
        nums = (argnums,)
    elif isinstance(argnums, (tuple, list)):
        nums = tuple(argnums)
    else:
        raise TypeError(f"argnums must be an int or a tuple of ints, got "
                        f"{type(argnums).__name__} {argnums!r}")
    for a in nums:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"argnums must be an int or a tuple of ints, got {argnums!r} "
                            f"(an entry of type {type(a).__name__})")
        if not -nargs <= a < nargs:
            raise ValueError(f"argnums={argnums!r} is out of range for a function called "
                             f"with {nargs} positional argument(s)")
    return single, tuple(int(a) % nargs for a in nums)


def check_function(f, transform):
    """Refuse a transform of something that cannot be called, with the transform's name."""
    if not callable(f):
        raise TypeError(f"{transform}(f) expects a function as f, got "
                        f"{type(f).__name__} {f!r:.60}; call it as {transform}(f)(x).")


def with_keywords(f, kwargs):
    """f with the keyword arguments of a transformed call bound: they pass through to f
    undifferentiated (as in JAX); only positional arguments are inputs."""
    if not kwargs:
        return f
    return lambda *args: f(*args, **kwargs)


def of_chosen(f, args, argnums, kwargs=None):
    """``(g, chosen, single)``: g(*chosen) is f(*args, **kwargs) with the arguments at
    ``argnums`` taken from g's arguments and the others held fixed (``chosen`` are their
    values in ``args``)."""
    single, nums = normalize_argnums(argnums, len(args))
    kwargs = kwargs or {}

    def g(*chosen):
        full = list(args)
        for i, c in zip(nums, chosen):
            full[i] = c
        return f(*full, **kwargs)
    return g, tuple(args[i] for i in nums), single


def selected(args, argnums):
    """(leaves of the differentiated arguments, a function rebuilding the args from leaves,
    a function putting per-leaf results into the structure of the chosen arguments)."""
    single, nums = normalize_argnums(argnums, len(args))
    # A repeated position is one input: it is flattened once and its derivative given to
    # each entry that names it.
    uniq = tuple(dict.fromkeys(nums))
    # One argument is flattened on its own (a bare array is then one leaf, no walk).
    leaves, treedef = flatten(args[nums[0]] if single else tuple(args[i] for i in uniq))
    leaves = [as_input(x) for x in leaves]

    def rebuild(new_leaves):
        chosen = unflatten(treedef, new_leaves)
        out = list(args)
        if single:
            out[nums[0]] = chosen
        else:
            for i, v in zip(uniq, chosen):
                out[i] = v
        return tuple(out)

    def structure(per_leaf):
        tree = unflatten(treedef, per_leaf)
        if single or uniq == nums:
            return tree
        return tuple(tree[uniq.index(i)] for i in nums)

    return leaves, rebuild, structure


def split_aux(out, has_aux):
    if not has_aux:
        return out, None
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError("has_aux=True requires the function to return a pair (output, aux)")
    return out[0], out[1]


def boxes_of(tree):
    """``tree`` (what f returned) with every object array of traced values
    (``np.array([a, b])`` in f) made one box (``core.from_objects``); called while f's
    trace is alive."""
    t = type(tree)
    if (t is np.ndarray and tree.dtype.kind != "O") or t is float or isinstance(tree, Box):
        return tree
    leaves, treedef = flatten(tree)
    return unflatten(treedef, [from_objects(x) for x in leaves])


def strip(trace, x):
    """The value of ``x`` at ``trace``'s level (boxes of other traces pass through)."""
    return x.value if isinstance(x, Box) and x._trace is trace else x


def strip_tree(trace, tree):
    if tree is None:
        return None
    leaves, treedef = flatten(tree)
    return unflatten(treedef, [strip(trace, x) for x in leaves])


def concrete(x):
    return float(x) if isinstance(x, np.float64) else x


def assemble(columns, out_shape, in_leaves, first_axis):
    """Split stacked Jacobian columns into one block per input leaf: out.shape + in.shape."""
    blocks, offset = [], 0
    for x in in_leaves:
        shape = shape_of(x)
        size = math.prod(shape)
        if first_axis:   # columns: (n,) + out_shape
            c = columns[offset:offset + size]
            c = np.moveaxis(c, 0, -1) if not isinstance(c, Box) else move_first_last(c)
        else:            # rows: out_shape + (n,)
            c = columns[..., offset:offset + size]
        blocks.append(c.reshape(tuple(out_shape) + tuple(shape)))
        offset += size
    return blocks


def move_first_last(c):
    nd = c.ndim
    return c.transpose(tuple(range(1, nd)) + (0,))


def cat(parts):
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts, axis=0)


def wraps(g, f):
    try:
        return functools.wraps(f)(g)
    except (AttributeError, TypeError):
        return g
