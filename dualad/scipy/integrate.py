"""scipy.integrate on traced values: quadrature of samples, and ODE solutions
differentiated with respect to the initial state, the parameters in ``args`` and the times.

Quadrature (trapezoid, simpson, cumulative_trapezoid, cumulative_simpson) is a
composition of NumPy calls that reproduces SciPy's rules (for Simpson: the quadratic
through each interval's points and a neighbour), so it is differentiable as it stands.

ODE solves (``odeint``, ``solve_ivp``) are one row of the table, ``odeint``: operands the
initial state y0 (n,), the output times t (T,) and the traced parameters p (packed into
one vector), output the states at t (T, n), computed by SciPy's own solver with the
caller's tolerances. Its rules integrate augmented systems with the same solver:
- JVP (forward sensitivities): the state gains k sensitivity columns S' = J_y S + J_p P,
  one pass for the k directions of the tangent (a batched forward derivative of the
  right-hand side at each step).
- VJP, ``sensitivity="adjoint"``: backward from each output time to the one before, the
  state (y, lambda, mu) with y' = f, lambda' = -J_y^T lambda, mu' = -J_p^T lambda (vjp of
  the right-hand side at each step); lambda jumps by the cotangent at each output time
  and y restarts from the stored forward solution there.
- VJP, ``sensitivity="forward"``: the full sensitivity matrix (n + n_p directions)
  contracted with the cotangent (cheap when y0 and p are small, and batched rows of
  ``jacrev`` contract it directly).
- ``sensitivity="auto"`` (default) takes the forward route while its augmented state,
  n (1 + n + n_p) values, stays within ``FORWARD_MAX_STATES``, else the adjoint (many
  inputs, one cotangent row): ``explain_sensitivity`` says which and why.
- Times: dy(t_i)/dt_i = f(y(t_i), t_i); moving t_0 shifts the start, which is the
  y0-direction -f(y0, t0).
Each rule calls the ``odeint`` row again, so outer traces differentiate the rules:
second derivatives (forward over reverse, reverse over reverse) need nothing more.
Forward mode always integrates the forward sensitivities of its k directions.
"""
import numpy as np

from ..core import Box, NotDifferentiableError, Primitive, primal, register
from ..core.tree import flatten
from ..transforms import vjp as reverse_pullback
from ._packing import Args, directions, flat, traced
from ._scipy import require_scipy

__all__ = ["trapezoid", "simpson", "cumulative_trapezoid", "cumulative_simpson", "odeint",
           "solve_ivp", "explain_sensitivity", "SensitivityReport", "FORWARD_MAX_STATES"]

# The reverse-mode route for ODE solves: forward sensitivities carry n + n_p directions
# in one augmented solve of n (1 + n + n_p) states, one batched forward pass of f per
# step; the adjoint carries 2n + n_p states but pays a reverse pass of f per step, one
# solve per output interval, and re-integrates y. Measured (grad of y' = tanh(A y), n
# states, n^2 parameters, 5 output times, LSODA at 1e-10): forward 11 vs adjoint 17 ms
# at n = 3 (39 forward states), 25 vs 37 ms at n = 12 (1884), 56 vs 59 ms at n = 16
# (4368), 141 vs 85 ms at n = 24 (14424): the crossover is near 4096 forward states.
FORWARD_MAX_STATES = 4096


def _si():
    return require_scipy("dualad.scipy.integrate").integrate


