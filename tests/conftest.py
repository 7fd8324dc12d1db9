"""Shared test fixtures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas


def _draw_lines(pdf, lines: Sequence[str]) -> None:
    """One text line every 14 points from the top, as every test PDF lays them out."""
    for row, line in enumerate(lines):
        pdf.drawString(72, 750 - 14 * row, line)


def _write_pdf(path: Path, pages: Sequence[Sequence[str]], **canvas_options: object) -> Path:
    pdf = canvas.Canvas(str(path), **canvas_options)
    for lines in pages:
        if not lines:  # a page with no text layer, like a scan: draw a shape only
            pdf.rect(100, 100, 200, 300, fill=1)
        _draw_lines(pdf, lines)
        pdf.showPage()
    pdf.save()
    return path


@pytest.fixture
def make_pdf(tmp_path: Path) -> Callable[..., Path]:
    """Write a real PDF into ``tmp_path``: ``make_pdf("a.pdf", [["page 1 line"], []])``.

    Each page is a list of text lines; an empty list makes an image-only page (no text layer).
    Keyword options go to ``reportlab.pdfgen.canvas.Canvas`` (e.g. ``encrypt="secret"``).
    """

    def make(name: str, pages: Sequence[Sequence[str]], **canvas_options: object) -> Path:
        return _write_pdf(tmp_path / name, pages, **canvas_options)

    return make


def _scan_image(lines: Sequence[str], *, dpi: int, bilevel: bool):
    """A page of ``lines`` as a scanner would see it: text drawn, then rasterised at ``dpi``."""
    from faxes import fax_image

    image = fax_image(lines, dpi=dpi, font_size=None, bilevel=bilevel)
    return image.convert("1") if bilevel else image


def _write_scanned_pdf(
    path: Path,
    pages: Sequence[Sequence[str]],
    *,
    scanned: Sequence[bool] | None = None,
    dpi: int = 300,
    bilevel: bool = False,
    turned: Sequence[int] | None = None,
) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader

    pdf = canvas.Canvas(str(path), pagesize=A4)
    for index, lines in enumerate(pages):
        turn = turned[index] if turned else 0
        size = (A4[1], A4[0]) if turn in (90, 270) else A4
        pdf.setPageSize(size)
        if scanned is None or scanned[index]:
            image = _scan_image(lines, dpi=dpi, bilevel=bilevel)
            if turn:  # fed into the scanner turned: counter-clockwise by ``turn`` degrees
                image = image.convert("L").rotate(turn, expand=True, fillcolor=255)
            pdf.drawImage(ImageReader(image.convert("L")), 0, 0, *size)
        else:
            _draw_lines(pdf, lines)
        pdf.showPage()
    pdf.save()
    return path


@pytest.fixture
def make_scanned_pdf(tmp_path: Path) -> Callable[..., Path]:
    """Write a scanned PDF into ``tmp_path``: each page's lines are drawn as text, rasterised
    (``dpi``, grey or ``bilevel`` like a fax) and only the image is kept, so the page has no
    text layer. ``scanned=[True, False]`` keeps a text layer on the pages marked ``False``
    (a mixed PDF). Pages are A4, like :func:`make_pdf`'s, and lines sit at the same places.
    ``turned=[0, 180, 90]`` feeds page 2 upside down and page 3 sideways (turned
    counter-clockwise; a sideways page is a landscape page).
    """

    def make(
        name: str,
        pages: Sequence[Sequence[str]],
        *,
        scanned: Sequence[bool] | None = None,
        dpi: int = 300,
        bilevel: bool = False,
        turned: Sequence[int] | None = None,
    ) -> Path:
        return _write_scanned_pdf(
            tmp_path / name, pages, scanned=scanned, dpi=dpi, bilevel=bilevel, turned=turned
        )

    return make


@pytest.fixture(scope="session")
def postgres_admin_url():
    """A real PostgreSQL server for the session (see tests/postgres.py)."""
    from postgres import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_admin_url) -> str:
    """An empty PostgreSQL database of its own for one test."""
    from postgres import fresh_database

    return fresh_database(postgres_admin_url)


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium for the real-browser tests (one per test module)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    from browser import chromium

    with chromium(playwright_api) as launched:
        yield launched
