"""Numba kernels: fused elementwise derivative passes, generated from the primitive table.

One table feeds everything: the partial-derivative expressions ``d_i(*operands, out)`` of an
``Elementwise`` primitive (dualad/rules/elementwise.py) are compiled here, per primitive, into

- a forward kernel: the output tangent for k directions, ``sum_i t_i * d_i``, in one pass
  over the operands (no temporary for any partial, no temporary per operand term);
- a reverse kernel: an operand's cotangent ``g * d_i`` in one pass (no temporaries).

A partial is made scalar and compilable by re-binding the global names its code reads:
a primitive becomes its ufunc (``cos`` -> ``np.cos``), a helper function is translated the
same way, recursively. The NumPy path in ``Elementwise.jvp/vjp`` stays the reference: a
kernel is used only for plain float64 arrays, no boxes of an outer derivative, operands
that are full-size or scalar, at least ``MIN_SIZE`` elements, and only for the rows whose
``fused_jvp`` / ``fused_vjp`` say so -- the ones where ``python -m benchmarks --only
kernels`` measured a win over NumPy (see the README's Benchmarks section for what was
dropped). The modes call ``jvp`` / ``vjp`` here, which fall back to the row's own rule.

The switch: ``DUALAD_DISABLE_NUMBA=1`` in the environment turns every numba kernel off
(the pure NumPy path). It is read once, at import, into ``NUMBA_ENABLED``; code asks
``numba_enabled()`` (tests may monkeypatch the flag).

Numba in practice: numba is imported on the first kernel that is needed (``import dualad``
neither imports nor compiles anything); each kernel is compiled on first use and cached on
disk (``cache=True``), under a name that carries a fingerprint of the partial's code, so an
edited derivative expression never meets a stale cached kernel.
"""
import hashlib
import os
import sys
import types

import numpy as np

from .. import rules

_FALSE_WORDS = ("", "0", "false", "no", "off")

#: False when the environment variable ``DUALAD_DISABLE_NUMBA`` is set (to anything but
#: "", "0", "false", "no", "off"). Read once at import.
NUMBA_ENABLED = os.environ.get("DUALAD_DISABLE_NUMBA", "").strip().lower() in _FALSE_WORDS


def numba_enabled():
    """Whether numba kernels may be used (``DUALAD_DISABLE_NUMBA`` unset)."""
    return NUMBA_ENABLED


#: Smallest output (elements times directions) for which a kernel is tried; below it the
#: dispatch overhead of a numba call outweighs the saved passes.
MIN_SIZE = 2048

#: Fused array kernels wait until numba is loaded anyway (a scalar tape's sweep, a compiled
#: program) or until the elements that fusable rules processed in this process add up to
#: this many: importing numba and compiling a kernel costs 0.3-1.2 s and ~116 MiB, while a
#: fused pass saves 0-2 ns per element over NumPy on most rows (up to ~15 ns on tanh/sin at
#: 1e6 elements), so a short script of array code never pays for numba, a long one does.
FUSE_AFTER_ELEMENTS = 2 * 10**8
_fusable_elements = 0


def _fusing(size):
    """Whether a fused kernel may run for ``size`` elements now (see FUSE_AFTER_ELEMENTS)."""
    global _fusable_elements
    if _nb is not None or POLICY is not None:
        return True
    _fusable_elements += size
    return _fusable_elements >= FUSE_AFTER_ELEMENTS


#: Which rows use their fused kernels. None: each row's own ``fused_jvp`` (the fewest
#: directions from which the forward kernel wins) and ``fused_vjp`` decide -- set where
#: ``python -m benchmarks --only kernels`` measured a win over NumPy (what was dropped, and
#: why, is in the README's Benchmarks section). The benchmark and the tests set "all"
#: (every candidate, from one direction) or "none" (the NumPy path only).
POLICY = None


def _jvp_min_k(prim):
    if POLICY is None:
        return prim.fused_jvp
    return 1 if POLICY == "all" else None


def _uses_vjp(prim):
    return prim.fused_vjp if POLICY is None else POLICY == "all"


def candidates():
    """Elementwise primitives with one or two operands whose partials numba can compile:
    the ones a kernel can serve."""
    return sorted(p.name for p in rules.TABLE.values()
                  if isinstance(p, rules.Elementwise) and p.nin <= 2 and p.kernel)


_F64 = np.dtype(np.float64)
_BLOCK = 512