# ------------------------------------------------------------------------------------
# Quadrature of samples
# ------------------------------------------------------------------------------------
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The composite trapezoidal rule (scipy.integrate.trapezoid)."""
    if not traced(y, x, dx):
        return _si().trapezoid(y, x=x, dx=dx, axis=axis)
    return np.trapezoid(y, x=x, dx=dx, axis=axis)


def _along_last(y, x, dx, axis):
    """y with the integration axis last, and the spacings h (..., N - 1) broadcastable."""
    y = np.moveaxis(y, axis, -1)
    n = y.shape[-1]
    if x is None:
        h = np.moveaxis(dx, axis, -1) if np.ndim(primal(dx)) else dx
        h = h * np.ones(n - 1)
    elif np.ndim(primal(x)) == 1:
        h = np.diff(x)
    else:
        h = np.diff(np.moveaxis(x, axis, -1), axis=-1)
    return y, h


def _quadratic_piece(h1, h2, y1, y2, y3):
    """The integral over [x1, x2] of the quadratic through (x1, y1), (x2, y2), (x3, y3),
    with h1 = x2 - x1 and h2 = x3 - x2 (h2 < 0 integrates backwards from a neighbour)."""
    s = h1 + h2
    r = h1 * h1 / (h2 * s)
    return h1 / 6.0 * ((3.0 - h1 / s) * y1 + (3.0 + r + h1 / s) * y2 - r * y3)


def _simpson_pieces(y, h):
    """Integrals over each interval (..., N - 1): even intervals from the quadratic
    through the next two points, odd ones (and the last) through the point before."""
    n = y.shape[-1]
    fwd = _quadratic_piece(h[..., :-1], h[..., 1:], y[..., :-2], y[..., 1:-1], y[..., 2:])
    bwd = _quadratic_piece(h[..., 1:], h[..., :-1], y[..., 2:], y[..., 1:-1], y[..., :-2])
    zero = np.zeros(np.shape(primal(fwd))[:-1] + (1,))
    fwd = np.concatenate([fwd, zero], axis=-1)       # interval i from points i, i+1, i+2
    bwd = np.concatenate([zero, bwd], axis=-1)       # interval i from points i-1, i, i+1
    i = np.arange(n - 1)
    return np.where((i % 2 == 0) & (i <= n - 3), fwd, bwd)


def simpson(y, x=None, *, dx=1.0, axis=-1):
    """Composite Simpson's rule (scipy.integrate.simpson; an even number of samples takes
    the last interval from the quadratic through the last three points, as SciPy)."""
    if not traced(y, x, dx):
        return _si().simpson(y, x=x, dx=dx, axis=axis)
    yl, h = _along_last(y, x, dx, axis)
    n = yl.shape[-1]
    if n < 3:
        return np.trapezoid(yl, dx=h[..., 0], axis=-1) if n == 2 else np.sum(0.0 * yl, -1)
    return np.sum(_simpson_pieces(yl, h), axis=-1)


def _initial(res, initial, add):
    if initial is None:
        return res
    first = np.zeros(np.shape(primal(res))[:-1] + (1,)) + initial
    return np.concatenate([first, res + initial if add else res], axis=-1)


def cumulative_trapezoid(y, x=None, dx=1.0, axis=-1, initial=None):
    """Running trapezoidal integrals (scipy.integrate.cumulative_trapezoid)."""
    if not traced(y, x, dx):
        return _si().cumulative_trapezoid(y, x=x, dx=dx, axis=axis, initial=initial)
    if initial not in (None, 0):
        raise ValueError("`initial` must be `None` or `0`.")
    yl, h = _along_last(y, x, dx, axis)
    res = np.cumsum(h * (yl[..., 1:] + yl[..., :-1]) / 2.0, axis=-1)
    return np.moveaxis(_initial(res, initial, add=False), -1, axis)


def cumulative_simpson(y, *, x=None, dx=1.0, axis=-1, initial=None):
    """Running Simpson integrals (scipy.integrate.cumulative_simpson); ``initial`` is
    prepended and added, as SciPy does."""
    if not traced(y, x, dx, initial):
        return _si().cumulative_simpson(y, x=x, dx=dx, axis=axis, initial=initial)
    yl, h = _along_last(y, x, dx, axis)
    if yl.shape[-1] < 3:
        res = np.cumsum(h * (yl[..., 1:] + yl[..., :-1]) / 2.0, axis=-1)
    else:
        res = np.cumsum(_simpson_pieces(yl, h), axis=-1)
    if initial is not None and np.ndim(primal(initial)):
        initial = np.moveaxis(initial, axis, -1)
    return np.moveaxis(_initial(res, initial, add=True), -1, axis)


# ------------------------------------------------------------------------------------
# The ODE row
# ------------------------------------------------------------------------------------
class _Problem:
    """The static part of one ODE solve: the right-hand side on flat vectors
    ``rhs(y, t, p)``, the SciPy solver with the caller's options, and the route."""

    def __init__(self, rhs, solver, n, n_p, sensitivity, atol=None):
        self.rhs, self.solver, self.n, self.n_p = rhs, solver, n, n_p
        self.sensitivity, self.atol = sensitivity, atol
        self.info = None           # the SciPy solver's report of the last solve
        self.cotangents = None     # the last VJP's cotangents, for its other operands

    def derived(self, rhs, n, n_p):
        return _Problem(rhs, self.solver, n, n_p, self.sensitivity, self.atol)

    def solve(self, y0, t, p):
        # float64 throughout: the solver's error control at rtol ~1e-12 cannot meet a
        # right-hand side rounded to float32 (the adjoint's vjp would round to p's dtype)
        y0, t, p = (np.asarray(v, dtype=np.float64) for v in (y0, t, p))
        def rhs(y, s):
            out = self.rhs(y, s, p)
            if isinstance(out, Box):
                raise NotDifferentiableError(
                    "an ODE right-hand side that reads a traced value not passed in args",
                    hint="Pass every differentiated value through args=(...) (odeint, "
                         "solve_ivp) instead of closing over it.")
            return out
        atol = self.atol
        if atol is not None and np.ndim(atol) and len(y0) != len(atol):
            atol = np.concatenate([atol, np.full(len(y0) - len(atol), np.min(atol))])
        ys, self.info = self.solver(rhs, y0, t, atol)
        return ys

    # --- the augmented systems of the rules ------------------------------------------
    def forward(self, k):
        """y' = f, S' = J_y S + J_p P for k columns (S, P packed after y and p)."""
        n, n_p, f = self.n, self.n_p, self.rhs

        def rhs(z, t, q):
            y, S = z[:n], np.reshape(z[n:], (k, n))
            p, Pd = q[:n_p], np.reshape(q[n_p:], (k, n_p))
            dy, dS = directions(lambda y, p: f(y, t, p), (y, p), (S, Pd))
            return np.concatenate([dy, np.reshape(dS, (-1,))])
        return self.derived(rhs, n * (1 + k), n_p * (1 + k))

    def adjoint(self):
        """y' = f, lambda' = -J_y^T lambda, mu' = -J_p^T lambda (integrated backwards)."""
        n, f = self.n, self.rhs

        def rhs(z, t, p):
            y, lam = z[:n], z[n:2 * n]
            dy, pull = reverse_pullback(lambda y, p: f(y, t, p), y, p)
            gy, gp = pull(lam)
            return np.concatenate([dy, -gy, -gp])
        return self.derived(rhs, 2 * n + self.n_p, self.n_p)

    def route(self):
        return _route(self.sensitivity, self.n, self.n_p)


