"""Issue 12, item 7: every composition of jvp / vjp / grad / jacfwd / jacrev / hessian
whose primals, tangents or cotangents are themselves traced by an outer derivative, for
every kind of value (Python float, NumPy float64, 0-d and n-d arrays, containers). Each
outer derivative is checked against central differences of the composed function."""
import numpy as np
import pytest

import dualad as ad
from dualad.core.tree import flatten, unflatten

KINDS = {
    "float": 0.7,
    "float64": np.float64(0.7),
    "0-d": np.array(0.7),
    "n-d": np.array([0.7, -0.4, 1.3]),
    "tuple": (0.7, np.array([-0.4, 1.3])),
    "dict": {"a": np.array([[0.7, -0.4]]), "b": np.float64(1.3)},
}


def tmap(fn, tree):
    leaves, treedef = flatten(tree)
    return unflatten(treedef, [fn(v) for v in leaves])


def f(z):
    """A nonlinear map of any structure onto the same structure."""
    return tmap(lambda v: np.sin(v) * v + v ** 3, z)


def fs(z):
    """A scalar function of any structure."""
    return sum(np.sum(np.cos(v) * v * v) for v in flatten(z)[0])


def reduce(out):
    """Every leaf of any result, combined nonlinearly into one float."""
    return sum(np.sum(np.sin(v) + 0.3 * v * v) for v in flatten(out)[0])


def _fixed(z, scale):
    return tmap(lambda v: v * scale + 0.1, z)


# inner(s, z): the inner transform with s in one role, z a plain value of s's structure
INNER = {
    "jvp primal": lambda s, z: ad.jvp(f, (s,), (_fixed(z, 0.5),))[1],
    "jvp tangent": lambda s, z: ad.jvp(f, (_fixed(z, 0.5),), (s,))[1],
    "jvp both": lambda s, z: ad.jvp(f, (s,), (s,))[1],
    "vjp primal": lambda s, z: ad.vjp(f, s)[1](_fixed(z, -0.3))[0],
    "vjp cotangent": lambda s, z: ad.vjp(f, _fixed(z, 0.5))[1](s)[0],
    "grad": lambda s, z: ad.grad(fs)(s),
    "jacfwd": lambda s, z: ad.jacfwd(f)(s),
    "jacrev": lambda s, z: ad.jacrev(f)(s),
    "hessian": lambda s, z: ad.hessian(fs)(s),
    "hvp": lambda s, z: ad.hvp(fs, (s,), (_fixed(z, 0.5),)),
}


def _gradient(outer, h, s):
    if outer == "grad":
        return ad.grad(h)(s)
    if outer == "jacfwd":
        return ad.jacfwd(h)(s)
    if outer == "jacrev":
        return ad.jacrev(h)(s)
    if outer == "vjp":
        return ad.vjp(h, s)[1](1.0)[0]
    raise AssertionError(outer)


def _central(h, s, eps=1e-5):
    leaves, treedef = flatten(s)
    grads = []
    for i, v in enumerate(leaves):
        a = np.array(v, dtype=float)
        g = np.zeros(a.shape)
        for idx in np.ndindex(a.shape):
            def at(d):
                b = a.copy()
                b[idx] += d
                new = list(leaves)
                new[i] = type(v)(b) if isinstance(v, (float, np.float64)) else b
                return h(unflatten(treedef, new))
            g[idx] = (at(eps) - at(-eps)) / (2 * eps)
        grads.append(g)
    return grads


def _tolerance(s):
    return 1e-6 * max(1.0, max(np.max(np.abs(v)) for v in flatten(s)[0]))


@pytest.mark.parametrize("outer", ["grad", "jacfwd", "jacrev", "vjp", "jvp"])
@pytest.mark.parametrize("inner", list(INNER))
@pytest.mark.parametrize("kind", list(KINDS))
def test_outer_of_inner_with_traced_roles(outer, inner, kind):
    s = KINDS[kind]
    h = lambda s: reduce(INNER[inner](s, KINDS[kind]))   # noqa: E731
    want = _central(h, s)
    if outer == "jvp":
        # directional derivatives along each unit vector, by forward mode outside
        leaves, treedef = flatten(s)
        got = []
        for i, v in enumerate(leaves):
            col = np.zeros(np.shape(v))
            for idx in np.ndindex(np.shape(v)):
                unit = [np.zeros(np.shape(u)) if np.ndim(u) else 0.0 for u in leaves]
                e = np.zeros(np.shape(v))
                e[idx] = 1.0
                unit[i] = e if np.ndim(v) else 1.0
                col[idx] = ad.jvp(h, (s,), (unflatten(treedef, unit),))[1]
            got.append(col)
    else:
        got = [np.asarray(g, dtype=float) for g in flatten(_gradient(outer, h, s))[0]]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=_tolerance(s))
