"""PDF text layers with character positions, page images and evidence highlight boxes.

Two text engines sit behind one interface (:class:`TextEngine`):

- ``"pdfium"`` (the default): PDFium through pypdfium2. Fast (see ``benchmarks/bench_ingest.py``),
  and the engine whose text the evidence offsets have always indexed into.
- ``"pdfplumber"``: pdfminer through pdfplumber, for stacks that standardise on it. Its text
  agrees with PDFium's on the test PDFs (``tests/test_pdf_positions.py``) but may differ on
  others, so offsets are only valid with the engine that produced them
  (:attr:`priorauth.extract.ingest.Document.engine`).

Every text is normalised the same way (``\\r\\n`` and lone ``\\r`` become ``\\n``, other control
characters become spaces) and its character boxes are mapped onto the normalised text, so
``boxes[i]`` is the box of ``text[i]``. Boxes are in PDF points with the origin at the
top-left corner of the page as displayed (crop box and ``/Rotate`` applied), the same frame as
:func:`page_image` renders, whatever the page's own coordinate system.

The web page uses :func:`evidence_boxes`, :func:`page_size` and :func:`page_image`; they work
for pages with a text layer and for scanned pages (whose boxes come from OCR words).

PDFium is not thread-safe, not even across documents: every call into it holds
:data:`PDFIUM_LOCK` (re-entrant, so helpers may nest).
"""

from __future__ import annotations

import ctypes
import io
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "PDFIUM_LOCK",
    "Box",
    "PdfiumEngine",
    "PdfplumberEngine",
    "TextEngine",
    "char_boxes",
    "clean_text",
    "displayed_size",
    "evidence_boxes",
    "get_engine",
    "image_coverage",
    "is_blank",
    "is_scan",
    "merge_boxes",
    "needs_ocr",
    "page_image",
    "page_size",
    "render_gray",
]

#: Serialises every call into PDFium (see the module docstring). Re-entrant.
PDFIUM_LOCK = threading.RLock()

DEFAULT_ENGINE = "pdfium"

_CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NEWLINES = re.compile("\r\n?")
_GARBAGE = re.compile("[\ufffd\ue000-\uf8ff]")
_ALNUM = re.compile(r"[^\W_]", re.UNICODE)
# A page whose text layer has fewer visible characters than this, drawn over an image that
# covers at least half of the page, is a scan with a stamped header: it is OCRed.
_SHORT_TEXT = 200
_SCAN_COVERAGE = 0.5
_BLANK_SCALE = 0.25  # 18 dpi is plenty to tell a blank page from a written one
_BLANK_LEVEL = 235  # darkest grey (0-255) still counted as paper
_MAX_RENDER_PIXELS = 60_000_000


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle on a page, in PDF points, origin at the top-left of the displayed page.

    Attributes:
        x0: Left edge.
        y0: Top edge (``y0 < y1``).
        x1: Right edge.
        y1: Bottom edge.
    """

    x0: float
    y0: float
    x1: float
    y1: float


def clean_text(raw: str) -> str:
    """Normalise extracted text: newlines to ``\\n``, other control characters to spaces."""
    return _CONTROL_CHARS.sub(" ", _NEWLINES.sub("\n", raw))


def _clean_with_boxes(
    raw: str, boxes: Sequence[Box | None]
) -> tuple[str, tuple[Box | None, ...]]:
    """:func:`clean_text`, keeping ``boxes`` aligned (the ``\\r`` of each ``\\r\\n`` goes)."""
    if "\r\n" not in raw:
        return clean_text(raw), tuple(boxes)
    kept = tuple(
        box for k, box in enumerate(boxes) if not (raw[k] == "\r" and raw[k + 1 : k + 2] == "\n")
    )
    return clean_text(raw), kept


def merge_boxes(boxes: Sequence[Box | None]) -> list[Box]:
    """Merge consecutive character boxes into one rectangle per line of text.

    ``None`` entries (spaces, line breaks, characters without a position) are skipped. A box
    joins the current line if its centre lies in the line's band and it is near the line's
    end; lines run across the page or, on rotated pages, up or down it.

    Args:
        boxes: Character boxes in reading order.

    Returns:
        The line rectangles, in reading order.
    """
    lines: list[Box] = []
    direction: str | None = None  # "across" or "down" once a line has two characters
    for box in boxes:
        if box is None:
            continue
        if lines:
            joined = _join(lines[-1], box, direction)
            if joined is not None:
                direction = joined
                line = lines[-1]
                lines[-1] = Box(
                    min(line.x0, box.x0),
                    min(line.y0, box.y0),
                    max(line.x1, box.x1),
                    max(line.y1, box.y1),
                )
                continue
        lines.append(box)
        direction = None
    return lines


def _join(line: Box, box: Box, direction: str | None) -> str | None:
    """The direction in which ``box`` continues ``line``, or ``None`` if it starts a new one."""
    middle_x, middle_y = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    if direction != "down" and line.y0 <= middle_y <= line.y1:
        gap = max(box.x0 - line.x1, line.x0 - box.x1, 0.0)
        if gap <= 3 * max(box.y1 - box.y0, 1.0):
            return "across"
    if direction != "across" and line.x0 <= middle_x <= line.x1:
        gap = max(box.y0 - line.y1, line.y0 - box.y1, 0.0)
        if gap <= 3 * max(box.x1 - box.x0, 1.0):
            return "down"
    return None


# --------------------------------------------------------------------------- columns

_GUTTER_MIN = 12.0  # points of white between two columns
_COLUMN_LINES = 3  # text runs needed on each side of a gutter
_PROSE_WIDTH = 150.0  # points: the mean run width of a column of prose (~30 characters)
#: A page of more text runs than this is not searched for columns (a two-column print has a
#: few hundred); the search costs runs x runs, so a crafted page cannot make it unbounded.
_MAX_COLUMN_RUNS = 2000


def _text_rects(textpage: pdfium.PdfTextPage, convert: Callable[..., Box]) -> list[Box]:
    """PDFium's text runs (one rectangle per run of a line), displayed; cheap to get."""
    handle = textpage.raw
    count = pdfium_c.FPDFText_CountRects(handle, 0, -1)
    left, top, right, bottom = (ctypes.c_double() for _ in range(4))
    rects = []
    for index in range(max(count, 0)):
        if pdfium_c.FPDFText_GetRect(handle, index, ctypes.byref(left), ctypes.byref(top),
                                     ctypes.byref(right), ctypes.byref(bottom)):
            rects.append(convert(left.value, bottom.value, right.value, top.value))
    return rects


def find_gutter(rects: Sequence[Box], width: float) -> float | None:
    """The x of the white gutter between two columns of text, or ``None``.

    A gutter is a vertical band at least :data:`_GUTTER_MIN` wide, in the middle 70 % of the
    page, that at most two runs cross (a title or a footer may span both columns), with at
    least :data:`_COLUMN_LINES` runs on either side that sit beside a run on the other side.
    It separates columns of *text* only if it is the page's one gutter and one side holds
    prose (runs :data:`_PROSE_WIDTH` points wide on average): a table's cells, short on both
    sides or split by several gutters, are read row by row as they stand.
    """
    if not 2 * _COLUMN_LINES <= len(rects) <= _MAX_COLUMN_RUNS or width <= 0:
        return None
    found: list[tuple[int, float, list[Box], list[Box]]] = []
    x = width * 0.15
    while x < width * 0.85:
        low, high = x, x + _GUTTER_MIN
        if sum(1 for r in rects if r.x0 < high and r.x1 > low) <= 2:
            left = [r for r in rects if r.x1 <= low]
            right = [r for r in rects if r.x0 >= high]
            beside = sum(1 for a in left if any(a.y0 < b.y1 and b.y0 < a.y1 for b in right))
            if beside >= _COLUMN_LINES:
                found.append((beside, x + _GUTTER_MIN / 2, left, right))
        x += 2.0
    if not found:
        return None
    groups: list[list[tuple[int, float, list[Box], list[Box]]]] = []
    for item in found:  # adjacent bands are one gutter
        if groups and item[1] - groups[-1][-1][1] <= 4.0:
            groups[-1].append(item)
        else:
            groups.append([item])
    if len(groups) != 1:
        return None
    beside, middle, left, right = max(groups[0], key=lambda item: item[0])
    def mean_width(side: list[Box]) -> float:
        return sum(r.x1 - r.x0 for r in side) / len(side)
    if max(mean_width(left), mean_width(right)) < _PROSE_WIDTH:
        return None
    # the middle of the widest stretch of white
    return (groups[0][0][1] + groups[0][-1][1]) / 2


