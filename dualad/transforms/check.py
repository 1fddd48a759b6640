"""Checking derivatives against central finite differences: ``check_grads``.

``check_grads(f, args)`` compares forward mode (``jvp``) and reverse mode (``vjp``) of ``f``
with central differences along random directions, and repeats the check on the derivative
functions themselves up to ``order``. A mismatch raises ``GradCheckError`` (an
``AssertionError``) whose message says which mode and order failed, what was expected and
what came out, and by how much.

Error of a central difference with step h on data of precision eps_mach:
truncation about h^2/6 |f'''| plus round-off about eps_mach |f| / h. The default step
h = 2^-17 (float64) or 2^-7 (float32) is close to (3 eps_mach)^(1/3), which balances the two;
the default tolerances leave a wide margin above that error for functions of moderate
size and curvature.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..core import Box, DualadError, as_input
from ..core.tree import flatten, unflatten
from .common import of_chosen
from .forward import jvp
from .reverse import vjp

__all__ = ["check_grads", "numerical_jvp", "numerical_hessian_form", "GradCheckError",
           "default_eps", "default_tolerance"]

_MODES = {"fwd": "fwd", "forward": "fwd", "rev": "rev", "reverse": "rev"}


class GradCheckError(DualadError, AssertionError):
    """A derivative computed by dualad disagrees with finite differences (``check_grads``).

    The message names the mode, the order, the argument and the largest error. Fix the rule
    it points to; for a function that is rough at the point checked, adjust ``eps``, ``atol``
    or ``rtol``. Also an ``AssertionError``, so a failing check fails a test.

    Examples:
        >>> @ad.primitive
        ... def square(x):
        ...     return x * x
        >>> @square.defjvp
        ... def _(tangents, out, x):
        ...     return x * tangents[0]          # wrong: the factor 2 is missing
        >>> ad.check_grads(square, (1.5,), order=1, modes="fwd")
        Traceback (most recent call last):
        ...
        GradCheckError: ...
    """


# ------------------------------------------------------------------------------------
# Arguments and defaults
# ------------------------------------------------------------------------------------
def _as_args(args):
    """The positional arguments: a tuple (or list) of them, or a single argument."""
    return tuple(args) if isinstance(args, (tuple, list)) else (args,)


def _float_leaves(tree, what):
    leaves, treedef = flatten(tree)
    out = []
    for x in leaves:
        if isinstance(x, Box):
            raise TypeError(f"{what} must be concrete values, not {type(x).__name__}")
        x = as_input(x)
        if np.iscomplexobj(x):
            raise TypeError(f"{what}: complex values are not supported by check_grads")
        out.append(x)
    return out, treedef


def _lowest_precision(leaves):
    """The machine epsilon of the least precise float among ``leaves``."""
    return max((float(np.finfo(np.result_type(x)).eps) for x in leaves
                if np.result_type(x).kind == "f"), default=float(np.finfo(np.float64).eps))


def default_eps(args):
    """The default finite-difference step for ``args``: 2^-17 for float64, 2^-7 below."""
    leaves, _ = _float_leaves(_as_args(args), "args")
    return 2.0 ** -17 if _lowest_precision(leaves) <= 1e-15 else 2.0 ** -7


def default_tolerance(args):
    """The default ``(atol, rtol)`` for ``args``: 1e-5 for float64, 2e-3 for float32."""
    leaves, _ = _float_leaves(_as_args(args), "args")
    return (1e-5, 1e-5) if _lowest_precision(leaves) <= 1e-15 else (2e-3, 2e-3)


def _shift(x, t, s):
    """x + s * t, keeping x's kind (a Python float stays a float, an array keeps its dtype)."""
    if isinstance(x, np.ndarray):
        return (x + s * np.asarray(t, dtype=np.float64)).astype(x.dtype)
    return type(x)(x + s * float(np.asarray(t)))


def _difference(a, b, scale):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"f returned shapes {a.shape} and {b.shape} at nearby points")
    d = (a.astype(np.float64) - b.astype(np.float64)) * scale
    return d


