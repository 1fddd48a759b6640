"""Never silently wrong: each refused operation raises a dualad error that names the fix."""
import math
import operator

import numpy as np
import pytest

import dualad as ad

X = np.array([[1.0, 2.0], [3.0, 4.0]])


def traced(mode, body, x=X):
    """Run ``body`` on a traced copy of x: a Dual (mode "jvp") or a Tracer (mode "grad")."""
    if mode == "jvp":
        return ad.jvp(body, (x,), (np.ones_like(x),))
    return ad.grad(lambda a: np.sum(body(a)))(x)


MODES = ["jvp", "grad"]


# ------------------------------------------------------------------------------------
# Operations with no derivative rule
# ------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn, name", [
    (lambda a: np.linalg.tensorsolve(a, a[0]), "numpy.linalg.tensorsolve"),
    (lambda a: np.unique(a), "numpy.unique"),
    (lambda a: np.nextafter(a, 10.0), "numpy.nextafter"),       # a ufunc
    (lambda a: np.add.reduceat(a, [0, 1]), "numpy.add.reduceat"),  # a ufunc method
])
def test_no_rule_names_the_numpy_function(mode, fn, name):
    with pytest.raises(ad.NotDifferentiableError) as ei:
        traced(mode, fn)
    msg = str(ei.value)
    assert name in msg
    assert "no derivative rule" in msg and "dualad.primal" in msg
    assert isinstance(ei.value, ad.DualadError) and isinstance(ei.value, TypeError)


# ------------------------------------------------------------------------------------
# Turning a traced value into a plain number or array
# ------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("what, fn", [
    ("float", lambda a: float(a[0, 0])),
    ("int", lambda a: int(a[0, 0])),
    ("complex", lambda a: complex(a[0, 0])),
    ("math.sin", lambda a: math.sin(a[0, 0])),
    ("math.exp", lambda a: math.exp(a[1, 1])),
    ("np.asarray(dtype=float)", lambda a: np.asarray(a, dtype=float)),
    ("np.float64", lambda a: np.float64(a[0, 0])),
    ("item", lambda a: a[0, 0].item()),
    ("tolist", lambda a: a.tolist()),
    ("operator.index", lambda a: operator.index(a[0, 0])),
])
def test_concretization_names_dualad_primal(mode, what, fn):
    with pytest.raises(ad.ConcretizationError) as ei:
        traced(mode, fn)
    msg = str(ei.value)
    assert "dualad.primal" in msg, msg
    assert "drop the derivative" in msg


