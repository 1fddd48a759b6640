"""The cost model: seconds per unit of work for each kind of pass, on one machine, and
how many Jacobian rows one backward sweep carries (``sweep_rows``)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from .work import Work

FORWARD, REVERSE = "forward", "reverse"

#: Directions per forward pass (jacfwd) and rows per batched backward sweep (jacrev).
DEFAULT_CHUNK = 64


# ------------------------------------------------------------------------------------
# The cost model
# ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CostModel:
    """Seconds per unit of work for each kind of pass, on one machine.

    ``jacobian(mode="auto")`` and ``explain`` estimate each mode as a sum of these constants
    times the function's counted work (passes, primitives, scalar operations, elements,
    multiply-adds). ``CostModel.default()`` holds constants measured on the development
    machine; each process calibrates its own on first use of auto.

    Examples:
        >>> model = ad.CostModel.default()
        >>> model.source
        'default'
    """

    fwd_pass: float = 50e-6
    fwd_op: float = 9e-6
    rec_pass: float = 22e-6
    rec_op: float = 5e-6
    rec_scalar: float = 1.2e-6
    sweep_pass: float = 35e-6
    sweep_op: float = 3.8e-6
    sweep_scalar: float = 4e-8
    element: float = 1e-9
    tangent: float = 0.5e-9
    sweep_element: float = 0.4e-9
    bsweep_pass: float = 55e-6
    bsweep_op: float = 9.5e-6
    bsweep_scalar: float = 7e-6
    flop: float = 0.3e-9
    tangent_flop: float = 0.22e-9
    source: str = "default"

    @classmethod
    def default(cls) -> CostModel:
        """Constants calibrated on the 2-core development machine (medians of five
        ``calibrate()`` runs), rounded: a fixed, timing-free model."""
        return cls()

    # --- estimates -------------------------------------------------------------------
    def forward_pass(self, w: Work, k: int) -> float:
        return (self.fwd_pass + (w.ops + w.scalar_ops) * self.fwd_op
                + w.elements * (self.element + k * self.tangent)
                + w.flops * (self.flop + k * self.tangent_flop))

    def record(self, w: Work) -> float:
        return (self.rec_pass + w.ops * self.rec_op + w.scalar_ops * self.rec_scalar
                + w.elements * self.element + w.flops * self.flop)

    def sweep(self, w: Work) -> float:
        return (self.sweep_pass + w.ops * self.sweep_op + w.scalar_ops * self.sweep_scalar
                + w.elements * self.sweep_element + w.flops * self.flop)

    def batched_sweep(self, w: Work, k: int) -> float:
        """One backward sweep computing k rows of the Jacobian (``sweep_rows``)."""
        return (self.bsweep_pass + w.ops * self.bsweep_op
                + (w.scalar_ops + w.gathered) * self.bsweep_scalar
                + w.elements * (self.sweep_element + k * self.tangent)
                + w.flops * (self.flop + k * self.tangent_flop))

    def forward(self, w: Work, n: int, k: int) -> float:
        """All ceil(n/k) forward passes (the last one with the remaining directions)."""
        if n <= 0:
            return self.forward_pass(w, 0)
        full, rest = divmod(n, k)
        return full * self.forward_pass(w, k) + (self.forward_pass(w, rest) if rest else 0.0)

    def reverse(self, w: Work, m: int) -> float:
        """The recorded pass and the sweeps jacrev runs: m single rows, or ceil(m / rows)
        sweeps of ``rows = sweep_rows(w, m)`` rows each."""
        rows = sweep_rows(w, m)
        if rows <= 1:
            return self.record(w) + m * self.sweep(w)
        full, rest = divmod(m, rows)
        return (self.record(w) + full * self.batched_sweep(w, rows)
                + (self.batched_sweep(w, rest) if rest else 0.0))

    def estimates(self, w: Work, n: int, m: int, k: int) -> dict[str, float]:
        """{mode: estimated seconds for the whole Jacobian}."""
        return {FORWARD: self.forward(w, n, k), REVERSE: self.reverse(w, m)}

    def __str__(self):
        us, ns = 1e6, 1e9
        return (f"CostModel ({self.source}): forward pass {self.fwd_pass * us:.1f} us"
                f" + {self.fwd_op * us:.2f} us/primitive + {self.tangent * ns:.2f} ns/tangent"
                f" element; recorded pass {self.rec_pass * us:.1f} us + "
                f"{self.rec_op * us:.2f} us/primitive ({self.rec_scalar * us:.2f} us/scalar"
                f" op); sweep {self.sweep_pass * us:.1f} us + {self.sweep_op * us:.2f} "
                f"us/primitive ({self.sweep_scalar * ns:.0f} ns/scalar op); batched sweep "
                f"{self.bsweep_pass * us:.1f} us + {self.bsweep_op * us:.2f} us/primitive "
                f"({self.bsweep_scalar * us:.2f} us/scalar op); "
                f"{self.element * ns:.2f} ns/element, {self.flop * ns:.2f} ns/multiply-add "
                f"({self.tangent_flop * ns:.2f} ns per direction in forward mode)")


DEFAULT_MODEL = CostModel()


def sweep_rows(w, m, k=None):
    """Rows of the Jacobian per backward sweep in reverse mode: min(m, k) at once, or 1.

    A sweep of k rows seeds Dual cotangents with k directions, so every VJP rule runs
    under forward mode: array entries cost a few times more but serve k rows (a matrix
    product folds them into one GEMM); scalar entries and gathered elements cost some 10
    us each instead of the tens of nanoseconds of the numba kernel of a plain sweep. The
    choice compares the two by the entry counts of ``w`` under the default model (fixed,
    so jacrev does the same on every machine); elements and multiply-adds cost about the
    same either way and are left out.
    """
    if m < 2:
        return 1
    k = min(m, k or DEFAULT_CHUNK)
    counts = Work(ops=w.ops, scalar_ops=w.scalar_ops, gathered=w.gathered)
    model = DEFAULT_MODEL
    batched = math.ceil(m / k) * model.batched_sweep(counts, k)
    return k if batched < m * model.sweep(counts) else 1