# ------------------------------------------------------------------------------------
# Finite differences
# ------------------------------------------------------------------------------------
def numerical_jvp(f, args, tangents, eps=None):
    """Central difference ``(f(args + eps t) - f(args - eps t)) / (2 eps)``.

    ``args`` is a tuple of positional arguments (each a float, an array or a nested
    container of them) and ``tangents`` has the same structure. Returns float64 arrays in
    the structure of ``f``'s output.
    """
    args, tangents = _as_args(args), _as_args(tangents)
    leaves, treedef = _float_leaves(args, "args")
    tleaves, tdef = flatten(tangents)
    if tdef != treedef:
        raise ValueError("tangents must have the structure of args")
    eps = default_eps(args) if eps is None else float(eps)
    plus = unflatten(treedef, [_shift(x, t, eps) for x, t in zip(leaves, tleaves)])
    minus = unflatten(treedef, [_shift(x, t, -eps) for x, t in zip(leaves, tleaves)])
    fp, fm = flatten(f(*plus)), flatten(f(*minus))
    if fp[1] != fm[1]:
        raise ValueError("f returned different structures at nearby points")
    return unflatten(fp[1], [_difference(a, b, 0.5 / eps) for a, b in zip(fp[0], fm[0])])


def numerical_hessian_form(f, args, t1, t2, eps=None):
    """The second directional derivative f''(args)[t1, t2] by the mixed central difference

    ``(f(+t1 +t2) - f(+t1 -t2) - f(-t1 +t2) + f(-t1 -t2)) / (4 eps^2)`` (each shift times
    eps). Its error is about eps^2 |f''''| + eps_mach |f| / eps^2; the default step is
    2^-13 (float64).
    """
    args, t1, t2 = _as_args(args), _as_args(t1), _as_args(t2)
    leaves, treedef = _float_leaves(args, "args")
    l1, l2 = flatten(t1)[0], flatten(t2)[0]
    eps = 2.0 ** -13 if eps is None else float(eps)

    def at(s1, s2):
        shifted = [_shift(_shift(x, a, s1 * eps), b, s2 * eps) for x, a, b in zip(leaves, l1, l2)]
        return flatten(f(*unflatten(treedef, shifted)))

    (pp, odef), (pm, _), (mp, _), (mm, _) = at(1, 1), at(1, -1), at(-1, 1), at(-1, -1)
    out = []
    for a, b, c, d in zip(pp, pm, mp, mm):
        a, b, c, d = (np.asarray(v, dtype=np.float64) for v in (a, b, c, d))
        out.append(((a - b) - (c - d)) / (4.0 * eps * eps))
    return unflatten(odef, out)


# ------------------------------------------------------------------------------------
# The check
# ------------------------------------------------------------------------------------
def random_like(rng, tree):
    """Standard-normal values with the structure, shapes and dtypes of ``tree``."""
    leaves, treedef = flatten(tree)
    return _random_like(rng, leaves, treedef)


def _random_like(rng, leaves, treedef):
    out = []
    for x in leaves:
        if isinstance(x, np.ndarray):
            out.append(rng.standard_normal(x.shape).astype(x.dtype))
        else:
            out.append(type(x)(rng.standard_normal()))
    return unflatten(treedef, out)


def _path_names(treedef):
    """Readable names of the leaves of a structure, in flatten order."""
    names = []

    def walk(d, prefix):
        tag = d[0]
        if tag == "leaf":
            names.append(prefix)
        elif tag == "none":
            pass
        elif tag == "namedtuple":
            for field, c in zip(d[1]._fields, d[2]):
                walk(c, f"{prefix}.{field}")
        elif tag in ("tuple", "list"):
            for i, c in enumerate(d[1]):
                walk(c, f"{prefix}[{i}]")
        else:
            for k, c in zip(d[1], d[2]):
                walk(c, f"{prefix}[{k!r}]")

    walk(treedef, "output")
    return names


def _mode_name(mode, order, of):
    what = "forward mode (jvp)" if mode == "fwd" else "reverse mode (vjp)"
    return f"{what} of {of}, order {order},"