# ------------------------------------------------------------------------------------
# Kernel templates. Never compiled as they are: ``_kernel`` re-binds their globals
# (``_d0``, ``_d1``: partials as scalar njit functions; ``_f``: the value) per primitive.
# ------------------------------------------------------------------------------------
def _jvp_unary(x, o, t, res):
    """res[j] = t[j] * d0(x, o) for k directions j; x, o: (n,), t, res: (k, n).

    Blocked: the partials of one block are computed once, then each direction's row of
    the block is one contiguous loop that LLVM vectorises."""
    n = x.shape[0]
    k = t.shape[0]
    d = np.empty(_BLOCK)
    for start in range(0, n, _BLOCK):
        m = min(_BLOCK, n - start)
        for i in range(m):
            d[i] = _d0(x[start + i], o[start + i])  # noqa: F821
        for j in range(k):
            tj = t[j, start:start + m]
            rj = res[j, start:start + m]
            for i in range(m):
                rj[i] = tj[i] * d[i]


def _jvp_binary(x, y, o, tx, ty, res):
    """res[j] = tx[j] * d0(x, y, o) + ty[j] * d1(x, y, o)."""
    n = o.shape[0]
    k = tx.shape[0]
    d0 = np.empty(_BLOCK)
    d1 = np.empty(_BLOCK)
    for start in range(0, n, _BLOCK):
        m = min(_BLOCK, n - start)
        for i in range(m):
            a, b, c = x[start + i], y[start + i], o[start + i]
            d0[i] = _d0(a, b, c)  # noqa: F821
            d1[i] = _d1(a, b, c)  # noqa: F821
        for j in range(k):
            txj = tx[j, start:start + m]
            tyj = ty[j, start:start + m]
            rj = res[j, start:start + m]
            for i in range(m):
                rj[i] = txj[i] * d0[i] + tyj[i] * d1[i]


def _jvp_binary_one(x, y, o, t, res):
    """res[j] = t[j] * d0(x, y, o): one operand carries a tangent (d0 is its partial)."""
    n = o.shape[0]
    k = t.shape[0]
    d = np.empty(_BLOCK)
    for start in range(0, n, _BLOCK):
        m = min(_BLOCK, n - start)
        for i in range(m):
            d[i] = _d0(x[start + i], y[start + i], o[start + i])  # noqa: F821
        for j in range(k):
            tj = t[j, start:start + m]
            rj = res[j, start:start + m]
            for i in range(m):
                rj[i] = tj[i] * d[i]


def _vjp_unary(x, o, g, res):
    """res = g * d0(x, o)."""
    for i in range(o.shape[0]):
        res[i] = g[i] * _d0(x[i], o[i])  # noqa: F821


def _vjp_binary(x, y, o, g, res):
    """res = g * d0(x, y, o) (d0: the partial of the operand asked for)."""
    for i in range(o.shape[0]):
        res[i] = g[i] * _d0(x[i], y[i], o[i])  # noqa: F821


# ------------------------------------------------------------------------------------
# Compiling the table's partials
# ------------------------------------------------------------------------------------
_nb = None          # the numba module, once imported
_kernels = {}       # (template name, primitive name, operand) -> dispatcher or None
_scalar_fns = {}    # id(python function) -> (njit function, fingerprint)


class Unsupported(Exception):
    """A partial expression that cannot be compiled to a scalar numba function."""


def numba_module():
    """numba, imported on first use (the one place dualad imports it). An import cut short (Ctrl-C while numba loads, an
    error) removes every numba and llvmlite module it had loaded, so the next call imports
    numba afresh instead of meeting a half-imported package for the rest of the process."""
    global _nb
    if _nb is None:
        before = set(sys.modules)
        try:
            import numba
            import numba.core.registry  # noqa: F401  (what njit needs: loaded here, whole)
        except BaseException:
            for name in set(sys.modules) - before:
                if name.partition(".")[0] in ("numba", "llvmlite"):
                    sys.modules.pop(name, None)
            raise
        _nb = numba
    return _nb


def numba_loaded():
    """Whether dualad has imported numba already (so more kernels cost no import)."""
    return _nb is not None


def _njit(fn):
    return numba_module().njit(cache=True, error_model="numpy", fastmath=False, nogil=True)(fn)


def _scalar_where(c, x, y):
    return x if c else y


def _scalar_sign(x):
    return np.sign(x)


