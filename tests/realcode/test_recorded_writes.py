"""In-place writes inside f (issue 13, item 2): ``x[idx] = v`` on a traced array is
recorded as a new value (the index_update row; the box is rebound, earlier readers keep
the old value), np.zeros_like/empty_like/ones_like/full_like of a traced array give
arrays whose writes are recorded, and a write into a plain array made outside the trace
raises at the write naming np.zeros_like(x) / np.stack. Both modes, second order."""
import numpy as np
import pytest

import dualad as ad

X = np.array([0.5, 1.2, -0.7, 2.0])


def _zeros_like_rhs(x):
    dydt = np.zeros_like(x)
    dydt[0] = x[0] * x[1]
    dydt[1] = -np.sin(x[2])
    dydt[3] = x[3] ** 2 / x[1]
    return dydt


def _empty_like_loop(x):
    out = np.empty_like(x)
    for i in range(len(x)):
        out[i] = x[i] * x[(i + 1) % len(x)]
    return out


def _copy_then_write(x):
    y = x.copy()
    y[0] = y[1] * y[2]
    y[1:3] = np.exp(x[2:4])
    return y


def _augmented(x):
    r = x * 1.0
    r += x[0]
    r *= x
    return r


def _masked_update(x):
    r = x ** 2
    r[x > 0] *= 2.0
    r[[1, 3]] += x[0]
    return r


def _ones_like_then_slices(x):
    a = np.ones_like(np.outer(x, x))
    a[0] = x
    a[:, 1] = np.cos(x)
    a[2:, 2:] = a[2:, 2:] * x[0]
    return a


def _full_like_traced_fill(x):
    z = np.full_like(x, x[2])
    z[1] = 3.0
    return z * x


def _write_into_the_input(x):
    x[0] = x[1] ** 2
    return x * x[0]


def _earlier_reader_keeps_the_old_value(x):
    y = x * 1.0
    s = y[0] * 2.0            # read before the write
    t = np.sum(y)             # read of the whole array before the write
    y[0] = 10.0 * x[1]
    return s + t + y[0] + np.sum(y)


WRITES = {f.__name__.lstrip("_"): f for f in (
    _zeros_like_rhs, _empty_like_loop, _copy_then_write, _augmented, _masked_update,
    _ones_like_then_slices, _full_like_traced_fill, _write_into_the_input,
    _earlier_reader_keeps_the_old_value)}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_recorded_writes_match_finite_differences(name):
    f = WRITES[name]
    ad.check_grads(lambda x: f(x * 1.0 if name != "write_into_the_input" else x), (X,),
                   order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", sorted(WRITES))
def test_recorded_writes_agree_across_modes(name):
    f = WRITES[name]
    np.testing.assert_allclose(ad.jacfwd(f)(X), ad.jacrev(f)(X), rtol=1e-13, atol=1e-14)


def test_writing_into_an_input_keeps_the_gradient_of_the_input():
    # the input's box is rebound by the write; the gradient is still d/dx of f
    g = ad.grad(lambda x: np.sum(_write_into_the_input(x)))(X.copy())
    h = 1e-6
    fd = [(np.sum(_write_into_the_input(X + h * e)) - np.sum(_write_into_the_input(X - h * e)))
          / (2 * h) for e in np.eye(4)]
    np.testing.assert_allclose(g, fd, rtol=1e-7)


def test_object_api_records_writes_into_tensors():
    w = ad.Tensor(X, requires_grad=True)
    out = ad.Tensor(np.zeros(4))
    out[0] = w[0] * w[1]
    out[2] = np.sin(w[2])
    out.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [X[1], X[0], np.cos(X[2]), 0.0])


# ------------------------------------------------------------------------------------
# What cannot be recorded
# ------------------------------------------------------------------------------------
@pytest.mark.parametrize("transform", [ad.jacfwd, ad.jacrev])
def test_a_write_into_a_plain_array_raises_at_the_write(transform):
    def f(x):
        a = np.zeros(2)
        a[0] = x[0]
        return a
    with pytest.raises(ValueError) as ei:    # NumPy's error, dualad's as its cause
        transform(f)(X)
    cause = ei.value.__cause__
    assert isinstance(cause, ad.ConcretizationError)
    msg = str(cause)
    assert "`a[0] = ...` into a plain NumPy array" in msg
    assert "np.zeros_like(x)" in msg and "np.stack" in msg


@pytest.mark.parametrize("transform", [ad.jacfwd, ad.jacrev])
def test_augmented_assignment_into_a_plain_array_names_the_fix(transform):
    def f(x):
        a = np.zeros(4)
        a += x
        return a
    with pytest.raises(ad.InPlaceError, match=r"a = a \+ t.*np\.zeros_like\(x\)"):
        transform(f)(X)


def test_repeated_targets_are_refused():
    def f(x):
        y = x * 1.0
        y[[0, 0]] = x[1:3]
        return y
    with pytest.raises(ad.InPlaceError, match="repeats an element"):
        ad.jacrev(f)(X)


def test_a_value_of_an_inner_derivative_cannot_go_into_an_outer_array():
    def outer(x):
        z = np.zeros_like(x)

        def inner(y):
            z[0] = y[0]
            return np.sum(y)
        ad.grad(inner)(x)
        return z
    with pytest.raises(ad.InPlaceError, match="inner derivative"):
        ad.jacfwd(outer)(X)


