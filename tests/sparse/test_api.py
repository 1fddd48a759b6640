"""Sparse Jacobians and Hessians (dualad.sparse): values against the dense ones, modes,
formats, given patterns, the probe check, local patterns, executors."""
import concurrent.futures as cf
import multiprocessing

import numpy as np
import pytest

sp = pytest.importorskip("scipy.sparse")

import dualad
import dualad.sparse as ds


def brusselator(u, alpha=0.02):
    """The 1-D Brusselator's right-hand side (N grid points, 2N unknowns)."""
    n = u.shape[0] // 2
    x, y = u[:n], u[n:]

    def lap(z):
        return np.concatenate([z[1:2] - z[:1], z[2:] - 2 * z[1:-1] + z[:-2],
                               z[-2:-1] - z[-1:]]) * (n + 1) ** 2

    return np.concatenate([1.0 + x * x * y - 4.0 * x + alpha * lap(x),
                           3.0 * x - x * x * y + alpha * lap(y)])


def few_outputs(u):
    """Two outputs, each depending on every input: rows colour better than columns."""
    return np.stack([np.sum(u ** 2), np.sum(np.sin(u))])


def banded_energy(x):
    return np.sum((x[1:] - x[:-1] ** 2) ** 2) + np.sum(np.cos(x)) + x[0] * x[-1]


U = np.random.default_rng(0).uniform(0.5, 1.5, 60)


@pytest.mark.parametrize("mode", ["auto", "forward", "reverse"])
def test_sparse_jacobian_equals_the_dense_one(mode):
    jac = ds.jacobian(brusselator, mode=mode)
    got = jac(U)
    assert sp.issparse(got) and got.format == "csr"
    dense = dualad.jacobian(brusselator)(U)
    np.testing.assert_allclose(got.toarray(), dense, rtol=1e-13, atol=1e-12)
    assert got.nnz == np.count_nonzero(dense)
    assert jac.mode == ("reverse" if mode == "reverse" else "forward")
    assert jac.verify(U) < 1e-10


def test_auto_mode_takes_reverse_when_rows_need_fewer_passes():
    jac = ds.jacobian(few_outputs)
    np.testing.assert_allclose(jac(U).toarray(), dualad.jacobian(few_outputs)(U), rtol=1e-13)
    assert jac.mode == "reverse"
    assert "chose reverse" in jac.explain()


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "dense"])
def test_formats(fmt):
    got = ds.jacobian(brusselator, format=fmt)(U)
    dense = dualad.jacobian(brusselator)(U)
    if fmt == "dense":
        assert isinstance(got, np.ndarray)
    else:
        assert got.format == fmt
        got = got.toarray()
    np.testing.assert_allclose(got, dense, rtol=1e-13, atol=1e-12)


def test_given_patterns_in_every_form():
    dense = dualad.jacobian(brusselator)(U)
    nz = dense != 0
    rows, cols = np.nonzero(nz)
    for pattern in (nz, sp.csr_array(nz), sp.coo_matrix(nz), (rows, cols)):
        jac = ds.jacobian(brusselator, sparsity=pattern)
        np.testing.assert_allclose(jac(U).toarray(), dense, rtol=1e-13, atol=1e-12)
        assert jac.detections == 0
    superset = nz | np.eye(len(U), k=5, dtype=bool)      # extra entries come out as zeros
    np.testing.assert_allclose(ds.jacobian(brusselator, sparsity=superset)(U).toarray(),
                               dense, rtol=1e-13, atol=1e-12)


def test_a_pattern_missing_nonzeros_is_caught_by_the_probe():
    wrong = sp.eye(len(U), format="csr")
    with pytest.raises(ds.PatternError, match="outside its sparsity pattern"):
        ds.jacobian(brusselator, sparsity=wrong)(U)
    # without the probe the wrong pattern goes unnoticed by the call; verify() finds it
    unchecked = ds.jacobian(brusselator, sparsity=wrong, check=False)
    unchecked(U)
    with pytest.raises(ds.PatternError, match="differ"):
        unchecked.verify(U)


def test_prepared_once_and_reused():
    jac = ds.jacobian(brusselator)
    first = jac(U)
    pattern = jac.pattern
    second = jac(U * 1.1)
    assert jac.detections == 1 and jac.pattern is pattern
    np.testing.assert_allclose(second.toarray(), dualad.jacobian(brusselator)(U * 1.1),
                               rtol=1e-13, atol=1e-12)
    assert (first != 0).nnz <= pattern.nnz
    jac(np.ones(20))                     # a new input shape: prepared again
    assert jac.detections == 2 and jac.pattern.shape == (20, 20)


