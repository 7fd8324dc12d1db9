"""A review: its page (with intake fields and the reviewer's corrections), status, JSON,
FHIR and the printable report."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response

from priorauth.models import CriterionResult, Review, Status
from priorauth.report import HEADLINE, render_html
from priorauth.web.context import PageUser, api_user, ctx, due_time, page_user, state_of
from priorauth.web.jobs import STAGES
from priorauth.web.routes.decisions import current
from priorauth.web.store import Decision

REVIEW_ID = r"^[0-9a-f]{32}$"
# The printable report is self-contained with inline styles, and runs no script.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
INTAKE_LABELS = (("patient_name", "Patient"), ("member_id", "Member ID"),
                 ("case_number", "Case number"), ("ordering_provider", "Ordering provider"),
                 ("urgency", "Urgency"))

router = APIRouter()


@dataclass
class TreeNode:
    """A criterion with its children, for the page."""

    result: CriterionResult
    children: list[TreeNode] = field(default_factory=list)
    open: bool = False


def tree(review: Review) -> dict[str, list[TreeNode]]:
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


def case_info(c, review_id: str, created_at: str) -> dict:
    """Intake fields, received and due time, decision state and assignee of a case."""
    intake = c.store.intake(review_id)
    decisions = c.store.decisions(review_id)
    state, assignee = state_of([(d.criterion_id, d.action, d.reviewer) for d in decisions])
    due = due_time(created_at, intake.get("urgency"))
    return {"intake": intake, "received": created_at,
            "due": due.isoformat().replace("+00:00", "Z"), "state": state,
            "assignee": assignee,
            "fields": [(label, intake.get(key, "")) for key, label in INTAKE_LABELS]}


@router.get("/reviews/{review_id}", response_class=HTMLResponse)
def review_page(request: Request, user: PageUser,
                review_id: str = PathParam(pattern=REVIEW_ID)):
    c = ctx(request)
    row = c.row_or_404(review_id)
    documents = c.store.documents(review_id)
    context = {"row": row, "documents": documents, "user": user,
               "case": case_info(c, review_id, row.created_at),
               "purged": c.store.purged_at(review_id)}
    if row.status == "done" and row.review is not None:
        machine, review, overrides = c.corrected(review_id)
        positions = {d.name: d.position for d in documents}
        kinds = {d.name: d.kind for d in documents}
        discarded = [f for f in review.facts if f.assertion.value != "present"]
        context.update(review=review, tree=tree(review), positions=positions, kinds=kinds,
                       by_id={x.id: x for x in review.criteria}, discarded=discarded,
                       machine=machine, overrides=overrides,
                       machine_status={x.id: x.status.value for x in machine.criteria},
                       not_met=[x for x in review.criteria if x.status != Status.met])
    return c.templates.TemplateResponse(request, "review.html", context)


@router.get("/reviews/{review_id}/report", response_class=HTMLResponse,
            dependencies=[Depends(page_user)])
def printable_report(request: Request, review_id: str = PathParam(pattern=REVIEW_ID)):
    c = ctx(request)
    machine, review, overrides = c.corrected(review_id)
    row = c.row_or_404(review_id)
    page = render_html(review)
    decisions = c.store.decisions(review_id)
    head = _case_html(case_info(c, review_id, row.created_at), machine, review, overrides)
    page = page.replace("<body>", "<body>" + head, 1) if "<body>" in page else head + page
    page = page.replace("</body></html>", decisions_html(
        decisions, {x.id: x.text for x in review.criteria}) + "</body></html>")
    return HTMLResponse(page, headers={"Content-Security-Policy": REPORT_CSP})


@router.get("/api/reviews/{review_id}/status", dependencies=[Depends(api_user)])
def status(request: Request, review_id: str = PathParam(pattern=REVIEW_ID)):
    c = ctx(request)
    row = c.row_or_404(review_id)
    ocr = c.runner.ocr_progress.get(review_id)
    return {"id": row.id, "status": row.status, "error": row.error,
            "stages": list(STAGES), "done": row.status in ("done", "failed"),
            "ocr": {"done": ocr[0], "total": ocr[1]} if ocr else None}


@router.get("/api/reviews/{review_id}", dependencies=[Depends(api_user)])
def review_json(request: Request, review_id: str = PathParam(pattern=REVIEW_ID),
                download: bool = False):
    review = ctx(request).review_or_409(review_id)
    headers = {}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="review-{review_id}.json"'
    return Response(review.to_json(), media_type="application/json", headers=headers)


@router.get("/api/reviews/{review_id}/fhir", dependencies=[Depends(api_user)])
def review_fhir(request: Request, review_id: str = PathParam(pattern=REVIEW_ID),
                download: bool = False):
    review = ctx(request).review_or_409(review_id)
    try:
        from priorauth.fhir.response import render_fhir
    except ImportError:
        raise HTTPException(501, "FHIR export needs fhir.resources: "
                                 "pip install 'priorauth[fhir]'") from None
    headers = {}
    if download:
        headers["Content-Disposition"] = (f'attachment; filename="review-{review_id}'
                                          '.fhir.json"')
    return Response(render_fhir(review), media_type="application/fhir+json", headers=headers)


def _case_html(case: dict, machine: Review, review: Review, overrides: dict) -> str:
    e = html.escape
    rows = "".join(f"<tr><th>{e(label)}</th><td>{e(value)}</td></tr>"
                   for label, value in case["fields"])
    rows += (f"<tr><th>Received (UTC)</th><td>{e(case['received'])}</td></tr>"
             f"<tr><th>Due (UTC)</th><td>{e(case['due'])}</td></tr>"
             f"<tr><th>Decision state</th><td>{e(case['state'])}</td></tr>")
    det = (f"<p>Machine determination: {e(HEADLINE[machine.determination.value])}"
           + (f"<br>After the reviewer's corrections: "
              f"{e(HEADLINE[review.determination.value])}" if overrides else "") + "</p>")
    fixes = "".join(
        f"<li>{e(machine.criterion(k).text)} <details><summary>details</summary>{e(k)}"
        f"</details>: {e(d.action.removeprefix('set_').replace('_', ' '))} (machine: "
        f"{e(machine.criterion(k).status.value.replace('_', ' '))}) by {e(d.reviewer)}: "
        f"{e(d.comment)}</li>" for k, d in overrides.items())
    return (f"<h2>Case</h2><table>{rows}</table>{det}"
            + (f"<h3>Reviewer corrections</h3><ul>{fixes}</ul>" if fixes else ""))


def decisions_html(decisions: Sequence[Decision], texts: dict[str, str] | None = None) -> str:
    """The decision and the audit trail for the printable report: criteria by their text
    (``texts``, id -> words), ids and action names under each row's details."""
    e = html.escape
    texts = texts or {}

    def criterion(d: Decision) -> str:
        words = "the case" if d.criterion_id == "final" else texts.get(d.criterion_id,
                                                                        d.criterion_id)
        return (f"{e(words)}<details><summary>details</summary><small>{e(d.criterion_id)} "
                f"{e(d.action)}</small></details>")

    now = current(decisions)
    final = now.get("final")
    final_text = (f"{e(final.action.replace('_', ' '))} by {e(final.reviewer)} at "
                  f"{e(final.timestamp)}" if final else "none recorded")
    rows = "".join(
        f"<tr><td>{e(d.timestamp)}</td><td>{e(d.reviewer)}</td><td>{criterion(d)}</td>"
        f"<td>{e(d.action.replace('_', ' '))}</td>"
        f"<td>{e((d.previous_action or '').replace('_', ' '))}</td><td>{e(d.comment)}</td>"
        "</tr>" for d in decisions)
    return (f"<h2>Reviewer decision</h2><p>{final_text}</p><h2>Audit trail</h2>"
            "<table><tr><th>when (UTC)</th><th>who</th><th>criterion</th><th>action</th>"
            f"<th>replaced</th><th>comment</th></tr>{rows}</table>")
