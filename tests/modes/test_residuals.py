"""What the tape keeps of an elementwise entry (``Elementwise.residuals``).

Large arrays that no partial of a traced operand reads are swapped for a NaN stand-in, so
the table's small-array tests never exercise this: here every elementwise primitive runs
on arrays above ``RELEASE_MIN_SIZE``, and reverse mode is checked against forward mode
(which keeps nothing) through the dot-product identity <w, J u> = <J^T w, u>.
"""
import numpy as np
import pytest

import dualad as ad
from dualad import rules as P
from dualad.modes.reverse.tape import ReverseTrace

N = P.RELEASE_MIN_SIZE + 7
ELEMENTWISE = sorted(name for name, p in P.TABLE.items() if p.elementwise)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_reverse_agrees_with_forward_on_large_arrays(name):
    prim = P.TABLE[name]
    rng = np.random.default_rng(7)
    xs = P.sample_operands(prim, rng, (N,))
    live = [i for i in range(prim.nin) if i not in prim.nondiff]
    for i in live:   # each operand traced alone, then all together
        _check_identity(prim, xs, [i], rng)
    _check_identity(prim, xs, live, rng)


def _check_identity(prim, xs, traced, rng):
    def f(*args):
        full = list(xs)
        for i, a in zip(traced, args):
            full[i] = a
        return prim(*full)

    primals = [xs[i] for i in traced]
    us = [rng.standard_normal(N) for _ in traced]
    w = rng.standard_normal(N)
    _, jvp_out = ad.jvp(f, primals, us)
    _, vjp_fn = ad.vjp(f, *primals)
    ct = vjp_fn(w)
    lhs = float(np.dot(w, jvp_out))
    rhs = float(sum(np.dot(c, u) for c, u in zip(ct, us)))
    scale = float(np.sum(np.abs(w * jvp_out))) + 1.0
    assert np.isfinite(rhs), f"{prim.name}: a released operand was read"
    assert abs(lhs - rhs) <= 1e-12 * scale, (prim.name, traced, lhs, rhs)


def test_unread_temporaries_are_released():
    x = np.linspace(-1.0, 1.0, N)
    t = ReverseTrace()
    xi = t.leaf(x)
    y = 3.0 * (xi + 1.0)        # add: no partial reads anything; multiply by a constant
    z = np.sin(y)               # sin reads its operand, not its output
    t.finish()
    entries = {p.name: (primals, out) for p, _, primals, out, _ in t.generic.values()}
    _, add_out = entries["add"]
    (three, kept_add), mul_out = entries["multiply"]
    (sin_in,), sin_out = entries["sin"]
    for stand_in in (add_out, kept_add, mul_out, sin_out):
        assert stand_in.strides == (0,) and np.isnan(stand_in[0])
        assert stand_in.shape == (N,) and not stand_in.flags.writeable
    assert sin_in is y.value                 # what a partial reads is kept as it is
    np.testing.assert_allclose(ad.grad(lambda v: np.sum(np.sin(3.0 * (v + 1.0))))(x),
                               3.0 * np.cos(3.0 * (x + 1.0)), rtol=1e-14)
    del z


def test_small_arrays_are_kept():
    x = np.ones(P.RELEASE_MIN_SIZE - 1)
    assert P.released(x) is x
    ints = np.arange(N)
    assert P.released(ints) is ints             # no derivative is ever read from ints


def test_arguments_read():
    assert P.arguments_read(lambda x, y, o: y, 3) == {1}
    assert P.arguments_read(lambda *a: 1.0, 3) == set()
    assert P.arguments_read(lambda *a: a[0], 3) == {0, 1, 2}
    assert P.arguments_read(np.cos, 2) == {0, 1}          # not Python code: all of them

    def closure(x, o):
        return (lambda: x)()
    assert P.arguments_read(closure, 2) == {0, 1}         # captured: assume read

    def reassigned(x, o):
        x = 2.0
        return x
    assert 0 in P.arguments_read(reassigned, 2)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_vjp_never_writes_into_its_operands(name):
    # Elementwise.vjp multiplies into the partial when it is a temporary nobody else
    # holds; a partial that is an operand, the output or g itself must stay untouched.
    prim = P.TABLE[name]
    rng = np.random.default_rng(3)
    xs = P.sample_operands(prim, rng, (50,))
    out = prim.impl(*xs)
    g = rng.standard_normal(out.shape)
    saved = [a.copy() for a in (*xs, out, g)]
    for i in range(prim.nin):
        if i in prim.nondiff:
            continue
        got = prim.vjp(i, g, xs, out, {})
        if type(prim).vjp is P.Elementwise.vjp:     # (where/select have rules of their own)
            want = g * np.asarray(prim.partials[i](*saved[:prim.nin], saved[prim.nin]))
            np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)
        for a, b in zip((*xs, out, g), saved):
            np.testing.assert_array_equal(a, b)