def _translate(obj, depth=0):
    """(scalar stand-in for a global read by a partial, fingerprint text)."""
    if obj is np:
        return np, "np"
    if obj is rules.where:
        return numba_module().njit(_scalar_where), "where"
    if obj is rules.sign:
        return numba_module().njit(_scalar_sign), "sign"
    if isinstance(obj, rules.Elementwise):
        if isinstance(obj.impl, np.ufunc):
            return obj.impl, "ufunc:" + obj.impl.__name__
        raise Unsupported(f"primitive {obj.name} has no ufunc")
    if isinstance(obj, (int, float, bool)):
        return obj, repr(obj)
    if isinstance(obj, types.FunctionType):
        return _scalar_function(obj, depth + 1)
    raise Unsupported(f"global {obj!r} of a partial")


def _code_text(code):
    parts = [code.co_code.hex(), repr(code.co_names), repr(code.co_varnames)]
    for c in code.co_consts:
        parts.append(_code_text(c) if isinstance(c, types.CodeType) else repr(c))
    return "|".join(parts)


def _scalar_function(fn, depth=0):
    """``fn`` (a partial or a helper of one) as a scalar njit function, and a fingerprint."""
    hit = _scalar_fns.get(id(fn))
    if hit is not None and hit[2] is fn:
        return hit[0], hit[1]
    if depth > 8:
        raise Unsupported("partials nested too deeply")
    if fn.__closure__:
        raise Unsupported(f"partial {fn.__qualname__} is a closure")
    code = fn.__code__
    if code.co_flags & (0x04 | 0x08):  # *args / **kwargs: constant partials (ONE, MINUS_ONE)
        raise Unsupported(f"partial {fn.__qualname__} takes *args")
    glb = {"__builtins__": __builtins__, "__name__": fn.__module__}
    prints = [_code_text(code)]
    for name in code.co_names:
        if name in fn.__globals__:
            glb[name], fp = _translate(fn.__globals__[name], depth)
            prints.append(f"{name}={fp}")
    clone = types.FunctionType(code, glb, fn.__name__, fn.__defaults__)
    jitted = numba_module().njit(error_model="numpy")(clone)
    fingerprint = hashlib.sha1("\n".join(prints).encode()).hexdigest()[:12]
    _scalar_fns[id(fn)] = (jitted, fingerprint, fn)
    return jitted, fingerprint


_TEMPLATES = {f.__name__: f for f in (_jvp_unary, _jvp_binary, _jvp_binary_one,
                                      _vjp_unary, _vjp_binary)}


def kernel(template, prim, operands=(0,)):
    """The compiled ``template`` for primitive ``prim`` with partials of ``operands``
    (None when the partials cannot be compiled). Built on first use, cached on disk."""
    key = (template, prim.name, operands)
    if key in _kernels:
        return _kernels[key]
    try:
        glb = {"__builtins__": __builtins__, "__name__": __name__, "np": np,
               "min": min, "range": range, "_BLOCK": _BLOCK}
        prints = [prim.name]
        for slot, i in enumerate(operands):
            d = prim.partials[i]
            if d is None:
                raise Unsupported(f"operand {i} of {prim.name} takes no derivative")
            glb[f"_d{slot}"], fp = _scalar_function(d)
            prints.append(fp)
        fn = _TEMPLATES[template]
        clone = types.FunctionType(fn.__code__, glb, fn.__name__)
        tag = hashlib.sha1("/".join(prints).encode()).hexdigest()[:12]
        clone.__qualname__ = f"{template}__{prim.name}_{'_'.join(map(str, operands))}__{tag}"
        _kernels[key] = _njit(clone)
    except Unsupported:
        _kernels[key] = None
    return _kernels[key]


def _call(key_args, args):
    """Run a kernel; a compile failure marks the kernel unusable and returns False."""
    k = kernel(*key_args)
    if k is None:
        return False
    try:
        k(*args)
    except Exception:
        # Compile errors surface on the first call (a partial numba cannot type). The
        # kernels raise nothing at run time (error_model="numpy": 1/0 is inf), so any
        # error means this kernel is unusable: the NumPy path takes over for good.
        _kernels[(key_args[0], key_args[1].name, key_args[2])] = None
        return False
    return True


def supports(prim):
    """Whether ``prim``'s partials compile to kernels (compiles them if not yet done)."""
    if not getattr(prim, "elementwise", False) or prim.nin > 2:
        return False
    a = np.full(4, 0.5)
    for i in range(prim.nin):
        if prim.partials[i] is None:
            continue
        if prim.nin == 1:
            args = ("_vjp_unary", prim, (0,)), (a, a, a, np.empty(4))
        else:
            args = ("_vjp_binary", prim, (i,)), (a, a, a, a, np.empty(4))
        if not _call(*args):
            return False
    return True


