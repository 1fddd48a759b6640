"""Numba kernels: fused elementwise derivative passes, generated from the primitive table.

The switch: ``DUALAD_DISABLE_NUMBA=1`` in the environment turns every numba kernel off
(the pure NumPy path, which is always the reference). It is read once, at import, into
``NUMBA_ENABLED``; code asks ``numba_enabled()`` (tests may monkeypatch the flag).

Numba itself is imported lazily, on the first kernel that is needed: ``import dualad``
never compiles or even imports numba.
"""
import os

_FALSE_WORDS = ("", "0", "false", "no", "off")

#: False when the environment variable ``DUALAD_DISABLE_NUMBA`` is set (to anything but
#: "", "0", "false", "no", "off"). Read once at import.
NUMBA_ENABLED = os.environ.get("DUALAD_DISABLE_NUMBA", "").strip().lower() in _FALSE_WORDS


def numba_enabled():
    """Whether numba kernels may be used (``DUALAD_DISABLE_NUMBA`` unset)."""
    return NUMBA_ENABLED
