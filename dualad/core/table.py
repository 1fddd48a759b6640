"""The primitive table: every differentiable operation, registered once by name.

Every consumer (forward and reverse mode, the numba kernels, the cost model, NumPy
dispatch) reads the rows of this one table; the facts about an operation live on its row.
"""
TABLE = {}


def register(prim):
    """Add ``prim`` to the table (its name must be new) and return it."""
    if prim.name in TABLE:
        raise ValueError(f"primitive {prim.name!r} declared twice")
    TABLE[prim.name] = prim
    return prim
