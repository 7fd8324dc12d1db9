"""Read a patient's chart files (plain-text notes and PDFs) into pages of text.

Evidence found later in the pipeline points into this text with character offsets
(``text == page.text[start:end]``), so every transformation made here either happens before
any offset exists (decoding, newline normalisation) or keeps the length (control characters
become spaces).

The file type is decided by content: anything starting with a ``%PDF-`` header is read as a
PDF whatever its name; anything else must be named like a text file.

A PDF page's text comes from its text layer (engine ``"pdfium"`` by default, or
``"pdfplumber"``; see :mod:`priorauth.extract.pdf`). A page without a usable text layer (a
scan, a fax) is OCRed with tesseract (:mod:`priorauth.extract.ocr`): its text is built from
the OCR words, ``Page.ocr`` is true and the words keep their boxes and confidence. Blank pages
are not OCRed. Where each character is on the page is computed on demand
(:func:`priorauth.extract.pdf.evidence_boxes`), not here, so reading stays fast.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from priorauth.extract import ocr as _ocr
from priorauth.extract.ocr import OcrError, OcrResult, OcrTimeout, OcrUnavailable, Word
from priorauth.extract.pdf import (
    DEFAULT_ENGINE,
    PDFIUM_LOCK,
    displayed_size,
    get_engine,
    image_coverage,
    is_blank,
    needs_ocr,
    render_gray,
)

__all__ = [
    "PDFIUM_LOCK",
    "ChartReadError",
    "Document",
    "FileKey",
    "Page",
    "damaged",
    "open_pdf",
    "read_chart",
    "read_document",
    "read_pdf_bytes",
    "scanned_page",
]

_TEXT_SUFFIXES = frozenset({".txt", ".text", ""})
_ACCEPTED = "plain-text notes (.txt, .text or no extension) or PDF files"
_PDF_HEADER = b"%PDF-"
_HEADER_WINDOW = 1024
# PDF white-space characters (ISO 32000-1, 7.2.2) allowed before the header.
_PDF_WHITESPACE = b"\x00\t\n\x0c\r "
_NEWLINES = re.compile("\r\n?")
_INSTALL_OCR = "install tesseract-ocr"

#: Identity of a file's content as read: (real path, modification time in ns, size).
FileKey = tuple[str, int, int]


class ChartReadError(ValueError):
    """A chart file cannot be read.

    The message starts with the file's base name ("note2.pdf: ...") and never contains any of
    the file's text, so it is safe to print and log.
    """


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
        kind: ``"txt"`` or ``"pdf"``.
        pages: The pages in order; a plain-text file has exactly one page.
        engine: The PDF text engine that read it; pass it on to
            :func:`~priorauth.extract.pdf.evidence_boxes`.
        path: The path it was read from.
    """

    name: str
    kind: str
    pages: tuple[Page, ...]
    engine: str = DEFAULT_ENGINE
    path: str | None = field(default=None, compare=False, repr=False)


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
) -> Document:
    """Read one chart file into pages of text.

    Args:
        path: The file to read. Its type is decided by content: a ``%PDF-`` header means PDF;
            otherwise the name must end in ``.txt`` or ``.text`` or have no extension.
        max_pages: Largest number of pages accepted in a PDF.
        max_bytes: Largest file size accepted, in bytes.
        max_page_chars: Largest text accepted on one page (or in one text file), in characters.
        engine: PDF text engine, ``"pdfium"`` (fast) or ``"pdfplumber"``.
        ocr: OCR pages without a usable text layer. With ``False`` such pages have the text of
            their text layer (usually ``""``).
        ocr_timeout: Seconds allowed for the OCR of the whole document.
        ocr_dpi: Resolution pages are rendered at for OCR.
        ocr_lang: Tesseract language(s).

    Returns:
        The document, named by the file's base name.

    Raises:
        ChartReadError: The file is missing, unreadable, empty, too large, of an unsupported
            type, or a PDF that is encrypted, damaged, has no pages or too many pages, or has
            pages that need OCR when OCR is not installed, fails or runs out of time.
        ValueError: Unknown ``engine``.
    """
    get_engine(engine)
    file_path = Path(os.fsdecode(path))
    name = file_path.name or os.fsdecode(path)
    data, key = _read_bytes(file_path, name, max_bytes=max_bytes)
    if not data.strip():
        raise ChartReadError(f"{name}: file is empty")
    if _has_pdf_header(data):
        options = _ReadOptions(
            max_pages, max_page_chars, engine, ocr, ocr_timeout, ocr_dpi, ocr_lang
        )
        pages = _read_pdf(data, name, key, options)
        return Document(name=name, kind="pdf", pages=pages, engine=engine, path=str(file_path))
    if file_path.suffix.lower() == ".pdf":
        raise ChartReadError(f"{name}: not a PDF file (no %PDF header)")
    if file_path.suffix.lower() not in _TEXT_SUFFIXES:
        raise ChartReadError(
            f"{name}: unsupported file type '{file_path.suffix}'; accepted are {_ACCEPTED}"
        )
    text = _NEWLINES.sub("\n", _decode_text(data).replace("\x00", " "))
    if not text.strip():
        raise ChartReadError(f"{name}: file is empty")
    if len(text) > max_page_chars:
        raise ChartReadError(
            f"{name}: text has {len(text):,} characters, more than the limit of "
            f"{max_page_chars:,}; split it into smaller files"
        )
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
    **options: object,
) -> tuple[Document, ...]:
    """Read all the files of one patient's chart, in the given order.

    Args:
        paths: The chart's files.
        max_pages: Passed to :func:`read_document` for each file.
        max_bytes: Passed to :func:`read_document` for each file.
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
    documents = tuple(
        read_document(path, max_pages=max_pages, max_bytes=max_bytes, **options)  # type: ignore[arg-type]
        for path in paths
    )
    if not documents:
        raise ChartReadError("chart has no files; give at least one .txt or .pdf file")
    if not any(page.text.strip() for document in documents for page in document.pages):
        names = ", ".join(document.name for document in documents)
        why = (
            "OCR found no text on the scanned pages"
            if any(page.ocr for document in documents for page in document.pages)
            else "no page has a text layer and none was OCRed"
        )
        raise ChartReadError(f"chart has no readable text: {names} ({why})")
    return documents


# --------------------------------------------------------------------------- files


def _read_bytes(path: Path, name: str, *, max_bytes: int) -> tuple[bytes, FileKey]:
    try:
        with path.open("rb") as handle:
            stat = os.fstat(handle.fileno())
            if stat.st_size > max_bytes:
                raise _too_large(name, stat.st_size, max_bytes)
            data = handle.read(max_bytes + 1)  # not every file reports its size (pipes)
    except FileNotFoundError:
        raise ChartReadError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise _is_directory(name) from None
    except PermissionError:
        if path.is_dir():  # Windows refuses to open a directory with EACCES
            raise _is_directory(name) from None
        raise ChartReadError(
            f"{name}: cannot read file (permission denied); check the file's permissions"
        ) from None
    except OSError as exc:
        raise ChartReadError(f"{name}: cannot read file ({exc.strerror or 'I/O error'})") from None
    if len(data) > max_bytes:
        raise _too_large(name, None, max_bytes)
    return data, (os.path.realpath(path), stat.st_mtime_ns, len(data))


def read_pdf_bytes(
    path: str | os.PathLike[str], *, max_bytes: int = 50_000_000
) -> tuple[str, bytes, FileKey]:
    """Read a PDF file's bytes: ``(name, data, key)``, ``key`` identifying this content.

    Raises:
        ChartReadError: The file cannot be read, or is not a PDF.
    """
    file_path = Path(os.fsdecode(path))
    name = file_path.name or os.fsdecode(path)
    data, key = _read_bytes(file_path, name, max_bytes=max_bytes)
    if not data.strip():
        raise ChartReadError(f"{name}: file is empty")
    if not _has_pdf_header(data):
        raise ChartReadError(f"{name}: not a PDF file (no %PDF header)")
    return name, data, key


def _too_large(name: str, size: int | None, max_bytes: int) -> ChartReadError:
    actual = f"{size:,} bytes; " if size is not None else ""
    return ChartReadError(
        f"{name}: file is too large ({actual}the limit is {max_bytes:,} bytes); "
        "split it into smaller files"
    )


def _is_directory(name: str) -> ChartReadError:
    return ChartReadError(f"{name}: is a directory, not a file; give the chart's files instead")


def _has_pdf_header(data: bytes) -> bool:
    return data[:_HEADER_WINDOW].lstrip(_PDF_WHITESPACE).startswith(_PDF_HEADER)


def _decode_text(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


# --------------------------------------------------------------------------- PDFs


@dataclass(frozen=True)
class _ReadOptions:
    max_pages: int
    max_page_chars: int
    engine: str
    ocr: bool
    ocr_timeout: float
    ocr_dpi: int
    ocr_lang: str


@contextmanager
def open_pdf(data: bytes, name: str) -> Iterator[pdfium.PdfDocument]:
    """Open PDF bytes with PDFium; closed on exit. Hold :data:`PDFIUM_LOCK` to use it.

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


