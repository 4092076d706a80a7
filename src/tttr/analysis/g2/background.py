"""Background correction of a g2(0) value (science.md §6)."""

from __future__ import annotations

from ... import defaults
from .results import BackgroundCorrectedG2, CWG2Fit, PulsedG2

__all__ = ["correct_background"]


def correct_background(g2_zero, *, background_fraction: float | None = None,
                       signal_to_background: float | None = None, method: str = defaults.G2_BACKGROUND_CORRECTION,
                       g2_zero_err: float | None = None, background_fractions=None) -> BackgroundCorrectedG2:
    """Correct a g2(0) for uncorrelated background (science.md §6).

    Parameters
    ----------
    g2_zero : float, PulsedG2 or CWG2Fit
        The uncorrected g2(0) (its error is taken from the result when a result is given).
    background_fraction : float, optional
        ``B/(S+B)`` in [0, 1) of both detectors, e.g. from the decay histogram's background.
    signal_to_background : float, optional
        ``S/B`` (> 0) instead of the fraction: ``B/(S+B) = 1/(1 + S/B)``.
    method : {"pairs", "rho", "subtract"}
        ``"pairs"`` (default, ``defaults.G2_BACKGROUND_CORRECTION``): remove the pairs that
        involve a background photon, ``φ = β_A + β_B − β_A·β_B`` of the uncorrelated level:
        ``(A·g2 − φ)/(A − φ)`` with ``A`` the plateau of a CW fit (1 for a plain number). For
        a :class:`PulsedG2` the correction is done on the peak areas by
        :func:`pulsed_g2_zero` and returned as is. ``"rho"``: ``(g2 − (1 − ρ²))/ρ²`` with
        ``ρ = S/(S+B)`` (Brouri et al. 2000); ``"subtract"``: ``g2 − B/(S+B)`` (seed 002).
    g2_zero_err : float, optional
        Error of the raw value (default: from the result, else NaN).
    background_fractions : (float, float), optional
        ``β_A, β_B`` of the two detectors (``"pairs"`` only), instead of one fraction.

    Returns
    -------
    BackgroundCorrectedG2
        The corrected value, the raw one, and which method and fraction were used.

    Notes
    -----
    * ``"rho"`` assumes the peaks are normalised to the Poisson level. With the usual ±1-peak
      (or CW plateau) normalisation of a blinking emitter the signal pairs are bunched
      (``⟨I²⟩/⟨I⟩² > 1``) and the pairs with a background photon are not, so ``rho`` is
      biased; ``"subtract"`` is a first-order approximation that over-corrects at large
      g2(0). ``"pairs"`` removes the background pairs where they are (every peak, or the
      plateau), which leaves the emitter's own ratio.
    * The error is propagated from the raw value only (the background fraction is taken as
      exact). Background shifts g2(0) by about as much as the published values (science.md
      §9), so always say which correction was used.
    """
    if method not in ("pairs", "rho", "subtract"):
        raise ValueError(f"method must be 'pairs', 'rho' or 'subtract', got {method!r}")
    raw_err = g2_zero_err
    amp = 1.0
    if isinstance(g2_zero, (PulsedG2, CWG2Fit)):
        raw, raw_err = g2_zero.g2_zero, g2_zero.g2_zero_err if g2_zero_err is None else g2_zero_err
        if isinstance(g2_zero, CWG2Fit):
            amp = float(g2_zero.amplitude)
    else:
        raw = float(g2_zero)
    raw_err = float("nan") if raw_err is None else float(raw_err)
    given = sum(x is not None for x in (background_fraction, signal_to_background, background_fractions))
    if isinstance(g2_zero, PulsedG2) and method == "pairs" and given == 0 and g2_zero.correction == "pairs":
        return BackgroundCorrectedG2(g2_zero=g2_zero.g2_zero_corrected, g2_zero_err=g2_zero.g2_zero_corrected_err,
                                     g2_zero_raw=raw, g2_zero_raw_err=raw_err, method="pairs",
                                     background_fraction=g2_zero.background_fraction,
                                     rho=1.0 - g2_zero.background_fraction)
    if given != 1:
        raise ValueError("give exactly one of background_fraction, signal_to_background or background_fractions")
    if background_fractions is not None:
        if method != "pairs":
            raise ValueError("background_fractions (one per detector) needs method='pairs'")
        ba, bb = (float(x) for x in background_fractions)
        if not (0.0 <= ba < 1.0 and 0.0 <= bb < 1.0):
            raise ValueError(f"background fractions must be in [0, 1), got {background_fractions!r}")
        bf = 0.5 * (ba + bb)
    elif signal_to_background is not None:
        sbr = float(signal_to_background)
        if not sbr > 0:
            raise ValueError(f"signal_to_background must be > 0, got {sbr!r}")
        bf = ba = bb = 1.0 / (1.0 + sbr)
    else:
        bf = ba = bb = float(background_fraction)
        if not 0.0 <= bf < 1.0:
            raise ValueError(f"background_fraction must be in [0, 1), got {bf!r}")
    if isinstance(g2_zero, PulsedG2) and method == "pairs":
        raise ValueError("a pulsed g2(0) is background-corrected on its peak areas: use "
                         "pulsed_g2_zero(curve, background_fraction=...) instead")
    rho = 1.0 - bf
    if method == "subtract":
        val, err = raw - bf, raw_err
    elif method == "rho":
        val, err = (raw - (1.0 - rho * rho)) / (rho * rho), raw_err / (rho * rho)
    else:
        phi = ba + bb - ba * bb
        val, err = (amp * raw - phi) / (amp - phi), raw_err * amp / (amp - phi)
    return BackgroundCorrectedG2(g2_zero=float(val), g2_zero_err=float(err), g2_zero_raw=float(raw),
                                 g2_zero_raw_err=raw_err, method=method, background_fraction=bf, rho=rho)
