"""The object API in PyTorch's style: ``Tensor``, ``backward()``, ``.grad``, ``no_grad``.

A ``Tensor`` is a ``Box`` of one long-lived trace (``TENSORS``), so operators and plain
NumPy calls on it go through the same dispatch (numpy_dispatch) and the same primitive
table as ``grad`` and ``jvp``: there is no second set of derivative rules.

The graph is define-by-run and owned by the values, not by a global tape. Every operation
on a tensor that requires grad gives its result a ``Node``: the primitive, its keyword
arguments, the operand values and the output it saved (exactly the node format of
reverse mode, ``(prim, kw, primals, out, parents)``), a creation number, and for each
operand either the operand's ``Node`` or, for a leaf, the leaf tensor (None for
constants). When the last reference to an output is dropped, the part of the graph only
it used is freed by reference counting, so a training loop does not grow a tape.

``backward()`` collects the nodes reachable from the output with an explicit stack, sorts
them by creation number, newest first (a valid reverse topological order, since a node is
always created after its operands), and applies each node's VJPs with reverse mode's own
step (``reverse.Adjoints.pull``). Leaf gradients are accumulated into ``.grad``. Unless
``retain_graph=True`` the saved values are then freed, and a second ``backward()``
through those nodes raises ``GraphFreedError``.

The tensor trace has level 0, below every ``grad``/``jvp``, so tensors are constants to
(and can be carried inside) the functional API: ``dualad.grad`` of a function of tensors
works, and when a gradient depends on tensors that require grad it is itself recorded on
their graph (``backward()`` of it gives second derivatives).
"""
from __future__ import annotations

import functools
import itertools
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from ..accel import memory
from ..core import (Box, DualadError, Trace, dtype_of, is_inexact, new_level, object_array,
                   primal)
from ..rules import all_finite, duplicate_targets, index_update, strong_zero_mode, strong_zeros
from .reverse import Adjoints, frozen, record_from

__all__ = ["Tensor", "Node", "no_grad", "enable_grad", "is_grad_enabled", "GraphFreedError"]


class GraphFreedError(DualadError, RuntimeError):
    """``backward()`` through a graph whose saved values an earlier ``backward()`` freed.

    Fix: call ``backward(retain_graph=True)`` the first time if you need to go through the
    same graph again, or recompute the forward pass. Also a ``RuntimeError``.

    Examples:
        >>> w = ad.Tensor(2.0, requires_grad=True)
        >>> y = w * w
        >>> y.backward()
        >>> y.backward()
        Traceback (most recent call last):
        ...
        GraphFreedError: backward() reached the 'multiply' node whose saved values ...
    """


class TensorError(DualadError, RuntimeError):
    """A misuse of the object API that would otherwise give a wrong or missing gradient.

    Raised by ``float(t)`` / ``np.asarray(t)`` on a tensor that requires grad (use
    ``.item()``, ``.numpy()`` or ``.detach()``), an in-place update of such a leaf outside
    ``no_grad``, ``backward()`` on a tensor that does not require grad, or a non-scalar
    ``backward()`` without ``gradient``. Also a ``RuntimeError``.

    Examples:
        >>> w = ad.Tensor(2.0, requires_grad=True)
        >>> float(w * 3.0)
        Traceback (most recent call last):
        ...
        TensorError: float() on a tensor that requires grad would silently drop ...
        >>> (w * 3.0).item()
        6.0
    """


# ------------------------------------------------------------------------------------
# Gradient mode
# ------------------------------------------------------------------------------------
def is_grad_enabled() -> bool:
    """Whether operations on tensors are recorded here (False inside ``no_grad()``).

    Returns:
        True outside ``no_grad`` blocks (and inside ``enable_grad``).

    Examples:
        >>> with ad.no_grad():
        ...     ad.is_grad_enabled()
        False
    """
    return TENSORS.level >= record_from.get()


class _GradMode:
    """A context manager (and decorator) that switches recording on or off."""

    def _value(self):  # pragma: no cover - each mode defines it
        raise NotImplementedError

    # Written so that a KeyboardInterrupt arriving between any two steps (Ctrl-C is
    # delivered between bytecodes) never leaves recording switched for good: __enter__
    # undoes its switch if it does not return (no __exit__ comes then); __exit__ restores
    # first; and a block whose __exit__ was cut off before it restored anything is
    # restored when the manager is freed (``_entered`` names the value it still owes).
    def __init__(self):
        self._saved = []
        self._entered = None

    def __enter__(self):
        prev = record_from.get()
        value = self._value()
        try:
            record_from.set(value)
            self._saved.append(prev)
            self._entered = (value, prev)
            return self
        except BaseException:
            record_from.set(prev)
            if self._saved and self._saved[-1] is prev:
                self._saved.pop()
            raise

    def __exit__(self, *exc):
        saved = self._saved
        record_from.set(saved[-1])
        saved.pop()
        self._entered = None
        return False

    def __del__(self):
        entered = self._entered
        if entered is not None and record_from.get() == entered[0]:
            record_from.set(entered[1])

    def __call__(self, fn):
        @functools.wraps(fn)
        def run(*args, **kw):
            with type(self)():
                return fn(*args, **kw)
        return run


