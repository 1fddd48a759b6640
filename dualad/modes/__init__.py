"""The modes: forward (``Dual``), reverse (``Tracer``, the tape and its sweep) and the
object API (``Tensor``), each a kind of trace processing the table's primitives."""
