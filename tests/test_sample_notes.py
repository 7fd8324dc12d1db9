"""Every sample chart's gold labels, as a reviewer would check them, through the real CLI path."""

from __future__ import annotations

from pathlib import Path

import pytest

from priorauth.extract.ingest import read_chart
from priorauth.gold import load_cases
from priorauth.review import review_chart

SAMPLES = Path(__file__).resolve().parents[1] / "sample_notes"
CASES = load_cases(SAMPLES)

# Gold labels the extraction does not reach yet, each with the reason (issue 4 allows
# <= 5 % explained gaps). A gap that gets fixed must be removed from here: the tests
# assert that exactly these differ.
KNOWN_LABEL_GAPS = {
    ("23_dialysis_amyloid_cervical", "ind.10"): "parent of ind.10.0",
    ("23_dialysis_amyloid_cervical", "ind.10.0"):
        "'Infection felt unlikely' names no spinal site; a bare 'infection' is not read as "
        "spinal infection (too many urinary/chest infections in real notes)",
}
# The first 18 charts (issue 3's traps) must cite a labelled sentence for every decided
# criterion, except these; over all charts at least EVIDENCE_AGREEMENT of them must.
STRICT_EVIDENCE_CASES = 18
EVIDENCE_AGREEMENT = 0.9
KNOWN_EVIDENCE_GAPS = {
    ("20_peds_spondylolisthesis_equivocal_xray", "ind.2.1.1.0"): "age comes from the request; "
        "the first 'NN yo' of the chart is cited, the labeller quoted a later sentence",
}


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
    known = {node for (name, node) in KNOWN_LABEL_GAPS if name == case.name}
    assert set(wrong) == known, f"(gold, got) per node: {wrong}; {case.why}"


def test_known_label_gaps_stay_within_five_percent():
    labels = sum(len(c.criteria) + 1 for c in CASES)
    assert len(KNOWN_LABEL_GAPS) <= 0.05 * labels


def _spans(documents, quote: str):
    for document in documents:
        for page in document.pages:
            at = page.text.find(quote)
            if at >= 0:
                yield document.name, page.number, at, at + len(quote)


def _evidence_misses(case, review) -> dict[str, list[str]]:
    """Labelled met/not_met criteria whose cited evidence overlaps none of the gold quotes."""
    documents = read_chart(case.documents)
    missing = {}
    for node, quotes in case.evidence.items():
        if case.criteria.get(node) not in ("met", "not_met") or (
                (case.name, node) in KNOWN_LABEL_GAPS):
            continue
        cited = review.criterion(node).evidence
        gold = [s for q in quotes for s in _spans(documents, q)]
        assert gold, f"gold quote for {node} not found in the chart text"
        if not any(ev.document == d and ev.page == p and ev.start < e and s < ev.end
                   for ev in cited for d, p, s, e in gold):
            missing[node] = quotes
    return missing


@pytest.mark.parametrize("case", CASES[:STRICT_EVIDENCE_CASES],
                         ids=[c.name for c in CASES[:STRICT_EVIDENCE_CASES]])
def test_cited_evidence_covers_a_gold_quote_for_every_decided_criterion(case, reviews):
    """For each labelled met/not_met criterion with gold quotes, the review cites at least
    one of them (its evidence overlaps the quote in the same document and page)."""
    missing = _evidence_misses(case, reviews[case.name])
    known = {node for (name, node) in KNOWN_EVIDENCE_GAPS if name == case.name}
    assert set(missing) == known, missing


def test_cited_evidence_agrees_with_the_labeller_for_nine_in_ten_criteria(reviews):
    decided = sum(1 for c in CASES for n in c.evidence
                  if c.criteria.get(n) in ("met", "not_met"))
    misses = {(c.name, n): q for c in CASES
              for n, q in _evidence_misses(c, reviews[c.name]).items()}
    assert 1 - len(misses) / decided >= EVIDENCE_AGREEMENT, sorted(misses)


def test_every_leaf_is_decided_met_somewhere_and_not_met_or_unknown_elsewhere(reviews):
    from priorauth.scoring.tree import load_policy

    leaves = [n.id for n in load_policy().walk() if n.rule is not None]
    statuses = {leaf: {r.criterion(leaf).status.value for r in reviews.values()}
                for leaf in leaves}
    assert [leaf for leaf, seen in statuses.items() if "met" not in seen] == []
    assert [leaf for leaf, seen in statuses.items() if seen == {"met"}] == []
