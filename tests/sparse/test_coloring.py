"""Colourings and decompression (dualad.sparse.coloring / compress) on random patterns."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

sp = pytest.importorskip("scipy.sparse")

from dualad.accel import kernels
from dualad.sparse import coloring as C
from dualad.sparse.compress import Decompression, as_pattern, seeds


def random_matrix(m, n, density, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, n)) * (rng.random((m, n)) < density)
    return a


patterns = st.tuples(st.integers(1, 40), st.integers(1, 40), st.floats(0.0, 0.5),
                     st.integers(0, 2**31 - 1))


@given(patterns, st.sampled_from(C.ORDERS))
def test_column_and_row_colourings_recover_the_matrix(args, order):
    a = random_matrix(*args)
    for kind, colour in (("columns", C.column_coloring), ("rows", C.row_coloring)):
        colors = colour(a, order)
        s = seeds(colors)
        b = a @ s.T if kind == "columns" else s @ a
        dec = Decompression(a, colors, kind)        # raises if two nonzeros clash
        np.testing.assert_array_equal(dec.matrix(b, "dense"), a)
        for fmt in ("csr", "csc", "coo"):
            np.testing.assert_array_equal(dec.matrix(b, fmt).toarray(), a)


@given(patterns)
def test_column_colours_are_a_partial_distance2_colouring(args):
    a = random_matrix(*args) != 0
    colors = C.column_coloring(a)
    for row in a:
        cols = np.flatnonzero(row)
        assert len(set(colors[cols])) == len(cols)     # one column per colour in a row
    # greedy: no more colours than the most columns one column meets (itself included)
    meets = (a.T.astype(int) @ a.astype(int)) > 0
    assert C.ncolors(colors) <= max(meets.sum(axis=1).max(), 1)


@given(st.integers(1, 40), st.floats(0.0, 0.4), st.integers(0, 2**31 - 1),
       st.sampled_from(C.ORDERS))
def test_star_colouring_recovers_symmetric_matrices(n, density, seed, order):
    a = random_matrix(n, n, density, seed)
    h = a + a.T + np.diag(np.random.default_rng(seed).standard_normal(n))
    colors = C.star_coloring(h, order)
    adj = (h != 0) & ~np.eye(n, dtype=bool)
    for v in range(n):       # a distance-1 colouring
        assert colors[v] not in colors[np.flatnonzero(adj[v])]
    for v in range(n):       # no two-coloured path on four vertices
        for w in np.flatnonzero(adj[v]):
            for x in np.flatnonzero(adj[w]):
                if x == v or colors[x] != colors[v]:
                    continue
                for y in np.flatnonzero(adj[x]):
                    assert y == w or colors[y] != colors[w], (v, w, x, y)
    b = h @ seeds(colors).T
    np.testing.assert_array_equal(Decompression(h, colors, "star").matrix(b, "dense"), h)
    assert C.ncolors(colors) <= C.ncolors(C.column_coloring(h)) + 1


def test_known_colour_counts():
    n = 50
    tri = sp.diags([np.ones(n - 1), np.ones(n), np.ones(n - 1)], [-1, 0, 1])
    assert C.ncolors(C.column_coloring(tri)) == 3
    assert C.ncolors(C.row_coloring(sp.eye(n))) == 1
    assert C.ncolors(C.star_coloring(tri)) == 3
    arrow = np.eye(n)
    arrow[0, :] = arrow[:, 0] = 1.0          # dense first row and column
    assert C.ncolors(C.column_coloring(arrow)) == n
    assert C.ncolors(C.star_coloring(arrow)) == 2      # the star graph: centre + leaves


def test_an_invalid_colouring_is_refused():
    a = np.array([[1.0, 1.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="does not separate"):
        Decompression(a, np.array([0, 0]), "columns")
    with pytest.raises(ValueError, match="one colour per column"):
        Decompression(a, np.array([0]), "columns")


def test_numba_and_python_give_the_same_colours(monkeypatch):
    a = random_matrix(60, 50, 0.1, 3)
    h = a[:50] + a[:50].T
    monkeypatch.setattr(C, "NUMBA_MIN_WORK", 0)
    fast = C.column_coloring(a), C.star_coloring(h)
    monkeypatch.setattr(kernels, "NUMBA_ENABLED", False)
    slow = C.column_coloring(a), C.star_coloring(h)
    for f, s in zip(fast, slow):
        np.testing.assert_array_equal(f, s)


def test_pattern_inputs():
    dense = np.array([[1, 0, 2], [0, 0, 3]])
    p = as_pattern(dense)
    assert p.dtype == bool and p.nnz == 3
    q = as_pattern(([0, 0, 1], [0, 2, 2]), shape=(2, 3))
    assert (p != q).nnz == 0
    assert (as_pattern(sp.coo_array(dense)) != p).nnz == 0
    with pytest.raises(ValueError, match="shape"):
        as_pattern(([0], [1]))
    with pytest.raises(ValueError, match="given for a Jacobian of shape"):
        as_pattern(dense, shape=(3, 3))
