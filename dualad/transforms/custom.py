"""User-defined primitives with their own derivative rules (``@dualad.primitive``).

    @dualad.primitive
    def logsumexp(x):
        m = np.max(x)
        return m + np.log(np.sum(np.exp(x - m)))

    @logsumexp.defjvp
    def logsumexp_jvp(tangents, out, x):      # one tangent per argument (zeros if constant)
        (t,) = tangents
        return np.sum(np.exp(x - out) * t)

    @logsumexp.defvjp
    def logsumexp_vjp(g, out, x):             # one cotangent per argument (None: no derivative)
        return (g * np.exp(x - out),)

The function runs on plain values; dualad differentiates it only through the rules, in
both modes and at any order (write the rules with NumPy so they are differentiable too).
A mode whose rule is missing raises an error naming the primitive.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from ..core import NotDifferentiableError, Primitive, dtype_of, primal, shape_of


class CustomPrimitive(Primitive):
    """A primitive whose derivative rules the user gives with ``defjvp`` and ``defvjp``."""

    def __init__(self, fn):
        super().__init__(getattr(fn, "__name__", "custom"), fn)
        self.jvp_rule = None
        self.vjp_rule = None
        functools.update_wrapper(self, fn)

    def defjvp(self, rule):
        """``rule(tangents, out, *args, **kw)`` -> the output tangent, for one direction."""
        self.jvp_rule = rule
        return rule

    def defvjp(self, rule):
        """``rule(g, out, *args, **kw)`` -> a tuple with one cotangent per argument."""
        self.vjp_rule = rule
        return rule

    def jvp(self, tangents, primals, out, kw):
        if self.jvp_rule is None:
            raise NotDifferentiableError(
                f"the custom primitive {self.name!r} in forward mode",
                hint=f"It has no JVP rule: add one with @{self.name}.defjvp.")
        k = next(shape_of(t)[0] for t in tangents if t is not None)
        columns = []
        for j in range(k):
            ts = tuple(t[j] if t is not None else np.zeros(shape_of(p), dtype_of(p))
                       for t, p in zip(tangents, primals))
            columns.append(self.jvp_rule(ts, out, *primals, **kw))
        return np.stack(columns)

    def vjp(self, i, g, primals, out, kw):
        if self.vjp_rule is None:
            raise NotDifferentiableError(
                f"the custom primitive {self.name!r} in reverse mode",
                hint=f"It has no VJP rule: add one with @{self.name}.defvjp.")
        cts = self.vjp_rule(g, out, *primals, **kw)
        if not isinstance(cts, (tuple, list)) or len(cts) != len(primals):
            raise TypeError(f"the VJP rule of {self.name!r} must return a tuple with one "
                            f"cotangent per argument ({len(primals)}), got {cts!r:.80}")
        c = cts[i]
        if c is NO_RULE:
            raise _no_rule(self, "reverse", i)
        if c is None:
            return np.zeros(shape_of(primals[i]), dtype_of(primals[i]))
        if shape_of(c) != shape_of(primals[i]):
            raise ValueError(f"the VJP rule of {self.name!r} returned shape {shape_of(c)} "
                             f"for argument {i} of shape {shape_of(primals[i])}")
        return c


def primitive(fn: Callable[..., Any]) -> CustomPrimitive:
    """Declare ``fn`` a primitive whose derivatives you give yourself.

    ``fn`` then runs on plain values only, and dualad differentiates it through the rules
    given with the decorators ``@p.defjvp`` (``rule(tangents, out, *args, **kw)``: the output
    tangent for one direction) and ``@p.defvjp`` (``rule(g, out, *args, **kw)``: a tuple
    with one cotangent per positional argument, ``None`` for none). Rules written with NumPy
    are differentiated in turn, so every order works.

    Args:
        fn: The function: positional arguments are differentiable, keyword arguments are
            passed to ``fn`` and to the rules.

    Returns:
        The primitive: callable like ``fn``, with the methods ``defjvp`` and ``defvjp``.

    Raises:
        NotDifferentiableError: (when differentiated) the mode's rule was not given.

    Examples:
        >>> @ad.primitive
        ... def cube(x):
        ...     return x ** 3
        >>> @cube.defjvp
        ... def _(tangents, out, x):
        ...     return 3 * x ** 2 * tangents[0]
        >>> @cube.defvjp
        ... def _(g, out, x):
        ...     return (3 * x ** 2 * g,)
        >>> ad.grad(cube)(2.0), ad.jvp(cube, (2.0,), (1.0,)), ad.grad(ad.grad(cube))(2.0)
        (12.0, (8.0, 12.0), 12.0)
    """
    return CustomPrimitive(fn)


class _NoRule:
    """The cotangent of an argument autograd-style ``defvjp`` gave no rule for."""


NO_RULE = _NoRule()


def _by_argument(makers, argnums):
    nums = tuple(range(len(makers))) if argnums is None else tuple(argnums)
    return {i: m for i, m in zip(nums, makers) if m is not None}


def _no_rule(prim, mode, i):
    return NotDifferentiableError(
        f"the custom primitive {prim.name!r} in {mode} mode with respect to argument {i}",
        hint=f"Its def{'vjp' if mode == 'reverse' else 'jvp'} gave no rule for argument "
             f"{i}: add one (or hold the argument constant).")


def defvjp(prim, *makers, argnums=None):
    """autograd's spelling, ``defvjp(f, maker_0, maker_1, ...)``: ``maker_i(ans, *args)``
    returns the function ``g -> cotangent of argument i``. ``argnums`` says which
    arguments the makers are for (default 0, 1, ...); differentiating with respect to an
    argument without one raises.

    Examples:
        >>> @ad.primitive
        ... def cube(x):
        ...     return x ** 3
        >>> ad.defvjp(cube, lambda ans, x: lambda g: 3.0 * x ** 2 * g)
        >>> ad.grad(cube)(2.0)
        12.0
    """
    by_arg = _by_argument(makers, argnums)

    def rule(g, out, *args, **kw):
        return tuple(by_arg[i](out, *args, **kw)(g) if i in by_arg else NO_RULE
                     for i in range(len(args)))
    prim.defvjp(rule)


def defjvp(prim, *makers, argnums=None):
    """autograd's spelling, ``defjvp(f, jvp_0, jvp_1, ...)``: ``jvp_i(t, ans, *args)`` is
    the output tangent for the tangent t of argument i; the contributions add up. A
    nonzero tangent of an argument without a rule raises.

    Examples:
        >>> @ad.primitive
        ... def square(x):
        ...     return x * x
        >>> ad.defjvp(square, lambda t, ans, x: 2.0 * x * t)
        >>> ad.jvp(square, (3.0,), (1.0,))
        (9.0, 6.0)
    """
    by_arg = _by_argument(makers, argnums)

    def rule(tangents, out, *args, **kw):
        total = np.zeros(shape_of(out), dtype_of(out))
        for i, t in enumerate(tangents):
            if i in by_arg:
                total = total + by_arg[i](t, out, *args, **kw)
            elif np.any(primal(t) != 0):
                raise _no_rule(prim, "forward", i)
        return total
    prim.defjvp(rule)
