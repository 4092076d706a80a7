"""The ground truth of a finished simulation: analytic g2 and Mandel Q, binned truth, the truth dict."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .. import defaults
from .states import _Rates

if TYPE_CHECKING:
    from .generator import SimulatedStream


_TRUTH_SCHEMA = "tttr.simulate.truth/1"


def _photon_delay_mixture(r: _Rates, s: int):
    """Emission delay of a random detected signal photon of state ``s`` (pulsed).

    Returns weights ``w`` and rates ``lam`` (1/ns) of a signed mixture of exponentials:
    density ``Σ w_i lam_i exp(-lam_i t)``. Exciton photons of single-exciton pulses are
    Exp(τ); exciton photons after a biexciton are hypo-exponential (τ_BX then τ);
    biexciton photons are Exp(τ_BX).
    """
    tau, tbx = r.tau_ns[s], r.tau_bx_ns[s]
    if abs(tbx - tau) < 1e-9 * tau:
        tbx = tau * (1 - 1e-6)  # hypo-exponential needs distinct rates
    l1, l2 = 1.0 / tbx, 1.0 / tau
    x1 = r.p1 * r.a[s]
    x2 = r.p2 * r.a[s]
    bx = r.p2 * r.b[s]
    tot = x1 + x2 + bx
    w = np.array([x1 + x2 * l1 / (l1 - l2), x2 * l2 / (l2 - l1) + bx]) / tot
    lam = np.array([l2, l1])
    return w, lam


def _diff_cdf(wa, la, wb, lb, x):
    """CDF at ``x`` of ``D = e_B - e_A`` for independent exponential mixtures ``e_A``, ``e_B``."""
    x = np.atleast_1d(np.asarray(x, float))
    out = np.empty_like(x)
    pos = x >= 0
    c = np.outer(wa, wb)  # c[i, j]
    lai, lbj = la[:, None], lb[None, :]
    if pos.any():
        coef = (c * lai / (lai + lbj))  # P(D > x) = Σ c λa/(λa+λb) e^{-λb x}
        out[pos] = 1.0 - (coef[:, :, None] * np.exp(-lbj[:, :, None] * x[pos][None, None, :])).sum(axis=(0, 1))
    if (~pos).any():
        coef = (c * lbj / (lai + lbj))  # P(D < x) = Σ c λb/(λa+λb) e^{λa x}
        out[~pos] = (coef[:, :, None] * np.exp(lai[:, :, None] * x[~pos][None, None, :])).sum(axis=(0, 1))
    return out


def _g2_truth(sim: SimulatedStream, mean_signal_cps: np.ndarray) -> dict:
    c, r = sim.config, sim.rates
    split = np.array([c.splitter_ratio, 1 - c.splitter_ratio])
    bg = sim.record.background_cps
    t = sim.t_end_s
    sa, sb = mean_signal_cps * split
    if not c.pulsed:
        num = sa * bg[1] + bg[0] * sb + bg[0] * bg[1]
        den = (sa + bg[0]) * (sb + bg[1])
        return {
            "g2_0": num / den if den > 0 else None,
            "g2_0_signal_only": 0.0,
            "antibunching_rate_hz_per_state": r.antibunching_rate_hz.tolist(),
            "definition": "zero-delay value of the HBT cross-correlation normalised to 1 for uncorrelated "
                          "light (T_total / (N_A N_B dtau)); the signal has g2(0) = 0, background adds "
                          "(S_A b_B + b_A S_B + b_A b_B) / ((S_A + b_A)(S_B + b_B))",
        }
    p_ns = 1e9 / c.repetition_rate_hz
    half = p_ns / 2
    n_pulses = sim.record.state_clock  # pulses spent in each state
    c_peak = {-1: 0.0, 0: 0.0, 1: 0.0}
    c_pulse_same, c_pulse_side = 0.0, 0.0
    for s in range(r.n):
        if n_pulses[s] <= 0 or r.mu[s] <= 0:
            continue
        w, lam = _photon_delay_mixture(r, s)
        m_max = int(math.ceil(40 * max(r.tau_ns[s], r.tau_bx_ns[s]) / p_ns)) + 2
        ms = np.arange(-m_max, m_max + 1)
        ms = ms[ms != 0]
        ab = split[0] * split[1]
        tau = r.tau_ns[s]
        for k in (-1, 0, 1):
            lo, hi = (k - ms) * p_ns - half, (k - ms) * p_ns + half
            other = (_diff_cdf(w, lam, w, lam, hi) - _diff_cdf(w, lam, w, lam, lo)).sum()
            # same-pulse pairs: (BX on A, X on B) at +e_x and (BX on B, X on A) at -e_x
            lo_k, hi_k = k * p_ns - half, k * p_ns + half
            pos = _exp_prob(tau, lo_k, hi_k)
            neg = _exp_prob(tau, -hi_k, -lo_k)
            c_peak[k] += n_pulses[s] * ab * (r.mu[s] ** 2 * other + r.both[s] * (pos + neg))
        c_pulse_same += n_pulses[s] * 2 * ab * r.both[s]
        c_pulse_side += n_pulses[s] * ab * r.mu[s] ** 2
    flat = p_ns * 1e-9 * t * (bg[0] * (sb + bg[1]) + sa * bg[1])
    side = 0.5 * (c_peak[1] + c_peak[-1])
    return {
        "g2_0": (c_peak[0] + flat) / (side + flat) if side + flat > 0 else None,
        "g2_0_signal_only": c_peak[0] / side if side > 0 else None,
        "g2_0_pulse_resolved_signal": c_pulse_same / c_pulse_side if c_pulse_side > 0 else None,
        "central_peak_area_expected": c_peak[0] + flat,
        "side_peak_area_expected": side + flat,
        "side_peak_areas_expected": [c_peak[-1] + flat, c_peak[1] + flat],
        "flat_background_area_per_peak": flat,
        "peak_window_ns": [-half, half],
        "definition": "A-B pairs with t_B - t_A - (delay_B - delay_A) in [kP - P/2, kP + P/2); g2(0) = "
                      "area(k=0) / mean(area(k=-1), area(k=+1)); includes pairs of other pulses leaking "
                      "into a window through long delays and the flat background pairs; jitter, dead "
                      "time and pulse pairs that straddle a state switch are neglected",
    }


def _exp_prob(tau, lo, hi):
    """P(lo <= X < hi) for X ~ Exp(mean tau), X >= 0."""
    lo, hi = max(lo, 0.0), max(hi, 0.0)
    return math.exp(-lo / tau) - math.exp(-hi / tau)


def _q_ensemble(sim: SimulatedStream, mean_rate, var_rate, loss_rate) -> tuple:
    """Ensemble Mandel Q at the truth bin width when it has a closed form, else (None, reason)."""
    c = sim.config
    tb = sim.bin_width_s
    bg = float(sim.record.background_cps.sum())
    if c.model == "nonblinking":
        m = (mean_rate[0] + bg - loss_rate[0]) * tb
        v = (var_rate[0] + bg - 3 * loss_rate[0]) * tb
        return v / m - 1.0, None
    if c.model == "auger" and c.dwell_law_on == "exponential" and c.dwell_law_off == "exponential":
        m1, m2 = c.mean_dwell_on_s, c.mean_dwell_off_s
        pi1, pi2 = m1 / (m1 + m2), m2 / (m1 + m2)
        tc = 1.0 / (1.0 / m1 + 1.0 / m2)
        mean = (pi1 * (mean_rate[0] - loss_rate[0]) + pi2 * (mean_rate[1] - loss_rate[1]) + bg) * tb
        x = tb / tc
        var_int = ((mean_rate[0] - mean_rate[1]) ** 2 * pi1 * pi2 * 2 * tc * tc * (x - 1 + math.exp(-x)))
        var = var_int + (pi1 * (var_rate[0] - 3 * loss_rate[0]) + pi2 * (var_rate[1] - 3 * loss_rate[1]) + bg) * tb
        return var / mean - 1.0, None
    if "power_law" in (c.dwell_law_on, c.dwell_law_off) and min(
            a for law, a in ((c.dwell_law_on, c.alpha_on), (c.dwell_law_off, c.alpha_off)) if law == "power_law") <= 2:
        return None, ("a power law with alpha <= 2 has an infinite mean dwell time: the process has no "
                      "stationary state, so Q depends on the trajectory (see mandel_q_realized)")
    return None, ("closed form implemented only for the non-blinking emitter and the two-state telegraph "
                  "(auger) with exponential dwell times")


def _runs_of(mask: np.ndarray):
    """(values, lengths) of the runs of equal values in a boolean array."""
    if mask.size == 0:
        return np.empty(0, bool), np.empty(0, np.int64)
    change = np.flatnonzero(mask[1:] != mask[:-1]) + 1
    starts = np.concatenate(([0], change))
    lengths = np.diff(np.concatenate((starts, [mask.size])))
    return mask[starts], lengths


def _clean(x):
    """JSON-safe: numpy scalars to Python, non-finite floats to None."""
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return [_clean(v) for v in x.tolist()]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return x if math.isfinite(x) else None
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _binned_truth(sim: SimulatedStream):
    """Noise-free expected recorded counts, conditional variances and ON flags of the full bins."""
    c, r = sim.config, sim.rates
    rec = sim.record
    loss = rec.loss_cps
    bg_bin = float(rec.background_cps.sum()) * sim.bin_width_s
    b = rec.bin_sums
    signal_b, var_b, loss_b = b[:, 0], b[:, 1], b[:, 2]
    if c.pulsed:
        on_ref = b[:, 4] * (r.mu[0] - loss[0] / c.repetition_rate_hz)  # b[:, 4]: pulses in the bin
    else:
        on_ref = b[:, 4] * (r.signal_cps[0] - loss[0])  # b[:, 4]: seconds in the bin
    lam = signal_b + bg_bin - loss_b
    var = var_b + bg_bin - 3 * loss_b
    on_bins = lam >= defaults.THRESHOLD_FRACTION * (on_ref + bg_bin)
    return lam, var, on_bins


def _assemble_truth(sim: SimulatedStream) -> dict:
    """The truth dict of a finished run (see ``docs/simulator.md``), from its public record."""
    from .._version import __version__

    c, rec = sim.config, sim.record
    t_end = sim.t_end_s
    unit_s = c.period_s if c.pulsed else 1.0  # segment clock unit
    occ_s = rec.state_clock * unit_s  # seconds in each state
    mean_rate, var_rate = _photon_rates(sim)
    mean_signal_cps = float((occ_s * mean_rate).sum() / t_end) if t_end > 0 else 0.0
    lam, var, on_bins = _binned_truth(sim)

    truth = {
        "schema": _TRUTH_SCHEMA,
        "tttr_version": __version__,
        "seed": c.seed,
        "config": c.to_dict(),
        "acquisition": _acquisition_truth(sim, mean_signal_cps),
        "states": _per_state_truth(sim, occ_s, mean_rate),
        "on_state": sim.states[0].name,
        "I1_counts_per_10ms": sim.states[0].intensity_counts_per_10ms,
        "tau1_ns": sim.states[0].lifetime_ns,
    }
    truth.update(_dim_state_truth(c, sim.states))
    if c.model == "mixed":
        truth["mixture"] = _mixture_truth(c, sim.states, occ_s)
    truth["on_fraction"] = _on_fraction_truth(sim, occ_s, on_bins)
    truth["dwell"] = _dwell_truth(sim, on_bins)
    truth["intensity"] = {
        "mean_counts_per_bin_expected": float(lam.mean()) if lam.size else None,
        "bin_width_s": sim.bin_width_s,
    }
    truth["g2"] = _g2_truth(sim, np.array(mean_signal_cps))
    truth["mandel_q"] = _mandel_q_truth(sim, lam, var, mean_rate, var_rate)
    return _clean(truth)


def _photon_rates(sim: SimulatedStream):
    """Mean and variance rate (1/s) of the detected signal photons of each state."""
    c, r = sim.config, sim.rates
    if c.pulsed:
        return r.mu * c.repetition_rate_hz, (r.mu + 2 * r.both - r.mu ** 2) * c.repetition_rate_hz
    return r.signal_cps, r.signal_cps * (1.0 - 2.0 * r.signal_cps / r.antibunching_rate_hz)


def _acquisition_truth(sim: SimulatedStream, mean_signal_cps: float) -> dict:
    c, rec = sim.config, sim.record
    counts, bg = rec.counts, rec.background_cps
    return {
        "duration_s": sim.t_end_s,
        "n_pulses": sim.n_pulses if c.pulsed else None,
        "n_photons": int(counts["per_detector"].sum()),
        "n_photons_per_detector": counts["per_detector"].tolist(),
        "n_signal_photons": int(counts["per_source"][:3].sum()),
        "n_background_photons": int(counts["per_source"][3]),
        "n_photons_per_source": dict(zip(("exciton", "cascade_exciton", "biexciton", "background"),
                                         counts["per_source"].tolist())),
        "n_lost_dead_time": counts["lost_dead_time"],
        "mean_signal_cps": mean_signal_cps,
        "background_cps_per_detector": bg.tolist(),
        "background_counts_per_10ms": float(bg.sum()) * 0.01,
        "timestamps_unit_s": c.period_s if sim.t3 else c.t2_timestamps_unit_s,
        "nanotimes_unit_s": c.nanotimes_unit_s if sim.t3 else None,
        "tcspc_num_bins": sim.nb_period if sim.t3 else None,
        "nanotime_rule": ("sync = floor(t / P), nanotime = floor((t - sync*P) / bin) with t = pulse*P + "
                          "emission delay + detector delay + jitter: late photons wrap into later syncs"
                          if sim.t3 else None),
    }


def _per_state_truth(sim: SimulatedStream, occ_s, mean_rate) -> list:
    c, r, rec = sim.config, sim.rates, sim.record
    t_end, loss, bg = sim.t_end_s, rec.loss_cps, rec.background_cps
    per_state = []
    for s in sim.states:
        d = s.to_dict()
        d.update(
            time_s=float(occ_s[s.index]),
            time_fraction=float(occ_s[s.index] / t_end) if t_end > 0 else None,
            expected_recorded_counts_per_10ms=float((mean_rate[s.index] - loss[s.index]) * 0.01 + float(bg.sum()) * 0.01),
            dead_time_loss_cps=float(loss[s.index]),
        )
        if c.pulsed:
            d.update(detected_photons_per_pulse=float(r.mu[s.index]),
                     event_probability_per_pulse=float(r.q_event[s.index]),
                     pulses=float(rec.state_clock[s.index]))
        else:
            d.update(antibunching_rate_hz=float(r.antibunching_rate_hz[s.index]))
        per_state.append(d)
    return per_state


def _dim_state_truth(c, states) -> dict:
    """``I2``, ``τ2`` and β of the model's dim reference state (None for a non-blinking emitter)."""
    if c.model in ("auger", "mixed"):
        trion = next(s for s in states if s.charged and s.trap_level == 0)
        return dict(I2_counts_per_10ms=trion.intensity_counts_per_10ms, tau2_ns=trion.lifetime_ns,
                    beta=trion.intensity_counts_per_10ms * states[0].lifetime_ns
                    / (states[0].intensity_counts_per_10ms * trion.lifetime_ns))
    if c.model == "bc":
        lvl = states[1]
        return dict(I2_counts_per_10ms=lvl.intensity_counts_per_10ms, tau2_ns=lvl.lifetime_ns,
                    beta=1.0, bc_radiative_lifetime_ns=1.0 / states[0].radiative_rate_per_ns)
    return dict(I2_counts_per_10ms=None, tau2_ns=None, beta=None)