# ------------------------------------------------------------------------------------
# Robertson's stiff kinetics, written three ways, against the analytic Jacobian
# ------------------------------------------------------------------------------------
K1, K2, K3 = 0.04, 3e7, 1e4


def robertson_array(y):
    y1, y2, y3 = y
    return np.array([-K1 * y1 + K3 * y2 * y3,
                     K1 * y1 - K3 * y2 * y3 - K2 * y2 ** 2,
                     K2 * y2 ** 2])


def robertson_assign(y):
    dydt = np.zeros_like(y)
    dydt[0] = -K1 * y[0] + K3 * y[1] * y[2]
    dydt[1] = K1 * y[0] - K3 * y[1] * y[2] - K2 * y[1] ** 2
    dydt[2] = K2 * y[1] ** 2
    return dydt


def robertson_stack(y):
    y1, y2, y3 = y[0], y[1], y[2]
    return np.stack([-K1 * y1 + K3 * y2 * y3,
                     K1 * y1 - K3 * y2 * y3 - K2 * y2 ** 2,
                     K2 * y2 ** 2])


def robertson_jacobian(y):
    y1, y2, y3 = y
    return np.array([[-K1, K3 * y3, K3 * y2],
                     [K1, -K3 * y3 - 2 * K2 * y2, -K3 * y2],
                     [0.0, 2 * K2 * y2, 0.0]])


Y = np.array([0.9, 3e-5, 0.1])


@pytest.mark.parametrize("rhs", [robertson_array, robertson_assign, robertson_stack])
@pytest.mark.parametrize("jac", [ad.jacfwd, ad.jacrev, ad.jacobian])
def test_robertson_jacobian_is_the_analytic_one(rhs, jac):
    np.testing.assert_allclose(jac(rhs)(Y), robertson_jacobian(Y), rtol=1e-14, atol=1e-12)


@pytest.mark.parametrize("rhs", [robertson_array, robertson_assign, robertson_stack])
def test_robertson_second_order(rhs):
    # the Hessian of each component is constant: d2/dy2dy3 and d2/dy2^2
    H = ad.jacfwd(ad.jacrev(rhs))(Y)
    want = np.zeros((3, 3, 3))
    want[0, 1, 2] = want[0, 2, 1] = K3
    want[1, 1, 2] = want[1, 2, 1] = -K3
    want[1, 1, 1] = -2 * K2
    want[2, 1, 1] = 2 * K2
    np.testing.assert_allclose(H, want, rtol=1e-14)
    np.testing.assert_allclose(ad.hessian(lambda y: rhs(y)[1])(Y), want[1], rtol=1e-14)


def _list_into_a_slice(x):
    z = np.full_like(x, 2.0)
    z[1:3] = [x[0] * x[3], 1.0]
    return z * x


@pytest.mark.parametrize("transform", [ad.jacfwd, ad.jacrev])
def test_a_list_of_traced_values_written_into_a_slice(transform):
    ad.check_grads(_list_into_a_slice, (X,), order=2, modes=("fwd", "rev"))
    J = transform(_list_into_a_slice)(X)
    want = np.diag([2.0, X[0] * X[3], 1.0, 2.0])
    want[1, 0] += X[3] * X[1]
    want[1, 3] += X[0] * X[1]
    np.testing.assert_allclose(J, want, rtol=1e-15)


@pytest.mark.parametrize("local", [False, True])
@pytest.mark.parametrize("rhs", [robertson_array, robertson_assign, robertson_stack])
def test_robertson_sparsity_pattern_is_the_analytic_one(rhs, local):
    pytest.importorskip("scipy")
    from dualad.sparse import jacobian_pattern
    pattern, value = jacobian_pattern(rhs, Y, local=local)
    np.testing.assert_array_equal(pattern.toarray(), robertson_jacobian(Y) != 0)
    np.testing.assert_allclose(value, robertson_stack(Y), rtol=1e-15)


@pytest.mark.parametrize("sensitivity", ["forward", "adjoint"])
def test_dualad_scipy_odeint_of_a_right_hand_side_written_with_item_assignment(sensitivity):
    pytest.importorskip("scipy")
    from dualad.scipy.integrate import odeint

    def decay_array(y, t, k):
        return np.array([-k * y[0], k * y[0] - 2.0 * y[1]])

    def decay_assign(y, t, k):
        dydt = np.zeros_like(y)
        dydt[0] = -k * y[0]
        dydt[1] = k * y[0] - 2.0 * y[1]
        return dydt

    t = np.array([0.0, 0.5, 1.0])

    def final(rhs):
        return lambda k: odeint(rhs, np.array([1.0, 0.0]), t, args=(k,), rtol=1e-10,
                                atol=1e-12, sensitivity=sensitivity)[-1]
    # y0(t) = exp(-k t); y1(t) = k (exp(-k t) - exp(-2 t)) / (2 - k)
    k = 0.7
    want = [-np.exp(-k) * 1.0,
            ((np.exp(-k) - np.exp(-2.0)) * (2 - k) + (np.exp(-k) - np.exp(-2.0)) * k
             - k * np.exp(-k) * (2 - k)) / (2 - k) ** 2]
    for rhs in (decay_array, decay_assign):
        np.testing.assert_allclose(ad.jacfwd(final(rhs))(k), want, rtol=1e-6)
        np.testing.assert_allclose(ad.jacrev(final(rhs))(k), want, rtol=1e-6)
