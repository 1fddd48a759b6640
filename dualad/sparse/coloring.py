"""Colourings of a sparsity pattern: which Jacobian columns (or rows) can share one pass.

Columns j and k of J may share a forward-mode direction when no row has a nonzero in both
(a *partial distance-2 colouring* of the column side of the bipartite row/column graph);
the product J @ S with S[:, c] the sum of the unit vectors of colour c then holds every
nonzero J[i, j] alone in entry (i, colour(j)). Rows are coloured the same way on the
transpose, for reverse mode. A symmetric Hessian can do with fewer colours: a *star
colouring* of its adjacency graph (a distance-1 colouring where every path on four
vertices uses at least three colours) still lets each nonzero be read from H @ S or from
its mirror H[j, i].

The colourings are greedy in a given order (largest first by default: the columns with
the most potential conflicts take the first colours). Their loops run over the CSR/CSC
index arrays; numba compiles them when it is enabled (``DUALAD_DISABLE_NUMBA=1`` runs
the same functions in Python), so 10^5 columns take milliseconds.
"""
import numpy as np

from ..accel.kernels import numba_enabled
from .compress import as_pattern


def _greedy_distance2(order, ptr, idx, tptr, tidx, ncolors_max):
    """Greedy partial distance-2 colouring of the vertices 0..n-1 listed in ``order``:
    vertex j has neighbours idx[ptr[j]:ptr[j+1]] on the other side, which in turn have
    neighbours tidx[tptr[i]:tptr[i+1]] on this side. Two vertices sharing a neighbour get
    different colours."""
    n = order.shape[0]
    color = np.full(n, -1, np.int64)
    forbidden = np.full(ncolors_max + 1, -1, np.int64)
    for j in order:
        for p in range(ptr[j], ptr[j + 1]):
            i = idx[p]
            for q in range(tptr[i], tptr[i + 1]):
                c = color[tidx[q]]
                if c >= 0:
                    forbidden[c] = j
        c = 0
        while forbidden[c] == j:
            c += 1
        color[j] = c
    return color


def _greedy_star(order, ptr, idx, n):
    """Greedy star colouring of the undirected graph with adjacency lists
    idx[ptr[v]:ptr[v+1]] (no self loops): neighbours get different colours, and no path
    v - w - x - y is coloured with only two colours (a - b - a - b). The rules for vertex
    v: the colours of its neighbours w are taken; for a neighbour x of a neighbour w,
    colour(x) is taken when w has no colour yet, or when x has a neighbour y != w of w's
    colour (then v = colour(x) would close a two-coloured path on four vertices)."""
    color = np.full(n, -1, np.int64)
    forbidden = np.full(n + 1, -1, np.int64)
    for v in order:
        for p in range(ptr[v], ptr[v + 1]):
            w = idx[p]
            cw = color[w]
            if cw >= 0:
                forbidden[cw] = v
            for q in range(ptr[w], ptr[w + 1]):
                x = idx[q]
                if x == v:
                    continue
                cx = color[x]
                if cx < 0:
                    continue
                if cw < 0:
                    forbidden[cx] = v
                    continue
                for r in range(ptr[x], ptr[x + 1]):
                    y = idx[r]
                    if y != w and color[y] == cw:
                        forbidden[cx] = v
                        break
        c = 0
        while forbidden[c] == v:
            c += 1
        color[v] = c
    return color


_COMPILED = {}
#: Below this many steps of the inner loops (about a microsecond each in Python) the
#: colouring runs in Python: loading the compiled kernel costs more.
NUMBA_MIN_WORK = 200_000


def _kernel(fn, work):
    """``fn`` compiled by numba when numba kernels are enabled and ``work`` is large
    enough to pay for loading it, else ``fn`` itself."""
    if not numba_enabled() or work < NUMBA_MIN_WORK:
        return fn
    k = _COMPILED.get(fn.__name__)
    if k is None:
        import numba
        k = _COMPILED[fn.__name__] = numba.njit(cache=True)(fn)
    return k


ORDERS = ("largest_first", "natural", "random")


def _order(degree, order, seed=0):
    n = degree.shape[0]
    if order == "natural":
        return np.arange(n, dtype=np.int64)
    if order == "largest_first":
        return np.argsort(-degree, kind="stable").astype(np.int64)
    if order == "random":
        return np.random.default_rng(seed).permutation(n).astype(np.int64)
    raise ValueError(f"order must be one of {ORDERS}, got {order!r}")


def column_coloring(pattern, order="largest_first"):
    """Colours of the columns of the (m, n) pattern: columns sharing a row differ.

    Returns an int64 array of n colours 0, 1, ..., k-1 (k forward-mode directions).
    """
    csc = as_pattern(pattern).tocsc()
    csr = csc.tocsr()
    csc.sort_indices()
    csr.sort_indices()
    m, n = csc.shape
    # the conflicts of column j are at most the nonzeros of the rows it meets
    rows, cols = csr.nonzero()
    degree = np.bincount(cols, weights=np.diff(csr.indptr)[rows], minlength=n).astype(np.int64)
    color = _kernel(_greedy_distance2, int(degree.sum()))(
        _order(degree, order), csc.indptr.astype(np.int64), csc.indices.astype(np.int64),
        csr.indptr.astype(np.int64), csr.indices.astype(np.int64),
        int(degree.max(initial=0)))
    return color


def row_coloring(pattern, order="largest_first"):
    """Colours of the rows of the (m, n) pattern: rows sharing a column differ (reverse
    mode: one sweep per colour)."""
    return column_coloring(as_pattern(pattern).T, order)


def star_coloring(pattern, order="largest_first"):
    """A star colouring of the symmetric (n, n) pattern (a Hessian's): every nonzero
    H[i, j] can be read from H @ S at (i, colour(j)) or at (j, colour(i))."""
    p = as_pattern(pattern)
    if p.shape[0] != p.shape[1]:
        raise ValueError(f"a star colouring needs a square pattern, got shape {p.shape}")
    g = (p + p.T).tocsr()
    g.setdiag(False)
    g.eliminate_zeros()
    g.sort_indices()
    degree = np.diff(g.indptr)
    work = int(degree.astype(np.int64) @ degree)
    return _kernel(_greedy_star, work)(_order(degree, order), g.indptr.astype(np.int64),
                                 g.indices.astype(np.int64), g.shape[0])


def ncolors(colors):
    return int(colors.max()) + 1 if colors.size else 0
