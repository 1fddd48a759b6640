"""dualad: automatic differentiation of plain Python and NumPy code, forward and reverse.

The package is layered; imports run one way (a lower layer never imports a higher one):
core <- rules <- accel <- modes <- numpy <- cost <- transforms <- auto <- this namespace
(with ``optim`` and the demo). See docs/ARCHITECTURE.md.
"""
from . import numpy as _numpy  # noqa: F401  (registers NumPy functions, installs operators)
from .auto import CostReport, explain, fixed_model  # forward or reverse, and why
from .auto import jacobian as _dense_jacobian
from .core import (ConcretizationError, DualadError, InPlaceError, LeakedTracerError,
                   NotDifferentiableError, Primitive, primal)
from .cost import CostModel
from .modes.forward import Dual
from .modes.reverse import Tracer
from .modes.tensor import Tensor, enable_grad, is_grad_enabled, no_grad  # object API
from .modes.tensor import GraphFreedError, TensorError
from .transforms import (check_grads, defjvp, defvjp, elementwise_grad, grad,
                         hessian as _dense_hessian, hessian_vector_product, hvp, jacfwd, jacrev,
                         jvp, primitive, stop_gradient, value_and_grad, vjp)
from .transforms.check import GradCheckError
from .core.tree import flatten_func, ravel_pytree
flatten = ravel_pytree   # autograd's name (autograd.misc.flatten.flatten)
from . import optim  # noqa: E402  (dualad.optim.SGD, Adam, AdamW)
from . import adapt  # noqa: E402  (derivatives in SciPy's calling conventions)
from . import sparse  # noqa: E402  (dualad.sparse: sparse Jacobians and Hessians)


def jacobian(f, argnums=0, mode="auto", has_aux=False, sparsity=None, **options):
    """The Jacobian, shape ``out.shape + in.shape``; mode "auto" picks the cheaper mode.

    ``sparsity="auto"`` (or a pattern) gives a scipy.sparse (m, n) Jacobian instead, with
    the options of ``dualad.sparse.jacobian`` (format, local, check, executor, ...).
    """
    if sparsity is None:
        if options:
            raise TypeError(f"{sorted(options)} only apply with sparsity=...")
        return _dense_jacobian(f, argnums, mode, has_aux)
    _one_array_argument(argnums, has_aux)
    return sparse.jacobian(f, sparsity, mode, **options)


def hessian(f, argnums=0, sparsity=None, **options):
    """The Hessian of a scalar function: forward mode over reverse mode.

    ``sparsity="auto"`` (or a pattern) gives a scipy.sparse Hessian instead, with the
    options of ``dualad.sparse.hessian``.
    """
    if sparsity is None:
        if options:
            raise TypeError(f"{sorted(options)} only apply with sparsity=...")
        return _dense_hessian(f, argnums)
    _one_array_argument(argnums, False)
    return sparse.hessian(f, sparsity, **options)


def _one_array_argument(argnums, has_aux):
    if argnums != 0 or has_aux:
        raise ValueError("a sparse Jacobian or Hessian differentiates the first argument, "
                         "one array (argnums=0, has_aux=False); pass the others after it")

from ._version import VERSION as __version__  # noqa: E402  (from the package metadata)

__all__ = [
    "Dual", "Tracer", "Primitive", "primitive", "primal", "stop_gradient",
    "jvp", "jacfwd", "vjp", "grad", "value_and_grad", "jacrev", "jacobian", "hessian", "hvp",
    "elementwise_grad", "hessian_vector_product", "ravel_pytree", "flatten", "flatten_func", "defvjp", "defjvp",
    "DualadError", "NotDifferentiableError", "ConcretizationError", "LeakedTracerError",
    "InPlaceError", "GradCheckError", "TensorError", "GraphFreedError", "check_grads",
    "Tensor", "no_grad", "enable_grad", "is_grad_enabled", "optim", "adapt",
    "explain", "fixed_model", "CostModel", "CostReport",
]
