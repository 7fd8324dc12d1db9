"""Facts read from a chart, each with its assertion and the evidence it rests on."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Assertion(StrEnum):
    """How a mention is asserted about the patient (ConText categories)."""

    present = "present"
    negated = "negated"
    possible = "possible"
    hypothetical = "hypothetical"
    historical = "historical"
    family = "family"


class Recency(StrEnum):
    """When a fact happened relative to its note: dated inside the last year, or remote
    ("1998", "in college", "years ago"). A fact the text does not date has no recency."""

    recent = "recent"
    remote = "remote"


class Source(StrEnum):
    """How a fact is stated: a form or template field (a checkbox, a "Field: value" line of
    a request form) ranks below a clinician's narrative, which ranks below an addendum or
    correction of the same date."""

    form_field = "form_field"
    narrative = "narrative"
    addendum = "addendum"


class Evidence(BaseModel):
    """A quoted span of a chart document.

    ``start``/``end`` are character offsets into the extracted text of ``document``
    (of one page for PDFs, ``page`` 1-based; ``page`` is ``None`` for plain text),
    such that ``text == extracted[start:end]``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    document: str
    page: int | None = None
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    fact: str | None = None
    ocr_confidence: float | None = None  # lowest OCR word confidence (0-100), scanned pages


class Fact(BaseModel):
    """One clinical fact read from the chart.

    ``value`` holds the kind-specific details (therapy, days, outcome, region, date...).
    ``rule_id`` names the target rule that found it, ``modifiers`` the ConText rules
    that changed its assertion, ``section`` the note section it was found in.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    value: dict[str, Any] = Field(default_factory=dict)
    assertion: Assertion = Assertion.present
    evidence: Evidence
    rule_id: str
    modifiers: tuple[str, ...] = ()
    section: str | None = None
    note_date: date | None = None
    explanation: str = ""
    site: str | None = None  # a non-spinal body site the mention names ("ankle", "toe")
    recency: Recency | None = None
    source: Source = Source.narrative
    superseded: str | None = None  # why a later or more authoritative mention overrides it

    def sort_key(self) -> tuple:
        """Deterministic order: document, page, offsets, kind, rule."""
        ev = self.evidence
        return (ev.document, ev.page or 0, ev.start, ev.end, self.kind, self.rule_id)
