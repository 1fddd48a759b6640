"""Sparse Jacobians and Hessians: detect (or take) the pattern, colour it, evaluate the
compressed product with forward or reverse mode, decompress.

``jacobian(f)`` returns a prepared object: its first call detects the pattern at x,
colours it both ways and picks the mode with fewer directions; later calls reuse all of
it. Each call also carries one random probe direction v (or row u) through the same
passes and checks that the decompressed J reproduces J @ v: a pattern that no longer
holds (a local pattern away from its point, a wrong given pattern) raises instead of
returning a wrong matrix. The passes are independent, so ``executor=`` runs them on any
``concurrent.futures.Executor`` (a process pool, a dask cluster).
"""
import copy
import math
import time

import numpy as np

from ..core import DualadError, as_input
from ..transforms import grad, hessian as dense_hessian, jvps, vjps
from ..auto import jacobian as dense_jacobian
from . import coloring as C
from .compress import FORMATS, Decompression, as_pattern, seeds
from .pattern import hessian_pattern, jacobian_pattern

MODES = ("auto", "forward", "reverse")
#: A reverse-mode direction (a recorded pass and a sweep) costs about this many forward
#: directions; "auto" picks reverse only when it needs fewer directions by this factor.
REVERSE_WEIGHT = 2.0
DEFAULT_CHUNK = 64
#: The probe check's tolerance, relative to |J| @ |v| (rounding of the two evaluations).
PROBE_RTOL = 1e-8


class PatternError(DualadError, ValueError):
    """The Jacobian at this point has nonzeros outside the prepared sparsity pattern."""


# ------------------------------------------------------------------------------------
# One pass: k directions through f (forward) or k rows back through it (reverse). These
# are the units of work an executor runs; they take and return plain arrays.
# ------------------------------------------------------------------------------------
def forward_pass(f, x, args, tangents):
    """The (k, m) products J @ t for the k rows t of ``tangents`` (k, n), in one pass."""
    _, t = jvps(lambda z: f(z, *args), x, tangents.reshape((-1,) + x.shape))
    return np.asarray(t).reshape(tangents.shape[0], -1)


def reverse_pass(f, x, args, cotangents):
    """The (k, n) products u @ J for the k rows u of ``cotangents`` (k, m): one recorded
    pass, one batched sweep."""
    _, rows = vjps(lambda z: f(z, *args), x, cotangents)
    return np.asarray(rows).reshape(cotangents.shape[0], -1)


def hessian_pass(f, x, args, tangents):
    """The (k, n) Hessian-vector products H @ t for the k rows of ``tangents``: forward
    mode over the gradient."""
    return forward_pass(lambda z, *a: grad(f)(z, *a), x, args, tangents)


PASSES = {"forward": forward_pass, "reverse": reverse_pass, "hessian": hessian_pass}


def run_pass(kind, f, x, args, block):
    return PASSES[kind](f, x, args, block)


