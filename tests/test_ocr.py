"""Scanned pages: OCR words, boxes and confidence; mixed PDFs; OCR missing or too slow.

Scanned test PDFs are made in the tests (``make_scanned_pdf``): text drawn with reportlab,
rasterised with PDFium, and only the image kept. Each scanned page costs about a second of
OCR, so there are few of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from priorauth.extract import ocr
from priorauth.extract.ingest import ChartReadError, OcrBudget, read_chart, read_document
from priorauth.extract.ocr import Word, char_boxes, parse_tsv, span_confidence
from priorauth.extract.pdf import Box, evidence_boxes
from priorauth.models import ReviewRequest
from priorauth.review import review_chart

MakePdf = Callable[..., Path]
SAMPLE = Path(__file__).resolve().parents[1] / "sample_notes" / "01_pt_failed_pacemaker"
NOTE_LINES = (SAMPLE / "spine_followup_2026-10-02.txt").read_text().splitlines()
SPLIT = 20  # the note's first 20 lines on page 1, the rest on page 2
PAGES = [NOTE_LINES[:SPLIT], NOTE_LINES[SPLIT:]]
SHORT = ["SPINE CLINIC NOTE    Date of service: 10/02/2026", "No improvement after 8 weeks of PT"]

needs_tesseract = pytest.mark.skipif(not ocr.ocr_available(), reason="tesseract not installed")

TSV_HEADER = "\t".join(
    "level page_num block_num par_num line_num word_num left top width height conf text".split()
)


def tsv(*rows: tuple) -> str:
    return "\n".join([TSV_HEADER, *("\t".join(str(v) for v in row) for row in rows)]) + "\n"


@pytest.fixture
def no_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ocr.TESSERACT_ENV, "/nonexistent/tesseract")


# ---- TSV -> text, words, boxes (no tesseract needed) ------------------------------------------


@pytest.mark.parametrize(
    ("rows", "text", "confidence"),
    [
        pytest.param((), "", None, id="no-words"),
        pytest.param(
            ((5, 1, 1, 1, 1, 1, 300, 300, 100, 40, 90.0, "No"),
             (5, 1, 1, 1, 1, 2, 420, 300, 200, 40, 80.0, "relief")),
            "No relief",
            pytest.approx((90 * 2 + 80 * 6) / 8),
            id="one-line-length-weighted-confidence",
        ),
        pytest.param(
            ((5, 1, 1, 1, 1, 1, 300, 300, 100, 40, 90.0, "HPI:"),
             (5, 1, 2, 1, 1, 1, 300, 400, 100, 40, 90.0, "Pain")),
            "HPI:\nPain",
            90.0,
            id="new-block-new-line",
        ),
        pytest.param(
            ((4, 1, 1, 1, 1, 0, 300, 300, 900, 40, -1, ""),
             (5, 1, 1, 1, 1, 1, 300, 300, 100, 40, 95.0, "Pain"),
             (5, 1, 1, 1, 1, 2, 420, 300, 10, 40, 30.0, "_"),
             (5, 1, 1, 1, 1, 3, 440, 300, 10, 40, 40.0, "|"),
             (5, 1, 1, 1, 1, 4, 480, 300, 100, 40, 95.0, "7/10")),
            "Pain 7/10",
            95.0,
            id="line-rows-and-low-confidence-specks-dropped",
        ),
        pytest.param(
            ((5, 1, 1, 1, 1, 1, 300, 300, 100, 40, 20.0, "Paln"),),
            "Paln",
            20.0,
            id="low-confidence-word-kept",
        ),
    ],
)
def test_when_tsv_is_parsed_then_text_is_words_joined_by_spaces_and_lines(
    rows: tuple, text: str, confidence: float | None
) -> None:
    result = parse_tsv(tsv(*rows), dpi=300)

    assert result.text == text
    assert result.confidence == confidence
    for word in result.words:
        assert " " not in result.text[word.start : word.end]


def test_when_tsv_is_parsed_then_word_boxes_are_in_points() -> None:
    result = parse_tsv(tsv((5, 1, 1, 1, 1, 1, 300, 600, 150, 45, 91.5, "Pain")), dpi=300)

    (word,) = result.words
    assert (word.start, word.end, word.confidence) == (0, 4, 91.5)
    assert (word.box.x0, word.box.y0, word.box.x1, word.box.y1) == pytest.approx(
        (72, 144, 108, 154.8)
    )


def test_when_ocr_words_are_split_into_chars_then_each_letter_gets_its_share() -> None:
    words = (Word(0, 2, Box(0, 0, 20, 10), 90.0), Word(3, 4, Box(30, 0, 40, 10), 90.0))

    boxes = char_boxes("ab c", words)

    assert boxes == (Box(0, 0, 10, 10), Box(10, 0, 20, 10), None, Box(30, 0, 40, 10))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(0, 4, 95.0, id="one-word"),
        pytest.param(0, 14, 41.0, id="lowest-of-the-span"),
        pytest.param(4, 5, None, id="only-a-space"),
    ],
)
def test_when_evidence_covers_ocr_words_then_its_confidence_is_the_lowest(
    start: int, end: int, expected: float | None
) -> None:
    words = (Word(0, 4, Box(0, 0, 1, 1), 95.0), Word(5, 14, Box(0, 0, 1, 1), 41.0))

    assert span_confidence(words, start, end) == expected


# ---- scanned and mixed PDFs --------------------------------------------------------------------


@needs_tesseract
def test_when_pdf_is_scanned_then_its_page_is_read_by_ocr_with_boxes(
    make_pdf: MakePdf, make_scanned_pdf: MakePdf
) -> None:
    scan = make_scanned_pdf("scan.pdf", [SHORT])
    twin = make_pdf("twin.pdf", [SHORT])

    page = read_document(scan).pages[0]

    assert (page.number, page.ocr) == (1, True)
    assert page.text.split() == read_document(twin).pages[0].text.split()
    assert page.ocr_confidence is not None and page.ocr_confidence > 80
    start = page.text.index("8 weeks of PT")
    assert page.span_confidence(start, start + 13) > ocr.LOW_CONFIDENCE
    twin_text = read_document(twin).pages[0].text
    twin_start = twin_text.index("8 weeks of PT")
    (scanned_box,) = evidence_boxes(scan, 1, start, start + 13)
    (text_box,) = evidence_boxes(twin, 1, twin_start, twin_start + 13)
    for a, b in zip(
        (scanned_box.x0, scanned_box.y0, scanned_box.x1, scanned_box.y1),
        (text_box.x0, text_box.y0, text_box.x1, text_box.y1),
        strict=True,
    ):
        assert a == pytest.approx(b, abs=4)  # same words, same place on the page


@needs_tesseract
def test_when_pdf_mixes_text_and_scanned_pages_then_each_is_read_its_own_way(
    make_pdf: MakePdf, make_scanned_pdf: MakePdf
) -> None:
    mixed = make_scanned_pdf("mixed.pdf", [SHORT, ["Strength 5/5 bilateral LE."]],
                             scanned=[False, True])

    first, second = read_document(mixed).pages

    assert first == read_document(make_pdf("text.pdf", [SHORT])).pages[0]
    assert (first.ocr, second.ocr) == (False, True)
    assert second.text == "Strength 5/5 bilateral LE."


@needs_tesseract
def test_when_a_fax_is_scanned_in_black_and_white_then_it_is_still_read(
    make_scanned_pdf: MakePdf,
) -> None:
    fax = make_scanned_pdf("fax.pdf", [SHORT], dpi=200, bilevel=True)

    page = read_document(fax).pages[0]

    assert page.ocr
    assert "No improvement after 8 weeks of PT" in page.text


@needs_tesseract
def test_when_note_is_scanned_then_it_reviews_like_its_text_twin(
    make_pdf: MakePdf, make_scanned_pdf: MakePdf
) -> None:
    """The done-criterion of issue 5: same determination, evidence on the same pages."""
    request = ReviewRequest(**json.loads((SAMPLE / "request.json").read_text()))
    text_pdf = make_pdf("note.pdf", PAGES)
    scan_pdf = make_scanned_pdf("note_scan.pdf", PAGES)

    text_review = review_chart([text_pdf], request)
    scan_review = review_chart([scan_pdf], request)
    scan_pages = read_document(scan_pdf).pages

    assert scan_review.determination == text_review.determination
    assert scan_review.determination.value == "meets_criteria"

    def met_pages(review) -> dict[str, set[int | None]]:
        return {
            c.id: {e.page for e in c.evidence}
            for c in review.criteria
            if c.status.value == "met"
        }

    assert met_pages(scan_review) == met_pages(text_review)
    for criterion in scan_review.criteria:
        for evidence in criterion.evidence:
            page = scan_pages[evidence.page - 1]
            assert page.text[evidence.start : evidence.end] == evidence.text
            on_that_page = " ".join(evidence.text.split()) in " ".join(
                " ".join(PAGES[evidence.page - 1]).split()
            )
            assert on_that_page, (criterion.id, evidence.page, evidence.text)
            assert evidence_boxes(scan_pdf, evidence.page, evidence.start, evidence.end)


# ---- OCR missing, too slow; blank pages --------------------------------------------------------


@pytest.mark.usefixtures("no_tesseract")
@pytest.mark.parametrize(
    ("scanned", "message"),
    [
        pytest.param(
            None,
            "scan.pdf: PDF has no text layer and OCR is not available: install tesseract-ocr",
            id="image-only",
        ),
        pytest.param(
            [False, True],
            "scan.pdf: page 2 has no text layer and OCR is not available: install tesseract-ocr",
            id="mixed",
        ),
    ],
)
def test_when_tesseract_is_missing_then_scanned_pages_give_a_clear_error(
    make_scanned_pdf: MakePdf, scanned: list[bool] | None, message: str
) -> None:
    scan = make_scanned_pdf("scan.pdf", [SHORT, SHORT], scanned=scanned, dpi=100)

    with pytest.raises(ChartReadError, match="^" + re.escape(message) + "$"):
        read_document(scan)


@pytest.mark.usefixtures("no_tesseract")
def test_when_ocr_is_turned_off_then_scanned_pages_are_empty(make_scanned_pdf: MakePdf) -> None:
    scan = make_scanned_pdf("scan.pdf", [SHORT], dpi=100)

    (page,) = read_document(scan, ocr=False).pages

    assert (page.text, page.ocr) == ("", False)


@pytest.mark.usefixtures("no_tesseract")
def test_when_a_page_is_blank_then_it_is_not_ocred(tmp_path: Path, make_pdf: MakePdf) -> None:
    path = make_pdf("with_blank.pdf", [SHORT, ["placeholder"]])
    from reportlab.pdfgen import canvas

    blank = canvas.Canvas(str(path))
    for lines in (SHORT, []):
        for row, line in enumerate(lines):
            blank.drawString(72, 750 - 14 * row, line)
        blank.showPage()
    blank.save()

    pages = read_document(path).pages

    assert [(page.text, page.ocr) for page in pages][1] == ("", False)


@needs_tesseract
def test_when_the_ocr_budget_is_spent_then_unread_pages_are_listed_not_silent(
    make_scanned_pdf: MakePdf,
) -> None:
    scan = make_scanned_pdf("slow.pdf", [SHORT, SHORT], dpi=100)

    document = read_document(scan, ocr_timeout=0.05)

    assert document.unread == (1, 2)
    assert document.unread_reason == "OCR budget of 0.05 s spent"
    assert [page.text for page in document.pages] == ["", ""]
    with pytest.raises(
        ChartReadError,
        match=r"^chart has no readable text: slow\.pdf \(no scanned page was read: OCR budget "
        r"of 0\.05 s spent\)$",
    ):
        read_chart([scan], ocr_timeout=0.05)


@needs_tesseract
def test_when_the_ocr_page_budget_is_spent_then_later_pages_are_not_read(
    make_scanned_pdf: MakePdf,
) -> None:
    scan = make_scanned_pdf("long.pdf", [SHORT, SHORT, SHORT], dpi=100)

    (document,) = read_chart([scan], ocr_budget=OcrBudget(seconds=120, pages=1))

    assert document.unread == (2, 3)
    assert document.unread_reason == "OCR budget of 1 page spent"
    assert document.pages[0].ocr and "weeks" in document.pages[0].text


@needs_tesseract
def test_when_tesseract_lacks_the_language_then_the_error_says_what_to_install(
    make_scanned_pdf: MakePdf,
) -> None:
    scan = make_scanned_pdf("scan.pdf", [SHORT], dpi=100)

    with pytest.raises(
        ChartReadError,
        match=r"^scan\.pdf: PDF has no text layer and OCR is not available: tesseract has no "
        r"'xyz' language data; install tesseract-ocr-xyz$",
    ):
        read_document(scan, ocr_lang="xyz")


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("No.home exercise program.", "No home exercise program."),
        ("Pt has not had any. physical therapy", "Pt has not had any  physical therapy"),
        ("XR unremarkable. .No prior CT or MRI.", "XR unremarkable.  No prior CT or MRI."),
        # counterexamples: real periods and abbreviations stay
        ("approx. three weeks", "approx. three weeks"),
        ("Dr. smith saw him", "Dr. smith saw him"),
        ("e.g. ibuprofen b.i.d. dosing", "e.g. ibuprofen b.i.d. dosing"),
        ("Pain 5/10. Walking helps.", "Pain 5/10. Walking helps."),
        ("No PT.\nnext line", "No PT.\nnext line"),
        ("Dexamethasone .5 mg daily", "Dexamethasone .5 mg daily"),
    ],
)
def test_specks_read_as_periods_do_not_break_clauses(text, want):
    from priorauth.extract.ocr import drop_stray_periods

    assert drop_stray_periods(text) == want
    assert len(drop_stray_periods(text)) == len(text)


def test_ruling_lines_are_found_and_painted_white():
    from PIL import Image, ImageDraw

    from priorauth.extract.ocr import remove_rules

    image = Image.new("L", (600, 400), 255)
    draw = ImageDraw.Draw(image)
    draw.line((50, 100, 550, 100), fill=0, width=3)  # a table rule
    draw.line((300, 50, 300, 350), fill=0, width=2)
    draw.text((60, 120), "8/1/26  HEP", fill=0)  # letters are no rule
    cleaned, region = remove_rules(image, dpi=150)
    assert region is not None
    assert cleaned.getpixel((200, 100)) == 255 and cleaned.getpixel((300, 200)) == 255
    assert min(cleaned.crop((60, 120, 120, 135)).getdata()) < 128  # the text is still there
    plain = Image.new("L", (600, 400), 255)
    ImageDraw.Draw(plain).text((60, 120), "no lines here", fill=0)
    assert remove_rules(plain, dpi=150) == (plain, None)
