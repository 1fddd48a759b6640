"""A million chained operations, threads computing different gradients at once, and a
SciPy optimiser driven by dualad's derivatives."""
import math
import threading

import numpy as np
import pytest

import dualad as ad
from known_functions import rosenbrock


# ------------------------------------------------------------------------------------
# Depth, threads, an optimiser
# ------------------------------------------------------------------------------------
def test_gradient_of_a_million_chained_operations():
    n = 250_000   # 4 primitives per step: 10^6 operations on the tape

    def f(x):
        for _ in range(n):
            x = x * 0.999999 + 1e-7 * np.sin(x)
        return x

    x0 = 0.5
    g = ad.grad(f)(x0)
    # the chain rule, iterated in plain floats: d x_{k+1} / d x_k = 0.999999 + 1e-7 cos x_k
    x, d = x0, 1.0
    for _ in range(n):
        d *= 0.999999 + 1e-7 * math.cos(x)
        x = x * 0.999999 + 1e-7 * math.sin(x)
    assert g == pytest.approx(d, rel=1e-10)


def test_threads_compute_different_gradients_at_once():
    n_threads = 8
    barrier = threading.Barrier(n_threads)
    results, errors = {}, []

    def work(k):
        try:
            x = np.linspace(-1.0, 1.0, 50) * (k + 1)

            def f(x):
                barrier.wait(timeout=30)      # every thread is mid-trace at once
                y = x
                for _ in range(200):
                    y = np.sin(y) * (1.0 + 0.01 * k)
                return np.sum(y * x ** 2)

            results[k] = (x, ad.grad(f)(x), ad.jacfwd(lambda x: np.sin(x) * k)(x[:3]))
        except BaseException as e:   # noqa: BLE001  (reported below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for k in range(n_threads):
        x, g, J = results[k]

        def f_plain(x, k=k):
            y = x
            for _ in range(200):
                y = np.sin(y) * (1.0 + 0.01 * k)
            return np.sum(y * x ** 2)

        # forward mode, one direction at a time, in this thread
        want = np.array([ad.jvp(f_plain, (x,), (e,))[1] for e in np.eye(len(x))])
        np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(J, np.diag(np.cos(x[:3]) * k), rtol=1e-15)


def test_scipy_trust_ncg_solves_rosenbrock_50():
    optimize = pytest.importorskip("scipy.optimize")
    x0 = np.full(50, -1.2)
    x0[1::2] = 1.0

    def hessp(x, p):
        return ad.hvp(rosenbrock, (x,), (p,))

    res = optimize.minimize(rosenbrock, x0, jac=ad.grad(rosenbrock), hessp=hessp,
                            method="trust-ncg", options={"gtol": 1e-8, "maxiter": 500})
    assert res.success, res.message
    np.testing.assert_allclose(res.x, np.ones(50), atol=1e-6)
    assert res.fun < 1e-12