def _read_pdf(data: bytes, name: str, key: FileKey, options: _ReadOptions) -> tuple[Page, ...]:
    with open_pdf(data, name) as pdf:
        try:
            with PDFIUM_LOCK:
                page_count = len(pdf)
            if page_count == 0:
                raise ChartReadError(f"{name}: PDF has no pages")
            if page_count > options.max_pages:
                raise ChartReadError(
                    f"{name}: PDF has {page_count:,} pages, more than the limit of "
                    f"{options.max_pages:,}; split it into smaller files"
                )
            texts = get_engine(options.engine).page_texts(pdf, data)
            if len(texts) != page_count:
                raise damaged(name)
            for number, text in enumerate(texts, start=1):
                if len(text) > options.max_page_chars:
                    raise ChartReadError(
                        f"{name}: page {number} has {len(text):,} characters, more than the "
                        f"limit of {options.max_page_chars:,}"
                    )
            with PDFIUM_LOCK:
                sizes = [_page_size(pdf, index) for index in range(page_count)]
            scans = [index for index in range(page_count) if _is_scan(pdf, index, texts[index])]
        except ChartReadError:
            raise
        except Exception:  # PDFium or pdfminer on a malformed file: never a traceback
            raise damaged(name) from None
        results = _ocr_document(pdf, scans, name, key, options, text_pages=page_count - len(scans))
    return tuple(
        Page(
            number=index + 1,
            text=results[index].text,
            ocr=True,
            ocr_confidence=results[index].confidence,
            words=results[index].words,
            size=sizes[index],
            rotation=results[index].rotation,
        )
        if index in results
        else Page(number=index + 1, text=texts[index], size=sizes[index])
        for index in range(page_count)
    )


