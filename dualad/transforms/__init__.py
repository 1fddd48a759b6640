"""The functional API in JAX's vocabulary: ``jvp`` and ``jacfwd`` (forward), ``vjp``,
``grad``, ``value_and_grad`` and ``jacrev`` (reverse), ``hessian`` and ``hvp`` (forward
over reverse), autograd's ``elementwise_grad`` and ``hessian_vector_product``, custom
rules (``primitive``) and ``check_grads``. ``jacobian`` with its automatic mode choice
lives one layer up, in ``dualad.auto``."""
from .check import check_grads
from .custom import defjvp, defvjp, primitive
from .forward import jacfwd, jvp, jvps
from .higher import hessian, hessian_vector_product, hvp, stop_gradient
from .reverse import elementwise_grad, grad, jacrev, value_and_grad, vjp, vjps
