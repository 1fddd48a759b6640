"""The dispatch registry: which dualad function serves each NumPy ufunc and function.

Plain ``import numpy as np`` code runs unchanged on Duals and Tracers: NumPy hands every
ufunc and array function that meets a box to ``array_ufunc`` / ``array_function`` (NEP 13
and NEP 18), which look it up here. Ufuncs follow the primitive table (every row whose
implementation is a ufunc serves it); the NumPy families (``basics``, ``shapes``,
``reductions``, ...) register the rest with ``implements``. Anything not registered
raises ``NotDifferentiableError`` naming the NumPy function.
"""
import builtins
import importlib
import sys
from typing import Any, Callable

import numpy as np

from .. import rules as P
from ..core import (Box, InPlaceError, NotDifferentiableError, dtype_of, primal, stage_of,
                    static_value)


def no_out(name, out):
    """Refuse ``out=``: writing into a given array cannot be recorded."""
    if out is not None:
        raise InPlaceError(f"{name}(..., out=...)")


norm_axes = P.norm_axes


def value_only(fn):
    """A function of the values only (shapes, zeros, comparisons): no derivative flows."""
    def run(*args, **kw):
        stage = stage_of(args) or stage_of(tuple(kw.values()))
        if stage is not None:
            if fn not in STATIC:        # dualad.compile: a value the program computes
                return stage.value_op(fn, args, kw)
            return fn(*[static_value(a) for a in args],
                      **{k: static_value(v) for k, v in kw.items()})
        args = [primal(a) if not isinstance(a, (list, tuple)) else type(a)(primal(x) for x in a)
                for a in args]
        return fn(*args, **{k: primal(v) for k, v in kw.items()})
    run.value_only = True     # the coverage page lists these apart
    return run


def unsupported_kwargs(name, kw):
    for k, v in kw.items():
        if v is not np._NoValue and v is not None:
            raise NotDifferentiableError(f"{name}(..., {k}=...)",
                                         hint=f"The argument {k!r} is not supported on traced "
                                              "values.")


# ------------------------------------------------------------------------------------
# The dispatch tables
# ------------------------------------------------------------------------------------
# Every primitive whose implementation is a NumPy ufunc serves that ufunc; an elementwise
# primitive implemented by a NumPy function that is not a ufunc (np.sinc) serves that
# function. The table follows the primitive table: entries declared later (in other
# modules, or by users) are picked up on the next call (``_refresh``).
UFUNCS: dict[Any, Any] = {}
# ufuncs served by compositions (gufuncs)
EXTRA_UFUNCS: dict[Any, Callable[..., Any]] = {np.positive: lambda x: x}
_seen = [0]

# Piecewise-constant or boolean ufuncs: evaluated on the values, derivative zero.
ZERO_DERIVATIVE_UFUNCS = {
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.sign, np.floor, np.ceil, np.trunc, np.rint, np.isnan, np.isinf, np.isfinite,
    np.signbit, np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    np.floor_divide, np.heaviside, np.spacing, np.isnat,
}

FUNCTIONS: dict[Any, Callable[..., Any]] = {}
# Value-only functions of the shapes and dtypes alone: the same for every input of one
# structure, so a compiled program (dualad.compile) takes their results as constants.
STATIC = {np.shape, np.ndim, np.size, np.zeros_like, np.ones_like, np.empty_like,
          np.result_type, np.iscomplexobj, np.isrealobj, np.isscalar}
# Functions of the values only: shapes, zeros, comparisons, index searches.
FUNCTIONS.update({fn: value_only(fn) for fn in (
    np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj, np.isscalar,
    np.argmax, np.argmin,
    np.argsort, np.nonzero, np.allclose, np.isclose, np.array_equal, np.any, np.all,
    np.count_nonzero)})
_table_functions = set()   # FUNCTIONS entries that come from the primitive table

# The documented convention at non-differentiable points of compositions (the table's
# elementwise entries carry theirs in ``kink``): NumPy function -> text.
CONVENTIONS: dict[Any, str] = {}


def refresh():
    """Bring UFUNCS (and table-served FUNCTIONS) up to date with the primitive table."""
    if len(P.TABLE) == _seen[0]:
        return
    UFUNCS.clear()
    for p in P.TABLE.values():
        if isinstance(p.impl, np.ufunc):
            UFUNCS.setdefault(p.impl, p)
        elif isinstance(p, P.Elementwise) and (p.impl not in FUNCTIONS
                                                or p.impl in _table_functions):
            if getattr(np, getattr(p.impl, "__name__", ""), None) is p.impl:
                FUNCTIONS[p.impl] = p
                _table_functions.add(p.impl)
    UFUNCS.update(EXTRA_UFUNCS)
    _seen[0] = len(P.TABLE)


