"""The SciPy layer (issue 14) against jax.scipy (eager and jit) and autograd.scipy:
logsumexp, multivariate_normal.logpdf, and the gradient of an ODE solution.

Each row is checked against an analytic gradient first, like the issue-5 workloads.
torch and mygrad have no SciPy layer and are listed as skipped. The ODE row solves at
rtol = atol = 1e-12 in every library (dualad and autograd: SciPy's LSODA; JAX: its own
Dormand-Prince), so the gradients agree to ~1e-10.
"""
import numpy as np

import dualad as ad

from .peers import ready
from .workloads import RNG_SEED, Contender, Skip, _missing, _peer


def _no_scipy_layer(ctx):
    return [Skip(p, p, "no SciPy layer") for p in ("torch", "mygrad") if p in ctx.peers]


def _dualad_module(name):
    """dualad.scipy.<name>, or the reason it is not importable (it may live on another
    branch)."""
    try:
        import importlib
        return importlib.import_module(f"dualad.scipy.{name}"), None
    except Exception as e:  # noqa: BLE001 - reported in the row
        return None, f"dualad.scipy.{name} not available ({type(e).__name__}: {e})"[:120]


def _contenders(ctx, dualad_fn, x, jax_make, autograd_make, dualad_missing=None):
    """dualad, autograd, jax, jax.jit computing the gradient at x (a tuple of arrays)."""
    cs = [Contender("dualad", "dualad", lambda: dualad_fn(x)) if dualad_missing is None
          else Skip("dualad", "dualad", dualad_missing)]
    ag = _peer(ctx, "autograd")
    if ag is None:
        cs.append(_missing(ctx, "autograd", "autograd.scipy"))
    else:
        g = autograd_make(ag)
        cs.append(Contender("autograd.scipy", "autograd", lambda: g(x)))
    jx = _peer(ctx, "jax")
    if jx is None:
        cs += [_missing(ctx, "jax", "jax.scipy"), _missing(ctx, "jax", "jax.scipy jit", "jit")]
    else:
        jnp = jx["np"]
        xj = tuple(jnp.asarray(v) for v in x)
        ge = jax_make(jx)
        gj = jx["module"].jit(ge)
        cs.append(Contender("jax.scipy", "jax", lambda: ready(ge(xj))))
        cs.append(Contender("jax.scipy jit", "jax", lambda: ready(gj(xj)), mode="jit"))
    return cs + _no_scipy_layer(ctx)


