"""Every sample chart, faxed, reviews like its text (issue 14).

Each document is rendered as a 200-dpi black-and-white fax with a transmission header and
speckle (``tests/faxes.py``), every second page of the chart fed upside down, and read back by
OCR. The determination must equal the text's. ``benchmarks/scanned_samples.py`` prints the same
comparison with OCR figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from faxes import pages_of, write_fax_pdf

from priorauth.extract import ocr
from priorauth.extract.ingest import read_chart
from priorauth.models import ReviewRequest
from priorauth.review import review_chart

SAMPLES = Path(__file__).resolve().parents[1] / "sample_notes"
CHARTS = sorted(p.parent.name for p in SAMPLES.glob("*/expected.json"))


@pytest.mark.skipif(not ocr.ocr_available(), reason="tesseract not installed")
@pytest.mark.parametrize("name", CHARTS)
def test_a_faxed_sample_chart_gives_the_determination_of_its_text(name, tmp_path):
    folder = SAMPLES / name
    request = ReviewRequest(**json.loads((folder / "request.json").read_text()))
    documents = sorted([*folder.glob("*.txt"), *folder.glob("*.pdf")])
    faxes = []
    page_index = 0
    for k, path in enumerate(documents):
        pages = [lines for page in read_chart([path])[0].pages for lines in pages_of(page.text)]
        turned = [180 if (page_index + i) % 2 else 0 for i in range(len(pages))]
        page_index += len(pages)
        faxes.append(write_fax_pdf(tmp_path / f"{path.stem}.fax.pdf", pages, turned=turned,
                                   seed=k))
    text_review = review_chart(documents, request)
    fax_review = review_chart(faxes, request)
    assert fax_review.determination == text_review.determination
    if page_index > 1:  # a page was fed upside down: it was turned back, and said so
        assert any(a.kind.value == "rotated_page" for a in fax_review.alerts)
