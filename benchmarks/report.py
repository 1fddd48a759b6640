"""Tables (text and Markdown), the speed-target checks, and the PNG plot."""
import math

from . import sparse_bench

EAGER_PEERS = ("autograd", "jax", "torch", "mygrad")


def fmt_time(t):
    if t is None or (isinstance(t, float) and math.isnan(t)):
        return "-"
    if t < 1e-3:
        return f"{t * 1e6:.1f}us"
    if t < 1.0:
        return f"{t * 1e3:.2f}ms"
    return f"{t:.2f}s"


def fmt_ratio(r):
    if r is None:
        return "-"
    return f"{r:.2f}" if r < 10 else f"{r:.0f}" if r < 1e4 else f"{r:.1e}"


def _labels(rows):
    labels = []
    for row in rows:
        for k in row["results"]:
            if k not in labels:
                labels.append(k)
    return labels


def cell(e, ref=False):
    """``time (xR)``: R = this contender's time / dualad's (R > 1: dualad is faster)."""
    st = e.get("status", "")
    if st != "ok" or "time" not in e:
        if st.startswith("skipped"):
            return "skip"
        return st.split(":")[0] if st else "-"
    s = fmt_time(e["time"])
    if e.get("rounds") == 1:
        s += "*"
    if not ref and "vs_dualad" in e:
        s += f" (x{fmt_ratio(e['vs_dualad'])})"
    if e.get("mode") == "jit" and "first" in e:
        s += f" [1st {fmt_time(e['first'])}]"      # the compile time, apart
    return s


def row_summary(row):
    parts = [f"f {fmt_time(row['f_time'])}"]
    for k, e in row["results"].items():
        parts.append(f"{k} {cell(e, ref=(k == row['ref']))}")
    ref = row["results"].get(row["ref"], {})
    if "vs_f" in ref:
        parts.append(f"{row['ref']}/f {fmt_ratio(ref['vs_f'])}")
    return " | ".join(parts)


def _table(rows, markdown):
    """One table per workload: case, f, dualad/f, then each contender's cell."""
    out = []
    workloads = []
    for r in rows:
        if r["workload"] not in workloads:
            workloads.append(r["workload"])
    for w in workloads:
        wrows = [r for r in rows if r["workload"] == w]
        labels = _labels(wrows)
        ref = wrows[0]["ref"]
        head = ["case", "f (" + wrows[0]["f_label"] + ")", f"{ref}/f"] + labels
        body = []
        for r in wrows:
            e = r["results"].get(ref, {})
            body.append([r["case"], fmt_time(r["f_time"]), fmt_ratio(e.get("vs_f"))] +
                        [cell(r["results"].get(k, {}), ref=(k == ref)) for k in labels])
        title = f"{w} ({wrows[0]['task']})"
        if markdown:
            out.append(f"**{title}**\n")
            out.append("| " + " | ".join(head) + " |")
            out.append("|" + "|".join("---" for _ in head) + "|")
            out += ["| " + " | ".join(b) + " |" for b in body]
            out.append("")
        else:
            widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
            out.append(title)
            out.append("  ".join(h.ljust(wd) for h, wd in zip(head, widths)))
            out.append("  ".join("-" * wd for wd in widths))
            out += ["  ".join(str(x).ljust(wd) for x, wd in zip(b, widths)) for b in body]
            out.append("")
    return out


