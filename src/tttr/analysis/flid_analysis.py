"""The FLID of one file in one call: map, region lifetimes and β, and (optionally) the model verdict.

:func:`flid_analysis` is what ``tttr flid`` runs; ``tttr analyze`` computes the same pieces
inside its one pass (:func:`tttr.pipeline.analyze`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import defaults
from ..errors import AnalysisError
from ..results import Result

__all__ = ["FlidAnalysis", "flid_analysis"]


@dataclass(frozen=True, repr=False)
class FlidAnalysis(Result):
    """FLID map (None when the file holds no whole bin), region lifetimes (None when no two
    regions are found, the reason in ``warnings``) and the model fit (None unless asked for)."""

    binned: object
    flid_map: object
    regions: object = None
    fit: object = None
    warnings: list = field(default_factory=list)

    def summary(self) -> dict:
        """The JSON of ``tttr flid``: map settings, regions (without their decay fits), β, verdict."""
        fm, rl = self.flid_map, self.regions
        regions = None
        if rl is not None:
            regions = rl.to_dict()
            regions.pop("fits", None)
        out = {"bin_width_s": fm.bin_width_s, "estimator": fm.estimator, "window_ns": fm.window_ns,
               "t0_ns": fm.t0_ns, "regions": regions, "beta": rl.beta if rl is not None else None,
               "beta_err": getattr(rl, "beta_err", None) if rl is not None else None,
               "warnings": list(self.warnings)}
        if self.fit is not None:
            out["flid"] = self.fit.to_dict()
        return out


def flid_analysis(source, *, bin_width_s: float = defaults.BIN_WIDTH_S, estimator: str = defaults.FLID_ESTIMATOR,
                  regions=None, fit: bool = False, progress=None, **options) -> FlidAnalysis:
    """FLID of ``source``: one binned pass, the map, the region lifetimes and β, and the fit.

    Parameters
    ----------
    source : path, TTTRStream or photons from ``tttr.read``
    bin_width_s : float
    estimator : {"mean", "corrected", "mle"}
        Per-bin lifetime estimator (:func:`tttr.analysis.flid.flid_map`).
    regions : sequence of (lo, hi), optional
        Intensity bands in counts per bin (default: found automatically).
    fit : bool
        Fit the Auger, BC and mixed models and give the verdict (:func:`tttr.analysis.models.fit_flid`).
    progress : callable, optional
        Called with the records of each chunk.

    Notes
    -----
    Regions that cannot be found (one intensity level) are not an error of the file: the map
    is still returned, ``regions`` is None and the reason is in ``warnings``.
    """
    from .flid import binned_pass, flid_map, region_lifetimes

    binned = binned_pass(source, bin_width_s=bin_width_s, progress=progress, **options)
    if binned.n_bins == 0:  # a bin longer than the measurement: nothing to map (the caller says why)
        return FlidAnalysis(binned=binned, flid_map=None,
                            warnings=[f"no whole bin of {bin_width_s:g} s in {binned.duration_s:g} s of data"])
    fm = flid_map(binned, estimator=estimator)
    warnings = []
    try:
        rl = region_lifetimes(binned, regions)
    except AnalysisError as exc:
        rl = None
        warnings.append(str(exc))
    model_fit = None
    if fit:
        from .models import fit_flid

        model_fit = fit_flid(fm, regions=rl)
    return FlidAnalysis(binned=binned, flid_map=fm, regions=rl, fit=model_fit, warnings=warnings)