def _route(sensitivity, n, n_p):
    if sensitivity not in ("auto", "forward", "adjoint"):
        raise ValueError(f"sensitivity must be 'auto', 'forward' or 'adjoint', "
                         f"not {sensitivity!r}")
    if sensitivity != "auto":
        return sensitivity
    return "forward" if n * (1 + n + n_p) <= FORWARD_MAX_STATES else "adjoint"


def _ode_impl(y0, t, p, problem):
    return problem.solve(y0, t, p)


def _ode_jvp(tangents, primals, out, problem):
    y0, t, p = primals
    ty0, tt, tp = tangents
    k = next(np.shape(primal(x))[0] for x in tangents if x is not None)
    n, n_p = problem.n, problem.n_p
    ty0 = np.zeros((k, n)) if ty0 is None else ty0
    if tt is not None:          # moving t0 starts from y0 along -f(y0, t0)
        ty0 = ty0 - tt[:, :1] * problem.rhs(y0, t[0], p)
    tp = np.zeros((k, n_p)) if tp is None else tp
    z = odeint_prim(np.concatenate([y0, np.reshape(ty0, (-1,))]), t,
                    np.concatenate([p, np.reshape(tp, (-1,))]), problem=problem.forward(k))
    T = np.shape(primal(out))[0]
    dys = np.moveaxis(np.reshape(z[:, n:], (T, k, n)), 1, 0)
    if tt is not None:
        F = np.stack([problem.rhs(out[i], t[i], p) for i in range(T)])
        dys = dys + tt[:, :, None] * F
    return dys


