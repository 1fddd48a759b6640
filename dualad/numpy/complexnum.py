"""Complex numbers on traced values: real, imag, conj, angle, abs.

The convention (JAX's and autograd's): the VJP is the transpose of the JVP with respect to
the real pairing Re(sum(a * b)), so holomorphic functions use their ordinary derivative
f'(z) in both modes, and the gradient of a real-valued f(z) is df/dx - i df/dy (for
|z|^2 it is 2 conj(z)). The primitives real, imag and conjugate live in the table
(primitives.py); abs and angle of complex numbers are compositions of them.

Conventions at non-differentiable points: abs(z) at 0 has derivative 0 (hypot's
convention); angle(z) at 0 is not differentiable and gives NaN.
"""
import numpy as np

from .. import rules as P
from ..core import Box, primal, dtype_of
from .registry import (COMPLEX_UFUNCS, FUNCTIONS, implements)


def _is_complex(x):
    return dtype_of(x).kind == "c"


@implements(np.real)
def real(val):
    return P.real(val) if _is_complex(val) else val


@implements(np.imag)
def imag(val):
    return P.imag(val)


def complex_abs(z):
    """|z| = hypot(Re z, Im z): derivative conj(z)/|z|, 0 at z == 0."""
    return P.hypot(P.real(z), P.imag(z))


COMPLEX_UFUNCS[np.absolute] = complex_abs


@implements(np.angle, convention="not differentiable at 0 (NaN); real input: constant")
def angle(z, deg=False):
    if not _is_complex(z):
        return np.angle(primal(z), deg=deg)
    a = P.arctan2(P.imag(z), P.real(z))
    return a * (180.0 / np.pi) if deg else a


@implements(np.real_if_close)
def real_if_close(a, tol=100):
    v = primal(a)
    if not np.iscomplexobj(v):
        return a
    eps = np.finfo(v.dtype).eps
    limit = tol * eps if tol > 1 else tol
    return P.real(a) if np.all(np.abs(v.imag) < limit) else a


Box.real = property(real)
Box.imag = property(imag)
FUNCTIONS[np.conj] = FUNCTIONS.get(np.conj, lambda x: np.conjugate(x))
