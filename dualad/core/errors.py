"""The errors dualad raises instead of returning a derivative that could be wrong."""
from .site import conversion_site


class DualadError(Exception):
    """Base class of every dualad error."""


class NotDifferentiableError(DualadError, TypeError):
    """An operation on a traced value has no derivative rule in dualad."""

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

    The message names where: the library function the user called (``scipy.integrate.
    trapezoid``, ``numpy.mean``), read from the stack, or the user's own expression that
    converted it (``np.float64(x)``, ``a[0] = x`` into a plain array), with a fix for it.
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
    """A traced value was used after the derivative that created it had finished."""

    def __init__(self, kind):
        super().__init__(
            f"a {kind} was used after the derivative computation that created it had "
            "finished (a leaked tracer: it was stored in a global, a closure or a "
            "container and used later). Return values from the differentiated function "
            "instead, or take the value with dualad.primal(x).")


class InPlaceError(DualadError, TypeError):
    """An in-place write into a traced array, which cannot be recorded."""

    def __init__(self, what, fix=None):
        if fix is not None:
            super().__init__(f"{what} cannot be recorded: {fix}.")
            return
        super().__init__(
            f"{what} writes in place into a traced array, which dualad cannot record. "
            "Build a new array instead: for example x = np.concatenate([...]), "
            "x = np.where(mask, new, x), or x = x + delta instead of x += delta on an array "
            "shared with other code.")