def _extras(data):
    lines = []
    for r in data["rows"]:
        ex = r.get("extra")
        if not ex:
            continue
        peaks = ", ".join(f"{k} {v / 2**20:.1f} MiB" if isinstance(v, (int, float)) else
                          f"{k} {v}" for k, v in ex.get("peak_bytes", {}).items())
        lines.append(f"deep_chain peak memory ({ex.get('peak_note')}): {peaks}")
        if "sweep_entries_per_second" in ex:
            lines.append(
                f"deep_chain dualad tape: {ex['tape_entries']} entries, "
                f"{ex.get('tape_bytes_per_entry', float('nan')):.0f} bytes/entry in the tape "
                f"arrays, peak {ex.get('peak_bytes_per_op') or float('nan'):.0f} bytes per op "
                f"while recording+sweeping; record {fmt_time(ex['record_seconds'])}, sweep "
                f"{fmt_time(ex['sweep_seconds'])} = "
                f"{ex['sweep_entries_per_second']:.3g} entries/s")
        elif "sweep_error" in ex:
            lines.append(f"deep_chain sweep rate: n/a ({ex['sweep_error']})")
    return lines


def _startup(s):
    if not s:
        return []
    c, w, o = s["cold"], s["warm"], s["numba_disabled"]
    return [
        f"import dualad: {fmt_time(s['import_dualad'])} median of "
        f"{len(s['import_dualad_samples'])} fresh interpreters (import numpy alone: "
        f"{fmt_time(s['import_numpy'])})",
        "first grad calls in a fresh interpreter (scalar_loop n=100 / vec_rosen n=1e4 / "
        "mlp; total):",
        "  cold numba cache: " + _first(c),
        "  warm numba cache: " + _first(w),
        "  numba disabled:   " + _first(o),
    ] + ([_array_only(s["array_code_only"])] if "array_code_only" in s else [])


def _array_only(d):
    return (f"array code only (vec_rosen n=1e4 / mlp), fresh interpreter: "
            f"{fmt_time(d['vec_rosen_grad'])} / {fmt_time(d['mlp_grad'])}; total "
            f"{fmt_time(d['first_grads'])}, max RSS {d['max_rss_mib']:.0f} MiB, numba "
            f"{'imported' if d['numba_imported'] else 'not imported'}")


def _first(d):
    return (f"{fmt_time(d['scalar_loop_grad'])} / {fmt_time(d['vec_rosen_grad'])} / "
            f"{fmt_time(d['mlp_grad'])}; total {fmt_time(d['first_grads'])} "
            f"(second scalar grad {fmt_time(d['scalar_loop_grad_again'])}, "
            f"second mlp grad {fmt_time(d['mlp_grad_again'])})")


def _kernels(k, markdown):
    if not k or k.get("disabled"):
        return []
    cfg_j, cfg_v = k["jvp_configs"], k["vjp_sizes"]
    head = (["primitive"] + [f"jvp {c}" for c in cfg_j] + [f"vjp {c}" for c in cfg_v] +
            ["kept jvp (min k)", "kept vjp", "this run: jvp", "this run: vjp"])
    body = []
    for name, e in k["ops"].items():
        if "jvp" not in e:
            body.append([name] + ["-"] * (len(head) - 2) + [e["status"].split(":")[0]])
            continue
        sp = lambda c: ("wrong" if c.get("status") == "wrong"  # noqa: E731
                        else f"{c['speedup']:.2f}")
        body.append([name] + [sp(e["jvp"][c]) for c in cfg_j] +
                    [sp(e["vjp"][c]) for c in cfg_v] +
                    [str(e["kept_jvp_min_k"] or "dropped"),
                     "kept" if e["kept_vjp"] else "dropped",
                     str(e["measured_jvp_min_k"] or "loses"),
                     "wins" if e["measured_vjp"] else "loses"])
    title = ("kernels: speedup of the fused kernel over the NumPy path (NumPy time / "
             f"kernel time; >= {k['win']} wins)")
    if markdown:
        out = [f"**{title}**\n", "| " + " | ".join(head) + " |",
               "|" + "|".join("---" for _ in head) + "|"]
        out += ["| " + " | ".join(b) + " |" for b in body]
        return out + [""]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    out = [title, "  ".join(h.ljust(wd) for h, wd in zip(head, widths))]
    out += ["  ".join(str(x).ljust(wd) for x, wd in zip(b, widths)) for b in body]
    return out + [""]


