"""sparse: sparse Jacobians of the 1-D Brusselator (issue 15), side by side.

- one Jacobian at N = 1000 grid points (2000 unknowns, 0.2% nonzero): dualad.sparse
  (with and without the per-call probe check), the hand-written analytic Jacobian (dense),
  SciPy's coloured finite differences given the pattern (``approx_derivative`` with the
  column groups, what ``solve_ivp(jac_sparsity=...)`` runs), dualad's dense Jacobian, and
  asdex (JAX) with and without ``jax.jit`` when JAX and asdex are installed;
- ``solve_ivp`` BDF and Radau with dualad's sparse Jacobian against ``jac_sparsity``;
- detection and colouring at N = 10^4 and 10^5 (2N unknowns), dualad and asdex.

Every contender is checked against the analytic Jacobian before it is timed; times are
medians of interleaved rounds (``timing.side_by_side``).
"""
import time

import numpy as np

from .timing import side_by_side

N = 1000
ALPHA = 0.02
DETECT_SIZES = (10_000, 100_000)


def brusselator(u):
    n = u.shape[0] // 2
    x, y = u[:n], u[n:]
    c = ALPHA * (n + 1) ** 2

    def lap(z):
        return np.concatenate([z[1:2] - z[:1], z[2:] - 2 * z[1:-1] + z[:-2],
                               z[-2:-1] - z[-1:]])

    return np.concatenate([1.0 + x * x * y - 4.0 * x + c * lap(x),
                           3.0 * x - x * x * y + c * lap(y)])


def analytic_jacobian(u):
    """The Brusselator's Jacobian written by hand, as a dense array."""
    n = u.shape[0] // 2
    x, y = u[:n], u[n:]
    c = ALPHA * (n + 1) ** 2
    j = np.zeros((2 * n, 2 * n))
    i = np.arange(n)
    for off in (0, n):
        j[off + i[1:], off + i[:-1]] = c
        j[off + i[:-1], off + i[1:]] = c
        j[off + i, off + i] = -2 * c
        j[off, off] = j[off + n - 1, off + n - 1] = -c
    j[i, i] += 2 * x * y - 4.0
    j[i, n + i] = x * x
    j[n + i, i] = 3.0 - 2 * x * y
    j[n + i, n + i] += -x * x
    return j


def initial(n):
    s = np.linspace(0, 1, n)
    return np.concatenate([1 + np.sin(2 * np.pi * s), np.full(n, 3.0)])


def _jax_brusselator():
    import jax.numpy as jnp

    def f(u):
        n = u.shape[0] // 2
        x, y = u[:n], u[n:]
        c = ALPHA * (n + 1) ** 2

        def lap(z):
            return jnp.concatenate([z[1:2] - z[:1], z[2:] - 2 * z[1:-1] + z[:-2],
                                    z[-2:-1] - z[-1:]])
        return jnp.concatenate([1.0 + x * x * y - 4.0 * x + c * lap(x),
                                3.0 * x - x * x * y + c * lap(y)])
    return f


def _asdex():
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        import asdex
        return jax, asdex
    except Exception:  # noqa: BLE001 - an absent peer is reported, not fatal
        return None


def _dense(m):
    m = m.todense() if hasattr(m, "todense") else m
    return np.asarray(m)


def _check(name, got, want, errors):
    err = float(np.max(np.abs(_dense(got) - want)) / max(1.0, np.max(np.abs(want))))
    errors[name] = err
    if not err < 1e-6:      # finite differences are good to about 1e-8 here
        raise AssertionError(f"sparse benchmark: {name} is wrong (relative error {err:.2e})")


