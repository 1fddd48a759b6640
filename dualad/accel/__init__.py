"""Acceleration: numba kernels compiled from the table's rows, the kernel that sweeps
runs of scalar tape entries, and the memory policy of reverse mode."""
