"""Sign-in and sign-out pages."""

from __future__ import annotations

import hmac
import logging
import secrets

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from priorauth.web.auth import COOKIE, SIGNIN_COOKIE
from priorauth.web.context import actor, ctx

log = logging.getLogger("priorauth.web")
router = APIRouter()


def _cookie(response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", secure=True, httponly=True,
                        samesite="strict")


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, error: str = ""):
    c = ctx(request)
    token = secrets.token_urlsafe(24)
    response = c.templates.TemplateResponse(request, "signin.html", {
        "csrf_token": token, "error": error[:200], "enabled": c.auth.enabled, "user": None})
    _cookie(response, SIGNIN_COOKIE, token, max_age=1800)
    return response


@router.post("/signin")
async def signin(request: Request):
    c = ctx(request)
    form = await request.form(max_files=0, max_fields=5, max_part_size=4096)
    name, password, token = (form.get(k) for k in ("name", "password", "csrf_token"))
    cookie = request.cookies.get(SIGNIN_COOKIE, "")
    if not (isinstance(token, str) and cookie and hmac.compare_digest(token.encode(),
                                                                      cookie.encode())):
        raise HTTPException(403, "missing or wrong CSRF token: reload the sign-in page")
    if not isinstance(name, str) or not isinstance(password, str):
        return RedirectResponse("/signin?error=name+and+password", status_code=303)
    found = await run_in_threadpool(c.auth.sign_in, name, password)
    if found is None:
        log.info("sign-in refused")
        return RedirectResponse("/signin?error=wrong+name+or+password", status_code=303)
    session, user = found
    log.info("signed in (%s)", user.role)
    response = RedirectResponse("/", status_code=303)
    _cookie(response, COOKIE, session)
    response.delete_cookie(SIGNIN_COOKIE, path="/")
    return response


@router.post("/signout")
async def signout(request: Request):
    c = ctx(request)
    form = await request.form(max_files=0, max_fields=5, max_part_size=4096)
    token = form.get("csrf_token")
    await run_in_threadpool(actor, request, None, token if isinstance(token, str) else None)
    await run_in_threadpool(c.auth.sign_out, request)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response
