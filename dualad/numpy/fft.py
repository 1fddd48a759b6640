"""numpy.fft on traced values: the 1-D transforms fft, ifft, rfft, irfft are primitives of
the table; the 2-D and N-D transforms, hfft/ihfft and the shifts are compositions (as in
NumPy itself, an N-D transform is 1-D transforms along each axis).

Derivatives follow dualad's complex convention (JVP: the R-linear map; VJP: its transpose
for the pairing Re(sum(a * b))). The DFT matrix is symmetric, so the VJP of fft is fft
itself (with the same n and norm), followed by the transpose of the zero-padding or
truncation to n. rfft keeps the first n//2 + 1 rows of fft: its VJP pads the cotangent
back to n, applies fft and keeps the real part. irfft reads a Hermitian half-spectrum: its
VJP is ifft of the cotangent, weighted 1 for the zero frequency (and the Nyquist one for
even n) and 2 for the others, whose mirrored twins it stands for. Unlike autograd, odd
lengths are supported.
"""
import numpy as np

from .. import rules as P
from ..core import shape_of, ndim_of, dtype_of
from ..core import InPlaceError, NotDifferentiableError
from .registry import implements
from .shapes import (_norm_axis, roll)


def _resize(x, axis, n):
    """``x`` truncated or zero-padded to length n along ``axis`` (as np.fft does)."""
    m = shape_of(x)[axis]
    if m == n:
        return x
    if m > n:
        return P.getitem(x, idx=(slice(None),) * axis + (slice(0, n),))
    shape = list(shape_of(x))
    shape[axis] = n
    return P.scatter_add(x, idx=(slice(None),) * axis + (slice(0, m),), shape=tuple(shape))


def _fft_impl(x, n, axis, norm, inverse):
    return (np.fft.ifft if inverse else np.fft.fft)(x, n=n, axis=axis, norm=norm)


def _fft_jvp(tangents, primals, out, n, axis, norm, inverse):
    return fft_prim(tangents[0], n=n, axis=axis + 1, norm=norm, inverse=inverse)


def _fft_vjp(i, g, primals, out, n, axis, norm, inverse):
    x = primals[0]
    r = fft_prim(g, n=n, axis=axis, norm=norm, inverse=inverse)
    return P.project(_resize(r, axis, shape_of(x)[axis]), x)


fft_prim = P.register(P.Primitive("fft", _fft_impl, _fft_jvp, _fft_vjp,
                                    depends="lanes", depends_axes=P.axis_kw))


def _rfft_impl(x, n, axis, norm):
    return np.fft.rfft(x, n=n, axis=axis, norm=norm)


def _rfft_jvp(tangents, primals, out, n, axis, norm):
    return rfft_prim(tangents[0], n=n, axis=axis + 1, norm=norm)


def _rfft_vjp(i, g, primals, out, n, axis, norm):
    x = primals[0]
    full = fft_prim(_resize(g, axis, n), n=n, axis=axis, norm=norm, inverse=False)
    return P.real(_resize(full, axis, shape_of(x)[axis]))


rfft_prim = P.register(P.Primitive("rfft", _rfft_impl, _rfft_jvp, _rfft_vjp,
                                    depends="lanes", depends_axes=P.axis_kw))


def _irfft_impl(x, n, axis, norm):
    return np.fft.irfft(x, n=n, axis=axis, norm=norm)


def _irfft_jvp(tangents, primals, out, n, axis, norm):
    return irfft_prim(tangents[0], n=n, axis=axis + 1, norm=norm)


