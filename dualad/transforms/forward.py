"""Forward-mode transforms: ``jvp`` (one pass) and ``jacfwd`` (k columns per pass)."""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from ..core import Box, as_input, dtype_of, primal, shape_of
from ..core.tree import flatten, unflatten
from ..cost import DEFAULT_CHUNK
from ..modes.forward import Dual, ForwardTrace, forward_pass, with_direction_axis
from .common import (argnum_alias, assemble, boxes_of, cat, check_function, check_holomorphic, concrete,
                     like, selected, split_aux, strip, strip_tree, with_keywords, wraps)


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any],
        has_aux: bool = False) -> tuple[Any, ...]:
    """The Jacobian-vector product J(primals) @ tangents, by forward mode in one pass.

    Args:
        f: The function; its outputs may be any container of floats and arrays.
        primals: A tuple (or list) with ``f``'s positional arguments.
        tangents: A tuple of the same structure: one direction per argument, each shaped
            like its primal.
        has_aux: If True, ``f`` returns ``(output, aux)``.

    Returns:
        ``(f(*primals), tangent_out)``, the output tangent shaped like the output; with
        ``has_aux`` ``(output, tangent_out, aux)``.

    Raises:
        TypeError: ``primals`` or ``tangents`` is not a tuple or list.
        ValueError: their structures or shapes differ.

    Examples:
        >>> ad.jvp(np.sin, (0.0,), (1.0,))
        (0.0, 1.0)
        >>> out, t = ad.jvp(lambda x: x ** 2, (np.array([1.0, 2.0]),), (np.array([1.0, 1.0]),))
        >>> t
        array([2., 4.])
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp expects primals and tangents as tuples: jvp(f, (x,), (v,))")
    check_function(f, "jvp")
    pleaves, pdef = flatten(tuple(primals))
    tleaves, tdef = flatten(tuple(tangents))
    if pdef != tdef:
        raise ValueError("primals and tangents must have the same structure")
    pairs = []
    for p, t in zip(pleaves, tleaves):
        p = as_input(p)
        t = np.asarray(primal(t)) if not isinstance(t, Box) else t
        if shape_of(t) != shape_of(p):
            raise ValueError(f"tangent shape {shape_of(t)} differs from primal shape "
                             f"{shape_of(p)}")
        t = t.astype(dtype_of(p)) if not isinstance(t, Box) else t
        pairs.append((p, with_direction_axis(t)))
    out, trace = forward_pass(
        lambda: ForwardTrace(batched=False),
        lambda trace: boxes_of(f(*unflatten(pdef, [Dual._make(p, t, trace) for p, t in pairs]))))
    out, aux = split_aux(out, has_aux)
    oleaves, odef = flatten(out)
    vals = [concrete(strip(trace, o)) for o in oleaves]
    tans = [like(o._t[0] if isinstance(o, Box) and o._trace is trace else None, v)
            for o, v in zip(oleaves, vals)]
    result = (unflatten(odef, vals), unflatten(odef, tans))
    return result + (strip_tree(trace, aux),) if has_aux else result


def _directions(f, leaves, rebuild, sizes, seed):
    """One forward pass with the k rows of ``seed`` (k, n) as directions, split over the
    input leaves: (f's output, a function giving the (k,) + shape tangents of output
    leaves, the finished trace)."""
    k = seed.shape[0]
    seeds, off = [], 0
    for x, s in zip(leaves, sizes):
        seeds.append(seed[:, off:off + s].reshape((k,) + shape_of(x)).astype(dtype_of(x),
                                                                          copy=False))
        off += s
    out, trace = forward_pass(
        lambda: ForwardTrace(batched=True),
        lambda trace: boxes_of(f(*rebuild([Dual._make(x, t, trace)
                                            for x, t in zip(leaves, seeds)]))))

    def tangents(oleaves):
        return [o._t if isinstance(o, Box) and o._trace is trace
                else np.zeros((k,) + shape_of(o), dtype=dtype_of(o)) for o in oleaves]
    return out, tangents, trace


def jvps(f, x, directions):
    """``(f(x), J @ directions)`` for an array x and k directions ``(k,) + x.shape``, in one
    forward pass: the k products come out as ``(k,) + f(x).shape``. The unit of work of a
    compressed (sparse) Jacobian."""
    x = as_input(x)
    k = shape_of(directions)[0]
    seed = np.asarray(directions).reshape(k, -1)
    out, tangents, trace = _directions(f, [x], lambda boxed: boxed, [seed.shape[1]], seed)
    if isinstance(out, (tuple, list, dict)):
        raise TypeError("jvps needs f to return one array")
    return concrete(strip(trace, out)), tangents([out])[0]


@argnum_alias
def jacfwd(f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
           chunk_size: int | None = None, holomorphic: bool = False) -> Callable[..., Any]:
    """The Jacobian by forward mode: n columns in ceil(n / k) passes of k directions.

    Args:
        f: The function; outputs and inputs may be containers of floats and arrays.
        argnums: The positional argument to differentiate, or a tuple of them.
        has_aux: If True, ``f`` returns ``(output, aux)``.
        chunk_size: Directions per pass, k (default 64). Larger: fewer passes, larger arrays.
        holomorphic: Requires complex inputs and outputs: the complex Jacobian (JAX's
            semantics). ``argnum=`` is accepted for ``argnums`` (autograd's name).

    Returns:
        A function with ``f``'s arguments returning the Jacobian, shaped
        ``output.shape + input.shape`` (nested like the output, then the inputs), or
        ``(jacobian, aux)`` with ``has_aux``.

    Raises:
        TypeError: an argument cannot be differentiated (not a float or float array).
        ValueError: ``argnums`` is out of range.

    Examples:
        >>> ad.jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
        array([[2., 0.],
               [0., 4.]])
    """
    check_function(f, "jacfwd")

    def jacfun(*args, **kwargs):
        fk = with_keywords(f, kwargs)
        leaves, rebuild, structure = selected(args, argnums)
        if holomorphic:
            check_holomorphic("jacfwd", leaves, "inputs")
        sizes = [math.prod(shape_of(x)) for x in leaves]
        n = sum(sizes)
        k = max(1, min(n, chunk_size or DEFAULT_CHUNK))
        out_tree = aux = None
        chunks = []
        for start in range(0, max(n, 1), k):
            kk = min(k, n - start) if n else 0
            eye = np.zeros((kk, n))
            eye[np.arange(kk), start + np.arange(kk)] = 1.0
            out, tangents, trace = _directions(fk, leaves, rebuild, sizes, eye)
            out, aux = split_aux(out, has_aux)
            oleaves, out_tree = flatten(out)
            chunks.append(tangents(oleaves))
            values = [strip(trace, o) for o in oleaves]
        if holomorphic:
            check_holomorphic("jacfwd", values, "outputs")
        jac_leaves = []
        for j, v in enumerate(values):
            cols = cat([c[j] for c in chunks])
            jac_leaves.append(structure(assemble(cols, shape_of(v), leaves, True)))
        jac = unflatten(out_tree, jac_leaves)
        return (jac, strip_tree(trace, aux)) if has_aux else jac
    return wraps(jacfun, f)