class no_grad(_GradMode):
    """A context manager (and decorator) inside which nothing is recorded.

    Operations on tensors inside the block do not require grad (evaluation, parameter
    updates); a ``grad``/``vjp`` already running when the block starts stops recording too,
    but one called inside the block still differentiates (as ``torch.func.grad`` does).

    Examples:
        >>> w = ad.Tensor(2.0, requires_grad=True)
        >>> with ad.no_grad():
        ...     y = w * 3.0
        >>> y.requires_grad, ad.is_grad_enabled()
        (False, True)
    """

    def _value(self):
        return new_level()   # every trace running now has a lower level


class enable_grad(_GradMode):
    """A context manager (and decorator) that switches recording back on inside ``no_grad``.

    Examples:
        >>> w = ad.Tensor(2.0, requires_grad=True)
        >>> with ad.no_grad():
        ...     with ad.enable_grad():
        ...         y = w * 3.0
        >>> y.requires_grad
        True
    """

    def _value(self):
        return -new_level()     # records everything (levels are >= 0); unique to this
                                # block, so a late restore never mistakes another's value


# ------------------------------------------------------------------------------------
# The graph
# ------------------------------------------------------------------------------------
_sequence = itertools.count()


class Node:
    """How a tensor was made: ``grad_fn``. ``name`` is the primitive's name.

    ``parents[i]`` is the Node of operand i, the leaf Tensor itself, or None for an
    operand that takes no gradient. ``primals`` and ``out`` are None once freed.
    """

    __slots__ = ("prim", "kw", "primals", "out", "parents", "seq", "__weakref__")

    def __init__(self, prim, kw, primals, out, parents):
        self.prim, self.kw, self.primals, self.out = prim, kw, primals, out
        self.parents = parents
        self.seq = next(_sequence)

    def __iter__(self):
        # unpacks like a reverse-mode tape entry: (prim, kw, primals, out, parents)
        return iter((self.prim, self.kw, self.primals, self.out, self.parents))

    @property
    def name(self):
        return self.prim.name

    @property
    def freed(self):
        return self.primals is None

    def __repr__(self):
        return f"<{self.prim.name} node{' (freed)' if self.freed else ''}>"


class TensorTrace(Trace):
    """The one trace all tensors belong to. It never finishes."""

    kind = "Tensor"

    def __init__(self):   # (made at import: not a derivative being taken yet)
        self.level = 0  # below every grad / jvp: tensors are constants to them
        self.alive = True

    def finish(self):  # pragma: no cover - never called
        raise TensorError("the tensor trace lives as long as the program")

    def constant(self, value, like):
        return Tensor._make(value, None)

    def process(self, prim, args, kw):
        primals, parents, tracked = [], [], False
        nondiff = prim.nondiff
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                primals.append(a.value)
                if a._requires_grad and i not in nondiff:
                    parents.append(a if a._node is None else a._node)
                    tracked = True
                else:
                    parents.append(None)
            else:
                primals.append(a)
                parents.append(None)
        out = prim(*primals, **kw)
        if tracked and is_grad_enabled() and is_inexact(out):
            parents = tuple(parents)
            primals, kw = frozen(prim, tuple(primals), parents, kw)
            return Tensor._make(out, Node(prim, kw, primals, out, parents))
        return Tensor._make(out, None)


TENSORS = TensorTrace()


def _sweep(root, seed, retain_graph):
    """Reverse sweep from ``root`` (a Node) with cotangent ``seed``.

    Returns ``[(leaf, gradient), ...]``; nothing is written before the sweep succeeded.
    """
    memory.on_first_trace()
    nodes, stack, seen = [], [root], {root}
    while stack:
        n = stack.pop()
        if n.primals is None:
            raise GraphFreedError(
                f"backward() reached the {n.prim.name!r} node whose saved values were freed "
                "by an earlier backward(). Call backward(retain_graph=True) the first time "
                "if you need to go through the same graph again, or recompute the forward "
                "pass.")
        nodes.append(n)
        for p in n.parents:
            if type(p) is Node and p not in seen:
                seen.add(p)
                stack.append(p)
    nodes.sort(key=lambda n: n.seq, reverse=True)

    adj = _pull_all(nodes, root, seed)
    if not all_finite(adj.sums.values()) and not strong_zeros.get():
        with strong_zero_mode():     # a zero cotangent times an inf partial: 0, not NaN
            adj = _pull_all(nodes, root, seed)
    if not retain_graph:
        for n in nodes:
            n.primals = n.out = None
    return list(adj.sums.items())