def invalidate():
    """Rebuild the ufunc map on the next call (after EXTRA_UFUNCS changed)."""
    _seen[0] = -1


def implements(*np_functions, convention=None):
    """Register ``fn`` as the implementation of NumPy functions on traced values.

    ``convention`` documents the derivative chosen at non-differentiable points; it shows
    on the coverage page.
    """
    def register(fn):
        for f in np_functions:
            FUNCTIONS[f] = fn
            if convention:
                CONVENTIONS[f] = convention
        return fn
    return register


# Rows for other libraries' ufuncs, in modules imported the first time a ufunc that no
# row serves meets a traced value while the library is loaded (``import dualad`` imports
# neither): library -> rules module.
OPTIONAL_RULES = {"scipy.special": "dualad.rules.special"}


def load_optional_rules():
    """Import the rule modules of the loaded libraries; True if one was new."""
    new = False
    for library, rules in OPTIONAL_RULES.items():
        if library in sys.modules and rules not in sys.modules:
            importlib.import_module(rules)
            new = True
    return new


def ufunc_name(ufunc, method="__call__"):
    lib = next((lib for lib in OPTIONAL_RULES if getattr(
        sys.modules.get(lib), ufunc.__name__, None) is ufunc), "numpy")
    return f"{lib}.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")


def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    out = kwargs.pop("out", None)
    if out is not None and builtins.any(o is not None for o in out):
        if not builtins.any(isinstance(o, Box) for o in out):
            raise InPlaceError(
                f"{ufunc_name(ufunc, method)}(..., out=plain array) with a traced operand "
                "(`a += t` on a plain array a, or out=)",
                fix="a plain array made outside the traced computation cannot hold a "
                    "traced value; write a = a + t (a new array), or make a with "
                    "np.zeros_like(x) from a traced x (writes into it are recorded)")
        raise InPlaceError(f"{ufunc_name(ufunc, method)}(..., out=...)")
    if method == "__call__":
        if ufunc in ZERO_DERIVATIVE_UFUNCS:
            stage = stage_of(inputs)
            if stage is not None:       # dualad.compile: a value the program computes
                return stage.value_op(ufunc, inputs, kwargs)
            return ufunc(*(primal(x) for x in inputs), **kwargs)
        refresh()
        fn = COMPLEX_UFUNCS.get(ufunc)
        if fn is None or not _any_complex(inputs):
            fn = UFUNCS.get(ufunc)
        if fn is None and load_optional_rules():
            refresh()
            fn = UFUNCS.get(ufunc)
        if fn is not None:
            if kwargs and ufunc in EXTRA_UFUNCS and ufunc is not np.positive:
                return fn(*inputs, **kwargs)   # gufuncs with axis= (np.vecdot)
            if kwargs:
                raise NotDifferentiableError(
                    f"{ufunc_name(ufunc)}(..., {', '.join(kwargs)}=...)",
                    hint="Keyword arguments of ufuncs (where=, dtype=, ...) are not "
                         "supported on traced values; apply np.where or .astype afterwards.")
            return fn(*inputs)
    elif method in UFUNC_METHODS:
        fn = UFUNC_METHODS[method].get(ufunc)
        if fn is not None:
            return fn(ufunc, *inputs, **kwargs)
    elif method == "at":
        raise InPlaceError(f"{ufunc_name(ufunc, method)}(...)")
    raise NotDifferentiableError(ufunc_name(ufunc, method))


def _any_complex(xs):
    return builtins.any(dtype_of(x).kind == "c" for x in xs if not isinstance(x, (str, type)))


# Ufuncs whose rule differs on complex operands (abs of a complex number is not holomorphic):
# ufunc -> function used when an operand is complex. Filled by the modules that own them.
COMPLEX_UFUNCS: dict[Any, Callable[..., Any]] = {}

# ufunc.reduce / .accumulate / .outer on traced values: method -> {ufunc: fn(ufunc, ...)}.
UFUNC_METHODS = {"reduce": {}, "accumulate": {}, "outer": {}, "reduceat": {}}


def array_function(self, func, types, args, kwargs):
    refresh()
    fn = FUNCTIONS.get(func)
    if fn is None:
        mod = getattr(func, "__module__", "numpy") or "numpy"
        name = mod.replace("numpy.linalg._linalg", "numpy.linalg").replace(
            "numpy._core.fromnumeric", "numpy").replace("numpy._core", "numpy")
        if not name.startswith("numpy"):
            name = "numpy"
        raise NotDifferentiableError(f"{name}.{func.__name__}")
    return fn(*args, **kwargs)