@pytest.mark.parametrize("mode", MODES)
def test_np_array_of_traced_scalars_is_the_same_as_np_stack(mode):
    a = traced(mode, lambda a: np.array([a[0, 0], a[1, 1]]))
    b = traced(mode, lambda a: np.stack([a[0, 0], a[1, 1]]))
    if mode == "grad":
        np.testing.assert_array_equal(a, [[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


@pytest.mark.parametrize("mode", MODES)
def test_math_functions_mention_numpy_alternatives(mode):
    with pytest.raises(ad.ConcretizationError, match=r"math\.\*"):
        traced(mode, lambda a: math.sqrt(a[0, 1]))


def test_primal_takes_the_value_explicitly():
    seen = []

    def f(x):
        seen.append(float(ad.primal(x)))     # allowed: no derivative flows through it
        return x * math.sin(ad.primal(x))

    g = ad.grad(f)(0.5)
    assert seen == [0.5]
    assert g == pytest.approx(math.sin(0.5))   # the primal factor is a constant


# ------------------------------------------------------------------------------------
# grad of a non-scalar output
# ------------------------------------------------------------------------------------
def test_grad_of_a_non_scalar_output_states_the_shape():
    with pytest.raises(TypeError) as ei:
        ad.grad(lambda a: a * 2.0)(X)
    msg = str(ei.value)
    assert "(2, 2)" in msg
    assert "jacobian" in msg and "vjp" in msg
    with pytest.raises(TypeError, match=r"\(3,\)"):
        ad.value_and_grad(lambda a: np.ones(3) * a)(1.0)


def test_grad_of_a_container_output_suggests_jacobian():
    with pytest.raises(TypeError, match="jacobian"):
        ad.grad(lambda a: (np.sum(a), np.sum(a)))(X)


# ------------------------------------------------------------------------------------
# argnums and input types
# ------------------------------------------------------------------------------------
@pytest.mark.parametrize("transform", [ad.grad, ad.value_and_grad, ad.jacfwd, ad.jacrev,
                                       ad.jacobian, ad.hessian])
@pytest.mark.parametrize("argnums", [2, -3, (0, 2), (5,)])
def test_argnums_out_of_range(transform, argnums):
    f = lambda a, b: a * b   # noqa: E731
    with pytest.raises(ValueError) as ei:
        transform(f, argnums=argnums)(1.0, 2.0)
    msg = str(ei.value)
    assert "argnums" in msg and "out of range" in msg and "2 positional" in msg


@pytest.mark.parametrize("bad, tname", [("abc", "str"), (object(), "object"),
                                        (b"xy", "bytes"), ({1, 2}, "set")])
@pytest.mark.parametrize("call", [
    lambda x: ad.grad(lambda a: a)(x),
    lambda x: ad.jacfwd(lambda a: a)(x),
    lambda x: ad.jacrev(lambda a: a)(x),
    lambda x: ad.jvp(lambda a: a, (x,), (x,)),
    lambda x: ad.vjp(lambda a: a, x),
    lambda x: ad.grad(lambda p: p["w"] * 2.0)({"w": x}),   # inside a container too
])
def test_unsupported_input_types(call, bad, tname):
    with pytest.raises(TypeError) as ei:
        call(bad)
    msg = str(ei.value)
    assert "cannot differentiate" in msg and tname in msg
    assert "floats" in msg   # says what is accepted


@pytest.mark.parametrize("bad", [True, np.array([True, False])])
def test_boolean_inputs_are_refused(bad):
    with pytest.raises(TypeError, match="boolean"):
        ad.grad(lambda a: np.sum(a * 1.0))(bad)


# ------------------------------------------------------------------------------------
# In-place writes
# ------------------------------------------------------------------------------------
FIX = "Build a new array"


def _setitem(a):
    a[0, 1] = 5.0
    return a


def _setitem_traced_value(a):
    b = a * 2.0
    b[1] = a[0]
    return b


def _ufunc_out(a):
    return np.add(a, a, out=np.empty((2, 2)))


def _ufunc_out_traced(a):
    b = a * 1.0
    np.multiply(b, 2.0, out=b)
    return b


def _iadd_plain(a):
    acc = np.zeros((2, 2))
    acc += a
    return acc


def _sum_out(a):
    return np.sum(a, axis=0, out=np.empty(2))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn, what", [
    (_ufunc_out_traced, "numpy.multiply(..., out=...)"),
    (_sum_out, "np.sum(..., out=...)"),
])
def test_in_place_writes_are_refused(mode, fn, what):
    with pytest.raises(ad.InPlaceError) as ei:
        traced(mode, fn)
    msg = str(ei.value)
    assert what in msg
    assert FIX in msg and "np.where" in msg


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn, what", [
    (_ufunc_out, "numpy.add(..., out=plain array)"),
    (_iadd_plain, "numpy.add(..., out=plain array)"),
])
def test_writes_of_traced_values_into_plain_arrays_name_zeros_like(mode, fn, what):
    with pytest.raises(ad.InPlaceError) as ei:
        traced(mode, fn)
    msg = str(ei.value)
    assert what in msg and "a = a + t" in msg and "np.zeros_like(x)" in msg


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn", [_setitem, _setitem_traced_value])
def test_item_assignment_into_traced_arrays_is_recorded(mode, fn):
    # the derivative of the written function, by finite differences of the plain function
    ad.check_grads(lambda a: fn(a * 1.0), (X,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("mode", MODES)
def test_plain_array_element_set_to_a_traced_value_is_refused(mode):
    # NumPy converts the element with float(), which dualad refuses; NumPy may re-raise it
    # as its own ValueError, with dualad's error as the cause.
    def fn(a):
        z = np.zeros(2)
        z[0] = a[0, 0]
        return z

    with pytest.raises((ad.ConcretizationError, ValueError)) as ei:
        traced(mode, fn)
    chain, e = [], ei.value
    while e is not None:
        chain.append(e)
        e = e.__cause__ or e.__context__
    assert any(isinstance(c, ad.ConcretizationError) for c in chain), chain
    err = next(c for c in chain if isinstance(c, ad.ConcretizationError))
    assert "`z[0] = ...` into a plain NumPy array" in str(err)
    assert "np.zeros_like(x)" in str(err) and "np.stack" in str(err)


def test_augmented_assignment_on_a_traced_name_rebinds():
    # x += ... on the traced value itself is not in place: it makes a new value
    def f(x):
        x += 1.0
        x *= x
        return np.sum(x)

    np.testing.assert_allclose(ad.grad(f)(X), 2 * (X + 1.0))


# ------------------------------------------------------------------------------------
# Mismatched arguments to the transformations
# ------------------------------------------------------------------------------------
def test_jvp_argument_errors():
    with pytest.raises(TypeError, match="tuples"):
        ad.jvp(np.sin, X, X)
    with pytest.raises(ValueError, match="shape"):
        ad.jvp(np.sin, (X,), (np.ones(3),))
    with pytest.raises(ValueError, match="structure"):
        ad.jvp(lambda a, b: a * b, (1.0, 2.0), (1.0,))


def test_vjp_fn_argument_errors():
    _, vjp_fn = ad.vjp(lambda a: (a * 2.0, np.sum(a)), X)
    with pytest.raises(ValueError, match="structure"):
        vjp_fn(np.ones((2, 2)))
    with pytest.raises(ValueError, match="shape"):
        vjp_fn((np.ones(3), 1.0))


def test_has_aux_needs_a_pair():
    with pytest.raises(TypeError, match="pair"):
        ad.grad(lambda a: np.sum(a), has_aux=True)(X)


def test_concretization_of_a_hand_made_dual():
    d = ad.Dual(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    for fn in (lambda: float(d[0]), lambda: math.sin(d[1]), lambda: np.asarray(d, float)):
        with pytest.raises(ad.ConcretizationError, match=r"dualad\.primal"):
            fn()
    np.testing.assert_array_equal(ad.primal(d), [1.0, 2.0])
