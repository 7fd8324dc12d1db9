"""The reviewer web page: upload a chart, follow the review, check evidence, record decisions.

``create_app(data_dir)`` builds the FastAPI app. Everything it keeps is in ``data_dir``: the
SQLite database (reviews, documents, append-only decisions) and the uploads, under random
names. There is no login: the reviewer types their name, which is stored with each decision.
The app is meant for 127.0.0.1; it refuses other Host headers (DNS rebinding) and cross-origin
posts, sends a Content-Security-Policy that allows nothing but its own origin, and logs review
ids and stages only, never chart text or file names.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders, UploadFile
from starlette.formparsers import MultiPartException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import ClientDisconnect

from priorauth.models import CriterionResult, Review, ReviewRequest, Status
from priorauth.report import HEADLINE, LOW_OCR_CONFIDENCE, SYMBOL, render_html
from priorauth.web import fhir_upload, highlight
from priorauth.web.jobs import STAGES, ReviewRunner
from priorauth.web.store import (
    AuditReport,
    Decision,
    DocumentRow,
    ReviewerNameError,
    Store,
    clean_reviewer_name,
    secure_data_dir,
)
from priorauth.web.uploads import UploadRejected, check_upload, display_name, store_file

__all__ = ["BrokenAuditTrail", "Limits", "create_app"]

log = logging.getLogger("priorauth.web")

REVIEW_ID = r"^[0-9a-f]{32}$"
CRITERION_ACTIONS = ("agree", "disagree", "comment")
FINAL_ACTIONS = ("approve", "refer_to_physician", "comment")
CSP = ("default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
# The printable report is self-contained with inline styles, and runs no script.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass(frozen=True)
class Limits:
    """What one upload may be.

    Attributes:
        max_file_bytes: Largest accepted file.
        max_request_bytes: Largest accepted upload request (all files together).
        max_files: Most files in one upload.
        max_pages: Most pages in one PDF.
    """

    max_file_bytes: int = 20_000_000
    max_request_bytes: int = 50_000_000
    max_files: int = 20
    max_pages: int = 300


class BrokenAuditTrail(Exception):
    """The store's audit trail is broken and the server was not told to serve it anyway.

    The message names the first broken row (table and id), never its content.
    """

    def __init__(self, report: AuditReport) -> None:
        super().__init__(report.summary())
        self.report = report


class RequestTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"upload is too large (the limit is {limit:,} bytes in all)")


class Guard:
    """ASGI middleware: body size limits, same-origin posts, and the security headers.

    A pure ASGI middleware (not ``BaseHTTPMiddleware``), so that a body found too large while
    it streams raises :class:`RequestTooLarge` inside the endpoint, which answers 413.
    """

    def __init__(self, app, *, upload_limit: int, other_limit: int = 65_536) -> None:
        self.app = app
        self.upload_limit = upload_limit
        self.other_limit = other_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out.setdefault("Content-Security-Policy", CSP)
                out.setdefault("Cache-Control", "no-store")
                out["X-Content-Type-Options"] = "nosniff"
                out["Referrer-Policy"] = "no-referrer"
                out["X-Frame-Options"] = "DENY"
            await send(message)

        async def refuse(status: int, detail: str):
            response = JSONResponse({"detail": detail}, status_code=status,
                                    headers={"Connection": "close"})
            await response(scope, receive, send_with_headers)

        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            origin = headers.get(b"origin")
            if origin is not None and urlsplit(origin.decode("latin-1")).netloc != \
                    headers.get(b"host", b"").decode("latin-1"):
                return await refuse(403, "cross-origin request refused")
        limit = self.upload_limit if scope["path"] == "/api/reviews" else self.other_limit
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await refuse(413, RequestTooLarge(limit).detail)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise RequestTooLarge(limit)
            return message

        try:
            return await self.app(scope, limited_receive, send_with_headers)
        except ClientDisconnect:  # the client left (or its body timed out): nobody to answer
            log.debug("client disconnected before its request was read")


class DecisionIn(BaseModel):
    """One reviewer action, as posted by the page."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    criterion_id: str = Field(min_length=1, max_length=40)
    action: Literal["agree", "disagree", "comment", "approve", "refer_to_physician"]
    comment: str = Field(default="", max_length=2000)
    reviewer: str = Field(min_length=1, max_length=100)

    @field_validator("reviewer", mode="before")
    @classmethod
    def _printable_single_line(cls, value):
        """NFC, whitespace runs made one space, trimmed; control and format characters
        (NUL, newlines, bidi overrides) refused with a clear message."""
        if not isinstance(value, str):
            return value  # pydantic's own type error
        try:
            return clean_reviewer_name(value)
        except ReviewerNameError as exc:
            raise PydanticCustomError(exc.kind, str(exc)) from None


