"""Reverse mode: the tape recorded while f runs (``tape``), its backward sweep
(``sweep``), and the fast operators that record scalar code inline (``fastops``)."""
from .sweep import Adjoints, sweep
from .tape import ELEMENT, GENERIC, LEAF, NONE, ReverseTrace, Tracer, frozen, record_from
