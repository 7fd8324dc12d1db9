"""Every sample chart's gold labels, as a reviewer would check them, through the real CLI path."""

from __future__ import annotations

from pathlib import Path

import pytest

from priorauth.extract.ingest import read_chart
from priorauth.gold import load_cases
from priorauth.review import review_chart

SAMPLES = Path(__file__).resolve().parents[1] / "sample_notes"
CASES = load_cases(SAMPLES)


@pytest.fixture(scope="module")
def reviews():
    return {case.name: review_chart(case.documents, case.request) for case in CASES}


def test_there_are_enough_sample_charts_covering_every_determination():
    assert len(CASES) >= 12
    assert {c.determination for c in CASES} == {
        "meets_criteria", "not_met", "insufficient_documentation", "not_applicable"}
    assert sum(1 for c in CASES for d in c.documents if d.suffix == ".pdf") >= 2


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_review_matches_gold_determination(case, reviews):
    review = reviews[case.name]
    assert review.determination.value == case.determination, case.why


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_review_matches_every_gold_criterion_label(case, reviews):
    review = reviews[case.name]
    wrong = {node: (want, review.criterion(node).status.value)
             for node, want in case.criteria.items()
             if review.criterion(node).status.value != want}
    assert wrong == {}, f"(gold, got) per node; {case.why}"


def _spans(documents, quote: str):
    for document in documents:
        for page in document.pages:
            at = page.text.find(quote)
            if at >= 0:
                yield document.name, page.number, at, at + len(quote)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cited_evidence_covers_a_gold_quote_for_every_decided_criterion(case, reviews):
    """For each labelled met/not_met criterion with gold quotes, the review cites at least
    one of them (its evidence overlaps the quote in the same document and page)."""
    review = reviews[case.name]
    documents = read_chart(case.documents)
    missing = {}
    for node, quotes in case.evidence.items():
        if case.criteria.get(node) not in ("met", "not_met"):
            continue
        cited = review.criterion(node).evidence
        gold = [s for q in quotes for s in _spans(documents, q)]
        assert gold, f"gold quote for {node} not found in the chart text"
        if not any(ev.document == d and ev.page == p and ev.start < e and s < ev.end
                   for ev in cited for d, p, s, e in gold):
            missing[node] = quotes
    assert missing == {}
