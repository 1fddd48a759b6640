"""kernels: every candidate fused kernel against the NumPy path, side by side.

For each elementwise primitive whose partials compile, the forward rule (k directions)
and the reverse rule are timed both ways -- ``Elementwise.jvp/vjp`` with the kernel
forced on, and the same call with numba off -- after checking that both give the same
result. Each row's ``fused_jvp``/``fused_vjp`` keep the kernels that win here; the
report shows, per primitive, what this run measured next to what the library keeps.
"""
import numpy as np

from dualad.accel import kernels as K
from dualad import rules as P

from .timing import side_by_side

JVP_CONFIGS = ((2_048, 1), (10_000, 1), (1_000_000, 1), (1_000, 8), (500, 64), (10_000, 64))
VJP_SIZES = (2_048, 10_000, 1_000_000)
QUICK_JVP = ((10_000, 1), (1_000_000, 1), (500, 64))
QUICK_VJP = (10_000, 1_000_000)
TINY_JVP, TINY_VJP = ((50, 2),), (50,)
WIN = 1.05      # a kernel "wins" a configuration when it is at least 5% faster
NO_LOSS = 0.95  # ... and "loses" one when it is more than 5% slower


inputs = P.sample_operands


def _numpy(fn):
    def run():
        K.NUMBA_ENABLED = False
        try:
            return fn()
        finally:
            K.NUMBA_ENABLED = True
    return run


def _compare(name, kernel_fn, numpy_fn, budget):
    got, want = kernel_fn(), numpy_fn()
    if not np.allclose(got, want, rtol=1e-12, atol=1e-14, equal_nan=True):
        return {"status": "wrong", "max_abs_error": float(np.nanmax(np.abs(got - want)))}
    t = side_by_side({"kernel": kernel_fn, "numpy": numpy_fn}, budget=budget,
                     min_rounds=5, sample=0.01, collect=False)
    return {"kernel": t["kernel"], "numpy": t["numpy"], "speedup": t["numpy"] / t["kernel"]}


def run(ctx):
    saved = (K.NUMBA_ENABLED, K.MIN_SIZE, K.POLICY)
    if not K.NUMBA_ENABLED:
        ctx.say("kernels: numba is disabled (DUALAD_DISABLE_NUMBA): nothing to compare")
        return {"disabled": True}
    jvp_configs = TINY_JVP if ctx.tiny else QUICK_JVP if ctx.quick else JVP_CONFIGS
    vjp_sizes = TINY_VJP if ctx.tiny else QUICK_VJP if ctx.quick else VJP_SIZES
    budget = 0.01 if ctx.tiny else 0.15 if ctx.quick else 0.4
    names = K.candidates()[:3] if ctx.tiny else K.candidates()
    ops = {}
    try:
        K.MIN_SIZE = 0
        K.POLICY = "all"
        for name in names:
            prim = P.TABLE[name]
            if not K.supports(prim):
                ops[name] = {"status": "no kernel: the partials do not compile to scalar "
                                       "numba code (constant, Python-typed, or not ufuncs)"}
                continue
            ctx.say(f"kernels: {name}")
            rng = np.random.default_rng(len(name))
            entry = {"jvp": {}, "vjp": {}}
            for n, k in jvp_configs:
                prims = inputs(prim, rng, (n,))
                out = prim.impl(*prims)
                ts = [rng.standard_normal((k, n)) if prim.partials[i] is not None else None
                      for i in range(prim.nin)]
                call = (lambda prims=prims, out=out, ts=ts:
                        K.jvp(prim, ts, prims, out, {}))
                entry["jvp"][f"n={n},k={k}"] = _compare(name, call, _numpy(call), budget)
            for n in vjp_sizes:
                prims = inputs(prim, rng, (n,))
                out = prim.impl(*prims)
                g = rng.standard_normal(n)
                i = next(i for i in range(prim.nin) if prim.partials[i] is not None)
                call = (lambda prims=prims, out=out, g=g, i=i:
                        K.vjp(prim, i, g, prims, out, {}))
                entry["vjp"][f"n={n}"] = _compare(name, call, _numpy(call), budget)
            entry["measured_jvp_min_k"] = _jvp_verdict(entry["jvp"])
            entry["measured_vjp"] = _vjp_verdict(entry["vjp"])
            ops[name] = entry
    finally:
        K.NUMBA_ENABLED, K.MIN_SIZE, K.POLICY = saved
    for name, entry in ops.items():
        entry["kept_jvp_min_k"] = P.TABLE[name].fused_jvp
        entry["kept_vjp"] = P.TABLE[name].fused_vjp
    return {"jvp_configs": [f"n={n},k={k}" for n, k in jvp_configs],
            "vjp_sizes": [f"n={n}" for n in vjp_sizes], "win": WIN,
            "min_size": K.MIN_SIZE, "ops": ops}


def _speedups(cells, pred):
    return [c.get("speedup", 0.0) for key, c in cells.items() if pred(key)]


def _jvp_verdict(cells):
    """The fewest directions k from which the kernel wins (>= WIN) every measured
    configuration with at least 10^4 elements times directions and does not lose
    (>= NO_LOSS) the smaller ones; None when there is no such k."""
    def nk(key):
        return [int(v.split("=")[1]) for v in key.split(",")]

    def _size(key):
        n, k = nk(key)
        return n * k
    for k0 in (1, 8, 64):
        big = _speedups(cells, lambda key: nk(key)[1] >= k0 and _size(key) >= 10_000)
        small = _speedups(cells, lambda key: nk(key)[1] >= k0 and _size(key) < 10_000)
        if big and min(big) >= WIN and min(small, default=NO_LOSS) >= NO_LOSS:
            return k0
    return None


def _vjp_verdict(cells):
    """Wins (>= WIN) from 10^4 elements on, and does not lose (>= NO_LOSS) below."""
    big = _speedups(cells, lambda key: int(key.split("=")[1]) >= 10_000)
    small = _speedups(cells, lambda key: int(key.split("=")[1]) < 10_000)
    return bool(big) and min(big) >= WIN and min(small, default=NO_LOSS) >= NO_LOSS
