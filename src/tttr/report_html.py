"""One file's report as a self-contained HTML page: the summary table and every figure.

The page embeds its figures (PNG, base64) and its style, so it opens from disk without a server
and can be mailed as one file. It is rendered with Jinja2 from the template below: the file's
name, the verdict and the warnings first, a short table of the key results, the figures, then
every quantity in a collapsed section (``<details>``, no script needed).
"""

from __future__ import annotations

import base64
import html
from pathlib import PurePath

from .results import flatten
from .text import pm

__all__ = ["summary_rows", "report_html", "write_html_report", "KEY_QUANTITIES"]

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>tttr report: {{ name }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px; padding: 0 1em; color: #222; }
h1 { font-size: 1.3em; margin-bottom: 0.2em; } h2 { font-size: 1.1em; margin-top: 1.5em; border-bottom: 1px solid #ccc; }
.path { font-size: 0.8em; color: #666; word-break: break-all; }
table { border-collapse: collapse; font-size: 0.9em; }
td, th { padding: 2px 10px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
td.v { font-variant-numeric: tabular-nums; } td.n { white-space: nowrap; }
.verdict { font-size: 1.05em; padding: 0.5em; background: #f4f4f8; border-left: 4px solid #668; }
.warn { color: #8a4b00; } figure { margin: 1em 0; } figure img { max-width: 100%; }
figcaption { font-size: 0.85em; color: #555; } summary { cursor: pointer; font-weight: 600; margin: 1em 0 0.5em; }
</style></head>
<body>
<h1>{{ name }}</h1>
<p class="path">{{ path }}</p>
<p>{{ headline }}</p>
{% if verdict %}<p class="verdict"><b>FLID verdict: {{ verdict }}</b>{% if reason %} — {{ reason }}{% endif %}</p>{% endif %}
{% if warnings %}<h2>Warnings</h2><ul>{% for w in warnings %}<li class="warn">{{ w }}</li>{% endfor %}</ul>{% endif %}
<h2>Key results</h2>
<table><tr><th>quantity</th><th>value</th></tr>
{% for row in key_rows %}<tr><td>{{ row.name }}</td><td class="v{{ ' n' if row.numeric }}">{{ row.value }}</td></tr>
{% endfor %}</table>
<h2>Figures</h2>
{% for fig in figures %}<figure><img alt="{{ fig.name }}" src="data:image/png;base64,{{ fig.data }}">
<figcaption>{{ fig.name }}</figcaption></figure>
{% endfor %}
<details><summary>All quantities ({{ rows|length }})</summary>
<table><tr><th>quantity</th><th>value</th></tr>
{% for row in rows %}<tr><td>{{ row.name }}</td><td class="v{{ ' n' if row.numeric }}">{{ row.value }}</td></tr>
{% endfor %}</table></details>
<p style="font-size:0.8em;color:#777">Written by tttr {{ version }}.</p>
</body></html>
"""

#: The rows of the "Key results" table, in order (those the report has).
KEY_QUANTITIES = ("duration_s", "n_photons", "count_rate_cps", "on_fraction", "blinking_rate_hz", "charging_rate_hz",
                  "mandel_q", "power_law.on.alpha", "power_law.off.alpha", "lifetime.tau_ns", "lifetime.tau1_ns",
                  "lifetime.tau2_ns", "lifetime.a1", "g2.g2_zero", "g2.g2_zero_corrected", "g2.single_emitter",
                  "flid.verdict", "beta")

_UNITS = (("_ns", "ns"), ("_s", "s"), ("_hz", "Hz"), ("_cps", "counts/s"), ("_counts", "counts/bin"))


def _unit_of(key: str) -> tuple[str, str]:
    for suffix, unit in _UNITS:
        if key.endswith(suffix):
            return key[: -len(suffix)], unit
    return key, ""


def _error_key(key: str, flat: dict):
    """The key of ``key``'s standard error in ``flat`` (``x_err`` or ``x_err_<unit>``), if any."""
    base, unit = _unit_of(key)
    for cand in (f"{key}_err", f"{base}_err_{unit_suffix}" if (unit_suffix := key[len(base) + 1:]) else None,
                 f"{base}_err"):
        if cand and cand in flat and cand != key:
            return cand
    return None


def summary_rows(d: dict) -> list:
    """``[{"name", "value"}]`` for every scalar of a report's ``to_dict()``, errors beside their values.

    Notes
    -----
    Keys ending in ``_err`` (or ``_err_<unit>``) are shown with the value they belong to; the
    unit comes from the key's suffix (``_ns``, ``_s``, ``_hz``, ``_cps``, ``_counts``). Lists
    and nested curves are left to the figures and the JSON report, and values that were not
    computed (None) are left out. A float of 10⁴ or more without an error is printed
    without an exponent (count rates). ``numeric`` marks the rows set without line breaks.
    """
    flat = {k: v for k, v in flatten(d).items()
            if k not in ("file", "warnings") and ".models." not in k and not k.startswith("mandel_q_curve")}
    used = set()
    rows = []
    for key, value in flat.items():
        if key in used or "_err" in key.rsplit(".", 1)[-1]:
            continue
        if isinstance(value, list) or isinstance(value, dict):
            if value and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value) and len(value) <= 6:
                value = ", ".join(f"{x:.4g}" for x in value)
            else:
                continue
        ek = _error_key(key, flat)
        if ek:
            used.add(ek)
        _, unit = _unit_of(key.rsplit(".", 1)[-1])
        if value is None:
            continue  # not computed for this file: nothing to show
        numeric = not isinstance(value, (bool, str))
        if not numeric:
            text = str(value).lower() if isinstance(value, bool) else str(value)
        else:
            err = flat.get(ek) if ek else None
            err = err if isinstance(err, (int, float)) else None
            if isinstance(value, float) and abs(value) >= 1e4 and err is None:
                text = f"{value:,.0f}" + (f" {unit}" if unit else "")  # a rate or a count: no exponent
            else:
                text = pm(value, err, unit)
        rows.append({"name": key, "value": text, "numeric": numeric})
    return rows


def _png(fig) -> str:
    from .plot import png_bytes

    return base64.b64encode(png_bytes(fig, dpi=110)).decode("ascii")


def report_html(report, *, figures: dict | None = None, pngs: dict | None = None) -> str:
    """The HTML page of one :func:`tttr.analyze` report.

    Parameters
    ----------
    report : Report
    figures : dict, optional
        ``name -> matplotlib Figure``; default :func:`tttr.plot.report_figures` of the report.
    pngs : dict, optional
        ``name -> PNG bytes`` of figures already drawn (used instead of ``figures``).
    """
    import jinja2

    from . import __version__, plot

    d = report.to_dict()
    if pngs is not None:
        embedded = [{"name": n, "data": base64.b64encode(b).decode("ascii")} for n, b in pngs.items()]
    else:
        figs = plot.report_figures(report) if figures is None else figures
        embedded = [{"name": n, "data": _png(f)} for n, f in figs.items()]
    flid = d.get("flid") or {}
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    rate = d.get("count_rate_cps")
    headline = (f"{d['format']} {d['mode']}, {d['n_photons']:,} photons in {d['duration_s']:.4g} s"
                + (f" ({rate:,.0f} counts/s)" if isinstance(rate, (int, float)) else ""))
    rows = summary_rows(d)
    by_name = {r["name"]: r for r in rows}
    path = html.unescape(str(d["file"]))
    return env.from_string(_TEMPLATE).render(
        name=PurePath(path).name, path=path, headline=headline, verdict=flid.get("verdict"),
        reason=flid.get("reason"), key_rows=[by_name[k] for k in KEY_QUANTITIES if k in by_name], rows=rows,
        warnings=d.get("warnings") or [], figures=embedded, version=__version__)


def write_html_report(report, path, *, force: bool = False, figures: dict | None = None) -> str:
    """Write :func:`report_html` to ``path`` atomically (nothing replaced without ``force``)."""
    from .io.atomic import atomic_write_bytes

    atomic_write_bytes(path, report_html(report, figures=figures).encode("utf-8"), force=force)
    return str(path)
