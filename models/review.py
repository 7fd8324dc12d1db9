"""The review every interface returns."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from priorauth.models.facts import Evidence, Fact


class Status(StrEnum):
    """Tri-state status of a criterion."""

    met = "met"
    not_met = "not_met"
    unknown = "unknown"


class Determination(StrEnum):
    """The recommendation. The tool never denies: only ``meets_criteria`` approves."""

    meets_criteria = "meets_criteria"
    not_met = "not_met"
    insufficient_documentation = "insufficient_documentation"
    not_applicable = "not_applicable"


class PolicyRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    version: str


class RequestOut(BaseModel):
    """The request as reviewed, with the region and the resolved request date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cpt: tuple[str, ...]
    request_date: date | None
    age: int | None
    sex: str | None
    region: str | None


class CriterionResult(BaseModel):
    """Status of one node of the policy tree, with evidence and a one-line reason."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    status: Status
    text: str
    evidence: tuple[Evidence, ...] = ()
    reason: str = ""


class Missing(BaseModel):
    """An indication in play whose listed leaves are still unknown."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    indication: str
    unknown: tuple[str, ...]


class DocumentInfo(BaseModel):
    """One document of the chart as read: its name, type and page count."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: str
    pages: int


class AlertKind(StrEnum):
    """What about the packet a reviewer must know before reading the criteria."""

    other_patient = "other_patient"
    blank_page = "blank_page"
    missing_pages = "missing_pages"
    rotated_page = "rotated_page"
    low_ocr_confidence = "low_ocr_confidence"
    thin_chart = "thin_chart"
    unread_pages = "unread_pages"


class Alert(BaseModel):
    """One alert about the chart as received: where, and what it means for the review.

    The message names documents and pages, never chart text or the patient.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: AlertKind
    document: str | None = None
    page: int | None = None
    message: str


class Review(BaseModel):
    """A complete policy review of one chart for one request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: PolicyRef
    request: RequestOut
    determination: Determination
    reasons: tuple[str, ...] = ()
    alerts: tuple[Alert, ...] = ()
    criteria: tuple[CriterionResult, ...]
    missing: tuple[Missing, ...] = ()
    notes: tuple[str, ...] = ()
    facts: tuple[Fact, ...] = ()
    documents: tuple[DocumentInfo, ...] = ()

    def to_json(self) -> str:
        """Deterministic JSON: same review, same bytes."""
        import json

        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=False,
                          ensure_ascii=False) + "\n"

    def criterion(self, node_id: str) -> CriterionResult:
        """The result of one node, by id."""
        for result in self.criteria:
            if result.id == node_id:
                return result
        raise KeyError(node_id)
