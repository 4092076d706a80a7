"""The documented columns of ``summary.csv``: name, dtype and meaning of every report scalar.

The unit of a column is in its name (the suffix ``_s``, ``_ns``, ``_hz``, ``_cps`` or
``_counts``); a name without such a suffix is dimensionless, a count, a flag or text.
``docs/summary_columns.md`` is this table (:func:`columns_markdown`), and a test reads the
written ``summary.csv`` with pandas and checks its dtypes against that document.
"""

from __future__ import annotations

__all__ = ["COLUMNS", "LEADING_COLUMNS", "DTYPES", "unit_of", "expand", "columns_markdown"]

#: pandas dtypes of ``pd.read_csv(path, dtype_backend="numpy_nullable")`` for each kind.
DTYPES = ("string", "Int64", "Float64", "boolean")

#: The first columns, before the metadata and the report: name -> (dtype, meaning).
LEADING_COLUMNS = {
    "path": ("string", "the file, relative to the batch folder (``/``-separated); the key of every batch table"),
    "status": ("string", "``ok`` or ``failed``"),
    "reason": ("string", "why the file failed (one line); empty when ok"),
}

_ON_OFF = "{on,off}"

#: Report columns, in order: name (``{on,off}`` stands for both) -> (dtype, meaning).
COLUMNS = {
    "file": ("string", "the file as given to the analysis (absolute path)"),
    "format": ("string", "file format (PTU, SPC, Photon-HDF5, ...)"),
    "mode": ("string", "T2 (no sync) or T3 (sync + nanotime)"),
    "duration_s": ("Float64", "measurement duration"),
    "n_photons": ("Int64", "photons in the file (all detectors)"),
    "count_rate_cps": ("Float64", "mean count rate, n_photons / duration_s"),
    "bin_width_s": ("Float64", "trace bin width"),
    "n_photons_trace": ("Int64", "photons in the binned trace (the last partial bin is dropped)"),
    "n_warnings": ("Int64", "warnings of the analysis (their text: ``summary_text.csv``, quantity ``warnings``)"),
    "mandel_q": ("Float64", "Mandel Q of the trace counts at bin_width_s"),
    "mandel_q_err": ("Float64", "standard error of mandel_q"),
    "mandel_q_err_method": ("string", "how mandel_q_err was computed (photon counting, or a jackknife over ON/OFF cycles)"),
    "mandel_q_err_reason": ("string", "why mandel_q_err is missing or covers only this trajectory"),
    "blinking_detected": ("boolean", "the index-of-dispersion test rejects a single Poisson level"),
    "blinking_test.test": ("string", "name of the blinking test"),
    "blinking_test.statistic": ("Float64", "chi-square statistic of the test"),
    "blinking_test.dof": ("Int64", "degrees of freedom of the test"),
    "blinking_test.p_value": ("Float64", "one-sided p-value of the test"),
    "blinking_test.excess_variance": ("Float64", "relative variance above Poisson"),
    "blinking_test.significance": ("Float64", "significance level the p-value is compared with"),
    "blinking_test.min_excess_variance": ("Float64", "smallest excess variance called blinking"),
    "blinking_test.reason": ("string", "the test's conclusion in words"),
    "on_fraction": ("Float64", "fraction of trace bins ON (1 when no blinking is detected)"),
    "on_fraction_err": ("Float64", "standard error of on_fraction (delta method over ON+OFF cycles)"),
    "on_fraction_err_reason": ("string", "why on_fraction_err is empty (dwells with a possibly infinite mean, too few cycles)"),
    "threshold_counts": ("Float64", "ON/OFF threshold, photons per trace bin"),
    "threshold_method": ("string", "how the threshold was chosen"),
    "blinking_rate_hz": ("Float64", "ON/OFF switches per second"),
    "charging_rate_hz": ("Float64", "ON→OFF switches per second of ON time"),
    "on_fraction_windowed.window_s": ("Float64", "window of the windowed ON fraction (values: ``summary_long.csv``)"),
    f"power_law.{_ON_OFF}.alpha": ("Float64", "power-law exponent of the ON (OFF) dwell times"),
    f"power_law.{_ON_OFF}.alpha_err": ("Float64", "standard error of alpha"),
    f"power_law.{_ON_OFF}.t_min_s": ("Float64", "lower cut of the power-law fit"),
    f"power_law.{_ON_OFF}.n": ("Int64", "dwell times above t_min_s in the fit"),
    f"power_law.{_ON_OFF}.ks_distance": ("Float64", "Kolmogorov-Smirnov distance of the fit"),
    f"power_law.{_ON_OFF}.p_value": ("Float64", "goodness-of-fit p-value (bootstrap)"),
    f"power_law.{_ON_OFF}.gof_draws": ("Int64", "bootstrap draws of the goodness of fit"),
    f"power_law.{_ON_OFF}.t_min_selection": ("string", "how t_min_s was chosen"),
    f"power_law.{_ON_OFF}.error_method": ("string", "how alpha_err was computed"),
    f"power_law.{_ON_OFF}.truncated.alpha": ("Float64", "exponent of the truncated power law"),
    f"power_law.{_ON_OFF}.truncated.alpha_err": ("Float64", "standard error of the truncated alpha"),
    f"power_law.{_ON_OFF}.truncated.tau_c_s": ("Float64", "exponential cut-off time"),
    f"power_law.{_ON_OFF}.truncated.tau_c_err_s": ("Float64", "standard error of tau_c_s"),
    f"power_law.{_ON_OFF}.truncated.p_value": ("Float64", "likelihood-ratio p-value against the pure law"),
    f"power_law.{_ON_OFF}.truncated.preferred": ("string", "the model preferred (power_law or truncated)"),
    f"power_law.{_ON_OFF}.truncated.t_min_s": ("Float64", "lower cut of the truncated fit"),
    f"power_law.{_ON_OFF}.truncated.n": ("Int64", "dwell times in the truncated fit"),
    f"power_law.{_ON_OFF}.truncated.ks_distance": ("Float64", "Kolmogorov-Smirnov distance of the truncated fit"),
    f"power_law.{_ON_OFF}.truncated.gof_p_value": ("Float64", "goodness-of-fit p-value of the truncated fit"),
    f"power_law.{_ON_OFF}.truncated.gof_draws": ("Int64", "bootstrap draws of that goodness of fit"),
    f"power_law.{_ON_OFF}.truncated.error_method": ("string", "how the truncated alpha_err was computed"),
    f"power_law.{_ON_OFF}.truncated.n_bootstrap": ("Int64", "bootstrap fits behind that error"),
    "lifetime.tau_ns": ("Float64", "mono-exponential lifetime"),
    "lifetime.tau_err_ns": ("Float64", "standard error of tau_ns"),
    "lifetime.tau1_ns": ("Float64", "first lifetime of the bi-exponential fit"),
    "lifetime.tau1_err_ns": ("Float64", "standard error of tau1_ns"),
    "lifetime.tau2_ns": ("Float64", "second lifetime of the bi-exponential fit"),
    "lifetime.tau2_err_ns": ("Float64", "standard error of tau2_ns"),
    "lifetime.a1": ("Float64", "amplitude fraction of tau1"),
    "lifetime.a1_err": ("Float64", "standard error of a1"),
    "lifetime.a2": ("Float64", "amplitude fraction of tau2 (1 - a1)"),
    "lifetime.tau_amp_ns": ("Float64", "amplitude-weighted mean lifetime"),
    "lifetime.tau_amp_err_ns": ("Float64", "standard error of tau_amp_ns"),
    "lifetime.tau_int_ns": ("Float64", "intensity-weighted mean lifetime"),
    "lifetime.tau_int_err_ns": ("Float64", "standard error of tau_int_ns"),
    "lifetime.t0_ns": ("Float64", "time zero of the decay (rise)"),
    "lifetime.background_fraction": ("Float64", "fraction of the decay counts in the flat background"),
    "g2.mode": ("string", "pulsed or cw"),
    "g2.g2_zero": ("Float64", "g2(0) (pulsed: centre/side peak areas; cw: fit)"),
    "g2.g2_zero_err": ("Float64", "standard error of g2_zero"),
    "g2.g2_zero_window": ("Float64", "g2(0) from fixed integration windows"),
    "g2.overlap_corrected": ("boolean", "peak overlap corrected in g2_zero"),
    "g2.g2_zero_corrected": ("Float64", "background-corrected g2(0)"),
    "g2.g2_zero_corrected_err": ("Float64", "standard error of g2_zero_corrected"),
    "g2.background_fraction": ("Float64", "background fraction used by the correction"),
    "g2.correction": ("string", "background correction method"),
    "g2.single_emitter": ("boolean", "the whole interval of the corrected g2(0) lies below 0.5"),
    "g2.single_emitter_reason": ("string", "why single_emitter is true, false or empty"),
    "g2.tau_a_ns": ("Float64", "antibunching time of the cw fit"),
    "g2.tau0_ns": ("Float64", "lag offset of the cw fit"),
    "flid.verdict": ("string", "FLID model verdict (auger, bc, mixed, undetermined)"),
    "flid.reason": ("string", "why that verdict"),
    "flid.criterion": ("string", "model-selection criterion (bic)"),
    "flid.evidence.delta_bic.auger": ("Float64", "BIC of the Auger model minus the best BIC"),
    "flid.evidence.delta_bic.bc": ("Float64", "BIC of the band-edge-carrier model minus the best BIC"),
    "flid.evidence.delta_bic.mixed": ("Float64", "BIC of the mixed model minus the best BIC"),
    "flid.evidence.beta": ("Float64", "β, slope of the FLID lifetime-intensity relation"),
    "flid.evidence.beta_err": ("Float64", "standard error of flid.evidence.beta"),
    "flid.evidence.curvature_z": ("Float64", "z-score of the FLID curvature"),
    "flid.evidence.n_bins": ("Int64", "steady trace bins with a lifetime"),
    "flid.evidence.n_points": ("Int64", "FLID points in the fit"),
    "flid.evidence.mandel_q": ("Float64", "Mandel Q used as evidence"),
    "flid.evidence.mandel_q_err": ("Float64", "its standard error"),
    "flid.evidence.votes.beta": ("string", "model the β evidence votes for"),
    "flid.evidence.votes.levels": ("string", "model the intensity levels vote for"),
    "flid.evidence.votes.shape": ("string", "model the FLID shape votes for"),
    "beta": ("Float64", "β of the FLID fit (of the regions when there is no fit)"),
    "beta_err": ("Float64", "standard error of beta (empty for the regions' β)"),
    # with --levels only (change-point levels; the levels and groups themselves: summary_long.csv)
    "n_levels": ("Int64", "intensity levels found by change-point detection (--levels)"),
    "levels_confidence": ("Float64", "confidence (1 − false-positive rate) of each change-point test"),
    "n_level_groups": ("Int64", "states the levels were grouped into (BIC)"),
    "level_analysis.on_fraction": ("Float64", "ON fraction from the grouped levels (time in the ON groups)"),
    "level_analysis.on_fraction_err": ("Float64", "standard error of level_analysis.on_fraction (ON+OFF cycles)"),
    "level_analysis.on_rule": ("string", "which groups count as ON"),
    "level_analysis.beta": ("Float64", "β from the two groups holding most of the time"),
    "level_analysis.beta_err": ("Float64", "standard error of level_analysis.beta"),
    f"level_analysis.power_law.{_ON_OFF}.alpha": ("Float64", "power-law exponent of the ON (OFF) dwells from levels"),
    f"level_analysis.power_law.{_ON_OFF}.alpha_err": ("Float64", "standard error of that alpha"),
    f"level_analysis.power_law.{_ON_OFF}.t_min_s": ("Float64", "lower cut of that fit"),
    f"level_analysis.power_law.{_ON_OFF}.n": ("Int64", "dwells above t_min_s in that fit"),
    "level_analysis.flid_verdict": ("string", "verdict of the level-based FLID fit"),
    "level_analysis.flid_reason": ("string", "why that verdict"),
    "level_analysis.reasons.groups": ("string", "why the levels were not grouped (empty when they were)"),
    "level_analysis.reasons.on_fraction": ("string", "why there is no level ON fraction"),
    "level_analysis.reasons.dwell_fits": ("string", "why there are no level dwell fits"),
    "level_analysis.reasons.beta": ("string", "why there is no level β"),
    "level_analysis.reasons.flid_fit": ("string", "why there is no level FLID fit"),
}