def read_columns(
    text: str, boxes: Sequence[Box | None], gutter: float
) -> tuple[str, tuple[Box | None, ...]]:
    """``text`` re-read column by column: between full-width lines, every line's part left
    of ``gutter`` first, then every part right of it. Same characters, same boxes, new order.
    """
    out_text: list[str] = []
    out_boxes: list[Box | None] = []
    left: list[tuple[str, list[Box | None]]] = []
    right: list[tuple[str, list[Box | None]]] = []

    def emit(chars: str, line_boxes: Sequence[Box | None]) -> None:
        if out_text:
            out_text.append("\n")
            out_boxes.append(None)
        out_text.append(chars)
        out_boxes.extend(line_boxes)

    def flush() -> None:
        for part in (left, right):
            for chars, line_boxes in part:
                emit(chars, line_boxes)
            part.clear()

    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        line_boxes = list(boxes[start:end])
        start = end + 1
        if any(b is not None and b.x0 < gutter < b.x1 for b in line_boxes):
            flush()
            emit(line, line_boxes)
            continue
        cut = len(line)
        for k, box in enumerate(line_boxes):
            if box is not None and box.x0 >= gutter:
                cut = k
                break
        head, tail = line[:cut].rstrip(), line[cut:]
        if head.strip():
            left.append((head, line_boxes[:len(head)]))
        if tail.strip():
            right.append((tail, line_boxes[cut:]))
        if not head.strip() and not tail.strip():
            left.append((line, line_boxes))
    flush()
    return "".join(out_text), tuple(out_boxes)


def _side_by_side(rects: Sequence[Box]) -> bool:
    """Some two text runs share a line: cells of a table row, fields of a form."""
    ordered = sorted(rects, key=lambda r: (r.y0 + r.y1) / 2)
    for a, b in zip(ordered, ordered[1:], strict=False):
        middle = (b.y0 + b.y1) / 2
        if a.y0 <= middle <= a.y1 and (b.x0 >= a.x1 or a.x0 >= b.x1):
            return True
    return False


def join_rows(text: str, boxes: Sequence[Box | None]) -> str:
    """``text`` with the line breaks PDFium puts between cells of one row made spaces.

    PDFium starts a new line at a wide gap: "08/01/2026", "1", "6 therapeutic exercise" on
    three lines for one row of a visit log. A break whose neighbours sit on the same line of
    the page, left to right, joins them. Same length: offsets and boxes still hold.
    """
    chars = list(text)
    for k, char in enumerate(chars):
        if char != "\n":
            continue
        before = next((boxes[j] for j in range(k - 1, max(-1, k - 40), -1)
                       if boxes[j] is not None), None)
        after = next((boxes[j] for j in range(k + 1, min(len(boxes), k + 40))
                      if boxes[j] is not None), None)
        if before is None or after is None or text.find("\n", k + 1, k + 2) == k + 1:
            continue
        middle = (after.y0 + after.y1) / 2
        if before.y0 <= middle <= before.y1 and after.x0 >= before.x1:
            chars[k] = " "
    return "".join(chars)


# --------------------------------------------------------------------------- page geometry


def _display_frame(page: pdfium.PdfPage) -> tuple[float, float, float, float, int]:
    """(left, top, width, height, rotation) of the page as displayed; caller holds the lock."""
    left, bottom, right, top = page.get_cropbox()
    rotation = page.get_rotation() % 360
    return left, top, right - left, top - bottom, rotation


def displayed_size(page: pdfium.PdfPage) -> tuple[float, float]:
    """(width, height) of ``page`` as displayed, in points; the caller holds the lock."""
    _, _, width, height, rotation = _display_frame(page)
    return (height, width) if rotation in (90, 270) else (width, height)


