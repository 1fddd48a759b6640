"""jacrev with batched cotangents: k rows of the Jacobian per backward sweep.

The rows come from forward mode over the sweep (Dual cotangents with k directions); these
tests check them against jacfwd and central differences, that array code takes the
batched path, and that scalar code and VJP rules forward mode cannot differentiate fall
back to one sweep per row.
"""
import numpy as np
import pytest

import dualad as ad
from dualad.transforms import reverse as api
from dualad.transforms.check import numerical_jvp

rng = np.random.default_rng(11)
A = rng.standard_normal((5, 4))
M = rng.standard_normal((4, 4)) + 4.0 * np.eye(4)


@pytest.fixture
def batched_only(monkeypatch):
    """Fail if jacrev falls back to one sweep per row."""
    def refuse(rec, sizes):
        raise AssertionError("per-row sweeps were used")
    monkeypatch.setattr(api, "_rows_per_sweep", refuse)


ARRAY_PROGRAMS = {
    "matmul": lambda x: np.tanh(A @ np.sin(x)),
    "broadcasting": lambda x: np.exp(x[:, None] * x[None, :] * 0.3) - x,
    "reductions": lambda x: np.stack([np.sum(x ** 2), np.prod(np.cos(x)), np.max(x)]),
    "indexing": lambda x: x[::-1][1:] * x[0] + x[np.array([2, 0, 1])].sum(),
    "concatenate": lambda x: np.concatenate([np.sin(x), x[:2] * 3.0, np.cumsum(x)]),
    "solve": lambda x: np.linalg.solve(M + np.diag(x), np.cos(x)),
}


