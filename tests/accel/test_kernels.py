"""The numba kernels give the NumPy path's results, and DUALAD_DISABLE_NUMBA turns them off.

The NumPy path in ``Elementwise.jvp/vjp`` is the reference. Kernel-level tests force every
candidate primitive through its kernel (whatever ``JVP_OPS``/``VJP_OPS`` keep) and compare
with the reference on random inputs; the API-level tests run both ways (the ``numba``
fixture flips ``kernels.NUMBA_ENABLED``); subprocess tests check the environment switch
and that ``import dualad`` neither imports numba nor compiles anything.
"""
import os
import subprocess
import sys
import zlib

import numpy as np
import pytest

import dualad as ad
from dualad.accel import kernels as K
from dualad import rules as P
from dualad.core.tree import flatten

RTOL, ATOL = 1e-12, 1e-14
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


_inputs = P.sample_operands


def _numpy_jvp(prim, tangents, primals, out, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(K, "NUMBA_ENABLED", False)
        return K.jvp(prim, tangents, primals, out, {})


def _numpy_vjp(prim, i, g, primals, out, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(K, "NUMBA_ENABLED", False)
        return K.vjp(prim, i, g, primals, out, {})


@pytest.fixture
def every_kernel(monkeypatch):
    """Every candidate primitive through its kernel, at any size."""
    monkeypatch.setattr(K, "NUMBA_ENABLED", True)
    monkeypatch.setattr(K, "MIN_SIZE", 0)
    monkeypatch.setattr(K, "POLICY", "all")


def _compiles(prim):
    return K.supports(prim)


def _seed(*key):
    return zlib.crc32(repr(key).encode())


KEPT = sorted(p.name for p in P.TABLE.values()
              if getattr(p, "fused_jvp", None) or getattr(p, "fused_vjp", False))


def test_kept_kernels_compile():
    assert KEPT, "no row keeps a fused kernel"
    for name in KEPT:
        assert _compiles(P.TABLE[name]), f"the kernel kept for {name} does not compile"


@pytest.mark.parametrize("name", K.candidates())
@pytest.mark.parametrize("shape,k", [((37,), 1), ((600,), 3), ((4, 50), 5), ((1030,), 64)])
def test_jvp_kernel_matches_numpy(name, shape, k, every_kernel, monkeypatch):
    prim = P.TABLE[name]
    rng = np.random.default_rng(_seed(name, shape, k))
    primals = _inputs(prim, rng, shape)
    out = prim.impl(*primals)
    patterns = [(True,)] if prim.nin == 1 else [(True, True), (True, False), (False, True)]
    for live in patterns:
        tangents = [rng.standard_normal((k,) + shape) if on and prim.partials[i] is not None
                    else None for i, on in enumerate(live)]
        if all(t is None for t in tangents):
            continue
        want = _numpy_jvp(prim, tangents, primals, out, monkeypatch)
        got = K.elementwise_jvp(prim, tangents, primals, out)
        if got is None:
            assert not _compiles(prim), f"{name}: kernel unexpectedly declined"
            continue
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=name)


@pytest.mark.parametrize("name", K.candidates())
@pytest.mark.parametrize("shape", [(1,), (513,), (3, 7, 11)])
def test_vjp_kernel_matches_numpy(name, shape, every_kernel, monkeypatch):
    prim = P.TABLE[name]
    rng = np.random.default_rng(_seed(name, shape))
    primals = _inputs(prim, rng, shape)
    out = prim.impl(*primals)
    g = rng.standard_normal(shape)
    for i in range(prim.nin):
        if prim.partials[i] is None:
            continue
        want = _numpy_vjp(prim, i, g, primals, out, monkeypatch)
        got = K.elementwise_vjp(prim, i, g, primals, out)
        if got is None:
            assert not _compiles(prim), f"{name}: kernel unexpectedly declined"
            continue
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=name)