def _page_size(pdf: pdfium.PdfDocument, index: int) -> tuple[float, float]:
    page = pdf[index]
    try:
        return displayed_size(page)
    finally:
        page.close()


def _is_scan(pdf: pdfium.PdfDocument, index: int, text: str) -> bool:
    """The page has no usable text layer and is not blank paper."""

    def coverage() -> float:
        with PDFIUM_LOCK:
            page = pdf[index]
            try:
                return image_coverage(page)
            finally:
                page.close()

    return needs_ocr(text, coverage) and not is_blank(pdf, index)


def _ocr_document(
    pdf: pdfium.PdfDocument,
    scans: list[int],
    name: str,
    key: FileKey,
    options: _ReadOptions,
    *,
    text_pages: int,
) -> dict[int, OcrResult]:
    if not scans or not options.ocr:
        return {}
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
    try:
        fresh = _ocr.ocr_pages(
            lambda index: render_gray(pdf, index, dpi=options.ocr_dpi),
            todo,
            dpi=options.ocr_dpi,
            lang=options.ocr_lang,
            timeout=options.ocr_timeout,
        )
    except OcrUnavailable as exc:
        raise ChartReadError(f"{name}: {which} has no text layer and {exc}") from None
    except OcrTimeout as exc:
        raise ChartReadError(
            f"{name}: {exc}; split the file into smaller files or raise the OCR time limit"
        ) from None
    except OcrError as exc:
        raise ChartReadError(f"{name}: OCR failed ({exc})") from None
    except pdfium.PdfiumError:
        raise damaged(name) from None
    for index, result in fresh.items():
        _ocr.CACHE.put((key, index, options.ocr_dpi, options.ocr_lang), result)
    results.update(fresh)
    return results


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
        scan = _is_scan(pdf, index, text)
    except Exception:
        raise damaged(name) from None
    if not scan:
        return None
    options = _ReadOptions(1, 0, engine, True, timeout, dpi, lang)
    return _ocr_document(pdf, [index], name, key, options, text_pages=1)[index]


def _load_error(name: str, error_code: int) -> ChartReadError:
    if error_code == pdfium_c.FPDF_ERR_PASSWORD:
        return ChartReadError(
            f"{name}: PDF is encrypted (password protected); remove the password and try again"
        )
    if error_code == pdfium_c.FPDF_ERR_SECURITY:
        return ChartReadError(
            f"{name}: PDF is encrypted with an unsupported security handler; "
            "save an unencrypted copy and try again"
        )
    return damaged(name)


def damaged(name: str) -> ChartReadError:
    """The error for a PDF that PDFium or pdfminer cannot parse."""
    return ChartReadError(f"{name}: PDF is damaged or truncated and cannot be read")
