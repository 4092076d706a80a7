"""Result classes of the pure and the truncated power-law fits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...fit_result import FitResult
from ...results import Result
from .densities import power_law_pdf, truncated_power_law_pdf


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True, repr=False)
class PowerLawFit(Result, FitResult):
    """Maximum-likelihood fit of ``P(t) ∝ t^(−α)``, ``t ≥ t_min``.

    Attributes
    ----------
    alpha : float
        The exponent α (dimensionless). NaN when the fit was impossible (see ``warning``).
    alpha_err : float
        Standard error of α: Fisher information, or the bootstrap spread when ``n_bootstrap > 0``.
    t_min_s : float
        Smallest duration included, in seconds (a whole number of bins for binned data).
    n : int
        Durations ``≥ t_min`` used in the fit.
    n_total : int
        Durations given.
    ks_distance : float
        Kolmogorov–Smirnov distance between the empirical CDF of the durations used and the
        fitted CDF (on the integer support ``k ≥ k_min`` for binned data).
    log_likelihood : float
        Maximised log-likelihood. Discrete: the log-probability of the bin counts ``k``.
        Continuous: the log-density of ``t/T`` (bin units, so comparable with the discrete
        value); with ``bin_width_s = 0``, of ``t`` in seconds.
    method : str
        ``"discrete"`` or ``"continuous"``.
    bin_width_s : float
        The trace bin width ``T`` the durations are multiples of (0: unbinned data).
    error_method : str
        ``"fisher"`` or ``"bootstrap"``.
    n_bootstrap : int
        Bootstrap resamples (0 if the Fisher error is reported).
    t_min_selection : str
        ``"default"`` (``POWERLAW_TMIN_BINS`` bins), ``"fixed"`` (given) or ``"auto"`` (minimum KS distance).
    warning : str or None
        Why values are NaN or doubtful (too few durations, α at the search bound, ...).
    p_value : float
        Goodness of fit: fraction of semi-parametric bootstrap data sets (drawn from the fit,
        analysed the same way, ``t_min`` search included) whose KS distance is at least
        ``ks_distance``. Small (< 0.1): the power law is ruled out. NaN if not computed.
    gof_draws : int
        Bootstrap data sets behind ``p_value`` (0: not computed).
    t_min_floor_s : float
        Smallest ``t_min`` the automatic search considered (NaN unless ``"auto"``).
    n_candidates : int
        ``t_min`` values the automatic search compared (0 unless ``"auto"``).
    """

    alpha: float
    alpha_err: float
    t_min_s: float
    n: int
    n_total: int
    ks_distance: float
    log_likelihood: float
    method: str
    bin_width_s: float
    error_method: str = "fisher"
    n_bootstrap: int = 0
    t_min_selection: str = "default"
    warning: str | None = None
    p_value: float = float("nan")
    gof_draws: int = 0
    t_min_floor_s: float = float("nan")
    n_candidates: int = 0

    def fit_model(self) -> str:  # noqa: D102 - FitResult
        return f"power law ({self.method})"

    def fit_values(self) -> dict:  # noqa: D102 - FitResult
        return {"alpha": self.alpha}

    def fit_errors(self) -> dict:  # noqa: D102 - FitResult
        return {"alpha": self.alpha_err}

    def fit_statistics(self) -> dict:  # noqa: D102 - FitResult
        return {"n": self.n, "log_likelihood": self.log_likelihood, "ks": self.ks_distance, "p_value": self.p_value,
                "t_min_s": self.t_min_s}

    def pdf(self, t_s) -> np.ndarray:
        """The fitted density (1/s) at ``t_s``, for overlays on :func:`kuno_nesbitt_density`."""
        return power_law_pdf(t_s, self.alpha, self.t_min_s, bin_width_s=self.bin_width_s, method=self.method)

    # -- the report's summary of this result (composed by tttr.pipeline.Report.to_dict)
    SUMMARY_KEYS = ("alpha", "alpha_err", "t_min_s", "n", "ks_distance", "p_value", "gof_draws", "t_min_selection",
                    "error_method")

    def summary(self) -> dict:
        """The report's ``power_law.on``/``.off`` section of this fit (:attr:`SUMMARY_KEYS`)."""
        return {k: getattr(self, k) for k in self.SUMMARY_KEYS}