# ------------------------------------------------------------------------------------
# The prepared Jacobian
# ------------------------------------------------------------------------------------
class SparseJacobian:
    """``J(x, *args)``: the sparse Jacobian of ``f(x, *args)`` with respect to the array
    x, as an (m, n) matrix (inputs and outputs flattened in C order)."""

    what = "Jacobian"

    def __init__(self, f, sparsity="auto", mode="auto", format="csr", local=False,
                 check=True, executor=None, chunk_size=None, order="largest_first"):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
        self.f, self.sparsity, self.mode_wanted = f, sparsity, mode
        self.format, self.local, self.check = format, local, check
        self.executor, self.chunk_size, self.order = executor, chunk_size, order
        self.prepared_for = None        # (input shape, dtype) of the prepared pattern
        self.detections = 0
        self.detect_seconds = self.color_seconds = None

    # --- preparation -----------------------------------------------------------------
    def _detect(self, x, args):
        return jacobian_pattern(self.f, x, args, local=self.local)

    def prepare(self, x, *args):
        """Detect (or take) the pattern at x, colour it, choose the mode; returns self."""
        x = _as_input(x)
        t0 = time.perf_counter()
        if isinstance(self.sparsity, str):
            if self.sparsity != "auto":
                raise ValueError(f"sparsity must be 'auto' or a pattern, got "
                                 f"{self.sparsity!r}")
            pattern, value = self._detect(x, args)
            self.detections += 1
            m = pattern.shape[0]
        else:
            m = self._output_size(x, args)
            pattern = as_pattern(self.sparsity, shape=(m, x.size))
        t1 = time.perf_counter()
        self.pattern = pattern
        self._colour(pattern)
        self.detect_seconds, self.color_seconds = t1 - t0, time.perf_counter() - t1
        self.prepared_for = (x.shape, x.dtype)
        self.m, self.n = m, x.size
        return self

    def _output_size(self, x, args):
        return int(np.size(self.f(x, *args)))

    def _colour(self, pattern):
        self.col_colors = C.column_coloring(pattern, self.order)
        self.row_colors = C.row_coloring(pattern, self.order)
        kc, kr = C.ncolors(self.col_colors), C.ncolors(self.row_colors)
        mode = self.mode_wanted
        if mode == "auto":
            mode = "reverse" if kr * REVERSE_WEIGHT < kc else "forward"
        self.mode = mode
        if mode == "forward":
            self.decompression = Decompression(pattern, self.col_colors, "columns")
        else:
            self.decompression = Decompression(pattern, self.row_colors, "rows")

    # --- evaluation --------------------------------------------------------------------
    def __call__(self, x, *args):
        x = _as_input(x)
        if self.prepared_for != (x.shape, x.dtype):
            self.prepare(x, *args)
        try:
            return self._evaluate(x, args)
        except PatternError:
            if not (self.local and isinstance(self.sparsity, str)):
                raise
            self.prepare(x, *args)      # a local pattern: re-detect here, once
            return self._evaluate(x, args)

    def _kind(self):
        return self.mode

    def _seed_rows(self):
        """The seed rows of the compressed passes and, last, the probe's (made once per
        preparation)."""
        dec = self.decompression
        made = getattr(self, "_rows_key", None)
        if made is None or made[0] is not dec or made[1] != self.check:
            s = seeds(dec.colors, dec.ncolors)
            if self.check:
                probe = np.random.default_rng(12345).standard_normal(s.shape[1])
                s = np.vstack([s, probe[None]])
            self._rows, self._rows_key = s, (dec, self.check)
        return self._rows

    def _blocks(self, x, args, rows):
        """Run the passes over chunks of seed rows (here or on the executor)."""
        chunk = self.chunk_size or (DEFAULT_CHUNK if self.executor is None
                                    else max(1, math.ceil(len(rows) / 64)))
        parts = [rows[i:i + chunk] for i in range(0, len(rows), chunk)]
        kind = self._kind()
        if self.executor is None:
            return np.vstack([run_pass(kind, self.f, x, args, p) for p in parts])
        futures = [self.executor.submit(run_pass, kind, self.f, x, args, p) for p in parts]
        return np.vstack([fut.result() for fut in futures])

    def _evaluate(self, x, args):
        dec = self.decompression
        rows = self._seed_rows()
        out = self._blocks(x, args, rows)       # (k [+ 1], m or n)
        k = dec.ncolors
        b = out[:k]
        b = b.T if dec.kind in ("columns", "star") else b
        mat = dec.matrix(np.ascontiguousarray(b), "csr")
        if self.check:
            self._probe(mat, rows[k], out[k])
        return mat if self.format == "csr" else _convert(dec, mat, self.format)

    def _probe(self, mat, v, got):
        """The decompressed matrix must reproduce the probe: J @ v (columns) or v @ J."""
        dec = self.decompression
        lines, across = (dec.cols, dec.rows) if dec.kind == "rows" else (dec.rows, dec.cols)
        terms = mat.data * v[across]
        want = np.bincount(lines, weights=terms, minlength=got.size)
        scale = np.bincount(lines, weights=np.abs(terms), minlength=got.size)
        err = np.abs(want - got)
        bound = PROBE_RTOL * (scale + np.abs(got)) + 1e-300
        if np.any(err > bound) or not np.all(np.isfinite(err) | ~np.isfinite(got)):
            i = int(np.argmax(err - bound))
            raise PatternError(
                f"the {self.what} at this point has nonzeros outside its sparsity pattern "
                f"(a random probe differs by {err[i]:.3g} at index {i}); the pattern "
                + ("was detected locally at another point: call .prepare(x) here"
                   if self.local else "given or detected does not hold here: detect it "
                   "with sparsity='auto' (global), or check the given pattern")
                + ". verify(x) compares with the dense matrix.")

    # --- inspection ----------------------------------------------------------------------
    def verify(self, x, *args, rtol=1e-10, atol=1e-12):
        """The sparse matrix at x compared with the dense one from dualad.jacobian; raises
        PatternError on a difference, returns the largest difference."""
        sparse = self(x, *args)
        dense = np.asarray(self._dense(x, args)).reshape(self.pattern.shape)
        got = sparse.toarray() if hasattr(sparse, "toarray") else np.asarray(sparse)
        got = got.reshape(dense.shape)
        diff = np.abs(got - dense)
        if np.any(diff > atol + rtol * np.abs(dense)):
            i, j = np.unravel_index(np.argmax(diff), diff.shape)
            raise PatternError(f"sparse and dense {self.what} differ at ({i}, {j}): "
                               f"{got[i, j]!r} vs {dense[i, j]!r}")
        return float(diff.max(initial=0.0))

    def _dense(self, x, args):
        return dense_jacobian(lambda z: self.f(z, *args))(_as_input(x))

    def explain(self, picture=True, width=60):
        """What was prepared: pattern size, colours and passes of each mode, the choice,
        and a text preview of the pattern (a spy plot with ``spy()``)."""
        if self.prepared_for is None:
            return f"sparse {self.what}: not prepared yet (call it, or .prepare(x))"
        return "\n".join(self._lines(picture, width))

    def _mode_lines(self):
        kc, kr = C.ncolors(self.col_colors), C.ncolors(self.row_colors)
        chunk = self.chunk_size or DEFAULT_CHUNK
        return [
            f"  forward (columns): {kc} colours -> {kc} directions, "
            f"{math.ceil(kc / chunk)} pass(es) of up to {chunk}",
            f"  reverse (rows):    {kr} colours -> {kr} rows, one recorded pass and "
            f"{math.ceil(kr / chunk)} sweep(s)",
            f"  chose {self.mode}" + (" (asked)" if self.mode_wanted != "auto" else
                                       f" (reverse when rows x {REVERSE_WEIGHT:g} < "
                                       "columns)"),
        ]

    def _lines(self, picture, width):
        p = self.pattern
        m, n = p.shape
        dens = p.nnz / max(1, m * n)
        src = ("detected " + ("locally" if self.local else "globally")
               if isinstance(self.sparsity, str) else "given")
        lines = [f"sparse {self.what}: {m} x {n}, {p.nnz} nonzeros ({dens:.3%}), "
                 f"pattern {src}"]
        if self.detect_seconds is not None:
            lines.append(f"  detection {self.detect_seconds * 1e3:.1f} ms, colouring "
                         f"{self.color_seconds * 1e3:.1f} ms")
        lines += self._mode_lines()
        if self.check:
            lines.append("  each call checks one random probe direction against the result")
        if picture:
            lines += ["", preview(p, width)]
        return lines

    def spy(self, ax=None, colors=True, **kw):
        """A spy plot of the pattern (matplotlib), its nonzeros coloured by the colour of
        their column (forward) or row (reverse)."""
        import matplotlib.pyplot as plt
        if ax is None:
            _, ax = plt.subplots(figsize=(5, 5))
        dec = self.decompression
        c = dec.colors[dec.cols if dec.kind != "rows" else dec.rows]
        ax.scatter(dec.cols, dec.rows, c=c if colors else "k", s=kw.pop("s", 2),
                   marker="s", cmap=kw.pop("cmap", "tab10"), **kw)
        ax.set_xlim(-0.5, self.pattern.shape[1] - 0.5)
        ax.set_ylim(self.pattern.shape[0] - 0.5, -0.5)
        ax.set_aspect("equal")
        ax.set_title(f"{self.pattern.nnz} nonzeros, {dec.ncolors} colours ({self.mode})")
        return ax

    def map(self, points, *args, executor=None):
        """The matrices at many points (one task per point on ``executor``)."""
        points = [_as_input(p) for p in points]
        if not points:
            return []
        self(points[0], *args)  # prepare once, here
        if executor is None:
            return [self(p, *args) for p in points]
        here = copy.copy(self)          # each task runs its passes where it runs
        here.executor = None
        return [fut.result() for fut in [executor.submit(here, p, *args) for p in points]]


