"""The numba kernel that sweeps runs of scalar tape entries backwards.

``sweep_scalars`` is plain Python that numba compiles (lazily, cached on disk) on the
first backward sweep that can use it; with numba disabled the same loop is the
reference sweep in ``reverse.py``. The entry encoding is described in ``reverse.py``.
"""
from .kernels import numba_enabled, numba_module

LEAF, GENERIC, ELEMENT, NONE = -1, -2, -3, -1


def sweep_scalars(a, b, da, db, sadj, has, eadj, i, strong=False):
    """Sweep scalar entries from index ``i`` down; stop at a generic entry.

    Returns the index of the generic entry that stopped the run, or -1 at the start.
    ``strong``: a zero cotangent passes nothing on (not 0 * an inf partial = NaN).
    """
    while i >= 0:
        ai = a[i]
        if ai == -2:
            return i
        if ai >= 0 and has[i] and not (strong and sadj[i] == 0.0):
            g = sadj[i]
            bi = b[i]
            if bi == -3:
                eadj[ai] += g
            else:
                sadj[ai] += g * da[i]
                has[ai] = True
                if bi >= 0:
                    sadj[bi] += g * db[i]
                    has[bi] = True
        i -= 1
    return -1


_compiled = None


def compiled_sweep():
    """The numba-compiled ``sweep_scalars``, or None when numba is disabled."""
    global _compiled
    if not numba_enabled():
        return None
    if _compiled is None:
        _compiled = numba_module().njit(cache=True, nogil=True)(sweep_scalars)
    return _compiled
