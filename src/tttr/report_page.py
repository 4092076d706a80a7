"""One file's summary page (A4, PNG and PDF) put together from the figures already rendered.

The report's figures are drawn once, as PNG (:func:`tttr.report_io.write_report`); the page
places those images on an A4 sheet with Pillow, and the PDF holds the page's PNG data as it
is (one image, no second rendering, no re-compression).
"""

from __future__ import annotations

import io
import struct

__all__ = ["summary_page_png", "pdf_from_png", "PAGE_DPI"]

#: resolution of the summary page (A4 at this many pixels per inch)
PAGE_DPI = 150
_A4_IN = (8.27, 11.69)
#: panel rows from the top; a row's panels share its width
_LAYOUT = (("trace",), ("flid",), ("decay", "g2"), ("dwell", "mandel_q"))


def _title_font(size_px: int):
    """matplotlib's default sans-serif font at ``size_px`` (Pillow's own font when unavailable)."""
    from PIL import ImageFont

    try:
        from matplotlib import font_manager

        return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size_px)
    except (OSError, ValueError, ImportError):
        return ImageFont.load_default()


def summary_page_png(images: dict, title: str, *, dpi: int = PAGE_DPI) -> bytes:
    """The summary page as PNG bytes: ``images`` (``name -> PNG bytes``) placed in rows on A4.

    Parameters
    ----------
    images : dict
        ``name -> PNG bytes`` of the report's figures; the names of ``_LAYOUT`` are placed,
        others are left out (as on the page drawn by :func:`tttr.plot.summary_figure`).
    title : str
        Printed at the top (the file name).
    dpi : int
        Pixels per inch of the page.

    Notes
    -----
    Each row gets the height its panels need at the full width (panels of a row share the
    width equally); when the rows do not fit the page, all are scaled down by one factor, so
    that no panel is cropped or distorted. Panels are resampled with a Lanczos filter,
    centred in their cells. The page is RGB (no alpha), which :func:`pdf_from_png` requires.
    """
    from PIL import Image, ImageDraw

    width, height = round(_A4_IN[0] * dpi), round(_A4_IN[1] * dpi)
    margin, gap, title_h = round(0.08 * dpi), round(0.06 * dpi), round(0.3 * dpi)
    panels = {n: Image.open(io.BytesIO(b)).convert("RGB") for n, b in images.items()}
    rows = [[n for n in row if n in panels] for row in _LAYOUT]
    rows = [r for r in rows if r]
    inner_w = width - 2 * margin
    cell_w = {i: (inner_w - gap * (len(r) - 1)) / len(r) for i, r in enumerate(rows)}
    natural = [max(panels[n].height * cell_w[i] / panels[n].width for n in r) for i, r in enumerate(rows)]
    avail = height - title_h - margin - gap * max(len(rows) - 1, 0)
    scale = min(1.0, avail / sum(natural)) if natural else 1.0
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    draw.text((width / 2, title_h / 2), title, fill="black", font=_title_font(round(9 / 72 * dpi)), anchor="mm")
    y = float(title_h)
    for i, r in enumerate(rows):
        row_h = natural[i] * scale
        cw = cell_w[i] * scale
        x = margin + (inner_w - (cw * len(r) + gap * (len(r) - 1))) / 2
        for n in r:
            im = panels[n]
            f = min(cw / im.width, row_h / im.height)
            size = (max(1, round(im.width * f)), max(1, round(im.height * f)))
            page.paste(im.resize(size, Image.Resampling.LANCZOS),
                       (round(x + (cw - size[0]) / 2), round(y + (row_h - size[1]) / 2)))
            x += cw + gap
        y += row_h + gap
    buf = io.BytesIO()
    page.save(buf, format="PNG", dpi=(dpi, dpi))
    return buf.getvalue()


def _png_rgb_stream(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and the concatenated IDAT data of an 8-bit RGB, non-interlaced PNG."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(png):
        (n,) = struct.unpack(">I", png[pos:pos + 4])
        kind, data = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            idat.append(data)
        elif kind == b"IEND":
            break
        pos += 12 + n
    if header is None or header[2:5] != (8, 2, 0) or header[6] != 0:
        raise ValueError("PNG is not 8-bit RGB without interlacing")
    return header[0], header[1], b"".join(idat)


def pdf_from_png(png: bytes, *, dpi: int = PAGE_DPI, title: str = "") -> bytes:
    """A one-page PDF showing the PNG ``png`` (8-bit RGB) at ``dpi``, its data embedded as is.

    Notes
    -----
    A PNG's image data is a zlib stream of scanlines, each prefixed by its filter type,
    which is exactly what a PDF ``FlateDecode`` filter with ``/Predictor 15`` decodes; so
    the page's PNG goes into the PDF without decoding or compressing it again (lossless,
    no JPEG). The page size is the image size at ``dpi``.
    """
    w, h, data = _png_rgb_stream(png)
    pw, ph = w * 72.0 / dpi, h * 72.0 / dpi
    content = f"q {pw:.2f} 0 0 {ph:.2f} 0 0 cm /Im0 Do Q".encode()
    safe = title.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1", "replace")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {pw:.2f} {ph:.2f}] "
         f"/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>").encode(),
        (f"<< /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceRGB "
         f"/BitsPerComponent 8 /Filter /FlateDecode /DecodeParms << /Predictor 15 /Colors 3 "
         f"/BitsPerComponent 8 /Columns {w} >> /Length {len(data)} >>\nstream\n").encode() + data
        + b"\nendstream",
        f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream",
        b"<< /Title (" + safe + b") /Producer (tttr) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R /Info {len(objs)} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)

