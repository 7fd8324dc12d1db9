"""Checks on uploaded chart files: type by content, size and page limits, safe names.

An upload is kept only if its *content* is a PDF (``%PDF-`` header, opens in PDFium, not
encrypted, within the page limit) or plain text (no NUL bytes, decodes, few control
characters), and its name is one the command line accepts (``.pdf``, ``.txt``, ``.text`` or no
extension; a ``.pdf`` name needs PDF content). The uploaded name is only ever shown (escaped),
never used as a path: files are stored under random names.
"""

from __future__ import annotations

import codecs
import os
import re
import secrets
import unicodedata
from pathlib import Path

import pypdfium2.raw as pdfium_c

from priorauth.extract.ingest import PDFIUM_LOCK

__all__ = ["UploadRejected", "check_upload", "display_name", "store_file"]

_PDF_HEADER = b"%PDF-"
_PDF_WHITESPACE = b"\x00\t\n\x0c\r "
_TEXT_SUFFIXES = frozenset({".txt", ".text", ""})
_ACCEPTED = "PDF files or plain-text notes (.txt, .text or no extension)"
_UNSAFE_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_NAME = 120
# Binary formats that can decode as cp1252 "text": refuse them by their magic numbers.
_BINARY_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\x7fELF", b"MZ",
                 b"\x1f\x8b", b"BZh", b"7z\xbc\xaf", b"Rar!", b"II*\x00", b"MM\x00*",
                 b"\xd0\xcf\x11\xe0", b"RIFF", b"%!PS")


class UploadRejected(ValueError):
    """An uploaded file is refused; the message names the file (display name) only.

    Attributes:
        status: The HTTP status to answer with (413 too large, 415 wrong type, 400 otherwise).
    """

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def display_name(filename: str | None, position: int) -> str:
    """The base name of an uploaded file, for display only (``../../x.pdf`` -> ``x.pdf``)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME_CHARS.sub("", unicodedata.normalize("NFC", name)).strip()
    if name in ("", ".", ".."):
        name = f"document-{position + 1}"
    if len(name) > _MAX_NAME:
        stem, dot, suffix = name.rpartition(".")
        suffix = suffix[:10] if dot else ""
        name = name[: _MAX_NAME - len(suffix) - 2] + "…" + ("." + suffix if suffix else "")
    return name


def _is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip(_PDF_WHITESPACE).startswith(_PDF_HEADER)


def _is_text(data: bytes) -> bool:
    if data.startswith(_BINARY_MAGIC):
        return False
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return False
    else:
        if b"\x00" in data:
            return False
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                return False
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f")
    return controls <= max(2, len(text) // 100)


def _pdf_pages(data: bytes, name: str) -> int:
    with PDFIUM_LOCK:
        raw = pdfium_c.FPDF_LoadMemDocument64(data, len(data), None)
        if not raw:
            error = pdfium_c.FPDF_GetLastError()
            if error in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
                raise UploadRejected(f"{name}: PDF is encrypted (password protected); "
                                     "upload an unencrypted copy")
            raise UploadRejected(f"{name}: PDF is damaged or truncated and cannot be read")
        try:
            return pdfium_c.FPDF_GetPageCount(raw)
        finally:
            pdfium_c.FPDF_CloseDocument(raw)


def check_upload(name: str, data: bytes, *, max_bytes: int, max_pages: int) -> str:
    """Check one uploaded file by its content and return its kind, ``"pdf"`` or ``"txt"``.

    Args:
        name: The display name (from :func:`display_name`).
        data: The file's bytes.
        max_bytes: Largest size accepted.
        max_pages: Largest page count accepted for a PDF.

    Raises:
        UploadRejected: Too large, empty, not a PDF or text, encrypted, damaged, too many pages.
    """
    if len(data) > max_bytes:
        raise UploadRejected(f"{name}: file is too large (the limit is {max_bytes:,} bytes); "
                             "split it into smaller files", status=413)
    if not data.strip():
        raise UploadRejected(f"{name}: file is empty")
    suffix = Path(name).suffix.lower()
    if _is_pdf(data):
        pages = _pdf_pages(data, name)
        if pages < 1:
            raise UploadRejected(f"{name}: PDF has no pages")
        if pages > max_pages:
            raise UploadRejected(f"{name}: PDF has {pages:,} pages, more than the limit of "
                                 f"{max_pages:,}; split it into smaller files")
        return "pdf"
    if suffix == ".pdf":
        raise UploadRejected(f"{name}: not a PDF file (its content has no %PDF header)",
                             status=415)
    if suffix not in _TEXT_SUFFIXES:
        raise UploadRejected(f"{name}: unsupported file type '{suffix}'; accepted are "
                             f"{_ACCEPTED}", status=415)
    if not _is_text(data):
        raise UploadRejected(f"{name}: not a plain-text file (binary content); accepted are "
                             f"{_ACCEPTED}", status=415)
    return "txt"


def store_file(folder: Path, data: bytes, kind: str) -> str:
    """Write ``data`` under a new random name in ``folder`` (owner-only); returns the name."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stored = f"{secrets.token_hex(16)}.{kind}"
    fd = os.open(folder / stored, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return stored
