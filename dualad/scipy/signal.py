"""``scipy.signal`` convolutions for traced values: ``convolve``, ``correlate``,
``fftconvolve`` and ``oaconvolve`` (N-D; modes full, same, valid; ``axes=`` for the FFT
ones), with scipy's signatures. Plain inputs go to SciPy itself.

A traced convolution is a sum over the smaller operand's entries of shifted slices of the
other (exact, like scipy's direct method) when that is cheap, else the product of FFTs
(like scipy's ``method="auto"`` for large inputs): both are NumPy calls dualad
differentiates, so every order works in both modes.
"""
import math

import numpy as np

from ._scipy import require_scipy

require_scipy("dualad.scipy.signal")

import scipy.signal as _signal  # noqa: E402
from ..core import Box, primal  # noqa: E402

__all__ = ["convolve", "correlate", "fftconvolve", "oaconvolve"]

#: Above this many multiply-adds (output size times the smaller operand's size) a traced
#: convolution goes through FFTs instead of shifted slices.
DIRECT_MAX = 1 << 18


def _traced(*xs):
    return any(isinstance(x, Box) for x in xs)


def _array(x):
    return x if isinstance(x, Box) else np.asarray(x)


def _check_shapes(s1, s2, mode):
    if len(s1) != len(s2):
        raise ValueError("in1 and in2 should have the same dimensionality")
    if mode not in ("full", "same", "valid"):
        raise ValueError("acceptable mode flags are 'valid', 'same', or 'full'")
    if mode == "valid" and not (all(a >= b for a, b in zip(s1, s2))
                                or all(b >= a for a, b in zip(s1, s2))):
        raise ValueError("For 'valid' mode, one must be at least as large as the other "
                         "in every dimension")


def _crop(full, s1, s2, mode, axes):
    """The part of the full convolution ``mode`` keeps (along ``axes``), as scipy."""
    if mode == "full":
        return full
    idx = [slice(None)] * np.ndim(primal(full))
    for ax in axes:
        n, m, total = s1[ax], s2[ax], np.shape(primal(full))[ax]
        length = n if mode == "same" else abs(n - m) + 1
        start = (total - length) // 2 if mode == "same" else min(n, m) - 1
        idx[ax] = slice(start, start + length)
    return full[tuple(idx)]


def _direct_full(a, v):
    """The full convolution as a sum over v's entries of shifted copies of a."""
    sa, sv = np.shape(primal(a)), np.shape(primal(v))
    ap = np.pad(a, [(m - 1, m - 1) for m in sv])
    out_shape = tuple(n + m - 1 for n, m in zip(sa, sv))
    total = None
    for j in np.ndindex(*sv):
        start = [m - 1 - jd for m, jd in zip(sv, j)]
        window = ap[tuple(slice(s, s + n) for s, n in zip(start, out_shape))]
        term = window * v[j]
        total = term if total is None else total + term
    return total


def _fft_full(in1, in2, axes):
    s1, s2 = np.shape(primal(in1)), np.shape(primal(in2))
    shape = [s1[a] + s2[a] - 1 for a in axes]
    complex_ = np.iscomplexobj(primal(in1)) or np.iscomplexobj(primal(in2))
    if complex_:
        return np.fft.ifftn(np.fft.fftn(in1, shape, axes=axes) *
                            np.fft.fftn(in2, shape, axes=axes), shape, axes=axes)
    return np.fft.irfftn(np.fft.rfftn(in1, shape, axes=axes) *
                         np.fft.rfftn(in2, shape, axes=axes), shape, axes=axes)


def convolve(in1, in2, mode="full", method="auto"):
    """N-dimensional convolution, as scipy.signal.convolve (``method`` is accepted; a
    traced one picks shifted slices or FFTs by size)."""
    if not _traced(in1, in2):
        return _signal.convolve(in1, in2, mode=mode, method=method)
    in1, in2 = _array(in1), _array(in2)
    s1, s2 = np.shape(primal(in1)), np.shape(primal(in2))
    _check_shapes(s1, s2, mode)
    if 0 in s1 or 0 in s2:
        return np.zeros(0)
    a, v = (in1, in2) if math.prod(s2) <= math.prod(s1) else (in2, in1)
    out_size = math.prod(n + m - 1 for n, m in zip(s1, s2))
    if method == "direct" or (method != "fft" and
                              out_size * math.prod(np.shape(primal(v))) <= DIRECT_MAX):
        full = _direct_full(a, v)
    else:
        full = _fft_full(in1, in2, tuple(range(len(s1))))
    return _crop(full, s1, s2, mode, range(len(s1)))


def _reverse_conj(x):
    r = x[(slice(None, None, -1),) * np.ndim(primal(x))]
    return np.conj(r) if np.iscomplexobj(primal(x)) else r


def correlate(in1, in2, mode="full", method="auto"):
    """N-dimensional cross-correlation, as scipy.signal.correlate."""
    if not _traced(in1, in2):
        return _signal.correlate(in1, in2, mode=mode, method=method)
    in1, in2 = _array(in1), _array(in2)
    s1, s2 = np.shape(primal(in1)), np.shape(primal(in2))
    _check_shapes(s1, s2, mode)
    if mode == "valid" and any(b > a for a, b in zip(s1, s2)):
        # scipy correlates the other way round and reverses (and conjugates) the result
        return _reverse_conj(correlate(in2, in1, mode, method))
    return convolve(in1, _reverse_conj(in2), mode, method)


def fftconvolve(in1, in2, mode="full", axes=None):
    """Convolution by FFTs, as scipy.signal.fftconvolve: ``axes`` (default all) are
    convolved, the others broadcast."""
    if not _traced(in1, in2):
        return _signal.fftconvolve(in1, in2, mode=mode, axes=axes)
    in1, in2 = _array(in1), _array(in2)
    s1, s2 = np.shape(primal(in1)), np.shape(primal(in2))
    nd = len(s1)
    if nd != len(s2):
        raise ValueError("in1 and in2 should have the same dimensionality")
    axes = tuple(range(nd)) if axes is None else tuple(
        sorted(a % nd for a in np.atleast_1d(axes)))
    if mode not in ("full", "same", "valid"):
        raise ValueError("acceptable mode flags are 'valid', 'same', or 'full'")
    if mode == "valid":
        _check_shapes([s1[a] for a in axes], [s2[a] for a in axes], mode)
    for a in range(nd):
        if a not in axes and s1[a] != s2[a] and 1 not in (s1[a], s2[a]):
            raise ValueError("incompatible shapes for in1 and in2: "
                             f"{s1} and {s2}")
    return _crop(_fft_full(in1, in2, axes), s1, s2, mode, axes)


def oaconvolve(in1, in2, mode="full", axes=None):
    """Overlap-add convolution in scipy; the same values by FFTs here."""
    if not _traced(in1, in2):
        return _signal.oaconvolve(in1, in2, mode=mode, axes=axes)
    return fftconvolve(in1, in2, mode=mode, axes=axes)