def test_scalar_and_broadcast_operands(every_kernel, monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.uniform(0.5, 2.0, 300)
    for primals in [(x, 1.7), (2.5, x), (x, np.float64(3.0)), (x, np.array(0.75))]:
        out = P.divide.impl(*primals)
        i = 0 if isinstance(primals[0], np.ndarray) else 1
        t = [None, None]
        t[i] = rng.standard_normal((4, 300))
        np.testing.assert_allclose(K.elementwise_jvp(P.divide, t, primals, out),
                                   _numpy_jvp(P.divide, t, primals, out, monkeypatch),
                                   rtol=RTOL)
        g = rng.standard_normal(300)
        np.testing.assert_allclose(K.elementwise_vjp(P.divide, i, g, primals, out),
                                   _numpy_vjp(P.divide, i, g, primals, out, monkeypatch),
                                   rtol=RTOL)
        # the scalar operand's cotangent is a sum over the broadcast: left to NumPy
        assert K.elementwise_vjp(P.divide, 1 - i, g, primals, out) is None


def test_strided_and_broadcast_cotangents(every_kernel, monkeypatch):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((20, 30))
    out = np.tanh(x)
    for g in [np.broadcast_to(np.float64(1.5), x.shape),        # a sum's cotangent
              rng.standard_normal((30, 20)).T]:                  # not contiguous: NumPy
        got = K.elementwise_vjp(P.tanh, 0, g, (x,), out)
        want = _numpy_vjp(P.tanh, 0, g, (x,), out, monkeypatch)
        if got is not None:
            np.testing.assert_allclose(got, want, rtol=RTOL)
    t = rng.standard_normal((30, 7)).T                              # (7, 30), strided rows
    x1 = x[0].copy()
    got = K.elementwise_jvp(P.tanh, [t], (x1,), np.tanh(x1))
    np.testing.assert_allclose(got, _numpy_jvp(P.tanh, [t], (x1,), np.tanh(x1), monkeypatch),
                               rtol=RTOL)


def test_declines_what_it_does_not_serve(every_kernel):
    x = np.linspace(0.1, 1.0, 100)
    t = np.ones((2, 100))
    assert K.elementwise_jvp(P.tanh, [t.astype(np.float32)], (x,), np.tanh(x)) is None
    x32 = x.astype(np.float32)
    assert K.elementwise_vjp(P.tanh, 0, x32, (x32,), np.tanh(x32)) is None
    d = ad.Dual(x, np.ones(100))          # a box of another derivative: NumPy path
    assert K.elementwise_vjp(P.tanh, 0, d, (x,), np.tanh(x)) is None
    assert K.elementwise_jvp(P.add, [t, t], (x, x), x + x) is None   # constant partials


def test_below_min_size_and_disabled(monkeypatch):
    x = np.linspace(0.1, 1.0, 100)
    t = np.ones((1, 100))
    assert K.elementwise_jvp(P.tanh, [t], (x,), np.tanh(x)) is None      # 100 < MIN_SIZE
    monkeypatch.setattr(K, "MIN_SIZE", 0)
    monkeypatch.setattr(K, "NUMBA_ENABLED", False)
    assert K.elementwise_jvp(P.tanh, [t], (x,), np.tanh(x)) is None
    assert not K.numba_enabled()


def test_kernel_names_carry_the_partial_fingerprint():
    kern = K.kernel("_vjp_unary", P.tanh)
    assert kern is not None
    name = kern.py_func.__qualname__
    assert name.startswith("_vjp_unary__tanh_0__") and len(name.rsplit("__", 1)[1]) == 12


# ------------------------------------------------------------------------------------
# The API both ways: numba kernels on and off give the same derivatives.
# ------------------------------------------------------------------------------------
@pytest.fixture(params=[True, False], ids=["numba", "numpy"])
def numba(request, monkeypatch):
    monkeypatch.setattr(K, "NUMBA_ENABLED", request.param)
    monkeypatch.setattr(K, "FUSE_AFTER_ELEMENTS", 0)     # kernels from the first call on
    return request.param


def _rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def _mlp_loss(params, X, y):
    W1, b1, W2, b2 = params
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    lse = np.log(np.sum(np.exp(z), axis=1))
    return np.mean(lse - np.sum(z * y, axis=1))


def _key_results():
    rng = np.random.default_rng(7)
    x = rng.uniform(-1.0, 1.0, 5000)
    A = rng.standard_normal((40, 300)) / 10
    v = rng.uniform(0.1, 1.0, 300)
    X = rng.standard_normal((64, 16))
    y = np.eye(4)[rng.integers(0, 4, 64)]
    params = (rng.standard_normal((16, 32)) / 4, np.zeros(32),
              rng.standard_normal((32, 4)) / 4, np.zeros(4))
    f = lambda u: np.tanh(A @ np.sin(u)) * np.arctan(u[:40]) / (1.0 + u[:40] ** 2)  # noqa
    h = lambda u: np.sum(np.log1p(u * u) * np.sqrt(u) + np.exp(-u) * np.cos(u))  # noqa
    return {
        "grad_rosen": ad.grad(_rosen)(x),
        "grad_mlp": ad.grad(_mlp_loss)(params, X, y),
        "jacfwd": ad.jacfwd(f)(v),
        "jacrev": ad.jacrev(f)(v),
        "jacobian": ad.jacobian(f)(v),
        "hessian": ad.hessian(_rosen)(x[:150]),
        "hessian_h": ad.hessian(h)(v[:100]),
        "grad_h": ad.grad(h)(np.linspace(0.1, 3.0, 4000)),
    }


def test_key_derivatives_same_both_ways(numba, monkeypatch):
    got = _key_results()
    monkeypatch.setattr(K, "NUMBA_ENABLED", not numba)
    ref = _key_results()
    for key in got:
        for a, b in zip(flatten(got[key])[0], flatten(ref[key])[0]):
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12, err_msg=key)


