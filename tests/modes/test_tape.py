"""The reverse-mode tape: the numba sweep against the pure-Python reference sweep, and the
fast scalar operators against the general path."""
import pathlib
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import dualad as ad
from dualad.accel import kernels, tape_kernel
from dualad.modes.reverse import fastops
from dualad.modes.reverse import tape as reverse
from dualad.numpy import operators, registry
from dualad import rules as P
from dualad.transforms.reverse import Recording as _Recording
from dualad.modes.reverse.sweep import _sweep_fast, _sweep_reference
from dualad.modes.reverse.tape import Tracer

UNARY = [np.sin, np.cos, np.tanh, np.exp, lambda v: -v, lambda v: v * v,
         lambda v: np.sqrt(v * v + 1.0), lambda v: 1.0 / (1.0 + v * v), np.arctan]
BINARY = [lambda u, v: u + v, lambda u, v: u - v, lambda u, v: u * v,
          lambda u, v: u / (1.0 + v * v), lambda u, v: np.maximum(u, v),
          lambda u, v: (u * u + 1.0) ** v * 0.1, lambda u, v: np.arctan2(u, v + 3.0)]


def random_program(ops):
    """A scalar program over x[i] (array elements), y (a float) and intermediate values,
    mixing in array operations, driven by the list of integers ``ops``."""
    def f(x, y):
        pool = [x[0], x[1], y]
        for k, op in enumerate(ops):
            a, b = pool[op % len(pool)], pool[(op // 7) % len(pool)]
            if op % 5 == 0:
                pool.append(UNARY[op % len(UNARY)](a))
            elif op % 5 == 4:   # an array operation in the middle of scalar code
                pool.append(np.sum(x * a) * 0.1)
            elif op % 5 == 3:
                pool.append(x[op % 3] * b)
            else:
                pool.append(BINARY[op % len(BINARY)](a, b))
        return pool[-1] + 0.5 * pool[-2]
    return f


def both_sweeps(f, args):
    rec = _Recording(f, args, (0, 1), False)
    out = rec.out_leaves[0]
    wanted = [b.slot for b in rec.inputs]
    seeds = {out.slot: 1.0}
    kernel = tape_kernel.compiled_sweep()
    assert kernel is not None, "numba should be enabled in this test run"
    return (_sweep_fast(rec.trace, seeds, wanted, kernel),
            _sweep_reference(rec.trace, seeds, wanted), rec)


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=40))
def test_fast_sweep_equals_reference_on_random_programs(ops):
    x = np.array([0.3, -0.7, 1.1])
    fast, ref, rec = both_sweeps(random_program(ops), (x, 0.4))
    for a, b in zip(fast, ref):
        if b is None:
            assert a is None or np.all(np.asarray(a) == 0)
        else:
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # and the gradient agrees with forward mode (an independent computation)
    f = random_program(ops)
    gx, gy = ad.grad(f, argnums=(0, 1))(x, 0.4)
    jx = ad.jacfwd(f, argnums=0)(x, 0.4)
    jy = ad.jvp(lambda y: f(x, y), (0.4,), (1.0,))[1]
    np.testing.assert_allclose(gx, jx, rtol=1e-12, atol=1e-12)
    assert gy == pytest.approx(jy, rel=1e-12, abs=1e-12)


def test_scalar_code_records_flat_entries_only():
    def rosen_loop(x):
        s = 0.0
        for i in range(len(x) - 1):
            s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
        return s
    x = np.linspace(-1.0, 1.0, 50)
    rec = _Recording(rosen_loop, (x,), 0, False)
    trace = rec.trace
    # every x[i] is an O(1) element entry into one gathered region, not a dense scatter
    assert trace.generic == {}
    assert trace.esize == x.size and list(trace.regions) == [rec.inputs[0].slot]
    bytes_per_entry = sum(arr.itemsize for arr in (trace.a, trace.b, trace.da, trace.db,
                                                   trace.scalar))
    assert bytes_per_entry <= 64
    g = ad.grad(rosen_loop)(x)
    want = np.zeros_like(x)
    want[:-1] = -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    want[1:] += 200 * (x[1:] - x[:-1] ** 2)
    np.testing.assert_allclose(g, want, rtol=1e-12)