def _targets(ts):
    return [f"  [{'HIT ' if t['ok'] else 'MISS' if t['ok'] is False else 'n/a '}] "
            f"{t['target']}: {t['measured']}" for t in ts]


LEGEND = ("Times are medians of interleaved rounds; '(xR)' is that contender's time "
          "divided by dualad's in the same row (R > 1: dualad is faster); '/f' divides by "
          "one plain evaluation of f; '*' marks a slow contender timed once (--quick); "
          "jax = eager (no jit), jax.jit and dualad compiled = compiled (compile time "
          "excluded from the median, shown apart as '[1st ...]': the first call); "
          "skip = not installed, not requested, or no such API.")


def text(data):
    out = [f"dualad benchmarks ({data['command']}; {data['when']}; "
           f"{data['machine']['cpus']} cpus, 1 thread per library; "
           f"numba {'on' if data['numba_enabled'] else 'off'})",
           "versions: " + ", ".join(f"{k} {v}" for k, v in data["versions"].items()), ""]
    if data.get("skipped_peers"):
        out.append("skipped peers: " + "; ".join(f"{k} ({v})" for k, v in
                                                data["skipped_peers"].items()))
    out.append(LEGEND)
    out.append("")
    out += _table(data["rows"], markdown=False)
    out += _extras(data)
    out += _startup(data.get("startup"))
    out.append("")
    out += _kernels(data.get("kernels"), markdown=False)
    out += sparse_bench.lines(data.get("sparse"), markdown=False)
    if data.get("targets"):
        out.append("speed targets:")
        out += _targets(data["targets"])
    return "\n".join(out)


def markdown(data):
    out = [f"Measured with `{data['command']}` on {data['when']} "
           f"({data['machine']['cpus']} cpus, one thread per library; "
           + ", ".join(f"{k} {v}" for k, v in data["versions"].items()) + ").", "",
           LEGEND, ""]
    out += _table(data["rows"], markdown=True)
    ex = _extras(data) + _startup(data.get("startup"))
    if ex:
        out += ["```"] + ex + ["```", ""]
    out += _kernels(data.get("kernels"), markdown=True)
    out += sparse_bench.lines(data.get("sparse"), markdown=True)
    if data.get("targets"):
        out.append("Issue-5 targets:")
        out.append("")
        out += [f"- {'HIT' if t['ok'] else 'MISS' if t['ok'] is False else 'n/a'}: "
                f"{t['target']} -- {t['measured']}" for t in data["targets"]]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------
# Targets
# ------------------------------------------------------------------------------------
def _row(data, workload, case):
    for r in data["rows"]:
        if r["workload"] == workload and r["case"] == case:
            return r
    return None


def _fastest_eager_peer(row):
    best = None
    for k, e in row["results"].items():
        if e["lib"] in EAGER_PEERS and e["mode"] == "eager" and "time" in e:
            if best is None or e["time"] < best[1]:
                best = (k, e["time"])
    return best


def compiled_targets(data):
    """Issue 16: the compiled derivative (replays, compile time apart) against f and jax.jit."""
    ts = []
    for wl, case, lim in (("scalar_loop", "n=1000", 2.0), ("deep_chain", "1e5 ops", 2.0),
                          ("vec_rosen", "n=1e6", 2.0), ("mlp", "256x64-128-10", 2.5)):
        r = _row(data, wl, case)
        e = (r or {}).get("results", {}).get("dualad compiled", {})
        if "vs_f" in e:
            ts.append(_t(f"{wl} {case}: compiled grad/f <= {lim}", e["vs_f"] <= lim,
                         f"{e['vs_f']:.2f} (compile {fmt_time(e.get('first'))})"))
    r = _row(data, "vec_rosen", "n=1e2")
    e = (r or {}).get("results", {}).get("dualad compiled", {})
    if "time" in e:
        ts.append(_t("vec_rosen n=1e2: compiled grad <= 15 us", e["time"] <= 15e-6,
                     fmt_time(e["time"])))
    r = _row(data, "hessian", "n=500")
    if r is not None:
        e, j = r["results"].get("dualad compiled", {}), r["results"].get("jax.jit", {})
        if "time" in e and "time" in j:
            ts.append(_t("hessian n=500: compiled at or under jax.jit's time",
                         e["time"] <= j["time"],
                         f"{fmt_time(e['time'])} vs jax.jit {fmt_time(j['time'])}"))
    return ts


