"""SciPy is an optional extra: one place that imports it or says how to install it."""
import importlib


def require_scipy(what: str):
    """The ``scipy`` module; ImportError naming ``what`` and the install command if SciPy
    is not installed."""
    try:
        return importlib.import_module("scipy")
    except ImportError as e:
        raise ImportError(f"{what} needs SciPy, which is not installed: "
                          'pip install "dualad[scipy]"') from e
