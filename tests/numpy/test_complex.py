"""Complex numbers: JAX's and autograd's convention, checked three ways.

1. Each complex function, written as a real function of the real and imaginary parts of its
   inputs and outputs, is checked against finite differences in both modes to second order
   (dualad.check_grads): the complex rules inside must be right for that to pass.
2. The convention itself: for a real-valued f(z), grad(f)(z) = df/dx - i df/dy (so the
   gradient of |z|^2 is 2 conj(z)); for a holomorphic f, jvp gives f'(z) t and vjp gives
   g f'(z) (the transpose for the pairing Re(sum(a * b)), no conjugation).
3. Known values: grad(|z|^2)(3+4j) = 6-8j, as JAX gives.
"""
import numpy as np
import pytest

import dualad as ad


def rc(*shape, seed):
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.3, 1.5, shape) * rng.choice([-1, 1], shape)
            + 1j * rng.uniform(0.3, 1.5, shape) * rng.choice([-1, 1], shape))


Z = rc(2, 3, seed=1)
W = rc(3, seed=2)
SQ = rc(3, 3, seed=3) + 3.0 * np.eye(3)
HPD = SQ @ SQ.conj().T + np.eye(3)                 # Hermitian positive definite
TALL = rc(4, 3, seed=4)
STACK = rc(2, 3, 3, seed=5)
HPD_STACK = STACK @ np.conj(np.swapaxes(STACK, -1, -2)) + np.eye(3)   # two HPD matrices


def _eigh_phase_free(a, uplo="L"):
    w, v = np.linalg.eigh(a, UPLO=uplo)
    return w[:, None] * np.abs(v) ** 2 + v @ np.diag(np.sin(w)) @ v.conj().T


