"""The reviewer web page: upload a chart, follow the review, check evidence, record decisions.

``create_app(data_dir)`` builds the FastAPI app from routers by concern
(:mod:`priorauth.web.routes`: intake, worklist, review, decisions, documents, auth). Everything
it keeps is in ``data_dir``: the SQLite database (reviews, documents, append-only decisions,
accounts) or, with ``database_url``, a PostgreSQL database, and the uploads, under random
names. With accounts (``priorauth users add``) every page needs sign-in and the reviewer's
name comes from the session (:mod:`priorauth.web.auth`); without, the reviewer types their
name and the page is for 127.0.0.1 only. It refuses other Host headers (DNS rebinding) and
cross-origin posts, sends a Content-Security-Policy that allows nothing but its own origin, and
logs review ids and stages only, never chart text or file names.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import ClientDisconnect

from priorauth import words
from priorauth.report import HEADLINE, LOW_OCR_CONFIDENCE, SYMBOL
from priorauth.web import chart_view
from priorauth.web.auth import Auth
from priorauth.web.context import Ctx, api_user
from priorauth.web.jobs import STAGES, ReviewRunner
from priorauth.web.retention import purge_expired
from priorauth.web.routes import auth as auth_routes
from priorauth.web.routes import decisions, documents, intake, review, worklist
from priorauth.web.store import AuditReport, Store, secure_data_dir

__all__ = ["BrokenAuditTrail", "Limits", "create_app"]

log = logging.getLogger("priorauth.web")

CSP = ("default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
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
                # same-origin, not no-referrer: with no-referrer a form post sends "Origin: null"
                out["Referrer-Policy"] = "same-origin"
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


def _template_env() -> Environment:
    env = Environment(loader=PackageLoader("priorauth.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.globals.update(LOW_OCR_CONFIDENCE=LOW_OCR_CONFIDENCE)
    env.globals.update(SYMBOL={s.value: sym for s, sym in SYMBOL.items()}, HEADLINE=HEADLINE,
                       STAGES=STAGES)
    env.globals.update(words=words)  # the review in words (priorauth/words.py)
    return env


def create_app(data_dir: str | Path, *, limits: Limits | None = None,
               allowed_hosts: Sequence[str] = LOCAL_HOSTS,
               accept_broken_audit_trail: bool = False,
               database_url: str | None = None, idle_minutes: float = 30,
               retention_days: int | None = None) -> FastAPI:
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
        idle_minutes: A signed-in session unused this long ends.
        retention_days: Delete uploaded files of finished reviews received more than this
            many days ago, at start and hourly (decisions and audit trail kept); ``None``:
            keep them.

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
    auth = Auth(store, idle_seconds=idle_minutes * 60)
    templates = Jinja2Templates(env=_template_env())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        for review_id in store.fail_interrupted():
            log.info("review %s: marked failed (server restarted)", review_id)
        store.end_idle_sessions(time.time() - idle_minutes * 60)
        task = None
        if retention_days is not None:
            async def retention_loop() -> None:
                while True:
                    await run_in_threadpool(purge_expired, store, uploads, retention_days)
                    await asyncio.sleep(3600)

            task = asyncio.create_task(retention_loop())
        yield
        if task is not None:
            task.cancel()
        runner.shutdown()

    app = FastAPI(title="priorauth reviewer", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.store = store
    app.state.runner = runner
    app.state.data_dir = data
    app.mount("/static", StaticFiles(packages=[("priorauth.web", "static")]), name="static")

    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.add_middleware(Guard, upload_limit=limits.max_request_bytes)

    app.state.ctx = Ctx(store=store, runner=runner, templates=templates, limits=limits,
                        uploads=uploads, auth=auth)
    for router in (auth_routes.router, worklist.router, intake.router, review.router,
                   decisions.router, documents.router):
        app.include_router(router)
    app.include_router(chart_view.chart_router(  # thumbnails, paging, search, TIFF pages
        store=store, uploads=uploads, max_pages=limits.max_pages,
        max_bytes=limits.max_file_bytes, dependencies=[Depends(api_user)]))
    return app
