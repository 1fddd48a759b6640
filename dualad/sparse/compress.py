"""Compression and decompression: the seed matrix of a colouring, and the Jacobian's
nonzeros read back out of the compressed product.

With column colours, forward mode computes B = J @ S for the (n, k) seed matrix
S[j, colour(j)] = 1, and every nonzero J[i, j] is B[i, colour(j)]. With row colours,
reverse mode computes B = S^T @ J and J[i, j] = B[colour(i), j]. With a star colouring
of a symmetric H, H[i, j] is B[i, colour(j)] when j is the only neighbour of i of its
colour, else B[j, colour(i)]. Each case is a precomputed flat index into B, so a
decompression is one gather into the pattern's CSR arrays.

Patterns are ``scipy.sparse.csr_array`` of dtype bool with sorted indices, no duplicates.
"""
import numpy as np

FORMATS = ("csr", "csc", "coo", "dense")


def _sp():
    try:
        import scipy.sparse as sp
    except ImportError as e:  # pragma: no cover - scipy is in every extra that tests this
        raise ImportError("dualad.sparse needs SciPy (pip install 'dualad[sparse]')") from e
    return sp


def as_pattern(pattern, shape=None):
    """A sparsity pattern as a canonical boolean ``csr_array``: from a scipy.sparse
    matrix, a dense array (its nonzeros), or ``(rows, cols)`` index arrays with ``shape``."""
    sp = _sp()
    if isinstance(pattern, tuple) and len(pattern) == 2 and not sp.issparse(pattern):
        rows, cols = (np.asarray(a, dtype=np.int64).ravel() for a in pattern)
        if shape is None:
            raise ValueError("a pattern given as (rows, cols) needs shape=(m, n)")
        if rows.shape != cols.shape:
            raise ValueError("rows and cols of a pattern must have the same length")
        p = sp.csr_array((np.ones(rows.size, bool), (rows, cols)), shape=tuple(shape))
    elif sp.issparse(pattern):
        p = sp.csr_array(pattern, dtype=bool)
    else:
        a = np.asarray(pattern)
        if a.ndim != 2:
            raise ValueError(f"a dense pattern must be 2-D, got shape {a.shape}")
        p = sp.csr_array(a != 0)
    if shape is not None and tuple(p.shape) != tuple(shape):
        raise ValueError(f"pattern of shape {p.shape} given for a Jacobian of shape "
                         f"{tuple(shape)}")
    p.sum_duplicates()
    p.eliminate_zeros()
    p.sort_indices()
    p.data[:] = True
    return p


def seeds(colors, k=None):
    """The (k, n) transposed seed matrix: row c is the sum of the unit vectors of the
    columns (or rows) of colour c."""
    colors = np.asarray(colors, dtype=np.int64)
    k = int(colors.max()) + 1 if k is None and colors.size else (k or 0)
    s = np.zeros((k, colors.size))
    s[colors, np.arange(colors.size)] = 1.0
    return s


class Decompression:
    """Where each nonzero of ``pattern`` sits in the compressed product B (flattened).

    ``kind`` is "columns" (B = J @ S, shape (m, k)), "rows" (B = S^T J, shape (k, n)) or
    "star" (B = H @ S of a symmetric H, shape (n, k)). Building it checks that the
    colouring is valid for the pattern: a clash raises instead of giving a wrong entry.
    """

    def __init__(self, pattern, colors, kind):
        p = as_pattern(pattern)
        colors = np.asarray(colors, dtype=np.int64)
        m, n = p.shape
        k = int(colors.max()) + 1 if colors.size else 0
        rows = np.repeat(np.arange(m, dtype=np.int64), np.diff(p.indptr))
        cols = p.indices.astype(np.int64)
        if kind == "columns":
            _need(colors.size == n, "one colour per column")
            ok = _alone(rows, colors[cols], k, m)
            self.index, self.bshape = rows * k + colors[cols], (m, k)
        elif kind == "rows":
            _need(colors.size == m, "one colour per row")
            ok = _alone(cols, colors[rows], k, n)
            self.index, self.bshape = colors[rows] * n + cols, (k, n)
        elif kind == "star":
            _need(m == n and colors.size == n, "a square pattern and one colour per row")
            sym = as_pattern(p + p.T)
            srows = np.repeat(np.arange(n, dtype=np.int64), np.diff(sym.indptr))
            count = np.bincount(srows * k + colors[sym.indices], minlength=n * k)
            direct = count[rows * k + colors[cols]] == 1
            mirror = count[cols * k + colors[rows]] == 1
            ok = direct | mirror
            self.index = np.where(direct, rows * k + colors[cols], cols * k + colors[rows])
            self.bshape = (n, k)
        else:
            raise ValueError(f"kind must be 'columns', 'rows' or 'star', got {kind!r}")
        if not np.all(ok):
            bad = int(np.flatnonzero(~ok)[0])
            raise ValueError(f"the colouring does not separate the nonzero "
                             f"({rows[bad]}, {cols[bad]}) of the pattern ({kind})")
        self.pattern, self.kind, self.colors, self.ncolors = p, kind, colors, k
        self.rows, self.cols = rows, cols
        self._csc = None

    def values(self, b):
        """The nonzeros of J, in the pattern's CSR order, from the compressed product."""
        b = np.asarray(b)
        if b.shape != self.bshape:
            raise ValueError(f"compressed product of shape {b.shape}, expected {self.bshape}")
        return b.reshape(-1)[self.index]

    def matrix(self, b, format="csr"):
        """The Jacobian (or Hessian) from the compressed product, as scipy.sparse
        ``format`` ("csr", "csc", "coo") or a dense ndarray ("dense")."""
        data = self.values(b)
        return assemble(self, data, format)


def assemble(dec, data, format="csr"):
    """The matrix with ``dec.pattern``'s structure and nonzeros ``data`` (CSR order)."""
    sp = _sp()
    p = dec.pattern
    if format == "csr":
        return sp.csr_array((data, p.indices.copy(), p.indptr.copy()), shape=p.shape)
    if format == "csc":
        if dec._csc is None:
            order = np.lexsort((dec.rows, dec.cols))
            ptr = np.zeros(p.shape[1] + 1, np.int64)
            np.cumsum(np.bincount(dec.cols, minlength=p.shape[1]), out=ptr[1:])
            dec._csc = order, dec.rows[order], ptr
        order, rows, ptr = dec._csc
        return sp.csc_array((data[order], rows.copy(), ptr.copy()), shape=p.shape)
    if format == "coo":
        return sp.coo_array((data, (dec.rows.copy(), dec.cols.copy())), shape=p.shape)
    if format == "dense":
        out = np.zeros(p.shape, dtype=data.dtype)
        out[dec.rows, dec.cols] = data
        return out
    raise ValueError(f"format must be one of {FORMATS}, got {format!r}")


def _alone(lines, line_colors, k, nlines):
    """For each nonzero: is it the only one of its colour on its line (row or column)?"""
    count = np.bincount(lines * k + line_colors, minlength=nlines * k)
    return count[lines * k + line_colors] == 1


def _need(cond, what):
    if not cond:
        raise ValueError(f"decompression needs {what}")
