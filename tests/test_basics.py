"""First checks of both modes on small functions with known derivatives."""
import numpy as np
import pytest

import dualad as ad


def test_seed_f_symbolic_agrees():
    # symbolic and automatic agree: d/dx (x^3 + sin 2x) = 3x^2 + 2 cos 2x
    f = lambda x: x ** 3 + np.sin(2 * x)
    for x in np.linspace(-2, 2, 9):
        want = 3 * x ** 2 + 2 * np.cos(2 * x)
        assert ad.grad(f)(float(x)) == pytest.approx(want, rel=1e-14, abs=1e-14)
        assert ad.jvp(f, (float(x),), (1.0,))[1] == pytest.approx(want, rel=1e-14, abs=1e-14)


def test_perturbation_confusion_forward():
    D = lambda f: (lambda x: ad.jvp(f, (x,), (1.0,))[1])
    for x in (0.0, 1.5, -3.0):
        assert D(lambda x: x * D(lambda y: x + y)(1.0))(x) == 1.0


def test_perturbation_confusion_reverse():
    for x in (0.5, 2.0):
        assert ad.grad(lambda x: x * ad.grad(lambda y: x * y)(x))(x) == pytest.approx(2 * x)