def run(ctx):
    import scipy
    from scipy.integrate import solve_ivp
    from scipy.optimize._numdiff import approx_derivative, group_columns

    import dualad
    import dualad.sparse as ds

    n = 200 if ctx.tiny else N
    u = initial(n)
    want = analytic_jacobian(u)
    out = {"N": n, "unknowns": 2 * n, "versions": {"scipy": scipy.__version__}}

    # --- one Jacobian ----------------------------------------------------------------
    ctx.say(f"sparse: preparing the Jacobians at N = {n}")
    jac = ds.jacobian(brusselator, format="csc")
    jac_nocheck = ds.jacobian(brusselator, format="csc", check=False)
    jac(u), jac_nocheck(u)
    pattern = jac.pattern
    out["nnz"] = int(pattern.nnz)
    out["colours"] = {"dualad": int(jac.decompression.ncolors)}
    groups = group_columns(pattern.tocsc())
    out["colours"]["scipy"] = int(groups.max() + 1)
    fd = lambda: approx_derivative(brusselator, u, sparsity=(pattern, groups))  # noqa: E731
    dense = dualad.jacobian(brusselator)
    fns = {
        "dualad sparse": lambda: jac(u),
        "dualad sparse, no probe": lambda: jac_nocheck(u),
        "analytic dense": lambda: analytic_jacobian(u),
        "scipy coloured FD": fd,
        "dualad dense": lambda: dense(u),
    }
    peer = _asdex()
    if peer is not None:
        jax, asdex = peer
        out["versions"].update(jax=jax.__version__, asdex=getattr(asdex, "__version__", "?"))
        fj = _jax_brusselator()
        uj = jax.numpy.asarray(u)
        t0 = time.perf_counter()
        ajac = asdex.jacobian(fj, uj)
        out["asdex_prepare_seconds"] = time.perf_counter() - t0
        ajit = jax.jit(ajac)
        fns["asdex"] = lambda: jax.block_until_ready(ajac(uj))
        fns["asdex + jit"] = lambda: jax.block_until_ready(ajit(uj))
    else:
        out["asdex"] = "skipped: jax and asdex are not installed here (make bench has them)"
    errors = {}
    for name, fn in fns.items():
        _check(name, fn(), want, errors)
    out["max_rel_error"] = errors
    ctx.say(f"sparse: timing {len(fns)} Jacobians side by side")
    out["jacobian"] = side_by_side(fns, budget=ctx.budget * 2, min_rounds=ctx.min_rounds)

    # --- solve_ivp -------------------------------------------------------------------
    t_end = 1.0 if ctx.tiny else 10.0
    rhs = lambda t, y: brusselator(y)  # noqa: E731
    sol = {}
    for method in ("BDF", "Radau"):
        runs = {
            "dualad sparse jac": lambda m=method: solve_ivp(
                rhs, (0, t_end), u, method=m, jac=lambda t, y: jac(y), rtol=1e-6,
                atol=1e-8),
            "scipy jac_sparsity": lambda m=method: solve_ivp(
                rhs, (0, t_end), u, method=m, jac_sparsity=pattern, rtol=1e-6, atol=1e-8),
        }
        ends = {k: r() for k, r in runs.items()}
        a, b = (ends[k].y[:, -1] for k in runs)
        if not np.allclose(a, b, rtol=1e-4, atol=1e-6):
            raise AssertionError(f"sparse benchmark: solve_ivp {method} solutions differ")
        ctx.say(f"sparse: timing solve_ivp {method}")
        times = side_by_side(runs, budget=ctx.budget * 3, min_rounds=ctx.min_rounds)
        sol[method] = {k: {"seconds": times[k], "nfev": int(ends[k].nfev),
                           "njev": int(ends[k].njev)} for k in runs}
    out["solve_ivp"] = sol

    # --- detection ---------------------------------------------------------------------
    det = {}
    for big in ((1000, 5000) if ctx.tiny else DETECT_SIZES):
        ub = initial(big)
        ctx.say(f"sparse: detection at N = {big}")
        row = {}
        t0 = time.perf_counter()
        p, _ = ds.jacobian_pattern(brusselator, ub)
        t1 = time.perf_counter()
        colours = ds.column_coloring(p)
        t2 = time.perf_counter()
        row["dualad"] = {"detect": t1 - t0, "colour": t2 - t1, "nnz": int(p.nnz),
                         "colours": int(colours.max() + 1)}
        if peer is not None:
            jax, asdex = peer
            t0 = time.perf_counter()
            asdex.jacobian(_jax_brusselator(), jax.numpy.asarray(ub))
            row["asdex"] = {"detect+colour": time.perf_counter() - t0}
        det[big] = row
    out["detection"] = det
    return out


def _ms(t):
    return f"{t * 1e3:.3g} ms" if t < 1 else f"{t:.3g} s"


def lines(s, markdown):
    """The report of a run: a table (markdown) or aligned text."""
    if not s:
        return []
    out = [f"sparse: Brusselator, N = {s['N']} ({s['unknowns']} unknowns, {s['nnz']} "
           f"nonzeros; colours: " + ", ".join(f"{k} {v}" for k, v in s["colours"].items())
           + ")", ""]
    jt = s["jacobian"]
    ref = jt["dualad sparse"]
    rows = [(k, _ms(t), f"{t / ref:.2f}x") for k, t in sorted(jt.items(), key=lambda kv: kv[1])]
    head = ("one Jacobian", "median", "vs dualad sparse")
    for method, r in s["solve_ivp"].items():
        for k, e in r.items():
            rows.append((f"solve_ivp {method}, {k} ({e['njev']} Jacobians)",
                         _ms(e["seconds"]), ""))
    for big, r in s["detection"].items():
        d = r["dualad"]
        rows.append((f"dualad detection, N = {big} ({2 * int(big)} unknowns)", _ms(d["detect"]),
                     f"+ colouring {_ms(d['colour'])} ({d['colours']} colours)"))
        if "asdex" in r:
            rows.append((f"asdex detection + colouring, N = {big}",
                         _ms(r["asdex"]["detect+colour"]), ""))
    if "asdex" in s and isinstance(s["asdex"], str):
        rows.append(("asdex", s["asdex"], ""))
    if markdown:
        out += ["| " + " | ".join(head) + " |", "|---|---:|---|"]
        out += ["| " + " | ".join(r) + " |" for r in rows]
    else:
        w = max(len(r[0]) for r in rows)
        out += [f"{r[0]:<{w}}  {r[1]:>10}  {r[2]}" for r in rows]
    return out + [""]
