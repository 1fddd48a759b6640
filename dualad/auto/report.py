"""``explain(f, x)``: n, m, the passes of each mode, their estimated (and measured)
times, the tape's memory, and the choice with its reason."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

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
    """The cost of a Jacobian of f at one point, by either mode (what ``explain`` returns).

    Fields give n, m, the directions per forward pass (k), the passes and sweeps each mode
    needs, the work per pass, the tape's size and memory, the estimated and measured times
    in seconds, and the ``choice`` (``"forward"`` or ``"reverse"``) with its ``basis`` and
    ``reason``. ``str(report)`` is a table.

    Examples:
        >>> model = ad.CostModel.default()
        >>> r = ad.explain(lambda x: np.tanh(x[:2]), np.ones(200), model=model)
        >>> r.forward_passes, r.recorded_passes, r.choice
        (4, 1, 'reverse')
    """

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
    measured_forward: float | None = None
    measured_reverse: float | None = None
    choice: str = ""
    basis: str = ""
    reason: str = ""
    model: CostModel | None = field(default=None, repr=False)
    sweep_rows: int = 1         # Jacobian rows per backward sweep

    @property
    def forward_text(self) -> str:
        return passes_text(FORWARD, self.n, self.m, self.k)

    @property
    def reverse_text(self) -> str:
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


def explain(f: Callable[..., Any], *args: Any, argnums: int | Sequence[int] = 0,
            has_aux: bool = False, measure: bool = False, repeat: int = 5,
            model: CostModel | None = None) -> CostReport:
    """Which mode ``jacobian(f, mode="auto")`` settles on at ``args``, and why.

    ``f`` runs once on a tape, which gives m, the work per pass and the memory the tape
    holds; the estimates come from ``model`` (default: this machine's calibrated model, or
    the one of an enclosing ``fixed_model``). With ``measure=True`` both modes are also timed
    and the choice follows the measurements.

    Args:
        f: The function.
        *args: Its positional arguments.
        argnums: The argument(s) the Jacobian is taken with respect to.
        has_aux: If True, ``f`` returns ``(output, aux)``.
        measure: Time both modes (medians of ``repeat`` interleaved runs).
        repeat: Timed runs per mode with ``measure``.
        model: The ``CostModel`` to estimate with.

    Returns:
        A ``CostReport``: n, m, passes per mode, estimates, measurements, tape memory, the
        choice and its reason; ``print`` it for a table.

    Examples:
        >>> report = ad.explain(lambda x: np.sin(x), np.ones(3), model=ad.CostModel.default())
        >>> report.n, report.m, report.choice
        (3, 3, 'forward')
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
        tf: list[float] = []
        tr: list[float] = []
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