def _fail(lines):
    raise GradCheckError("\n  ".join(lines))


def _compare_jvp(got_tree, want_tree, atol, rtol, header):
    got, gdef = flatten(got_tree)
    want, wdef = flatten(want_tree)
    if gdef != wdef:
        _fail([header, "the output structures differ"])
    for name, g, w in zip(_path_names(wdef), got, want):
        g64 = np.asarray(g, dtype=np.float64)
        if g64.shape != w.shape:
            _fail([header, f"{name}: tangent shape {g64.shape}, finite differences "
                           f"{w.shape}"])
        err = np.abs(g64 - w)
        bad = ~(err <= atol + rtol * np.abs(w))
        if np.any(bad):
            flat = int(np.argmax(np.where(bad, np.nan_to_num(err, nan=np.inf), -1.0)))
            idx = tuple(int(i) for i in np.unravel_index(flat, err.shape))
            rel = err / np.maximum(np.abs(w), np.finfo(np.float64).tiny)
            _fail([header,
                   f"{name} (shape {w.shape}): {int(bad.sum())} of {bad.size} "
                   "element(s) outside the tolerance",
                   f"worst at index {idx}: expected {float(w[idx])!r} (finite "
                   f"differences), got {float(g64[idx])!r}",
                   f"max abs error {float(err.max()):.3g}, max rel error "
                   f"{float(rel.max()):.3g}; tolerance atol={atol:g}, rtol={rtol:g}"])


def _inner(a_tree, b_tree):
    """Sum over leaves of <a, b>, and the sum of |a| |b| (for the tolerance)."""
    a, adef = flatten(a_tree)
    b, bdef = flatten(b_tree)
    if adef != bdef:
        raise ValueError("structures differ")
    total = 0.0
    for x, y in zip(a, b):
        total += float(np.sum(np.asarray(x, np.float64) * np.asarray(y, np.float64)))
    return total


def _abs_sum(tree):
    return sum(float(np.sum(np.abs(np.asarray(x, np.float64)))) for x in flatten(tree)[0])


def _check_fwd(f, args, eps, atol, rtol, rng, order, of):
    leaves, treedef = _float_leaves(args, "args")
    v = _random_like(rng, leaves, treedef)
    _, got = jvp(f, args, v)
    want = numerical_jvp(f, args, v, eps)
    _compare_jvp(got, want, atol, rtol,
                 f"check_grads: {_mode_name('fwd', order, of)} disagrees with central "
                 f"differences (eps={eps:g})")
    return v


def _check_rev(f, args, eps, atol, rtol, rng, order, of):
    leaves, treedef = _float_leaves(args, "args")
    v = _random_like(rng, leaves, treedef)
    out, pullback = vjp(f, *args)
    oleaves, odef = flatten(out)
    u = _random_like(rng, [as_input(o) for o in oleaves], odef)
    ct = pullback(u)
    got = _inner(tuple(ct), v)
    tangent = numerical_jvp(f, args, v, eps)
    want = _inner(u, tangent)
    # Each element of the difference quotient is within atol + rtol |t_i|, so the
    # inner product with u is within sum |u_i| (atol + rtol |t_i|).
    tol = atol * _abs_sum(u) + rtol * _inner(_tree_abs(u), _tree_abs(tangent))
    err = abs(got - want)
    if not err <= tol:
        _fail([f"check_grads: {_mode_name('rev', order, of)} disagrees with central "
               f"differences (eps={eps:g})",
               f"<vjp(u), v> = {got!r}, <u, finite-difference jvp(v)> = {want!r} "
               "(u, v random directions)",
               f"abs error {err:.3g}, rel error {err / max(abs(want), 1e-300):.3g}; "
               f"allowed {tol:.3g} from atol={atol:g}, rtol={rtol:g}"])
    return u


def _tree_abs(tree):
    leaves, treedef = flatten(tree)
    return unflatten(treedef, [np.abs(np.asarray(x, np.float64)) for x in leaves])


_LATER: Any = object()