@dataclass(frozen=True, repr=False)
class TruncatedPowerLawFit(Result, FitResult):
    """Maximum-likelihood fit of ``P(t) ∝ t^(−α)·exp(−t/τ_c)``, ``t ≥ t_min``, with the test
    against a pure power law.

    Attributes
    ----------
    alpha, alpha_err : float
        Exponent and its standard error: the spread of α over bootstrap resamples that repeat
        the whole fit, ``t_min`` search included (``error_method = "bootstrap"``), or the
        inverse Hessian of the log-likelihood (``"hessian"``, when no bootstrap was asked for
        or fewer than ``TRUNCATED_ERROR_MIN_DRAWS`` resamples finished in time).
    tau_c_s, tau_c_err_s : float
        Cut-off time in seconds and its standard error (delta method from the error of ln τ_c,
        the fitted parameter). ``tau_c_s = inf`` when the likelihood is largest at τ_c → ∞.
    log_tau_c_err : float
        Standard error of ln τ_c (more symmetric than ``tau_c_err_s``).
    corr_alpha_log_tau_c : float
        Correlation of the estimates of α and ln τ_c.
    t_min_s : float
    n, n_total : int
    log_likelihood : float
        Maximised log-likelihood (same convention as :attr:`PowerLawFit.log_likelihood`).
    lr_statistic : float
        ``2·(ℓ_truncated − ℓ_power_law)`` (≥ 0).
    p_value : float
        ``P(χ²₁ > lr_statistic)``: conservative, see the Notes of :func:`fit_truncated_power_law`.
    preferred : str
        ``"truncated"`` if ``p_value < significance``, else ``"power_law"``.
    significance : float
    power_law : PowerLawFit
        The pure power-law fit on the same durations and ``t_min``.
    method : str
    bin_width_s : float
    warning : str or None
    ks_distance : float
        KS distance between the durations ``≥ t_min`` and the fitted truncated law (on the
        integers for binned data); the pure law's when ``tau_c_s = inf``.
    gof_p_value : float
        Goodness of fit of the truncated law by the semi-parametric bootstrap (as
        :attr:`PowerLawFit.p_value`). ``p_value`` above is the likelihood-ratio test against the
        pure law, a different question. NaN if not computed.
    gof_draws : int
    t_min_selection : str
        ``"default"``, ``"fixed"`` or ``"auto"`` (minimum KS distance of the truncated fit).
    n_candidates : int
    error_method : str
        ``"bootstrap"`` or ``"hessian"``: where ``alpha_err`` comes from.
    n_bootstrap : int
        Bootstrap resamples behind ``alpha_err`` (0 for the Hessian error).
    """

    alpha: float
    alpha_err: float
    tau_c_s: float
    tau_c_err_s: float
    log_tau_c_err: float
    corr_alpha_log_tau_c: float
    t_min_s: float
    n: int
    n_total: int
    log_likelihood: float
    lr_statistic: float
    p_value: float
    preferred: str
    significance: float
    power_law: PowerLawFit
    method: str
    bin_width_s: float
    warning: str | None = None
    ks_distance: float = float("nan")
    gof_p_value: float = float("nan")
    gof_draws: int = 0
    t_min_selection: str = "default"
    n_candidates: int = 0
    error_method: str = "hessian"
    n_bootstrap: int = 0

    def fit_model(self) -> str:  # noqa: D102 - FitResult
        return f"truncated power law ({self.method})"

    def fit_values(self) -> dict:  # noqa: D102 - FitResult
        return {"alpha": self.alpha, "tau_c_s": self.tau_c_s}

    def fit_errors(self) -> dict:  # noqa: D102 - FitResult
        return {"alpha": self.alpha_err, "tau_c_s": self.tau_c_err_s}

    def fit_statistics(self) -> dict:  # noqa: D102 - FitResult
        return {"n": self.n, "log_likelihood": self.log_likelihood, "ks": self.ks_distance,
                "p_value": self.gof_p_value, "lr_statistic": self.lr_statistic, "lr_p_value": self.p_value,
                "t_min_s": self.t_min_s}

    def pdf(self, t_s) -> np.ndarray:
        """The fitted density (1/s) at ``t_s``."""
        return truncated_power_law_pdf(t_s, self.alpha, self.tau_c_s, self.t_min_s,
                                       bin_width_s=self.bin_width_s, method=self.method)

    # -- the report's summary of this result (composed by tttr.pipeline.Report.to_dict)
    SUMMARY_KEYS = ("alpha", "alpha_err", "tau_c_s", "tau_c_err_s", "p_value", "preferred", "t_min_s", "n",
                    "ks_distance", "gof_p_value", "gof_draws", "error_method", "n_bootstrap")

    def summary(self) -> dict:
        """The report's ``power_law.<state>.truncated`` section of this fit (:attr:`SUMMARY_KEYS`)."""
        return {k: getattr(self, k) for k in self.SUMMARY_KEYS}
