"""Run lengths of a state sequence (consecutive equal values)."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["run_lengths"]


@njit(cache=True, nogil=True)
def run_lengths(states):
    """Runs of equal consecutive values of an int8 array.

    Returns
    -------
    values : (k,) int8
        State of each run.
    lengths : (k,) int64
        Number of elements in each run.
    starts : (k,) int64
        Index of the first element of each run.
    """
    n = states.shape[0]
    if n == 0:
        return np.empty(0, np.int8), np.empty(0, np.int64), np.empty(0, np.int64)
    k = 1
    for i in range(1, n):
        if states[i] != states[i - 1]:
            k += 1
    values = np.empty(k, np.int8)
    lengths = np.empty(k, np.int64)
    starts = np.empty(k, np.int64)
    j = 0
    starts[0] = 0
    values[0] = states[0]
    for i in range(1, n):
        if states[i] != states[i - 1]:
            lengths[j] = i - starts[j]
            j += 1
            starts[j] = i
            values[j] = states[i]
    lengths[j] = n - starts[j]
    return values, lengths, starts
