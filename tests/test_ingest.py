"""Tests for priorauth.extract.ingest, all on real files written into tmp_path."""

from __future__ import annotations

import io
import json
import random
import re
import time
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

from priorauth.extract.ingest import ChartReadError, Document, Page, read_chart, read_document

CHART_TEXT = "Jane Roe reports low back pain"
PT_LINE = "No improvement after 8 weeks of PT"

MakePdf = Callable[..., Path]


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def make_directory(path: Path) -> Path:
    path.mkdir()
    return path


def truncated_pdf(tmp_path: Path, make_pdf: MakePdf) -> Path:
    whole = make_pdf("whole.pdf", [[CHART_TEXT], [PT_LINE]]).read_bytes()
    return write_bytes(tmp_path / "cut.pdf", whole[: len(whole) // 2])


def zero_page_pdf(tmp_path: Path, make_pdf: MakePdf) -> Path:
    buffer = io.BytesIO()
    empty = pdfium.PdfDocument.new()
    try:
        empty.save(buffer)
    finally:
        empty.close()
    return write_bytes(tmp_path / "blank.pdf", buffer.getvalue())


# builder(tmp_path, make_pdf) -> path, read_document options, literal start of the message
UNREADABLE_FILES = [
    pytest.param(
        lambda tmp, make: make("locked.pdf", [[CHART_TEXT]], encrypt="secret"),
        {},
        "locked.pdf: PDF is encrypted (password protected); remove the password and try again",
        id="encrypted-pdf",
    ),
    pytest.param(
        truncated_pdf,
        {},
        "cut.pdf: PDF is damaged or truncated and cannot be read",
        id="truncated-pdf",
    ),
    pytest.param(
        lambda tmp, make: write_bytes(tmp / "note.pdf", CHART_TEXT.encode()),
        {},
        "note.pdf: not a PDF file (its content has no %PDF header)",
        id="text-renamed-pdf",
    ),
    pytest.param(
        zero_page_pdf,
        {},
        "blank.pdf: PDF has no pages",
        id="pdf-without-pages",
    ),
    pytest.param(
        lambda tmp, make: make("long.pdf", [[CHART_TEXT]] * 3),
        {"max_pages": 2},
        "long.pdf: PDF has 3 pages, more than the limit of 2; split it into smaller files",
        id="pdf-over-page-limit",
    ),
    pytest.param(
        lambda tmp, make: write_bytes(tmp / "empty.txt", b""),
        {},
        "empty.txt: file is empty",
        id="empty-txt",
    ),
    pytest.param(
        lambda tmp, make: write_bytes(tmp / "blank.txt", b" \r\n\t\n  "),
        {},
        "blank.txt: file is empty",
        id="whitespace-only-txt",
    ),
    pytest.param(
        lambda tmp, make: write_bytes(tmp / "nul.txt", b"\x00\x00\n"),
        {},
        "nul.txt: file is empty",
        id="nul-only-txt",
    ),
    pytest.param(
        lambda tmp, make: write_bytes(tmp / "empty.pdf", b""),
        {},
        "empty.pdf: file is empty",
        id="empty-pdf",
    ),
    pytest.param(
        lambda tmp, make: tmp / "missing.txt",
        {},
        "missing.txt: file not found",
        id="missing-file",
    ),
    pytest.param(
        lambda tmp, make: make_directory(tmp / "notes"),
        {},
        "notes: is a directory, not a regular file",
        id="directory",
    ),
    pytest.param(
        lambda tmp, make: write_bytes(tmp / "letter.docx", CHART_TEXT.encode()),
        {},
        "letter.docx: unsupported file type '.docx'; accepted are plain-text notes "
        "(.txt, .text or no extension), PDF files or TIFF faxes",
        id="unsupported-extension",
    ),
    pytest.param(
        lambda tmp, make: write_bytes(tmp / "big.txt", CHART_TEXT.encode()),
        {"max_bytes": 10},
        "big.txt: file is too large (30 bytes; the limit is 10 bytes); split it into smaller files",
        id="txt-over-size-limit",
    ),
]


@pytest.mark.parametrize(("build", "options", "message"), UNREADABLE_FILES)
def test_when_file_cannot_be_read_then_error_names_the_file_and_says_why(
    tmp_path: Path, make_pdf: MakePdf, build, options: dict, message: str
) -> None:
    path = build(tmp_path, make_pdf)

    with pytest.raises(ChartReadError, match="^" + re.escape(message)) as caught:
        read_document(path, **options)

    error = str(caught.value)
    assert error.startswith(f"{path.name}: ")
    assert str(tmp_path) not in error
    assert "Jane" not in error
    assert "\n" not in error


def test_when_pdf_is_encrypted_then_read_chart_error_names_the_file(make_pdf: MakePdf) -> None:
    locked = make_pdf("note2.pdf", [[CHART_TEXT]], encrypt="secret")

    with pytest.raises(ChartReadError, match=r"^note2\.pdf: PDF is encrypted") as caught:
        read_chart([locked])

    assert "Jane" not in str(caught.value)


def test_when_pdf_has_two_text_pages_then_pages_are_numbered_from_one(
    make_pdf: MakePdf,
) -> None:
    path = make_pdf("chart.pdf", [[CHART_TEXT, "second line"], [PT_LINE]])

    document = read_document(path)

    assert document.name == "chart.pdf"
    assert document.kind == "pdf"
    assert [page.number for page in document.pages] == [1, 2]
    assert PT_LINE in document.pages[1].text
    assert PT_LINE not in document.pages[0].text


def test_when_text_is_found_in_a_pdf_page_then_its_offsets_slice_it_back(
    make_pdf: MakePdf,
) -> None:
    path = make_pdf("chart.pdf", [[CHART_TEXT], ["Plan: CT lumbar spine", PT_LINE]])
    page = read_document(path).pages[1]

    start = page.text.index("8 weeks of PT")
    end = start + len("8 weeks of PT")

    assert page.text[start:end] == "8 weeks of PT"


def test_when_pdf_lines_end_in_crlf_then_newlines_are_normalised(make_pdf: MakePdf) -> None:
    path = make_pdf("chart.pdf", [[CHART_TEXT, "second line"]])

    text = read_document(path).pages[0].text

    assert text == f"{CHART_TEXT}\nsecond line"


def test_when_pdf_text_has_control_characters_then_they_become_spaces(tmp_path: Path) -> None:
    path = tmp_path / "control.pdf"
    pdf = canvas.Canvas(str(path), pageCompression=0)
    pdf.setFont("Helvetica", 12)
    # Raw string operands: form feed, escape, lone CR, LF.
    pdf.addLiteral(r"BT /F1 12 Tf 72 700 Td (pain\014back\033leg\rfoot\nknee) Tj ET")
    pdf.showPage()
    pdf.save()

    text = read_document(path).pages[0].text

    assert text == "pain back leg\nfoot\nknee"


def test_when_pdf_has_empty_user_password_then_it_is_read(make_pdf: MakePdf) -> None:
    encryption = StandardEncryption("", ownerPassword="owner-only", canPrint=0, canCopy=0)
    path = make_pdf("owner.pdf", [[CHART_TEXT]], encrypt=encryption)
    assert b"/Encrypt" in path.read_bytes()

    document = read_document(path)

    assert document.pages == (Page(number=1, text=CHART_TEXT),)


def test_when_pdf_page_has_no_text_layer_then_its_text_is_empty(make_pdf: MakePdf) -> None:
    path = make_pdf("scan.pdf", [[CHART_TEXT], []])

    document = read_document(path)

    assert [page.text for page in document.pages] == [CHART_TEXT, ""]


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        pytest.param("chart.txt", b"", id="pdf-named-txt"),
        pytest.param("chart.docx", b"", id="pdf-named-docx"),
        pytest.param("chart.pdf", b"\r\n \t", id="whitespace-before-header"),
    ],
)
def test_when_content_starts_with_pdf_header_then_file_is_read_as_pdf(
    tmp_path: Path, make_pdf: MakePdf, name: str, prefix: bytes
) -> None:
    pdf_bytes = make_pdf("source.pdf", [[CHART_TEXT]]).read_bytes()
    path = write_bytes(tmp_path / name, prefix + pdf_bytes)

    document = read_document(path)

    assert (document.name, document.kind) == (name, "pdf")
    assert document.pages == (Page(number=1, text=CHART_TEXT),)


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        pytest.param("note.txt", "café\n".encode(), "café\n", id="utf8"),
        pytest.param("note.txt", b"\xef\xbb\xbfcaf\xc3\xa9", "café", id="utf8-bom-stripped"),
        pytest.param("note.txt", "café".encode("latin-1"), "café", id="latin1"),
        pytest.param(
            "note.txt",
            b"\x93PT\x94 \x96 8 weeks",
            "\u201cPT\u201d \u2013 8 weeks",
            id="cp1252-quotes-and-dash",
        ),
        pytest.param("note.txt", b"caf\xe9 \x81", "café \x81", id="latin1-when-not-cp1252"),
        pytest.param("note.txt", "café".encode("utf-16"), "café", id="utf16-with-bom"),
        pytest.param("note.txt", b"a\r\nb\r\n", "a\nb\n", id="crlf-normalised"),
        pytest.param("note.txt", b"a\rb\r", "a\nb\n", id="lone-cr-normalised"),
        pytest.param("note.text", b"plain", "plain", id="text-extension"),
        pytest.param("NOTE.TXT", b"plain", "plain", id="upper-case-extension"),
        pytest.param("note", b"plain", "plain", id="no-extension"),
    ],
)
def test_when_text_file_is_read_then_it_is_decoded_and_normalised(
    tmp_path: Path, name: str, data: bytes, expected: str
) -> None:
    path = write_bytes(tmp_path / name, data)

    document = read_document(path)

    assert document == Document(name=name, kind="txt", pages=(Page(number=None, text=expected),))


