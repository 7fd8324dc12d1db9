"""The one input gate: every chart file, from the CLI, batch, the web upload or a notebook,
passes here before anything parses it.

- **Regular files only.** A path is opened without blocking and refused unless it is a regular
  file: a FIFO, a device, a socket or a symlink loop is an error at once, never a hang.
- **Type by content.** ``%PDF-`` within the first KiB means PDF, whatever the name. Anything
  else must be named like a text file and *be* text: known binary signatures are refused, and
  so is content whose decoded text has more than 1 % control characters. Text is decoded as
  UTF-8, UTF-16 with a BOM, UTF-16 without one (recognised by its zero bytes), else Windows-1252
  / Latin-1.
- **Limits.** Bytes per file, pages per PDF, characters per page, drawing objects per page,
  pixels per image, and a child process that reads the PDF under memory, CPU and wall-clock
  limits (:mod:`priorauth.extract.pdf_child`).

Every refusal is a :class:`ChartReadError` whose message starts with the file's name and
quotes none of its content; :attr:`ChartReadError.status` is the HTTP status the web page
answers with (413 too large, 415 not a chart file type, 422 over a content limit, 400
otherwise).
"""

from __future__ import annotations

import codecs
import errno
import json
import os
import signal
import stat
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from priorauth.extract.tiff import is_tiff, tiff_to_pdf

__all__ = [
    "ACCEPTED",
    "ChartReadError",
    "FileKey",
    "GateLimits",
    "PdfLayout",
    "check_bytes",
    "decode_text",
    "is_pdf",
    "kind_of",
    "read_file",
    "read_pdf_layout",
]

ACCEPTED = "plain-text notes (.txt, .text or no extension), PDF files or TIFF faxes"
TEXT_SUFFIXES = frozenset({".txt", ".text", ""})
_PDF_HEADER = b"%PDF-"
_HEADER_WINDOW = 1024
# PDF white-space characters (ISO 32000-1, 7.2.2) allowed before the header.
_PDF_WHITESPACE = b"\x00\t\n\x0c\r "
# Binary formats that can decode as Windows-1252 "text": refused by their magic numbers.
_BINARY_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\x7fELF", b"MZ",
                 b"\x1f\x8b", b"BZh", b"7z\xbc\xaf", b"Rar!", b"II*\x00", b"MM\x00*",
                 b"\xd0\xcf\x11\xe0", b"RIFF", b"%!PS", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe",
                 b"\xca\xfe\xba\xbe", b"SQLite format 3")
_ALLOWED_CONTROLS = frozenset("\t\n\r\f")
_SNIFF = 4096  # bytes looked at to recognise UTF-16 without a BOM
_EMPTY = b"\x00\t\n\x0b\x0c\r "  # a file of nothing else is empty (not binary)

#: Identity of a file's content as read: (real path, modification time in ns, size).
FileKey = tuple[str, int, int]


class ChartReadError(ValueError):
    """A chart file cannot be read.

    The message starts with the file's base name ("note2.pdf: ...") and never contains any of
    the file's text, so it is safe to print and log.

    Attributes:
        status: The HTTP status for the web page (413, 415, 422 or 400).
    """

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class GateLimits:
    """What one chart file may cost. The defaults suit charts of up to a few hundred pages.

    Attributes:
        max_bytes: Largest file.
        max_pages: Most pages in one PDF.
        max_page_chars: Most characters on one page (or in one text file).
        max_page_objects: Most drawing objects on one PDF page (text runs, paths, images; a
            dense typed page has a few thousand).
        max_image_pixels: Largest image on a PDF page, in pixels (a letter page scanned at
            600 dpi is 34 million).
        memory_bytes: Address space of the child process that parses a PDF.
        cpu_seconds: CPU time of that child.
        wall_seconds: Wall-clock time the parent waits for it.
    """

    max_bytes: int = 50_000_000
    max_pages: int = 500
    max_page_chars: int = 200_000
    max_page_objects: int = 100_000
    max_image_pixels: int = 60_000_000
    memory_bytes: int = 512_000_000
    cpu_seconds: int = 60
    wall_seconds: float = 90.0


# --------------------------------------------------------------------------- files


