"""``explain(f, x)``: n, m, the passes of each mode, their estimated (and measured)
times, the tape's memory, and the choice with its reason."""
import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..cost.model import DEFAULT_CHUNK, FORWARD, REVERSE, CostModel, sweep_rows
from ..cost.work import Work, generic_nodes, tape_memory, tape_work
from ..transforms.forward import jacfwd
from ..transforms.reverse import Recording, jacrev
from .choose import inputs_of, out_size
from .machine import model_of, settings_var
from .policy import Profile, ms_text, other_mode, passes_text, profiles_of, reason_text, remember

now = time.perf_counter


# ------------------------------------------------------------------------------------
# The report
# ------------------------------------------------------------------------------------
@dataclass
class CostReport:
    """The cost of a Jacobian of f at one point, by either mode (``dualad.explain``)."""

    function: str
    n: int
    m: int
    k: int                      # directions per forward pass
    forward_passes: int         # ceil(n / k)
    recorded_passes: int        # 1
    reverse_sweeps: int         # m, or ceil(m / sweep_rows) when sweeps are batched
    work: Work
    tape_entries: int           # entries on the tape of reverse mode
    tape_bytes: int             # bytes held by the tape (each array once)
    intermediate_bytes: int     # of which outputs of recorded primitives
    est_forward_pass: float     # seconds for one forward pass with k directions
    est_record: float           # seconds for the recorded pass
    est_sweep: float            # seconds for one backward sweep (of sweep_rows rows)
    est_forward: float          # seconds for the whole Jacobian, forward mode
    est_reverse: float          # seconds for the whole Jacobian, reverse mode
    measured_forward: float = None
    measured_reverse: float = None
    choice: str = ""
    basis: str = ""
    reason: str = ""
    model: CostModel = field(default=None, repr=False)
    sweep_rows: int = 1         # Jacobian rows per backward sweep

    @property
    def forward_text(self):
        return passes_text(FORWARD, self.n, self.m, self.k)

    @property
    def reverse_text(self):
        return passes_text(REVERSE, self.n, self.m, self.k, self.sweep_rows)

    def __str__(self):
        def row(name, passes, est, meas):
            return f"  {name:<8} {passes:<38} {ms_text(est):>10} {ms_text(meas) if meas else '':>10}"
        lines = [
            f"Jacobian of {self.function}: R^{self.n} -> R^{self.m}",
            f"  {'mode':<8} {'passes':<38} {'estimated':>10} {'measured':>10}",
            row("forward", self.forward_text, self.est_forward, self.measured_forward),
            row("reverse", self.reverse_text, self.est_reverse, self.measured_reverse),
            f"  one forward pass ({min(self.k, self.n)} directions) ~ "
            f"{ms_text(self.est_forward_pass)}, recorded pass ~ {ms_text(self.est_record)}, "
            f"one sweep{f' of {self.sweep_rows} rows' if self.sweep_rows > 1 else ''} ~ "
            f"{ms_text(self.est_sweep)}",
            f"  work per pass: {self.work.ops} array primitives, {self.work.scalar_ops} scalar"
            f" ops, {self.work.elements} elements, {self.work.flops} multiply-adds",
            f"  tape of reverse mode: {self.tape_entries} entries holding "
            f"{_bytes(self.tape_bytes)} ({_bytes(self.intermediate_bytes)} of intermediates)",
            f"  choice: {self.choice} ({self.basis}) -- {self.reason}",
        ]
        return "\n".join(lines)


def _bytes(b):
    for unit in ("B", "kB", "MB", "GB"):
        if b < 1000 or unit == "GB":
            return f"{b:.0f} {unit}" if unit == "B" else f"{b:.1f} {unit}"
        b /= 1000.0


def explain(f, *args, argnums=0, has_aux=False, measure=False, repeat=5, model=None):
    """Which mode ``jacobian(f, mode="auto")`` settles on at ``args``, and why.

    Returns a ``CostReport`` (print it for a table). f runs once on a tape, which gives
    m, the work per pass and the memory the tape holds; the estimates come from ``model``
    (default: the machine's calibrated model, or the one of an enclosing ``fixed_model``).
    With ``measure=True`` both modes are also timed (medians of ``repeat`` interleaved
    runs) and the choice follows the measurements; auto learns from those timings too.
    Without it the choice follows what auto has measured on this function at these input
    shapes, if it has timed both modes, else the estimates.
    """
    settings = settings_var.get()
    adaptive = settings.adaptive and model is None
    if model is None:
        model = model_of(settings)
    n, key, _ = inputs_of(args, argnums, has_aux)
    k = max(1, min(n, DEFAULT_CHUNK))
    rec = Recording(f, args, argnums, has_aux)
    m = out_size(rec)
    work = tape_work(rec.trace)
    held, inter = tape_memory(rec.trace)
    trace = rec.trace
    entries = len(trace) if hasattr(trace, "__len__") else len(generic_nodes(trace))
    del rec, trace
    est = model.estimates(work, n, m, k)
    rows = sweep_rows(work, m)
    table = profiles_of(f, {})
    prof = table.get(key)
    if prof is None or prof.m != m:
        prof = Profile(n, m, k, work)
        if adaptive:
            remember(table, key, prof)
    elif prof.work is None:
        prof.work = work
    mf = mr = None
    if measure:
        fwd = jacfwd(f, argnums, has_aux)
        rev = jacrev(f, argnums, has_aux)
        fwd(*args), rev(*args)                  # warm up
        tf, tr = [], []
        for _ in range(max(1, repeat)):
            for fn, ts in ((fwd, tf), (rev, tr)):
                t0 = now()
                fn(*args)
                ts.append(now() - t0)
        mf, mr = float(np.median(tf)), float(np.median(tr))
        if adaptive:
            for t in tf:
                prof.observe(FORWARD, t)
            for t in tr:
                prof.observe(REVERSE, t)
    elif adaptive:
        mf, mr = prof.measured(FORWARD), prof.measured(REVERSE)
        if mf is None or mr is None:
            mf = mr = None
    if mf is not None and mr is not None:
        choice, tb, to = (FORWARD, mf, mr) if mf <= mr else (REVERSE, mr, mf)
        basis, why = "measured", ("measured", choice, tb, other_mode(choice), to)
    else:
        choice, tb, to = ((FORWARD, est[FORWARD], est[REVERSE]) if est[FORWARD] <= est[REVERSE]
                          else (REVERSE, est[REVERSE], est[FORWARD]))
        basis, why = "model", ("estimated", choice, tb, other_mode(choice), to)
    name = getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)
    return CostReport(
        function=name, n=n, m=m, k=k,
        forward_passes=math.ceil(n / k) if n else 1, recorded_passes=1,
        reverse_sweeps=math.ceil(m / rows) if rows > 1 else m, sweep_rows=rows,
        work=work, tape_entries=entries, tape_bytes=held, intermediate_bytes=inter,
        est_forward_pass=model.forward_pass(work, k), est_record=model.record(work),
        est_sweep=model.batched_sweep(work, rows) if rows > 1 else model.sweep(work),
        est_forward=est[FORWARD], est_reverse=est[REVERSE],
        measured_forward=mf if measure else None, measured_reverse=mr if measure else None,
        choice=choice, basis=basis, reason=reason_text(why, n, m, k, rows), model=model)
