"""Forward or reverse? ``jacobian(mode="auto")``, the learning behind it, and ``explain``.

For f: R^n -> R^m, forward mode needs ceil(n/k) passes of k directions each, reverse mode
one recorded pass and backward sweeps: ceil(m/k) sweeps of k rows each on array code (the
cotangents are Duals with k directions, see ``sweep_rows``), m sweeps of one row on
scalar code. Which is cheaper depends on n and m, and on what one pass of each kind costs
for this function on this machine.

What auto does
--------------
1. The first call discovers m with a pass whose work is kept:

   - n <= k: one forward pass with all n directions. It *is* the whole Jacobian, so
     nothing is thrown away whatever m turns out to be.
   - n > k: the recorded pass of reverse mode. It tells m and the function's work (how
     many primitives, elements and multiply-adds), from which the cost model estimates
     both modes. If reverse wins, the tape is swept (m rows); if forward wins, forward
     mode runs and the recorded pass is the only work thrown away.

2. Later calls on inputs of the same shapes plan straight away from what the first call
   learnt (m and the work): no discovery pass at all. Each call times the mode it runs,
   and measured times replace the model's estimates. When the evidence (the model, or a
   first, perhaps cold, timing) puts the other mode within a factor of 2 to 4, the other
   mode is timed too: by running it when one pass of it is the whole Jacobian (forward
   with n <= k, reverse with m = 1), else by a probe on the side -- one forward pass of
   k directions, or the recorded pass and one sweep -- scaled to the whole Jacobian.
   A mode the model puts close but a few timings do not is timed a few more times,
   spread out (a cold start can slow the first calls of a function). While the two are close by measurement the other mode is re-timed after 2, 4,
   8, ... calls, then every ``STALE`` calls, each time after an untimed run, so that
   neither a cold start nor a lucky timing decides for long: close calls rest on recent,
   warm measurements of this function, not on the model.

Why the recorded pass first when n > k: if that guess is wrong, what is thrown away is
one plain pass with a tape; a forward pass of 64 directions, the other candidate, costs
more, and would be thrown away when reverse wins.

The cost model (``CostModel``) has a few constants in seconds per unit of work (per
pass, per primitive, per element, per multiply-add, for each kind of pass), fitted once
per process by a tiny benchmark (``calibrate``, about 70 ms) and cached
(``machine_model``). Inside ``with fixed_model(model):`` auto decides from that model
alone: no timing and no learning, so its choices are deterministic (the tests use this).

``explain(f, x)`` prints (and returns as a ``CostReport``) n, m, the passes each mode
needs, their estimated (and with ``measure=True`` measured) times, the memory the tape of
reverse mode holds, and the choice with its reason.
"""
from ..cost import CostModel
from .choose import auto_jacobian, jacobian
from .crossover import JAC_SWEEP, SweepRow, crossover_sweep, sweep_function, time_side_by_side
from .machine import calibrate, fixed_model, machine_model
from .policy import Decision, Profile
from .report import CostReport, explain
