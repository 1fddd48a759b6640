"""NumPy on traced values: the dispatch registry, operators on boxes, and the families.

Importing this package registers every NumPy function dualad differentiates (one module
per family: ``basics``, ``shapes``, ``reductions``, ``complexnum``, ``linalg``,
``decompositions``, ``norms``, ``fft``,
``numeric``) and installs the operators and methods on boxes (``operators``).
"""
import numpy as np

from . import basics, shapes, reductions, complexnum, linalg, decompositions, norms  # noqa: F401
from . import fft, numeric  # noqa: F401
from . import operators
from .registry import FUNCTIONS, value_only

# Piecewise-constant functions and index searches: evaluated on the values, no derivative.
FUNCTIONS.update({fn: value_only(fn) for fn in (
    np.round, np.around, np.fix, np.argwhere, np.flatnonzero, np.searchsorted,
    np.digitize, np.argpartition, np.lexsort, np.isneginf, np.isposinf, np.iscomplex,
    np.isreal, np.array_equiv, np.isin, np.shares_memory, np.may_share_memory)})

operators.install()
