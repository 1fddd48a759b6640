"""``jacobian`` and ``hessian`` as users call them: dense by default (the mode chosen by
``dualad.auto``), sparse with ``sparsity=`` (``dualad.sparse``: detected pattern, colours,
compressed passes)."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from . import sparse
from .auto import jacobian as _dense_jacobian
from .transforms import hessian as _dense_hessian
from .transforms.common import argnum_alias

#: Keywords that only the sparse path takes.
SPARSE_OPTIONS = frozenset({"format", "local", "check", "executor", "chunk_size", "order"})


def _split(name, sparsity, options):
    extra = sorted(SPARSE_OPTIONS.intersection(options))
    if sparsity is None and extra:
        raise TypeError(f"{name}: {extra} only apply with sparsity=... (a sparse "
                        f"{name}); without it the result is dense")


@argnum_alias
def jacobian(f: Callable[..., Any], argnums: int | Sequence[int] = 0, mode: str = "auto",
             has_aux: bool = False, sparsity: Any = None, **options: Any) -> Any:
    """The Jacobian, by the mode that is cheaper for this function on this machine.

    Dense by default (see ``dualad.auto.jacobian``: the first call discovers the output
    size, later calls follow measurements; the returned function's ``decision`` says what
    it did and why). With ``sparsity="auto"`` (or a given pattern: dense boolean,
    scipy.sparse, or (rows, cols)) the result is a scipy.sparse (m, n) matrix computed by
    compressed passes (``dualad.sparse.jacobian``).

    Args:
        f: The function; outputs and inputs may be containers of floats and arrays (one
            array in, one array out with ``sparsity``).
        argnums: The positional argument to differentiate, or a tuple of them
            (``argnum=`` is accepted too).
        mode: ``"auto"``, ``"forward"`` (``"fwd"``) or ``"reverse"`` (``"rev"``).
        has_aux: If True, ``f`` returns ``(output, aux)``.
        sparsity: None (dense), ``"auto"`` (detected) or a pattern.
        **options: With ``sparsity``: ``format``, ``local``, ``check``, ``executor``,
            ``chunk_size``, ``order`` (see ``dualad.sparse.jacobian``).

    Returns:
        A function returning the Jacobian, shaped ``output.shape + input.shape``, or
        ``(jacobian, aux)`` with ``has_aux``; a scipy.sparse matrix with ``sparsity``.

    Raises:
        ValueError: unknown ``mode``, ``argnums`` out of range, or ``sparsity`` with
            several arguments or ``has_aux``.
        TypeError: an argument cannot be differentiated, or sparse options without
            ``sparsity``.

    Examples:
        >>> ad.jacobian(lambda x: x[::-1] * 3.0, mode="reverse")(np.ones(2))
        array([[0., 3.],
               [3., 0.]])
        >>> jac = ad.jacobian(lambda x: np.sin(x) * 2.0)     # auto: the cheaper mode
        >>> bool(np.allclose(jac(np.zeros(2)), 2.0 * np.eye(2)))
        True
    """
    _split("jacobian", sparsity, options)
    if sparsity is None:
        return _dense_jacobian(f, argnums, mode, has_aux, **options)
    _one_array_argument(argnums, has_aux, options)
    return sparse.jacobian(f, sparsity, mode, **options)


@argnum_alias
def hessian(f: Callable[..., Any], argnums: int | Sequence[int] = 0, sparsity: Any = None,
            **options: Any) -> Any:
    """The Hessian of a scalar function: forward mode over reverse mode.

    With ``sparsity="auto"`` (or a pattern) a scipy.sparse Hessian from a star colouring
    and compressed Hessian-vector products (``dualad.sparse.hessian``).

    Args:
        f: A function returning one real number.
        argnums: The positional argument to differentiate, or a tuple of them
            (``argnum=`` is accepted too).
        sparsity: None (dense), ``"auto"`` (detected) or a pattern.
        **options: ``holomorphic`` (dense); with ``sparsity``: ``format``, ``local``,
            ``check``, ``executor``, ``chunk_size``, ``order``.

    Returns:
        A function returning the matrix of second derivatives, shaped
        ``input.shape + input.shape`` (a scipy.sparse matrix with ``sparsity``).

    Raises:
        TypeError: ``f`` does not return one real number, an argument cannot be
            differentiated, or sparse options without ``sparsity``.

    Examples:
        >>> ad.hessian(lambda x: np.sum(x ** 3))(np.array([1.0, 2.0]))
        array([[ 6.,  0.],
               [ 0., 12.]])
    """
    _split("hessian", sparsity, options)
    if sparsity is None:
        return _dense_hessian(f, argnums, **options)
    _one_array_argument(argnums, False, options)
    return sparse.hessian(f, sparsity, **options)


def _one_array_argument(argnums, has_aux, options):
    if argnums != 0 or has_aux:
        raise ValueError("a sparse Jacobian or Hessian differentiates the first argument, "
                         "one array (argnums=0, has_aux=False); pass the others after it")
