"""Text layers with character boxes: both engines, offsets, highlight boxes, page images."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from priorauth.extract.ingest import ChartReadError, read_document
from priorauth.extract.pdf import (
    ENGINES,
    Box,
    char_boxes,
    evidence_boxes,
    get_engine,
    merge_boxes,
    page_image,
    page_size,
)

MakePdf = Callable[..., Path]
SAMPLES = Path(__file__).resolve().parents[1] / "sample_notes"
SAMPLE_PDFS = sorted(SAMPLES.glob("*/*.pdf"))
A4_HEIGHT = 841.89
LINES = [
    "SPINE CLINIC NOTE    Date of service: 10/02/2026",
    "Pain radiates to the left calf since June.",
    "No improvement after 8 weeks of PT",
]


def _ink(png: bytes, box: Box, scale: float) -> int:
    """Dark pixels of a rendered page inside ``box``."""
    image = Image.open(io.BytesIO(png)).convert("L")
    crop = image.crop(
        (int(box.x0 * scale), int(box.y0 * scale), int(box.x1 * scale) + 1, int(box.y1 * scale) + 1)
    )
    return sum(crop.histogram()[:128])


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_when_page_boxes_are_read_then_the_text_is_the_review_text(
    make_pdf: MakePdf, engine: str
) -> None:
    path = make_pdf("chart.pdf", [LINES, ["Plan: CT lumbar spine"]])
    document = read_document(path, engine=engine)

    for page in document.pages:
        text, boxes = char_boxes(path, page.number, engine=engine)

        assert text == page.text
        assert len(boxes) == len(text)
        assert all((box is None) == char.isspace() for char, box in zip(text, boxes, strict=True))


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=p.parent.name) for p in SAMPLE_PDFS] + ["generated"]
)
def test_when_both_engines_read_a_test_pdf_then_texts_and_boxes_agree(
    make_pdf: MakePdf, path: Path | str
) -> None:
    """Same characters in the same places; only white space may differ (pdfplumber drops
    the blanks a line starts with, PDFium keeps them)."""
    if path == "generated":
        path = make_pdf("chart.pdf", [LINES, ["Plan: CT lumbar spine", "Strength 5/5"]])
    pdfium_pages = read_document(path, engine="pdfium").pages
    plumber_pages = read_document(path, engine="pdfplumber").pages

    assert [p.text.split() for p in plumber_pages] == [p.text.split() for p in pdfium_pages]
    for page in pdfium_pages:
        fast = _visible_boxes(*char_boxes(path, page.number, engine="pdfium"))
        slow = _visible_boxes(*char_boxes(path, page.number, engine="pdfplumber"))
        assert len(fast) == len(slow) > 0
        for a, b in zip(fast, slow, strict=True):  # same place within 2.5 points
            assert max(abs(a.x0 - b.x0), abs(a.x1 - b.x1)) < 2.5
            assert max(abs(a.y0 - b.y0), abs(a.y1 - b.y1)) < 2.5


def _visible_boxes(text: str, boxes: tuple[Box | None, ...]) -> list[Box | None]:
    return [box for char, box in zip(text, boxes, strict=True) if not char.isspace()]


def test_when_text_pdf_is_read_then_offsets_are_those_of_the_raw_text_normalised(
    make_pdf: MakePdf,
) -> None:
    path = make_pdf("chart.pdf", [LINES])
    with pdfium.PdfDocument(path) as pdf:  # what ingest has always returned
        raw = pdf[0].get_textpage().get_text_range()

    text = read_document(path).pages[0].text

    assert "\r\n" in raw
    assert text == raw.replace("\r\n", "\n")


def test_when_evidence_spans_two_lines_then_it_gets_one_box_per_line(make_pdf: MakePdf) -> None:
    path = make_pdf("chart.pdf", [LINES])
    text = read_document(path).pages[0].text
    start = text.index("left calf")
    end = text.index("8 weeks") + len("8 weeks")

    first, second = evidence_boxes(path, 1, start, end)

    # reportlab's baselines are 736 and 722 points above the bottom of an A4 page
    assert first.y0 < A4_HEIGHT - 736 < first.y1
    assert second.y0 < A4_HEIGHT - 722 < second.y1
    assert first.y1 <= second.y0 + 1
    assert second.x0 == pytest.approx(72, abs=1)


def test_when_evidence_is_after_a_line_break_then_its_box_starts_at_its_first_letter(
    make_pdf: MakePdf,
) -> None:
    """Offsets past each \\r\\n that was normalised still find the right characters."""
    path = make_pdf("chart.pdf", [LINES])
    text = read_document(path).pages[0].text
    start = text.index("No improvement")

    (word,) = evidence_boxes(path, 1, start, start + 2)
    (line,) = evidence_boxes(path, 1, start, start + len("No improvement after 8 weeks of PT"))

    assert word.x0 == pytest.approx(72, abs=1)
    assert 10 < word.x1 - word.x0 < 25  # "No" in 12 pt Helvetica
    assert line.x1 - line.x0 > 150


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_when_page_is_rotated_then_boxes_cover_the_ink_of_the_quote(
    tmp_path: Path, make_pdf: MakePdf, rotation: int
) -> None:
    source = make_pdf("page.pdf", [["Heading", *[""] * 20, "Target words here"]])
    with pdfium.PdfDocument(source) as pdf:
        pdf[0].set_rotation(rotation)
        pdf.save(tmp_path / "rotated.pdf")
    path = tmp_path / "rotated.pdf"
    text = read_document(path).pages[0].text
    start = text.index("Target")

    (box,) = evidence_boxes(path, 1, start, start + len("Target words here"))
    png = page_image(path, 1, scale=1.0)

    width, height = page_size(path, 1)
    assert (width > height) == (rotation in (90, 270))
    image_width, image_height = Image.open(io.BytesIO(png)).size
    assert abs(image_width - width) <= 1 and abs(image_height - height) <= 1
    assert (box.x1 - box.x0 > box.y1 - box.y0) == (rotation in (0, 180))
    total = _ink(png, Box(0, 0, width, height), 1.0)
    assert 0.6 * total < _ink(png, box, 1.0) <= total  # most ink is the quote, not "Heading"


def test_when_page_image_is_scaled_then_pixels_are_points_times_scale(make_pdf: MakePdf) -> None:
    path = make_pdf("chart.pdf", [LINES])

    image = Image.open(io.BytesIO(page_image(path, 1, scale=2.0)))

    assert image.format == "PNG"
    assert abs(image.size[0] - 595.28 * 2) <= 1 and abs(image.size[1] - A4_HEIGHT * 2) <= 1


def test_when_read_then_each_pdf_page_knows_its_size(make_pdf: MakePdf) -> None:
    path = make_pdf("chart.pdf", [LINES])

    page = read_document(path).pages[0]

    assert page.size == pytest.approx(page_size(path, 1))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        pytest.param(
            lambda p: evidence_boxes(p, 3, 0, 1),
            ValueError,
            "chart.pdf: no page 3; the PDF has 1 pages",
            id="no-such-page",
        ),
        pytest.param(
            lambda p: evidence_boxes(p, 1, 5, 10_000),
            ValueError,
            "offsets 5:10000 are outside page 1, whose text has",
            id="offsets-outside-page",
        ),
        pytest.param(
            lambda p: page_image(p, 1, scale=50),
            ValueError,
            "scale must be between 0.1 and 8 pixels per point, not 50",
            id="scale-too-large",
        ),
        pytest.param(
            lambda p: char_boxes(p, 1, engine="ocrmypdf"),
            ValueError,
            "unknown PDF text engine 'ocrmypdf'; possible values are: pdfium, pdfplumber",
            id="unknown-engine",
        ),
        pytest.param(
            lambda p: page_size(p.with_name("note.txt"), 1),
            ChartReadError,
            "note.txt: not a PDF file (its content has no %PDF header)",
            id="text-file",
        ),
    ],
)
def test_when_page_api_is_misused_then_the_error_says_what_is_allowed(
    make_pdf: MakePdf, call, error: type[Exception], message: str
) -> None:
    path = make_pdf("chart.pdf", [LINES])
    path.with_name("note.txt").write_text("a note")

    with pytest.raises(error, match="^" + re.escape(message)):
        call(path)


@pytest.mark.parametrize(
    ("boxes", "expected"),
    [
        pytest.param([], [], id="nothing"),
        pytest.param([None, None], [], id="only-spaces"),
        pytest.param(
            [Box(0, 0, 5, 10), None, Box(8, 0, 12, 10)], [Box(0, 0, 12, 10)], id="one-line"
        ),
        pytest.param(
            [Box(50, 0, 55, 10), Box(0, 14, 5, 24)],
            [Box(50, 0, 55, 10), Box(0, 14, 5, 24)],
            id="next-line",
        ),
        pytest.param(
            [Box(0, 0, 10, 5), Box(0, 5, 10, 10), Box(0, 10, 10, 15)],
            [Box(0, 0, 10, 15)],
            id="rotated-text-runs-down",
        ),
        pytest.param(
            [Box(0, 0, 5, 10), Box(300, 0, 305, 10)],
            [Box(0, 0, 5, 10), Box(300, 0, 305, 10)],
            id="two-columns",
        ),
    ],
)
def test_when_char_boxes_are_merged_then_each_line_is_one_box(
    boxes: list[Box | None], expected: list[Box]
) -> None:
    assert merge_boxes(boxes) == expected


def test_when_engine_name_is_known_then_it_is_found() -> None:
    assert [get_engine(name).name for name in ("pdfium", "pdfplumber")] == ["pdfium", "pdfplumber"]


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_when_every_page_is_read_in_one_pass_then_it_equals_page_by_page(
    make_pdf: MakePdf, engine: str
) -> None:
    from priorauth.extract import ingest

    path = make_pdf("chart.pdf", [LINES, ["Plan: CT lumbar spine"]])
    name, data, _ = ingest.read_pdf_bytes(path)
    implementation = get_engine(engine)

    with ingest.open_pdf(data, name) as pdf:
        whole = implementation.document_chars(pdf, data)
        single = [implementation.page_chars(pdf, data, index) for index in range(2)]

    assert whole == single
    assert [text for text, _ in whole] == implementation_texts(path, engine)


def implementation_texts(path: Path, engine: str) -> list[str]:
    return [page.text for page in read_document(path, engine=engine).pages]