def _ode_vjp(i, g, primals, out, problem):
    # One backward solve gives the cotangents of y0 and p (and t0): kept on the entry's
    # problem (which lives as long as the tape entry) for the calls for the other operands.
    last = problem.cotangents
    if last is None or last.g is not g or last.out is not out or any(
            a is not b for a, b in zip(last.primals, primals)):
        last = problem.cotangents = _Cotangents(g, primals, out)
    return last.of(i, problem)


class _Cotangents:
    """The cotangents of one VJP call (y0 and p from one solve, t when asked)."""

    def __init__(self, g, primals, out):
        self.g, self.primals, self.out = g, primals, out
        self.done = None

    def of(self, i, problem):
        if self.done is None:
            solve = _forward_cotangents if problem.route() == "forward" else \
                _adjoint_cotangents
            self.done = solve(self.g, self.primals, self.out, problem)
        gy0, gp = self.done
        if i == 0:
            return gy0
        if i == 2:
            return gp
        return self.times(gy0, problem.rhs)

    def times(self, gy0, f):
        """<g_i, f(y_i, t_i)> for each output time; moving t0 also moves the start (y0
        along -f(y0, t0)), which adds -<cotangent of y0, f(y0, t0)>."""
        (_, t, p), g, out = self.primals, self.g, self.out
        T = np.shape(primal(out))[0]
        F = np.stack([f(out[i], t[i], p) for i in range(T)])
        gt = np.sum(g * F, axis=1)
        return gt - np.sum(gy0 * F[0]) * (np.arange(T) == 0)


def _forward_cotangents(g, primals, out, problem):
    y0, t, p = primals
    n, n_p = problem.n, problem.n_p
    k = n + n_p
    eye = np.eye(k)
    z = odeint_prim(np.concatenate([y0, np.reshape(eye[:, :n], (-1,))]), t,
                    np.concatenate([p, np.reshape(eye[:, n:], (-1,))]),
                    problem=problem.forward(k))
    T = np.shape(primal(out))[0]
    S = np.reshape(z[:, n:], (T, k, n))
    ct = np.einsum("ti,tji->j", g, S)
    return ct[:n], ct[n:]


def _adjoint_cotangents(g, primals, out, problem):
    y0, t, p = primals
    n = problem.n
    back = problem.adjoint()
    T = np.shape(primal(out))[0]
    lam, mu = g[T - 1], np.zeros(problem.n_p)
    for i in range(T - 1, 0, -1):
        z = odeint_prim(np.concatenate([out[i], lam, mu]), np.stack([t[i], t[i - 1]]), p,
                        problem=back)[1]
        lam, mu = z[n:2 * n] + g[i - 1], z[2 * n:]
    return lam, mu


odeint_prim = register(Primitive("odeint", _ode_impl, _ode_jvp, _ode_vjp))


def _as_float_vector(y0, what):
    if isinstance(y0, Box):
        if y0.ndim > 1:
            raise ValueError(f"{what}: y0 must be 1-D")
        return np.reshape(y0, (-1,)) * 1.0
    return np.atleast_1d(np.asarray(y0, dtype=np.float64))


def _check_times(t):
    tv = np.asarray(primal(t), dtype=np.float64)
    d = np.diff(tv)
    if not (np.all(d > 0) or np.all(d < 0)):
        raise ValueError("the output times must be strictly monotonic")
    return t if isinstance(t, Box) else tv


# ------------------------------------------------------------------------------------
# odeint and solve_ivp
# ------------------------------------------------------------------------------------
def _lsoda(options):
    def solve(rhs, y0, t, atol):
        ys, info = _si().odeint(rhs, y0, t, full_output=True,
                                **dict(options, atol=atol if atol is not None
                                       else options.get("atol")))
        if info["message"] != "Integration successful." and len(t) > 1:   # one time: y0
            raise RuntimeError(f"odeint: {info['message']} (the derivative needs a "
                               "successful solve; adjust rtol/atol or mxstep)")
        return ys, info
    return solve


