"""The worklist (home page): one row per case, sort, filter, search; the upload form."""

from __future__ import annotations

import json
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from priorauth.web.context import PageUser, ctx, due_time, now_utc, state_of

router = APIRouter()

STATES = ("new", "in review", "approved", "referred to physician", "physician decision")
DONE_STATES = ("approved", "physician decision")
SORTS = {"due": "due", "received": "received", "patient": "patient_name", "state": "state",
         "member": "member_id", "case": "case_number"}


def worklist_rows(c, *, today: datetime | None = None) -> list[dict]:
    clock = today or now_utc()
    out = []
    for w in c.store.worklist():
        intake = json.loads(w.intake) if w.intake else {}
        request = json.loads(w.request)
        state, assignee = state_of(w.decisions)
        due = due_time(w.created_at, intake.get("urgency"))
        open_case = state not in DONE_STATES
        out.append({
            "id": w.id, "received": w.created_at,
            "due": due.isoformat().replace("+00:00", "Z"),
            "overdue": open_case and due < clock,
            "due_today": open_case and due >= clock and due.date() == clock.date(),
            "urgency": intake.get("urgency", "standard"),
            "patient_name": intake.get("patient_name") or request.get("patient_name") or "",
            "member_id": intake.get("member_id", ""),
            "case_number": intake.get("case_number", ""),
            "ordering_provider": intake.get("ordering_provider", ""),
            "cpt": ", ".join(request.get("cpt", [])),
            "region": _region(request.get("cpt", [])),
            "status": w.status, "determination": w.determination or "",
            "state": state, "assignee": assignee, "purged": bool(w.purged_at)})
    return out


def _region(cpt: list[str]) -> str:
    from priorauth.models import ReviewRequest

    try:
        return ReviewRequest(cpt=tuple(cpt)).region or ""
    except ValueError:
        return ""


def filtered(rows: list[dict], *, q: str = "", state: str = "", assignee: str = "",
             overdue: bool = False, sort: str = "due", desc: bool = False) -> list[dict]:
    """Rows matching the search (name, member ID or case number) and filters, sorted."""
    needle = q.strip().casefold()
    out = [r for r in rows
           if (not needle or any(needle in r[k].casefold()
                                 for k in ("patient_name", "member_id", "case_number")))
           and (not state or r["state"] == state)
           and (not assignee or r["assignee"] == assignee)
           and (not overdue or r["overdue"])]
    key = SORTS.get(sort, "due")
    return sorted(out, key=lambda r: (str(r[key]).casefold(), r["received"]), reverse=desc)


@router.get("/", response_class=HTMLResponse)
def index(request: Request, user: PageUser, q: str = "", state: str = "",
          assignee: str = "", overdue: bool = False, sort: str = "due", desc: bool = False):
    c = ctx(request)
    rows = worklist_rows(c)
    assignees = sorted({r["assignee"] for r in rows if r["assignee"]})
    shown = filtered(rows, q=q[:100], state=state, assignee=assignee, overdue=overdue,
                     sort=sort, desc=desc)
    return c.templates.TemplateResponse(request, "index.html", {
        "rows": shown, "total": len(rows), "limits": c.limits, "user": user,
        "states": STATES, "assignees": assignees,
        "query": {"q": q[:100], "state": state, "assignee": assignee, "overdue": overdue,
                  "sort": sort, "desc": desc}})
