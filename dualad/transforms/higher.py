"""Second order and friends: ``hessian`` and ``hvp`` (forward over reverse), and
``stop_gradient``."""
from ..core import primal
from ..core.tree import flatten, unflatten
from .common import check_function
from .forward import jacfwd, jvp
from .reverse import grad, jacrev


def hessian(f, argnums=0):
    """The Hessian of a scalar function: forward mode over reverse mode."""
    check_function(f, "hessian")
    return jacfwd(jacrev(f, argnums), argnums)


def hvp(f, primals, tangents):
    """The Hessian-vector product H(primals) @ tangents, forward over reverse."""
    check_function(f, "hvp")
    primals, tangents = tuple(primals), tuple(tangents)
    argnums = 0 if len(primals) == 1 else tuple(range(len(primals)))
    return jvp(grad(f, argnums), primals, tangents)[1]


def stop_gradient(x):
    """``x`` with no derivative flowing through it (any nesting level)."""
    leaves, treedef = flatten(x)
    return unflatten(treedef, [primal(v) for v in leaves])