def _t(target, ok, measured):
    return {"target": target, "ok": ok, "measured": measured}


def targets(data):
    ts = []
    for wl, case in (("scalar_loop", "n=1000"), ("deep_chain", "1e5 ops")):
        r = _row(data, wl, case)
        if r is None:
            continue
        d = r["results"]["dualad"].get("time")
        best = _fastest_eager_peer(r)
        if d and best:
            ts.append(_t(f"{wl} {case}: grad >= 8x faster than the fastest eager peer",
                         best[1] / d >= 8,
                         f"{best[1] / d:.1f}x vs {best[0]} ({fmt_time(best[1])} vs "
                         f"{fmt_time(d)})"))
        else:
            ts.append(_t(f"{wl} {case}: grad >= 8x faster than the fastest eager peer", None,
                         "no eager peer measured"))
        if d:
            vf = r["results"]["dualad"]["vs_f"]
            ts.append(_t(f"{wl} {case}: grad/f <= 40 (f on Python floats)", vf <= 40,
                         f"{vf:.1f}"))
        ex = r.get("extra") or {}
        if wl == "deep_chain" and "sweep_entries_per_second" in ex:
            rate = ex["sweep_entries_per_second"]
            ts.append(_t("deep_chain: backward sweep >= 1e7 tape entries/s", rate >= 1e7,
                         f"{rate:.3g} entries/s"))
            b = ex.get("tape_bytes_per_entry")
            if b:
                ts.append(_t("deep_chain: <= 64 bytes of tape per scalar entry", b <= 64,
                             f"{b:.0f} bytes/entry (peak while recording+sweeping: "
                             f"{(ex.get('peak_bytes_per_op') or float('nan')):.0f} B/op)"))
    for wl, case, lim in (("vec_rosen", "n=1e6", 3.0), ("mlp", "256x64-128-10", 2.5)):
        r = _row(data, wl, case)
        if r is None or "time" not in r["results"]["dualad"]:
            continue
        e = r["results"]["dualad"]
        ts.append(_t(f"{wl} {case}: grad/f <= {lim}", e["vs_f"] <= lim, f"{e['vs_f']:.2f}"))
        for peer in ("autograd", "torch"):
            p = r["results"].get(peer, {})
            if "vs_dualad" in p:
                ts.append(_t(f"{wl} {case}: faster than {peer} eager", p["vs_dualad"] > 1,
                             f"{peer} takes {p['vs_dualad']:.2f}x dualad's time"))
            else:
                ts.append(_t(f"{wl} {case}: faster than {peer} eager", None,
                             p.get("status", "not measured")))
    r = _row(data, "vec_rosen", "n=1e2")
    if r is not None and "time" in r["results"]["dualad"]:
        t = r["results"]["dualad"]["time"]
        ts.append(_t("vec_rosen n=100: grad under 40 us", t < 40e-6, fmt_time(t)))
    jac = [r for r in data["rows"] if r["workload"] == "jac_sweep"]
    if jac:
        misses, worst = [], None
        for r in jac:
            d = r["results"].get("dualad auto", {}).get("time")
            if d is None:
                misses.append(f"{r['case']}: dualad auto not measured")
                continue
            for peer in EAGER_PEERS:
                ts_ = [e["time"] for e in r["results"].values()
                       if e["lib"] == peer and e["mode"] == "eager" and "time" in e]
                if not ts_:
                    continue
                ratio = min(ts_) / d
                if worst is None or ratio < worst[0]:
                    worst = (ratio, r["case"], peer)
                if ratio <= 1:
                    misses.append(f"{r['case']}: {peer} best eager {ratio:.2f}x")
        ts.append(_t("jac_sweep: jacobian(auto) faster than every eager peer's best mode "
                     "in every cell", not misses,
                     ("; ".join(misses) if misses else "all cells") +
                     (f" (closest: {worst[2]} at {worst[1]}, {worst[0]:.2f}x)" if worst
                      else "")))
    r = _row(data, "hessian", "n=500")
    if r is not None:
        p = r["results"].get("torch.func", {})
        if "vs_dualad" in p:
            ts.append(_t("hessian n=500: faster than torch.func.hessian", p["vs_dualad"] > 1,
                         f"torch.func takes {p['vs_dualad']:.2f}x dualad's time"))
        else:
            ts.append(_t("hessian n=500: faster than torch.func.hessian", None,
                         p.get("status", "not measured")))
    ts += compiled_targets(data)
    s = data.get("startup")
    if s:
        ts.append(_t("import dualad under 0.5 s", s["import_dualad"] < 0.5,
                     fmt_time(s["import_dualad"])))
        ts.append(_t("first grad call, cold numba cache, under 5 s",
                     s["cold"]["first_grads"] < 5, fmt_time(s["cold"]["first_grads"]) +
                     " (three first grad calls together)"))
        ts.append(_t("first grad call, warm numba cache, under 0.5 s",
                     s["warm"]["first_grads"] < 0.5, fmt_time(s["warm"]["first_grads"]) +
                     " (three first grad calls together)"))
    return ts


