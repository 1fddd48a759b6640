"""NumPy functions and arguments dualad does not differentiate raise the dualad error that
names them, in both modes; in-place writes into traced arrays raise InPlaceError naming the
out-of-place way. Never a silently wrong derivative."""
import numpy as np
import pytest

import dualad as ad

X = np.array([[1.0, 2.5], [3.0, 4.5]])
MODES = ["jvp", "grad"]


def traced(mode, body, x=X):
    if mode == "jvp":
        return ad.jvp(body, (x,), (np.ones_like(x),))
    return ad.grad(lambda a: np.sum(np.real(body(a))))(x)


UNSUPPORTED = [
    (lambda a: np.unique(a), "numpy.unique"),
    (lambda a: np.histogram(a)[0] * 1.0, "numpy.histogram"),
    (lambda a: np.bincount([0, 1, 1, 0], weights=np.ravel(a)), "numpy.bincount"),
    (lambda a: np.polyfit(np.arange(2.0), a[0], 1), "numpy.polyfit"),
    (lambda a: np.linalg.tensorinv(a), "numpy.linalg.tensorinv"),
    (lambda a: np.linalg.tensorsolve(a, a[0]), "numpy.linalg.tensorsolve"),
    (lambda a: np.apply_along_axis(np.sum, 0, a), "numpy.apply_along_axis"),
    (lambda a: np.piecewise(a, [a > 2], [lambda v: v, 0.0]), "numpy.piecewise"),
    (lambda a: np.lib.stride_tricks.sliding_window_view(a, 2), "sliding_window_view"),
    (lambda a: np.nextafter(a, 10.0), "numpy.nextafter"),
    (lambda a: np.copysign(a, -1.0), "numpy.copysign"),
    (lambda a: np.ldexp(a, 2), "numpy.ldexp"),
    (lambda a: np.modf(a)[0], "numpy.modf"),
    (lambda a: np.add.reduceat(np.ravel(a), [0, 2]), "numpy.add.reduceat"),
    (lambda a: np.divide.accumulate(a), "numpy.divide.accumulate"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn, name", UNSUPPORTED, ids=[n for _, n in UNSUPPORTED])
def test_unsupported_function_names_itself(mode, fn, name):
    with pytest.raises(ad.NotDifferentiableError) as ei:
        traced(mode, fn)
    assert name in str(ei.value)
    assert "no derivative rule" in str(ei.value)


UNSUPPORTED_ARGS = [
    (lambda a: np.sum(a, where=a > 2), "where"),
    (lambda a: np.mean(a, where=a > 2), "where"),
    (lambda a: np.max(a, where=a > 2, initial=0.0), "where"),
    (lambda a: np.prod(a, where=a > 2), "where"),
    (lambda a: np.var(a, mean=np.mean(a, keepdims=True)), "mean"),
    (lambda a: np.sin(a, where=a > 2), "where"),
    (lambda a: np.exp(a, dtype=np.float32), "dtype"),
    (lambda a: np.pad(a, 1, mode="mean"), "mode='mean'"),
    (lambda a: np.pad(a, 1, constant_values=a[0, 0]), "constant_values"),
    (lambda a: np.reshape(a, (4,), order="F"), "order"),
    (lambda a: np.linalg.svd(np.concatenate([a, a]))[0], "full_matrices=True"),
    (lambda a: np.linalg.qr(a[:1]), "wide"),
    (lambda a: np.linalg.qr(a * 1j), "complex"),
    (lambda a: np.fft.rfft(a * 1j), "complex"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn, what", UNSUPPORTED_ARGS, ids=[w for _, w in UNSUPPORTED_ARGS])
def test_unsupported_argument_is_named(mode, fn, what):
    with pytest.raises(ad.NotDifferentiableError) as ei:
        traced(mode, fn)
    assert what in str(ei.value)


def _setitem(a):
    a[0, 0] = 1.0
    return a


def _ufunc_out(a):
    buf = np.zeros(2)
    np.add(a[0], 1.0, out=buf)
    return buf


def _iadd_plain(a):
    buf = np.zeros((2, 2))
    buf += a
    return buf


def _method(name, *args):
    def f(a):
        getattr(a, name)(*args)
        return a
    return f


IN_PLACE = [
    (_ufunc_out, "out="),
    (_iadd_plain, "out="),
    (lambda a: np.cumsum(a, out=np.zeros(4)), "out="),
    (_method("sort"), "np.sort"),
    (_method("fill", 0.0), "np.full_like"),
    (lambda a: np.put(a, [0], [1.0]), "np.where"),
    (lambda a: np.copyto(np.zeros((2, 2)), a), "np.broadcast_to"),
    (lambda a: np.fill_diagonal(a, 0.0), "np.diag"),
    (lambda a: np.add.at(a, [0], 1.0), "numpy.add.at"),
    (lambda a: np.place(a, a > 2, [0.0]), "np.where"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn, fix", IN_PLACE, ids=[f for _, f in IN_PLACE])
def test_in_place_writes_raise_and_name_the_fix(mode, fn, fix):
    with pytest.raises(ad.InPlaceError) as ei:
        traced(mode, fn)
    assert fix in str(ei.value)


@pytest.mark.parametrize("mode", MODES)
def test_augmented_assignment_on_a_traced_array_rebinds(mode):
    # ``a += b`` on a traced value is ``a = a + b`` (the box is never written in place)
    def f(a):
        b = a
        b += 1.0
        b *= a
        return b
    if mode == "jvp":
        np.testing.assert_array_equal(traced(mode, f)[1], 2 * X + 1.0)
    else:
        np.testing.assert_array_equal(traced(mode, f), 2 * X + 1.0)


@pytest.mark.parametrize("mode", MODES)
def test_writing_a_traced_scalar_into_a_plain_array_names_np_stack(mode):
    def f(a):
        buf = np.zeros(2)
        buf[0] = a[0, 0]
        return buf
    with pytest.raises((ad.ConcretizationError, ValueError)) as ei:
        traced(mode, f)
    err = ei.value if isinstance(ei.value, ad.DualadError) else ei.value.__cause__
    assert isinstance(err, ad.ConcretizationError)   # NumPy chains it as the cause
    assert "np.stack" in str(err)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("build, same", [
    (lambda a: np.array([a[0, 0], a[1, 1]]), lambda a: np.stack([a[0, 0], a[1, 1]])),
    (lambda a: np.asarray([a[0, 0], 2.0]), lambda a: np.stack([a[0, 0], 2.0])),
    (lambda a: np.asarray(a), lambda a: a)])
def test_np_array_of_traced_values_is_np_stack(mode, build, same):
    got, want = traced(mode, build), traced(mode, same)
    for g, w in zip(got if mode == "jvp" else [got], want if mode == "jvp" else [want]):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("mode", MODES)
def test_np_stack_builds_vectors_from_traced_scalars(mode):
    f = lambda a: np.stack([a[0, 0] * a[1, 1], np.sin(a[0, 1]), 3.0])   # noqa: E731
    if mode == "jvp":
        _, t = traced(mode, f)
        np.testing.assert_allclose(t, [X[1, 1] + X[0, 0], np.cos(X[0, 1]), 0.0])
    else:
        g = traced(mode, f)
        np.testing.assert_allclose(g, [[X[1, 1], np.cos(X[0, 1])], [0.0, X[0, 0]]])


def test_trace_method_is_numpys_trace():
    np.testing.assert_array_equal(ad.grad(lambda a: a.trace())(X), np.eye(2))
    np.testing.assert_array_equal(ad.jacfwd(lambda a: a.trace(offset=1))(X), [[0, 1], [0, 0]])
