"""Read a patient's chart files (plain-text notes and PDFs) into pages of text.

Evidence found later in the pipeline points into this text with character offsets
(``text == page.text[start:end]``), so every transformation made here either happens before
any offset exists (decoding, newline normalisation) or keeps the length (control characters
become spaces).

The file type is decided by content: anything starting with a ``%PDF-`` header is read as a
PDF whatever its name, a TIFF header (``II*\\0`` / ``MM\\0*``) as a fax whose frames are
scanned pages (:mod:`priorauth.extract.tiff` makes them an image-only PDF, read like any
other); anything else must be named like a text file.

A PDF page's text comes from its text layer (engine ``"pdfium"`` by default, or
``"pdfplumber"``; see :mod:`priorauth.extract.pdf`). A page without a usable text layer (a
scan, a fax) is OCRed with tesseract (:mod:`priorauth.extract.ocr`): its text is built from
the OCR words, ``Page.ocr`` is true and the words keep their boxes and confidence. Blank pages
are not OCRed. Where each character is on the page is computed on demand
(:func:`priorauth.extract.pdf.evidence_boxes`), not here, so reading stays fast.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from priorauth.extract import ocr as _ocr
from priorauth.extract.gate import (
    ChartReadError,
    FileKey,
    GateLimits,
    _load_error,
    _too_many_chars,
    damaged,
    decode_text,
    is_pdf,
    kind_of,
    read_file,
    read_pdf_layout,
)
from priorauth.extract.ocr import OcrError, OcrResult, OcrUnavailable, Word
from priorauth.extract.pdf import (
    DEFAULT_ENGINE,
    PDFIUM_LOCK,
    get_engine,
    is_scan,
    render_gray,
)
from priorauth.extract.tiff import is_tiff, tiff_to_pdf_cached

__all__ = [
    "PDFIUM_LOCK",
    "ChartReadError",
    "Document",
    "FileKey",
    "OcrBudget",
    "Page",
    "damaged",
    "open_pdf",
    "read_chart",
    "read_document",
    "read_pdf_bytes",
    "scanned_page",
]

_NEWLINES = re.compile("\r\n?")
_INSTALL_OCR = "install tesseract-ocr"


class OcrBudget:
    """What OCR may spend on one review: seconds of wall-clock time and a number of pages.

    One budget is shared by all the files of a chart (:func:`read_chart`). Pages left when it is
    spent are not read; their documents list them (:attr:`Document.unread`) and the review
    says so, so a reviewer knows which pages nobody checked.

    Args:
        seconds: Wall-clock seconds for all OCR of the review, from when the budget is made.
        pages: Most pages OCRed in the review.
        on_progress: See :attr:`on_progress`.
    """

    def __init__(self, seconds: float = 300.0, pages: int = 200, *,
                 on_progress: Callable[[int, int], None] | None = None) -> None:
        self.seconds = seconds
        self.pages = pages
        self.deadline = time.monotonic() + seconds
        self.pages_left = pages
        #: Called with (pages OCRed, pages to OCR so far) as each page is read (from OCR
        #: worker threads).
        self.on_progress = on_progress
        self.planned = 0
        self.done = 0
        self._lock = threading.Lock()

    def plan(self, pages: int) -> None:
        """Count ``pages`` more pages about to be OCRed (progress)."""
        with self._lock:
            self.planned += pages
            done, planned = self.done, self.planned
        if self.on_progress is not None and pages:
            self.on_progress(done, planned)

    def page_done(self, _index: int = 0) -> None:
        """One more page OCRed (progress)."""
        with self._lock:
            self.done += 1
            done, planned = self.done, self.planned
        if self.on_progress is not None:
            self.on_progress(done, planned)

    def remaining(self) -> float:
        """Seconds left (0 when spent)."""
        return max(0.0, self.deadline - time.monotonic())

    def take(self, wanted: int) -> int:
        """Reserve up to ``wanted`` pages; returns how many may be OCRed."""
        granted = max(0, min(wanted, self.pages_left))
        self.pages_left -= granted
        return granted


@dataclass(frozen=True)
class Page:
    """One page of extracted text.

    Attributes:
        number: 1-based page number for PDFs, ``None`` for plain text.
        text: The extracted text; evidence offsets index into this string.
        ocr: The text was read by OCR (the page has no usable text layer).
        ocr_confidence: Mean OCR word confidence, 0-100 (``None`` unless OCRed words exist).
        words: The OCR words with their offsets, boxes and confidence (OCR pages only).
        size: (width, height) of the displayed page in points (PDF pages only).
        rotation: Degrees (clockwise) the scanned page was turned to be read by OCR; its word
            boxes are on the page as displayed.
    """

    number: int | None
    text: str
    ocr: bool = False
    ocr_confidence: float | None = None
    words: tuple[Word, ...] = field(default=(), compare=False, repr=False)
    size: tuple[float, float] | None = field(default=None, compare=False, repr=False)
    rotation: int = 0

    def span_confidence(self, start: int, end: int) -> float | None:
        """Lowest OCR confidence (0-100) of the words in ``text[start:end]``.

        ``None`` for a page with a text layer. Compare with
        :data:`priorauth.extract.ocr.LOW_CONFIDENCE` to flag evidence for the reviewer.
        """
        return _ocr.span_confidence(self.words, start, end)


@dataclass(frozen=True)
class Document:
    """One chart file, read.

    Attributes:
        name: The file's base name, e.g. ``"note1.txt"``.
        kind: ``"txt"``, ``"pdf"`` or ``"tiff"`` (a fax: its frames are scanned pages).
        pages: The pages in order; a plain-text file has exactly one page.
        engine: The PDF text engine that read it; pass it on to
            :func:`~priorauth.extract.pdf.evidence_boxes`.
        path: The path it was read from.
        unread: Numbers of scanned pages the OCR budget did not reach (their text is empty).
        unread_reason: Why, in words ("OCR budget of 300 s spent").
    """

    name: str
    kind: str
    pages: tuple[Page, ...]
    engine: str = DEFAULT_ENGINE
    path: str | None = field(default=None, compare=False, repr=False)
    unread: tuple[int, ...] = ()
    unread_reason: str | None = None


def read_document(
    path: str | os.PathLike[str],
    *,
    max_pages: int = 500,
    max_bytes: int = 50_000_000,
    max_page_chars: int = 200_000,
    engine: str = DEFAULT_ENGINE,
    ocr: bool = True,
    ocr_timeout: float = 600.0,
    ocr_dpi: int = _ocr.DEFAULT_DPI,
    ocr_lang: str = "eng",
    ocr_budget: OcrBudget | None = None,
    limits: GateLimits | None = None,
) -> Document:
    """Read one chart file into pages of text, through the input gate (:mod:`.gate`).

    Args:
        path: The file to read, a regular file. Its type is decided by content: a ``%PDF-``
            header means PDF; otherwise the name must end in ``.txt`` or ``.text`` or have no
            extension, and the content must be text.
        max_pages: Largest number of pages accepted in a PDF.
        max_bytes: Largest file size accepted, in bytes.
        max_page_chars: Largest text accepted on one page (or in one text file), in characters.
        engine: PDF text engine, ``"pdfium"`` (fast) or ``"pdfplumber"``.
        ocr: OCR pages without a usable text layer. With ``False`` such pages have the text of
            their text layer (usually ``""``).
        ocr_timeout: Seconds allowed for the OCR of this document when no ``ocr_budget`` is
            given.
        ocr_dpi: Resolution pages are rendered at for OCR.
        ocr_lang: Tesseract language(s).
        ocr_budget: The review's OCR budget, shared with its other files; scanned pages it
            does not reach are listed in :attr:`Document.unread`.
        limits: The gate's other limits (objects per page, image pixels, the PDF child
            process's memory and time); ``max_pages``, ``max_bytes`` and ``max_page_chars``
            override theirs.

    Returns:
        The document, named by the file's base name.

    Raises:
        ChartReadError: The file is missing, not a regular file, unreadable, empty, too large,
            of an unsupported type or binary, or a PDF that is encrypted, damaged, has no pages
            or too many, is over a gate limit, or has pages that need OCR when OCR is not
            installed or fails.
        ValueError: Unknown ``engine``.
    """
    get_engine(engine)
    limits = replace(limits or GateLimits(), max_pages=max_pages, max_bytes=max_bytes,
                     max_page_chars=max_page_chars)
    file_path = Path(os.fsdecode(path))
    name, data, key = read_file(file_path, max_bytes=max_bytes)
    kind = kind_of(name, data)
    if kind in ("pdf", "tiff"):
        if kind == "tiff":
            data = tiff_to_pdf_cached(key, name, data, max_pages=limits.max_pages,
                                      max_image_pixels=limits.max_image_pixels)
        options = _ReadOptions(engine, ocr, ocr_dpi, ocr_lang)
        budget = ocr_budget or OcrBudget(ocr_timeout, max_pages)
        pages, unread = _read_pdf(data, name, key, options, limits, budget)
        return Document(name=name, kind=kind, pages=pages, engine=engine, path=str(file_path),
                        unread=unread, unread_reason=_unread_reason(budget) if unread else None)
    text = _NEWLINES.sub("\n", decode_text(name, data).replace("\x00", " "))
    if not text.strip():
        raise ChartReadError(f"{name}: file is empty")
    if len(text) > max_page_chars:
        raise _too_many_chars(name, len(text), max_page_chars)
    return Document(
        name=name,
        kind="txt",
        pages=(Page(number=None, text=text),),
        engine=engine,
        path=str(file_path),
    )


def read_chart(
    paths: Sequence[str | os.PathLike[str]],
    *,
    max_pages: int = 500,
    max_bytes: int = 50_000_000,
    ocr_budget: OcrBudget | None = None,
    **options: object,
) -> tuple[Document, ...]:
    """Read all the files of one patient's chart, in the given order.

    Args:
        paths: The chart's files.
        max_pages: Passed to :func:`read_document` for each file.
        max_bytes: Passed to :func:`read_document` for each file.
        ocr_budget: The OCR budget of the whole chart (default: 300 s and 200 pages; with
            ``ocr_timeout`` among ``options``, that many seconds).
        **options: Other keyword options of :func:`read_document` (``engine``, ``ocr``...).

    Returns:
        One document per path, in the order given.

    Raises:
        ChartReadError: A file cannot be read (see :func:`read_document`), no file was given,
            or no page of any file has any text.
        TypeError: ``paths`` is a single path rather than a sequence of paths.
    """
    if isinstance(paths, str | bytes | os.PathLike):
        raise TypeError("read_chart() takes a sequence of paths, not one path; use [path]")
    if ocr_budget is None:
        seconds = options.pop("ocr_timeout", None)
        ocr_budget = OcrBudget() if seconds is None else OcrBudget(float(seconds))  # type: ignore[arg-type]
    documents = tuple(
        read_document(path, max_pages=max_pages, max_bytes=max_bytes,
                      ocr_budget=ocr_budget, **options)  # type: ignore[arg-type]
        for path in paths
    )
    if not documents:
        raise ChartReadError("chart has no files; give at least one .txt or .pdf file")
    if not any(page.text.strip() for document in documents for page in document.pages):
        names = ", ".join(document.name for document in documents)
        if any(document.unread for document in documents):
            why = f"no scanned page was read: {_unread_reason(ocr_budget)}"
        elif any(page.ocr for document in documents for page in document.pages):
            why = "OCR found no text on the scanned pages"
        else:
            why = "no page has a text layer and none was OCRed"
        raise ChartReadError(f"chart has no readable text: {names} ({why})")
    return documents


def read_pdf_bytes(
    path: str | os.PathLike[str], *, max_bytes: int = 50_000_000
) -> tuple[str, bytes, FileKey]:
    """Read a PDF file's bytes: ``(name, data, key)``, ``key`` identifying this content.

    A TIFF fax gives the image-only PDF of its frames (the same bytes :func:`read_document`
    read), under the gate's default page and pixel limits, with the TIFF file's key.

    Raises:
        ChartReadError: The file cannot be read, or is not a PDF or a TIFF within limits.
    """
    name, data, key = read_file(path, max_bytes=max_bytes)
    if is_tiff(data):
        limits = GateLimits()
        return name, tiff_to_pdf_cached(key, name, data, max_pages=limits.max_pages,
                                        max_image_pixels=limits.max_image_pixels), key
    if not is_pdf(data):
        raise ChartReadError(f"{name}: not a PDF file (its content has no %PDF header)",
                             status=415)
    return name, data, key


# --------------------------------------------------------------------------- PDFs


@dataclass(frozen=True)
class _ReadOptions:
    engine: str
    ocr: bool
    ocr_dpi: int
    ocr_lang: str


@contextmanager
def open_pdf(data: bytes, name: str) -> Iterator[pdfium.PdfDocument]:
    """Open PDF bytes with PDFium; closed on exit. Hold :data:`PDFIUM_LOCK` to use it.

    Only for PDFs that passed :func:`~priorauth.extract.gate.read_pdf_layout` (every file
    read through :func:`read_file`'s callers here has).

    Raises:
        ChartReadError: The PDF is encrypted or damaged.
    """
    # The raw loader is used because pypdfium2's PdfDocument reports a PDF with zero pages
    # with the same error code as a damaged one; here a NULL handle means "failed to load".
    # `data` must stay alive while the document is open: PDFium reads from its buffer.
    with PDFIUM_LOCK:
        raw = pdfium_c.FPDF_LoadMemDocument64(data, len(data), None)
        if not raw:
            raise _load_error(name, pdfium_c.FPDF_GetLastError())
        pdf = pdfium.PdfDocument(raw)
    try:
        yield pdf
    finally:
        with PDFIUM_LOCK:
            pdf.close()


def _read_pdf(data: bytes, name: str, key: FileKey, options: _ReadOptions,
              limits: GateLimits, budget: OcrBudget) -> tuple[tuple[Page, ...], tuple[int, ...]]:
    layout = read_pdf_layout(name, data, engine=options.engine, limits=limits)
    results: dict[int, OcrResult] = {}
    unread: tuple[int, ...] = ()
    if layout.scans and options.ocr:
        with open_pdf(data, name) as pdf:
            results = _ocr_document(pdf, list(layout.scans), name, key, options, budget,
                                    text_pages=len(layout.texts) - len(layout.scans))
        unread = tuple(index + 1 for index in layout.scans if index not in results)
    pages = tuple(
        Page(
            number=index + 1,
            text=results[index].text,
            ocr=True,
            ocr_confidence=results[index].confidence,
            words=results[index].words,
            size=size,
            rotation=results[index].rotation,
        )
        if index in results
        else Page(number=index + 1, text="" if index + 1 in unread else text, size=size)
        for index, (text, size) in enumerate(zip(layout.texts, layout.sizes, strict=True))
    )
    return pages, unread


def _ocr_document(
    pdf: pdfium.PdfDocument,
    scans: list[int],
    name: str,
    key: FileKey,
    options: _ReadOptions,
    budget: OcrBudget,
    *,
    text_pages: int,
) -> dict[int, OcrResult]:
    """OCR the scanned pages within the budget: the results of the pages read, by index."""
    which = "PDF" if text_pages == 0 else _page_list(scans)
    results: dict[int, OcrResult] = {}
    todo = []
    for index in scans:
        cached = _ocr.CACHE.get((key, index, options.ocr_dpi, options.ocr_lang))
        if cached is not None:
            results[index] = cached
        else:
            todo.append(index)
    if todo and not _ocr.ocr_available():
        raise ChartReadError(
            f"{name}: {which} has no text layer and OCR is not available: {_INSTALL_OCR}"
        )
    todo = todo[: budget.take(len(todo))]
    if not todo or budget.remaining() <= 0:
        return results
    budget.plan(len(todo))
    try:
        fresh = _ocr.ocr_pages(
            lambda index: render_gray(pdf, index, dpi=options.ocr_dpi),
            todo,
            dpi=options.ocr_dpi,
            lang=options.ocr_lang,
            timeout=budget.remaining(),
            partial=True,
            on_page=budget.page_done,
        )
    except OcrUnavailable as exc:
        raise ChartReadError(f"{name}: {which} has no text layer and {exc}") from None
    except OcrError as exc:
        raise ChartReadError(f"{name}: OCR failed ({exc})") from None
    except pdfium.PdfiumError:
        raise damaged(name) from None
    for index, result in fresh.items():
        _ocr.CACHE.put((key, index, options.ocr_dpi, options.ocr_lang), result)
    results.update(fresh)
    return results


def _unread_reason(budget: OcrBudget) -> str:
    if budget.pages_left <= 0 and budget.remaining() > 0:
        return f"OCR budget of {budget.pages} page{'s' if budget.pages != 1 else ''} spent"
    return f"OCR budget of {budget.seconds:g} s spent"


def _page_list(indices: Sequence[int], *, shown: int = 5) -> str:
    numbers = [str(index + 1) for index in indices]
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    if len(numbers) > shown:
        return f"pages {', '.join(numbers[:shown])} and {len(numbers) - shown} more"
    return f"pages {', '.join(numbers[:-1])} and {numbers[-1]}"


def scanned_page(
    pdf: pdfium.PdfDocument,
    data: bytes,
    index: int,
    *,
    engine: str,
    key: FileKey,
    name: str,
    dpi: int = _ocr.DEFAULT_DPI,
    lang: str = "eng",
    timeout: float = 600.0,
) -> OcrResult | None:
    """The OCR of page ``index`` if it is read by OCR (cached), else ``None``.

    Decides exactly as :func:`read_document` does, so offsets agree with the review's.

    Raises:
        ChartReadError: OCR is needed but not available, fails or runs out of time.
    """
    cached = _ocr.CACHE.get((key, index, dpi, lang))
    if cached is not None:
        return cached
    engine_impl = get_engine(engine)
    try:
        text = engine_impl.page_chars(pdf, data, index)[0]
        scan = is_scan(pdf, index, text)
    except Exception:
        raise damaged(name) from None
    if not scan:
        return None
    options = _ReadOptions(engine, True, dpi, lang)
    found = _ocr_document(pdf, [index], name, key, options, OcrBudget(timeout, 1),
                          text_pages=1)
    if index not in found:
        raise ChartReadError(f"{name}: OCR of page {index + 1} did not finish within "
                             f"{timeout:g} s")
    return found[index]