def read_file(path: str | os.PathLike[str], *, max_bytes: int) -> tuple[str, bytes, FileKey]:
    """Read a regular file's bytes: ``(name, data, key)``.

    Raises:
        ChartReadError: Missing, not a regular file (directory, FIFO, device, socket, symlink
            loop), unreadable, empty or larger than ``max_bytes``.
    """
    file_path = Path(os.fsdecode(path))
    name = file_path.name or os.fsdecode(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(file_path, flags)
    except FileNotFoundError:
        raise ChartReadError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise _not_regular(name, "a directory") from None
    except PermissionError:
        if file_path.is_dir():  # Windows refuses to open a directory with EACCES
            raise _not_regular(name, "a directory") from None
        raise ChartReadError(
            f"{name}: cannot read file (permission denied); check the file's permissions"
        ) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _not_regular(name, "a symbolic link loop") from None
        raise ChartReadError(f"{name}: cannot read file ({exc.strerror or 'I/O error'})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = ("a directory" if stat.S_ISDIR(info.st_mode) else
                    "a named pipe" if stat.S_ISFIFO(info.st_mode) else
                    "a socket" if stat.S_ISSOCK(info.st_mode) else "a device")
            raise _not_regular(name, what)
        if info.st_size > max_bytes:
            raise _too_large(name, info.st_size, max_bytes)
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ChartReadError(f"{name}: cannot read file ({exc.strerror or 'I/O error'})") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:  # the file grew while read
        raise _too_large(name, None, max_bytes)
    if not data.strip(_EMPTY):
        raise ChartReadError(f"{name}: file is empty")
    return name, data, (os.path.realpath(file_path), info.st_mtime_ns, len(data))


def _not_regular(name: str, what: str) -> ChartReadError:
    return ChartReadError(f"{name}: is {what}, not a regular file; give the chart's files")


def _too_large(name: str, size: int | None, max_bytes: int) -> ChartReadError:
    actual = f"{size:,} bytes; " if size is not None else ""
    return ChartReadError(
        f"{name}: file is too large ({actual}the limit is {max_bytes:,} bytes); "
        "split it into smaller files", status=413)


# --------------------------------------------------------------------------- type and text


def is_pdf(data: bytes) -> bool:
    """The content starts (within its first KiB) with a PDF header."""
    return data[:_HEADER_WINDOW].lstrip(_PDF_WHITESPACE).startswith(_PDF_HEADER)


def kind_of(name: str, data: bytes) -> str:
    """``"pdf"``, ``"tiff"`` or ``"txt"``, by content; the name only decides what text may
    be called.

    Raises:
        ChartReadError: A ``.pdf`` name without PDF content (415), or a name that is neither
            a PDF nor a text file's (415).
    """
    if is_pdf(data):
        return "pdf"
    if is_tiff(data):  # a fax: its frames are scanned pages (extract/tiff.py)
        return "tiff"
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        raise ChartReadError(f"{name}: not a PDF file (its content has no %PDF header)",
                             status=415)
    if suffix not in TEXT_SUFFIXES:
        raise ChartReadError(f"{name}: unsupported file type '{suffix}'; accepted are "
                             f"{ACCEPTED}", status=415)
    return "txt"


def decode_text(name: str, data: bytes) -> str:
    """The text of a plain-text chart file (newlines not yet normalised).

    Raises:
        ChartReadError: The content is binary (415): a known binary signature, zero bytes
            counted with the control characters, text that does not decode, or more than 1 %
            control characters (a few stray ones, NUL included, are tolerated).
    """
    text = _decode(data)
    if text is None or not _mostly_printable(text):
        raise ChartReadError(f"{name}: not a text file (binary content); accepted are "
                             f"{ACCEPTED}", status=415)
    return text


def _decode(data: bytes) -> str | None:
    if data.startswith(_BINARY_MAGIC):
        return None
    encoding = _utf16(data)
    if encoding is not None:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _utf16(data: bytes) -> str | None:
    """``"utf-16"`` with a BOM; ``"utf-16-le"``/``"-be"`` when every other byte is mostly zero."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = data[:_SNIFF]
    if len(head) < 4 or len(head) % 2:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    # Latin text in UTF-16 has a zero high byte in nearly every character
    if odd >= 0.7 * half and even <= 0.02 * half:
        return "utf-16-le"
    if even >= 0.7 * half and odd <= 0.02 * half:
        return "utf-16-be"
    return None


def _mostly_printable(text: str) -> bool:
    controls = sum(1 for ch in text
                   if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) == "Cc")
    return controls <= max(8, len(text) // 100)


# --------------------------------------------------------------------------- PDFs


@dataclass(frozen=True)
class PdfLayout:
    """What the child process read of a PDF.

    Attributes:
        texts: Each page's normalised text layer.
        sizes: Each page's displayed (width, height) in points.
        scans: Indices of pages with no usable text layer that are not blank paper.
    """

    texts: tuple[str, ...]
    sizes: tuple[tuple[float, float], ...]
    scans: tuple[int, ...]


def read_pdf_layout(name: str, data: bytes, *, engine: str = "pdfium",
                    limits: GateLimits | None = None) -> PdfLayout:
    """Read a PDF's text layer in a child process under ``limits``.

    Raises:
        ChartReadError: Encrypted, damaged, no pages, over a page, object, image or character
            limit, or its parse needed more memory or time than the child is given.
    """
    limits = limits or GateLimits()
    options = {"engine": engine, "max_pages": limits.max_pages,
               "max_page_chars": limits.max_page_chars,
               "max_page_objects": limits.max_page_objects,
               "max_image_pixels": limits.max_image_pixels,
               "memory_bytes": limits.memory_bytes, "cpu_seconds": limits.cpu_seconds,
               "parent_pid": os.getpid()}
    payload = json.dumps(options).encode() + b"\n" + data
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-m", "priorauth.extract.pdf_child"],
            input=payload, capture_output=True, timeout=limits.wall_seconds,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"}, check=False)
    except subprocess.TimeoutExpired:
        raise ChartReadError(
            f"{name}: PDF did not open within {limits.wall_seconds:g} s (the limit); it "
            "cannot be read safely", status=422) from None
    result = _child_result(done)
    if result is None:
        raise _over_budget(name, done.returncode, limits)
    if "load_error" in result:
        raise _load_error(name, result["load_error"])
    if "refused" in result:
        raise ChartReadError(f"{name}: {result['refused']}", status=422)
    if "damaged" in result:
        raise damaged(name)
    pages = result["pages"]
    return PdfLayout(
        texts=tuple(p["text"] for p in pages),
        sizes=tuple((float(p["size"][0]), float(p["size"][1])) for p in pages),
        scans=tuple(i for i, p in enumerate(pages) if p["scan"]),
    )


def _child_result(done: subprocess.CompletedProcess[bytes]) -> dict | None:
    if done.returncode != 0:
        return None
    try:
        result = json.loads(done.stdout)
    except ValueError:
        return None
    return result if isinstance(result, dict) else None


def _over_budget(name: str, returncode: int, limits: GateLimits) -> ChartReadError:
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        why = f"more than {limits.cpu_seconds} s of CPU time"
    else:  # out of memory: MemoryError, or PDFium's allocation failure aborting the child
        why = f"more than {limits.memory_bytes // 1_000_000:,} MB of memory"
    return ChartReadError(f"{name}: PDF needs {why} to open (the limit); it cannot be read "
                          "safely", status=422)


def _load_error(name: str, error_code: int) -> ChartReadError:
    import pypdfium2.raw as pdfium_c

    if error_code == pdfium_c.FPDF_ERR_PASSWORD:
        return ChartReadError(
            f"{name}: PDF is encrypted (password protected); remove the password and try again")
    if error_code == pdfium_c.FPDF_ERR_SECURITY:
        return ChartReadError(
            f"{name}: PDF is encrypted with an unsupported security handler; "
            "save an unencrypted copy and try again")
    return damaged(name)


def damaged(name: str) -> ChartReadError:
    """The error for a PDF that PDFium or pdfminer cannot parse."""
    return ChartReadError(f"{name}: PDF is damaged or truncated and cannot be read")


# --------------------------------------------------------------------------- the web's check


def check_bytes(name: str, data: bytes, *, limits: GateLimits | None = None) -> str:
    """Check an uploaded file's bytes as :func:`read_file` and the readers would; its kind.

    Returns:
        ``"pdf"``, ``"tiff"`` or ``"txt"``.

    Raises:
        ChartReadError: Too large, empty, not a chart file type, binary text, a PDF that
            fails :func:`read_pdf_layout`, or a TIFF over a page or pixel limit or whose PDF
            of its frames fails it.
    """
    limits = limits or GateLimits()
    if len(data) > limits.max_bytes:
        raise _too_large(name, len(data), limits.max_bytes)
    if not data.strip(_EMPTY):
        raise ChartReadError(f"{name}: file is empty")
    kind = kind_of(name, data)
    if kind == "pdf":
        read_pdf_layout(name, data, limits=limits)
    elif kind == "tiff":
        read_pdf_layout(name, tiff_pdf(name, data, limits), limits=limits)
    else:
        text = decode_text(name, data)
        if len(text) > limits.max_page_chars:
            raise _too_many_chars(name, len(text), limits.max_page_chars)
    return kind


def tiff_pdf(name: str, data: bytes, limits: GateLimits) -> bytes:
    """A TIFF's frames as an image-only PDF, under the gate's page and pixel limits."""
    return tiff_to_pdf(name, data, max_pages=limits.max_pages,
                       max_image_pixels=limits.max_image_pixels,
                       memory_bytes=limits.memory_bytes, cpu_seconds=limits.cpu_seconds,
                       wall_seconds=limits.wall_seconds)


def _too_many_chars(name: str, count: int, limit: int) -> ChartReadError:
    return ChartReadError(f"{name}: text has {count:,} characters, more than the limit of "
                          f"{limit:,}; split it into smaller files", status=422)