def _pull_all(nodes, root, seed):
    """The leaves' adjoints: ``nodes`` (newest first) pulled from ``root``'s ``seed``."""
    adj = Adjoints()   # keyed by Node, and by leaf Tensor for the leaves' gradients
    adj.add(root, seed)
    for n in nodes:
        g = adj.take(n)
        if g is not None:
            adj.pull(n, g)   # the reverse-mode step, shared with the tape's sweep
    return adj


# ------------------------------------------------------------------------------------
# Tensor
# ------------------------------------------------------------------------------------
def _readonly(value):
    a = np.asarray(value)
    if a is value:
        a = a.view()
    a.flags.writeable = False
    return a


def _concrete_array(data, what):
    if isinstance(data, Tensor):
        return np.array(data.value)
    if isinstance(data, Box):
        raise TensorError(
            f"{what} got a {type(data).__name__} (a value being differentiated by grad/jvp). "
            "A Tensor holds plain data; inside a function given to dualad.grad or "
            "dualad.jvp use the traced value directly instead of wrapping it in a Tensor.")
    return None


class Tensor(Box):
    """An array that records the operations applied to it, PyTorch style.

    Operators and NumPy functions (``np.tanh(t)``, ``np.sum(t)``, ``t @ w``) give tensors;
    when an operand requires grad the result records how it was made (``grad_fn``), and
    ``backward()`` accumulates gradients into the ``.grad`` of the leaves. The graph belongs
    to the values and is freed with them.

    Args:
        data: The values (copied into an ndarray); numbers, lists or arrays.
        requires_grad: Record operations on this tensor and accumulate its gradient.
        dtype: The NumPy dtype to convert ``data`` to.

    Raises:
        TypeError: ``data`` is not numeric, or ``requires_grad`` for a non-float dtype.
        TensorError: ``data`` is a value being differentiated by ``grad``/``jvp``.

    Examples:
        >>> x = ad.Tensor([1.0, 2.0], requires_grad=True)
        >>> y = np.sum(x ** 2)
        >>> y
        Tensor(5., grad_fn=<sum>)
        >>> y.backward()
        >>> x.grad
        Tensor([2., 4.])
    """

    __slots__ = ("_node", "_requires_grad", "_grad")

    def __init__(self, data: Any, requires_grad: bool = False,
                 dtype: DTypeLike | None = None) -> None:
        arr = _concrete_array(data, "Tensor()")
        if arr is None:
            arr = np.array(data, dtype=dtype)
        elif dtype is not None:
            arr = arr.astype(dtype)
        if arr.dtype == object:
            raise TypeError(f"Tensor() needs numeric data, got {type(data).__name__} "
                            f"({data!r:.60})")
        self.value, self._trace = arr, TENSORS
        self._node, self._requires_grad, self._grad = None, False, None
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, value, node):
        t = object.__new__(cls)
        t.value, t._trace, t._node, t._requires_grad, t._grad = (
            value, TENSORS, node, node is not None, None)
        return t

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the values (a tensor is an array, scalar or not)."""
        return dtype_of(self.value)

    # --- autograd attributes ------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) tracking this leaf. Returns the tensor."""
        requires_grad = bool(requires_grad)
        if self._node is not None:
            if requires_grad:
                return self
            raise TensorError(
                f"requires_grad can only be changed on leaf tensors; this one was made by "
                f"{self._node.name!r}. Use .detach() for a copy that does not require grad.")
        if requires_grad and np.result_type(self.value).kind not in "fc":
            raise TypeError(
                f"only floating-point (or complex) tensors can require grad, this one has "
                f"dtype {np.result_type(self.value)}; create it from floats, e.g. "
                "Tensor([1.0, 2.0]) or Tensor(data, dtype=float).")
        self._requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (and for results that do not require grad)."""
        return self._node is None

    @property
    def grad_fn(self) -> Node | None:
        """The ``Node`` that made this tensor (``.name`` names the operation), None for leaves."""
        return self._node

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient (a Tensor), or None before the first backward()."""
        return self._grad

    @grad.setter
    def grad(self, g: Any) -> None:
        if g is None:
            self._grad = None
            return
        arr = _concrete_array(g, ".grad =")
        arr = np.array(g) if arr is None else arr
        if arr.shape != self.shape:
            raise ValueError(f"assigned grad has shape {arr.shape}, but the tensor has shape "
                             f"{self.shape}")
        self._grad = Tensor._make(arr.astype(self.dtype, copy=False), None)

    def detach(self) -> Tensor:
        """The same values, cut from the graph (a new leaf that does not require grad)."""
        return Tensor._make(self.value, None)

    def backward(self, gradient: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``, by reverse mode.

        Args:
            gradient: The output cotangent v of the product vᵀJ, shaped like this tensor;
                not needed for a one-element tensor.
            retain_graph: Keep the saved values for another ``backward()`` through this graph
                (they are freed otherwise).

        Raises:
            TensorError: this tensor does not require grad, or it has several elements and no
                ``gradient`` was given.
            GraphFreedError: an earlier ``backward()`` freed part of this graph.

        Examples:
            >>> x = ad.Tensor([1.0, 2.0], requires_grad=True)
            >>> (x * x).backward(gradient=np.array([1.0, 10.0]))
            >>> x.grad
            Tensor([ 2., 40.])
        """
        if not self._requires_grad:
            raise TensorError(
                "backward() on a tensor that does not require grad: none of the tensors it "
                "was computed from has requires_grad=True, or it was computed inside "
                "no_grad() or from .detach()ed values.")
        shape = self.shape
        if gradient is None:
            if self.size != 1:
                raise TensorError(
                    f"backward() without a gradient works only for a scalar output, but this "
                    f"tensor has shape {shape}. Pass gradient= an array of shape {shape} "
                    "(the vector v of the vector-Jacobian product v^T J), or reduce the "
                    "output to a scalar first (e.g. .sum()).")
            seed = np.ones(shape, dtype=self.dtype)
        else:
            seed = _concrete_array(gradient, "backward(gradient=...)")
            seed = np.asarray(gradient) if seed is None else seed
            if seed.shape != shape:
                raise ValueError(f"backward(): gradient has shape {seed.shape}, but the "
                                 f"output has shape {shape}; they must be equal")
            seed = seed.astype(np.result_type(self.dtype, np.float32), copy=False)
        if self._node is None:
            self._accumulate(seed)
            return
        for leaf, g in _sweep(self._node, seed, retain_graph):
            leaf._accumulate(g)

    def _accumulate(self, g):
        g = np.asarray(primal(g))
        if g.shape != self.shape:
            g = np.reshape(g, self.shape)
        if self._grad is None:
            self._grad = Tensor._make(np.array(g, dtype=self.dtype), None)
        else:
            self._grad = Tensor._make(
                np.asarray(self._grad.value + g, dtype=self.dtype), None)

    # --- copies and pickling (leaves only, like PyTorch) ----------------------------------
    def __reduce__(self):
        if self._node is not None:
            raise TensorError(
                f"only leaf tensors can be copied or pickled; this one was made by "
                f"{self._node.name!r}. Copy or pickle t.detach() instead.")
        grad = None if self._grad is None else np.asarray(self._grad.value)
        return (_rebuild, (np.asarray(self.value), self._requires_grad, grad))

    def __deepcopy__(self, memo):
        fn, args = self.__reduce__()
        value, requires_grad, grad = args
        return fn(np.array(value), requires_grad, None if grad is None else np.array(grad))

    def __copy__(self):
        fn, args = self.__reduce__()
        return fn(*args)

    # --- explicit values ----------------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The values as a read-only ndarray (shared, not copied). No gradient flows."""
        return _readonly(self.value)

    @data.setter
    def data(self, value: Any) -> None:
        arr = _concrete_array(value, ".data =")
        self.value = np.array(value) if arr is None else arr

    def numpy(self) -> np.ndarray:
        """The values as a read-only ndarray (explicit: no gradient flows through it)."""
        return _readonly(self.value)

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.size != 1:
            raise ValueError(f"item() needs a one-element tensor, this one has shape "
                             f"{self.shape}")
        return np.asarray(self.value).item()

    def tolist(self) -> Any:
        """The values as (nested) Python lists of numbers; no gradient flows."""
        return np.asarray(self.value).tolist()

    def numel(self) -> int:
        """The number of elements."""
        return self.size

    # --- conversions: allowed unless they would silently cut a gradient -------------------
    def _refuse_if_tracked(self, what):
        if self._requires_grad:
            raise TensorError(
                f"{what} on a tensor that requires grad would silently drop its gradient. "
                "Take the value explicitly with .item() or .numpy(), or use .detach().")

    def __array__(self, dtype=None, copy=None):
        if (self._requires_grad and is_grad_enabled()
                and (dtype is None or np.dtype(dtype).kind == "O")):
            # as for other boxes: an object array of element tensors, which keeps the graph
            return object_array(self, _tensor_elements)
        self._refuse_if_tracked("np.asarray() / np.array()")
        a = np.asarray(self.value, dtype=dtype)
        return a.copy() if copy else a

    def __float__(self):
        self._refuse_if_tracked("float()")
        return float(np.asarray(self.value).item())

    def __int__(self):
        self._refuse_if_tracked("int()")
        return int(np.asarray(self.value).item())

    def __complex__(self):
        self._refuse_if_tracked("complex()")
        return complex(np.asarray(self.value).item())

    def __format__(self, spec):
        return format(np.asarray(self.value), spec) if spec else repr(self)

    def __repr__(self):
        body = np.array2string(np.asarray(self.value), separator=", ", prefix="Tensor(")
        if self._node is not None:
            extra = f", grad_fn=<{self._node.name}>"
        elif self._requires_grad:
            extra = ", requires_grad=True"
        else:
            extra = ""
        return f"Tensor({body}{extra})"

    __str__ = __repr__

    # --- in-place updates (parameter updates under no_grad) --------------------------------
    def _check_inplace(self, what, other=None):
        if self._node is not None:
            raise TensorError(
                f"{what} on a tensor made by {self._node.name!r} (part of a graph) is not "
                "supported; write t = t + x instead.")
        if isinstance(other, Box) and not isinstance(other, Tensor):
            raise TensorError(f"{what} with a {type(other).__name__} operand would drop its "
                              "derivative")
        if is_grad_enabled() and (self._requires_grad or
                                (isinstance(other, Tensor) and other._requires_grad)):
            raise TensorError(
                f"{what} on a leaf tensor that requires grad cannot be recorded. For a "
                "parameter update wrap it in `with dualad.no_grad():`, or use an optimizer "
                "from dualad.optim.")

    def _records(self, other):
        """Whether an in-place update is recorded (a rebinding to a new graph node): with
        grad enabled, on a tensor made by the graph or when a tracked value comes in
        (torch records these too); a leaf that requires grad is never written."""
        if not is_grad_enabled() or (self._node is None and self._requires_grad):
            return False
        return self._node is not None or (isinstance(other, Tensor) and other._requires_grad)

    def _become(self, new):
        self.value, self._node, self._requires_grad = new.value, new._node, new._requires_grad
        return self

    def _inplace(self, ufunc, other, what):
        if self._records(other):
            new = ufunc(self, other)
            if new.shape != self.shape:
                raise ValueError(f"{what}: the result has shape {new.shape}, but the tensor "
                                 f"has shape {self.shape}")
            return self._become(new)
        self._check_inplace(what, other)
        new = np.asarray(ufunc(self.value, primal(other)), dtype=self.dtype)
        if new.shape != self.shape:
            raise ValueError(f"{what}: the result has shape {new.shape}, but the tensor has "
                             f"shape {self.shape}")
        # A new array, not a write into the old one: graphs that saved it stay correct.
        self.value = new
        return self

    def __iadd__(self, other):
        return self._inplace(np.add, other, "t += x")

    def __isub__(self, other):
        return self._inplace(np.subtract, other, "t -= x")

    def __imul__(self, other):
        return self._inplace(np.multiply, other, "t *= x")

    def __itruediv__(self, other):
        return self._inplace(np.true_divide, other, "t /= x")

    def __setitem__(self, idx, value):
        if self._records(value):
            if duplicate_targets(idx, self.shape):
                raise TensorError("t[idx] = x with an index that repeats an element cannot "
                                  "be recorded (only the last write would count)")
            self._become(index_update(self, value, idx=idx))
            return
        self._check_inplace("t[...] = x", value)
        new = np.array(self.value, copy=True)
        new[idx] = primal(value)
        self.value = new

    def zero_(self) -> Tensor:
        """Set every entry to zero (in place; allowed where t -= t would be)."""
        self._check_inplace("zero_()")
        self.value = np.zeros_like(self.value)
        return self


def _tensor_elements(t):
    flat = t.reshape(-1)
    return [flat[i] for i in range(t.size)]


def _rebuild(value, requires_grad, grad):
    t = Tensor._make(value, None)
    t._requires_grad = requires_grad
    if grad is not None:
        t._grad = Tensor._make(grad, None)
    return t