# ------------------------------------------------------------------------------------
# The plot
# ------------------------------------------------------------------------------------
def plot(data, path):
    """Grouped bars of median time per workload (log scale); returns the path or None."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (bench extra): no plot", flush=True)
        return None
    workloads = []
    for r in data["rows"]:
        if r["workload"] not in workloads:
            workloads.append(r["workload"])
    if not workloads:
        return None
    cols = 2 if len(workloads) > 1 else 1
    nrows = math.ceil(len(workloads) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(8 * cols, 3.8 * nrows), squeeze=False)
    colors = {}
    palette = plt.get_cmap("tab20").colors
    for ax, w in zip(axes.flat, workloads):
        rows = [r for r in data["rows"] if r["workload"] == w]
        labels = [k for k in _labels(rows)
                  if any("time" in r["results"].get(k, {}) for r in rows)]
        width = 0.8 / max(1, len(labels))
        for j, k in enumerate(labels):
            if k not in colors:
                colors[k] = palette[len(colors) % len(palette)]
            xs, ys = [], []
            for i, r in enumerate(rows):
                e = r["results"].get(k, {})
                if "time" in e:
                    xs.append(i + (j - (len(labels) - 1) / 2) * width)
                    ys.append(e["time"])
            hatch = "//" if k.startswith("dualad") else None
            ax.bar(xs, ys, width, label=k, color=colors[k], hatch=hatch,
                   edgecolor="black" if hatch else None, linewidth=0.4)
        ax.scatter(range(len(rows)), [r["f_time"] for r in rows], marker="_", s=400,
                   color="black", zorder=3, label="f (plain)")
        ax.set_yscale("log")
        ax.set_xticks(range(len(rows)))
        ax.set_xticklabels([r["case"] for r in rows], fontsize=8)
        ax.set_ylabel("median time [s]")
        ax.set_title(f"{w} ({rows[0]['task']})", fontsize=10)
        ax.grid(axis="y", which="major", alpha=0.3)
        ax.legend(fontsize=6, ncol=2, loc="upper left")
    for ax in list(axes.flat)[len(workloads):]:
        ax.axis("off")
    fig.suptitle(f"dualad vs peers ({data['command']}, {data['when']}; one thread each; "
                 "lower is better)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