def test_numba_switch_gives_reference_sweep(monkeypatch):
    f = random_program([1, 22, 333, 4444, 55, 6, 77, 8])
    x = np.array([0.3, -0.7, 1.1])
    with_numba = ad.grad(f, argnums=(0, 1))(x, 0.4)
    monkeypatch.setattr(kernels, "NUMBA_ENABLED", False)
    assert tape_kernel.compiled_sweep() is None
    without = ad.grad(f, argnums=(0, 1))(x, 0.4)
    np.testing.assert_array_equal(with_numba[0], without[0])
    assert with_numba[1] == without[1]


def test_traced_cotangent_uses_reference_sweep():
    # a vjp_fn of scalar code called under an outer grad: cotangents are Tracers
    def f(x):
        return np.sin(x) * x
    _, pull = ad.vjp(f, 0.7)
    g = ad.grad(lambda c: pull(c * c)[0])(1.5)
    assert g == pytest.approx(2 * 1.5 * (np.cos(0.7) * 0.7 + np.sin(0.7)), rel=1e-14)


def test_division_by_zero_follows_numpy():
    with np.errstate(divide="ignore"):
        assert ad.grad(np.sqrt)(0.0) == np.inf
        assert ad.grad(lambda x: 1.0 / x)(0.0) == -np.inf


def test_no_grad_never_zeroes_a_functional_grad():
    # grad called inside no_grad still differentiates (as torch.func.grad does) ...
    with ad.no_grad():
        assert ad.grad(lambda x: x * x)(3.0) == 6.0
        assert np.allclose(ad.grad(lambda x: np.sum(x * x))(np.ones(3)), 2.0)

    # ... while no_grad inside the differentiated function cuts the derivative there
    def f(x):
        with ad.no_grad():
            c = x * x
        return c * x
    assert ad.grad(f)(3.0) == 9.0


# ------------------------------------------------------------------------------------
# The fast scalar operators (rows with ``fast``): same entries as the general path
# ------------------------------------------------------------------------------------
FAST_METHODS = sorted(m for m in dir(Tracer) if hasattr(getattr(Tracer, m), "slow"))
CONSTANTS = [2.5, -3, np.float64(0.75), True, 0.0, 0, 2, 0.5]


@pytest.fixture
def slow_operators(monkeypatch):
    """Switch every fast Tracer operator to its general path (the reference)."""
    def switch():
        for m in FAST_METHODS:
            monkeypatch.setattr(Tracer, m, getattr(Tracer, m).slow)
    return switch


def entry(trace, slot):
    return (trace.a[slot], trace.b[slot], trace.da[slot], trace.db[slot], trace.scalar[slot])


FAST_ROWS = {p.fast[0]: p for p in fastops.fast_rows()}    # Tracer method -> row


def test_every_fast_operator_is_installed():
    ops = set(FAST_ROWS)
    two = {m for m, p in FAST_ROWS.items() if p.nin == 2 and p.fast[1] is not None}
    assert set(FAST_METHODS) == ({f"__{m}__" for m in ops} | {f"__r{m}__" for m in two}
                                 | {"__getitem__", "__array_ufunc__"})


@pytest.mark.parametrize("method", sorted(FAST_ROWS))
def test_fast_partials_agree_with_the_table(method):
    # the partials recorded by the fast operators are the table's, on random operands
    prim = FAST_ROWS[method]
    d = [lambda *v, i=i: float(prim.partials[i](*v)) for i in range(prim.nin)]
    rng = np.random.default_rng(0)
    for x, y, c in rng.uniform(0.1, 3.0, (50, 3)).tolist():
        trace = reverse.ReverseTrace()
        tx, ty = trace.leaf(x), trace.leaf(y)
        if prim.nin == 1:
            r = getattr(tx, f"__{method}__")()
            assert r.value == prim.scalar(x)
            assert entry(trace, r.slot) == (tx.slot, -1, d[0](x, r.value), 0.0, 1)
            continue
        for k in (c, int(3 * c) - 4 or 5, 2):                  # Tracer op constant
            r = getattr(tx, f"__{method}__")(k)
            assert r.value == prim.scalar(x, k)
            assert entry(trace, r.slot) == (tx.slot, -1, d[0](x, k, r.value), 0.0, 1)
        if prim.fast[1] is None:         # tracer ** tracer takes the general path
            continue
        r = getattr(tx, f"__{method}__")(ty)                  # two Tracers
        assert r.value == prim.scalar(x, y)
        assert entry(trace, r.slot) == (tx.slot, ty.slot, d[0](x, y, r.value),
                                        d[1](x, y, r.value), 1)
        r = getattr(tx, f"__r{method}__")(c)                  # constant op Tracer
        assert r.value == prim.scalar(c, x)
        assert entry(trace, r.slot) == (tx.slot, -1, d[1](c, x, r.value), 0.0, 1)


