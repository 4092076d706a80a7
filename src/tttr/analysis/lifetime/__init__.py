"""Decay histograms and fluorescence lifetimes (science.md §2, region-gated decays §3.2).

The package is split by what each module holds:

* :mod:`.histogram`: :class:`DecayHistogram`, :class:`DecayAccumulator` and
  :func:`decay_histogram` (per-detector microtime histograms fed chunk by chunk, aligned on
  each detector's rise and summed).
* :mod:`.calibration`: :func:`estimate_t0`, :func:`estimate_background` and the occupied
  microtime range.
* :mod:`.decay_models`: :func:`exponential_bin_means` (bin-averaged, single-pulse or periodic
  decays) and the IRF convolution.
* :mod:`.poisson`: the Poisson likelihood of a decay model and its optimiser.
* :mod:`.fit`: :class:`LifetimeFit` and :func:`fit_lifetime` (mono- or bi-exponential decay
  with a constant background by Poisson maximum likelihood, tail fit or IRF reconvolution).
* :mod:`.per_bin`: per-bin lifetimes for FLID from per-bin sums
  (:func:`mean_delay_lifetime`, :func:`truncation_corrected_lifetime`,
  :func:`per_bin_mle_lifetime`, :func:`lifetime_window_ns`, :func:`per_bin_background_counts`).

Conventions: nanotime ``k`` is the bin ``[k, k + 1) * bin_width_ns``; times (``t0_ns``,
windows) are on that axis, in ns, from the start of the microtime range. Amplitudes are in
counts per bin.
"""

from __future__ import annotations

from .calibration import estimate_background, estimate_t0
from .decay_models import exponential_bin_means
from .fit import LIFETIME_MODELS, LifetimeFit, decay_lifetime, fit_lifetime
from .histogram import DecayAccumulator, DecayHistogram, decay_histogram
from .per_bin import (lifetime_window_ns, mean_delay_lifetime, per_bin_background_counts, per_bin_mle_lifetime,
                      truncation_corrected_lifetime)

__all__ = [
    "DecayHistogram",
    "DecayAccumulator",
    "decay_histogram",
    "estimate_t0",
    "estimate_background",
    "exponential_bin_means",
    "LifetimeFit",
    "fit_lifetime",
    "decay_lifetime",
    "LIFETIME_MODELS",
    "lifetime_window_ns",
    "per_bin_background_counts",
    "mean_delay_lifetime",
    "truncation_corrected_lifetime",
    "per_bin_mle_lifetime",
]
