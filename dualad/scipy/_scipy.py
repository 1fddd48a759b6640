"""SciPy is an optional extra: one place imports it and says how to install it."""


def require_scipy(what):
    """The ``scipy`` module, or an ImportError naming ``what`` and the extra to install."""
    try:
        import scipy
    except ImportError as exc:  # pragma: no cover - scipy is installed in the test extra
        raise ImportError(f"{what} needs SciPy: pip install \"dualad[scipy]\"") from exc
    return scipy
