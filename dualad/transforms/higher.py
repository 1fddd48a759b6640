"""Second order and friends: ``hessian``, ``hvp`` and autograd's
``hessian_vector_product`` (forward over reverse), and ``stop_gradient``."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from ..core import primal
from ..core.tree import flatten, unflatten
from .common import argnum_alias, of_chosen, wraps
from .forward import jacfwd, jvp
from .reverse import grad, jacrev


@argnum_alias
def hessian(f: Callable[..., Any], argnums: int | Sequence[int] = 0,
            holomorphic: bool = False) -> Callable[..., Any]:
    """The Hessian of a scalar function: forward mode over reverse mode.

    Args:
        f: A function returning one real number.
        argnums: The positional argument to differentiate, or a tuple of them
            (``argnum=`` is accepted too, autograd's name).
        holomorphic: For complex-analytic ``f`` of complex inputs (JAX's semantics).

    Returns:
        A function returning the matrix of second derivatives, shaped
        ``input.shape + input.shape``.

    Raises:
        TypeError: ``f`` does not return one real number, or an argument cannot be
            differentiated.

    Examples:
        >>> ad.hessian(lambda x: np.sum(x ** 3))(np.array([1.0, 2.0]))
        array([[ 6.,  0.],
               [ 0., 12.]])
    """
    return jacfwd(jacrev(f, argnums, holomorphic=holomorphic), argnums,
                  holomorphic=holomorphic)


def hvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> Any:
    """The Hessian-vector product H(primals) @ tangents, without forming H.

    Forward mode over the reverse-mode gradient: about the cost of two gradients.

    Args:
        f: A function returning one real number.
        primals: A tuple with ``f``'s positional arguments (all are differentiated).
        tangents: A tuple of the same structure: the vector, one part per argument.

    Returns:
        H @ tangents, shaped like the (single) argument; a tuple for several arguments.

    Raises:
        TypeError: ``f`` does not return one real number.
        ValueError: ``tangents`` differ from ``primals`` in structure or shape.

    Examples:
        >>> x, v = np.array([1.0, 2.0]), np.array([1.0, 0.0])
        >>> ad.hvp(lambda x: np.sum(x ** 3), (x,), (v,))
        array([6., 0.])
    """
    primals, tangents = tuple(primals), tuple(tangents)
    argnums = 0 if len(primals) == 1 else tuple(range(len(primals)))
    return jvp(grad(f, argnums), primals, tangents)[1]


@argnum_alias
def hessian_vector_product(f, argnums=0):
    """autograd's ``hessian_vector_product``: a function of ``(*args, vector)`` returning
    the Hessian of f with respect to argument ``argnums`` applied to ``vector`` (a tuple
    of vectors for a tuple of argnums); the other arguments, and keyword arguments, are
    held fixed.

    Examples:
        >>> hv = ad.hessian_vector_product(lambda x: np.sum(x ** 3))
        >>> hv(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
        array([6., 0.])
    """
    def hv(*args_and_vector, **kwargs):
        *args, vector = args_and_vector
        g, primals, single = of_chosen(f, args, argnums, kwargs)
        return hvp(g, primals, (vector,) if single else tuple(vector))
    return wraps(hv, f)


def stop_gradient(x: Any) -> Any:
    """``x`` with no derivative flowing through it, at any nesting level.

    Args:
        x: A value, possibly traced, or a container of them.

    Returns:
        The plain values (same structure); derivatives through them are zero.

    Examples:
        >>> ad.grad(lambda x: ad.stop_gradient(x) * x)(3.0)
        3.0
    """
    leaves, treedef = flatten(x)
    return unflatten(treedef, [primal(v) for v in leaves])
