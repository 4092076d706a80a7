"""The pair-correlation kernels (``tttr.kernels.correlate``) called directly, against numpy."""

from __future__ import annotations

import numpy as np

from tttr.kernels import correlate as K

import naive


def test_edges_kernel_direct_with_tail():
    """Kernel level: pairs of two tail photons are skipped, every other pair counted once."""
    rng = np.random.default_rng(5)
    t = np.sort(rng.integers(0, 50_000, 400)).astype(np.int64)
    d = rng.integers(0, 2, 400).astype(np.uint8)
    edges = np.array([-900, -300, -20, 0, 1, 15, 400, 2000], np.int64)
    for n_old in (0, 1, 137, 399):
        h = np.zeros(edges.size - 1, np.int64)
        K.correlate_edges(t, d, 400, n_old, 0, 1, edges, np.zeros(8, np.int64), np.zeros(8, np.int64), h)
        ia, ib = np.flatnonzero(d == 0), np.flatnonzero(d == 1)
        lag = np.subtract.outer(t[ib], t[ia])
        new = ~np.logical_and.outer(ib < n_old, ia < n_old)
        np.testing.assert_array_equal(h, naive.hist_half_open(lag[new].astype(float), edges.astype(float)))