def _to_display(
    frame: tuple[float, float, float, float, int],
) -> Callable[[float, float, float, float], Box]:
    """Map a page-space rectangle (left, bottom, right, top) to a displayed :class:`Box`."""
    left, top, width, height, rotation = frame

    def convert(x0: float, y0: float, x1: float, y1: float) -> Box:
        u0, u1, v0, v1 = x0 - left, x1 - left, top - y1, top - y0  # unrotated, top-left origin
        if rotation == 90:
            return Box(height - v1, u0, height - v0, u1)
        if rotation == 180:
            return Box(width - u1, height - v1, width - u0, height - v0)
        if rotation == 270:
            return Box(v0, width - u1, v1, width - u0)
        return Box(u0, v0, u1, v1)

    return convert


def image_coverage(page: pdfium.PdfPage) -> float:
    """Share of the displayed page covered by image objects (0-1, overlaps counted twice).

    The caller holds :data:`PDFIUM_LOCK`.
    """
    width, height = displayed_size(page)
    if width <= 0 or height <= 0:
        return 0.0
    covered = 0.0
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3):
        x0, y0, x1, y1 = obj.get_pos()
        covered += max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return min(1.0, covered / (width * height))


def is_blank(pdf: pdfium.PdfDocument, index: int) -> bool:
    """Whether page ``index`` renders as empty paper (nothing darker than light grey)."""
    with PDFIUM_LOCK:
        page = pdf[index]
        try:
            image = page.render(scale=_BLANK_SCALE, grayscale=True).to_pil()
        finally:
            page.close()
    darkest, _ = image.convert("L").getextrema()
    return darkest >= _BLANK_LEVEL


def render_gray(pdf: pdfium.PdfDocument, index: int, *, dpi: int) -> Image.Image:
    """Page ``index`` as an 8-bit grey image at ``dpi``, displayed orientation."""
    with PDFIUM_LOCK:
        page = pdf[index]
        try:
            width, height = displayed_size(page)
            scale = _checked_scale(width, height, dpi / 72)
            return page.render(scale=scale, grayscale=True).to_pil().convert("L")
        finally:
            page.close()


def _checked_scale(width: float, height: float, scale: float) -> float:
    """Shrink ``scale`` so a render never exceeds ``_MAX_RENDER_PIXELS`` (huge page sizes)."""
    pixels = width * height * scale * scale
    if pixels > _MAX_RENDER_PIXELS:
        scale *= (_MAX_RENDER_PIXELS / pixels) ** 0.5
    return scale


def is_scan(pdf: pdfium.PdfDocument, index: int, text: str) -> bool:
    """Page ``index`` (text layer ``text``) has no usable text layer and is not blank paper:
    it is read by OCR. The one decision both the gate's child and the review's evidence boxes
    use, so their offsets agree."""

    def coverage() -> float:
        with PDFIUM_LOCK:
            page = pdf[index]
            try:
                return image_coverage(page)
            finally:
                page.close()

    return needs_ocr(text, coverage) and not is_blank(pdf, index)


def needs_ocr(text: str, coverage: Callable[[], float]) -> bool:
    """Whether a page's text layer is unusable, so the page must be read by OCR.

    Unusable means: no letter or digit at all; mostly replacement or private-use characters
    (fonts without a Unicode map); or a short text (e.g. a fax header stamped on the scan)
    over images covering at least half of the page.

    Args:
        text: The page's normalised text layer.
        coverage: Returns the image coverage of the page (see :func:`image_coverage`);
            only called for short texts.
    """
    visible = len(text) - sum(map(text.count, " \n\t"))
    if visible == 0 or not _ALNUM.search(text):
        return True
    if _GARBAGE.search(text) and len(_GARBAGE.findall(text)) > 0.3 * visible:
        return True
    return visible < _SHORT_TEXT and coverage() >= _SCAN_COVERAGE


# --------------------------------------------------------------------------- engines


