"""The bottom layer: traces, boxes, the Primitive and its table, value predicates,
containers and errors. It imports nothing else from dualad."""
from .box import (OBJECTS, Box, Primitive, Trace, as_input, decision_operand, dtype_of,
                  from_objects, is_inexact, ndim_of, new_level, object_array, primal,
                  redo_without_objects, set_packer, shape_of, stage_of, static_value, top_trace)
from .errors import (ConcretizationError, DualadError, InPlaceError, LeakedTracerError,
                     NotDifferentiableError)
from .table import TABLE, register