def _mixture_truth(c, states, occ_s) -> dict:
    charged_t = float(sum(occ_s[s.index] for s in states if s.charged))
    trap_t = float(sum(occ_s[s.index] for s in states if not s.charged and s.trap_level > 0))
    return {
        "auger_share": c.auger_share,
        "a_auger_a_bc": (c.auger_share / (1.0 - c.auger_share)) if c.auger_share is not None else None,
        "charged_time_s": charged_t,
        "trap_time_s": trap_t,
        "realized_a_auger_a_bc": charged_t / trap_t if trap_t > 0 else None,
        "definition": ("A_Auger : A_BC = time in charged (trion) states : time in neutral trap (BC) states; "
                       "auger_share p sets it to p : (1 - p) in expectation (one process whose OFF dwells "
                       "are trion dwells with probability p); None: independent charging and trap processes"),
    }


def _on_fraction_truth(sim: SimulatedStream, occ_s, on_bins) -> dict:
    t_end, states = sim.t_end_s, sim.states
    on_time = float(sum(occ_s[s.index] for s in states if s.is_on))
    return {
        "time_weighted": on_time / t_end if t_end > 0 else None,
        "binned": float(on_bins.mean()) if on_bins.size else None,
        "bin_width_s": sim.bin_width_s,
        "definition": (f"ON = state {states[0].name!r}. time_weighted: time in ON / duration. binned: "
                       f"fraction of the {sim.n_bins} full bins whose expected recorded count is >= "
                       f"{defaults.THRESHOLD_FRACTION} x the expected count of a bin spent entirely ON "
                       "(noise-free threshold)"),
    }


