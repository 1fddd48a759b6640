"""check_grads and the numerical derivatives behind it."""
import collections

import numpy as np
import pytest

import dualad as ad
from dualad.transforms.check import GradCheckError, numerical_hessian_form, numerical_jvp
from known_functions import RNG



def _broken(name, jvp_factor=1.0, vjp_factor=1.0, second_order_ok=True):
    """sin with its rules scaled (a wrong derivative on purpose); with second_order_ok
    False the JVP rule takes the value of cos, so nothing flows at second order."""
    def jvp_rule(tangents, primals, out):
        c = np.cos(primals[0] if second_order_ok else ad.primal(primals[0]))
        return tangents[0] * c * jvp_factor

    def vjp_rule(i, g, primals, out):
        return g * np.cos(primals[0]) * vjp_factor

    return ad.Primitive(name, np.sin, jvp_rule, vjp_rule)


def test_check_grads_passes_on_correct_derivatives_of_containers():
    P2 = collections.namedtuple("P2", "a b")

    def f(p, scale):
        y = np.tanh(p["w"] @ p["v"].a) * scale + p["v"].b ** 2
        return {"y": y, "pair": (np.sum(y ** 2), [np.exp(-scale * p["v"].a)])}

    p = {"w": RNG.normal(size=(2, 3)), "v": P2(RNG.normal(size=3), 0.7)}
    ad.check_grads(f, (p, 1.3), order=2)
    ad.check_grads(f, (p, 1.3), order=1, modes=("forward", "reverse"))
    ad.check_grads(f, [p, 1.3], order=3, modes="rev")
    ad.check_grads(np.sin, 0.5)                 # a single argument need not be a tuple
    ad.check_grads(lambda x: x * x, (3,))       # ints are promoted


@pytest.mark.parametrize("mode, broken, where", [
    ("fwd", dict(jvp_factor=2.0), "forward mode (jvp) of f, order 1"),
    ("rev", dict(vjp_factor=0.5), "reverse mode (vjp) of f, order 1"),
    ("fwd", dict(second_order_ok=False), "forward mode (jvp) of (x -> jvp(f, x, v)[1]), order 2"),
])
def test_check_grads_reports_wrong_derivatives(mode, broken, where):
    prim = _broken("broken_sin", **broken)
    x = np.array([0.3, 1.1, -0.4])
    with pytest.raises(GradCheckError) as ei:
        ad.check_grads(lambda x: prim(x), (x,), order=2, modes=(mode,))
    msg = str(ei.value)
    assert isinstance(ei.value, AssertionError) and isinstance(ei.value, ad.DualadError)
    assert where in msg, msg
    assert "disagrees with central differences" in msg
    assert "abs error" in msg and "rel error" in msg
    if mode == "fwd":
        assert "worst at index" in msg and "expected" in msg and "got" in msg
    else:
        assert "<vjp(u), v>" in msg
    # the other mode is not affected by a broken rule of this one at order 1
    other = "rev" if mode == "fwd" else "fwd"
    ad.check_grads(lambda x: prim(x), (x,), order=1, modes=(other,))


def test_check_grads_rejects_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        ad.check_grads(np.sin, (1.0,), modes=("sideways",))
    with pytest.raises(ValueError, match="order"):
        ad.check_grads(np.sin, (1.0,), order=0)
    with pytest.raises(TypeError):
        ad.check_grads(np.sin, ("abc",))


def test_numerical_jvp_and_second_differences():
    x = np.array([0.2, -0.7, 1.4])
    v = np.array([1.0, 0.5, -2.0])
    # central differences: error ~ h^2/6 |f'''| (1e-11 at h = 2^-17) + round-off 3e-11
    got = numerical_jvp(np.sin, (x,), (v,))
    np.testing.assert_allclose(got, np.cos(x) * v, rtol=0, atol=1e-9)
    # pytree arguments and outputs, explicit step
    got = numerical_jvp(lambda p: {"s": p["a"] * p["b"]}, ({"a": 2.0, "b": x},),
                        ({"a": 1.0, "b": v},), eps=1e-4)
    np.testing.assert_allclose(got["s"], x + 2.0 * v, rtol=0, atol=1e-9)   # bilinear: exact
    # mixed second difference of sin along u, v: -sin(x) u v (error ~ h^2 + eps / h^2)
    u = np.array([0.3, 1.0, 1.0])
    got = numerical_hessian_form(lambda x: np.sin(x), (x,), (u,), (v,))
    np.testing.assert_allclose(got, -np.sin(x) * u * v, rtol=0, atol=1e-6)


def test_check_grads_float32_uses_float32_steps_and_tolerances():
    from dualad.transforms.check import default_eps, default_tolerance
    x = np.linspace(-2, 2, 7).astype(np.float32)
    assert default_eps((x,)) == 2.0 ** -7 and default_tolerance((x,)) == (2e-3, 2e-3)
    assert default_eps((x.astype(np.float64),)) == 2.0 ** -17
    ad.check_grads(lambda x: np.sin(x) * np.exp(x), (x,), order=2)
    with pytest.raises(GradCheckError):
        prim = _broken("broken_sin32", jvp_factor=1.05)
        ad.check_grads(lambda x: prim(x), (x,), order=1, modes="fwd")
