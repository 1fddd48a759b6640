"""The errors dualad raises instead of returning a derivative that could be wrong."""
from .site import conversion_site


class DualadError(Exception):
    """Base class of every error dualad raises instead of a derivative that could be wrong.

    Each subclass is also the built-in exception a caller would expect (``TypeError``,
    ``RuntimeError``, ``AssertionError``), so existing ``except`` clauses keep working.

    Examples:
        >>> issubclass(ad.NotDifferentiableError, ad.DualadError)
        True
    """


class NotDifferentiableError(DualadError, TypeError):
    """An operation on a traced value has no derivative rule in dualad.

    Raised for a NumPy function dualad does not support, an unsupported argument of a
    supported one, and a custom primitive used in a mode whose rule was not given. The
    message names the operation. Fix: use supported functions (docs/COVERAGE.md), declare
    the operation with ``dualad.primitive`` and its rules, or take the value with
    ``dualad.primal(x)`` if no derivative should flow through it. Also a ``TypeError``.

    Examples:
        >>> ad.grad(lambda x: np.sum(np.unique(x)))(np.ones(3))
        Traceback (most recent call last):
        ...
        NotDifferentiableError: dualad has no derivative rule for numpy.unique; ...
    """

    def __init__(self, name, hint=""):
        self.name = name
        msg = (f"dualad has no derivative rule for {name}; it cannot be applied to a "
               f"traced value (Dual or Tracer).")
        if hint:
            msg += " " + hint
        else:
            msg += (" Rewrite it with supported NumPy functions (see docs/COVERAGE.md), "
                    "declare it with dualad.primitive and give it jvp/vjp rules, or take "
                    "the value with dualad.primal(x) if no derivative should flow through it.")
        super().__init__(msg)


class ConcretizationError(DualadError, TypeError):
    """A traced value was turned into a plain number or array, which would drop its derivative.

    Raised by ``float(x)``, ``int(x)``, ``math.sin(x)``, ``np.asarray(x, dtype=float)``,
    ``np.float64(x)``, a write into a plain array and similar conversions of a traced value.
    The message names where: the library function the user called (``scipy.integrate.
    trapezoid``, ``numpy.mean``), read from the stack, or the user's own expression that
    converted it (``np.float64(x)``, ``a[0] = x`` into a plain array), with a fix for it.
    Also a ``TypeError``.

    Examples:
        >>> import math
        >>> ad.grad(lambda x: math.sin(x))(1.0)
        Traceback (most recent call last):
        ...
        ConcretizationError: `math.sin(x)` would silently drop the derivative of a traced value ...
    """

    def __init__(self, what, fix=""):
        site = conversion_site()
        self.what, self.site = what, site
        where, specific = "", fix
        if site is not None:
            what = site.what(what)
            where = f" ({site.describe()})"
            specific = specific or site.fix()
        super().__init__(
            f"{what} would silently drop the derivative of a traced value{where}. "
            + (specific + " " if specific else "")
            + "In general: use NumPy functions (np.sin, np.exp, ...) instead of math.* and "
            "float(), build arrays from traced values with np.array([...]) or np.stack, or "
            "take the value explicitly with dualad.primal(x) (no derivative flows through it).")


class LeakedTracerError(DualadError, RuntimeError):
    """A traced value was used after the derivative that created it had finished.

    Happens when ``f`` stores a traced value in a global, a closure or a container and it is
    used later. Fix: return values from the differentiated function instead, or keep
    ``dualad.primal(x)``. Also a ``RuntimeError``.

    Examples:
        >>> kept = []
        >>> ad.grad(lambda x: kept.append(x) or x)(1.0)
        1.0
        >>> np.sin(kept[0])
        Traceback (most recent call last):
        ...
        LeakedTracerError: a Tracer was used after the derivative computation ...
    """

    def __init__(self, kind):
        super().__init__(
            f"a {kind} was used after the derivative computation that created it had "
            "finished (a leaked tracer: it was stored in a global, a closure or a "
            "container and used later). Return values from the differentiated function "
            "instead, or take the value with dualad.primal(x).")


class InPlaceError(DualadError, TypeError):
    """An in-place write that dualad cannot record.

    ``x[i] = v`` on a traced array is recorded (a new value; earlier readers keep the old
    one). Raised by in-place methods such as ``x.sort()``, ``out=`` arguments, ``a += x``
    into a plain array made outside the trace, and an index that writes an element twice.
    Fix: build a new array (``np.where``, ``np.concatenate``, ``x = x + d``,
    ``np.sort(x)``), or make the array with ``np.zeros_like(x)``. Also a ``TypeError``.

    Examples:
        >>> def f(x):
        ...     x.sort()
        ...     return np.sum(x)
        >>> ad.grad(f)(np.ones(2))
        Traceback (most recent call last):
        ...
        InPlaceError: x.sort(...) (use y = np.sort(x)) writes in place into a traced array, ...
    """

    def __init__(self, what, fix=None):
        if fix is not None:
            super().__init__(f"{what} cannot be recorded: {fix}.")
            return
        super().__init__(
            f"{what} writes in place into a traced array, which dualad cannot record. "
            "Build a new array instead: for example x = np.concatenate([...]), "
            "x = np.where(mask, new, x), or x = x + delta instead of x += delta on an array "
            "shared with other code.")
