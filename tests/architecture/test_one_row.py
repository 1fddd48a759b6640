"""Adding an operation touches one place: a throwaway row, declared once, is picked up by
forward mode, reverse mode (generic and scalar entries), the numba kernels, the cost
model and sparsity detection, with nothing registered anywhere else."""
import math

import numpy as np
import pytest

import dualad as ad
from dualad import rules
from dualad.accel import kernels as K
from dualad.cost import tape_work
from dualad.transforms.reverse import Recording


@pytest.fixture
def cube():
    """x**3 as one elementwise row with every fact on it; removed again afterwards."""
    name = "throwaway_cube"
    row = rules.register(rules.Elementwise(
        name, lambda x: x * x * x, (lambda x, o: 3.0 * x * x,),
        scalar=lambda x: x * x * x, fused_jvp=1, fused_vjp=True))
    yield row
    del rules.TABLE[name]
    for key in [k for k in K._kernels if k[1] == name]:
        del K._kernels[key]


def test_forward_and_reverse_use_the_row(cube):
    x = np.linspace(-1.0, 2.0, 7)
    expect = 3.0 * x * x
    assert np.allclose(ad.jvp(cube, (x,), (np.ones_like(x),))[1], expect)
    assert np.allclose(ad.grad(lambda v: np.sum(cube(v)))(x), expect)
    assert np.allclose(ad.jacfwd(cube)(x), np.diag(expect))
    assert np.allclose(ad.jacrev(cube)(x), np.diag(expect))
    # second order, both nestings: d2/dx2 x^3 = 6x
    assert math.isclose(ad.grad(ad.grad(cube))(0.7), 4.2)
    assert math.isclose(ad.jacfwd(ad.grad(cube))(0.7), 4.2)


def test_floats_take_a_scalar_entry_from_the_row(cube):
    rec = Recording(lambda v: cube(v) * 2.0, (1.5,), 0, False)
    assert rec.trace.generic == {}                 # no generic entry: the scalar path
    assert rec.trace.da[1] == pytest.approx(3.0 * 1.5 ** 2)


@pytest.mark.skipif(not K.numba_enabled(), reason="numba disabled (DUALAD_DISABLE_NUMBA)")
def test_kernels_compile_the_rows_partial(cube, monkeypatch):
    assert cube.name in K.candidates() and K.supports(cube)
    monkeypatch.setattr(K, "MIN_SIZE", 0)
    x = np.linspace(0.1, 2.0, 64)
    out = cube.impl(x)
    t = np.ones((2, 64))
    assert np.allclose(K.jvp(cube, [t], (x,), out, {}), 3.0 * x * x * t)
    assert np.allclose(K.vjp(cube, 0, np.ones(64), (x,), out, {}), 3.0 * x * x)
    assert ("_jvp_unary", cube.name, (0,)) in K._kernels      # the fused kernels ran
    assert K._kernels[("_vjp_unary", cube.name, (0,))] is not None


def test_cost_model_reads_the_rows_cost_class(cube):
    x = np.ones((10, 10))
    w = tape_work(Recording(cube, (x,), 0, False).trace)
    assert (w.ops, w.elements) == (1, 100)              # "elements": work per element
    cube.cost = "view"
    w = tape_work(Recording(cube, (x,), 0, False).trace)
    assert (w.ops, w.elements) == (1, 0)                # "view": no work per element


def test_sparsity_detection_reads_the_rows_dependency_kind(cube):
    from dualad.sparse import hessian_pattern, jacobian_pattern
    x = np.linspace(0.5, 2.0, 6)
    pattern, _ = jacobian_pattern(lambda v: cube(v[::-1]), x)
    assert (pattern.toarray() == np.eye(6)[::-1].astype(bool)).all()   # "elementwise"
    h = hessian_pattern(lambda v: np.sum(cube(v)), x)
    assert (h.toarray() == np.eye(6, dtype=bool)).all()   # its partial 3x^2 reads x
    plain = rules.register(rules.Primitive("throwaway_mix", lambda v: np.cumsum(v[::-1])))
    try:        # a row that says nothing of its structure: every output on every input
        dense, _ = jacobian_pattern(lambda v: plain(v[:3]), x)
        assert dense.toarray().sum() == 9 and plain.depends == "dense"
    finally:
        del rules.TABLE["throwaway_mix"]
