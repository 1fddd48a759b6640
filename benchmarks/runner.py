"""The benchmark runner: ``python -m benchmarks [--quick] [--only NAME] [--peers ...]``.

Runs the workloads (scalar_loop, deep_chain, vec_rosen, mlp, jac_sweep,
hessian), the kernel-vs-NumPy comparison behind ``dualad.accel.kernels`` (kernels), the
start-up costs (startup: ``import dualad``, first grad call with a cold and a warm numba
cache) and sparse Jacobians of the Brusselator (sparse). Prints progress and a table, checks the issue's targets, and writes
``benchmarks/results/results.json``, ``results.md`` and ``results.png``.
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np

from . import peers, report, timing
from .timing import once, side_by_side
from .workloads import TOLERANCE, WORKLOADS, Contender, max_rel_error
from .peers import to_numpy

ALL = tuple(WORKLOADS) + ("kernels", "startup", "sparse")
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


class Context:
    """What the workloads need: options, peers, and ``row`` (check, then time)."""

    def __init__(self, quick, peer_names, progress=True, tiny=False, ab_kernels=False):
        self.quick = quick or tiny
        self.tiny = tiny
        self.ab_kernels = ab_kernels
        self.peers = tuple(peer_names)
        self.budget = 0.05 if tiny else 1.0 if quick else 4.0
        self.min_rounds = 3
        self.slow = 4.0 if quick else 60.0    # s/call above which quick mode times once
        self.progress = progress
        self.t0 = time.perf_counter()

    def say(self, msg):
        if self.progress:
            print(f"[{time.perf_counter() - self.t0:7.1f}s] {msg}", file=sys.stderr,
                  flush=True)

    def row(self, workload, case, task, f_plain, contenders, want, ref="dualad",
            f_label="NumPy", params=None):
        """Check every contender against ``want``, then time them side by side with f."""
        results, timed = {}, {}
        for c in contenders:
            entry = {"lib": c.lib, "mode": c.mode}
            results[c.label] = entry
            if not isinstance(c, Contender):
                entry["status"] = "skipped: " + c.why
                continue
            if c.note:
                entry["note"] = c.note
            self.say(f"{workload} {case}: {c.label} (first call, check)")
            try:
                r, t_first = once(c.fn)
            except Exception as e:  # noqa: BLE001 - a failing peer is reported
                entry["status"] = f"error: {type(e).__name__}: {str(e)[:100]}"
                continue
            err = max_rel_error(to_numpy(r), want)
            entry["first"] = t_first
            entry["max_rel_error"] = err
            if not err <= TOLERANCE:
                entry["status"] = f"wrong: max relative error {err:.2e}"
                continue
            entry["status"] = "ok"
            timed[c.label] = c.fn
        # A contender slower than ``slow`` seconds a call is timed in few rounds.
        slow = {k for k, e in results.items() if e.get("first", 0) > self.slow}
        fast = {k: v for k, v in timed.items() if k not in slow}
        self.say(f"{workload} {case}: timing {len(fast) + 1} side by side"
                 + (f", {len(slow & set(timed))} slow one(s) apart" if slow & set(timed)
                    else ""))
        times = side_by_side(dict(fast, __f__=f_plain), budget=self.budget,
                             min_rounds=self.min_rounds)
        for k in slow & set(timed):
            rounds = 1 if self.quick else self.min_rounds
            samples = [once(timed[k])[1] for _ in range(rounds)]
            times[k] = float(np.median(samples))
            results[k]["rounds"] = rounds
        f_time = times.pop("__f__")
        ref_time = times.get(ref)
        for k, t in times.items():
            e = results[k]
            e["time"] = t
            e["vs_f"] = t / f_time
            if ref_time:
                e["vs_dualad"] = t / ref_time
        row = {"workload": workload, "case": case, "task": task, "params": params or {},
               "f_time": f_time, "f_label": f_label, "ref": ref, "results": results}
        self.say(f"{workload} {case}: " + report.row_summary(row))
        return row


def _parse(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="shorter timing budgets (same sizes); slow peers timed once")
    p.add_argument("--only", action="append", metavar="NAME",
                   help=f"run only these (repeatable or comma-separated): {', '.join(ALL)}")
    p.add_argument("--peers", default=",".join(peers.PEERS),
                   help="comma-separated peers to compare against (default: all four; "
                        "'none' for dualad alone)")
    p.add_argument("--out", default=RESULTS, help="directory for results.json/.md/.png")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG")
    p.add_argument("--ab-kernels", action="store_true",
                   help="also time every dualad contender with its fused elementwise "
                        "kernels off (the NumPy rules), side by side")
    p.add_argument("--tiny", action="store_true",
                   help="tiny sizes, minimal timing: a smoke test of the runner, not a "
                        "measurement")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="time by the wall clock (default) or by this process's CPU time, "
                        "which leaves out what other programs take on a busy machine")
    return p.parse_args(argv)


def main(argv=None):
    args = _parse(sys.argv[1:] if argv is None else argv)
    only = [w.strip() for o in (args.only or []) for w in o.split(",") if w.strip()]
    for w in only:
        if w not in ALL:
            print(f"unknown workload {w!r}; choose from {', '.join(ALL)}", file=sys.stderr)
            return 2
    names = only or list(ALL)
    wanted_peers = [] if args.peers.strip() in ("", "none") else [
        p.strip() for p in args.peers.split(",") if p.strip()]
    for p in wanted_peers:
        if p not in peers.PEERS:
            print(f"unknown peer {p!r}; choose from {', '.join(peers.PEERS)}",
                  file=sys.stderr)
            return 2
    timing.use_clock(args.clock)
    ctx = Context(args.quick, wanted_peers, progress=not args.quiet, tiny=args.tiny,
                  ab_kernels=args.ab_kernels)
    for p in wanted_peers:
        ctx.say(f"loading {p}")
        if peers.load(p) is None:
            ctx.say(f"  {p} skipped: {peers.why_missing(p)}")

    import dualad
    from . import kernel_bench, sparse_bench, startup
    out = {
        "command": "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None
                                                     else argv),
        "quick": args.quick,
        "tiny": args.tiny,
        "clock": args.clock,
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "threads_per_library": 1},
        "versions": {"dualad": dualad.__version__, "numpy": np.__version__,
                     **{p: peers.version(p) for p in wanted_peers if peers.version(p)}},
        "skipped_peers": {p: peers.why_missing(p) for p in wanted_peers
                          if peers.load(p) is None},
        "numba_enabled": dualad.accel.kernels.numba_enabled(),
        "rows": [],
    }
    for name in names:
        if name in WORKLOADS:
            for row in WORKLOADS[name](ctx):
                out["rows"].append(row)
        elif name == "kernels":
            out["kernels"] = kernel_bench.run(ctx)
        elif name == "startup":
            out["startup"] = startup.run(ctx)
        elif name == "sparse":
            out["sparse"] = sparse_bench.run(ctx)
    out["targets"] = report.targets(out)
    out["seconds"] = time.perf_counter() - ctx.t0
    text = report.text(out)
    print(text)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as fh:
        json.dump(out, fh, indent=1, default=_json_default)
    with open(os.path.join(args.out, "results.md"), "w") as fh:
        fh.write(report.markdown(out))
    if not args.no_plot:
        png = report.plot(out, os.path.join(args.out, "results.png"))
        if png:
            ctx.say(f"plot: {png}")
    ctx.say(f"results: {os.path.join(args.out, 'results.json')}")
    return 0


def _json_default(o):
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    return str(o)
