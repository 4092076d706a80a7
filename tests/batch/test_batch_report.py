"""The batch's human-facing outputs on the sample files: ``index.html``, every file's HTML report
and the tidy ``summary.csv`` (dtypes as documented in docs/summary_columns.md)."""

from __future__ import annotations

import base64
import io
import math
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd
import pytest

from tttr.batch import run_batch

from conftest import REPO, SAMPLES

pytestmark = pytest.mark.slow  # one batch with plots over the samples: ~55 s

DOC = REPO / "docs" / "summary_columns.md"
#: Every time-tag sample: the 4 simulated files and the real instrument files.
SAMPLE_FILES = sorted([p.name for p in SAMPLES.glob("sim_*.ptu")]
                      + [f"real/{p.name}" for p in (SAMPLES / "real").iterdir()
                         if p.suffix in (".ptu", ".ht3", ".spc")])


class _Page(HTMLParser):
    """Images, links, scripts, table rows and text of one HTML page."""

    def __init__(self):
        super().__init__()
        self.images, self.links, self.scripts, self.external = [], [], [], []
        self.rows: list[list[str]] = []
        self._row = None
        self._cell = None
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a.get("src", ""))
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "script":
            self.scripts.append(a)
        elif tag == "link":
            self.external.append(a.get("href", ""))
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def _check_page(path: Path) -> _Page:
    """Every image a PNG that decodes, every link to a file that exists, nothing from a server."""
    from PIL import Image

    page = _parse(path)
    assert page.images, f"{path.name}: no figure"
    for src in page.images:
        head, _, data = src.partition(",")
        assert head == "data:image/png;base64", f"{path.name}: image not embedded as PNG: {src[:40]}"
        raw = base64.b64decode(data, validate=True)
        with Image.open(io.BytesIO(raw)) as im:
            im.load()  # decodes every pixel: a truncated or corrupt PNG raises here
            assert im.format == "PNG" and im.width >= 200 and im.height >= 150
    for href in page.links:
        url = urlparse(href)
        assert url.scheme == "" and url.netloc == "", f"{path.name}: link leaves the folder: {href}"
        if url.path:
            assert (path.parent / unquote(url.path)).is_file(), f"{path.name}: broken link {href}"
    assert all("src" not in s for s in page.scripts), "scripts must be inline"
    assert page.external == []
    return page


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory):
    """One batch over data/samples with the per-file reports (``plots``): the 8 time-tag
    samples analysed, the 3 reference event tables there fail (no timestamp unit)."""
    out = tmp_path_factory.mktemp("report") / "out"
    result = run_batch(SAMPLES, out, plots=True)
    return result, out


def test_every_sample_gets_an_html_report(batch_out):
    result, out = batch_out
    ok = sorted(r.path for r in result.records if r.ok)
    assert ok == SAMPLE_FILES
    for rel in ok:
        page = _check_page(out / f"{rel}.report.html")
        text = " ".join(page.text)
        assert Path(rel).name in text and "photons in" in text
        assert len(page.images) >= 3  # trace, decay or intensity histogram, g2 or Mandel Q at least


def test_index_links_every_report_and_lists_failures(batch_out):
    result, out = batch_out
    index = Path(result.index_path)
    assert index == out / "index.html"
    page = _check_page(index)
    links = {unquote(h) for h in page.links}
    for r in result.records:
        if r.ok:
            assert f"{r.path}.report.html" in links
    assert "summary.csv" in links
    # the population table (header + one row per analysed file), then the failed files with reasons
    table = [row for row in page.rows if row and row[0] != "file"]
    ok_rows = [row for row in table if row[0] in SAMPLE_FILES]
    assert sorted(row[0] for row in ok_rows) == SAMPLE_FILES
    failed = {row[0]: row[1] for row in table if len(row) == 2}
    assert failed == {f.path: f.reason for f in result.failed} and result.n_failed >= 1
    # population figures: g2(0), ON fraction, α, τ and the verdicts
    names = {Path(f).name for f in result.figures}
    assert {"population.g2_zero.png", "population.on_fraction.png", "population.alpha_on.png",
            "population.tau.png", "population.flid_verdict.png"} <= names
    assert len(page.images) == len(result.figures)
    # sortable: every header clickable by the inline script, every cell carries its raw value
    html = index.read_text(encoding="utf-8")
    assert 'class="sortable"' in html and "addEventListener(\"click\"" in html
    keys = re.findall(r'<td class="v" data-v="([^"]*)"', html)
    assert keys and any(k and not math.isnan(float(k)) for k in keys if re.fullmatch(r"[-+.\deE]+", k))


def _documented() -> dict:
    """column -> dtype, read from the table of docs/summary_columns.md (``{on,off}`` expanded)."""
    out = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"\| `([^`]+)` \| [^|]* \| (\w+) \| .* \|", line)
        if m:
            name, dtype = m.groups()
            for n in ([name.replace("{on,off}", k) for k in ("on", "off")] if "{on,off}" in name else [name]):
                out[n] = dtype
    return out


def test_summary_dtypes_match_the_documentation(batch_out):
    _, out = batch_out
    doc = _documented()
    assert len(doc) > 100  # the table was found and parsed
    s = pd.read_csv(out / "summary.csv", dtype_backend="numpy_nullable")
    got = s.dtypes.astype(str).to_dict()
    assert {c: got[c] for c in got} == {c: doc.get(c, "undocumented") for c in got}
    assert not s.isna().all().any()  # no all-empty column
    for c in s.columns[s.dtypes.astype(str) == "string"]:
        assert not s[c].dropna().str.match(r"^\s*[\[{]").any(), f"JSON in column {c}"
    assert set(s["status"]) == {"ok", "failed"}
    # the plain reader gives integers and booleans where a column has no gap
    plain = pd.read_csv(out / "summary.csv")
    for c, dtype in got.items():
        if not s[c].isna().any():
            assert str(plain[c].dtype) == {"Int64": "int64", "boolean": "bool", "Float64": "float64",
                                           "string": "str"}[dtype], c


def test_long_tables_hold_the_lists(batch_out):
    result, out = batch_out
    s = pd.read_csv(out / "summary.csv", dtype_backend="numpy_nullable").set_index("path")
    long = pd.read_csv(out / "summary_long.csv", dtype_backend="numpy_nullable")
    text = pd.read_csv(out / "summary_text.csv", dtype_backend="numpy_nullable")
    assert long.dtypes.astype(str).to_dict() == {"path": "string", "quantity": "string", "index": "Int64",
                                                 "value": "Float64"}
    assert text.dtypes.astype(str).to_dict() == {"path": "string", "quantity": "string", "index": "Int64",
                                                 "text": "string"}
    ok = {r.path: r.report for r in result.records if r.ok}
    assert set(long["path"]) <= set(ok)
    # photons per detector add up to the file's photons, exactly (integers)
    det = long[long["quantity"] == "photons_per_detector"].groupby("path")["value"].sum()
    assert det.to_dict() == {p: s.loc[p, "n_photons"] for p in det.index} and len(det) == len(ok)
    # the warnings, in order, and their count
    for p, rep in ok.items():
        w = text[(text["path"] == p) & (text["quantity"] == "warnings")].sort_values("index")["text"].tolist()
        assert w == rep["warnings"] and s.loc[p, "n_warnings"] == len(w)
    # an interval's two ends, around its value
    ci = long[long["quantity"] == "g2.g2_zero_ci"].pivot(index="path", columns="index", values="value")
    assert len(ci) > 0
    for p, (lo, hi) in ci.iterrows():
        assert lo <= s.loc[p, "g2.g2_zero"] <= hi
