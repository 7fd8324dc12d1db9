"""The whole chart on the review page: every page of every document (thumbnails and paging),
search across the chart's text with the hits' boxes on the page image, and TIFF faxes shown
page by page like scanned PDFs.

``chart_router(...)`` builds the endpoints; ``create_app`` includes them (behind the same
sign-in dependency as the other document endpoints):

- ``GET /api/reviews/{id}/chart``: the documents, each with its pages (number, size in
  points; a text note has one page without an image). Listed without OCR, so a long scan
  is listed at once.
- ``GET /api/reviews/{id}/chart/{position}/pages/{page}.png?scale=``: a page image of a PDF
  or TIFF document (``scale`` 0.15-3 pixels per point; thumbnails use 0.2).
- ``GET /api/reviews/{id}/chart/{position}/boxes?page=&start=&end=``: where
  ``page_text[start:end]`` is on the page image.
- ``GET /api/reviews/{id}/search?q=``: hits of ``q`` (case-insensitive, any white space between
  its words) in every page's text: document, page, offsets, and a snippet.

The text searched is the text the review read (the same reader, the same OCR cache), so a
hit's offsets find its boxes exactly as an evidence quote's do.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from fastapi import Path as PathParam
from fastapi.params import Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

__all__ = ["PAGED_KINDS", "chart_router", "search_pages"]

REVIEW_ID = r"^[0-9a-f]{32}$"
#: Document kinds shown as page images (a TIFF fax is read as an image-only PDF).
PAGED_KINDS = ("pdf", "tiff")
MAX_HITS = 200
SNIPPET = 60


@dataclass(frozen=True)
class Hit:
    position: int
    name: str
    page: int | None
    start: int
    end: int
    before: str
    match: str
    after: str


def _pattern(query: str) -> re.Pattern[str] | None:
    words = query.split()
    if not words:
        return None
    return re.compile(r"\s+".join(re.escape(w) for w in words), re.IGNORECASE)


def search_pages(query: str, documents: Sequence[tuple[int, str, Sequence[tuple[int | None,
                 str]]]], *, limit: int = MAX_HITS) -> tuple[list[Hit], bool]:
    """Every hit of ``query`` in the pages: ``(hits, truncated)``.

    Args:
        query: Words to find, in order, case-insensitive, any white space between them.
        documents: ``(position, name, [(page number, page text), ...])`` per document.
        limit: Most hits returned.
    """
    pattern = _pattern(query)
    hits: list[Hit] = []
    if pattern is None:
        return hits, False
    for position, name, pages in documents:
        for number, text in pages:
            for found in pattern.finditer(text):
                if len(hits) >= limit:
                    return hits, True
                start, end = found.span()
                hits.append(Hit(position, name, number, start, end,
                                " ".join(text[max(0, start - SNIPPET):start].split()),
                                " ".join(text[start:end].split()),
                                " ".join(text[end:end + SNIPPET].split())))
    return hits, False


class _TextCache:
    """The pages read of each document file, for the last few files."""

    def __init__(self, size: int = 32) -> None:
        self._items: OrderedDict[tuple[str, int, int, str], Any] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, path: Path, read: Callable[[Path], Any], mode: str = "") -> Any:
        info = path.stat()
        key = (str(path), info.st_mtime_ns, info.st_size, mode)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = read(path)
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


def chart_router(*, store: Any, uploads: Path, max_pages: int, max_bytes: int,
                 dependencies: Sequence[Depends] = ()) -> APIRouter:
    """The chart endpoints over ``store`` (reviews and their documents) and ``uploads``."""
    from priorauth.extract.ingest import ChartReadError, read_document
    from priorauth.web import highlight

    router = APIRouter(dependencies=list(dependencies))
    texts = _TextCache()

    def finished(review_id: str) -> None:
        row = store.review(review_id)
        if row is None:
            raise HTTPException(404, "no such review")
        if row.status != "done" or row.review is None:
            raise HTTPException(409, f"review is not ready (status: {row.status})")

    def documents(review_id: str) -> list:
        purged = getattr(store, "purged_at", None)
        if purged is not None and purged(review_id):
            raise HTTPException(410, "the uploaded files of this review were deleted "
                                     "(retention); the decisions and audit trail remain")
        return list(store.documents(review_id))

    def document(review_id: str, position: int):
        for doc in documents(review_id):
            if doc.position == position:
                return doc
        raise HTTPException(404, "no such document")

    def read(path: Path, *, ocr: bool = True):
        try:
            return read_document(path, max_pages=max_pages, max_bytes=max_bytes, ocr=ocr)
        except ChartReadError:
            raise HTTPException(404, "document cannot be read") from None

    def pages_of(review_id: str, doc) -> Any:
        """The pages as the review read them (OCR from the process's cache when it has it)."""
        return texts.get(uploads / review_id / doc.stored_name, read, "text")

    def layout_of(review_id: str, doc) -> Any:
        """The pages and their sizes, without OCR."""
        return texts.get(uploads / review_id / doc.stored_name,
                         lambda path: read(path, ocr=False), "layout")

    @router.get("/api/reviews/{review_id}/chart")
    async def chart(review_id: str = PathParam(pattern=REVIEW_ID)):
        finished(review_id)
        out = []
        for doc in documents(review_id):
            read_doc = await run_in_threadpool(layout_of, review_id, doc)
            out.append({
                "position": doc.position, "name": doc.name, "kind": doc.kind,
                "paged": doc.kind in PAGED_KINDS,
                "pages": [{"number": p.number,
                           "width": p.size[0] if p.size else None,
                           "height": p.size[1] if p.size else None}
                          for p in read_doc.pages]})
        return {"documents": out}

    @router.get("/api/reviews/{review_id}/chart/{position}/pages/{page}.png")
    def page_png(review_id: str = PathParam(pattern=REVIEW_ID), position: int = 0,
                 page: int = 1, scale: float = Query(1.5, ge=0.15, le=3.0)):
        doc = document(review_id, position)
        if doc.kind not in PAGED_KINDS:
            raise HTTPException(404, "not a paged document (a text note has no page image)")
        try:
            png = highlight.page_image(uploads / review_id / doc.stored_name, page, scale=scale)
        except highlight.NotFound:
            raise HTTPException(404, "no such page") from None
        return Response(png, media_type="image/png",
                        headers={"Cache-Control": "private, max-age=3600"})

    @router.get("/api/reviews/{review_id}/chart/{position}/boxes")
    def boxes(review_id: str = PathParam(pattern=REVIEW_ID), position: int = 0,
              page: int = Query(ge=1), start: int = Query(ge=0), end: int = Query(ge=0)):
        finished(review_id)
        doc = document(review_id, position)
        if doc.kind not in PAGED_KINDS:
            raise HTTPException(404, "not a paged document (a text note has no page image)")
        try:
            found = highlight.evidence_boxes(uploads / review_id / doc.stored_name, page,
                                             start, end)
        except highlight.NotFound:
            raise HTTPException(404, "no such page or offsets outside it") from None
        return {"page": page, "page_width": found.page_width,
                "page_height": found.page_height,
                "boxes": [[b.x0, b.y0, b.x1, b.y1] for b in found.boxes]}

    @router.get("/api/reviews/{review_id}/search")
    async def search(review_id: str = PathParam(pattern=REVIEW_ID),
                     q: str = Query(min_length=1, max_length=200)):
        finished(review_id)
        docs = []
        for doc in documents(review_id):
            read_doc = await run_in_threadpool(pages_of, review_id, doc)
            docs.append((doc.position, doc.name, [(p.number, p.text) for p in read_doc.pages]))
        hits, truncated = search_pages(q, docs)
        return {"q": q, "truncated": truncated,
                "hits": [{"position": h.position, "name": h.name, "page": h.page,
                          "start": h.start, "end": h.end, "before": h.before,
                          "match": h.match, "after": h.after} for h in hits]}

    return router
