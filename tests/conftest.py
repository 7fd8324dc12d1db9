"""Shared test fixtures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas


def _write_pdf(path: Path, pages: Sequence[Sequence[str]], **canvas_options: object) -> Path:
    pdf = canvas.Canvas(str(path), **canvas_options)
    for lines in pages:
        if not lines:  # a page with no text layer, like a scan: draw a shape only
            pdf.rect(100, 100, 200, 300, fill=1)
        for row, line in enumerate(lines):
            pdf.drawString(72, 750 - 14 * row, line)
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
