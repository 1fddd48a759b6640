"""dualad: automatic differentiation of plain Python and NumPy code, forward and reverse.

The package is layered; imports run one way (a lower layer never imports a higher one):
core <- rules <- accel <- modes <- numpy <- cost <- transforms <- auto <- this namespace
(with ``optim``, ``compile`` and the demo). See docs/ARCHITECTURE.md.
"""
from . import numpy as _numpy  # noqa: F401  (registers NumPy functions, installs operators)
from .auto import CostReport, explain, fixed_model  # forward or reverse, and why
from .core import (ConcretizationError, DualadError, InPlaceError, LeakedTracerError,
                   NotDifferentiableError, Primitive, primal)
from .cost import CostModel
from .modes.forward import Dual
from .modes.reverse import Tracer
from .modes.tensor import Tensor, enable_grad, is_grad_enabled, no_grad  # object API
from .modes.tensor import GraphFreedError, TensorError
from .transforms import (check_grads, defjvp, defvjp, elementwise_grad, grad,
                         hessian_vector_product, hvp, jacfwd, jacrev,
                         jvp, primitive, stop_gradient, value_and_grad, vjp)
from .transforms.check import GradCheckError
from .core.tree import flatten_func, ravel_pytree
flatten = ravel_pytree   # autograd's name (autograd.misc.flatten.flatten)
from . import optim  # noqa: E402  (dualad.optim.SGD, Adam, AdamW)
from . import adapt  # noqa: E402  (derivatives in SciPy's calling conventions)
from . import sparse  # noqa: E402  (dualad.sparse: sparse Jacobians and Hessians)
from .compile import CompileError, compile  # noqa: E402,A001  (record once, replay)

from .jacobians import hessian, jacobian  # noqa: E402  (dense, or sparse with sparsity=)
from ._version import VERSION as __version__  # noqa: E402  (from the package metadata)

__all__ = [
    "Dual", "Tracer", "Primitive", "primitive", "primal", "stop_gradient",
    "jvp", "jacfwd", "vjp", "grad", "value_and_grad", "jacrev", "jacobian", "hessian", "hvp",
    "elementwise_grad", "hessian_vector_product", "ravel_pytree", "flatten", "flatten_func",
    "defvjp", "defjvp",
    "DualadError", "NotDifferentiableError", "ConcretizationError", "LeakedTracerError",
    "InPlaceError", "GradCheckError", "TensorError", "GraphFreedError", "check_grads",
    "Tensor", "no_grad", "enable_grad", "is_grad_enabled", "optim", "adapt",
    "explain", "fixed_model", "CostModel", "CostReport", "compile", "CompileError",
]
