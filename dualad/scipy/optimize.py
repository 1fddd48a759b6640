"""Solutions of equations as differentiable functions of their parameters (implicit
differentiation), with scipy.optimize's signatures.

A solver iterates on plain values; its answer x*(p) satisfies F(x*, p) = 0, and the
implicit function theorem gives its derivative without differentiating the iterations:
    J_x dx = -J_p dp          (J_x = dF/dx, J_p = dF/dp at the answer)
so a program that iterates to convergence gets the derivative of the converged answer,
not of the truncated loop, and the solver may be anything (SciPy, a hand-written loop).

One row of the table, ``implicit_root``: operand the packed traced parameters p, output
x*. JVP: dx = -J_x^-1 (J_p tp), with J_x from jacfwd of F and J_p tp from one forward pass
in all k directions. VJP: w = J_x^-T g, then gp = -(vjp of F in p)(w). Both are written
with dualad's derivatives and np.linalg.solve, so outer traces differentiate them again
(second derivatives of a solution). J_x must be invertible at the answer (a simple root,
a strict minimum); otherwise np.linalg.solve raises LinAlgError.

- ``implicit_root(residual, x0, args, solve=...)``: the general helper (JAX calls it
  custom_root): any solver, differentiated through ``residual(x, *args) = 0``.
- ``fixed_point``: F = func(x, *args) - x.
- ``root``: F = fun(x, *args).
- ``minimize``: F = gradient of fun in x (J_x is then the Hessian); unconstrained
  solutions, or bounds that are not active.
x0 carries no derivative: a (locally unique) solution does not depend on where the
search started.
"""
import numpy as np

from ..core import NotDifferentiableError, Primitive, primal, register
from ..transforms import grad, hessian, jacfwd, vjp
from ._packing import Args, directions, flat, traced
from ._scipy import require_scipy

__all__ = ["implicit_root", "fixed_point", "root", "minimize"]


def _so():
    return require_scipy("dualad.scipy.optimize").optimize


class _Problem:
    """The static part of one implicit solution: the residual on flat vectors
    ``residual(x, p)``, and ``solve(p)`` giving the answer on plain values."""

    def __init__(self, residual, solve):
        self.residual, self.solve = residual, solve


def _root_impl(p, problem):
    return problem.solve(p)


def _jacobian_x(problem, x, p):
    return jacfwd(lambda x: problem.residual(x, p))(x)


def _root_jvp(tangents, primals, out, problem):
    (p,), (tp,) = primals, tangents
    _, fp = directions(lambda p: problem.residual(out, p), (p,), (tp,))     # (k, n)
    return -np.swapaxes(np.linalg.solve(_jacobian_x(problem, out, p), np.swapaxes(fp, 0, 1)),
                        0, 1)


def _root_vjp(i, g, primals, out, problem):
    (p,) = primals
    w = np.linalg.solve(np.swapaxes(_jacobian_x(problem, out, p), 0, 1), g)
    _, pull = vjp(lambda p: problem.residual(out, p), p)
    return -pull(w)[0]


implicit_root_prim = register(Primitive("implicit_root", _root_impl, _root_jvp, _root_vjp))


def _solution(residual, x0, a, solve):
    """x* as a function of the traced leaves of ``a`` (shape of x0), or the plain answer."""
    shape = np.shape(primal(x0))
    x0 = np.asarray(primal(x0), dtype=np.float64)
    x_plain = np.reshape(np.asarray(solve(x0, a.plain()), dtype=np.float64), shape)
    if not a.traced:
        return x_plain

    def flat_residual(x, p):
        return flat(residual(np.reshape(x, shape), *a.unpack(p)))
    answer = np.reshape(x_plain, (-1,))
    problem = _Problem(flat_residual, lambda p: answer)
    return np.reshape(implicit_root_prim(a.packed(), problem=problem), shape)


def implicit_root(residual, x0, args=(), *, solve=None):
    """The x with ``residual(x, *args) = 0``, differentiable in ``args`` by the implicit
    function theorem (JAX's custom_root): ``solve(residual, x0, args)`` finds it on plain
    values (any method: a Newton loop, a fixed-point iteration, ...); default
    ``scipy.optimize.root`` (hybr with dualad's exact Jacobian, tol 1e-14; a
    RuntimeError unless it converged or the residual is below 1e-10). Only the residual
    is differentiated, at the answer: the iterations of ``solve`` never are.

        def newton(F, x, args):
            for _ in range(50):
                x = x - F(x, *args) / (2 * x)
            return x
        sqrt_a = implicit_root(lambda x, a: x * x - a, 1.0, (a,), solve=newton)
    """
    if solve is None:
        def solve(F, x, args):
            def G(x):
                return flat(F(np.reshape(x, np.shape(x0)), *args))
            r = _so().root(G, x, jac=_plain_jacobian(G), tol=1e-14)
            if not r.success and np.max(np.abs(r.fun), initial=0.0) > 1e-10:
                raise RuntimeError(f"implicit_root: scipy.optimize.root failed: {r.message}")
            return r.x
    return _solution(residual, x0, Args(args),
                     lambda x0, plain: solve(residual, x0, plain))


