"""Functions with known derivatives, shared by the transform tests."""
import numpy as np

from dualad.core import Box
from dualad.core.tree import flatten

RNG = np.random.default_rng(20240611)


def f_mix(x):
    """R^3 -> R^2, with known Jacobian."""
    return np.stack([x[0] * x[1] + np.sin(x[2]), np.exp(x[0]) * x[2] ** 2])


def f_mix_jac(x):
    return np.array([[x[1], x[0], np.cos(x[2])],
                     [np.exp(x[0]) * x[2] ** 2, 0.0, 2 * np.exp(x[0]) * x[2]]])


def scalar_f(x):
    return np.sum(np.sin(x) * x ** 2)


def scalar_grad(x):
    return np.cos(x) * x ** 2 + 2 * x * np.sin(x)


def scalar_hess(x):
    return np.diag(-np.sin(x) * x ** 2 + 4 * x * np.cos(x) + 2 * np.sin(x))


X3 = np.array([0.3, -1.2, 0.7])


def assert_concrete(tree):
    """Every leaf is a plain ndarray or Python float (never a Dual/Tracer)."""
    leaves = flatten(tree)[0]
    assert leaves
    for leaf in leaves:
        assert not isinstance(leaf, Box), type(leaf)
        assert isinstance(leaf, (np.ndarray, float)), type(leaf)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_residuals(x):
    return np.concatenate([10.0 * (x[1:] - x[:-1] ** 2), 1.0 - x[:-1]])


def rosenbrock_grad(x):
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


def rosenbrock_hess(x):
    n = len(x)
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        H[i, i + 1] = H[i + 1, i] = -400.0 * x[i]
        H[i + 1, i + 1] += 200.0
    return H