def odeint(func, y0, t, args=(), Dfun=None, col_deriv=0, full_output=0, ml=None, mu=None,
           rtol=None, atol=None, tcrit=None, h0=0.0, hmax=0.0, hmin=0.0, ixpr=0, mxstep=0,
           mxhnil=0, mxordn=12, mxords=5, printmessg=0, tfirst=False, *,
           sensitivity="auto"):
    """scipy.integrate.odeint (LSODA), differentiable with respect to y0, t and the
    float arrays in ``args``: ``func(y, t, *args)`` (``func(t, y, *args)`` if tfirst).

    ``sensitivity`` picks how reverse mode differentiates the solve: "forward"
    (sensitivity equations), "adjoint" (backward adjoint equations) or "auto" (see
    ``explain_sensitivity``). ``Dfun``, ``col_deriv``, ``ml`` and ``mu`` are not used when
    a traced value is involved (the augmented systems have other Jacobians).
    """
    if not traced(y0, t, args):
        return _si().odeint(func, y0, t, args=args if isinstance(args, tuple) else (args,),
                            Dfun=Dfun, col_deriv=col_deriv, full_output=full_output, ml=ml,
                            mu=mu, rtol=rtol, atol=atol, tcrit=tcrit, h0=h0, hmax=hmax,
                            hmin=hmin, ixpr=ixpr, mxstep=mxstep, mxhnil=mxhnil,
                            mxordn=mxordn, mxords=mxords, printmessg=printmessg,
                            tfirst=tfirst)
    y = _as_float_vector(y0, "odeint")
    a = Args(args)

    def rhs(y, s, p):
        return flat(func(s, y, *a.unpack(p)) if tfirst else func(y, s, *a.unpack(p)))
    options = dict(rtol=rtol, atol=atol, tcrit=tcrit, h0=h0, hmax=hmax, hmin=hmin,
                   mxstep=mxstep, mxhnil=mxhnil, mxordn=mxordn, mxords=mxords, ixpr=ixpr,
                   printmessg=printmessg)
    problem = _Problem(rhs, _lsoda(options), y.shape[0], a.n_p, sensitivity, atol)
    _route(sensitivity, 0, 0)       # a wrong name fails now, not in the backward pass
    ys = odeint_prim(y, _check_times(t), a.packed(), problem=problem)
    return (ys, problem.info) if full_output else ys


_IVP_OPTIONS = ("first_step", "max_step", "min_step", "jac", "jac_sparsity", "lband",
                "uband")


def _ivp(method, rtol, options):
    def solve(rhs, y0, t, atol):
        if len(t) == 1:
            return np.asarray(y0, dtype=np.float64)[None], None
        sol = _si().solve_ivp(lambda s, y: rhs(y, s), (t[0], t[-1]), y0, method=method,
                              t_eval=t, rtol=rtol, atol=atol, **options)
        if not sol.success:
            raise RuntimeError(f"solve_ivp: {sol.message}")
        return sol.y.T, sol
    return solve