def fixed_point(func, x0, args=(), xtol=1e-08, maxiter=500, method="del2"):
    """scipy.optimize.fixed_point: x with ``func(x, *args) = x``; its derivative in args
    solves (I - d func/dx) dx = d func/d args at the fixed point."""
    if not traced(args):
        return _so().fixed_point(func, primal(x0), args=args, xtol=xtol, maxiter=maxiter,
                                 method=method)

    def solve(x0, plain):
        return _so().fixed_point(func, x0, args=plain, xtol=xtol, maxiter=maxiter,
                                 method=method)
    return _solution(lambda x, *a: func(x, *a) - x, x0, Args(args), solve)


def _with_x(result, x):
    """SciPy's OptimizeResult with the differentiable answer as ``x``."""
    result = _so().OptimizeResult(dict(result))
    result.x = x
    return result


def root(fun, x0, args=(), method="hybr", jac=None, tol=None, callback=None, options=None):
    """scipy.optimize.root; the result's ``x`` is differentiable in ``args`` (implicit
    function theorem at the root). ``jac=True`` (fun returns (F, J)) is accepted; the
    derivative uses dualad's Jacobian of F."""
    a = Args(args)
    if jac is None and method in ("hybr", "lm"):       # the methods that take a Jacobian
        jac = _plain_jacobian(lambda x, *args: flat(fun(x, *args)))
    result = _so().root(fun, primal(x0), args=a.plain(), method=method, jac=jac, tol=tol,
                        callback=callback, options=options)
    if not a.traced:
        return result
    if not result.success:
        raise RuntimeError(f"scipy.optimize.root did not converge ({result.message}); "
                           "the derivative of its answer would be meaningless")

    def residual(x, *args):
        r = fun(x, *args)
        return r[0] if jac is True else r
    return _with_x(result, _solution(residual, x0, a, lambda x0, plain: result.x))


def _plain_jacobian(F):
    """dualad's Jacobian of F on plain values, for solvers that accept one."""
    return lambda x, *args: jacfwd(lambda x: F(x, *args))(np.asarray(x, dtype=np.float64))


_HESS_METHODS = ("newton-cg", "dogleg", "trust-ncg", "trust-krylov", "trust-exact",
                 "trust-constr")


def minimize(fun, x0, args=(), method=None, jac=None, hess=None, hessp=None, bounds=None,
             constraints=(), tol=None, callback=None, options=None):
    """scipy.optimize.minimize; the result's ``x`` is differentiable in ``args`` through
    the stationarity condition grad_x fun(x, *args) = 0 (J_x is the Hessian, which must
    be positive definite: a strict minimum). When ``jac`` (or ``hess`` for the methods
    that use one) is not given, dualad supplies the exact one to SciPy; ``jac=True``
    (fun returns (value, gradient)) is accepted."""
    a = Args(args)
    plain = a.plain()

    def objective(x, *args):
        return fun(x, *args)[0] if jac is True else fun(x, *args)
    if jac is None:
        jac = _plain_grad(fun)
    if hess is None and hessp is None and str(method).lower() in _HESS_METHODS:
        hess = _plain_hessian(objective)
    result = _so().minimize(fun, primal(x0), args=plain, method=method, jac=jac, hess=hess,
                            hessp=hessp, bounds=bounds, constraints=constraints, tol=tol,
                            callback=callback, options=options)
    if not a.traced:
        return result
    if constraints:
        raise NotDifferentiableError(
            "scipy.optimize.minimize with constraints",
            hint="The solution's derivative then follows the KKT conditions, which dualad "
                 "does not differentiate; write the constraints into the objective, or "
                 "use implicit_root with the KKT residual.")
    _inactive(bounds, result.x)

    def stationarity(x, *args):
        return grad(lambda x: objective(x, *args))(x)
    return _with_x(result, _solution(stationarity, x0, a, lambda x0, plain: result.x))


def _plain_grad(fun):
    return lambda x, *args: grad(lambda x: fun(x, *args))(np.asarray(x, dtype=np.float64))


def _plain_hessian(fun):
    return lambda x, *args: hessian(lambda x: fun(x, *args))(np.asarray(x, dtype=np.float64))


def _inactive(bounds, x):
    if bounds is None:
        return
    lo, hi = _bound_arrays(bounds, np.size(x))
    x = np.reshape(x, (-1,))
    tol = 1e-8 * (1.0 + np.abs(x))
    if np.any(np.abs(x - lo) <= tol) or np.any(np.abs(hi - x) <= tol):
        raise NotDifferentiableError(
            "scipy.optimize.minimize with a bound active at the solution",
            hint="The derivative of a solution on a bound is not that of grad = 0; "
                 "reparametrize (e.g. x = exp(z) for x > 0) or drop the bound.")


def _bound_arrays(bounds, n):
    if hasattr(bounds, "lb"):
        lo, hi = bounds.lb, bounds.ub
    else:
        lo = [-np.inf if b[0] is None else b[0] for b in bounds]
        hi = [np.inf if b[1] is None else b[1] for b in bounds]
    return (np.broadcast_to(np.asarray(lo, dtype=np.float64), (n,)),
            np.broadcast_to(np.asarray(hi, dtype=np.float64), (n,)))

