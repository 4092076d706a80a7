"""The batch's ``index.html``: the population at a glance, a link to every file's report.

One self-contained page (figures embedded as base64 PNG, style and a few lines of script
inline; no server, no network): the population table, sortable by clicking a column header,
the population figures, and the files that failed with their reason. Rendered with Jinja2.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path, PurePosixPath
from urllib.parse import quote

__all__ = ["INDEX_NAME", "TABLE_COLUMNS", "index_html"]

#: Name of the page written into the batch's output folder.
INDEX_NAME = "index.html"

#: Columns of the page's table: (header, summary column, error column or None).
TABLE_COLUMNS = (
    ("format", "format", None),
    ("duration (s)", "duration_s", None),
    ("photons", "n_photons", None),
    ("rate (counts/s)", "count_rate_cps", None),
    ("ON fraction", "on_fraction", "on_fraction_err"),
    ("Mandel Q", "mandel_q", "mandel_q_err"),
    ("α_on", "power_law.on.alpha", "power_law.on.alpha_err"),
    ("α_off", "power_law.off.alpha", "power_law.off.alpha_err"),
    ("τ (ns)", "lifetime.tau_ns", "lifetime.tau_err_ns"),
    ("g2(0)", "g2.g2_zero", "g2.g2_zero_err"),
    ("single emitter", "g2.single_emitter", None),
    ("FLID verdict", "flid.verdict", None),
    ("warnings", "n_warnings", None),
)

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>tttr batch: {{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em 2em; color: #222; }
.wide { overflow-x: auto; }
h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 1.5em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.8em; }
td, th { padding: 2px 8px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
th { background: #f4f4f8; white-space: nowrap; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th[data-dir="asc"]::after { content: " \\25B2"; }
table.sortable th[data-dir="desc"]::after { content: " \\25BC"; }
td.v { font-variant-numeric: tabular-nums; white-space: nowrap; text-align: right; }
.figs { display: flex; flex-wrap: wrap; gap: 12px; } .figs figure { margin: 0; }
.figs img { width: 360px; } figcaption { font-size: 0.8em; color: #555; }
.failed td { color: #8a1c00; } .note { color: #8a4b00; }
</style></head>
<body>
<h1>{{ title }}</h1>
<p>{{ headline }}</p>
{% for w in notes %}<p class="note">{{ w }}</p>{% endfor %}
<h2>Files</h2>
<p style="font-size:0.85em;color:#555">Click a column header to sort. Values ± standard error; the summary
table with every column is <a href="{{ summary_href }}">{{ summary_name }}</a>.</p>
<div class="wide"><table class="sortable" id="population">
<thead><tr><th>file</th>{% for h in headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in rows %}<tr><td data-v="{{ row.path }}">{% if row.href %}<a href="{{ row.href }}">{{ row.path }}</a>{% else %}{{ row.path }}{% endif %}</td>
{%- for c in row.cells %}<td class="v" data-v="{{ c.key }}">{{ c.text }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table></div>
{% if failed %}<h2>Failed files ({{ failed|length }})</h2>
<table><thead><tr><th>file</th><th>reason</th></tr></thead><tbody>
{% for f in failed %}<tr class="failed"><td>{{ f.path }}</td><td>{{ f.reason }}</td></tr>
{% endfor %}</tbody></table>{% endif %}
{% if figures %}<h2>Population</h2>
<div class="figs">{% for fig in figures %}<figure><img alt="{{ fig.name }}" src="data:image/png;base64,{{ fig.data }}">
<figcaption>{{ fig.name }}</figcaption></figure>
{% endfor %}</div>{% endif %}
<p style="font-size:0.8em;color:#777">Written by tttr {{ version }}.</p>
<script>
document.querySelectorAll("table.sortable th").forEach(function (th, i) {
  th.addEventListener("click", function () {
    var body = th.closest("table").tBodies[0];
    var asc = th.dataset.dir !== "asc";
    th.closest("tr").querySelectorAll("th").forEach(function (o) { delete o.dataset.dir; });
    th.dataset.dir = asc ? "asc" : "desc";
    var key = function (r) { var v = r.cells[i].dataset.v; var x = parseFloat(v);
      return v === "" ? null : (isNaN(x) ? v.toLowerCase() : x); };
    Array.from(body.rows).sort(function (a, b) {
      var x = key(a), y = key(b);
      if (x === null || y === null) { return x === y ? 0 : (x === null ? 1 : -1); }  /* empty cells last */
      if (typeof x !== typeof y) { return typeof x === "number" ? -1 : 1; }
      return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
    }).forEach(function (r) { body.appendChild(r); });
  });
});
</script>
</body></html>
"""


def _text(value, err=None) -> str:
    """A table cell: 4 significant digits, ``± err`` when there is one; booleans as yes/no."""
    from ..text import DASH, pm

    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float) and abs(value) >= 1e4 and not (isinstance(err, float) and math.isfinite(err)):
        return f"{value:,.0f}"
    if isinstance(value, float):
        return pm(value, err if isinstance(err, float) and math.isfinite(err) else None, "")
    return str(value)


def _sort_key(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _report_href(out_dir: Path, rel: str) -> str | None:
    """Relative link to the file's HTML report, else its JSON report, when it exists."""
    p = PurePosixPath(rel)
    for suffix in (".report.html", ".report.json"):
        target = p.parent / f"{p.name}{suffix}"
        if (out_dir / target).is_file():
            return quote(target.as_posix())
    return None


def index_html(rows: list[dict], failed: list, out_dir, *, figures: dict, title: str, notes=(),
               summary_name: str = "summary.csv") -> str:
    """The page of a batch.

    Parameters
    ----------
    rows : list of dict
        The ``summary.csv`` rows (:func:`tttr.batch.summary_table.summary_tables`); the ok ones
        fill the table.
    failed : list of Failed
        Listed with their reason.
    out_dir : Path
        The batch's output folder (links are relative to it, and only to files that exist).
    figures : dict
        ``name -> PNG bytes`` of the population figures, embedded.
    title : str
    notes : sequence of str
        Batch-level warnings.

    Notes
    -----
    Each cell carries its raw value in ``data-v`` so that sorting is numeric where the
    column is; empty cells sort last either way. The file name links to the file's
    ``.report.html`` (written with ``plots``), or to its ``.report.json`` otherwise.
    """
    import jinja2

    from .._version import __version__

    out_dir = Path(out_dir)
    ok = [r for r in rows if r.get("status") == "ok"]
    table = []
    for r in ok:
        cells = [{"text": _text(r.get(col), r.get(err) if err else None), "key": _sort_key(r.get(col))}
                 for _, col, err in TABLE_COLUMNS]
        table.append({"path": r["path"], "href": _report_href(out_dir, r["path"]), "cells": cells})
    embedded = [{"name": n, "data": base64.b64encode(b).decode("ascii")} for n, b in figures.items()]
    n = len(rows)
    headline = f"{n} file{'s' if n != 1 else ''}: {len(ok)} analysed, {len(failed)} failed."
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_TEMPLATE).render(
        title=title, headline=headline, notes=list(notes), headers=[h for h, _, _ in TABLE_COLUMNS], rows=table,
        failed=[{"path": f.path, "reason": f.reason} for f in failed], figures=embedded,
        summary_href=quote(summary_name), summary_name=summary_name, version=__version__)
