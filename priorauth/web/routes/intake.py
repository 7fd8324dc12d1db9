"""Intake: the upload of a chart with the request and the case's intake fields."""

from __future__ import annotations

import json
import logging
import re
import secrets
from datetime import date
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from priorauth.models import ReviewRequest
from priorauth.web import fhir_upload
from priorauth.web.context import actor, api_user, ctx
from priorauth.web.store import DocumentRow, ReviewerNameError, clean_reviewer_name
from priorauth.web.uploads import UploadRejected, check_upload, display_name, store_file

log = logging.getLogger("priorauth.web")
router = APIRouter()

#: Intake fields: form name -> (label, longest).
INTAKE_FIELDS = {"patient_name": ("patient name", 120), "member_id": ("member ID", 40),
                 "case_number": ("case number", 40),
                 "ordering_provider": ("ordering provider", 120)}
URGENCIES = ("standard", "expedited")


def parse_intake(form) -> dict[str, str]:
    """The intake fields of an upload form, each printable single-line text (422 otherwise);
    urgency ``standard`` (7 days) unless ``expedited`` (72 hours)."""
    out: dict[str, str] = {}
    errors = []
    for name, (label, longest) in INTAKE_FIELDS.items():
        value = form.get(name)
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            cleaned = clean_reviewer_name(value)
        except ReviewerNameError:
            errors.append(f"{label} must be printable single-line text")
            continue
        if len(cleaned) > longest:
            errors.append(f"{label} is longer than {longest} characters")
        out[name] = cleaned
    urgency = form.get("urgency")
    urgency = urgency.strip() if isinstance(urgency, str) and urgency.strip() else "standard"
    if urgency not in URGENCIES:
        errors.append("urgency is standard or expedited")
    out["urgency"] = urgency
    if errors:
        raise ValueError("; ".join(errors))
    return out


def parse_request(form) -> ReviewRequest:
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


@router.post("/api/reviews", status_code=202)
async def upload(request: Request):
    c = ctx(request)
    limits = c.limits
    await run_in_threadpool(api_user, request)  # 401 before a body is read
    try:
        form = await request.form(max_files=limits.max_files, max_fields=30,
                                  max_part_size=65_536)
    except MultiPartException as exc:
        raise HTTPException(400, f"upload could not be read: {exc.message}") from None
    try:
        token = form.get("csrf_token")
        await run_in_threadpool(actor, request, None, token if isinstance(token, str)
                                else None)
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
            review_request = parse_request(
                form if bundle is None else fhir_upload.merged_form(form, bundle))
            intake = parse_intake(form)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
    finally:
        await form.close()
    review_id = secrets.token_hex(16)
    try:
        if bundle is None:
            rows, paths = await run_in_threadpool(save_uploads, c.uploads / review_id,
                                                  contents, limits)
        else:
            rows, paths = await run_in_threadpool(
                fhir_upload.save_bundle, c.uploads / review_id, bundle,
                max_file_bytes=limits.max_file_bytes, max_pages=limits.max_pages)
    except UploadRejected as exc:
        log.info("upload refused (%s)", exc.status)
        raise HTTPException(exc.status, str(exc)) from None
    await run_in_threadpool(c.store.add_review, review_id, review_request.model_dump_json(),
                            rows, intake=json.dumps(intake, sort_keys=True))
    c.runner.submit(review_id, paths, [r.name for r in rows], review_request)
    log.info("review %s: queued (%d documents)", review_id, len(rows))
    return {"id": review_id, "status_url": f"/api/reviews/{review_id}/status",
            "review_url": f"/reviews/{review_id}"}


def save_uploads(folder: Path, contents: list[tuple[str, bytes]],
                 limits) -> tuple[list[DocumentRow], list[Path]]:
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
