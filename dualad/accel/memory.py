"""Freed memory kept for reuse: reverse mode's temporaries stop costing page faults.

Reverse mode holds the intermediates of f until the backward sweep, so its memory use peaks
well above f's. With glibc's default settings, large blocks (from 128 KiB, a 256 x 128
float64 array) are mapped afresh for every allocation and handed back to the system when
freed, and after a gradient the freed heap is trimmed; the next gradient then touches new
pages one page fault at a time. On the 2-core VM the benchmarks run on, that made a 256 x
128 array cost ~40 us to allocate instead of ~1 us, and the MLP gradient ~45% slower.

``keep_freed_memory`` raises glibc's thresholds (``mallopt``) so that up to ``limit`` bytes
of freed memory stay in the process and are reused. dualad calls it once, when the first
derivative is taken; ``DUALAD_KEEP_MEMORY=0`` in the environment turns that off. It does
nothing on other C libraries. It is process-wide: NumPy code outside dualad reuses memory
the same way.
"""
import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1      # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_MAX = 32 * 2 ** 20    # glibc's upper limit on 64-bit systems
DEFAULT_LIMIT = 256 * 2 ** 20

_state = {"done": False, "kept": False}


def keep_freed_memory(limit=DEFAULT_LIMIT):
    """Keep up to ``limit`` bytes of freed memory for reuse (glibc only). Returns True
    when the settings were applied."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    limit = int(limit)
    ok = mallopt(M_MMAP_THRESHOLD, min(limit, MMAP_THRESHOLD_MAX)) == 1
    return mallopt(M_TRIM_THRESHOLD, limit) == 1 and ok


def on_first_trace():
    """Called when the first derivative starts: keep freed memory unless turned off."""
    if _state["done"]:
        return
    _state["done"] = True
    if os.environ.get("DUALAD_KEEP_MEMORY", "1").strip().lower() not in ("0", "false",
                                                                           "no", "off"):
        _state["kept"] = keep_freed_memory()


def kept():
    """Whether this process keeps freed memory on dualad's behalf."""
    return _state["kept"]
