"""Issue 12, items 1, 5 and the transform part of 9: copies of traced values carry the
derivative; repeated argnums each get the derivative; keyword arguments pass through
undifferentiated; containers come back as their own type; misuse gets dualad's message."""
import collections
import copy
import types

import numpy as np
import pytest

import dualad as ad

X = np.array([0.5, -1.5, 2.0])

COPIES = [
    ("deepcopy", lambda x: np.sum(copy.deepcopy(x) * x)),
    ("copy", lambda x: np.sum(copy.copy(x) * x)),
    ("deepcopy of a list", lambda x: np.sum(copy.deepcopy([x, 2.0])[0] ** 2)),
    ("deepcopy of a dict", lambda x: np.sum(copy.deepcopy({"p": x})["p"] ** 2)),
    ("copy of a derived value", lambda x: np.sum(copy.copy(np.sin(x)) * x)),
]


@pytest.mark.parametrize("name,f", COPIES, ids=[c[0] for c in COPIES])
def test_a_copy_is_the_same_value(name, f):
    want = {"copy of a derived value": np.cos(X) * X + np.sin(X)}.get(name, 2.0 * X)
    np.testing.assert_allclose(ad.grad(f)(X), want, rtol=1e-14)
    np.testing.assert_allclose(ad.jacfwd(f)(X), want, rtol=1e-14)
    # second order: the Hessian of sum(x * x) is 2 I
    if name != "copy of a derived value":
        np.testing.assert_allclose(ad.hessian(f)(X), 2.0 * np.eye(3), rtol=1e-14)


def test_copy_of_scalar_tracer_and_dual():
    assert ad.grad(lambda x: copy.deepcopy(x) * x)(1.5) == 3.0
    assert ad.jvp(lambda x: copy.copy(x) * x, (1.5,), (1.0,))[1] == 3.0
    d = ad.Dual(2.0, 1.0)
    c = copy.deepcopy(d)
    assert c is not d and c.primal == 2.0 and c.tangent == 1.0


def test_repeated_argnums_each_get_the_derivative():
    f = lambda x, y: x * y * y           # noqa: E731
    assert ad.grad(f, argnums=(1, 1))(1.0, 2.0) == (4.0, 4.0)
    assert ad.grad(f, argnums=(1, 0, 1))(1.0, 2.0) == (4.0, 4.0, 4.0)
    jf = ad.jacfwd(f, argnums=(0, 0))(1.0, 2.0)
    jr = ad.jacrev(f, argnums=(0, 0))(1.0, 2.0)
    assert [float(v) for v in jf] == [4.0, 4.0] == [float(v) for v in jr]


@pytest.mark.parametrize("transform", ["grad", "jacfwd", "jacrev", "hessian", "jacobian",
                                       "value_and_grad"])
def test_keyword_arguments_pass_through(transform):
    f = lambda x, scale=1.0: np.sum(scale * x ** 3)   # noqa: E731
    got = getattr(ad, transform)(f)(X, scale=2.0)
    want = {"grad": 6.0 * X ** 2, "jacfwd": 6.0 * X ** 2, "jacrev": 6.0 * X ** 2,
            "jacobian": 6.0 * X ** 2, "hessian": np.diag(12.0 * X)}.get(transform)
    if transform == "value_and_grad":
        assert got[0] == pytest.approx(np.sum(2.0 * X ** 3))
        got, want = got[1], 6.0 * X ** 2
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_mappings_come_back_as_their_own_type():
    d = collections.defaultdict(float, b=1.0, a=2.0)
    g = ad.grad(lambda d: d["a"] * d["b"])(d)
    assert type(g) is collections.defaultdict and g.default_factory is float
    assert g == {"a": 1.0, "b": 2.0}
    o = collections.OrderedDict([("z", 1.0), ("a", 2.0)])
    g = ad.grad(lambda d: d["a"] * d["z"])(o)
    assert type(g) is collections.OrderedDict and list(g) == ["z", "a"]
    assert dict(g) == {"z": 2.0, "a": 1.0}
    # a mapping that cannot be built from a dict comes back as a dict
    g = ad.grad(lambda d: d["a"] * 3.0)(types.MappingProxyType({"a": 1.0}))
    assert g == {"a": 3.0}
    p, t = ad.jvp(lambda d: d["a"] * 2.0, (o,), (o,))
    assert (p, t) == (4.0, 4.0)


@pytest.mark.parametrize("argnums", [0.5, "0", None, True, (0, 1.0)])
def test_bad_argnums_get_a_clear_message(argnums):
    with pytest.raises(TypeError, match="argnums must be an int or a tuple of ints"):
        ad.grad(lambda x, y: x * y, argnums=argnums)(1.0, 2.0)


@pytest.mark.parametrize("transform", ["grad", "jacfwd", "jacrev", "hessian", "jacobian",
                                       "value_and_grad"])
def test_transform_of_a_non_function(transform):
    with pytest.raises(TypeError, match=rf"{transform}\(f\) expects a function"):
        getattr(ad, transform)(3)
