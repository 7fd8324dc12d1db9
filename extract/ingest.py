"""Read a patient's chart files (plain-text notes and PDFs) into pages of text.

Evidence found later in the pipeline points into this text with character offsets
(``text == page.text[start:end]``), so every transformation made here either happens before
any offset exists (decoding, newline normalisation) or keeps the length (control characters
become spaces).

The file type is decided by content: anything starting with a ``%PDF-`` header is read as a
PDF whatever its name; anything else must be named like a text file.
"""

from __future__ import annotations

import codecs
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

__all__ = [
    "PDFIUM_LOCK",
    "ChartReadError",
    "Document",
    "Page",
    "read_chart",
    "read_document",
]

#: PDFium is not thread-safe, not even across different documents: every call into it must be
#: serialised. Any other module that calls pypdfium2 (e.g. page rendering for OCR) must hold
#: this lock too.
PDFIUM_LOCK = threading.Lock()

_TEXT_SUFFIXES = frozenset({".txt", ".text", ""})
_ACCEPTED = "plain-text notes (.txt, .text or no extension) or PDF files"
_PDF_HEADER = b"%PDF-"
_HEADER_WINDOW = 1024
# PDF white-space characters (ISO 32000-1, 7.2.2) allowed before the header.
_PDF_WHITESPACE = b"\x00\t\n\x0c\r "
# C0/C1 control characters except tab and newline ("\r" is normalised away before this runs).
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NEWLINES = re.compile("\r\n?")


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
    """

    number: int | None
    text: str


@dataclass(frozen=True)
class Document:
    """One chart file, read.

    Attributes:
        name: The file's base name, e.g. ``"note1.txt"``.
        kind: ``"txt"`` or ``"pdf"``.
        pages: The pages in order; a plain-text file has exactly one page.
    """

    name: str
    kind: str
    pages: tuple[Page, ...]


def read_document(
    path: str | os.PathLike[str],
    *,
    max_pages: int = 500,
    max_bytes: int = 50_000_000,
) -> Document:
    """Read one chart file into pages of text.

    A PDF page without a text layer (e.g. a scanned image) gives a page with text ``""``.

    Args:
        path: The file to read. Its type is decided by content: a ``%PDF-`` header means PDF;
            otherwise the name must end in ``.txt`` or ``.text`` or have no extension.
        max_pages: Largest number of pages accepted in a PDF.
        max_bytes: Largest file size accepted, in bytes.

    Returns:
        The document, named by the file's base name.

    Raises:
        ChartReadError: The file is missing, unreadable, empty, too large, of an unsupported
            type, or a PDF that is encrypted, damaged, has no pages or too many pages.
    """
    file_path = Path(os.fsdecode(path))
    name = file_path.name or os.fsdecode(path)
    data = _read_bytes(file_path, name, max_bytes=max_bytes)
    if not data.strip():
        raise ChartReadError(f"{name}: file is empty")
    if _has_pdf_header(data):
        return Document(name=name, kind="pdf", pages=_read_pdf(data, name, max_pages=max_pages))
    if file_path.suffix.lower() == ".pdf":
        raise ChartReadError(f"{name}: not a PDF file (no %PDF header)")
    if file_path.suffix.lower() not in _TEXT_SUFFIXES:
        raise ChartReadError(
            f"{name}: unsupported file type '{file_path.suffix}'; accepted are {_ACCEPTED}"
        )
    text = _NEWLINES.sub("\n", _decode_text(data).replace("\x00", " "))
    if not text.strip():
        raise ChartReadError(f"{name}: file is empty")
    return Document(name=name, kind="txt", pages=(Page(number=None, text=text),))


def read_chart(
    paths: Sequence[str | os.PathLike[str]],
    *,
    max_pages: int = 500,
    max_bytes: int = 50_000_000,
) -> tuple[Document, ...]:
    """Read all the files of one patient's chart, in the given order.

    Args:
        paths: The chart's files.
        max_pages: Passed to :func:`read_document` for each file.
        max_bytes: Passed to :func:`read_document` for each file.

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
        read_document(path, max_pages=max_pages, max_bytes=max_bytes) for path in paths
    )
    if not documents:
        raise ChartReadError("chart has no files; give at least one .txt or .pdf file")
    if not any(page.text.strip() for document in documents for page in document.pages):
        names = ", ".join(document.name for document in documents)
        raise ChartReadError(
            f"chart has no readable text: {names} (no page has a text layer; scanned pages "
            "need OCR, which is not available yet)"
        )
    return documents


def _read_bytes(path: Path, name: str, *, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise _too_large(name, size, max_bytes)
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
    return data


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


def _read_pdf(data: bytes, name: str, *, max_pages: int) -> tuple[Page, ...]:
    # The raw loader is used because pypdfium2's PdfDocument reports a PDF with zero pages
    # with the same error code as a damaged one; here a NULL handle means "failed to load".
    # `data` must stay alive while the document is open: PDFium reads from its buffer.
    with PDFIUM_LOCK:
        raw = pdfium_c.FPDF_LoadMemDocument64(data, len(data), None)
        if not raw:
            raise _load_error(name, pdfium_c.FPDF_GetLastError())
        pdf = pdfium.PdfDocument(raw)
        try:
            page_count = len(pdf)
            if page_count == 0:
                raise ChartReadError(f"{name}: PDF has no pages")
            if page_count > max_pages:
                raise ChartReadError(
                    f"{name}: PDF has {page_count:,} pages, more than the limit of "
                    f"{max_pages:,}; split it into smaller files"
                )
            return tuple(
                Page(number=index + 1, text=_clean_pdf_text(_page_text(pdf, index)))
                for index in range(page_count)
            )
        except pdfium.PdfiumError:
            raise _damaged(name) from None
        finally:
            pdf.close()


def _page_text(pdf: pdfium.PdfDocument, index: int) -> str:
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            return textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()


def _clean_pdf_text(text: str) -> str:
    return _CONTROL_CHARS.sub(" ", _NEWLINES.sub("\n", text))


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
    return _damaged(name)


def _damaged(name: str) -> ChartReadError:
    return ChartReadError(f"{name}: PDF is damaged or truncated and cannot be read")
