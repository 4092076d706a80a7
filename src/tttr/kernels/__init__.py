"""numba kernels: plain contiguous arrays in, plain arrays out; no I/O, no objects."""