def fast_cases(constants=CONSTANTS):
    """Scalar functions of x using every fast operator, reflected operands, int, float,
    bool and NumPy-float constants."""
    cases = [("-x", lambda x: -x), ("-(x*x)", lambda x: -(x * x))]
    for method in FAST_METHODS:
        if method in ("__neg__", "__getitem__", "__array_ufunc__"):
            continue
        for c in constants:
            cases.append((f"x.{method}({c!r})", lambda x, m=method, c=c: getattr(x, m)(c)))
        if not method.startswith("__r"):
            cases.append((f"x {method} x*x", lambda x, m=method: getattr(x, m)(x * x + 0.5)))
    return cases


def program(x):
    """Every fast operator in a chain, with reflected operands and int/bool constants."""
    y = x * x + 1
    z = 2 - y / (3.0 + x) + y * np.float64(0.5) - np.float64(0.25) / y
    w = (z - x) * (1.5 - x) / 2 + True * z + 1.0 / (x * 2) - y ** 2 + y ** 0.5
    return -w * y - z ** 3


@pytest.mark.parametrize("name,f", fast_cases(), ids=[n for n, _ in fast_cases()])
def test_fast_operators_equal_the_general_path(name, f, slow_operators):
    xs = [0.7, -1.3, 0.0, 2.0, -0.0, np.inf]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = [ad.value_and_grad(f)(x) for x in xs]
        slow_operators()
        slow = [ad.value_and_grad(f)(x) for x in xs]
    # bit for bit, including NumPy's inf and nan at a division by zero
    np.testing.assert_array_equal(np.array(fast, dtype=float), np.array(slow, dtype=float))


def test_fast_operators_against_finite_differences():
    for x in (0.7, 1.3, 2.0):
        ad.check_grads(program, (x,), order=2, modes=("rev",))
    for name, f in fast_cases([c for c in CONSTANTS if c != 0]):
        ad.check_grads(f, (0.7,), order=2, modes=("rev",))


def test_division_by_zero_on_the_fast_path_follows_numpy():
    with np.errstate(all="ignore"):
        assert ad.value_and_grad(lambda x: x / 0.0)(1.0) == (np.inf, np.inf)
        assert ad.value_and_grad(lambda x: x / 0)(-1.0) == (-np.inf, np.inf)
        v, g = ad.value_and_grad(lambda x: x / x)(0.0)
        assert np.isnan(v) and np.isnan(g)
        assert ad.grad(lambda x: 2 / x)(0.0) == -np.inf
        assert ad.value_and_grad(lambda x: x ** -1)(0.0) == (np.inf, -np.inf)
        assert ad.value_and_grad(lambda x: x ** 0.5)(0.0) == (0.0, np.inf)
        assert np.isnan(ad.grad(lambda x: (x * 1.0) / (x - x))(1.0))   # inf + 0 * -inf


def test_fractional_power_of_a_negative_float_is_nan_in_both_modes():
    # Python's (-1.0) ** -0.5 is a complex number; its real part (3e-17) was once
    # returned as the derivative. NumPy's answer, nan, is the honest one.
    with np.errstate(all="ignore"):
        for x in (-1.0, np.float64(-1.0), np.array([-1.0, -4.0])):
            f = (lambda v: np.sum(v ** 0.5))  # noqa: E731
            v, g = ad.value_and_grad(f)(x)
            assert np.isnan(v) and np.all(np.isnan(g)), (x, v, g)
            assert np.all(np.isnan(ad.jvp(f, (x,), (np.ones_like(x),))[1]))
    assert ad.grad(lambda v: v ** 0.5)(4.0) == 0.25
    assert ad.grad(lambda v: v ** 3)(-2.0) == 12.0       # integral exponents stay real


