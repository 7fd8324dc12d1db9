"""Decisions: the reviewer's actions on criteria and on the case, and corrections.

Roles (with sign-in on): a nurse agrees, disagrees, comments, corrects criteria, approves or
refers to a physician; a physician does the same on criteria and records the final decision
on a referred case (``physician_approve`` or ``physician_adverse``). An adverse decision
needs a reason in words and names the criteria that are not met. The tool never denies:
without sign-in the final actions stay approve and refer to physician.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError
from starlette.concurrency import run_in_threadpool

from priorauth.models import Status
from priorauth.web.context import OVERRIDE_ACTIONS, actor, api_user, ctx, state_of
from priorauth.web.store import Decision, ReviewerNameError, clean_reviewer_name

log = logging.getLogger("priorauth.web")
REVIEW_ID = r"^[0-9a-f]{32}$"
NODE_ID = r"^(ind|non)(\.[0-9]+){1,6}$"
CRITERION_ACTIONS = ("agree", "disagree", "comment")
FINAL_ACTIONS = ("approve", "refer_to_physician", "comment")
PHYSICIAN_ACTIONS = ("physician_approve", "physician_adverse")
MIN_REASON = 20

router = APIRouter()


class DecisionIn(BaseModel):
    """One reviewer action, as posted by the page."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    criterion_id: str = Field(min_length=1, max_length=40)
    action: Literal["agree", "disagree", "comment", "approve", "refer_to_physician",
                    "physician_approve", "physician_adverse"]
    comment: str = Field(default="", max_length=2000)
    reviewer: str | None = Field(default=None, min_length=1, max_length=100)
    #: For ``physician_adverse``: the criteria not met, by id.
    criteria: list[str] = Field(default_factory=list, max_length=50)

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


