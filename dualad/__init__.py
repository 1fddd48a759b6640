"""dualad: automatic differentiation of plain Python and NumPy code, forward and reverse."""
from . import numpy_dispatch as _numpy_dispatch  # noqa: F401  (installs operators on boxes)
from .api import (grad, hessian, hvp, jacfwd, jacobian, jacrev, jvp, stop_gradient,
                  value_and_grad, vjp)
from .check import check_grads
from .core import Primitive, primal
from .cost import CostModel, CostReport, explain, fixed_model  # forward or reverse, and why
from .custom import primitive
from .errors import (ConcretizationError, DualadError, InPlaceError, LeakedTracerError,
                     NotDifferentiableError)
from .forward import Dual
from .reverse import Tracer
from .tensor import Tensor, enable_grad, is_grad_enabled, no_grad  # object API
from . import optim  # noqa: E402  (dualad.optim.SGD, Adam, AdamW)

__version__ = "0.1.0"

__all__ = [
    "Dual", "Tracer", "Primitive", "primitive", "primal", "stop_gradient",
    "jvp", "jacfwd", "vjp", "grad", "value_and_grad", "jacrev", "jacobian", "hessian", "hvp",
    "DualadError", "NotDifferentiableError", "ConcretizationError", "LeakedTracerError",
    "InPlaceError", "check_grads",
    "Tensor", "no_grad", "enable_grad", "is_grad_enabled", "optim",
    "explain", "fixed_model", "CostModel", "CostReport",
]
