"""The benchmark workloads, each written once per library in that library's own idiom.

Every contender's result is checked against an analytic derivative before it is timed; a
contender that fails the check (or raises) is reported as such and not timed. Each row
also times one plain evaluation of f (NumPy, or Python floats for the scalar workloads),
so ``time / f`` says what differentiation costs on top of running the code.
"""
import math
import tracemalloc

import numpy as np

import dualad as ad

from . import peers
from .peers import ready, to_numpy

RNG_SEED = 20240505


# ------------------------------------------------------------------------------------
# A contender and a row
# ------------------------------------------------------------------------------------
class Contender:
    """One way of computing the row's derivative: ``fn()`` returns it."""

    def __init__(self, label, lib, fn, mode="eager", note=None):
        self.label, self.lib, self.fn, self.mode, self.note = label, lib, fn, mode, note


class Skip:
    """A contender that is not run, with the reason (not installed, no such API, ...)."""

    def __init__(self, label, lib, why, mode="eager"):
        self.label, self.lib, self.why, self.mode = label, lib, why, mode


def max_rel_error(got, want):
    """max |got - want| / (|want|_max + tiny) over every leaf (inf on a shape mismatch)."""
    if isinstance(want, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(want):
            return math.inf
        return max((max_rel_error(g, w) for g, w in zip(got, want)), default=0.0)
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        if got.size == want.size == 1:
            got, want = got.reshape(()), want.reshape(())
        else:
            return math.inf
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    if want.size == 0:
        return 0.0
    return float(np.max(np.abs(got - want))) / (scale + 1e-300)


TOLERANCE = 1e-8


# ------------------------------------------------------------------------------------
# Helpers shared by the workloads
# ------------------------------------------------------------------------------------
def without_kernels(fn):
    """``fn`` run with dualad's fused elementwise kernels off (the NumPy rules)."""
    from dualad.accel import kernels as K

    def run():
        saved = K.POLICY
        K.POLICY = "none"
        try:
            return fn()
        finally:
            K.POLICY = saved
    return run


def _ab(ctx, contenders):
    """With --ab-kernels: each dualad contender again, kernels off, in the same row."""
    if not ctx.ab_kernels:
        return contenders
    extra = [Contender(c.label + " (no kernels)", "dualad-numpy", without_kernels(c.fn))
             for c in contenders if isinstance(c, Contender) and c.lib == "dualad"]
    return contenders + extra


def compiled(label, derivative, *args):
    """``dualad.compile(derivative)`` as a contender (mode "jit"): its first call records
    the program and replays it once (so ``first`` is the whole compile time: recording
    and, for scalar programs, the numba form), and the checked result is a replay's."""
    cf = ad.compile(derivative)
    state = []

    def run():
        if not state:
            cf(*args)
            state.append(True)
        return cf(*args)
    return Contender(label, "dualad", run, mode="jit")


def _peer(ctx, name):
    return peers.load(name) if name in ctx.peers else None


def _missing(ctx, name, label, mode="eager"):
    why = ("not requested (--peers)" if name not in ctx.peers
           else "not installed: " + peers.why_missing(name))
    return Skip(label, name, why, mode)


def _grad_contenders(ctx, F, x, torch_F=None, mygrad_F=None, jax_F=None, autograd_F=None,
                     jit=True, jit_note=None):
    """dualad, autograd, JAX (eager and jit), torch, mygrad computing grad F at x (an array
    or a float, or a tuple of arrays for several parameters)."""
    multi = isinstance(x, tuple)
    out = _ab(ctx, [Contender("dualad", "dualad", lambda: ad.grad(F)(x)),
                    compiled("dualad compiled", ad.grad(F), x)])

    ag = _peer(ctx, "autograd")
    if ag is None:
        out.append(_missing(ctx, "autograd", "autograd"))
    else:
        g = ag["module"].grad(autograd_F or F)
        out.append(Contender("autograd", "autograd", lambda: g(x)))

    jx = _peer(ctx, "jax")
    if jx is None:
        out.append(_missing(ctx, "jax", "jax"))
        out.append(_missing(ctx, "jax", "jax.jit", "jit"))
    else:
        jax, jnp = jx["module"], jx["np"]
        xj = tuple(jnp.asarray(v) for v in x) if multi else (
            jnp.asarray(x) if isinstance(x, np.ndarray) else x)
        ge = jax.grad(jax_F or F)
        out.append(Contender("jax", "jax", lambda: ready(ge(xj))))
        if jit:
            gj = jax.jit(jax.grad(jax_F or F))
            out.append(Contender("jax.jit", "jax", lambda: ready(gj(xj)), mode="jit",
                                 note=jit_note))
        else:
            out.append(Skip("jax.jit", "jax", jit_note or "not meaningful here", "jit"))

    th = _peer(ctx, "torch")
    if th is None:
        out.append(_missing(ctx, "torch", "torch"))
    else:
        torch = th["module"]
        TF = torch_F or F

        def torch_grad():
            if multi:
                leaves = [torch.tensor(v, requires_grad=True) for v in x]
                TF(leaves).backward()
                return [v.grad for v in leaves]
            xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
            TF(xt).backward()
            return xt.grad
        out.append(Contender("torch", "torch", torch_grad))

    mg_ = _peer(ctx, "mygrad")
    if mg_ is None:
        out.append(_missing(ctx, "mygrad", "mygrad"))
    else:
        mg = mg_["module"]
        MF = mygrad_F or F

        def mygrad_grad():
            if multi:
                leaves = [mg.tensor(v) for v in x]
                MF(leaves).backward()
                return [v.grad for v in leaves]
            xt = mg.tensor(x)
            MF(xt).backward()
            return xt.grad
        out.append(Contender("mygrad", "mygrad", mygrad_grad))
    return out


# ------------------------------------------------------------------------------------
# scalar_loop: Rosenbrock as a Python loop over the elements
# ------------------------------------------------------------------------------------
def rosen_loop(x, n):
    """Rosenbrock written element by element, as scalar Python code is written."""
    s = 0.0
    xi = x[0]
    for i in range(n - 1):
        xn = x[i + 1]
        a = xn - xi * xi
        b = 1.0 - xi
        s = s + 100.0 * a * a + b * b
        xi = xn
    return s


def rosen_grad(x):
    g = np.zeros_like(x)
    a = x[1:] - x[:-1] ** 2
    g[:-1] = -400.0 * x[:-1] * a - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * a
    return g


def rosen_hessian(x):
    n = len(x)
    H = np.zeros((n, n))
    i = np.arange(n - 1)
    H[i, i] += 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    H[i + 1, i + 1] += 200.0
    H[i, i + 1] = H[i + 1, i] = -400.0 * x[:-1]
    return H


def scalar_loop(ctx):
    for n in ((5,) if ctx.tiny else (10, 100, 1000)):
        x = np.random.default_rng(RNG_SEED + n).uniform(-1.2, 1.2, n)
        xl = x.tolist()
        F = lambda v, n=n: rosen_loop(v, n)  # noqa: E731
        slow_jit = "compiles a 1000-step unrolled trace (~20 s)" if n >= 1000 else None
        contenders = _grad_contenders(ctx, F, x, jit_note=slow_jit)
        yield ctx.row("scalar_loop", f"n={n}", "grad", lambda: rosen_loop(xl, n), contenders,
                      rosen_grad(x), f_label="Python floats", params={"n": n})


# ------------------------------------------------------------------------------------
# deep_chain: 10^5 chained scalar operations
# ------------------------------------------------------------------------------------
CHAIN_OPS = 100_000


def chain(y, steps):
    """4 scalar operations per step (sub, mul, mul, add): a slowly saturating logistic."""
    for _ in range(steps):
        y = y + 1e-4 * y * (1.0 - y)
    return y


def chain_derivative(y, steps):
    d = 1.0
    for _ in range(steps):
        d = d * (1.0 + 1e-4 * (1.0 - 2.0 * y))
        y = y + 1e-4 * y * (1.0 - y)
    return d


def deep_chain(ctx):
    ops = 400 if ctx.tiny else CHAIN_OPS
    steps = ops // 4
    y0 = 0.3
    want = chain_derivative(y0, steps)
    F = lambda y: chain(y, steps)  # noqa: E731
    contenders = _grad_contenders(ctx, F, y0, jit=False,
                                  jit_note="not meaningful: a 10^5-operation unrolled trace")
    jx = _peer(ctx, "jax")
    if jx:      # jax.jit in JAX's own idiom for a long loop: lax.fori_loop, not unrolled
        jax = jx["module"]

        def chain_fori(y):
            return jax.lax.fori_loop(0, steps, lambda i, y: y + 1e-4 * y * (1.0 - y), y)
        gj = jax.jit(jax.grad(chain_fori))
        contenders = [c for c in contenders if c.label != "jax.jit"] + [
            Contender("jax.jit", "jax", lambda: ready(gj(y0)), mode="jit",
                      note="lax.fori_loop (jit of the unrolled Python loop: minutes)")]
    case = f"{ops:.0e} ops".replace("e+0", "e")
    row = ctx.row("deep_chain", case, "grad", lambda: chain(y0, steps), contenders, want,
                  f_label="Python floats", params={"ops": ops})
    row["extra"] = _chain_extras(ctx, F, y0, contenders, ops)
    yield row


def _chain_extras(ctx, F, y0, contenders, ops):
    """Peak memory of one grad call (tracemalloc: the Python heap, which is where dualad's
    tape lives; torch's C++ allocations are invisible to it) and dualad's sweep rate."""
    extra = {"peak_bytes": {}}
    for c in contenders:
        if not isinstance(c, Contender) or c.lib in ("jax",):
            continue                       # JAX's eager grad takes ~30 s a call: not twice
        try:
            tracemalloc.start()
            c.fn()
            _, peak = tracemalloc.get_traced_memory()
        except Exception as e:  # noqa: BLE001 - reported, not hidden
            peak = f"error: {type(e).__name__}"
        finally:
            tracemalloc.stop()
        extra["peak_bytes"][c.label] = peak
    extra["peak_note"] = "tracemalloc peak during one grad call (Python heap only)"
    try:
        from dualad.transforms.reverse import Recording as _Recording
        from .timing import side_by_side, once
        rec, t_record = once(lambda: _Recording(F, (y0,), 0, False))
        entries = len(rec.trace)
        rec.pull([1.0])
        t = side_by_side({"sweep": lambda: rec.pull([1.0]),
                          "record": lambda: _Recording(F, (y0,), 0, False)},
                         budget=ctx.budget)
        extra.update(tape_entries=entries, sweep_seconds=t["sweep"],
                     record_seconds=t["record"],
                     sweep_entries_per_second=entries / t["sweep"])
        tape = rec.trace
        nbytes = sum(getattr(tape, k).itemsize * len(getattr(tape, k))
                     for k in ("a", "b", "da", "db", "scalar") if hasattr(tape, k))
        if nbytes:
            extra["tape_bytes_per_entry"] = nbytes / entries
        extra["peak_bytes_per_op"] = (extra["peak_bytes"].get("dualad") / ops
                                      if isinstance(extra["peak_bytes"].get("dualad"), int)
                                      else None)
    except Exception as e:  # noqa: BLE001 - the tape internals may change: say so
        extra["sweep_error"] = f"{type(e).__name__}: {e}"
    return extra


# ------------------------------------------------------------------------------------
# vec_rosen: vectorised Rosenbrock
# ------------------------------------------------------------------------------------
def rosen_vec(x, xp=np):
    return xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def _rosen_variants(ctx):
    v = {}
    ag = _peer(ctx, "autograd")
    if ag:
        v["autograd"] = lambda x: rosen_vec(x, ag["np"])
    jx = _peer(ctx, "jax")
    if jx:
        v["jax"] = lambda x: rosen_vec(x, jx["np"])
    th = _peer(ctx, "torch")
    if th:
        v["torch"] = lambda x: rosen_vec(x, th["module"])
    mg = _peer(ctx, "mygrad")
    if mg:
        v["mygrad"] = lambda x: rosen_vec(x, mg["module"])
    return v


def vec_rosen(ctx):
    v = _rosen_variants(ctx)
    for n in ((10, 100) if ctx.tiny else (100, 10_000, 1_000_000)):
        x = np.random.default_rng(RNG_SEED + n).uniform(-1.2, 1.2, n)
        contenders = _grad_contenders(ctx, rosen_vec, x, torch_F=v.get("torch"),
                                      mygrad_F=v.get("mygrad"), jax_F=v.get("jax"),
                                      autograd_F=v.get("autograd"))
        yield ctx.row("vec_rosen", f"n={n:.0e}".replace("e+0", "e"), "grad",
                      lambda: rosen_vec(x), contenders, rosen_grad(x), params={"n": n})


# ------------------------------------------------------------------------------------
# mlp: 2-layer tanh MLP, softmax cross-entropy, batch 256, 64-128-10
# ------------------------------------------------------------------------------------
def _mlp_numpy_like(xp):
    def loss(params, X, Y):
        W1, b1, W2, b2 = params
        h = xp.tanh(xp.dot(X, W1) + b1)
        z = xp.dot(h, W2) + b2
        m = xp.max(z, axis=1, keepdims=True)
        lse = xp.log(xp.sum(xp.exp(z - m), axis=1)) + m[:, 0]
        return xp.mean(lse - xp.sum(z * Y, axis=1))
    return loss


def _mlp_torch(torch):
    def loss(params, X, Y):
        W1, b1, W2, b2 = params
        h = torch.tanh(X @ W1 + b1)
        z = h @ W2 + b2
        m = torch.max(z, dim=1, keepdim=True).values
        lse = torch.log(torch.sum(torch.exp(z - m), dim=1)) + m[:, 0]
        return torch.mean(lse - torch.sum(z * Y, dim=1))
    return loss


def _mlp_mygrad(mg):
    def loss(params, X, Y):
        W1, b1, W2, b2 = params
        h = mg.tanh(mg.matmul(X, W1) + b1)
        z = mg.matmul(h, W2) + b2
        m = mg.max(z, axis=1, keepdims=True)
        lse = mg.log(mg.sum(mg.exp(z - m), axis=1)) + m[:, 0]
        return mg.mean(lse - mg.sum(z * Y, axis=1))
    return loss


def mlp_data(batch=256, sizes=(64, 128, 10)):
    rng = np.random.default_rng(RNG_SEED)
    d0, d1, d2 = sizes
    X = rng.standard_normal((batch, d0))
    Y = np.eye(d2)[rng.integers(0, d2, batch)]
    params = (rng.standard_normal((d0, d1)) / np.sqrt(d0), 0.1 * rng.standard_normal(d1),
              rng.standard_normal((d1, d2)) / np.sqrt(d1), 0.1 * rng.standard_normal(d2))
    return params, X, Y


def mlp_grad(params, X, Y):
    """Backpropagation by hand: the analytic gradient."""
    W1, b1, W2, b2 = params
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dz = (p - Y) / X.shape[0]
    dh = dz @ W2.T
    da = dh * (1.0 - h * h)
    return [X.T @ da, da.sum(axis=0), h.T @ dz, dz.sum(axis=0)]


def mlp(ctx):
    batch, sizes = (8, (4, 6, 3)) if ctx.tiny else (256, (64, 128, 10))
    params, X, Y = mlp_data(batch, sizes)
    loss = _mlp_numpy_like(np)
    F = lambda p: loss(p, X, Y)  # noqa: E731
    kw = {}
    ag = _peer(ctx, "autograd")
    if ag:
        la = _mlp_numpy_like(ag["np"])
        kw["autograd_F"] = lambda p: la(p, X, Y)
    jx = _peer(ctx, "jax")
    if jx:
        lj = _mlp_numpy_like(jx["np"])
        Xj, Yj = jx["np"].asarray(X), jx["np"].asarray(Y)
        kw["jax_F"] = lambda p: lj(p, Xj, Yj)
    th = _peer(ctx, "torch")
    if th:
        torch = th["module"]
        lt = _mlp_torch(torch)
        Xt, Yt = torch.tensor(X), torch.tensor(Y)
        kw["torch_F"] = lambda p: lt(p, Xt, Yt)
    mg = _peer(ctx, "mygrad")
    if mg:
        lm = _mlp_mygrad(mg["module"])
        kw["mygrad_F"] = lambda p: lm(p, X, Y)
    contenders = _grad_contenders(ctx, F, params, **kw)
    yield ctx.row("mlp", f"{batch}x" + "-".join(map(str, sizes)), "grad", lambda: F(params),
                  contenders, mlp_grad(params, X, Y),
                  params={"batch": batch, "sizes": list(sizes)})


# ------------------------------------------------------------------------------------
# jac_sweep: f(x) = tanh(A @ sin(x)), n inputs, m outputs
# ------------------------------------------------------------------------------------
JAC_CELLS = ((1, 1000), (10, 1000), (100, 100), (1000, 10), (1000, 1))


def jac_analytic(A, x):
    u = A @ np.sin(x)
    return (1.0 - np.tanh(u) ** 2)[:, None] * A * np.cos(x)[None, :]


def jac_sweep(ctx):
    for n, m in (((1, 5), (5, 1), (3, 3)) if ctx.tiny else JAC_CELLS):
        rng = np.random.default_rng(RNG_SEED + 7 * n + m)
        A = rng.standard_normal((m, n)) / np.sqrt(n)
        x = rng.uniform(-2.0, 2.0, n)
        f = lambda v, A=A: np.tanh(A @ np.sin(v))  # noqa: E731
        cs = [Contender("dualad jacfwd", "dualad", lambda f=f: ad.jacfwd(f)(x)),
              Contender("dualad jacrev", "dualad", lambda f=f: ad.jacrev(f)(x)),
              Contender("dualad auto", "dualad", lambda f=f: ad.jacobian(f)(x)),
              compiled("dualad compiled", ad.jacobian(f), x)]
        cs = _ab(ctx, cs)
        ag = _peer(ctx, "autograd")
        if ag:
            anp = ag["np"]
            ja = ag["module"].jacobian(lambda v, A=A: anp.tanh(anp.dot(A, anp.sin(v))))
            cs.append(Contender("autograd jacobian", "autograd", lambda ja=ja: ja(x)))
        else:
            cs.append(_missing(ctx, "autograd", "autograd jacobian"))
        jx = _peer(ctx, "jax")
        if jx:
            jax, jnp = jx["module"], jx["np"]
            Aj, xj = jnp.asarray(A), jnp.asarray(x)
            fj = lambda v, Aj=Aj: jnp.tanh(Aj @ jnp.sin(v))  # noqa: E731
            for name, tr in (("jacfwd", jax.jacfwd), ("jacrev", jax.jacrev)):
                ge, gj = tr(fj), jax.jit(tr(fj))
                cs.append(Contender(f"jax {name}", "jax", lambda ge=ge: ready(ge(xj))))
                cs.append(Contender(f"jax.jit {name}", "jax", lambda gj=gj: ready(gj(xj)),
                                    mode="jit"))
        else:
            cs += [_missing(ctx, "jax", "jax jacfwd"), _missing(ctx, "jax", "jax jacrev"),
                   _missing(ctx, "jax", "jax.jit jacfwd", "jit"),
                   _missing(ctx, "jax", "jax.jit jacrev", "jit")]
        th = _peer(ctx, "torch")
        if th:
            torch, tf = th["module"], th["func"]
            At, xt = torch.tensor(A), torch.tensor(x)
            ft = lambda v, At=At: torch.tanh(At @ torch.sin(v))  # noqa: E731
            jf, jr = tf.jacfwd(ft), tf.jacrev(ft)
            cs.append(Contender("torch jacobian", "torch", lambda ft=ft: (
                torch.autograd.functional.jacobian(ft, xt))))
            cs.append(Contender("torch.func jacfwd", "torch", lambda jf=jf: jf(xt)))
            cs.append(Contender("torch.func jacrev", "torch", lambda jr=jr: jr(xt)))
        else:
            cs.append(_missing(ctx, "torch", "torch"))
        mgp = _peer(ctx, "mygrad")
        if mgp:
            mg = mgp["module"]

            def rows(A=A, m=m):
                out = []
                for i in range(m):   # mygrad has no jacobian: one backward per output
                    xt = mg.tensor(x)
                    y = mg.tanh(mg.matmul(A, mg.sin(xt)))
                    y[i].backward()
                    out.append(np.array(xt.grad))
                return np.stack(out)
            cs.append(Contender("mygrad rows", "mygrad", rows))
        else:
            cs.append(_missing(ctx, "mygrad", "mygrad rows"))
        yield ctx.row("jac_sweep", f"n={n},m={m}", "jacobian", lambda f=f: f(x), cs,
                      jac_analytic(A, x), ref="dualad auto", params={"n": n, "m": m})


# ------------------------------------------------------------------------------------
# hessian: Rosenbrock
# ------------------------------------------------------------------------------------
def hessian(ctx):
    v = _rosen_variants(ctx)
    for n in ((5,) if ctx.tiny else (10, 100, 500)):
        x = np.random.default_rng(RNG_SEED + n).uniform(-1.2, 1.2, n)
        cs = _ab(ctx, [Contender("dualad", "dualad", lambda x=x: ad.hessian(rosen_vec)(x)),
                       compiled("dualad compiled", ad.hessian(rosen_vec), x)])
        if "autograd" in v:
            ha = peers.load("autograd")["module"].hessian(v["autograd"])
            cs.append(Contender("autograd", "autograd", lambda ha=ha, x=x: ha(x)))
        else:
            cs.append(_missing(ctx, "autograd", "autograd"))
        if "jax" in v:
            jax, jnp = peers.load("jax")["module"], peers.load("jax")["np"]
            xj = jnp.asarray(x)
            he, hj = jax.hessian(v["jax"]), jax.jit(jax.hessian(v["jax"]))
            cs.append(Contender("jax", "jax", lambda he=he, xj=xj: ready(he(xj))))
            cs.append(Contender("jax.jit", "jax", lambda hj=hj, xj=xj: ready(hj(xj)),
                                mode="jit"))
        else:
            cs += [_missing(ctx, "jax", "jax"), _missing(ctx, "jax", "jax.jit", "jit")]
        if "torch" in v:
            torch, tf = peers.load("torch")["module"], peers.load("torch")["func"]
            xt = torch.tensor(x)
            ht = tf.hessian(v["torch"])
            cs.append(Contender("torch.func", "torch", lambda ht=ht, xt=xt: ht(xt)))
        else:
            cs.append(_missing(ctx, "torch", "torch.func"))
        cs.append(Skip("mygrad", "mygrad", "no Hessian (no higher-order derivatives)")
                  if "mygrad" in ctx.peers else _missing(ctx, "mygrad", "mygrad"))
        yield ctx.row("hessian", f"n={n}", "hessian", lambda x=x: rosen_vec(x), cs,
                      rosen_hessian(x), params={"n": n})


WORKLOADS = {
    "scalar_loop": scalar_loop,
    "deep_chain": deep_chain,
    "vec_rosen": vec_rosen,
    "mlp": mlp,
    "jac_sweep": jac_sweep,
    "hessian": hessian,
}

from .scipy_workloads import scipy_layer  # noqa: E402  (uses the helpers above)

WORKLOADS["scipy"] = scipy_layer   # issue 14: dualad.scipy against jax.scipy, autograd.scipy
