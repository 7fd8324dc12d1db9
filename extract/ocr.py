"""OCR of scanned PDF pages with tesseract: words, their boxes and their confidence.

Tesseract (Debian ``tesseract-ocr`` + ``tesseract-ocr-eng``) runs as a subprocess, one page
per process, ``OMP_THREAD_LIMIT=1``, as many at once as the machine has cores (a process-wide
limit, so concurrent reviews share the cores instead of oversubscribing them). The page is
rendered to grey pixels under the PDFium lock by the caller's ``render`` function; the
tesseract work itself runs outside the lock.

A page's text is built from the OCR words: words joined by one space, lines by ``\\n``. Each
word keeps its offsets into that text, its box (PDF points, top-left origin of the displayed
page, like :class:`~priorauth.extract.pdf.Box`) and tesseract's confidence (0-100).
Evidence that rests on words below :data:`LOW_CONFIDENCE` should be flagged for the reviewer
(:func:`span_confidence`).
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING

from priorauth.extract.pdf import Box, clean_text

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "CACHE",
    "DEFAULT_DPI",
    "LOW_CONFIDENCE",
    "OcrCache",
    "OcrError",
    "OcrResult",
    "OcrTimeout",
    "OcrUnavailable",
    "Word",
    "char_boxes",
    "ocr_available",
    "ocr_image",
    "ocr_pages",
    "parse_tsv",
    "span_confidence",
    "tesseract_command",
]

DEFAULT_DPI = 300
#: Words read with less confidence than this (tesseract's 0-100 scale) should be checked.
LOW_CONFIDENCE = 60.0
#: Environment variable naming the tesseract executable (default ``tesseract`` on PATH).
TESSERACT_ENV = "PRIORAUTH_TESSERACT"
_PAGE_TIMEOUT = 120.0  # seconds for one page, whatever time the document has left
_NOISE_CONFIDENCE = 50.0  # punctuation-only "words" below this are specks, not text


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


#: At most this many tesseract processes run at once in this process, across all documents.
_SLOTS = threading.BoundedSemaphore(_cores())


class OcrError(RuntimeError):
    """OCR failed; the message says why (never contains page text)."""


class OcrUnavailable(OcrError):
    """Tesseract (or its language data) is not installed."""


class OcrTimeout(OcrError):
    """OCR of a document did not finish in its time limit.

    Attributes:
        done: Pages finished before the limit.
        total: Pages to OCR.
        limit: The limit, in seconds.
    """

    def __init__(self, done: int, total: int, limit: float) -> None:
        super().__init__(f"OCR did not finish within {limit:g} s ({done} of {total} pages done)")
        self.done, self.total, self.limit = done, total, limit


@dataclass(frozen=True, slots=True)
class Word:
    """One OCR word.

    Attributes:
        start: Offset of the word's first character in the page text.
        end: Offset just after its last character.
        box: Where it is on the page.
        confidence: Tesseract's confidence, 0-100.
    """

    start: int
    end: int
    box: Box
    confidence: float


@dataclass(frozen=True)
class OcrResult:
    """The OCR of one page.

    Attributes:
        text: The page text built from the words.
        words: The words, in reading order.
        confidence: Mean word confidence weighted by word length (0-100); ``None`` if no word.
        rotation: Degrees (clockwise: 0, 90, 180 or 270) the page image was turned to be read;
            the word boxes are in the page as displayed, whatever the rotation.
    """

    text: str
    words: tuple[Word, ...]
    confidence: float | None
    rotation: int = 0


def tesseract_command() -> str | None:
    """Full path of the tesseract executable, or ``None`` if it is not installed."""
    return shutil.which(os.environ.get(TESSERACT_ENV) or "tesseract")


def ocr_available() -> bool:
    """Whether tesseract is installed (its language data is checked when it runs)."""
    return tesseract_command() is not None


#: Words a period may follow inside a sentence ("approx. three weeks", "Dr. smith").
_ABBREVIATIONS = frozenset(
    "dr mr mrs ms st vs approx pt pts wk wks yr yrs mo mos hx dx tx sx fx rx etc inc dept "
    "min max avg est incl fig ref lt rt bilat ext int sig tab caps".split())
_GLUED_PERIOD = re.compile(r"\b([A-Za-z]{2,})\.([a-z]{3,})\b")
_STRAY_PERIOD = re.compile(r"\b([A-Za-z]{2,})\.(?= [a-z])")
_LEADING_PERIOD = re.compile(r"(?:(?<=\s)|^)[.,'`\u2018\u2019](?=[A-Za-z]{2})", re.M)


def drop_stray_periods(text: str) -> str:
    """OCR text with the periods a speck made between words turned into spaces.

    A fax speck read as a period breaks a clause: "No.home exercise program" no longer
    negates, "had any. physical therapy" splits the sentence. A period glued between two words
    ("No.home") or ending a word that a lower-case word follows on the same line ("any. physical")
    is not punctuation, unless the word is an abbreviation ("approx. three"); nor is one stuck
    to the front of a word (". .No prior CT or MRI"). Same length:
    every offset into the text still holds.
    """
    text = _GLUED_PERIOD.sub(lambda m: f"{m.group(1)} {m.group(2)}", text)
    text = _LEADING_PERIOD.sub(" ", text)  # ". .No prior MRI": a speck before a word
    return _STRAY_PERIOD.sub(
        lambda m: m.group(0) if m.group(1).lower() in _ABBREVIATIONS else f"{m.group(1)} ",
        text)


def parse_tsv(tsv: str, *, dpi: float) -> OcrResult:
    """Build a page's text, words and confidence from tesseract's TSV output.

    Args:
        tsv: Tesseract's ``tsv`` output for one image.
        dpi: The image's resolution, to turn pixels into points.

    Returns:
        The page's OCR result.
    """
    points = 72.0 / dpi
    parts: list[str] = []
    words: list[Word] = []
    length = 0
    line_key: tuple[str, ...] | None = None
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = clean_text((row.get("text") or "").strip()).strip()
        if row.get("level") != "5" or not text:
            continue
        try:
            confidence = float(row["conf"])
            left, top = int(row["left"]), int(row["top"])
            width, height = int(row["width"]), int(row["height"])
        except (KeyError, TypeError, ValueError):
            continue
        if confidence < 0:
            continue
        if confidence < _NOISE_CONFIDENCE and not any(char.isalnum() for char in text):
            continue
        key = (row["page_num"], row["block_num"], row["par_num"], row["line_num"])
        if words:
            separator = " " if key == line_key else "\n"
            parts.append(separator)
            length += 1
        line_key = key
        box = Box(left * points, top * points, (left + width) * points, (top + height) * points)
        words.append(Word(length, length + len(text), box, confidence))
        parts.append(text)
        length += len(text)
    page_text = drop_stray_periods("".join(parts))
    letters = sum(word.end - word.start for word in words)
    mean = (
        round(sum(w.confidence * (w.end - w.start) for w in words) / letters, 2)
        if letters
        else None
    )
    return OcrResult(text=page_text, words=tuple(words), confidence=mean)


def char_boxes(text: str, words: Sequence[Word]) -> tuple[Box | None, ...]:
    """One box per character of an OCR page text: each word's box split evenly.

    Spaces and line breaks between words get ``None``.
    """
    boxes: list[Box | None] = [None] * len(text)
    for word in words:
        count = word.end - word.start
        step = (word.box.x1 - word.box.x0) / count
        for k in range(count):
            x0 = word.box.x0 + k * step
            boxes[word.start + k] = Box(x0, word.box.y0, x0 + step, word.box.y1)
    return tuple(boxes)


def span_confidence(words: Sequence[Word], start: int, end: int) -> float | None:
    """The lowest confidence of the OCR words overlapping ``text[start:end]``.

    Returns:
        0-100, or ``None`` when no OCR word overlaps the span (e.g. a text-layer page).
    """
    found = [w.confidence for w in words if w.start < end and start < w.end]
    return min(found) if found else None


def _tesseract(
    image: Image.Image,
    *,
    dpi: float,
    lang: str,
    timeout: float,
    running: set[subprocess.Popen[bytes]] | None = None,
    lock: threading.Lock | None = None,
    psm: int = 3,
) -> str:
    command = tesseract_command()
    if command is None:
        raise OcrUnavailable("OCR is not available: install tesseract-ocr")
    buffer = io.BytesIO()
    image.save(buffer, format="PPM")  # uncompressed: faster than PNG, tesseract reads it
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    # Orientation detection (psm 0) needs the osd model: with a language model it guesses.
    model = "osd" if psm == 0 else lang
    args = [command, "stdin", "stdout", "-l", model, "--dpi", str(round(dpi)), "--psm", str(psm)]
    if psm != 0:
        args.append("tsv")
    try:
        process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
    except OSError as exc:
        raise OcrUnavailable(
            f"OCR is not available: cannot run tesseract ({exc.strerror})"
        ) from None
    if running is not None and lock is not None:
        with lock:
            running.add(process)
    try:
        out, err = process.communicate(buffer.getvalue(), timeout=max(timeout, 0.01))
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise TimeoutError from None
    finally:
        if running is not None and lock is not None:
            with lock:
                running.discard(process)
    if process.returncode != 0:
        message = err.decode("utf-8", "replace")
        if "Failed loading language" in message or "Could not initialize tesseract" in message:
            raise OcrUnavailable(
                f"OCR is not available: tesseract has no '{lang}' language data; "
                f"install tesseract-ocr-{lang}"
            )
        if process.returncode < 0:
            raise OcrError("OCR was stopped")
        raise OcrError(f"tesseract failed (exit status {process.returncode})")
    return out.decode("utf-8", "replace")


#: A page read with less confidence than this may be turned: its orientation is checked.
_CHECK_ORIENTATION_BELOW = 65.0
_ORIENTATION = re.compile(r"Rotate:\s*(\d+)")
_ORIENTATION_CONFIDENCE = re.compile(r"Orientation confidence:\s*([\d.]+)")
_MIN_ORIENTATION_CONFIDENCE = 2.0  # tesseract's OSD scale; below this it is guessing


#: A straight run of dark pixels at least this long (inches) is a ruling line, not a letter.
_RULE_INCHES = 0.3


def _runs(dark, length: int, axis: int):
    """Pixels that lie on a straight run of at least ``length`` dark pixels along ``axis``."""
    import numpy as np

    counts = np.cumsum(dark, axis=axis, dtype=np.int32)
    zero = np.zeros_like(counts.take([0], axis=axis))
    counts = np.concatenate([zero, counts], axis=axis)
    size = dark.shape[axis]
    if size < length:
        return np.zeros_like(dark)
    window = counts.take(range(length, size + 1), axis=axis) - counts.take(
        range(0, size - length + 1), axis=axis)
    starts = (window == length).astype(np.int32)  # a full run starts here
    marks = np.cumsum(starts, axis=axis)
    marks = np.concatenate([zero, marks], axis=axis)
    # pixel k is covered when a run starts in [k - length + 1, k]
    pad = [(0, 0), (0, 0)]
    pad[axis] = (0, length - 1)
    marks = np.pad(marks, pad, mode="edge")
    upper = marks.take(range(1, size + 1), axis=axis)
    lower = marks.take(range(0, size), axis=axis)
    shifted = np.pad(lower, [(length - 1, 0) if a == axis else (0, 0) for a in range(2)])
    lower = shifted.take(range(0, size), axis=axis)
    return (upper - lower) > 0


def remove_rules(image: Image.Image, *, dpi: float) -> tuple[Image.Image, Box | None]:
    """The page with its ruling lines (table grids, form boxes, underlines) painted white.

    Grid lines touching the letters of a table cell break them for OCR ("8/1/26" read as
    "£128"); straight dark runs longer than :data:`_RULE_INCHES` are no letter's stroke. Runs
    are found on maps pooled by 4 pixels along their own direction, so a 300-dpi page costs
    tens of MB, not hundreds.

    Returns:
        The cleaned image (``image`` itself when it has no such line) and the region the lines
        enclose, in points (``None`` without lines): the words of a ruled region (a table, a
        form) are read row by row (:func:`read_rows`), since without its rules tesseract would
        read its columns one after another.
    """
    import numpy as np
    from PIL import Image as PILImage

    grey = np.asarray(image.convert("L"))
    height, width = grey.shape
    cell = 4  # pixels pooled along the run's own direction: a cell is dark when all 4 are
    length = max(8, round(_RULE_INCHES * dpi / cell))
    dark = grey < 128
    w4, h4 = width // cell, height // cell
    if w4 == 0 or h4 == 0:
        return image, None
    across = dark[:, : w4 * cell].reshape(height, w4, cell).all(axis=2)
    down = dark[: h4 * cell, :].reshape(h4, cell, width).all(axis=1)
    # only rows (columns) with enough dark cells can hold a rule: most pages have none
    rows_in = np.flatnonzero(across.sum(axis=1) >= length)
    cols_in = np.flatnonzero(down.sum(axis=0) >= length)
    if not len(rows_in) and not len(cols_in):
        return image, None
    across_runs = np.zeros_like(across)
    down_runs = np.zeros_like(down)
    if len(rows_in):
        across_runs[rows_in] = _runs(across[rows_in], length, axis=1)
    if len(cols_in):
        down_runs[:, cols_in] = _runs(down[:, cols_in], length, axis=0)
    if not across_runs.any() and not down_runs.any():
        return image, None
    lines = np.zeros(grey.shape, dtype=bool)
    lines[:, : w4 * cell] |= np.repeat(across_runs, cell, axis=1)
    lines[: h4 * cell, :] |= np.repeat(down_runs, cell, axis=0)
    cleaned = grey.copy()
    cleaned[lines] = 255
    rows = np.flatnonzero(lines.any(axis=1))
    cols = np.flatnonzero(lines.any(axis=0))
    points = 72.0 / dpi
    region = Box(cols[0] * points, rows[0] * points, (cols[-1] + 1) * points,
                 (rows[-1] + 1) * points)
    return PILImage.fromarray(cleaned, mode="L"), region


def read_rows(result: OcrResult, region: Box) -> OcrResult:
    """``result`` with the words inside ``region`` re-read row by row, left to right.

    A word belongs to a row when its vertical middle lies within the row's first word's
    height; the rows take the place of the region's first word in the reading order. Words
    outside the region keep tesseract's order.
    """
    def inside(word: Word) -> bool:
        x = (word.box.x0 + word.box.x1) / 2
        y = (word.box.y0 + word.box.y1) / 2
        return region.x0 <= x <= region.x1 and region.y0 <= y <= region.y1

    table = [w for w in result.words if inside(w)]
    if len(table) < 2:
        return result
    heights = sorted(w.box.y1 - w.box.y0 for w in table)
    usual = heights[len(heights) // 2]

    def middle(word: Word) -> float:
        # A word taller than two lines is a misread column fragment: place it by its top.
        if word.box.y1 - word.box.y0 > 2 * usual:
            return word.box.y0 + usual / 2
        return (word.box.y0 + word.box.y1) / 2

    rows: list[list[Word]] = []
    anchor = 0.0
    for word in sorted(table, key=middle):
        if rows and middle(word) - anchor <= usual * 0.6:
            rows[-1].append(word)
        else:
            rows.append([word])
            anchor = middle(word)
    ordered: list[list[Word]] = []  # lines of words, in the new reading order
    first = table[0]
    line: list[Word] = []
    previous_line_end: int | None = None
    for word in result.words:
        if word is first:
            if line:
                ordered.append(line)
                line = []
            ordered.extend(sorted(row, key=lambda w: w.box.x0) for row in rows)
            continue
        if inside(word):
            continue
        gap = result.text[previous_line_end:word.start] if previous_line_end is not None else ""
        if line and "\n" in gap:
            ordered.append(line)
            line = []
        line.append(word)
        previous_line_end = word.end
    if line:
        ordered.append(line)
    parts: list[str] = []
    words: list[Word] = []
    length = 0
    for k, row in enumerate(ordered):
        for j, word in enumerate(row):
            if k or j:
                parts.append(" " if j else "\n")
                length += 1
            token = result.text[word.start:word.end]
            words.append(Word(length, length + len(token), word.box, word.confidence))
            parts.append(token)
            length += len(token)
    return OcrResult(text="".join(parts), words=tuple(words), confidence=result.confidence,
                     rotation=result.rotation)


def _unrotate(box: Box, rotation: int, width: float, height: float) -> Box:
    """A box on the page turned ``rotation`` degrees clockwise, on the page as displayed.

    ``width`` and ``height`` are the displayed page's, in the box's units.
    """
    if rotation == 90:
        return Box(box.y0, height - box.x1, box.y1, height - box.x0)
    if rotation == 180:
        return Box(width - box.x1, height - box.y1, width - box.x0, height - box.y0)
    if rotation == 270:
        return Box(width - box.y1, box.x0, width - box.y0, box.x1)
    return box


def _orient(image: Image.Image, first: OcrResult, read: Callable[..., str], *, dpi: float,
            ) -> OcrResult:
    """``first`` unless the page reads better turned: a page fed sideways or upside down.

    Only a page read with low confidence is checked (tesseract's orientation detection on a
    half-size image), so upright pages cost nothing more.
    """
    if first.confidence is not None and first.confidence >= _CHECK_ORIENTATION_BELOW:
        return first
    small = image.resize((max(1, image.width // 2), max(1, image.height // 2)))
    try:
        osd = read(small, dpi=dpi / 2, psm=0)
    except OcrError:
        return first  # too little text to tell; keep the page as it is
    turn = _ORIENTATION.search(osd)
    sure = _ORIENTATION_CONFIDENCE.search(osd)
    rotation = int(turn.group(1)) if turn else 0
    if rotation not in (90, 180, 270) or not sure:
        return first
    if float(sure.group(1)) < _MIN_ORIENTATION_CONFIDENCE:
        return first
    turned = parse_tsv(read(image.rotate(-rotation, expand=True), dpi=dpi, psm=3), dpi=dpi)
    if turned.confidence is None or turned.confidence <= (first.confidence or 0.0):
        return first
    points = 72.0 / dpi
    width, height = image.width * points, image.height * points
    words = tuple(Word(w.start, w.end, _unrotate(w.box, rotation, width, height), w.confidence)
                  for w in turned.words)
    return OcrResult(text=turned.text, words=words, confidence=turned.confidence,
                     rotation=rotation)


def _read_page(image: Image.Image, ruled: Box | None, read: Callable[..., str], *,
               dpi: float) -> OcrResult:
    """OCR of a page whose ruling lines are already removed (``ruled``: their region): read,
    turned if it reads better turned, a ruled region re-read row by row."""
    result = _orient(image, parse_tsv(read(image, dpi=dpi, psm=3), dpi=dpi), read, dpi=dpi)
    return read_rows(result, ruled) if ruled and not result.rotation else result


def ocr_image(
    image: Image.Image, *, dpi: float = DEFAULT_DPI, lang: str = "eng", timeout: float = 120.0
) -> OcrResult:
    """OCR one image (a rendered page) with tesseract.

    Args:
        image: The page image.
        dpi: Its resolution (boxes are returned in points).
        lang: Tesseract language(s), e.g. ``"eng"``.
        timeout: Seconds before tesseract is stopped.

    Raises:
        OcrUnavailable: Tesseract or the language data is missing.
        OcrTimeout: It took longer than ``timeout``.
        OcrError: Tesseract failed.
    """
    def read(picture: Image.Image, *, dpi: float, psm: int) -> str:
        return _tesseract(picture, dpi=dpi, lang=lang, timeout=timeout, psm=psm)

    with _SLOTS:
        try:
            image, ruled = remove_rules(image, dpi=dpi)
            return _read_page(image, ruled, read, dpi=dpi)
        except TimeoutError:
            raise OcrTimeout(0, 1, timeout) from None


def ocr_pages(
    render: Callable[[int], Image.Image],
    indices: Sequence[int],
    *,
    dpi: float = DEFAULT_DPI,
    lang: str = "eng",
    timeout: float = 600.0,
    workers: int | None = None,
    partial: bool = False,
    on_page: Callable[[int], None] | None = None,
) -> dict[int, OcrResult]:
    """OCR many pages in parallel, within one wall-clock time limit.

    Args:
        render: Renders page ``index`` at ``dpi`` (holding whatever lock rendering needs).
        indices: The pages to OCR.
        dpi: Resolution ``render`` uses.
        lang: Tesseract language(s).
        timeout: Seconds for all the pages together; on expiry every running tesseract is
            stopped and :class:`OcrTimeout` says how far it got.
        workers: Threads feeding tesseract (default: the number of cores). At most one
            tesseract per core runs in the whole process whatever this says.
        partial: On expiry return the pages finished so far instead of raising.
        on_page: Called with each page's index as its OCR finishes (in a worker thread).

    Returns:
        The result of each page, by index.

    Raises:
        OcrUnavailable: Tesseract or the language data is missing.
        OcrTimeout: The time limit passed.
        OcrError: Tesseract failed on a page.
    """
    if not indices:
        return {}
    deadline = time.monotonic() + timeout
    cancelled = threading.Event()
    running: set[subprocess.Popen[bytes]] = set()
    running_lock = threading.Lock()

    def one(index: int) -> OcrResult:
        remaining = deadline - time.monotonic()
        if cancelled.is_set() or remaining <= 0 or not _SLOTS.acquire(timeout=remaining):
            raise TimeoutError
        try:
            if cancelled.is_set():
                raise TimeoutError
            image, ruled = remove_rules(render(index), dpi=dpi)
            remaining = deadline - time.monotonic()

            def read(picture: Image.Image, *, dpi: float, psm: int) -> str:
                return _tesseract(
                    picture,
                    dpi=dpi,
                    lang=lang,
                    timeout=max(0.01, min(deadline - time.monotonic(), _PAGE_TIMEOUT)),
                    running=running,
                    lock=running_lock,
                    psm=psm,
                )

            try:
                result = _read_page(image, ruled, read, dpi=dpi)
                if on_page is not None:
                    on_page(index)
                return result
            except TimeoutError:
                if remaining > _PAGE_TIMEOUT:
                    raise OcrError(
                        f"OCR of page {index + 1} took longer than {_PAGE_TIMEOUT:g} s"
                    ) from None
                raise
        finally:
            _SLOTS.release()

    pool = ThreadPoolExecutor(
        max_workers=max(1, min(workers or _cores(), len(indices))), thread_name_prefix="ocr"
    )
    futures: dict[Future[OcrResult], int] = {pool.submit(one, i): i for i in indices}
    try:
        done, pending = wait(futures, timeout=timeout, return_when=FIRST_EXCEPTION)
        failed = [f for f in done if f.exception() is not None]
        timed_out = [f for f in failed if isinstance(f.exception(), TimeoutError)]
        if pending or timed_out:
            if partial and len(timed_out) == len(failed):
                return {futures[f]: f.result() for f in done if f.exception() is None}
            finished = sum(1 for f in done if f.exception() is None)
            raise OcrTimeout(finished, len(indices), timeout)
        if failed:
            raise failed[0].exception()  # type: ignore[misc]
        return {futures[f]: f.result() for f in done}
    finally:
        cancelled.set()
        with running_lock:
            for process in running:
                process.kill()
        pool.shutdown(wait=True, cancel_futures=True)


class OcrCache:
    """A small thread-safe LRU of page OCR results, keyed by file identity and page."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, OcrResult] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> OcrResult | None:
        """The cached result, or ``None``."""
        with self._lock:
            result = self._items.get(key)
            if result is not None:
                self._items.move_to_end(key)
            return result

    def put(self, key: Hashable, result: OcrResult) -> None:
        """Cache ``result`` under ``key``, evicting the least recently used."""
        with self._lock:
            self._items[key] = result
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


#: OCR results of this process, keyed by (file identity, page index, dpi, lang).
CACHE = OcrCache()
