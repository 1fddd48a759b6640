"""Sparse Jacobians and Hessians: detect the pattern, colour it, compress, decompress.

``dualad.sparse.jacobian(f)(x)`` and ``dualad.sparse.hessian(f)(x)`` return scipy.sparse
matrices; see docs/sparse.md.
"""
from .api import (PatternError, SparseHessian, SparseJacobian, hessian, jacobian,
                  preview)
from .coloring import column_coloring, row_coloring, star_coloring
from .compress import Decompression, as_pattern, seeds
from .pattern import GlobalPatternError, hessian_pattern, jacobian_pattern

__all__ = ["jacobian", "hessian", "SparseJacobian", "SparseHessian", "PatternError",
           "GlobalPatternError", "jacobian_pattern", "hessian_pattern", "column_coloring",
           "row_coloring", "star_coloring", "Decompression", "as_pattern", "seeds",
           "preview"]