def test_when_text_has_nul_bytes_then_they_become_spaces_and_length_is_kept(
    tmp_path: Path,
) -> None:
    data = b"Pain\x00since\x00\x00March"
    path = write_bytes(tmp_path / "nul.txt", data)

    text = read_document(path).pages[0].text

    assert text == "Pain since  March"
    assert len(text) == len(data)


def test_when_chart_has_only_an_image_pdf_then_it_has_no_readable_text(
    make_pdf: MakePdf,
) -> None:
    scan = make_pdf("scan.pdf", [[]])

    with pytest.raises(ChartReadError, match=r"^chart has no readable text: scan\.pdf \("):
        read_chart([scan])


def test_when_chart_mixes_an_image_pdf_with_a_text_note_then_both_are_read_in_order(
    tmp_path: Path, make_pdf: MakePdf
) -> None:
    note = write_bytes(tmp_path / "note1.txt", CHART_TEXT.encode())
    scan = make_pdf("scan.pdf", [[], []])

    documents = read_chart([scan, note])

    assert [(document.name, document.kind) for document in documents] == [
        ("scan.pdf", "pdf"),
        ("note1.txt", "txt"),
    ]
    assert [page.text for page in documents[0].pages] == ["", ""]
    assert documents[1].pages[0].text == CHART_TEXT


