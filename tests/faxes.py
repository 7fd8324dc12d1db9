"""Charts as a payer's fax machine delivers them: text drawn on A4, rasterised at fax
resolution, black and white, with a transmission header, speckle and a little skew, in an
image-only PDF. Deterministic: the same arguments give the same bytes.

Used by the tests (``tests/test_packet.py``, ``tests/test_scanned_samples.py``) and by
``benchmarks/scanned_samples.py``.
"""

from __future__ import annotations

import io
import random
import textwrap
from collections.abc import Sequence
from pathlib import Path

LINES_PER_PAGE = 52
WRAP = 92


def pages_of(text: str, *, lines_per_page: int = LINES_PER_PAGE) -> list[list[str]]:
    """A text document as pages of lines, wrapped as a printer would."""
    lines: list[str] = []
    for line in text.splitlines():
        lines.extend(textwrap.wrap(line, WRAP) or [""])
    return [lines[i:i + lines_per_page] for i in range(0, len(lines), lines_per_page)] or [[]]


def fax_image(lines: Sequence[str], *, dpi: int = 200, header: str | None = None,
              speckle: float = 0.0, skew: float = 0.0, turn: int = 0, seed: int = 0,
              font_size: float | None = 10, bilevel: bool = True):
    """One page as a fax: ``lines`` drawn, rasterised at ``dpi``, thresholded to black and
    white (grey with ``bilevel=False``); ``speckle`` is the share of pixels flipped to black,
    ``skew`` degrees of tilt, ``turn`` degrees counter-clockwise the sheet was fed (90 and 270
    give a landscape image); ``font_size=None`` keeps reportlab's default font.
    """
    import pypdfium2 as pdfium
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    source = canvas.Canvas(buffer)
    if header:
        source.setFont("Courier", 8)
        source.drawString(36, 820, header)
    if font_size is not None:
        source.setFont("Helvetica", font_size)
    for row, line in enumerate(lines):
        source.drawString(72, 750 - 14 * row, line)
    source.showPage()
    source.save()
    pdf = pdfium.PdfDocument(buffer.getvalue())
    try:
        image = pdf[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        pdf.close()
    if skew:
        image = image.rotate(skew, expand=False, fillcolor=255)
    if bilevel:
        image = image.point(lambda v: 255 if v > 160 else 0)
    if speckle:
        rng = random.Random(seed)
        pixels = image.load()
        count = int(image.width * image.height * speckle)
        for _ in range(count):
            pixels[rng.randrange(image.width), rng.randrange(image.height)] = 0
    if turn:
        image = image.rotate(turn, expand=True, fillcolor=255)
    return image


def write_fax_pdf(path: Path, pages: Sequence[Sequence[str]], *, dpi: int = 200,
                  sender: str | None = "LAKESIDE SPINE  555-0134", speckle: float = 0.0005,
                  skew: float = 0.0, turned: Sequence[int] | None = None,
                  seed: int = 0) -> Path:
    """An image-only PDF of ``pages`` as received by fax (one header line per page)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    total = len(pages)
    for index, lines in enumerate(pages):
        turn = turned[index] if turned else 0
        size = (A4[1], A4[0]) if turn in (90, 270) else A4
        pdf.setPageSize(size)
        header = (f"10/13/2026 14:{index:02d} FAX {sender}  PAGE {index + 1}/{total}"
                  if sender else None)
        image = fax_image(lines, dpi=dpi, header=header, speckle=speckle, skew=skew,
                          turn=turn, seed=seed + index)
        pdf.drawImage(ImageReader(image), 0, 0, *size)
        pdf.showPage()
    pdf.save()
    return path


def write_fax_tiff(path: Path, pages: Sequence[Sequence[str]], *, dpi: int = 200,
                   sender: str | None = "LAKESIDE SPINE  555-0134", speckle: float = 0.0005,
                   seed: int = 0) -> Path:
    """A multi-page black-and-white TIFF (CCITT group 4) of ``pages``, as a fax server
    stores what it received: one frame per page, one header line per page."""
    total = len(pages)
    frames = []
    for index, lines in enumerate(pages):
        header = (f"10/13/2026 14:{index:02d} FAX {sender}  PAGE {index + 1}/{total}"
                  if sender else None)
        frames.append(fax_image(lines, dpi=dpi, header=header, speckle=speckle,
                                seed=seed + index).convert("1"))
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="group4",
                   dpi=(dpi, dpi))
    return path
