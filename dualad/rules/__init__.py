"""Every primitive of the table with its derivative rules.

``structural`` holds the linear and structural rows (sums, views, indexing, joining,
matmul, complex parts), each a JVP and its transpose; ``elementwise`` the rows with one
partial per operand. The NumPy families (``dualad.numpy``) compose these.
"""
from ..core import TABLE, Primitive, register
from .elementwise import (MINUS_ONE, ONE, RELEASE_MIN_SIZE, Elementwise, absolute, add,
                          all_finite, arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh,
                          arguments_read, cbrt, cos, cosh, deg2rad, degrees, divide, exp, exp2,
                          expm1, expression, fabs, float_power, fmax, fmin, fmod, hypot, log,
                          log1p, log2, log10, logaddexp, logaddexp2, maximum, minimum, multiply,
                          negative, power, rad2deg, radians, reciprocal, released, remainder,
                          sample_operands, scale, sign, sin, sinc, sinh, sqrt, square,
                          strong_multiply, strong_zero_mode, strong_zeros, subtract, tan, tanh,
                          times, where)
from .structural import (align, axis_kw, basic_index, broadcast_to, cast, concatenate, conjugate,
                         duplicate_targets, getitem, imag, index_update, is_vector_product,
                         last_axes, matmul, moveaxis_, norm_axes, pack, project, real, reshape,
                         scatter_add, sum_, transpose, unbroadcast)