def _svd_phase_free(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return (u * np.sin(s)) @ vh + (np.abs(u) ** 2 * s)[:, :1] + np.abs(vh[:1]) ** 2

COMPLEX_CASES = [
    ("arithmetic", lambda z, w: (z + w) * (z - 2.0 * w) / (w + 3.0) - z ** 2 + 2.0 ** z, (Z, W)),
    ("power", lambda z, w: z ** w + z ** 3.5, (Z, W)),
    ("exp/log/sqrt", lambda z: np.exp(z) + np.log(z) * np.sqrt(z) + np.log1p(z) - np.expm1(z),
     (Z,)),
    ("trig", lambda z: np.sin(z) + np.cos(z) * np.tan(z) + np.arctan(z * 0.3), (Z,)),
    ("hyperbolic", lambda z: np.sinh(z) + np.cosh(z) * np.tanh(z) + np.arcsinh(z), (Z,)),
    ("inverse trig", lambda z: np.arcsin(z * 0.3) + np.arccos(z * 0.3) + np.arctanh(z * 0.3)
     + np.arccosh(z + 3.0), (Z,)),
    ("square/reciprocal/log2/log10/exp2",
     lambda z: np.square(z) + np.reciprocal(z) + np.log2(z) + np.log10(z) + np.exp2(z), (Z,)),
    ("abs/angle/real/imag/conj", lambda z: np.abs(z) + np.angle(z) * np.real(z)
     + np.imag(z ** 2) + np.conj(z) * z.real + z.imag + z.conj(), (Z,)),
    ("where/concatenate/indexing", lambda z, w: np.where(np.real(z) > 0, z, w)
     + np.concatenate([z, z[:, ::-1]], axis=0)[1:3] + z[[0, 0, 1], [2, 2, 0]], (Z, W)),
    ("sum/mean/prod/cumsum/cumprod", lambda z: np.sum(z, axis=0) + np.mean(z) + np.prod(z, 1).sum()
     + np.cumsum(z)[:3] * np.cumprod(z, axis=0)[1], (Z,)),
    ("var/std", lambda z: np.var(z, axis=1) + np.std(z), (Z,)),
    ("matmul/dot/vdot/inner/outer/einsum", lambda a, w: a @ w + np.dot(w, a) + np.vdot(w, a[0])
     + np.inner(a, w) + np.outer(w, w)[0] + np.einsum("ij,j->i", a, w), (SQ, W)),
    ("solve/inv/det", lambda a, w: np.linalg.solve(a, w) + np.linalg.inv(a)[0]
     + np.linalg.det(a), (SQ, W)),
    ("eig/eigvals of a complex matrix", lambda a: np.linalg.eig(a)[1] + np.linalg.eigvals(a),
     (SQ * 0.5,)),
    ("cholesky of a Hermitian matrix, both triangles",
     lambda a: np.linalg.cholesky(a) + np.linalg.cholesky(a, upper=True).T, (HPD,)),
    ("eigh: values and phase-free functions of the vectors", _eigh_phase_free, (HPD,)),
    ("eigh, upper triangle", lambda a: _eigh_phase_free(a, "U") + np.linalg.eigvalsh(a),
     (HPD,)),
    ("svd, square", _svd_phase_free, (SQ,)),
    ("svd, tall", _svd_phase_free, (TALL,)),
    ("svd, wide", lambda a: _svd_phase_free(a.T), (TALL,)),
    ("stacks of matrices: cholesky, eigh, svd, nuclear norm",
     lambda a, b: np.linalg.cholesky(a)
     + (lambda w, v: w[..., None] * np.abs(v) ** 2)(*np.linalg.eigh(a))
     + (lambda u, s, vh: (u * s[..., None, :]) @ vh)(*np.linalg.svd(b, full_matrices=False))
     + np.linalg.norm(b, "nuc", axis=(-2, -1))[:, None, None], (HPD_STACK, STACK)),
    ("nuclear and 2-norms", lambda a, b: np.linalg.norm(a, "nuc") * np.linalg.norm(b, 2)
     + np.linalg.norm(b, -2) + np.linalg.svd(b, compute_uv=False), (SQ, TALL)),
    ("norm", lambda z: np.linalg.norm(z) + np.linalg.norm(z, axis=1).sum()
     + np.linalg.norm(z, 1) + np.linalg.norm(z, np.inf, axis=0).sum(), (Z,)),
    ("fft of complex input", lambda z: np.fft.fft(z) + np.fft.ifft2(z) + np.fft.fftn(z, s=(3, 4), axes=(0, 1))[:2, :3]
     + np.fft.fftshift(z) + np.fft.irfft(z, n=5)[:, :3] + np.fft.hfft(z)[:, :3], (Z,)),
    ("astype complex -> real", lambda z: z.astype(np.complex64).astype(np.complex128) * 0.0
     + (z * 1j).real.astype(np.float64), (Z,)),
]


def as_real_function(f, n):
    """f of n complex arrays as a function of 2n real arrays, with real outputs."""
    def g(*xs):
        zs = [xs[2 * i] + 1j * xs[2 * i + 1] for i in range(n)]
        out = f(*zs)
        if np.iscomplexobj(out):
            return np.stack([np.real(out), np.imag(out)])
        return out
    return g


def split(zs):
    return tuple(p for z in zs for p in (np.real(z).copy(), np.imag(z).copy()))


@pytest.mark.parametrize("label, f, args", COMPLEX_CASES, ids=[c[0] for c in COMPLEX_CASES])
def test_complex_function_against_finite_differences(label, f, args):
    g = as_real_function(f, len(args))
    ad.check_grads(g, split(args), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("label, f, args", COMPLEX_CASES, ids=[c[0] for c in COMPLEX_CASES])
def test_complex_values_match_numpy(label, f, args):
    want = f(*args)
    got = ad.jvp(f, args, tuple(np.ones_like(a) for a in args))[0]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
    assert np.result_type(got) == np.result_type(want)


REAL_VALUED = [
    ("|z|^2", lambda z: np.sum(np.abs(z) ** 2)),
    ("abs", lambda z: np.sum(np.abs(z))),
    ("real part of a holomorphic function", lambda z: np.sum(np.real(np.exp(z) * z))),
    ("imag part", lambda z: np.sum(np.imag(np.sin(z)))),
    ("angle", lambda z: np.sum(np.angle(z) ** 2)),
    ("norm of an fft", lambda z: np.linalg.norm(np.fft.fft(z))),
    ("quadratic form", lambda z: np.real(np.vdot(z, SQ[:2, :2] @ z))),
]


@pytest.mark.parametrize("label, f", REAL_VALUED, ids=[c[0] for c in REAL_VALUED])
def test_gradient_of_a_real_function_is_dfdx_minus_i_dfdy(label, f):
    z = rc(2, seed=4)
    gx, gy = ad.grad(lambda x, y: f(x + 1j * y), argnums=(0, 1))(z.real.copy(), z.imag.copy())
    g = ad.grad(f)(z)
    assert g.dtype == np.complex128
    np.testing.assert_allclose(g, gx - 1j * gy, rtol=1e-12, atol=1e-12)
    # forward mode along a complex tangent: df = df/dx Re(t) + df/dy Im(t)
    t = rc(2, seed=5)
    _, df = ad.jvp(f, (z,), (t,))
    np.testing.assert_allclose(df, np.sum(gx * t.real + gy * t.imag), rtol=1e-12, atol=1e-12)


HOLOMORPHIC = [
    ("exp", np.exp, np.exp),
    ("sin", np.sin, np.cos),
    ("log", np.log, lambda z: 1.0 / z),
    ("square", lambda z: z * z, lambda z: 2.0 * z),
    ("sqrt", np.sqrt, lambda z: 0.5 / np.sqrt(z)),
    ("reciprocal", lambda z: 1.0 / z, lambda z: -1.0 / z ** 2),
]


@pytest.mark.parametrize("label, f, df", HOLOMORPHIC, ids=[c[0] for c in HOLOMORPHIC])
def test_holomorphic_jvp_and_vjp_use_the_complex_derivative(label, f, df):
    z, t, g = rc(3, seed=6), rc(3, seed=7), rc(3, seed=8)
    _, tangent = ad.jvp(f, (z,), (t,))
    np.testing.assert_allclose(tangent, df(z) * t, rtol=1e-12)
    _, pullback = ad.vjp(f, z)
    np.testing.assert_allclose(pullback(g)[0], g * df(z), rtol=1e-12)   # no conjugation


def test_known_values_as_in_jax():
    assert ad.grad(lambda z: np.abs(z) ** 2)(3.0 + 4.0j) == pytest.approx(6.0 - 8.0j)
    assert ad.grad(lambda z: np.abs(z))(3.0 + 4.0j) == pytest.approx((3.0 - 4.0j) / 5.0)
    assert ad.grad(lambda z: np.real(z))(1.0 + 2.0j) == pytest.approx(1.0 + 0.0j)
    assert ad.grad(lambda z: np.imag(z))(1.0 + 2.0j) == pytest.approx(-1.0j)
    assert ad.grad(lambda z: np.real(np.conj(z) * 1j))(1.0 + 2.0j) == pytest.approx(-1.0j)
    # abs at 0: derivative 0 (the convention of abs on the reals)
    assert ad.grad(lambda z: np.abs(z))(0.0 + 0.0j) == 0.0


def test_real_inputs_get_real_cotangents_from_complex_intermediates():
    x = np.array([0.3, -1.2, 2.0])
    g = ad.grad(lambda x: np.sum(np.abs(np.fft.fft(x * (1 + 2j))) ** 2))(x)
    assert g.dtype == np.float64
    # |fft(x (1+2i))|^2 summed = 5 n |x|^2 (Parseval)
    np.testing.assert_allclose(g, 2 * 5 * 3 * x, rtol=1e-12)


def test_complex64_stays_complex64():
    z = rc(3, seed=9).astype(np.complex64)
    out, t = ad.jvp(lambda z: np.exp(z) * z, (z,), (np.ones_like(z),))
    assert out.dtype == np.complex64 and t.dtype == np.complex64
    g = ad.grad(lambda z: np.sum(np.abs(z * z)))(z)
    assert g.dtype == np.complex64


# ------------------------------------------------------------------------------------
# Complex eigen/singular vectors: one phase each is free
# ------------------------------------------------------------------------------------
def _real_parts(f):
    return lambda re, im: f(re + 1j * im)


@pytest.mark.parametrize("label, f", [
    ("eigh", lambda a: np.real(np.linalg.eigh(a)[1][1, 0])),
    ("svd U", lambda a: np.imag(np.linalg.svd(a)[0][0, 1])),
    ("svd Vh", lambda a: np.real(np.sum(np.linalg.svd(a)[2]))),
])
def test_phase_dependent_functions_are_refused_in_reverse_mode(label, f):
    with pytest.raises(ad.NotDifferentiableError, match="phases"):
        ad.grad(_real_parts(f), argnums=(0, 1))(HPD.real, HPD.imag)


def test_forward_mode_keeps_each_vector_phase():
    # the gauge: Im(diag(V^H dV)) = 0 for eigh; for svd the same for V
    t = rc(3, 3, seed=9)
    t = t + t.conj().T
    w, v = np.linalg.eigh(HPD)
    _, (dw, dv) = ad.jvp(np.linalg.eigh, (HPD,), (t,))
    np.testing.assert_allclose(np.imag(np.diag(v.conj().T @ dv)), 0.0, atol=1e-13)
    np.testing.assert_allclose(dw, np.real(np.diag(v.conj().T @ t @ v)), rtol=1e-12)
    _, (du, ds, dvh) = ad.jvp(np.linalg.svd, (SQ,), (t,))
    vh = np.linalg.svd(SQ)[2]
    np.testing.assert_allclose(np.imag(np.diag(vh @ dvh.conj().T)), 0.0, atol=1e-13)
    assert ds.dtype == np.float64


def test_decomposition_outputs_have_numpys_dtypes():
    def f(re, im):
        a = re + 1j * im
        w, v = np.linalg.eigh(a)
        s = np.linalg.svd(a, compute_uv=False)
        assert np.result_type(ad.primal(w)) == np.float64
        assert np.result_type(ad.primal(s)) == np.float64
        assert np.result_type(ad.primal(v)) == np.complex128
        return np.sum(w) + np.sum(s)
    ad.grad(f)(HPD.real, HPD.imag)
    ad.jacfwd(f)(HPD.real, HPD.imag)


def test_holomorphic_grad_through_a_complex_cholesky():
    # JAX's documentation example: runs, and agrees with its real-pairing definition
    f = lambda a: np.sum((np.linalg.cholesky(a) - np.sin(np.linalg.cholesky(a))) ** 2)  # noqa
    g = ad.grad(f, holomorphic=True)(HPD)
    _, pullback = ad.vjp(f, HPD)
    np.testing.assert_allclose(g, pullback(1.0 + 0j)[0], rtol=1e-14)
    # only the lower triangle (with the real part of the diagonal) is read
    assert np.all(np.triu(g, 1) == 0) and np.all(np.imag(np.diag(g)) == 0)