class OverrideIn(BaseModel):
    """A correction of one criterion: a status (or ``machine`` to undo) and why."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: Literal["met", "not_met", "unknown", "machine"]
    comment: str = Field(min_length=1, max_length=2000)
    reviewer: str | None = Field(default=None, max_length=100)


def decision_dict(d: Decision) -> dict:
    return {"id": d.id, "criterion_id": d.criterion_id, "action": d.action,
            "previous_action": d.previous_action, "comment": d.comment,
            "reviewer": d.reviewer, "timestamp": d.timestamp}


def current(decisions: Sequence[Decision]) -> dict[str, Decision]:
    """The latest non-comment action of each criterion (and of 'final')."""
    out: dict[str, Decision] = {}
    for d in decisions:
        if d.action != "comment":
            out[d.criterion_id] = d
    return out


def _name(user, typed: str | None) -> str:
    if user is not None:
        return user.name
    if not typed:
        raise HTTPException(422, "reviewer: type your name (the page has no sign-in)")
    return typed


@router.get("/api/reviews/{review_id}/decisions", dependencies=[Depends(api_user)])
def list_decisions(request: Request, review_id: str = PathParam(pattern=REVIEW_ID)):
    c = ctx(request)
    c.row_or_404(review_id)
    decisions = c.store.decisions(review_id)
    return {"decisions": [decision_dict(d) for d in decisions],
            "current": {k: decision_dict(v) for k, v in current(decisions).items()}}


@router.post("/api/reviews/{review_id}/decisions", status_code=201)
def add_decision(request: Request, body: DecisionIn,
                 review_id: str = PathParam(pattern=REVIEW_ID)):
    c = ctx(request)
    user = actor(request, body.reviewer)
    name = _name(user, body.reviewer)
    machine, review, _ = c.corrected(review_id)
    comment = body.comment
    if body.criterion_id == "final":
        decisions = c.store.decisions(review_id)
        state, _ = state_of([(d.criterion_id, d.action, d.reviewer) for d in decisions])
        if body.action in PHYSICIAN_ACTIONS:
            if user is None or user.role != "physician":
                raise HTTPException(403, "only a signed-in physician records the final "
                                         "decision on a referred case")
            if state != "referred to physician":
                raise HTTPException(409, "this case is not referred to a physician")
            if body.action == "physician_adverse":
                comment = _adverse_reason(review, body.comment, body.criteria)
        elif body.action not in FINAL_ACTIONS:
            raise HTTPException(422, "a final decision is approve or refer_to_physician "
                                     "(the tool never denies)")
        elif user is not None and body.action != "comment":
            if user.role != "nurse":
                raise HTTPException(403, "a physician records the final decision on a "
                                         "referred case (physician_approve or "
                                         "physician_adverse)")
            if state in ("referred to physician", "physician decision"):
                raise HTTPException(409, f"this case is already {state}")
    else:
        if body.criterion_id not in {x.id for x in machine.criteria}:
            raise HTTPException(422, f"no criterion {body.criterion_id!r} in this review")
        if body.action not in CRITERION_ACTIONS:
            raise HTTPException(422, "a criterion decision is agree, disagree or comment")
    if body.action == "comment" and not comment:
        raise HTTPException(422, "a comment needs some text")
    decision = c.store.add_decision(review_id, body.criterion_id, body.action, comment, name)
    log.info("review %s: decision %d recorded", review_id, decision.id)
    return decision_dict(decision)


def _adverse_reason(review, reason: str, criteria: list[str]) -> str:
    """The stored comment of an adverse decision: the reason and the unmet criteria in words.

    Raises:
        HTTPException: 422 when the reason is too short or no criterion is named, or a named
            criterion is met in the (corrected) review.
    """
    if len(reason.strip()) < MIN_REASON:
        raise HTTPException(422, f"an adverse decision needs a specific reason in words (at "
                                 f"least {MIN_REASON} characters)")
    if not criteria:
        raise HTTPException(422, "an adverse decision names the criteria that are not met")
    by_id = {x.id: x for x in review.criteria}
    named = []
    for cid in dict.fromkeys(criteria):
        found = by_id.get(cid)
        if found is None:
            raise HTTPException(422, f"no criterion {cid!r} in this review")
        if found.status == Status.met:
            raise HTTPException(422, f"criterion {cid} is met; an adverse decision names "
                                     "criteria that are not met")
        named.append(f"{cid} ({found.text}) is {found.status.value.replace('_', ' ')}")
    return f"{reason.strip()} | Criteria not met: " + "; ".join(named)


@router.post("/api/reviews/{review_id}/criteria/{node_id}/override")
async def override(request: Request, body: OverrideIn,
                   review_id: str = PathParam(pattern=REVIEW_ID),
                   node_id: str = PathParam(pattern=NODE_ID)):
    """Correct one criterion (met / not met / unknown, or back to the machine's) with a
    comment; the tree and the determination are recomputed by the same scorer. Returns the
    corrected review beside the machine's determination."""
    c = ctx(request)
    user = await run_in_threadpool(actor, request, body.reviewer)
    name = _name(user, body.reviewer)
    machine = await run_in_threadpool(c.review_or_409, review_id)
    if node_id not in {x.id for x in machine.criteria}:
        raise HTTPException(422, f"no criterion {node_id!r} in this review")
    action = "clear_override" if body.status == "machine" else f"set_{body.status}"
    assert action == "clear_override" or action in OVERRIDE_ACTIONS
    decision = await run_in_threadpool(c.store.add_decision, review_id, node_id, action,
                                       body.comment, name)
    log.info("review %s: correction %d recorded", review_id, decision.id)
    return await run_in_threadpool(corrected_dict, c, review_id)


def corrected_dict(c, review_id: str) -> dict:
    machine, review, overrides = c.corrected(review_id)
    return {"id": review_id, "machine_determination": machine.determination.value,
            "determination": review.determination.value,
            "overrides": {k: {"status": d.action.removeprefix("set_"),
                              "machine_status": machine.criterion(k).status.value,
                              "comment": d.comment, "reviewer": d.reviewer,
                              "timestamp": d.timestamp} for k, d in overrides.items()},
            "review": review.model_dump(mode="json")}


@router.get("/api/reviews/{review_id}/corrected", dependencies=[Depends(api_user)])
def corrected(request: Request, review_id: str = PathParam(pattern=REVIEW_ID)):
    """The review with the reviewer's corrections, beside the machine's determination."""
    return corrected_dict(ctx(request), review_id)
