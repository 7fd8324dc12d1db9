"""What every router of the reviewer page shares: the store, the runner, templates, limits,
sign-in, and small helpers (a review or 404, a finished review or 409, the reviewer's
corrections and the review recomputed with them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates

from priorauth.models import Review, Status
from priorauth.scoring import rescore
from priorauth.web.auth import Auth, User, check_csrf
from priorauth.web.jobs import ReviewRunner
from priorauth.web.store import Decision, DocumentRow, ReviewRow, Store

__all__ = ["OVERRIDE_ACTIONS", "Ctx", "PageUser", "actor", "ctx", "due_time", "overrides_of",
           "page_user", "state_of"]

#: Decision actions that set a criterion's status (``clear_override`` gives it back to the
#: machine).
OVERRIDE_ACTIONS = {"set_met": Status.met, "set_not_met": Status.not_met,
                    "set_unknown": Status.unknown}
FINAL_STATES = {"approve": "approved", "refer_to_physician": "referred to physician",
                "physician_approve": "physician decision",
                "physician_adverse": "physician decision"}
URGENCY_HOURS = {"standard": 7 * 24, "expedited": 72}


@dataclass
class Ctx:
    store: Store
    runner: ReviewRunner
    templates: Jinja2Templates
    limits: Any
    uploads: Path
    auth: Auth

    def row_or_404(self, review_id: str) -> ReviewRow:
        row = self.store.review(review_id)
        if row is None:
            raise HTTPException(404, "no such review")
        return row

    def review_or_409(self, review_id: str) -> Review:
        row = self.row_or_404(review_id)
        if row.status != "done" or row.review is None:
            raise HTTPException(409, f"review is not ready (status: {row.status})")
        return parse_review(row.review)

    def document(self, review_id: str, position: int) -> DocumentRow:
        if self.store.purged_at(review_id):
            raise HTTPException(410, "the uploaded files of this review were deleted "
                                     "(retention); the decisions and audit trail remain")
        for doc in self.store.documents(review_id):
            if doc.position == position:
                return doc
        raise HTTPException(404, "no such document")

    def corrected(self, review_id: str) -> tuple[Review, Review, dict[str, Decision]]:
        """(machine review, review with the reviewer's corrections, corrections by node)."""
        machine = self.review_or_409(review_id)
        overrides = overrides_of(self.store.decisions(review_id))
        if not overrides:
            return machine, machine, {}
        statuses = {k: OVERRIDE_ACTIONS[d.action] for k, d in overrides.items()}
        row = self.row_or_404(review_id)
        assert row.review is not None
        return machine, _rescored(row.review, tuple(sorted(statuses.items()))), overrides


@lru_cache(maxsize=64)
def parse_review(review_json: str) -> Review:
    return Review.model_validate_json(review_json)


@lru_cache(maxsize=64)
def _rescored(review_json: str, overrides: tuple[tuple[str, Status], ...]) -> Review:
    return rescore(parse_review(review_json), dict(overrides))


def overrides_of(decisions: Sequence[Decision]) -> dict[str, Decision]:
    """The reviewer's standing corrections: node id -> the latest ``set_*`` decision (a later
    ``clear_override`` removes it)."""
    out: dict[str, Decision] = {}
    for d in decisions:
        if d.action in OVERRIDE_ACTIONS:
            out[d.criterion_id] = d
        elif d.action == "clear_override":
            out.pop(d.criterion_id, None)
    return out


def state_of(decisions: Sequence[tuple[str, str, str]]) -> tuple[str, str]:
    """(decision state, assignee) from a review's (criterion, action, reviewer) rows."""
    finals = [d for d in decisions if d[0] == "final" and d[1] != "comment"]
    if finals:
        action, reviewer = finals[-1][1], finals[-1][2]
        if action == "refer_to_physician":
            return FINAL_STATES[action], "physician"
        return FINAL_STATES.get(action, "in review"), reviewer
    if decisions:
        return "in review", decisions[-1][2]
    return "new", ""


def due_time(received: str, urgency: str | None) -> datetime:
    """When a decision is due: 7 calendar days after receipt (standard) or 72 hours
    (expedited), as CMS-0057-F sets them."""
    start = datetime.fromisoformat(received.replace("Z", "+00:00"))
    return start + timedelta(hours=URGENCY_HOURS.get(urgency or "standard", 7 * 24))


def now_utc() -> datetime:
    return datetime.now(UTC)


def ctx(request: Request) -> Ctx:
    return request.app.state.ctx


def page_user(request: Request) -> User | None:
    """The signed-in user of a page; with sign-in on and no session, a redirect to sign in."""
    c = ctx(request)
    if not c.auth.enabled:
        return None
    user = c.auth.user(request)
    if user is None:
        raise HTTPException(303, "sign in first", headers={"Location": "/signin"})
    return user


def api_user(request: Request) -> User | None:
    """The signed-in user of an API call; with sign-in on and no session, 401."""
    c = ctx(request)
    if not c.auth.enabled:
        return None
    user = c.auth.user(request)
    if user is None:
        raise HTTPException(401, "sign in first")
    return user


def actor(request: Request, typed_name: str | None, csrf: str | None = None) -> User | None:
    """Who makes a state-changing request: with sign-in on, the session's user (its CSRF
    token checked: ``csrf`` or the ``X-CSRF-Token`` header); without it, ``None`` (the typed
    name is used, loopback only)."""
    user = api_user(request)
    if user is not None:
        check_csrf(user, csrf or request.headers.get("x-csrf-token"))
    return user


#: A page's signed-in user (``None`` without sign-in), as an endpoint parameter.
PageUser = Annotated[User | None, Depends(page_user)]
