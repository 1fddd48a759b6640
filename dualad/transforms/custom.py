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

from ..core import NotDifferentiableError, Primitive, dtype_of, shape_of


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
