"""The run-length kernel (``tttr.kernels.runs``) against its numpy twin."""

from __future__ import annotations

import numpy as np
import pytest

from tttr.kernels.runs import run_lengths

import naive


@pytest.mark.parametrize("seed", range(5))
def test_run_length_kernel_matches_twin(seed):
    rng = np.random.default_rng(seed)
    s = np.repeat(rng.integers(0, 3, 300), rng.integers(1, 6, 300)).astype(np.int8)
    for got, want in zip(run_lengths(s), naive.run_lengths(s)):
        np.testing.assert_array_equal(got, want)
    assert all(a.size == 0 for a in run_lengths(np.empty(0, np.int8)))