def test_local_patterns_are_detected_again_where_they_no_longer_hold():
    def relu_square(x):
        return np.where(x > 0.0, x ** 2, 0.0) + 0.5 * np.roll(np.maximum(x, 0.0), 1)

    with pytest.raises(ds.GlobalPatternError):
        ds.jacobian(lambda x: x if x[0] > 0 else -x)(U)
    jac = ds.jacobian(relu_square, local=True)
    x1 = np.linspace(-1, 1, 9)
    np.testing.assert_allclose(jac(x1).toarray(), dualad.jacobian(relu_square)(x1))
    assert jac.pattern.nnz < ds.jacobian(relu_square)(x1).nnz
    x2 = -x1                               # other entries are active here
    np.testing.assert_allclose(jac(x2).toarray(), dualad.jacobian(relu_square)(x2))
    assert jac.detections == 2


def test_extra_arguments_are_constants():
    def scaled(u, alpha):
        return brusselator(u, alpha)
    jac = ds.jacobian(scaled)
    np.testing.assert_allclose(jac(U, 0.5).toarray(),
                               dualad.jacobian(lambda u: scaled(u, 0.5))(U),
                               rtol=1e-13, atol=1e-12)


def test_sparse_hessian_equals_the_dense_one():
    x = np.random.default_rng(1).uniform(-1, 1, 40)
    hes = ds.hessian(banded_energy)
    got = hes(x)
    dense = dualad.hessian(banded_energy)(x)
    np.testing.assert_allclose(got.toarray(), dense, rtol=1e-12, atol=1e-12)
    assert hes.decompression.ncolors <= 4
    assert "Hessian-vector products" in hes.explain()
    assert hes.verify(x) < 1e-10


def test_explain_and_preview():
    jac = ds.jacobian(brusselator)
    assert "not prepared" in jac.explain()
    jac(U)
    text = jac.explain(width=30)
    assert "60 x 60" in text and "forward (columns): 6 colours" in text
    picture = ds.preview(sp.eye(8), width=8).splitlines()
    assert picture[0].startswith("#") and "#" not in picture[0][2:]


def test_spy_plot():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    jac = ds.jacobian(brusselator)
    jac(U)
    ax = jac.spy()
    assert "6 colours" in ax.get_title()


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_process_pool_gives_the_local_result(mode):
    local = ds.jacobian(brusselator, mode=mode, chunk_size=2)(U)
    ctx = multiprocessing.get_context("fork")
    with cf.ProcessPoolExecutor(2, mp_context=ctx) as pool:
        jac = ds.jacobian(brusselator, mode=mode, chunk_size=2, executor=pool)
        remote = jac(U)
        many = jac.map([U, U * 0.9], executor=pool)
    np.testing.assert_array_equal(remote.toarray(), local.toarray())
    np.testing.assert_array_equal(many[0].toarray(), local.toarray())
    np.testing.assert_allclose(many[1].toarray(), dualad.jacobian(brusselator)(U * 0.9),
                               rtol=1e-13, atol=1e-12)


def test_process_pool_hessian():
    x = np.random.default_rng(1).uniform(-1, 1, 40)
    local = ds.hessian(banded_energy, chunk_size=1)(x)
    with cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        remote = ds.hessian(banded_energy, chunk_size=1, executor=pool)(x)
    np.testing.assert_array_equal(remote.toarray(), local.toarray())


def test_dask_local_cluster_gives_the_local_result():
    try:        # a missing extra is a failure here, not a skip (make test installs it)
        import distributed
    except ImportError as e:
        pytest.fail(f"the dask test needs the distributed extra (pip install -e "
                    f"'.[distributed]'): {e}")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        jac = ds.jacobian(brusselator, executor=client.get_executor(), chunk_size=2)
        remote = jac(U)
    local = ds.jacobian(brusselator, chunk_size=2)(U)
    np.testing.assert_array_equal(remote.toarray(), local.toarray())


def test_the_public_jacobian_and_hessian_take_sparsity():
    got = dualad.jacobian(brusselator, sparsity="auto", format="csc")(U)
    assert got.format == "csc"
    np.testing.assert_allclose(got.toarray(), dualad.jacobian(brusselator)(U),
                               rtol=1e-13, atol=1e-12)
    x = np.linspace(-1, 1, 20)
    np.testing.assert_allclose(dualad.hessian(banded_energy, sparsity="auto")(x).toarray(),
                               dualad.hessian(banded_energy)(x), rtol=1e-12, atol=1e-12)
    with pytest.raises(TypeError, match="only apply with sparsity"):
        dualad.jacobian(brusselator, format="csc")
    with pytest.raises(ValueError, match="argnums=0"):
        dualad.jacobian(brusselator, argnums=1, sparsity="auto")
