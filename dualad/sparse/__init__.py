"""Sparse Jacobians and Hessians: detect the pattern, colour it, compress, decompress."""
