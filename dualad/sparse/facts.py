"""TEMPORARY (prep phase): the dependency facts of the rows, to move onto the rows
themselves once the layout lands."""
from .. import primitives as P
from ..primitives import TABLE


def _sum_axes(ndim, kw):
    axis = kw.get("axis")
    if axis is None:
        return range(ndim)
    return (axis,) if isinstance(axis, int) else axis


def _last(ndim, kw):
    return (ndim - 1,)


def _last_two(ndim, kw):
    return (ndim - 2, ndim - 1)


def _axis(ndim, kw):
    return (kw["axis"],)


def _matmul_spec(shapes, kw):
    na, nb = len(shapes[0]), len(shapes[1])
    if na == 1 and nb == 1:
        return "j,j->"
    if na == 1:
        return "j,jk->k"
    if nb == 1:
        return "ij,j->i"
    nbatch = max(na, nb) - 2
    batch = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:nbatch]
    ba, bb = batch[nbatch - (na - 2):], batch[nbatch - (nb - 2):]
    return f"{ba}ij,{bb}jk->{batch}ik"


def install():
    P.Elementwise.depends = "elementwise"
    facts = {
        "real": ("elementwise",), "imag": ("elementwise",), "conjugate": ("elementwise",),
        "cast": ("elementwise",),
        "broadcast_to": ("gather",), "reshape": ("gather",), "transpose": ("gather",),
        "getitem": ("gather",), "concatenate": ("gather",),
        "scatter_add": ("scatter",),
        "sum": ("reduce", _sum_axes), "max": ("reduce", _sum_axes),
        "min": ("reduce", _sum_axes), "prod": ("reduce", _last),
        "cumsum": ("scan", _axis), "cumprod": ("scan", _axis),
        "fft": ("lanes", _axis), "rfft": ("lanes", _axis), "irfft": ("lanes", _axis),
        "matmul": ("contract",), "einsum": ("contract",),
    }
    for name in ("inv", "det", "logabsdet", "cholesky", "eigh", "svd", "qr", "pinv", "eig"):
        facts[name] = ("lanes", _last_two)
    for name, (kind, *axes) in facts.items():
        TABLE[name].depends = kind
        if axes:
            TABLE[name].depends_axes = axes[0]
    TABLE["matmul"].einsum_spec = _matmul_spec
    TABLE["einsum"].einsum_spec = lambda shapes, kw: kw["spec"]


install()
