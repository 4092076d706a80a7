"""The summary page (Pillow) and its PDF (the page's PNG data embedded), and the cropped PNGs."""

from __future__ import annotations

import io
import re
import zlib

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from PIL import Image  # noqa: E402

from tttr import plot  # noqa: E402
from tttr.report_page import PAGE_DPI, _png_rgb_stream, pdf_from_png, summary_page_png  # noqa: E402


def _figure(text_outside: bool = False):
    plt = plot._plt()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1, 2], [0, 1, 4], color="k")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("counts / 10 ms")
    fig.subplots_adjust(left=0.25, bottom=0.25)  # room for the labels inside the figure
    if text_outside:
        fig.text(0.97, 0.5, "across the right edge")
    return fig


def _png_pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def _unfilter(raw: bytes, width: int, height: int) -> np.ndarray:
    """The first ``height`` rows of an 8-bit RGB PNG data stream with its scanline filters undone."""
    bpp, stride = 3, 3 * width
    out = np.zeros((height, stride), np.int64)
    pos = 0
    for y in range(height):
        ftype, line = raw[pos], np.frombuffer(raw[pos + 1:pos + 1 + stride], np.uint8).astype(np.int64)
        pos += 1 + stride
        prev = out[y - 1] if y else np.zeros(stride, np.int64)
        cur = np.zeros(stride, np.int64)
        for x in range(stride):
            a = cur[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 0:
                pred = 0
            elif ftype == 1:
                pred = a
            elif ftype == 2:
                pred = b
            elif ftype == 3:
                pred = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[x] = (line[x] + pred) % 256
        out[y] = cur
    return out.reshape(height, width, 3)


def test_png_bytes_crops_to_the_content_with_a_pad():
    dpi = 100
    img = _png_pixels(plot.png_bytes(_figure(), dpi=dpi))
    full = (4 * dpi, 3 * dpi)
    assert img.shape[1] < full[0] and img.shape[0] < full[1]  # the default margins were trimmed
    pad = round(0.1 * dpi)
    ink = (img != 255).any(axis=2)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    # exactly the pad of white around the ink on every side
    assert (rows[0], cols[0]) == (pad, pad)
    assert (img.shape[0] - 1 - rows[-1], img.shape[1] - 1 - cols[-1]) == (pad, pad)


def test_png_bytes_keeps_what_reaches_beyond_the_figure():
    dpi = 100
    img = _png_pixels(plot.png_bytes(_figure(text_outside=True), dpi=dpi))
    # the text crossing the figure's edge is whole (the tight save): white margin on its right
    assert (img[:, -round(0.05 * dpi):] == 255).all()


def test_summary_page_is_a4_with_every_panel():
    pngs = {name: plot.png_bytes(_figure(), dpi=100) for name in ("trace", "flid", "decay", "g2")}
    page = _png_pixels(summary_page_png(pngs, "sample.ptu"))
    assert page.shape == (round(11.69 * PAGE_DPI), round(8.27 * PAGE_DPI), 3)
    ink_rows = (page != 255).any(axis=(1, 2))
    # three rows of panels (trace, flid, decay+g2) and the title: four separate bands of ink
    bands = np.count_nonzero(np.diff(ink_rows.astype(int)) == 1) + int(ink_rows[0])
    assert bands >= 4


def test_pdf_embeds_the_page_png_unchanged():
    pngs = {"trace": plot.png_bytes(_figure(), dpi=100)}
    page = summary_page_png(pngs, "sample (1).ptu")
    pdf = pdf_from_png(page, title="sample (1).ptu")
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    # every cross-reference entry points at its object
    xref = int(re.search(rb"startxref\n(\d+)", pdf).group(1))
    entries = re.findall(rb"(\d{10}) 00000 n", pdf[xref:])
    for i, off in enumerate(entries, start=1):
        assert pdf[int(off):].startswith(f"{i} 0 obj".encode())
    w, h, data = _png_rgb_stream(page)
    m = re.search(rb"/Width (\d+) /Height (\d+).*?/Length (\d+) >>\nstream\n", pdf, re.S)
    assert (int(m.group(1)), int(m.group(2))) == (w, h)
    stream = pdf[m.end():m.end() + int(m.group(3))]
    assert stream == data
    # what a PDF reader decodes (Flate, then the PNG predictors) is the page's pixels
    assert np.array_equal(_unfilter(zlib.decompress(stream), w, 60), _png_pixels(page)[:60])  # title rows
    # A4 at the page's resolution
    box = [float(v) for v in re.search(rb"/MediaBox \[([^\]]+)\]", pdf).group(1).split()]
    assert box[2:] == pytest.approx([8.27 * 72, 11.69 * 72], abs=0.5)


def test_pdf_from_png_refuses_what_it_cannot_embed():
    buf = io.BytesIO()
    Image.new("RGBA", (4, 4)).save(buf, format="PNG")
    with pytest.raises(ValueError, match="RGB"):
        pdf_from_png(buf.getvalue())
