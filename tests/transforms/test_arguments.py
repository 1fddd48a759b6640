"""argnums, has_aux, and containers (dicts, lists, tuples, namedtuples) in and out."""
import collections

import numpy as np
import pytest

import dualad as ad
from known_functions import RNG, X3, assert_concrete
from dualad.core import Box
from dualad.core.tree import flatten, tree_map, unflatten


# ------------------------------------------------------------------------------------
# argnums, has_aux
# ------------------------------------------------------------------------------------
def g3(x, y, z):
    return x * y ** 2 + np.sin(z) * x


def test_argnums_int_and_tuple():
    x, y, z = 1.5, -0.5, 0.25
    assert ad.grad(g3)(x, y, z) == pytest.approx(y ** 2 + np.sin(z), rel=1e-15)
    assert ad.grad(g3, argnums=1)(x, y, z) == pytest.approx(2 * x * y, rel=1e-15)
    assert ad.grad(g3, argnums=-1)(x, y, z) == pytest.approx(np.cos(z) * x, rel=1e-15)
    gs = ad.grad(g3, argnums=(2, 0))(x, y, z)
    assert isinstance(gs, tuple) and len(gs) == 2
    assert gs == pytest.approx((np.cos(z) * x, y ** 2 + np.sin(z)), rel=1e-15)
    one = ad.grad(g3, argnums=(1,))(x, y, z)
    assert isinstance(one, tuple) and len(one) == 1
    for jac in (ad.jacfwd, ad.jacrev, ad.jacobian):
        j = jac(g3, argnums=(0, 2))(x, y, z)
        assert isinstance(j, tuple)
        assert j == pytest.approx((y ** 2 + np.sin(z), np.cos(z) * x), rel=1e-15)


def test_has_aux():
    def f(x):
        return np.sum(x ** 2), {"norm1": np.sum(np.abs(x)), "n": 3}

    g, aux = ad.grad(f, has_aux=True)(X3)
    np.testing.assert_allclose(g, 2 * X3, rtol=1e-15)
    assert aux["n"] == 3 and aux["norm1"] == pytest.approx(np.sum(np.abs(X3)))
    assert_concrete(aux["norm1"])
    (val, aux2), g2 = ad.value_and_grad(f, has_aux=True)(X3)
    assert val == np.sum(X3 ** 2) and aux2["norm1"] == aux["norm1"]
    np.testing.assert_array_equal(g2, g)

    def h(x):
        return x * 2.0, np.sum(x)

    for jac in (ad.jacfwd, ad.jacrev):
        J, a = jac(h, has_aux=True)(X3)
        np.testing.assert_array_equal(J, 2 * np.eye(3))
        assert a == pytest.approx(np.sum(X3)) and not isinstance(a, Box)
    out, vjp_fn, a = ad.vjp(h, X3, has_aux=True)
    np.testing.assert_array_equal(vjp_fn(np.ones(3))[0], [2.0, 2.0, 2.0])
    out, t, a = ad.jvp(h, (X3,), (np.ones(3),), has_aux=True)
    np.testing.assert_array_equal(t, [2.0, 2.0, 2.0])
    assert a == pytest.approx(np.sum(X3)) and not isinstance(a, Box)


# ------------------------------------------------------------------------------------
# Containers in and out
# ------------------------------------------------------------------------------------
Params = collections.namedtuple("Params", "w b")


def container_f(p):
    """p = {"layer": Params(w, b), "scales": [s0, s1], "pair": (u, v)} -> a nested output."""
    w, b = p["layer"]
    s0, s1 = p["scales"]
    u, v = p["pair"]
    y = w @ u + b
    return {"y": y * s0, "stats": (np.sum(y ** 2) * s1, [u * v])}


def make_params():
    return {"layer": Params(RNG.normal(size=(2, 3)), RNG.normal(size=2)),
            "scales": [1.5, -0.5], "pair": (RNG.normal(size=3), 0.7)}


def _loss(p):
    out = container_f(p)
    return np.sum(out["y"]) + out["stats"][0] + np.sum(out["stats"][1][0])


def test_grad_of_containers_keeps_structure():
    p = make_params()
    g = ad.grad(_loss)(p)
    assert set(g) == {"layer", "scales", "pair"}
    assert isinstance(g["layer"], Params) and isinstance(g["scales"], list)
    assert isinstance(g["pair"], tuple) and not isinstance(g["pair"], Params)
    assert g["layer"].w.shape == (2, 3) and g["layer"].b.shape == (2,)
    assert isinstance(g["scales"][0], float) and isinstance(g["pair"][1], float)
    # the same numbers from forward mode, one leaf direction at a time
    leaves, treedef = flatten(p)
    gleaves = flatten(g)[0]
    for i, leaf in enumerate(leaves):
        for j in range(np.size(leaf)):
            tan = [np.zeros(np.shape(x)) for x in leaves]
            tan[i].flat[j] = 1.0
            tan = [t if np.ndim(x) else float(t) for t, x in zip(tan, leaves)]
            d = ad.jvp(_loss, (p,), (unflatten(treedef, tan),))[1]
            assert np.ravel(gleaves[i])[j] == pytest.approx(d, rel=1e-13, abs=1e-14)


def test_jacobians_of_containers():
    p = make_params()
    out = container_f(p)
    for jac in (ad.jacfwd, ad.jacrev):
        J = jac(container_f)(p)
        assert set(J) == {"y", "stats"}
        assert isinstance(J["stats"], tuple) and isinstance(J["stats"][1], list)
        # every block has shape out.shape + in.shape
        Jyw = J["y"]["layer"].w
        assert Jyw.shape == out["y"].shape + p["layer"].w.shape
        assert J["stats"][1][0]["pair"][0].shape == (3, 3)
        assert np.shape(J["stats"][0]["scales"][1]) == ()
        # d y_i / d w_jk = s0 * delta_ij * u_k
        want = np.einsum("ij,k->ijk", np.eye(2), p["pair"][0]) * p["scales"][0]
        np.testing.assert_allclose(Jyw, want, rtol=1e-14)
    zeros = tree_map(lambda x: np.zeros_like(x) if np.ndim(x) else 0.0, p)
    out2, t = ad.jvp(container_f, (p,), (zeros,))
    assert set(t) == {"y", "stats"} and isinstance(t["stats"][1], list)
    assert all(not np.any(leaf) for leaf in flatten(t)[0])
    np.testing.assert_array_equal(out2["y"], out["y"])


def test_vjp_with_container_output():
    p = make_params()
    out, vjp_fn = ad.vjp(container_f, p)
    ct = {"y": np.ones(2), "stats": (1.0, [np.ones(3)])}
    (g,) = vjp_fn(ct)
    ref = ad.grad(_loss)(p)
    for a, b in zip(flatten(g)[0], flatten(ref)[0]):
        np.testing.assert_allclose(a, b, rtol=1e-14)