class SparseHessian(SparseJacobian):
    """``H(x, *args)``: the sparse Hessian of the scalar ``f(x, *args)``, forward mode
    over the gradient, with a star colouring (or a column colouring when it needs fewer
    colours) of the symmetric pattern."""

    what = "Hessian"

    def _detect(self, x, args):
        p = hessian_pattern(self.f, x, args, local=self.local)
        return p, None

    def _output_size(self, x, args):
        return x.size

    def _colour(self, pattern):
        if self.mode_wanted not in ("auto", "forward"):
            raise ValueError("a sparse Hessian is computed forward over reverse; "
                             "mode must be 'auto' or 'forward'")
        self.pattern = pattern = as_pattern(pattern + pattern.T)
        self.star_colors = C.star_coloring(pattern, self.order)
        self.col_colors = C.column_coloring(pattern, self.order)
        self.row_colors = self.col_colors
        if C.ncolors(self.star_colors) <= C.ncolors(self.col_colors):
            self.decompression = Decompression(pattern, self.star_colors, "star")
        else:
            self.decompression = Decompression(pattern, self.col_colors, "columns")
        self.mode = "forward over reverse"

    def _kind(self):
        return "hessian"

    def _dense(self, x, args):
        return dense_hessian(lambda z: self.f(z, *args))(_as_input(x))

    def _mode_lines(self):
        ks, kc = C.ncolors(self.star_colors), C.ncolors(self.col_colors)
        return [f"  star colouring: {ks} colours; column colouring: {kc} colours",
                f"  chose {self.decompression.kind}: {self.decompression.ncolors} "
                "Hessian-vector products (forward over reverse)"]


