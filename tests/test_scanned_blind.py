"""A scanned copy of a chart reviews like its text (issue 10): blind dev charts of three
determinations, each document rendered as a 200-dpi black-and-white fax (no text layer) and
read back by OCR."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from priorauth.extract import ocr
from priorauth.models import ReviewRequest
from priorauth.review import review_chart

needs_tesseract = pytest.mark.skipif(not ocr.ocr_available(), reason="tesseract not installed")

DEV = Path(__file__).resolve().parents[1] / "sample_notes" / "blind" / "dev"
CHARTS = ["w4_026_loop_recorder_addendum", "w5_016_l5_radic_pacemaker", "w2_002_uc_prefers_ct"]
LINES_PER_PAGE = 52


def pages_of(text: str) -> list[list[str]]:
    lines: list[str] = []
    for line in text.splitlines():
        lines.extend(textwrap.wrap(line, 92) or [""])
    return [lines[i:i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]]


@needs_tesseract
@pytest.mark.parametrize("name", CHARTS)
def test_scanned_chart_gives_the_text_determination(name, make_scanned_pdf):
    folder = DEV / name
    request = ReviewRequest(**json.loads((folder / "request.json").read_text()))
    texts = sorted(folder.glob("*.txt"))
    scans = [make_scanned_pdf(f"{p.stem}.pdf", pages_of(p.read_text("utf-8")), dpi=200,
                              bilevel=True) for p in texts]
    text_review = review_chart(texts, request)
    scan_review = review_chart(scans, request)
    gold = json.loads((folder / "expected.json").read_text())["determination"]
    assert text_review.determination.value == gold
    assert scan_review.determination == text_review.determination
