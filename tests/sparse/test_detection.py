"""Sparsity detection (dualad.sparse.pattern): detected patterns against the nonzeros of
dense Jacobians and Hessians on random sparse programs, and the rules one by one."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

pytest.importorskip("scipy.sparse")

import dualad
from dualad.sparse import GlobalPatternError, hessian_pattern, jacobian_pattern

N = 12          # inputs of the random programs

# Operations of the random programs: each maps the list of values so far to a new value of
# N elements. Adding and multiplying random values, smooth nonlinearities and structural
# moves keep derivatives from cancelling except on a set of measure zero, so at a random
# point the dense Jacobian's nonzeros are the pattern itself.
_PERM = np.random.default_rng(0).permutation(N)
# (a diagonal too: a column of zeros makes an exactly-zero cotangent that is still traced,
# and a product with it stays in the Hessian pattern, a superset)
_A = np.random.default_rng(1).standard_normal((N, N)) * \
    (np.random.default_rng(2).random((N, N)) < 0.15) + np.eye(N)


def _shift(v, k):
    return np.concatenate([v[k:], v[:k]])


OPS = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1.5 + b * b),
    "sin": lambda a, b: np.sin(a),
    "exp": lambda a, b: np.exp(0.3 * a),
    "square": lambda a, b: a ** 2,
    "shift": lambda a, b: _shift(a, 3),
    "slices": lambda a, b: np.concatenate([a[1:] * b[:-1], a[:1]]),
    "gather": lambda a, b: a[_PERM],
    "pairsum": lambda a, b: np.repeat(a.reshape(N // 2, 2).sum(axis=1), 2),
    "cumsum": lambda a, b: np.cumsum(a.reshape(3, N // 3), axis=1).reshape(-1),
    "matvec": lambda a, b: _A @ a,
    "max": lambda a, b: np.maximum(a, 0.2 * b),
    "where": lambda a, b: np.where(np.arange(N) % 3 == 0, a, b),
    "outer": lambda a, b: np.einsum("ij,j->i", _A, a * b),
    "rowmax": lambda a, b: np.repeat(np.max(a.reshape(4, 3), axis=1), 3),
    "transpose": lambda a, b: a.reshape(3, 4).T.reshape(-1) + b,
}

programs = st.lists(st.tuples(st.sampled_from(sorted(OPS)), st.integers(0, 99),
                              st.integers(0, 99)), min_size=1, max_size=8)


def run(program, x):
    vals = [x]
    for name, i, j in program:
        vals.append(OPS[name](vals[i % len(vals)], vals[j % len(vals)]))
    return vals[-1]


KINKS = {"max", "rowmax"}     # the derivative picks one side: the global pattern has both


def dense_nonzeros(jac_fn, f, points):
    return np.any([np.asarray(jac_fn(f)(p)) != 0 for p in points], axis=0)


points = [np.random.default_rng(s).uniform(-1.5, 1.5, N) for s in (10, 11)]


@given(programs)
def test_jacobian_pattern_is_the_nonzeros_of_the_dense_jacobian(program):
    f = lambda x: run(program, x)  # noqa: E731
    pattern, value = jacobian_pattern(f, points[0])
    np.testing.assert_allclose(value, f(points[0]))
    nz = dense_nonzeros(dualad.jacobian, f, points).reshape(pattern.shape)
    got = pattern.toarray()
    assert not np.any(nz & ~got), "a nonzero of the Jacobian is missing from the pattern"
    if not KINKS & {name for name, _, _ in program}:
        np.testing.assert_array_equal(got, nz)


@given(programs)
def test_hessian_pattern_is_the_nonzeros_of_the_dense_hessian(program):
    f = lambda x: np.sum(np.sin(run(program, x)))  # noqa: E731
    pattern = hessian_pattern(f, points[0])
    nz = dense_nonzeros(dualad.hessian, f, points)
    got = pattern.toarray()
    assert not np.any(nz & ~got), "a nonzero of the Hessian is missing from the pattern"
    # where(mask, x, y) makes cotangents that are exactly zero in the branch not taken,
    # yet traced: a product with one keeps its pair (a superset, not equality)
    if not (KINKS | {"where"}) & {name for name, _, _ in program}:
        np.testing.assert_array_equal(got, nz)


@given(programs)
def test_local_patterns_hold_at_their_point(program):
    f = lambda x: np.maximum(run(program, x), 0.0)  # noqa: E731
    local, _ = jacobian_pattern(f, points[0], local=True)
    glob, _ = jacobian_pattern(f, points[0])
    nz = np.asarray(dualad.jacobian(f)(points[0])) != 0
    assert not np.any(nz & ~local.toarray())
    assert (local > glob).nnz == 0          # local is a subset of global


def test_rules_one_by_one():
    x = np.arange(1.0, 13.0)
    cases = {
        "reshape/transpose": lambda x: x.reshape(3, 4).T,
        "broadcast": lambda x: x[:3][:, None] * np.ones((3, 2)),
        "getitem fancy": lambda x: x[[0, 0, 5]],
        "scatter": lambda x: np.zeros(12)[[1, 2]] + np.add.reduce(x.reshape(4, 3), 1)[:2],
        "sum axis": lambda x: x.reshape(3, 4).sum(axis=0),
        "prod": lambda x: np.prod(x.reshape(3, 4), axis=1),
        "cumprod": lambda x: np.cumprod(x.reshape(3, 4), axis=1),
        "matmul batched": lambda x: x.reshape(3, 2, 2) @ x[:4].reshape(2, 2),
        "einsum trace": lambda x: np.einsum("ii->", x[:9].reshape(3, 3)) * x[9:],
        "inv lanes": lambda x: np.linalg.inv(x[:8].reshape(2, 2, 2) + 3 * np.eye(2)),
        "det lanes": lambda x: np.linalg.det(x[:8].reshape(2, 2, 2)),
        "fft lanes": lambda x: np.abs(np.fft.fft(x.reshape(3, 4), axis=0)),
        "solve dense": lambda x: np.linalg.solve(x[:4].reshape(2, 2) + 5 * np.eye(2), x[4:6]),
        "stack/pad/flip": lambda x: np.flip(np.pad(np.stack([x[:2], x[2:4]]), 1), 0),
        "take/roll": lambda x: np.roll(np.take(x, [3, 1, 4]), 1),
        "diff/where": lambda x: np.where(x[1:] > 5, np.diff(x) * x[1:], 0.0),
        "scalar loop": lambda x: np.stack([x[i] * x[i + 1] for i in range(11)]),
    }
    for name, f in cases.items():
        pattern, _ = jacobian_pattern(f, x)
        nz = np.asarray(dualad.jacobian(f)(x)).reshape(pattern.shape) != 0
        assert not np.any(nz & ~pattern.toarray()), name
        if name not in ("solve dense", "det lanes", "inv lanes", "diff/where"):
            np.testing.assert_array_equal(pattern.toarray(), nz, err_msg=name)


def test_a_constant_matrix_contributes_its_zeros():
    a = np.diag(np.arange(1.0, 6.0)) + np.diag(np.ones(4), 1)
    pattern, _ = jacobian_pattern(lambda x: a @ x, np.ones(5))
    np.testing.assert_array_equal(pattern.toarray(), a != 0)
    both, _ = jacobian_pattern(lambda x: x.reshape(2, 2) @ x.reshape(2, 2), np.ones(4))
    assert both.nnz == 12


@pytest.mark.parametrize("f, what", [
    (lambda x: x[np.argsort(x)], "getitem"),
    (lambda x: x if x[0] > 0 else -x, "branch"),
    (lambda x: x[: int(np.argmax(x))], "int"),
    (lambda x: x[np.nonzero(x > 0)], "getitem"),
])
def test_global_patterns_refuse_value_dependent_structure(f, what):
    x = np.array([0.5, -1.0, 2.0, 0.3])
    with pytest.raises(GlobalPatternError, match="local=True"):
        jacobian_pattern(f, x)
    pattern, _ = jacobian_pattern(f, x, local=True)   # fine at this point
    nz = np.asarray(dualad.jacobian(f)(x)).reshape(pattern.shape) != 0
    assert not np.any(nz & ~pattern.toarray())


def test_detection_costs_the_nonzeros_not_n_times_m():
    n = 200_000
    pattern, _ = jacobian_pattern(lambda x: x[2:] - 2 * x[1:-1] + np.sin(x[:-2]), np.ones(n))
    assert pattern.shape == (n - 2, n) and pattern.nnz == 3 * (n - 2)
