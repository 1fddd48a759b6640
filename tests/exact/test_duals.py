"""Issue 12, item 6: hand-made Duals never depend on process history; float64 tangents
stay float64; bad tangents are refused."""
import numpy as np
import pytest

import dualad as ad
from dualad import Dual


def D(f):
    """The derivative of f by a hand-made Dual."""
    return lambda x: f(Dual(x, 1.0)).tangent


@pytest.mark.parametrize("made_before", [0, 1, 3])
def test_nested_hand_made_duals_do_not_mix(made_before):
    for _ in range(made_before):        # earlier Duals change nothing
        Dual(1.0, 1.0) * Dual(2.0, 1.0)
    assert D(lambda x: x * D(lambda y: x + y)(1.0))(1.0) == 1.0
    # d/dx [x * d/dy (x * y)] = d/dx x^2 = 2x
    assert D(lambda x: x * D(lambda y: x * y)(2.0))(3.0) == 6.0
    # third order by hand: d^3/dx^3 x^4 = 24 x
    assert D(lambda a: D(lambda b: D(lambda c: c ** 4)(b))(a))(0.5) == pytest.approx(12.0)


@pytest.mark.parametrize("made_before", [0, 2])
def test_dual_of_a_traced_value(made_before):
    for _ in range(made_before):
        Dual(np.ones(2), np.ones(2))
    square_slope = lambda x: (Dual(x, 1.0) ** 2).tangent     # noqa: E731  2x
    assert ad.jvp(square_slope, (3.0,), (1.0,)) == (6.0, 2.0)
    assert ad.grad(square_slope)(3.0) == 2.0
    # d^2/dx^2 of d/dx x^3 = 3 x^2 is 6
    assert ad.hessian(lambda x: (Dual(x, 1.0) ** 3).tangent)(2.0) == pytest.approx(6.0)


def test_tag_joins_a_perturbation():
    x = Dual(1.5, 1.0)
    y = Dual(2.0, 0.0, tag=x)
    z = Dual(2.0, 1.0, tag=x)
    assert (x * y).tangent == 2.0 and (x * z).tangent == 3.5
    with pytest.raises(TypeError, match="tag"):
        Dual(1.0, 1.0, tag=3.0)
    with pytest.raises(TypeError, match="tag"):
        Dual(np.ones(2), np.ones((3, 2)), tag=x)     # three directions, x has one


def test_tangents_keep_the_primal_precision():
    t = Dual(2.0, 1 / 3).tangent
    assert t.dtype == np.float64 and t == 1 / 3
    assert Dual(np.float32(2.0), 1 / 3).tangent.dtype == np.float32
    assert Dual(np.ones(2, np.float32), np.ones(2)).tangent.dtype == np.float32
    d = np.exp(Dual(0.3, 1 / 3))
    assert abs(d.tangent - np.exp(0.3) / 3) <= 1e-16


@pytest.mark.parametrize("bad", [None, "a", object(), [1.0, None]])
def test_bad_tangents_are_refused(bad):
    with pytest.raises(TypeError, match="tangent must be a number"):
        Dual(1.0 if not isinstance(bad, list) else np.ones(2), bad)


def test_complex_tangent_of_a_real_primal_is_refused():
    with pytest.raises(TypeError, match="imaginary"):
        Dual(1.0, 1j)
    assert Dual(1.0 + 0j, 1j).tangent == 1j
