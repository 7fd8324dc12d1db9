"""Leaf statuses on short chart snippets that once came out wrong (tests/data/leaf_probe_rows.json:
written by a helper from the policy, each with the expected status and why). Mostly wrong
"met" that could have recommended approval: excluded or declined conditions, old procedures,
form answers of "No", falls from a height read as a foot injury, diagnostic MRIs with
artifact, abbreviations in another sense."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from priorauth.extract.ingest import Document, Page
from priorauth.extract.pipeline import extract_facts
from priorauth.models import ReviewRequest
from priorauth.scoring import score

ROWS = json.loads((Path(__file__).parent / "data" / "leaf_probe_rows.json").read_text())["rows"]


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['leaf']}:{r['texts'][0][25:60]}" for r in ROWS])
def test_leaf_status(row):
    docs = [Document(name=f"d{i}.txt", kind="txt", pages=(Page(None, t),))
            for i, t in enumerate(row["texts"])]
    facts = extract_facts(docs, request_date=date(2026, 10, 15))
    review = score(ReviewRequest(cpt=[row["cpt"]], request_date="2026-10-15",
                                 age=row["age"] or 57), facts)
    result = next(c for c in review.criteria if c.id == row["leaf"])
    assert result.status.value == row["expected"], (result.reason, row["why_expected"])
