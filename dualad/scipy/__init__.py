"""Differentiable counterparts of SciPy functions that NumPy dispatch cannot reach.

SciPy's Python-level functions call ``np.asarray`` first, which would drop a traced value;
these mirror scipy's layout and signatures (``dualad.scipy.special``, ``.stats``,
``.linalg``, ``.signal``, ``.integrate``, ``.optimize``). SciPy is an optional extra:
``pip install "dualad[scipy]"``. ``import dualad`` never imports SciPy.
"""
import importlib

_SUBMODULES = ("special", "stats", "linalg", "signal", "integrate", "optimize")


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