@dataclass
class TreeNode:
    """A criterion with its children, for the page."""

    result: CriterionResult
    children: list[TreeNode] = field(default_factory=list)
    open: bool = False


def _tree(review: Review) -> dict[str, list[TreeNode]]:
    """Indications and non-indications as trees; subtrees in play or met start open."""
    expand = {m.indication for m in review.missing}
    expand |= {c.id for c in review.criteria if c.id.count(".") == 1 and c.status == Status.met}
    nodes: dict[str, TreeNode] = {}
    roots: dict[str, list[TreeNode]] = {"ind": [], "non": []}
    for result in review.criteria:
        node = TreeNode(result, open=".".join(result.id.split(".")[:2]) in expand)
        nodes[result.id] = node
        parent = result.id.rsplit(".", 1)[0]
        if parent in nodes:
            nodes[parent].children.append(node)
        else:
            roots.setdefault(result.id.split(".")[0], []).append(node)
    return roots


def _template_env() -> Environment:
    env = Environment(loader=PackageLoader("priorauth.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.globals.update(LOW_OCR_CONFIDENCE=LOW_OCR_CONFIDENCE)
    env.globals.update(SYMBOL={s.value: sym for s, sym in SYMBOL.items()}, HEADLINE=HEADLINE,
                       STAGES=STAGES)
    return env


def _decision_dict(d: Decision) -> dict:
    return {"id": d.id, "criterion_id": d.criterion_id, "action": d.action,
            "previous_action": d.previous_action, "comment": d.comment,
            "reviewer": d.reviewer, "timestamp": d.timestamp}


def _current(decisions: Sequence[Decision]) -> dict[str, Decision]:
    """The latest non-comment action of each criterion (and of 'final')."""
    out: dict[str, Decision] = {}
    for d in decisions:
        if d.action != "comment":
            out[d.criterion_id] = d
    return out


def _parse_request(form) -> ReviewRequest:
    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    errors = []
    cpt = tuple(c for c in re.split(r"[\s,;]+", text("cpt")) if c)
    dates = {}
    for name, label in (("request_date", "request date"), ("dob", "date of birth")):
        if text(name):
            try:
                dates[name] = date.fromisoformat(text(name))
            except ValueError:
                errors.append(f"{label} is not a date; use YYYY-MM-DD")
    age = None
    if text("age"):
        try:
            age = int(text("age"))
        except ValueError:
            errors.append("age is not a whole number of years")
    sex = text("sex") or None
    if errors:
        raise ValueError("; ".join(errors))
    try:
        return ReviewRequest(cpt=cpt, request_date=dates.get("request_date"), age=age,
                             dob=dates.get("dob"), sex=sex,
                             patient_name=text("patient_name") or None,
                             mrn=text("mrn") or None)
    except ValidationError as exc:
        raise ValueError("; ".join(err["msg"].removeprefix("Value error, ")
                                   for err in exc.errors())) from None


def create_app(data_dir: str | Path, *, limits: Limits | None = None,
               allowed_hosts: Sequence[str] = LOCAL_HOSTS,
               accept_broken_audit_trail: bool = False,
               database_url: str | None = None) -> FastAPI:
    """Build the reviewer web app.

    Args:
        data_dir: Folder for the database and the uploads (created if missing; made
            owner-only, 0700, in any case; the database file is 0600).
        limits: Upload limits; :class:`Limits` defaults when ``None``.
        allowed_hosts: Host header values accepted (DNS-rebinding protection).
        accept_broken_audit_trail: Serve even though the audit trail is broken (logged as a
            warning and recorded in the chain).
        database_url: A ``postgresql://`` URL: keep reviews, decisions and accounts there
            (the chain's head file stays in ``data_dir``); ``None``: SQLite in ``data_dir``.

    Returns:
        The ASGI app. Reviews run in two background threads (see :class:`ReviewRunner`),
        started with the app.

    Raises:
        BrokenAuditTrail: The audit trail is broken and ``accept_broken_audit_trail`` is off.
        OSError: The data folder cannot be made or used.
    """
    limits = limits or Limits()
    data = Path(data_dir).resolve()
    secure_data_dir(data)
    uploads = data / "uploads"
    secure_data_dir(uploads)
    if database_url:
        store = Store(database_url, head_file=data / "postgresql.audit-head")
    else:
        store = Store(data / "priorauth.sqlite3")
    audit = store.verify()
    if not audit.whole:
        if not accept_broken_audit_trail:
            store.close()
            raise BrokenAuditTrail(audit)
        log.warning("%s; serving it anyway as told (--accept-broken-audit-trail); this "
                    "acceptance is recorded in the trail", audit.summary())
        store.record_acceptance(audit)
    runner = ReviewRunner(store, max_pages=limits.max_pages, max_bytes=limits.max_file_bytes)
    templates = Jinja2Templates(env=_template_env())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        for review_id in store.fail_interrupted():
            log.info("review %s: marked failed (server restarted)", review_id)
        yield
        runner.shutdown()

    app = FastAPI(title="priorauth reviewer", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.store = store
    app.state.runner = runner
    app.state.data_dir = data
    app.mount("/static", StaticFiles(packages=[("priorauth.web", "static")]), name="static")

    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.add_middleware(Guard, upload_limit=limits.max_request_bytes)

    def _row_or_404(review_id: str):
        row = store.review(review_id)
        if row is None:
            raise HTTPException(404, "no such review")
        return row

    def _review_or_409(review_id: str) -> Review:
        row = _row_or_404(review_id)
        if row.status != "done" or row.review is None:
            raise HTTPException(409, f"review is not ready (status: {row.status})")
        return _parse_review(row.review)

    @lru_cache(maxsize=64)
    def _parse_review(review_json: str) -> Review:
        return Review.model_validate_json(review_json)

    def _document(review_id: str, position: int) -> DocumentRow:
        for doc in store.documents(review_id):
            if doc.position == position:
                return doc
        raise HTTPException(404, "no such document")

    # pages -------------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request):
        recent = []
        for row in store.recent():
            req = json.loads(row.request)
            recent.append({"id": row.id, "created_at": row.created_at, "status": row.status,
                           "cpt": ", ".join(req.get("cpt", []))})
        return templates.TemplateResponse(request, "index.html",
                                          {"recent": recent, "limits": limits})

    @app.get("/reviews/{review_id}", response_class=HTMLResponse)
    def review_page(request: Request, review_id: str = PathParam(pattern=REVIEW_ID)):
        row = _row_or_404(review_id)
        documents = store.documents(review_id)
        context = {"row": row, "documents": documents}
        if row.status == "done" and row.review is not None:
            review = _parse_review(row.review)
            positions = {d.name: d.position for d in documents}
            kinds = {d.name: d.kind for d in documents}
            discarded = [f for f in review.facts if f.assertion.value != "present"]
            context.update(review=review, tree=_tree(review), positions=positions, kinds=kinds,
                           by_id={c.id: c for c in review.criteria}, discarded=discarded)
        return templates.TemplateResponse(request, "review.html", context)

    @app.get("/reviews/{review_id}/report", response_class=HTMLResponse)
    def printable_report(review_id: str = PathParam(pattern=REVIEW_ID)):
        review = _review_or_409(review_id)
        page = render_html(review)
        decisions = store.decisions(review_id)
        page = page.replace("</body></html>", _decisions_html(decisions) + "</body></html>")
        return HTMLResponse(page, headers={"Content-Security-Policy": REPORT_CSP})

    # API ---------------------------------------------------------------------------------------

    @app.post("/api/reviews", status_code=202)
    async def upload(request: Request):
        try:
            form = await request.form(max_files=limits.max_files, max_fields=20,
                                      max_part_size=65_536)
        except MultiPartException as exc:
            raise HTTPException(400, f"upload could not be read: {exc.message}") from None
        try:
            files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
            if not files:
                raise HTTPException(400, "no file uploaded; choose one or more PDF or text "
                                         "files of the chart")
            contents = []
            for position, upload_file in enumerate(files):
                name = display_name(upload_file.filename, position)
                blob = await upload_file.read(limits.max_file_bytes + 1)
                contents.append((name, blob))
            try:  # one FHIR request bundle: the form's fields override what it says
                bundle = await run_in_threadpool(
                    fhir_upload.bundle_upload, contents, max_file_bytes=limits.max_file_bytes,
                    max_files=limits.max_files)
            except UploadRejected as exc:
                raise HTTPException(exc.status, str(exc)) from None
            try:
                review_request = _parse_request(
                    form if bundle is None else fhir_upload.merged_form(form, bundle))
            except ValueError as exc:
                raise HTTPException(422, str(exc)) from None
        finally:
            await form.close()
        review_id = secrets.token_hex(16)
        try:
            if bundle is None:
                rows, paths = await run_in_threadpool(_save_uploads, uploads / review_id,
                                                      contents, limits)
            else:
                rows, paths = await run_in_threadpool(
                    fhir_upload.save_bundle, uploads / review_id, bundle,
                    max_file_bytes=limits.max_file_bytes, max_pages=limits.max_pages)
        except UploadRejected as exc:
            log.info("upload refused (%s)", exc.status)
            raise HTTPException(exc.status, str(exc)) from None
        await run_in_threadpool(store.add_review, review_id, review_request.model_dump_json(),
                                rows)
        runner.submit(review_id, paths, [r.name for r in rows], review_request)
        log.info("review %s: queued (%d documents)", review_id, len(rows))
        return {"id": review_id, "status_url": f"/api/reviews/{review_id}/status",
                "review_url": f"/reviews/{review_id}"}

    @app.get("/api/reviews/{review_id}/status")
    def status(review_id: str = PathParam(pattern=REVIEW_ID)):
        row = _row_or_404(review_id)
        return {"id": row.id, "status": row.status, "error": row.error,
                "stages": list(STAGES), "done": row.status in ("done", "failed")}

    @app.get("/api/reviews/{review_id}")
    def review_json(review_id: str = PathParam(pattern=REVIEW_ID), download: bool = False):
        review = _review_or_409(review_id)
        headers = {}
        if download:
            headers["Content-Disposition"] = f'attachment; filename="review-{review_id}.json"'
        return Response(review.to_json(), media_type="application/json", headers=headers)

    @app.get("/api/reviews/{review_id}/fhir")
    def review_fhir(review_id: str = PathParam(pattern=REVIEW_ID), download: bool = False):
        review = _review_or_409(review_id)
        try:
            from priorauth.fhir.response import render_fhir
        except ImportError:
            raise HTTPException(501, "FHIR export needs fhir.resources: "
                                     "pip install 'priorauth[fhir]'") from None
        headers = {}
        if download:
            headers["Content-Disposition"] = (f'attachment; filename="review-{review_id}'
                                              '.fhir.json"')
        return Response(render_fhir(review), media_type="application/fhir+json",
                        headers=headers)

    @app.get("/api/reviews/{review_id}/documents/{position}/pages/{page}.png")
    def page_png(review_id: str = PathParam(pattern=REVIEW_ID), position: int = 0,
                 page: int = 1, scale: float = Query(1.5, ge=0.5, le=3.0)):
        doc = _document(review_id, position)
        if doc.kind != "pdf":
            raise HTTPException(404, "not a PDF document")
        try:
            png = highlight.page_image(uploads / review_id / doc.stored_name, page, scale=scale)
        except highlight.NotFound:
            raise HTTPException(404, "no such page") from None
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, "
                                                                              "max-age=3600"})

    @app.get("/api/reviews/{review_id}/documents/{position}/boxes")
    def boxes(review_id: str = PathParam(pattern=REVIEW_ID), position: int = 0,
              page: int = Query(ge=1), start: int = Query(ge=0), end: int = Query(ge=0)):
        _review_or_409(review_id)
        doc = _document(review_id, position)
        if doc.kind != "pdf":
            raise HTTPException(404, "not a PDF document")
        try:
            found = highlight.evidence_boxes(uploads / review_id / doc.stored_name, page, start,
                                             end)
        except highlight.NotFound:
            raise HTTPException(404, "no such page or offsets outside it") from None
        return {"page": page, "page_width": found.page_width, "page_height": found.page_height,
                "boxes": [[b.x0, b.y0, b.x1, b.y1] for b in found.boxes]}

    @app.get("/api/reviews/{review_id}/documents/{position}/text")
    def document_text(review_id: str = PathParam(pattern=REVIEW_ID), position: int = 0):
        from priorauth.extract.ingest import ChartReadError, read_document

        _review_or_409(review_id)
        doc = _document(review_id, position)
        try:
            document = read_document(uploads / review_id / doc.stored_name,
                                     max_pages=limits.max_pages,
                                     max_bytes=limits.max_file_bytes)
        except ChartReadError:
            raise HTTPException(404, "document cannot be read") from None
        return {"name": doc.name, "kind": doc.kind,
                "pages": [{"number": p.number, "text": p.text} for p in document.pages]}

    @app.get("/api/reviews/{review_id}/decisions")
    def list_decisions(review_id: str = PathParam(pattern=REVIEW_ID)):
        _row_or_404(review_id)
        decisions = store.decisions(review_id)
        return {"decisions": [_decision_dict(d) for d in decisions],
                "current": {k: _decision_dict(v) for k, v in _current(decisions).items()}}

    @app.post("/api/reviews/{review_id}/decisions", status_code=201)
    def add_decision(body: DecisionIn, review_id: str = PathParam(pattern=REVIEW_ID)):
        review = _review_or_409(review_id)
        if body.criterion_id == "final":
            if body.action not in FINAL_ACTIONS:
                raise HTTPException(422, "a final decision is approve or refer_to_physician "
                                         "(the tool never denies)")
        else:
            if body.criterion_id not in {c.id for c in review.criteria}:
                raise HTTPException(422, f"no criterion {body.criterion_id!r} in this review")
            if body.action not in CRITERION_ACTIONS:
                raise HTTPException(422, "a criterion decision is agree, disagree or comment")
        if body.action == "comment" and not body.comment:
            raise HTTPException(422, "a comment needs some text")
        decision = store.add_decision(review_id, body.criterion_id, body.action, body.comment,
                                      body.reviewer)
        log.info("review %s: decision %d recorded", review_id, decision.id)
        return _decision_dict(decision)

    return app


def _save_uploads(folder: Path, contents: list[tuple[str, bytes]],
                  limits: Limits) -> tuple[list[DocumentRow], list[Path]]:
    kinds = [check_upload(name, blob, max_bytes=limits.max_file_bytes,
                          max_pages=limits.max_pages) for name, blob in contents]
    rows: list[DocumentRow] = []
    paths: list[Path] = []
    seen: set[str] = set()
    for position, ((name, blob), kind) in enumerate(zip(contents, kinds, strict=True)):
        shown = name
        counter = 2
        while shown in seen:  # two files of the same name: evidence must tell them apart
            stem, dot, suffix = name.rpartition(".")
            shown = f"{stem} ({counter}).{suffix}" if dot else f"{name} ({counter})"
            counter += 1
        seen.add(shown)
        stored = store_file(folder, blob, kind)
        rows.append(DocumentRow(position=position, name=shown, stored_name=stored, kind=kind,
                                size=len(blob)))
        paths.append(folder / stored)
    return rows, paths


def _decisions_html(decisions: Sequence[Decision]) -> str:
    import html

    e = html.escape
    current = _current(decisions)
    final = current.get("final")
    final_text = (f"{e(final.action.replace('_', ' '))} by {e(final.reviewer)} at "
                  f"{e(final.timestamp)}" if final else "none recorded")
    rows = "".join(
        f"<tr><td>{e(d.timestamp)}</td><td>{e(d.reviewer)}</td><td>{e(d.criterion_id)}</td>"
        f"<td>{e(d.action)}</td><td>{e(d.previous_action or '')}</td><td>{e(d.comment)}</td>"
        "</tr>" for d in decisions)
    return (f"<h2>Reviewer decision</h2><p>{final_text}</p><h2>Audit trail</h2>"
            "<table><tr><th>when (UTC)</th><th>who</th><th>criterion</th><th>action</th>"
            f"<th>replaced</th><th>comment</th></tr>{rows}</table>")