def test_key_derivatives_correct(numba):
    rng = np.random.default_rng(3)
    x = rng.uniform(-1.0, 1.0, 3000)
    g = ad.grad(_rosen)(x)
    want = np.zeros_like(x)
    want[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    want[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-12)
    u = rng.uniform(0.2, 2.0, 4096)
    np.testing.assert_allclose(ad.grad(lambda u: np.sum(np.tanh(u) * np.log(u)))(u),
                               (1 - np.tanh(u) ** 2) * np.log(u) + np.tanh(u) / u, rtol=1e-12)
    J = ad.jacfwd(lambda u: np.sqrt(u) / u)(u[:200])
    np.testing.assert_allclose(np.diag(J), -0.5 * u[:200] ** -1.5, rtol=1e-12)


# ------------------------------------------------------------------------------------
# The environment switch and lazy numba, in fresh interpreters
# ------------------------------------------------------------------------------------
def _run(code, **env):
    full = dict(os.environ, **env)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=ROOT, env=full, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_import_does_not_import_numba():
    assert _run("import sys, dualad; print('numba' in sys.modules)") == "False"


def test_env_var_turns_numba_off():
    code = ("import sys, numpy as np, dualad as ad; from dualad.accel import kernels as K\n"
            "def loop(x):\n"
            "    for _ in range(50):\n"
            "        x = x * 0.9 + 0.1 / x\n"
            "    return x\n"
            "assert ad.grad(loop)(1.5) == ad.grad(loop)(1.5)\n"
            "print(K.numba_enabled(), K._nb is None)")
    assert _run(code, DUALAD_DISABLE_NUMBA="1") == "False True"
    assert _run(code, DUALAD_DISABLE_NUMBA="0") == "True False"


ARRAY_CODE = """
import sys, numpy as np, dualad as ad
from dualad.accel import kernels as K
A = np.linspace(-1.0, 1.0, 30 * 500).reshape(30, 500)
f = lambda x: np.tanh(A @ np.sin(x))
x = np.linspace(0.1, 2.0, 500)
big = np.linspace(0.1, 2.0, 20000)
loss = lambda x: np.sum(np.tanh(x) / x + np.exp(-x) * np.cos(x))
for _ in range(2):
    ad.grad(loss)(big), ad.value_and_grad(loss)(big), ad.jacfwd(f)(x), ad.jacrev(f)(x)
    ad.jacobian(f)(x), ad.hessian(lambda v: np.sum(np.tanh(v) ** 2))(x[:50])
    ad.hvp(loss, (big,), (big,)), ad.jvp(f, (x,), (x,))
X = ad.Tensor(big, requires_grad=True)
np.sum(np.tanh(X) * X).backward()
print('numba' in sys.modules, K._kernels == {})
"""


def test_array_code_never_imports_numba():
    """A process that differentiates array code only never imports numba (it costs 0.3-1.2
    s and ~116 MiB and wins nothing on short runs of array code)."""
    assert _run(ARRAY_CODE) == "False True"


def test_fused_kernels_start_after_enough_elements():
    """Past FUSE_AFTER_ELEMENTS elements through fusable rules, the kernels take over."""
    code = ("import numpy as np, dualad as ad; from dualad.accel import kernels as K\n"
            "K.FUSE_AFTER_ELEMENTS = 50000\n"
            "x = np.linspace(0.1, 2.0, 20000)\n"
            "f = lambda x: np.sum(np.tanh(x))\n"
            "ref = 1 - np.tanh(x) ** 2\n"
            "for _ in range(4):\n"
            "    assert np.allclose(ad.grad(f)(x), ref, rtol=1e-13, atol=0)\n"
            "print(K._nb is None, K._kernels.get(('_vjp_unary', 'tanh', (0,))) is None)")
    if os.environ.get("DUALAD_DISABLE_NUMBA"):
        assert _run(code) == "True True"
    else:
        assert _run(code) == "False False"


def test_key_tests_pass_with_numba_disabled():
    """The key tests of this file, in a fresh interpreter with DUALAD_DISABLE_NUMBA=1."""
    if os.environ.get("DUALAD_DISABLE_NUMBA"):
        pytest.skip("already running with numba disabled")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        os.path.join(ROOT, "tests", "accel", "test_kernels.py"),
                        os.path.join(ROOT, "tests", "test_basics.py"),
                        "-k", "correct or basics or same_both_ways"],
                       capture_output=True, text=True, cwd=ROOT, timeout=600,
                       env=dict(os.environ, DUALAD_DISABLE_NUMBA="1"))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
