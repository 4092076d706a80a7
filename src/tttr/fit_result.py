"""One shape for every fit result, whatever engine made it (lmfit, scipy, our own optimiser).

A fit result is a :class:`~tttr.results.Result` that also derives from :class:`FitResult` and
answers four questions: which model (:meth:`FitResult.fit_model`), the fitted values
(:meth:`FitResult.fit_values`), their standard errors (:meth:`FitResult.fit_errors`, same keys,
``None`` where the fit gives none) and the statistics of the fit
(:meth:`FitResult.fit_statistics`: ``n``, ``log_likelihood``, ``chi2_reduced``, ``aic``, ``bic``,
``ks``, ``p_value``, whichever apply). :meth:`FitResult.report` prints them in the spirit of
lmfit's ``fit_report()``.

Naming of errors (one rule across the package and the JSON): the error of a value named
``<name>_<unit>`` is ``<name>_err_<unit>`` (``tau_ns`` → ``tau_err_ns``); the error of a
dimensionless ``<name>`` is ``<name>_err`` (``alpha`` → ``alpha_err``).
"""

from __future__ import annotations

import math

__all__ = ["FitResult", "error_name"]

_UNITS = ("ns", "ps", "us", "ms", "s", "hz", "cps", "kcps")


def error_name(name: str) -> str:
    """The name of the standard error of the value ``name`` (see the module's naming rule).

    Examples
    --------
    >>> error_name("tau_ns"), error_name("alpha"), error_name("t_min_s")
    ('tau_err_ns', 'alpha_err', 't_min_err_s')
    """
    stem, _, unit = name.rpartition("_")
    if stem and unit.lower() in _UNITS:
        return f"{stem}_err_{unit}"
    return f"{name}_err"


def _number(v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    if isinstance(v, bool) or isinstance(v, int):
        return str(v)
    return f"{float(v):.6g}"


class FitResult:
    """Mixin giving every fit result the same four accessors and a text report.

    Subclasses implement :meth:`fit_model`, :meth:`fit_values`, :meth:`fit_errors` and
    :meth:`fit_statistics`; they keep their own fields (and hence their JSON) unchanged.

    Notes
    -----
    A mixin rather than a common dataclass base: the fit results already are frozen dataclasses
    with their own fields, which the JSON output and the batch columns are made of; the
    accessors only read them, so adopting the convention changes no output.
    """

    def fit_model(self) -> str:
        """Name of the fitted model (for example ``"mono-exponential"``, ``"truncated power law"``)."""
        raise NotImplementedError

    def fit_values(self) -> dict:
        """Fitted parameters, ``{name: value}`` with the unit in the name."""
        raise NotImplementedError

    def fit_errors(self) -> dict:
        """Standard errors, ``{name: error}`` with the same keys as :meth:`fit_values`."""
        raise NotImplementedError

    def fit_statistics(self) -> dict:
        """Statistics of the fit (``n``, ``log_likelihood``, ``chi2_reduced``, ``bic`` …)."""
        raise NotImplementedError

    def report(self) -> str:
        """A plain-text report of the fit: model, statistics, values ± errors."""
        values, errors = self.fit_values(), self.fit_errors()
        lines = [f"[[Model]]", f"    {self.fit_model()}", "[[Fit Statistics]]"]
        for k, v in self.fit_statistics().items():
            lines.append(f"    {k:<20} = {_number(v)}")
        lines.append("[[Variables]]")
        for k, v in values.items():
            e = errors.get(k)
            err = "" if e is None or (isinstance(e, float) and not math.isfinite(e)) else f" +/- {_number(e)}"
            lines.append(f"    {k:<20} = {_number(v)}{err}")
        return "\n".join(lines)