class TextEngine(Protocol):
    """How to read the text layer of a PDF: all page texts fast, one page's boxes on demand."""

    name: str

    def page_texts(self, pdf: pdfium.PdfDocument, data: bytes) -> list[str]:
        """The normalised text of every page, in order."""
        ...

    def page_chars(
        self, pdf: pdfium.PdfDocument, data: bytes, index: int
    ) -> tuple[str, tuple[Box | None, ...]]:
        """The normalised text of page ``index`` and one box (or ``None``) per character."""
        ...

    def document_chars(
        self, pdf: pdfium.PdfDocument, data: bytes
    ) -> list[tuple[str, tuple[Box | None, ...]]]:
        """:meth:`page_chars` of every page, in order, in one pass."""
        ...


class PdfiumEngine:
    """PDFium (pypdfium2): the fast default engine."""

    name = "pdfium"

    def page_texts(self, pdf: pdfium.PdfDocument, data: bytes) -> list[str]:
        """The normalised text of every page, in order (columns read one after the other)."""
        with PDFIUM_LOCK:
            return [self._text(pdf, index, boxes=False)[0] for index in range(len(pdf))]

    @staticmethod
    def _text(pdf: pdfium.PdfDocument, index: int, *, boxes: bool
              ) -> tuple[str, tuple[Box | None, ...]]:
        """The page's text, and its character boxes when asked for or needed for columns."""
        page = pdf[index]
        try:
            textpage = page.get_textpage()
            try:
                raw = textpage.get_text_range()
                convert = _to_display(_display_frame(page))
                rects = _text_rects(textpage, convert) if "\n" in raw else []
                # columns and split rows both need runs side by side on one line: most pages
                # have none, and cost only this check
                rows = bool(rects) and _side_by_side(rects)
                gutter = find_gutter(rects, displayed_size(page)[0]) if rows else None
                if not boxes and gutter is None and not rows:
                    return clean_text(raw), ()
                text, char_boxes = _clean_with_boxes(raw, _pdfium_boxes(textpage, raw, convert))
            finally:
                textpage.close()
        finally:
            page.close()
        if gutter is not None:
            text, char_boxes = read_columns(text, char_boxes, gutter)
        if rows:
            text = join_rows(text, char_boxes)
        return text, char_boxes

    def page_chars(
        self, pdf: pdfium.PdfDocument, data: bytes, index: int
    ) -> tuple[str, tuple[Box | None, ...]]:
        """The normalised text of page ``index`` and one box (or ``None``) per character.

        ``get_text_range`` returns UTF-16 text indices (a character beyond the BMP takes two)
        that PDFium maps back to its character list; generated characters (spaces, line
        breaks) and whitespace get ``None``. Loose boxes are used: full line height, so a
        highlighted line looks even.
        """
        with PDFIUM_LOCK:
            return self._text(pdf, index, boxes=True)

    def document_chars(
        self, pdf: pdfium.PdfDocument, data: bytes
    ) -> list[tuple[str, tuple[Box | None, ...]]]:
        """:meth:`page_chars` of every page, in order."""
        with PDFIUM_LOCK:
            return [self.page_chars(pdf, data, index) for index in range(len(pdf))]


def _pdfium_boxes(
    textpage: pdfium.PdfTextPage, raw: str, convert: Callable[..., Box]
) -> list[Box | None]:
    handle = textpage.raw
    char_count = pdfium_c.FPDFText_CountChars(handle)
    unit = -1
    for char_index in range(max(char_count, 0)):  # first char that is part of the text
        unit = pdfium_c.FPDFText_GetTextIndexFromCharIndex(handle, char_index)
        if unit >= 0:
            break
    rect = pdfium_c.FS_RECTF()
    rect_ref = ctypes.byref(rect)
    char_index_of = pdfium_c.FPDFText_GetCharIndexFromTextIndex
    loose_box = pdfium_c.FPDFText_GetLooseCharBox
    boxes: list[Box | None] = []
    for char in raw:
        box = None
        if unit >= 0 and not char.isspace():
            char_index = char_index_of(handle, unit)
            if char_index >= 0 and loose_box(handle, char_index, rect_ref):
                box = convert(rect.left, rect.bottom, rect.right, rect.top)
        boxes.append(box)
        unit += 2 if ord(char) > 0xFFFF else 1
    return boxes