def jacobian(f, sparsity="auto", mode="auto", format="csr", local=False, check=True,
             executor=None, chunk_size=None, order="largest_first"):
    """The sparse Jacobian of ``f(x, *args)`` with respect to the array x.

    ``sparsity``: "auto" (detected at the first call) or the pattern (a dense boolean
    array, a scipy.sparse matrix, or ``(rows, cols)``). ``local=True`` detects the
    pattern of this point (value-dependent branches allowed; re-detected when a later
    point leaves it). ``mode``: "auto" (fewer directions), "forward" or "reverse".
    ``format``: "csr", "csc", "coo" or "dense" ((m, n) in every case). ``check``: each
    call verifies one random probe direction. ``executor``: a
    ``concurrent.futures.Executor`` running the passes (chunks of ``chunk_size``
    directions); the result is identical to a local run with the same ``chunk_size``.
    """
    return SparseJacobian(f, sparsity, mode, format, local, check, executor, chunk_size,
                          order)


def hessian(f, sparsity="auto", format="csr", local=False, check=True, executor=None,
            chunk_size=None, order="largest_first"):
    """The sparse Hessian of the scalar ``f(x, *args)``; options as for ``jacobian``."""
    return SparseHessian(f, sparsity, "auto", format, local, check, executor, chunk_size,
                         order)


def _as_input(x):
    x = as_input(x)
    return x if isinstance(x, np.ndarray) else np.asarray(x, dtype=np.float64)


def _convert(dec, mat, format):
    if format == "dense":
        return mat.toarray()
    return mat.asformat(format)


def preview(pattern, width=60):
    """A text picture of the pattern: each character a block of the matrix, '#' where
    the block holds a nonzero, '.' where it holds none."""
    p = as_pattern(pattern)
    m, n = p.shape
    cols = max(1, min(width, n))
    rows = max(1, min(int(round(cols * m / max(n, 1) / 2)) or 1, m))
    rows_of = np.repeat(np.arange(m), np.diff(p.indptr)) * rows // max(m, 1)
    cols_of = p.indices * cols // max(n, 1)
    grid = np.zeros((rows, cols), bool)
    grid[rows_of, cols_of] = True
    return "\n".join("".join("#" if b else "." for b in line) for line in grid)