def _central(f, x):
    """The Jacobian by central differences, one column per input element."""
    cols = [np.asarray(numerical_jvp(f, (x,), (e.reshape(x.shape),)))
            for e in np.eye(x.size)]
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("name", sorted(ARRAY_PROGRAMS))
def test_array_programs_match_jacfwd_and_differences(name, batched_only):
    f = ARRAY_PROGRAMS[name]
    x = rng.uniform(0.2, 0.9, 4)
    J = ad.jacrev(f)(x)
    np.testing.assert_allclose(J, ad.jacfwd(f)(x), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(J, _central(f, x), rtol=1e-5, atol=1e-7)


def test_more_rows_than_the_chunk(batched_only):
    B = rng.standard_normal((130, 6))
    f = lambda x: np.sin(B @ x) * np.sum(x)        # noqa: E731
    x = rng.standard_normal(6)
    rec = api.Recording(f, (x,), 0, False)
    assert rec.rows_per_sweep(130) == ad.cost.DEFAULT_CHUNK      # 3 sweeps: 64 + 64 + 2
    J = ad.jacrev(f)(x)
    assert J.shape == (130, 6)
    np.testing.assert_allclose(J, ad.jacfwd(f)(x), rtol=1e-10, atol=1e-12)


def test_pytree_outputs_across_chunks_argnums_and_aux(batched_only):
    B = rng.standard_normal((70, 3))

    def f(a, b, c):
        out = {"big": np.tanh(B @ (a * b)), "pair": (a[:2] * c, np.sum(b) * 2.0),
               "const": np.ones(2)}
        return out, {"norm": np.sum(a * a)}

    a, b = rng.standard_normal(3), rng.standard_normal(3)
    c = 0.7
    J, aux = ad.jacrev(f, argnums=(0, 2), has_aux=True)(a, b, c)
    Jf, auxf = ad.jacfwd(f, argnums=(0, 2), has_aux=True)(a, b, c)
    assert aux["norm"] == pytest.approx(auxf["norm"])
    for key in ("big", "pair", "const"):
        got, want = J[key], Jf[key]
        if key == "pair":
            for g, w in zip(got, want):
                for gi, wi in zip(g, w):
                    np.testing.assert_allclose(gi, wi, rtol=1e-10, atol=1e-12)
        else:
            for gi, wi in zip(got, want):
                np.testing.assert_allclose(gi, wi, rtol=1e-10, atol=1e-12)
    assert J["big"][0].shape == (70, 3) and np.shape(J["big"][1]) == (70,)
    np.testing.assert_array_equal(J["const"][0], np.zeros((2, 3)))     # zero rows


def test_outputs_that_do_not_depend_on_the_input(batched_only):
    f = lambda x, y: np.stack([np.sin(y), y * 2.0, np.cos(y)])   # noqa: E731
    J = ad.jacrev(f)(np.ones(3), np.arange(2.0))
    np.testing.assert_array_equal(J, np.zeros((3, 2, 3)))


def test_complex_inputs_and_outputs(batched_only):
    C = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    z = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    f = lambda z: np.exp(C @ z) * z[0]                          # holomorphic  # noqa: E731
    J = ad.jacrev(f)(z)
    assert J.dtype == np.complex128
    np.testing.assert_allclose(J, ad.jacfwd(f)(z), rtol=1e-10, atol=1e-12)
    x = rng.standard_normal(4)
    g = lambda x: np.exp(1j * (A @ x))                           # real in, complex out  # noqa
    Jg = ad.jacrev(g)(x)
    # the real-pairing convention: row r is the real part of d out_r / dx
    np.testing.assert_allclose(Jg, np.real(ad.jacfwd(g)(x)), rtol=1e-10, atol=1e-12)
    h = lambda z: np.abs(C @ z) ** 2                             # complex in, real out  # noqa
    Jh = ad.jacrev(h)(z)
    # the gradient convention for a complex input: row r is d h_r/dx - i d h_r/dy
    np.testing.assert_allclose(Jh.real, ad.jacfwd(h)(z), rtol=1e-10, atol=1e-12)
    dy = np.stack([ad.jvp(h, (z,), (1j * e,))[1] for e in np.eye(4)], axis=-1)
    np.testing.assert_allclose(Jh.imag, -dy, rtol=1e-10, atol=1e-12)


def test_float32_stays_float32(batched_only):
    x = rng.standard_normal(4).astype(np.float32)
    A32 = A.astype(np.float32)
    f = lambda x: np.tanh(A32 @ np.sin(x))                       # noqa: E731
    J = ad.jacrev(f)(x)
    assert J.dtype == np.float32
    np.testing.assert_allclose(J, ad.jacfwd(f)(x), rtol=1e-5, atol=1e-6)


def test_nested_jacobians():
    f = lambda x: np.tanh(A @ np.sin(x))                         # noqa: E731
    x = rng.standard_normal(4)
    H_fr = ad.jacfwd(ad.jacrev(f))(x)
    H_rr = ad.jacrev(ad.jacrev(f))(x)
    H_ff = ad.jacfwd(ad.jacfwd(f))(x)
    assert H_fr.shape == (5, 4, 4)
    np.testing.assert_allclose(H_fr, H_ff, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(H_rr, H_ff, rtol=1e-10, atol=1e-12)
    s = lambda x: np.sum(np.sin(x) ** 2 * x)                     # noqa: E731
    np.testing.assert_allclose(ad.hessian(s)(x), ad.jacfwd(ad.jacfwd(s))(x), rtol=1e-10,
                               atol=1e-12)
    third = ad.jacrev(ad.jacfwd(ad.jacrev(f)))(x)
    np.testing.assert_allclose(third, ad.jacfwd(ad.jacfwd(ad.jacfwd(f)))(x), rtol=1e-9,
                               atol=1e-11)


def test_grad_of_a_batched_jacobian():
    f = lambda x: np.tanh(A @ np.sin(x))                         # noqa: E731
    x = rng.standard_normal(4)
    g = ad.grad(lambda x: np.sum(ad.jacrev(f)(x) ** 2))(x)
    gf = ad.grad(lambda x: np.sum(ad.jacfwd(f)(x) ** 2))(x)
    np.testing.assert_allclose(g, gf, rtol=1e-10, atol=1e-12)


# --- fallbacks -----------------------------------------------------------------------
@ad.primitive
def scaled_sin(x):
    return 2.0 * np.sin(x)


@scaled_sin.defvjp
def _scaled_sin_vjp(g, out, x):
    # A rule forward mode cannot differentiate: np.asarray refuses a traced value.
    return (2.0 * np.cos(np.asarray(x)) * np.asarray(g),)


def test_defvjp_only_primitive_falls_back_to_one_sweep_per_row(monkeypatch):
    calls = []
    per_row = api._rows_per_sweep

    def spy(rec, sizes):
        calls.append(sum(sizes))
        return per_row(rec, sizes)

    monkeypatch.setattr(api, "_rows_per_sweep", spy)
    f = lambda x: np.tanh(A @ scaled_sin(x))                     # noqa: E731
    x = rng.standard_normal(4)
    J = ad.jacrev(f)(x)
    assert calls == [5]                                          # the fallback ran
    want = (1 - np.tanh(A @ (2 * np.sin(x))) ** 2)[:, None] * A * (2 * np.cos(x))
    np.testing.assert_allclose(J, want, rtol=1e-12, atol=1e-14)
    with pytest.raises(ad.NotDifferentiableError):              # forward mode: no rule
        ad.jacfwd(f)(x)


def test_scalar_code_sweeps_one_row_at_a_time():
    def f(x):
        s = x[0]
        for i in range(200):
            s = s * 0.5 + x[i % 3]
        return np.stack([s, s * s, 3.0 * s])
    x = np.array([0.1, 0.2, 0.3])
    rec = api.Recording(f, (x,), 0, False)
    assert rec.rows_per_sweep(3) == 1
    np.testing.assert_allclose(ad.jacrev(f)(x), ad.jacfwd(f)(x), rtol=1e-12, atol=1e-14)


def test_one_row_is_one_plain_sweep():
    rec = api.Recording(lambda x: np.sum(np.sin(x)), (np.ones(3),), 0, False)
    assert rec.rows_per_sweep(1) == 1