def solve_ivp(fun, t_span, y0, method="RK45", t_eval=None, dense_output=False, events=None,
              vectorized=False, args=None, *, sensitivity="auto", **options):
    """scipy.integrate.solve_ivp, differentiable with respect to y0, t_eval and the float
    arrays in ``args`` (``fun(t, y, *args)``). Returns SciPy's result object with ``t``,
    ``y`` (n, T) (traced), the solver's statistics, and ``sensitivity``: the
    ``SensitivityReport`` of the reverse-mode route. Without ``t_eval`` the states are
    reported at the solver's own steps, which are then fixed (not differentiated).
    """
    if not traced(y0, t_span, t_eval, args):
        return _si().solve_ivp(fun, t_span, y0, method=method, t_eval=t_eval,
                               dense_output=dense_output, events=events,
                               vectorized=vectorized, args=args, **options)
    if dense_output or events is not None:
        raise NotDifferentiableError(
            "scipy.integrate.solve_ivp with dense_output or events",
            hint="Ask for the times you need with t_eval=...; event times are not "
                 "differentiated.")
    unknown = set(options) - set(_IVP_OPTIONS) - {"rtol", "atol"}
    if unknown:
        raise TypeError(f"solve_ivp: unsupported options {sorted(unknown)}")
    rtol, atol = options.pop("rtol", 1e-3), options.pop("atol", 1e-6)
    y = _as_float_vector(y0, "solve_ivp")
    a = Args(args)
    t0 = t_span[0]
    if t_eval is None:      # the solver's own steps, found on the values
        t = _si().solve_ivp(lambda s, v: primal(fun(s, v, *a.plain())),
                            tuple(float(primal(x)) for x in t_span), primal(y),
                            method=method, rtol=rtol, atol=atol, **options).t
    else:
        t = t_eval if isinstance(t_eval, Box) else np.asarray(t_eval, dtype=np.float64)
    cut = 0                 # the row starts at its first time: t0 goes first
    if float(np.asarray(primal(t))[0]) != float(primal(t0)):
        t, cut = np.concatenate([np.reshape(t0, (1,)) * 1.0, t]), 1
    elif isinstance(t0, Box):
        if isinstance(t, Box):
            raise NotDifferentiableError(
                "solve_ivp with a traced t_span[0] equal to a traced t_eval[0]",
                hint="Differentiate with respect to one of them.")
        t = np.concatenate([np.reshape(t0, (1,)) * 1.0, t[1:]])

    def rhs(y, s, p):
        return flat(fun(s, y, *a.unpack(p)))
    jac_free = {k: v for k, v in options.items() if k not in ("jac", "jac_sparsity")}
    problem = _Problem(rhs, _ivp(method, rtol, jac_free), y.shape[0], a.n_p, sensitivity,
                       atol)
    ys = odeint_prim(y, _check_times(t), a.packed(), problem=problem)[cut:]
    OptimizeResult = require_scipy("dualad.scipy.integrate").optimize.OptimizeResult
    sol = problem.info
    report = SensitivityReport(problem.route(), problem.n, problem.n_p,
                               np.shape(primal(t))[0] - cut, sensitivity)
    return OptimizeResult(
        t=t[cut:], y=np.swapaxes(ys, 0, 1), sol=None, t_events=None, y_events=None,
        nfev=getattr(sol, "nfev", 0), njev=getattr(sol, "njev", 0),
        nlu=getattr(sol, "nlu", 0), status=0, message="The solver successfully reached "
        "the end of the integration interval.", success=True,
        sensitivity=report)


# ------------------------------------------------------------------------------------
# Which route reverse mode takes, and why
# ------------------------------------------------------------------------------------
class SensitivityReport:
    """How reverse mode differentiates an ODE solve: ``route`` ("forward" or "adjoint"),
    the sizes it was chosen from, and ``reason``."""

    def __init__(self, route, n_state, n_params, n_times, sensitivity):
        self.route, self.n_state, self.n_params = route, n_state, n_params
        self.n_times, self.sensitivity = n_times, sensitivity
        n_in = n_state + n_params
        states = n_state * (1 + n_in)
        if sensitivity != "auto":
            self.reason = f"sensitivity={sensitivity!r} was asked for"
        elif route == "forward":
            self.reason = (f"{n_in} inputs (y0 and parameters): the forward solve carries "
                           f"{states} states <= FORWARD_MAX_STATES = {FORWARD_MAX_STATES}")
        else:
            self.reason = (f"{n_in} inputs (y0 and parameters): the forward solve would "
                           f"carry {states} states > FORWARD_MAX_STATES = "
                           f"{FORWARD_MAX_STATES}; one backward adjoint solve of "
                           f"{2 * n_state + n_params} states per cotangent row instead")

    def __repr__(self):
        return (f"SensitivityReport(route={self.route!r}, n_state={self.n_state}, "
                f"n_params={self.n_params}, n_times={self.n_times}: {self.reason})")

    __str__ = __repr__


def explain_sensitivity(func, y0, t, args=(), sensitivity="auto"):
    """Which route reverse mode (grad, vjp, jacrev) takes through ``odeint(func, y0, t,
    args)`` or ``solve_ivp``, and why: a ``SensitivityReport``. Every float leaf of
    ``args`` counts as a parameter. Forward mode always integrates forward sensitivities.
    """
    leaves = flatten(args if isinstance(args, tuple) else (() if args is None else (args,)))[0]
    n_p = sum(int(np.size(primal(x))) for x in leaves
              if isinstance(x, Box) or np.result_type(primal(x)).kind == "f")
    n = int(np.size(primal(y0)))
    route = _route(sensitivity, n, n_p)
    return SensitivityReport(route, n, n_p, int(np.size(primal(t))), sensitivity)