def check_grads(f: Callable[..., Any], args: Any = _LATER, order: int = 2,
                modes: str | Sequence[str] = ("fwd", "rev"),
                eps: float | None = None, atol: float | None = None,
                rtol: float | None = None, seed: int = 0,
                argnum: int | Sequence[int] = 0) -> Any:
    """Check ``f``'s derivatives at ``args`` against central finite differences.

    Two call forms: JAX's ``check_grads(f, args, order, modes=...)`` checks at once;
    autograd's ``check_grads(f, modes=..., order=...)(*args)`` (no ``args``) returns a
    checker called with f's arguments, which checks with respect to argument ``argnum``
    (an int or a tuple) and holds the others fixed.

    ``jvp`` (mode ``"fwd"``) and ``vjp`` (mode ``"rev"``, through
    ``<vjp(u), v> = <u, J v>``) are compared with central differences along random
    directions. With ``order`` > 1 the derivative functions ``x -> jvp(f, x, v)[1]`` and
    ``x -> vjp(f, x)[1](u)`` are checked the same way, recursively, in every requested mode.
    Elementwise the check is ``|got - want| <= atol + rtol * |want|``.

    Args:
        f: The function to check.
        args: A tuple of positional arguments (floats, float arrays or nested
            tuples/lists/dicts/namedtuples of them); a single non-tuple argument is accepted.
        order: The highest derivative order to check.
        modes: ``"fwd"`` / ``"forward"`` and/or ``"rev"`` / ``"reverse"``.
        eps: The finite-difference step (default: from the arguments' precision).
        atol: Absolute tolerance (default: from the arguments' precision).
        rtol: Relative tolerance (default: from the arguments' precision).
        seed: Seed of ``numpy.random.default_rng`` for the directions.
        argnum: With autograd's call form, the argument(s) checked.

    Returns:
        None when every check passes (autograd's form: the checker).

    Raises:
        GradCheckError: a derivative disagrees (the report names the mode, order and error);
            it is an ``AssertionError``.
        ValueError: an unknown mode, or ``order`` < 1.
        TypeError: an argument is traced, complex, or not a float.

    Examples:
        >>> ad.check_grads(np.sin, (0.5,), order=2)
        >>> ad.check_grads(lambda x: np.sum(x ** 2), (np.array([1.0, -2.0]),))
    """
    if args is _LATER:
        settings = dict(order=order, modes=modes, eps=eps, atol=atol, rtol=rtol, seed=seed)

        def checker(*call_args, **call_kw):
            g, chosen, _ = of_chosen(f, call_args, argnum, call_kw)
            check_grads(g, chosen, **settings)
        return checker
    args = _as_args(args)
    try:
        modes = tuple(_MODES[m] for m in ((modes,) if isinstance(modes, str) else modes))
    except KeyError as e:
        raise ValueError(f"unknown mode {e.args[0]!r}; use 'fwd' and/or 'rev'") from None
    if order < 1:
        raise ValueError("order must be at least 1")
    d_atol, d_rtol = default_tolerance(args)
    atol = d_atol if atol is None else float(atol)
    rtol = d_rtol if rtol is None else float(rtol)
    eps = default_eps(args) if eps is None else float(eps)
    rng = np.random.default_rng(seed)
    _check(f, args, order, modes, eps, atol, rtol, rng, 1, "f")


def _check(f, args, order, modes, eps, atol, rtol, rng, level, of):
    if "fwd" in modes:
        v = _check_fwd(f, args, eps, atol, rtol, rng, level, of)
        if order > 1:
            def f_jvp(*primals, _v=v):
                return jvp(f, primals, _v)[1]
            _check(f_jvp, args, order - 1, modes, eps, atol, rtol, rng, level + 1,
                   f"(x -> jvp({of}, x, v)[1])")
    if "rev" in modes:
        u = _check_rev(f, args, eps, atol, rtol, rng, level, of)
        if order > 1:
            def f_vjp(*primals, _u=u):
                return vjp(f, *primals)[1](_u)
            _check(f_vjp, args, order - 1, modes, eps, atol, rtol, rng, level + 1,
                   f"(x -> vjp({of}, x)[1](u))")
