"""Second order and friends: ``hessian``, ``hvp`` and autograd's
``hessian_vector_product`` (forward over reverse), and ``stop_gradient``."""
from ..core import primal
from ..core.tree import flatten, unflatten
from .common import argnum_alias, of_chosen, wraps
from .forward import jacfwd, jvp
from .reverse import grad, jacrev


@argnum_alias
def hessian(f, argnums=0, holomorphic=False):
    """The Hessian of a scalar function: forward mode over reverse mode."""
    return jacfwd(jacrev(f, argnums, holomorphic=holomorphic), argnums,
                  holomorphic=holomorphic)


def hvp(f, primals, tangents):
    """The Hessian-vector product H(primals) @ tangents, forward over reverse."""
    primals, tangents = tuple(primals), tuple(tangents)
    argnums = 0 if len(primals) == 1 else tuple(range(len(primals)))
    return jvp(grad(f, argnums), primals, tangents)[1]


@argnum_alias
def hessian_vector_product(f, argnums=0):
    """autograd's ``hessian_vector_product``: a function of ``(*args, vector)`` returning
    the Hessian of f with respect to argument ``argnums`` applied to ``vector`` (a tuple
    of vectors for a tuple of argnums); the other arguments, and keyword arguments, are
    held fixed."""
    def hv(*args_and_vector, **kwargs):
        *args, vector = args_and_vector
        g, primals, single = of_chosen(f, args, argnums, kwargs)
        return hvp(g, primals, (vector,) if single else tuple(vector))
    return wraps(hv, f)


def stop_gradient(x):
    """``x`` with no derivative flowing through it (any nesting level)."""
    leaves, treedef = flatten(x)
    return unflatten(treedef, [primal(v) for v in leaves])
