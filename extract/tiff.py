"""Multi-page TIFF faxes: recognised by content, decoded with Pillow under limits, and turned
into an image-only PDF so that the rest of the chart reader (the gate's PDF child, OCR, page
images and evidence boxes) treats every frame as a scanned PDF page.

The conversion is deterministic (the same TIFF gives the same PDF bytes) and lossless for
black-and-white faxes (CCITT group 4), so the page the reviewer sees and the page OCR read are
the same picture.
"""

from __future__ import annotations

import io
import struct
import threading
import warnings
from collections import OrderedDict

__all__ = ["TIFF_MAGIC", "is_tiff", "tiff_to_pdf", "tiff_to_pdf_cached"]

#: Little- and big-endian TIFF headers (classic TIFF; BigTIFF is not accepted).
TIFF_MAGIC = (b"II*\x00", b"MM\x00*")
#: Resolution assumed when a frame does not say (fine fax mode is 204 x 196 dpi).
DEFAULT_DPI = 200.0
#: Most decoded bytes of all frames together (1 bit per pixel for black and white).
MAX_DECODED_BYTES = 300_000_000

_CACHE: OrderedDict[object, bytes] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 4


def is_tiff(data: bytes) -> bool:
    """The content starts with a classic TIFF header."""
    return data[:4] in TIFF_MAGIC


def _refused(name: str, why: str, status: int = 422):
    from priorauth.extract.gate import ChartReadError

    return ChartReadError(f"{name}: {why}", status=status)


def tiff_to_pdf(name: str, data: bytes, *, max_pages: int, max_image_pixels: int) -> bytes:
    """The frames of a TIFF as the pages of an image-only PDF.

    Each frame is checked before it is decoded: at most ``max_pages`` frames, at most
    ``max_image_pixels`` pixels per frame (and Pillow's own ``Image.MAX_IMAGE_PIXELS`` bomb
    check, raised to an error), at most :data:`MAX_DECODED_BYTES` decoded in all. Fax
    resolutions that are not square (204 x 98 dpi) are stretched to square pixels.

    Raises:
        ChartReadError: Not a readable TIFF (damaged, truncated, an unsupported compression),
            too many frames, or a frame over a pixel limit.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    from priorauth.extract.gate import ChartReadError

    pages = []
    decoded = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["TIFF"]) as image:
                index = 0
                while True:
                    if index >= max_pages:
                        raise _refused(name, f"TIFF has more than {max_pages:,} pages (the "
                                             "limit); split it into smaller files")
                    width, height = image.size
                    pixels = width * height
                    limit = min(max_image_pixels, Image.MAX_IMAGE_PIXELS or max_image_pixels)
                    if pixels > limit:
                        raise _refused(name, f"TIFF page {index + 1} has {pixels:,} pixels, "
                                             f"more than the limit of {limit:,}")
                    bilevel = image.mode == "1"
                    decoded += pixels // 8 if bilevel else pixels
                    if decoded > MAX_DECODED_BYTES:
                        raise _refused(name, "TIFF pages need more than "
                                             f"{MAX_DECODED_BYTES // 1_000_000:,} MB decoded "
                                             "(the limit); split it into smaller files")
                    frame = image.copy()
                    frame = ImageOps.exif_transpose(frame) or frame
                    if frame.mode not in ("1", "L"):
                        frame = frame.convert("L")
                    xdpi, ydpi = _dpi(image)
                    if abs(xdpi - ydpi) > 1:  # e.g. 204 x 98 dpi: make the pixels square
                        frame = frame.resize((width, max(1, round(height * xdpi / ydpi))),
                                             Image.Resampling.NEAREST)
                    pages.append((frame, xdpi))
                    index += 1
                    try:
                        image.seek(index)
                    except EOFError:
                        break
    except ChartReadError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise _refused(name, "TIFF is damaged or over Pillow's image size limit and cannot "
                             "be read", status=400) from None
    except (OSError, ValueError, SyntaxError, struct.error, MemoryError):
        raise _refused(name, "TIFF is damaged or truncated and cannot be read",
                       status=400) from None
    if not pages:
        raise _refused(name, "TIFF has no pages", status=400)
    buffer = io.BytesIO()
    first, dpi = pages[0]
    # one resolution for the whole PDF: frames of another resolution are scaled to it
    rest = []
    for frame, frame_dpi in pages[1:]:
        if abs(frame_dpi - dpi) > 1:
            frame = frame.resize((max(1, round(frame.width * dpi / frame_dpi)),
                                  max(1, round(frame.height * dpi / frame_dpi))),
                                 Image.Resampling.NEAREST)
        rest.append(frame)
    first.save(buffer, "PDF", save_all=True, append_images=rest, resolution=dpi)
    return buffer.getvalue()


def _dpi(image) -> tuple[float, float]:
    info = image.info.get("dpi")
    try:
        xdpi, ydpi = float(info[0]), float(info[1])
    except (TypeError, ValueError, IndexError):
        return DEFAULT_DPI, DEFAULT_DPI
    if not (50 <= xdpi <= 1200 and 50 <= ydpi <= 1200):
        return DEFAULT_DPI, DEFAULT_DPI
    return xdpi, ydpi


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