class PdfplumberEngine:
    """pdfminer via pdfplumber: slower, pure Python, in the customer's stack."""

    name = "pdfplumber"

    def page_texts(self, pdf: pdfium.PdfDocument, data: bytes) -> list[str]:
        """The normalised text of every page, in order."""
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data), password="") as document:
            texts = []
            for page in document.pages:
                texts.append(clean_text(page.extract_text()))
                page.close()  # frees the page's parsed layout (memory of long charts)
            return texts

    def page_chars(
        self, pdf: pdfium.PdfDocument, data: bytes, index: int
    ) -> tuple[str, tuple[Box | None, ...]]:
        """The normalised text of page ``index`` and one box (or ``None``) per character.

        Boxes come from pdfplumber's text map (whose string *is* ``extract_text()``), shifted
        to the crop box; pdfplumber applies ``/Rotate`` itself.
        """
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data), password="", pages=[index + 1]) as document:
            return _plumber_chars(document.pages[0])

    def document_chars(
        self, pdf: pdfium.PdfDocument, data: bytes
    ) -> list[tuple[str, tuple[Box | None, ...]]]:
        """:meth:`page_chars` of every page, in order, from one parse of the file."""
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data), password="") as document:
            out = []
            for page in document.pages:
                out.append(_plumber_chars(page))
                page.close()
            return out


def _plumber_chars(page) -> tuple[str, tuple[Box | None, ...]]:
    left, top = page.cropbox[0], page.cropbox[1]
    textmap = page.get_textmap()
    raw = textmap.as_string
    boxes = [
        None
        if obj is None or char.isspace()
        else Box(obj["x0"] - left, obj["top"] - top, obj["x1"] - left, obj["bottom"] - top)
        for char, obj in textmap.tuples
    ]
    if len(boxes) != len(raw):  # right-to-left or vertical text maps reorder characters
        boxes = [None] * len(raw)
    return _clean_with_boxes(raw, boxes)


#: The text engines by name.
ENGINES: MappingProxyType[str, TextEngine] = MappingProxyType(
    {"pdfium": PdfiumEngine(), "pdfplumber": PdfplumberEngine()}
)


def get_engine(name: str) -> TextEngine:
    """The engine called ``name``.

    Raises:
        ValueError: No such engine; the message lists the engines.
    """
    try:
        return ENGINES[name]
    except KeyError:
        raise ValueError(
            f"unknown PDF text engine {name!r}; possible values are: {', '.join(ENGINES)}"
        ) from None


# --------------------------------------------------------------------------- public page API

_BOX_CACHE: OrderedDict[tuple, tuple[str, tuple[Box | None, ...]]] = OrderedDict()
_BOX_CACHE_SIZE = 64
_BOX_CACHE_LOCK = threading.Lock()


def char_boxes(
    document_path: str | os.PathLike[str], page_number: int, *, engine: str = DEFAULT_ENGINE
) -> tuple[str, tuple[Box | None, ...]]:
    """The text of one PDF page, as in the review, and one box per character.

    Pages without a usable text layer are OCRed (results are cached per file and page, and
    :func:`~priorauth.extract.ingest.read_document` fills that cache), so the text and boxes
    are those of the OCR words.

    Args:
        document_path: The PDF file.
        page_number: 1-based page number.
        engine: The text engine the document was read with.

    Returns:
        ``(text, boxes)`` with ``len(boxes) == len(text)``; ``boxes[i]`` is ``None`` for
        spaces, line breaks and characters without a position.

    Raises:
        ChartReadError: The file cannot be read, or OCR is needed and fails.
        ValueError: No such page, or unknown engine.
    """
    from priorauth.extract import ingest, ocr

    get_engine(engine)
    name, data, key = ingest.read_pdf_bytes(document_path)
    cache_key = (key, page_number, engine)
    with _BOX_CACHE_LOCK:
        if cache_key in _BOX_CACHE:
            _BOX_CACHE.move_to_end(cache_key)
            return _BOX_CACHE[cache_key]
    with ingest.open_pdf(data, name) as pdf:
        with PDFIUM_LOCK:
            page_count = len(pdf)
        if not 1 <= page_number <= page_count:
            raise ValueError(f"{name}: no page {page_number}; the PDF has {page_count} pages")
        index = page_number - 1
        scanned = ingest.scanned_page(pdf, data, index, engine=engine, key=key, name=name)
        if scanned is not None:
            result = (scanned.text, ocr.char_boxes(scanned.text, scanned.words))
        else:
            try:
                result = get_engine(engine).page_chars(pdf, data, index)
            except Exception:  # a malformed page: the same answer as read_document's
                raise ingest.damaged(name) from None
    with _BOX_CACHE_LOCK:
        _BOX_CACHE[cache_key] = result
        while len(_BOX_CACHE) > _BOX_CACHE_SIZE:
            _BOX_CACHE.popitem(last=False)
    return result