_UNITS = (("_ns", "ns"), ("_s", "s"), ("_hz", "Hz"), ("_cps", "counts/s"), ("_counts", "counts per bin"))


def unit_of(name: str) -> str:
    """The unit named by a column's suffix (empty when dimensionless, a count, a flag or text)."""
    last = name.rsplit(".", 1)[-1]
    for suffix, unit in _UNITS:
        if last.endswith(suffix):
            return unit
    return ""


def expand(name: str) -> list[str]:
    """The column names a documented name stands for (``{on,off}`` gives two)."""
    if _ON_OFF in name:
        return [name.replace(_ON_OFF, k) for k in ("on", "off")]
    return [name]


def documented() -> dict:
    """Every documented column (leading and report, ``{on,off}`` expanded) -> dtype."""
    out = {k: v[0] for k, v in LEADING_COLUMNS.items()}
    for name, (dtype, _) in COLUMNS.items():
        for n in expand(name):
            out[n] = dtype
    return out


def columns_markdown() -> str:
    """The table of ``docs/summary_columns.md``: name, unit, dtype, meaning.

    Notes
    -----
    One row per documented name; ``{on,off}`` rows stand for two columns.
    """
    lines = ["| column | unit | dtype | meaning |", "| --- | --- | --- | --- |"]
    for name, (dtype, meaning) in {**LEADING_COLUMNS, **COLUMNS}.items():
        lines.append(f"| `{name}` | {unit_of(name)} | {dtype} | {meaning} |")
    return "\n".join(lines) + "\n"