# ---- logsumexp over rows ------------------------------------------------------------
def _softmax(X):
    e = np.exp(X - X.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def logsumexp_rows(ctx):
    rows, cols = (4, 5) if ctx.tiny else (256, 100)
    X = np.random.default_rng(RNG_SEED).standard_normal((rows, cols))
    special, why = _dualad_module("special")

    def dualad_grad(x):
        return [ad.grad(lambda X: np.sum(special.logsumexp(X, axis=1)))(x[0])]

    def jax_make(jx):
        from jax.scipy.special import logsumexp
        return jx["module"].grad(lambda x: jx["np"].sum(logsumexp(x[0], axis=1)))

    def autograd_make(ag):
        from autograd.scipy.special import logsumexp
        g = ag["module"].grad(lambda X: ag["np"].sum(logsumexp(X, axis=1)))
        return lambda x: [g(x[0])]

    def plain():
        m = X.max(axis=1, keepdims=True)
        return np.sum(np.log(np.sum(np.exp(X - m), axis=1)) + m[:, 0])
    cs = _contenders(ctx, dualad_grad, (X,), jax_make, autograd_make, why)
    yield ctx.row("scipy", f"logsumexp {rows}x{cols}", "grad", plain, cs, [_softmax(X)],
                  params={"rows": rows, "cols": cols})


# ---- multivariate normal log-density ------------------------------------------------
def mvn_data(n, d):
    rng = np.random.default_rng(RNG_SEED + 1)
    return (rng.standard_normal((n, d)), 0.1 * rng.standard_normal(d),
            0.3 * rng.standard_normal((d, d)))


def mvn_gradient(X, mean, L):
    """d/d(mean, L) of sum_i log N(x_i; mean, L L^T + I)."""
    S = L @ L.T + np.eye(len(mean))
    Si = np.linalg.inv(S)
    R = X - mean
    G = -0.5 * len(X) * Si + 0.5 * Si @ (R.T @ R) @ Si     # d/dS (symmetric)
    return [Si @ R.sum(axis=0), 2.0 * G @ L]


def mvn_logpdf(ctx):
    n, d = (5, 3) if ctx.tiny else (200, 10)
    X, mean, L = mvn_data(n, d)
    stats, why = _dualad_module("stats")
    eye = np.eye(d)

    def dualad_grad(x):
        return ad.grad(lambda m, L: np.sum(stats.multivariate_normal.logpdf(
            X, m, L @ L.T + eye)), argnums=(0, 1))(*x)

    def jax_make(jx):
        from jax.scipy.stats import multivariate_normal
        jnp = jx["np"]
        Xj, ej = jnp.asarray(X), jnp.asarray(eye)
        return jx["module"].grad(lambda x: jnp.sum(multivariate_normal.logpdf(
            Xj, x[0], x[1] @ x[1].T + ej)))

    def autograd_make(ag):
        from autograd.scipy.stats import multivariate_normal
        anp = ag["np"]
        g = ag["module"].grad(lambda m, L: anp.sum(multivariate_normal.logpdf(
            X, m, anp.dot(L, L.T) + eye)), argnum=[0, 1])
        return lambda x: list(g(*x))

    from scipy.stats import multivariate_normal as mvn
    cs = _contenders(ctx, dualad_grad, (mean, L), jax_make, autograd_make, why)
    yield ctx.row("scipy", f"mvn.logpdf n={n},d={d}", "grad",
                  lambda: np.sum(mvn.logpdf(X, mean, L @ L.T + eye)), cs,
                  mvn_gradient(X, mean, L), params={"n": n, "d": d})


# ---- gradient of an ODE solution ----------------------------------------------------
ODE_TOL = 1e-12


def ode_data(n):
    rng = np.random.default_rng(RNG_SEED + 2)
    A = 0.5 * rng.standard_normal((n, n)) - 0.5 * np.eye(n)
    return A, rng.standard_normal(n), np.linspace(0.0, 1.0, 5), rng.standard_normal(n)


def ode_gradient(A, y0, t, w):
    """d/dA of sum_i w . expm(A t_i) y0: Frechet derivatives of expm, entry by entry."""
    from scipy.linalg import expm_frechet
    n = len(y0)
    G = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            E = np.zeros((n, n))
            E[i, j] = 1.0
            G[i, j] = sum(w @ expm_frechet(A * s, E * s)[1] @ y0 for s in t)
    return G


def linear(y, t, A):
    return A @ y


def odeint_grad(ctx):
    from scipy.integrate import odeint
    from dualad.scipy import integrate as I
    for n in ((2,) if ctx.tiny else (4, 16)):
        yield _odeint_row(ctx, n, odeint, I)


def _odeint_row(ctx, n, odeint, I):
    A, y0, t, w = ode_data(n)
    tol = dict(rtol=ODE_TOL, atol=ODE_TOL)

    def dualad_loss(A, sensitivity):
        return np.sum(I.odeint(linear, y0, t, args=(A,), sensitivity=sensitivity, **tol) @ w)
    other = "adjoint" if I.explain_sensitivity(linear, y0, t, args=(A,)).route == "forward" \
        else "forward"
    cs = [Contender("dualad", "dualad",
                    lambda: ad.grad(lambda A: dualad_loss(A, "auto"))(A)),
          Contender(f"dualad {other}", "dualad",
                    lambda: ad.grad(lambda A: dualad_loss(A, other))(A))]
    ag = _peer(ctx, "autograd")
    if ag is None:
        cs.append(_missing(ctx, "autograd", "autograd.scipy"))
    else:
        from autograd.builtins import tuple as ag_tuple     # a differentiable args tuple
        from autograd.scipy.integrate import odeint as ag_odeint
        anp = ag["np"]
        g = ag["module"].grad(lambda A: anp.sum(anp.dot(ag_odeint(
            lambda y, t, A: anp.dot(A, y), y0, t, ag_tuple((A,)), **tol), w)))
        cs.append(Contender("autograd.scipy", "autograd", lambda: g(A)))
    jx = _peer(ctx, "jax")
    if jx is None:
        cs += [_missing(ctx, "jax", "jax odeint"), _missing(ctx, "jax", "jax odeint jit", "jit")]
    else:
        from jax.experimental.ode import odeint as jax_odeint
        jnp = jx["np"]
        y0j, tj, wj = jnp.asarray(y0), jnp.asarray(t), jnp.asarray(w)
        ge = jx["module"].grad(lambda A: jnp.sum(jax_odeint(
            lambda y, t, A: A @ y, y0j, tj, A, **tol) @ wj))
        gj = jx["module"].jit(ge)
        Aj = jnp.asarray(A)
        cs.append(Contender("jax odeint", "jax", lambda: ready(ge(Aj)),
                            note="jax.experimental.ode (Dormand-Prince)"))
        cs.append(Contender("jax odeint jit", "jax", lambda: ready(gj(Aj)), mode="jit"))
    cs += _no_scipy_layer(ctx)
    route = I.explain_sensitivity(linear, y0, t, args=(A,)).route
    return ctx.row("scipy", f"odeint grad n={n} ({n * n} params, auto: {route})", "grad",
                   lambda: odeint(linear, y0, t, args=(A,), **tol), cs,
                   ode_gradient(A, y0, t, w), params={"n": n, "rtol": ODE_TOL})


def scipy_layer(ctx):
    yield from logsumexp_rows(ctx)
    yield from mvn_logpdf(ctx)
    yield from odeint_grad(ctx)