def evidence_boxes(
    document_path: str | os.PathLike[str],
    page_number: int,
    start: int,
    end: int,
    *,
    engine: str = DEFAULT_ENGINE,
) -> list[Box]:
    """Where a piece of evidence is on its page: one rectangle per line it spans.

    Args:
        document_path: The PDF file the evidence quotes.
        page_number: The evidence's ``page`` (1-based).
        start: The evidence's ``start`` offset into the page text.
        end: The evidence's ``end`` offset.
        engine: The text engine the document was read with (``Document.engine``).

    Returns:
        Rectangles in PDF points, origin top-left of the displayed page (see
        :func:`page_size`); empty if the span has no visible characters.

    Raises:
        ChartReadError: The file cannot be read.
        ValueError: No such page, or the offsets are outside the page text.
    """
    text, boxes = char_boxes(document_path, page_number, engine=engine)
    if not 0 <= start <= end <= len(text):
        raise ValueError(
            f"offsets {start}:{end} are outside page {page_number}, whose text has "
            f"{len(text)} characters"
        )
    return merge_boxes(boxes[start:end])


def page_size(document_path: str | os.PathLike[str], page_number: int) -> tuple[float, float]:
    """(width, height) of a PDF page as displayed, in points: the frame of every :class:`Box`.

    Raises:
        ChartReadError: The file cannot be read.
        ValueError: No such page.
    """
    from priorauth.extract import ingest

    name, data, _ = ingest.read_pdf_bytes(document_path)
    with ingest.open_pdf(data, name) as pdf, PDFIUM_LOCK:
        page = _get_page(pdf, page_number, name)
        try:
            return displayed_size(page)
        finally:
            page.close()


def page_image(
    document_path: str | os.PathLike[str], page_number: int, scale: float = 2.0
) -> bytes:
    """A PNG image of a PDF page as displayed; a box's points times ``scale`` are its pixels.

    Args:
        document_path: The PDF file.
        page_number: 1-based page number.
        scale: Pixels per point (2.0 is 144 dpi), between 0.1 and 8.

    Returns:
        The PNG file's bytes.

    Raises:
        ChartReadError: The file cannot be read.
        ValueError: No such page, or ``scale`` out of range.
    """
    from priorauth.extract import ingest

    if not 0.1 <= scale <= 8:
        raise ValueError(f"scale must be between 0.1 and 8 pixels per point, not {scale}")
    name, data, _ = ingest.read_pdf_bytes(document_path)
    with ingest.open_pdf(data, name) as pdf, PDFIUM_LOCK:
        page = _get_page(pdf, page_number, name)
        try:
            width, height = displayed_size(page)
            if _checked_scale(width, height, scale) < scale:
                raise ValueError(f"{name}: page {page_number} is too large to render at {scale}")
            image = page.render(scale=scale, may_draw_forms=True).to_pil()
        finally:
            page.close()
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=3)
    return out.getvalue()


def _get_page(pdf: pdfium.PdfDocument, page_number: int, name: str) -> pdfium.PdfPage:
    page_count = len(pdf)
    if not 1 <= page_number <= page_count:
        raise ValueError(f"{name}: no page {page_number}; the PDF has {page_count} pages")
    return pdf[page_number - 1]
