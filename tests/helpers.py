"""Small builders shared by tests."""

from __future__ import annotations

from datetime import date

from priorauth.models import Assertion, Evidence, Fact

_offset = [0]


def fact(kind: str, assertion: str = "present", *, note_date: date | None = None,
         text: str | None = None, **value) -> Fact:
    """A fact with a unique evidence span (document 'n.txt'), for scorer tests."""
    text = text or f"{kind} {assertion} {value}"
    start = _offset[0]
    _offset[0] += len(text) + 1
    return Fact(kind=kind, value=value, assertion=Assertion(assertion),
                evidence=Evidence(document="n.txt", start=start, end=start + len(text),
                                  text=text),
                rule_id=f"test_{kind}", note_date=note_date)