def _half_weights(n, m, nd, axis, dtype):
    w = np.full(m, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    shape = [1] * nd
    shape[axis] = m
    return w.reshape(shape).astype(np.result_type(dtype, np.float32))


def _irfft_vjp(i, g, primals, out, n, axis, norm):
    x = primals[0]
    m = n // 2 + 1
    v = _resize(fft_prim(g, n=n, axis=axis, norm=norm, inverse=True), axis, m)
    v = v * _half_weights(n, m, ndim_of(v), axis, dtype_of(g))
    return P.project(_resize(v, axis, shape_of(x)[axis]), x)


irfft_prim = P.register(P.Primitive("irfft", _irfft_impl, _irfft_jvp, _irfft_vjp,
                                    depends="lanes", depends_axes=P.axis_kw))


# ------------------------------------------------------------------------------------
# NumPy signatures
# ------------------------------------------------------------------------------------
def _check(name, norm, out):
    if out is not None:
        raise InPlaceError(f"numpy.fft.{name}(..., out=...)")
    if norm not in (None, "backward", "ortho", "forward"):
        raise ValueError(f'Invalid norm value {norm}; should be "backward",'
                         '"ortho" or "forward".')


def _fft1(x, n, axis, norm, inverse):
    axis = _norm_axis(axis, ndim_of(x))
    n = shape_of(x)[axis] if n is None else int(n)
    if n < 1:
        raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    return fft_prim(x, n=n, axis=axis, norm=norm, inverse=inverse)


@implements(np.fft.fft)
def fft(a, n=None, axis=-1, norm=None, out=None):
    _check("fft", norm, out)
    return _fft1(a, n, axis, norm, False)


@implements(np.fft.ifft)
def ifft(a, n=None, axis=-1, norm=None, out=None):
    _check("ifft", norm, out)
    return _fft1(a, n, axis, norm, True)


@implements(np.fft.rfft)
def rfft(a, n=None, axis=-1, norm=None, out=None):
    _check("rfft", norm, out)
    if dtype_of(a).kind == "c":
        raise NotDifferentiableError("numpy.fft.rfft of a complex array",
                                     hint="rfft takes real input; use np.fft.fft.")
    axis = _norm_axis(axis, ndim_of(a))
    n = shape_of(a)[axis] if n is None else int(n)
    return rfft_prim(a, n=n, axis=axis, norm=norm)


@implements(np.fft.irfft)
def irfft(a, n=None, axis=-1, norm=None, out=None):
    _check("irfft", norm, out)
    axis = _norm_axis(axis, ndim_of(a))
    n = 2 * (shape_of(a)[axis] - 1) if n is None else int(n)
    if n < 1:
        raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    return irfft_prim(a, n=n, axis=axis, norm=norm)


def _axes_and_sizes(a, s, axes, default_all=True):
    nd = ndim_of(a)
    if axes is None:
        axes = list(range(nd)) if s is None else list(range(nd - len(s), nd))
    axes = [_norm_axis(x, nd) for x in axes]
    if s is None:
        s = [shape_of(a)[x] for x in axes]
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    return list(s), axes


def _fftn(a, s, axes, norm, inverse):
    s, axes = _axes_and_sizes(a, s, axes)
    for n, ax in reversed(list(zip(s, axes))):
        a = _fft1(a, n, ax, norm, inverse)
    return a


@implements(np.fft.fftn)
def fftn(a, s=None, axes=None, norm=None, out=None):
    _check("fftn", norm, out)
    return _fftn(a, s, axes, norm, False)


@implements(np.fft.ifftn)
def ifftn(a, s=None, axes=None, norm=None, out=None):
    _check("ifftn", norm, out)
    return _fftn(a, s, axes, norm, True)


@implements(np.fft.fft2)
def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    _check("fft2", norm, out)
    return _fftn(a, s, axes, norm, False)


@implements(np.fft.ifft2)
def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    _check("ifft2", norm, out)
    return _fftn(a, s, axes, norm, True)


def _rfftn(a, s, axes, norm):
    s, axes = _axes_and_sizes(a, s, axes)
    a = rfft(a, s[-1], axes[-1], norm)
    for n, ax in reversed(list(zip(s[:-1], axes[:-1]))):
        a = _fft1(a, n, ax, norm, False)
    return a


def _irfftn(a, s, axes, norm):
    nd = ndim_of(a)
    if s is None:
        axes_ = list(range(nd)) if axes is None else [_norm_axis(x, nd) for x in axes]
        s = [shape_of(a)[x] for x in axes_]
        s[-1] = 2 * (s[-1] - 1)
        axes = axes_
    s, axes = _axes_and_sizes(a, s, axes)
    for n, ax in zip(s[:-1], axes[:-1]):
        a = _fft1(a, n, ax, norm, True)
    return irfft(a, s[-1], axes[-1], norm)


@implements(np.fft.rfftn)
def rfftn(a, s=None, axes=None, norm=None, out=None):
    _check("rfftn", norm, out)
    return _rfftn(a, s, axes, norm)


@implements(np.fft.irfftn)
def irfftn(a, s=None, axes=None, norm=None, out=None):
    _check("irfftn", norm, out)
    return _irfftn(a, s, axes, norm)


@implements(np.fft.rfft2)
def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    _check("rfft2", norm, out)
    return _rfftn(a, s, axes, norm)


@implements(np.fft.irfft2)
def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    _check("irfft2", norm, out)
    return _irfftn(a, s, axes, norm)


_SWAP = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


@implements(np.fft.hfft)
def hfft(a, n=None, axis=-1, norm=None, out=None):
    _check("hfft", norm, out)
    if dtype_of(a).kind == "c":
        a = P.conjugate(a)
    return irfft(a, n, axis, _SWAP[norm])


@implements(np.fft.ihfft)
def ihfft(a, n=None, axis=-1, norm=None, out=None):
    _check("ihfft", norm, out)
    return P.conjugate(rfft(a, n, axis, _SWAP[norm]))


def _shift(x, axes, sign):
    nd = ndim_of(x)
    axes = list(range(nd)) if axes is None else (
        [axes] if isinstance(axes, (int, np.integer)) else list(axes))
    shifts = [sign * (shape_of(x)[_norm_axis(ax, nd)] // 2) for ax in axes]
    return roll(x, shifts, axes)


@implements(np.fft.fftshift)
def fftshift(x, axes=None):
    return _shift(x, axes, 1)


@implements(np.fft.ifftshift)
def ifftshift(x, axes=None):
    return _shift(x, axes, -1)
