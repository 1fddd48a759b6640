"""``dualad.compile``: record a derivative function once, replay it on later calls.

``compile(fn)`` wraps any function built from dualad's transforms (``grad(f)``,
``value_and_grad(f)``, ``jacobian``/``jacfwd``/``jacrev``, ``hessian``, ``hvp``, a
function calling ``vjp``...). The first call with inputs of a given structure (the
container layout, and each array's shape and dtype) *records* the program: the call runs
with its inputs staged (``stage.py``), and every primitive it executes -- f's operations
and the derivative rules of every sweep -- becomes an operation of a ``Program``. Later
calls with inputs of that structure *replay* the program: plain implementation calls, no
tracing, no tape, no cotangent bookkeeping in Python; a program of scalar arithmetic
runs as one numba loop (``scalar.py``).

Never a silent wrong answer: every decision the recording made from a value (a branch,
``min``/``max``, ``int()``, an index computed from values) is a guard checked on replay;
when one comes out differently, the call records again, and up to ``max_programs``
programs (one per set of decisions) are kept per input structure. What the program
cannot see into is refused when recording, with the reason (``CompileError``).

Side effects of the compiled function (printing, appending to a list, reading a global
that changes later) happen while recording only, as with ``jax.jit``: a replay runs the
recorded operations, nothing else. Random draws from NumPy's global generator or
Python's ``random`` module while recording are caught (``CompileError``): a replay would
repeat the recorded draws. Draws from a ``numpy.random.Generator`` cannot be seen: pass
random values in as arguments.
"""
import random as _random
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from ..core import Box
from ..core.tree import flatten, unflatten
from .program import GuardFailed, Program, outputs_of
from .stage import CompileError, Staged, StagingTrace

__all__ = ["compile", "CompileError", "Program"]

#: Input structures remembered per compiled function (least recently used dropped first).
MAX_SIGNATURES = 32
#: Programs kept per input structure (one per set of guard outcomes).
MAX_PROGRAMS = 8

_STAGED_TYPES = (np.ndarray, float, int, bool, complex, np.generic)


def _signature(leaves):
    sig = []
    for x in leaves:
        t = type(x)
        if isinstance(x, Box):
            raise CompileError(
                "a compiled function was called with a traced value (inside a derivative): "
                "compile the outermost function, dualad.compile(dualad.grad(f)), rather "
                "than differentiating a compiled one")
        if t is np.ndarray:
            sig.append((t, x.shape, x.dtype.str))
        elif isinstance(x, _STAGED_TYPES):
            sig.append((t,))
        else:
            try:
                hash(x)
            except TypeError:
                raise CompileError(
                    f"an argument of type {t.__name__} is neither an array, a number nor "
                    "hashable, so a compiled program cannot tell whether a later call "
                    "passes the same one; pass arrays and numbers, or close over it") \
                    from None
            sig.append((t, "static", x))
    return tuple(sig)


def _random_state():
    legacy = np.random.get_state(legacy=False)
    return legacy["state"]["key"].tobytes(), legacy["state"]["pos"], _random.getstate()


class Compiled:
    """A compiled function: records on the first call per input structure, then replays.

    ``recordings`` and ``replays`` count what calls did; ``programs(*args)`` lists the
    programs kept for the structure of ``args``; ``last`` is the program the latest call
    ran.
    """

    def __init__(self, fn, max_programs=MAX_PROGRAMS, max_signatures=MAX_SIGNATURES):
        self.fn = fn
        self.max_programs = max_programs
        self.max_signatures = max_signatures
        self.cache = OrderedDict()      # signature -> [Program, ...] most recent first
        self.recordings = 0
        self.replays = 0
        self.last = None
        self.__name__ = getattr(fn, "__name__", "compiled")
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__wrapped__ = fn

    def __repr__(self):
        return f"<dualad.compile of {self.fn!r}>"

    def programs(self, *args):
        leaves, tree = flatten(args)
        return list(self.cache.get((tree, _signature(leaves)), ()))

    def __call__(self, *args, **kwargs):
        if kwargs:
            raise TypeError("a compiled function takes positional arguments only; bind "
                            "keywords with functools.partial before compiling")
        leaves, tree = flatten(args)
        key = (tree, _signature(leaves))
        progs = self.cache.get(key)
        if progs is not None:
            self.cache.move_to_end(key)
            inputs = [x for x in leaves if isinstance(x, _STAGED_TYPES)]
            for i, p in enumerate(progs):
                try:
                    out = p.run(inputs)
                except GuardFailed:
                    continue
                if i:
                    progs.insert(0, progs.pop(i))
                self.replays += 1
                self.last = p
                return out
        program, out = self._record(leaves, tree)
        if progs is None:
            progs = self.cache[key] = []
            while len(self.cache) > self.max_signatures:
                self.cache.popitem(last=False)
        progs.insert(0, program)
        del progs[self.max_programs:]
        self.recordings += 1
        self.last = program
        return out

    def _record(self, leaves, tree):
        trace = StagingTrace()
        staged = [trace.input(x) if isinstance(x, _STAGED_TYPES) else x for x in leaves]
        inputs = [b.slot for b in staged if isinstance(b, Staged)]
        before = _random_state()
        try:
            result = self.fn(*unflatten(tree, staged))
        finally:
            trace.finish()
        if _random_state() != before:
            raise CompileError(
                "the function drew random numbers (NumPy's global generator or Python's "
                "random module) while it was recorded: a replay would repeat the same "
                "draws. Draw them outside and pass them in as arguments.")
        outs, out_tree = outputs_of(trace, result)
        program = Program(trace, inputs, outs, out_tree)
        values = unflatten(out_tree, [
            x.value if isinstance(x, Staged) else (x.copy() if type(x) is np.ndarray else x)
            for x in flatten(result)[0]])
        # The numba form is built on the first replay (a call that only records -- a
        # short script -- never imports numba), checked against this recording.
        program.pending = ([x for x in leaves if isinstance(x, _STAGED_TYPES)], values)
        return program, values


def compile(fn: Callable[..., Any], max_programs: int = MAX_PROGRAMS) -> Compiled:
    """``fn`` recorded once per input structure and replayed on later calls.

    The first call with inputs of a given structure (containers, array shapes and dtypes)
    records everything ``fn`` computes as a program of primitive implementations; later
    calls replay it without tracing (a scalar program as one numba loop). Every decision
    made from a value while recording is a guard checked on replay; a call whose decisions
    differ records again.

    Args:
        fn: A function built from dualad's transforms: ``grad(f)``, ``value_and_grad(f)``,
            ``jacobian(f)``, ``jacfwd(f)``, ``jacrev(f)``, ``hessian(f)``, or a function
            calling ``hvp`` or ``vjp``. Positional arguments only.
        max_programs: Programs kept per input structure (one per set of decisions).

    Returns:
        A ``Compiled`` function with ``fn``'s arguments and results; its ``recordings``
        and ``replays`` count what the calls did.

    Raises:
        CompileError: ``fn`` did what a program cannot replay: converted a value it computes
            to a plain array or number (``np.asarray``, ``.item()``), or drew random numbers.

    Examples:
        >>> g = ad.compile(ad.grad(lambda x: np.sum(x ** 3)))
        >>> g(np.array([1.0, 2.0]))
        array([ 3., 12.])
        >>> g(np.array([2.0, 3.0]))
        array([12., 27.])
        >>> g.recordings, g.replays
        (1, 1)
    """
    return Compiled(fn, max_programs)