def test_fast_operators_nested_grad_of_grad():
    # the inner grad's Tracers hold the outer grad's Tracers: the general path
    d2 = ad.grad(ad.grad(program))(0.7)
    d2_slow = ad.grad(lambda x: ad.jvp(program, (x,), (1.0,))[1])(0.7)
    assert d2 == pytest.approx(d2_slow, rel=1e-12)
    assert ad.grad(ad.grad(lambda x: 1.0 / x))(2.0) == pytest.approx(2 / 8)


def test_fast_operators_respect_no_grad_and_dead_traces():
    def f(x):
        with ad.no_grad():
            c = x * x + 1.0 - x / 2.0
            c = 3.0 - c * 2 + 1 / c - c ** 2
        return c * x
    x = 1.5
    c = x * x + 1.0 - x / 2.0
    c = 3.0 - c * 2 + 1 / c - c ** 2
    assert ad.grad(f)(x) == pytest.approx(c, rel=1e-14)

    def g(v):
        with ad.no_grad():
            c = -v[0]
        return c * v[1]
    np.testing.assert_array_equal(ad.grad(g)(np.array([2.0, 3.0])), [0.0, -2.0])
    leaked = []
    ad.grad(lambda x: leaked.append(x) or x * 2.0)(1.0)
    for op in (lambda t: t + 1.0, lambda t: 2.0 * t, lambda t: t / t, lambda t: 1 - t,
               lambda t: -t, lambda t: t ** 2):
        with pytest.raises(ad.LeakedTracerError):
            op(leaked[0])
    ad.grad(lambda v: leaked.append(v) or v[0])(np.ones(2))
    with pytest.raises(ad.LeakedTracerError):
        leaked[-1][0]


def test_staged_entries_reach_the_arrays():
    # more entries than one staging chunk, with generic entries in between
    def f(x, y):
        for k in range(3 * reverse.STAGE_ENTRIES // 2):
            y = y * 0.999 + 0.001 * x[k % 3]
            if k % 1000 == 0:
                y = y + np.sum(x * y) * 1e-3
        return y
    x = np.array([0.3, -0.7, 1.1])
    fast, ref, rec = both_sweeps(f, (x, 0.4))
    assert len(rec.trace) == len(rec.trace.a) == len(rec.trace.scalar)
    trace = rec.trace
    vector = {rec.inputs[0].slot} | {s for s, node in trace.generic.items()
                                     if isinstance(node[3], np.ndarray)}
    assert {s for s, flag in enumerate(trace.scalar) if not flag} == vector
    for a, b in zip(fast, ref):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-13)


