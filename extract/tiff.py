"""Multi-page TIFF faxes: recognised by content, decoded with Pillow under limits, and turned
into an image-only PDF so that the rest of the chart reader (the gate's PDF child, OCR, page
images and evidence boxes) treats every frame as a scanned PDF page.

The decoding runs in a child process (``python -m priorauth.extract.tiff``), like the PDF
child (:mod:`priorauth.extract.pdf_child`): it sets ``RLIMIT_AS`` and ``RLIMIT_CPU`` before
reading a byte, the parent waits with a wall-clock timeout, and libtiff's complaints about a
damaged strip go to the child's stderr, never to the command line's one-line error. Frames are
decoded one at a time: each is checked before it is decoded (at most ``max_pages`` frames, at
most ``max_image_pixels`` pixels, Pillow's ``Image.MAX_IMAGE_PIXELS`` bomb check raised to an
error), written as a one-page PDF (black and white as CCITT group 4, lossless) and dropped;
the pages are then joined with PDFium. What the PDF draws is the same on every run (only
PDFium's file /ID differs), so the page the reviewer sees and the page OCR read are the same
picture; caches are keyed by the TIFF file, never by the PDF's bytes.

Protocol (private to :func:`tiff_to_pdf`): stdin carries one line of JSON options then the
TIFF's bytes; stdout carries one line of JSON (``{"pages": n}``, ``{"refused": "..."}`` or
``{"damaged": true}``) followed, after ``{"pages": n}``, by the PDF's bytes.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import warnings
from collections import OrderedDict

__all__ = ["TIFF_MAGIC", "is_tiff", "tiff_to_pdf", "tiff_to_pdf_cached"]

#: Little- and big-endian TIFF headers (classic TIFF; BigTIFF is not accepted).
TIFF_MAGIC = (b"II*\x00", b"MM\x00*")
#: Resolution assumed when a frame does not say (fine fax mode is 204 x 196 dpi).
DEFAULT_DPI = 200.0
#: Memory (address space) and CPU seconds of the child, and the parent's wall-clock wait.
MEMORY_BYTES = 512_000_000
CPU_SECONDS = 60
WALL_SECONDS = 90.0
OUT_OF_MEMORY = 3

_CACHE: OrderedDict[object, bytes] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 4


def is_tiff(data: bytes) -> bool:
    """The content starts with a classic TIFF header."""
    return data[:4] in TIFF_MAGIC


def _refused(name: str, why: str, status: int = 422):
    from priorauth.extract.gate import ChartReadError

    return ChartReadError(f"{name}: {why}", status=status)


def _damaged(name: str):
    return _refused(name, "TIFF is damaged or truncated and cannot be read", status=400)


def tiff_to_pdf(name: str, data: bytes, *, max_pages: int, max_image_pixels: int,
                memory_bytes: int = MEMORY_BYTES, cpu_seconds: int = CPU_SECONDS,
                wall_seconds: float = WALL_SECONDS) -> bytes:
    """The frames of a TIFF as the pages of an image-only PDF, made in a child process.

    Raises:
        ChartReadError: Not a readable TIFF (damaged, truncated, an unsupported compression),
            too many frames, a frame over a pixel limit, or more memory or time than the
            child is given.
    """
    options = {"max_pages": max_pages, "max_image_pixels": max_image_pixels,
               "memory_bytes": memory_bytes, "cpu_seconds": cpu_seconds,
               "parent_pid": os.getpid()}
    payload = json.dumps(options).encode() + b"\n" + data
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-m", "priorauth.extract.tiff"], input=payload,
            capture_output=True, timeout=wall_seconds,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"}, check=False)
    except subprocess.TimeoutExpired:
        raise _refused(name, f"TIFF did not open within {wall_seconds:g} s (the limit); it "
                             "cannot be read safely") from None
    head, _, pdf = done.stdout.partition(b"\n")
    try:
        result = json.loads(head) if done.returncode == 0 else None
    except ValueError:
        result = None
    if not isinstance(result, dict):
        if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            why = f"more than {cpu_seconds} s of CPU time"
        elif done.returncode in (OUT_OF_MEMORY, -signal.SIGABRT, -signal.SIGSEGV):
            why = f"more than {memory_bytes // 1_000_000:,} MB of memory"
        else:
            raise _damaged(name)
        raise _refused(name, f"TIFF needs {why} to open (the limit); it cannot be read safely")
    if "refused" in result:
        raise _refused(name, str(result["refused"]))
    if "pages" not in result or not pdf.startswith(b"%PDF-"):
        raise _damaged(name)
    return pdf


def tiff_to_pdf_cached(key: object, name: str, data: bytes, *, max_pages: int,
                       max_image_pixels: int) -> bytes:
    """:func:`tiff_to_pdf`, remembered for the last few files (``key`` names the content)."""
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    pdf = tiff_to_pdf(name, data, max_pages=max_pages, max_image_pixels=max_image_pixels)
    with _CACHE_LOCK:
        _CACHE[key] = pdf
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return pdf


# --------------------------------------------------------------------------- the child


def _dpi(image) -> tuple[float, float]:
    info = image.info.get("dpi")
    try:
        xdpi, ydpi = float(info[0]), float(info[1])
    except (TypeError, ValueError, IndexError):
        return DEFAULT_DPI, DEFAULT_DPI
    if not (50 <= xdpi <= 1200 and 50 <= ydpi <= 1200):
        return DEFAULT_DPI, DEFAULT_DPI
    return xdpi, ydpi


class _Refusal(Exception):
    pass


def convert(data: bytes, *, max_pages: int, max_image_pixels: int) -> tuple[bytes, int]:
    """The TIFF's frames as a PDF, one frame decoded at a time: ``(pdf, pages)``.

    Raises:
        _Refusal: Over a page or pixel limit (the message names numbers, never content).
        Exception: Anything Pillow or PDFium raise on a damaged file.
    """
    import pypdfium2 as pdfium
    from PIL import Image

    bomb = Image.MAX_IMAGE_PIXELS or max_image_pixels
    limit = min(max_image_pixels, bomb)
    joined = pdfium.PdfDocument.new()
    try:
        pages = _frames(data, joined, max_pages=max_pages, limit=limit)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _Refusal(f"TIFF has a page of more than {limit:,} pixels (the limit)") from None
    out = io.BytesIO()
    joined.save(out)
    joined.close()
    return out.getvalue(), pages


def _frames(data: bytes, joined, *, max_pages: int, limit: int) -> int:
    """Each frame decoded, checked, written as a one-page PDF and joined; how many."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageOps

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data), formats=["TIFF"]) as image:
            index = 0
            while True:
                if index >= max_pages:
                    raise _Refusal(f"TIFF has more than {max_pages:,} pages (the limit); "
                                   "split it into smaller files")
                width, height = image.size
                if width * height > limit:
                    raise _Refusal(f"TIFF page {index + 1} has {width * height:,} pixels, "
                                   f"more than the limit of {limit:,}")
                frame = image.copy()
                frame = ImageOps.exif_transpose(frame) or frame
                if frame.mode not in ("1", "L"):
                    frame = frame.convert("L")
                xdpi, ydpi = _dpi(image)
                if abs(xdpi - ydpi) > 1:  # e.g. 204 x 98 dpi: make the pixels square
                    frame = frame.resize(
                        (frame.width, max(1, round(frame.height * xdpi / ydpi))),
                        Image.Resampling.NEAREST)
                one = io.BytesIO()
                frame.save(one, "PDF", resolution=xdpi)
                del frame
                page = pdfium.PdfDocument(one.getvalue())
                joined.import_pages(page)
                page.close()
                index += 1
                try:
                    image.seek(index)
                except EOFError:
                    break
    return index


def main() -> int:
    """Read options and a TIFF from stdin; write the result line and the PDF to stdout."""
    from priorauth.extract.lifetime import start_limited_child

    options, data = start_limited_child()
    pdf = b""
    try:
        pdf, pages = convert(data, max_pages=options["max_pages"],
                             max_image_pixels=options["max_image_pixels"])
        result: dict = {"pages": pages}
    except MemoryError:
        return OUT_OF_MEMORY
    except _Refusal as exc:
        result = {"refused": str(exc)}
    except Exception:  # Pillow, libtiff or PDFium on a damaged file, or a bomb
        result = {"damaged": True}
    out = sys.stdout.buffer
    out.write(json.dumps(result, ensure_ascii=True).encode() + b"\n" + pdf)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
