"""Derivatives shaped for SciPy's calling conventions.

SciPy calls the derivative functions it is given with its own argument order, which is
not always "the variable first": ``solve_ivp`` calls ``jac(t, y, *args)`` (so
``dualad.jacobian(rhs)`` would differentiate with respect to t), ``minimize`` calls
``hessp(x, p, *args)``, ``least_squares`` passes its ``kwargs`` on to ``jac``, and a
``NonlinearConstraint`` asks for ``hess(x, v)``, the Hessian of ``v . c(x)``. Each
adapter here returns a function with exactly SciPy's signature that differentiates with
respect to the solver's variable and holds every other argument fixed:

========================================  ==========================================
SciPy argument                            dualad
========================================  ==========================================
``solve_ivp(fun, ..., jac=)``             ``adapt.ivp_jac(fun)``
``odeint(func, ..., Dfun=)``              ``dualad.jacobian(func)`` (y comes first;
                                          ``adapt.ivp_jac(func)`` with ``tfirst=True``)
``minimize(fun, ..., jac=)``              ``dualad.grad(fun)``
``minimize(fun, ..., jac=True)``          ``fun=dualad.value_and_grad(fun)``
``minimize(fun, ..., hess=)``             ``dualad.hessian(fun)``
``minimize(fun, ..., hessp=)``            ``adapt.hessp(fun)``
``root(fun, ..., jac=)``                  ``adapt.jac(fun)``
``least_squares(fun, ..., jac=)``         ``adapt.jac(fun)``
``NonlinearConstraint(c, ..., jac=)``     ``adapt.jac(c)``
``NonlinearConstraint(c, ..., hess=)``    ``adapt.constraint_hess(c)``
========================================  ==========================================

The Jacobian adapters take ``mode`` ("auto", "forward" or "reverse") as
``dualad.jacobian`` does; the derivative function is made once per adapter, so the
automatic mode choice learns across the solver's repeated calls.

Examples:
    >>> from dualad import adapt
    >>> rhs = lambda t, y, k: -k * y
    >>> adapt.ivp_jac(rhs)(0.0, np.array([1.0, 2.0]), 3.0)
    array([[-3., -0.],
           [-0., -3.]])
"""
import numpy as np

from .auto import jacobian
from .transforms import grad, hessian, jvp

__all__ = ["ivp_jac", "jac", "hessp", "constraint_hess"]


def _matrix(J, out_size, x):
    """A Jacobian as the 2-D (m, n) array SciPy expects (a scalar output is one row)."""
    return np.reshape(J, (out_size, np.size(x)))


def ivp_jac(fun, mode="auto"):
    """``jac(t, y, *args)`` for ``solve_ivp`` (and ``odeint(..., tfirst=True)``): the
    (n, n) Jacobian d fun(t, y, *args) / dy; t and args are held fixed."""
    J = jacobian(fun, argnums=1, mode=mode)

    def jac_ty(t, y, *args):
        return _matrix(J(t, y, *args), np.size(y), y)
    return jac_ty


def jac(fun, mode="auto"):
    """``jac(x, *args, **kwargs)`` for ``root``, ``least_squares`` and constraints: the
    (m, n) Jacobian of the m outputs of ``fun`` with respect to x (the other arguments,
    and the keyword arguments ``least_squares`` passes on, held fixed)."""
    def with_kwargs(x, kwargs, *args):      # one function for the whole solve
        return fun(x, *args, **kwargs)
    J = jacobian(with_kwargs, argnums=0, mode=mode)

    def jac_x(x, *args, **kwargs):
        j = J(x, kwargs, *args)
        return _matrix(j, np.size(j) // max(np.size(x), 1), x)
    return jac_x


def hessp(fun):
    """``hessp(x, p, *args)`` for ``minimize`` (Newton-CG, trust-ncg, trust-krylov,
    trust-constr): the Hessian of ``fun`` at x times p, by forward mode over reverse
    mode, without forming the Hessian."""
    g = grad(fun)

    def hessp_xp(x, p, *args):
        return jvp(lambda x: g(x, *args), (x,), (np.asarray(p, dtype=np.result_type(x)),))[1]
    return hessp_xp


def constraint_hess(fun):
    """``hess(x, v)`` for ``NonlinearConstraint``: the (n, n) Hessian of
    ``v . fun(x)``, the constraint Hessians weighted by the multipliers v."""
    H = hessian(lambda x, v: np.dot(v, fun(x)))

    def hess_xv(x, v):
        return H(x, np.asarray(v))
    return hess_xv
