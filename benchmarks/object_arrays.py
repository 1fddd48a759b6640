"""What arrays built from traced values cost: ``python -m benchmarks.object_arrays``.

Right-hand sides written with ``np.array([...])``, ``np.stack`` and ``np.zeros_like`` +
item assignment (Robertson's kinetics), and a library function that converts its whole
input with ``np.asarray`` (``scipy.optimize.rosen``, NumPy's object loops: a Python
operation per element) against the same sum written vectorized. Best of several timed
rounds, in microseconds (docs/ARCHITECTURE.md quotes the ratios).
"""
import time

import numpy as np

import dualad as ad

K1, K2, K3 = 0.04, 3e7, 1e4


def robertson_array(y):
    y1, y2, y3 = y
    return np.array([-K1 * y1 + K3 * y2 * y3, K1 * y1 - K3 * y2 * y3 - K2 * y2 ** 2,
                     K2 * y2 ** 2])


def robertson_stack(y):
    y1, y2, y3 = y[0], y[1], y[2]
    return np.stack([-K1 * y1 + K3 * y2 * y3, K1 * y1 - K3 * y2 * y3 - K2 * y2 ** 2,
                     K2 * y2 ** 2])


def robertson_assign(y):
    dydt = np.zeros_like(y)
    dydt[0] = -K1 * y[0] + K3 * y[1] * y[2]
    dydt[1] = K1 * y[0] - K3 * y[1] * y[2] - K2 * y[1] ** 2
    dydt[2] = K2 * y[1] ** 2
    return dydt


def rosen_vectorized(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2.0) ** 2.0 + (1 - x[:-1]) ** 2.0)


def best(f, rounds=7, budget=0.15):
    """Microseconds per call: the best of ``rounds`` rounds of ``budget`` seconds."""
    f()
    times = []
    for _ in range(rounds):
        k, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < budget:
            f()
            k += 1
        times.append((time.perf_counter() - t0) / k)
    return min(times) * 1e6


def main(sizes=(10, 100, 1000)):
    import scipy.optimize
    y = np.array([0.9, 3e-5, 0.1])
    print("| Robertson right-hand side | jacfwd us | jacrev us |\n|---|---|---|")
    for name, rhs in [("np.stack", robertson_stack), ("np.array([...])", robertson_array),
                      ("np.zeros_like + item assignment", robertson_assign)]:
        print(f"| {name} | {best(lambda: ad.jacfwd(rhs)(y)):.0f} | "
              f"{best(lambda: ad.jacrev(rhs)(y)):.0f} |")
    print("\n| n | grad vectorized us | grad scipy.optimize.rosen us | ratio | "
          "jacfwd vectorized us | jacfwd rosen us | ratio |\n|---|---|---|---|---|---|---|")
    for n in sizes:
        x = np.linspace(-1.0, 1.0, n)
        gv = best(lambda: ad.grad(rosen_vectorized)(x))
        go = best(lambda: ad.grad(scipy.optimize.rosen)(x))
        fv = best(lambda: ad.jacfwd(rosen_vectorized)(x), rounds=3)
        fo = best(lambda: ad.jacfwd(scipy.optimize.rosen)(x), rounds=3, budget=0.05)
        print(f"| {n} | {gv:.0f} | {go:.0f} | {go / gv:.1f} | {fv:.0f} | {fo:.0f} | "
              f"{fo / fv:.1f} |")


if __name__ == "__main__":
    main()
