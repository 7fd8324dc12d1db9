"""Documents of a review: page images, highlight boxes, text."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from priorauth.web import highlight
from priorauth.web.context import api_user, ctx

REVIEW_ID = r"^[0-9a-f]{32}$"
router = APIRouter(dependencies=[Depends(api_user)])


@router.get("/api/reviews/{review_id}/documents/{position}/pages/{page}.png")
def page_png(request: Request, review_id: str = PathParam(pattern=REVIEW_ID), position: int = 0,
             page: int = 1, scale: float = Query(1.5, ge=0.5, le=3.0)):
    c = ctx(request)
    doc = c.document(review_id, position)
    if doc.kind != "pdf":
        raise HTTPException(404, "not a PDF document")
    try:
        png = highlight.page_image(c.uploads / review_id / doc.stored_name, page, scale=scale)
    except highlight.NotFound:
        raise HTTPException(404, "no such page") from None
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, "
                                                                          "max-age=3600"})


@router.get("/api/reviews/{review_id}/documents/{position}/boxes")
def boxes(request: Request, review_id: str = PathParam(pattern=REVIEW_ID), position: int = 0,
          page: int = Query(ge=1), start: int = Query(ge=0), end: int = Query(ge=0)):
    c = ctx(request)
    c.review_or_409(review_id)
    doc = c.document(review_id, position)
    if doc.kind != "pdf":
        raise HTTPException(404, "not a PDF document")
    try:
        found = highlight.evidence_boxes(c.uploads / review_id / doc.stored_name, page, start,
                                         end)
    except highlight.NotFound:
        raise HTTPException(404, "no such page or offsets outside it") from None
    return {"page": page, "page_width": found.page_width, "page_height": found.page_height,
            "boxes": [[b.x0, b.y0, b.x1, b.y1] for b in found.boxes]}


@router.get("/api/reviews/{review_id}/documents/{position}/text")
def document_text(request: Request, review_id: str = PathParam(pattern=REVIEW_ID),
                  position: int = 0):
    from priorauth.extract.ingest import ChartReadError, read_document

    c = ctx(request)
    c.review_or_409(review_id)
    doc = c.document(review_id, position)
    try:
        document = read_document(c.uploads / review_id / doc.stored_name,
                                 max_pages=c.limits.max_pages,
                                 max_bytes=c.limits.max_file_bytes)
    except ChartReadError:
        raise HTTPException(404, "document cannot be read") from None
    return {"name": doc.name, "kind": doc.kind,
            "pages": [{"number": p.number, "text": p.text} for p in document.pages]}