# ------------------------------------------------------------------------------------
# Entry points used by the modes: ``jvp`` / ``vjp`` (the NumPy rule when no kernel applies)
# ------------------------------------------------------------------------------------
def _flat_operand(p, shape, n):
    """A float64 operand as a 1-D view of n elements (scalars broadcast), or None."""
    if type(p) is np.ndarray:
        if p.dtype != _F64:
            return None
        if p.shape == shape:
            if p.ndim == 1 or p.flags.c_contiguous:
                return p.reshape(n)            # a view (strided in 1-D)
            if not any(p.strides):             # one value broadcast (a sum's cotangent)
                return np.broadcast_to(p[(0,) * p.ndim], (n,))
            return None
        if p.ndim == 0:
            return np.broadcast_to(p, (n,))
        return None
    if type(p) is float or type(p) is np.float64:
        return np.broadcast_to(np.float64(p), (n,))
    return None


def _flat_tangent(t, shape, n):
    if type(t) is not np.ndarray or t.dtype != _F64 or t.shape[1:] != shape:
        return None
    if t.ndim == 2:
        return t
    return t.reshape(t.shape[0], n) if t.flags.c_contiguous else None


def jvp(prim, tangents, primals, out, kw):
    """``prim.jvp``, by its fused kernel where the row allows it and it applies (not in
    strong-zero mode, which the row's NumPy rule serves)."""
    if prim.elementwise and type(out) is np.ndarray and NUMBA_ENABLED \
            and not rules.strong_zeros.get():
        fused = elementwise_jvp(prim, tangents, primals, out)
        if fused is not None:
            return fused
    return prim.jvp(tangents, primals, out, kw)


def vjp(prim, i, g, primals, out, kw):
    """``prim.vjp`` for operand ``i``, by its fused kernel where the row allows it."""
    if prim.elementwise and type(out) is np.ndarray and NUMBA_ENABLED \
            and not rules.strong_zeros.get():
        fused = elementwise_vjp(prim, i, g, primals, out)
        if fused is not None:
            return fused
    return prim.vjp(i, g, primals, out, kw)


def elementwise_jvp(prim, tangents, primals, out):
    """The output tangent of an elementwise primitive by a fused kernel, or None."""
    min_k = _jvp_min_k(prim)
    if min_k is None or not NUMBA_ENABLED or type(out) is not np.ndarray \
            or out.dtype != _F64 or not out.flags.c_contiguous:
        return None
    shape, n = out.shape, out.size
    live = [i for i, t in enumerate(tangents) if t is not None]
    if not live or len(primals) > 2 or n == 0:
        return None
    k = tangents[live[0]].shape[0] if type(tangents[live[0]]) is np.ndarray else 0
    if n * k < MIN_SIZE or k < min_k or not _fusing(n * k):
        return None
    ops = [_flat_operand(p, shape, n) for p in primals]
    ts = [_flat_tangent(tangents[i], shape, n) for i in live]
    if any(p is None for p in ops) or any(t is None or t.shape[0] != k for t in ts):
        return None
    o = out.reshape(n)
    res = np.empty((k, n))
    if len(primals) == 1:
        ok = _call(("_jvp_unary", prim, (0,)), (ops[0], o, ts[0], res))
    elif len(live) == 2:
        ok = _call(("_jvp_binary", prim, (0, 1)), (ops[0], ops[1], o, ts[0], ts[1], res))
    else:
        ok = _call(("_jvp_binary_one", prim, (live[0],)), (ops[0], ops[1], o, ts[0], res))
    return res.reshape((k,) + shape) if ok else None


def elementwise_vjp(prim, i, g, primals, out):
    """The cotangent of operand ``i`` by a fused kernel, or None."""
    if not NUMBA_ENABLED or not _uses_vjp(prim) or type(out) is not np.ndarray \
            or out.dtype != _F64 \
            or out.size < MIN_SIZE or len(primals) > 2:
        return None
    shape, n = out.shape, out.size
    p = primals[i]
    if type(p) is not np.ndarray or p.shape != shape:
        return None   # the cotangent of a broadcast operand needs a sum: NumPy does it
    if not _fusing(n):
        return None
    gf = _flat_operand(g, shape, n)
    ops = [_flat_operand(q, shape, n) for q in primals]
    o = _flat_operand(out, shape, n)    # a stand-in the tape released is stride 0
    if gf is None or o is None or any(q is None for q in ops):
        return None
    res = np.empty(n)
    if len(primals) == 1:
        ok = _call(("_vjp_unary", prim, (0,)), (ops[0], o, gf, res))
    else:
        ok = _call(("_vjp_binary", prim, (i,)), (ops[0], ops[1], o, gf, res))
    return res.reshape(shape) if ok else None