def test_staged_entries_land_in_the_right_columns():
    # entries across full chunks (struct-packed) and a partial one (fromlist)
    kept = []

    def f(y):
        for k in range(5 * reverse.STAGE_ENTRIES // 2):
            kept.append((y, 1.0 + k / 7.0))
            y = y * (1.0 + k / 7.0) if k % 2 else (1.0 + k / 7.0) - y
        return y
    rec = _Recording(f, (0.1,), 0, False)
    trace = rec.trace
    for k, ((parent, c), child) in enumerate(zip(kept, [t for t, _ in kept[1:]])):
        assert entry(trace, child.slot) == (parent.slot, -1, c if k % 2 else -1.0, 0.0, 1)


ITEM_CASES = [
    ("x[i] loop", lambda v: sum(v[i] * v[i - 1] for i in range(len(v)))),
    ("negative index", lambda v: v[-1] * v[-3] + v[0]),
    ("np.int64 index", lambda v: v[np.int64(1)] * v[1]),
    ("tuple index then int", lambda v: v[(1,)] * v[2] + v[1]),
    ("2-D array", lambda v: v.reshape(2, 2)[1][0] * v[3]),
    ("float32 array", lambda v: v.astype(np.float32)[1] * 2.0 + v[0]),
    ("slice then index", lambda v: v[1:][0] * v[1]),
]


@pytest.mark.parametrize("name,f", ITEM_CASES, ids=[n for n, _ in ITEM_CASES])
def test_fast_item_equals_the_general_path(name, f, slow_operators):
    x = np.array([0.3, -1.2, 2.5, 0.7])
    fast = ad.value_and_grad(f)(x)
    if "float32" not in name:     # a float32 intermediate is too coarse for the differences
        ad.check_grads(f, (x,), order=2, modes=("rev",))
    slow_operators()
    slow = ad.value_and_grad(f)(x)
    assert fast[0] == slow[0]
    np.testing.assert_array_equal(fast[1], slow[1])


def test_fast_item_errors_and_regions():
    x = np.array([0.3, -1.2, 2.5])
    with pytest.raises(IndexError):
        ad.grad(lambda v: v[3])(x)
    with pytest.raises(IndexError):
        ad.grad(lambda v: v[-4])(x)
    rec = _Recording(lambda v: v[0] * v[-1] + v[(1,)], (x,), 0, False)
    assert rec.trace.generic == {} and rec.trace.esize == 3      # one region, shared


def fast_ufuncs():
    operators._refresh_ufunc_ops()
    return sorted((u for u in operators._ufunc_ops if u is not None), key=lambda u: u.__name__)


def test_fast_ufuncs_cover_the_math_functions():
    names = {u.__name__ for u in fast_ufuncs()}
    assert {"sin", "cos", "exp", "log", "sqrt", "tanh", "arctan", "absolute"} <= names


@pytest.mark.parametrize("ufunc", fast_ufuncs(), ids=lambda u: u.__name__)
def test_fast_ufunc_equals_the_general_path(ufunc, slow_operators):
    prim = registry.UFUNCS[ufunc]
    inside = P.sample_operands(prim, np.random.default_rng(1), (4,))[0].tolist()
    xs = inside + [0.0, -0.0, 1.0, -1.0, 2.0, np.inf, -np.inf, np.nan]

    def f(x):
        return ufunc(x) * x

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = [ad.value_and_grad(f)(x) for x in xs]
        fast2 = [ad.grad(ad.grad(f))(x) for x in inside]
        # the fast op's entry: the table's partial at the value
        trace = reverse.ReverseTrace()
        t = trace.leaf(inside[0])
        r = ufunc(t)
        assert r.value == prim.scalar(inside[0])
        assert entry(trace, r.slot) == (t.slot, -1, float(prim.partials[0](inside[0], r.value)),
                                        0.0, 1)
        for x in inside:
            ad.check_grads(f, (x,), order=2, modes=("rev",))
        slow_operators()
        slow = [ad.value_and_grad(f)(x) for x in xs]
        slow2 = [ad.grad(ad.grad(f))(x) for x in inside]
    np.testing.assert_array_equal(np.array(fast, dtype=float), np.array(slow, dtype=float))
    np.testing.assert_array_equal(fast2, slow2)


def test_fast_ufunc_keeps_the_other_calls():
    # out=, two operands, arrays and complex values still take NumPy dispatch
    x = np.array([0.3, 0.5])
    assert ad.grad(lambda v: np.sum(np.sin(v)))(x) == pytest.approx(np.cos(x))
    assert ad.grad(lambda y: np.arctan2(y, 2.0) + np.add(y, y))(0.5) == pytest.approx(
        2.0 / 4.25 + 2.0)
    with pytest.raises(ad.InPlaceError):
        ad.grad(lambda y: np.sin(y, out=np.empty(())))(0.5)
    assert ad.grad(lambda y: np.sign(y) * y)(-0.5) == -1.0
    assert ad.grad(lambda y: np.floor(y) + y)(1.5) == 1.0


def test_generated_fast_operators_are_current():
    # fastops_generated.py is written from the table's rows; a changed row needs
    # `python scripts/gen_fast_ops.py`
    path = pathlib.Path(fastops.__file__).with_name("fastops_generated.py")
    assert path.read_text() == fastops.source(), "run: python scripts/gen_fast_ops.py"
