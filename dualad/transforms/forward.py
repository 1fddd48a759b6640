"""Forward-mode transforms: ``jvp`` (one pass) and ``jacfwd`` (k columns per pass)."""
import math

import numpy as np

from ..core import Box, as_input, dtype_of, primal, shape_of
from ..core.tree import flatten, unflatten
from ..cost import DEFAULT_CHUNK
from ..modes.forward import Dual, ForwardTrace
from .common import (assemble, boxes_of, cat, concrete, like, selected, split_aux, strip,
                     strip_tree, wraps)


def jvp(f, primals, tangents, has_aux=False):
    """``(f(*primals), J @ tangents)`` by forward mode, in one pass."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp expects primals and tangents as tuples: jvp(f, (x,), (v,))")
    pleaves, pdef = flatten(tuple(primals))
    tleaves, tdef = flatten(tuple(tangents))
    if pdef != tdef:
        raise ValueError("primals and tangents must have the same structure")
    trace = ForwardTrace(batched=False)
    boxed = []
    for p, t in zip(pleaves, tleaves):
        p = as_input(p)
        t = np.asarray(primal(t)) if not isinstance(t, Box) else t
        if shape_of(t) != shape_of(p):
            raise ValueError(f"tangent shape {shape_of(t)} differs from primal shape "
                             f"{shape_of(p)}")
        t = t.astype(dtype_of(p)) if not isinstance(t, Box) else t
        boxed.append(Dual._make(p, t[None], trace))
    try:
        out = boxes_of(f(*unflatten(pdef, boxed)))
    finally:
        trace.finish()
    out, aux = split_aux(out, has_aux)
    oleaves, odef = flatten(out)
    vals = [concrete(strip(trace, o)) for o in oleaves]
    tans = [like(o._t[0] if isinstance(o, Box) and o._trace is trace else None, v)
            for o, v in zip(oleaves, vals)]
    result = (unflatten(odef, vals), unflatten(odef, tans))
    return result + (strip_tree(trace, aux),) if has_aux else result


def jacfwd(f, argnums=0, has_aux=False, chunk_size=None):
    """The Jacobian by forward mode: n columns in ceil(n / k) passes of k directions."""
    def jacfun(*args):
        leaves, rebuild, structure = selected(args, argnums)
        sizes = [math.prod(shape_of(x)) for x in leaves]
        n = sum(sizes)
        k = max(1, min(n, chunk_size or DEFAULT_CHUNK))
        out_tree = aux = None
        chunks = []
        for start in range(0, max(n, 1), k):
            kk = min(k, n - start) if n else 0
            eye = np.zeros((kk, n))
            eye[np.arange(kk), start + np.arange(kk)] = 1.0
            trace = ForwardTrace(batched=True)
            boxed, off = [], 0
            for x, s in zip(leaves, sizes):
                seed = eye[:, off:off + s].reshape((kk,) + shape_of(x)).astype(
                    dtype_of(x), copy=False)
                boxed.append(Dual._make(x, seed, trace))
                off += s
            try:
                out = boxes_of(f(*rebuild(boxed)))
            finally:
                trace.finish()
            out, aux = split_aux(out, has_aux)
            oleaves, out_tree = flatten(out)
            chunks.append([o._t if isinstance(o, Box) and o._trace is trace
                           else np.zeros((kk,) + shape_of(o), dtype=dtype_of(o))
                           for o in oleaves])
            values = [strip(trace, o) for o in oleaves]
        jac_leaves = []
        for j, v in enumerate(values):
            cols = cat([c[j] for c in chunks])
            jac_leaves.append(structure(assemble(cols, shape_of(v), leaves, True)))
        jac = unflatten(out_tree, jac_leaves)
        return (jac, strip_tree(trace, aux)) if has_aux else jac
    return wraps(jacfun, f)