def test_when_chart_is_read_then_documents_keep_the_given_order(tmp_path: Path) -> None:
    paths = [write_bytes(tmp_path / name, b"text") for name in ("b.txt", "c.txt", "a.txt")]

    documents = read_chart(paths)

    assert [document.name for document in documents] == ["b.txt", "c.txt", "a.txt"]


def test_when_chart_is_read_twice_then_results_are_equal(tmp_path: Path, make_pdf: MakePdf) -> None:
    paths = [
        make_pdf("chart.pdf", [[CHART_TEXT], [PT_LINE]]),
        write_bytes(tmp_path / "note.txt", b"a\r\nb"),
    ]

    assert read_chart(paths) == read_chart(paths)


def test_when_chart_has_an_unreadable_file_then_read_chart_raises_its_error(
    tmp_path: Path,
) -> None:
    good = write_bytes(tmp_path / "good.txt", b"text")

    with pytest.raises(ChartReadError, match=r"^gone\.txt: file not found$"):
        read_chart([good, tmp_path / "gone.txt"])


def test_when_chart_has_no_files_then_error_says_to_give_one() -> None:
    with pytest.raises(ChartReadError, match=re.escape("chart has no files; give at least one")):
        read_chart([])


def test_when_read_chart_gets_a_single_path_then_type_error(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "note.txt", b"text")

    with pytest.raises(TypeError, match=r"sequence of paths, not one path; use \[path\]"):
        read_chart(str(path))  # type: ignore[arg-type]


# ---- the bad-file corpus, through the whole review (command line), never a traceback ---------

NOTE = (
    Path(__file__).resolve().parents[1]
    / "sample_notes"
    / "01_pt_failed_pacemaker"
    / "spine_followup_2026-10-02.txt"
).read_text()
CLI_ARGS = ["--cpt", "72131", "--request-date", "2026-10-14", "--age", "57", "--format", "json"]