def _dwell_truth(sim: SimulatedStream, on_bins) -> dict:
    runs, tb = sim.record.dwell_runs, sim.bin_width_s
    vals, lens = _runs_of(on_bins)
    inner_v, inner_l = vals[1:-1], lens[1:-1]
    dwell = {
        "processes": {p.name: {"on": p.stats_on.to_dict(), "off": p.stats_off.to_dict(),
                               "n_off_levels": p.n_off} for p in sim.processes},
        "n_on_dwells": runs["on"][0],
        "n_off_dwells": runs["off"][0],
        "mean_on_dwell_s": runs["on"][1] / runs["on"][0] if runs["on"][0] else None,
        "mean_off_dwell_s": runs["off"][1] / runs["off"][0] if runs["off"][0] else None,
        "n_on_runs_binned": int((inner_v).sum()),
        "n_off_runs_binned": int((~inner_v).sum()),
        "mean_on_run_binned_s": float(inner_l[inner_v].mean() * tb) if inner_v.any() else None,
        "mean_off_run_binned_s": float(inner_l[~inner_v].mean() * tb) if (~inner_v).any() else None,
        "definition": "n_on/off_dwells: complete dwells of the ON state vs any other state inside the "
                      "measurement (the first, starting at 0, and the last, cut by the end, are censored "
                      "and excluded); *_binned: runs of the noise-free binned ON/OFF trace, first and last "
                      "excluded; processes: every drawn dwell that starts inside the measurement",
    }
    if sim.config.model == "nonblinking":
        dwell["processes"] = {}
    return dwell


def _mandel_q_truth(sim: SimulatedStream, lam, var, mean_rate, var_rate) -> dict:
    q_real = float((lam.var() + var.mean()) / lam.mean() - 1.0) if sim.n_bins and lam.mean() > 0 else None
    q_ens, q_reason = _q_ensemble(sim, mean_rate, var_rate, sim.record.loss_cps)
    return {
        "bin_width_s": sim.bin_width_s,
        "realized": q_real,
        "ensemble": q_ens,
        "ensemble_null_reason": q_reason,
        "definition": "Q = Var(n)/<n> - 1 over the full bins. realized: expectation given this run's "
                      "state trajectory, (population variance of the expected bin counts + mean "
                      "conditional variance) / mean - 1, with the conditional variance from the per-pulse "
                      "photon statistics (antibunching) or the CW renewal Fano factor, Poisson background, "
                      "and first-order dead-time losses. ensemble: the stationary value where it exists",
    }