def corrupt_pdf(tmp_path: Path, make_pdf: MakePdf) -> Path:
    junk = random.Random(5).randbytes(20_000)
    return write_bytes(tmp_path / "corrupt.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + junk)


def thousand_page_pdf(tmp_path: Path, make_pdf: MakePdf) -> Path:
    return make_pdf("long.pdf", [[f"page {n}"] for n in range(1, 1001)])


def image_only_pdf(tmp_path: Path, make_pdf: MakePdf) -> Path:
    return make_pdf("scan.pdf", [[], []])


def note_with_empty_user_password(tmp_path: Path, make_pdf: MakePdf) -> Path:
    encryption = StandardEncryption("", ownerPassword="owner-only", canCopy=0)
    return make_pdf("owner.pdf", [NOTE.splitlines()], encrypt=encryption)


# builder(tmp_path, make_pdf) -> path; tesseract installed?; "review" or the error message
BAD_FILES = [
    pytest.param(corrupt_pdf, True, "corrupt.pdf: PDF is damaged or truncated", id="corrupt"),
    pytest.param(truncated_pdf, True, "cut.pdf: PDF is damaged or truncated", id="truncated"),
    pytest.param(
        lambda tmp, make: make("locked.pdf", [[CHART_TEXT]], encrypt="secret"),
        True,
        "locked.pdf: PDF is encrypted (password protected); remove the password and try again",
        id="encrypted",
    ),
    pytest.param(note_with_empty_user_password, True, "review", id="encrypted-empty-password"),
    pytest.param(zero_page_pdf, True, "blank.pdf: PDF has no pages", id="zero-pages"),
    pytest.param(
        image_only_pdf,
        False,
        "scan.pdf: PDF has no text layer and OCR is not available: install tesseract-ocr",
        id="image-only-without-ocr",
    ),
    pytest.param(
        thousand_page_pdf,
        True,
        "long.pdf: PDF has 1,000 pages, more than the limit of 500; split it into smaller files",
        id="1000-pages",
    ),
    pytest.param(
        lambda tmp, make: write_bytes(tmp / "latin1.txt", NOTE.replace("5/5", "5/5 \xb0").encode(
            "latin-1")),
        True,
        "review",
        id="latin1-txt",
    ),
    pytest.param(
        lambda tmp, make: write_bytes(tmp / "nul.txt", NOTE.replace("\n\n", "\n\x00\x00\n")
                                      .encode()),
        True,
        "review",
        id="nul-bytes-txt",
    ),
    pytest.param(
        lambda tmp, make: write_bytes(tmp / "line.txt", b"back pain " * 1_000_000),
        True,
        "line.txt: text has 10,000,000 characters, more than the limit of 200,000; split it "
        "into smaller files",
        id="10mb-single-line-txt",
    ),
]


@pytest.mark.parametrize(("build", "with_ocr", "outcome"), BAD_FILES)
def test_when_a_bad_file_is_reviewed_then_it_gives_a_clear_error_or_a_review(
    tmp_path: Path,
    make_pdf: MakePdf,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    build,
    with_ocr: bool,
    outcome: str,
) -> None:
    from priorauth.cli import main
    from priorauth.extract import ocr

    path = build(tmp_path, make_pdf)
    if not with_ocr:
        monkeypatch.setenv(ocr.TESSERACT_ENV, "/nonexistent/tesseract")
    capsys.readouterr()
    started = time.monotonic()

    status = main(["review", str(path), *CLI_ARGS])

    elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    assert elapsed < 30
    if outcome == "review":
        assert (status, err) == (0, "")
        assert json.loads(out)["determination"] in {
            "meets_criteria", "not_met", "insufficient_documentation", "not_applicable"}
    else:
        assert (status, out) == (2, "")
        assert err.startswith(f"priorauth: error: {outcome}")
        assert err.count("\n") == 1 and "Traceback" not in err


def test_when_pdf_page_has_too_much_text_then_error_names_the_page(make_pdf: MakePdf) -> None:
    path = make_pdf("dense.pdf", [[CHART_TEXT]])

    with pytest.raises(
        ChartReadError, match=r"^dense\.pdf: page 1 has 30 characters, more than the limit of 10$"
    ):
        read_document(path, max_page_chars=10)


def test_when_1000_page_pdf_is_read_then_the_page_limit_answers_fast(
    tmp_path: Path, make_pdf: MakePdf
) -> None:
    path = thousand_page_pdf(tmp_path, make_pdf)
    started = time.monotonic()

    with pytest.raises(ChartReadError, match=r"^long\.pdf: PDF has 1,000 pages"):
        read_document(path)

    assert time.monotonic() - started < 2


def test_when_engine_is_unknown_then_error_lists_the_engines(make_pdf: MakePdf) -> None:
    path = make_pdf("chart.pdf", [[CHART_TEXT]])

    with pytest.raises(ValueError, match=r"possible values are: pdfium, pdfplumber$"):
        read_document(path, engine="tika")


@pytest.mark.parametrize("engine", ["pdfium", "pdfplumber"])
def test_when_pdf_is_read_then_document_records_its_engine_and_path(
    make_pdf: MakePdf, engine: str
) -> None:
    path = make_pdf("chart.pdf", [[CHART_TEXT]])

    document = read_document(path, engine=engine)

    assert (document.engine, document.path) == (engine, str(path))
    assert document.pages == (Page(number=1, text=CHART_TEXT),)
