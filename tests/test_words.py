"""The review in words (priorauth/words.py, issue 12 item 4), on real sample charts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from priorauth import words
from priorauth.models import ReviewRequest, Status
from priorauth.review import review_chart

SAMPLES = Path(__file__).resolve().parents[1] / "sample_notes"
ID = re.compile(r"\b(?:ind|non|note)\.[0-9a-z_]+")


def _review(case: str):
    folder = SAMPLES / case
    request = ReviewRequest(**json.loads((folder / "request.json").read_text()))
    files = sorted(p for p in folder.iterdir() if p.suffix in (".txt", ".pdf"))
    return review_chart(files, request)


@pytest.fixture(scope="module")
def met():
    return _review("01_pt_failed_pacemaker")


@pytest.fixture(scope="module")
def missing():
    return _review("07_pt_outside_window")


def test_headline_names_the_met_indication_and_what_met_it(met):
    assert words.headline(met) == (
        "Meets criteria — new onset pain or radiculopathy without trauma or significant "
        "mechanism of injury: MRI contraindicated (pacemaker), 8 weeks of physical therapy, "
        "failed")


def test_headline_of_missing_documentation_names_what_to_ask_for(missing):
    headline = words.headline(missing)
    assert headline.startswith("Insufficient documentation — new onset pain or radiculopathy")
    assert "ask the provider for: conservative treatment lasting at least 6 weeks" in headline
    assert not ID.search(headline)


def test_reasons_are_sentences_with_a_quote_from_the_chart(met, missing):
    for review in (met, missing):
        sentences = words.reason_sentences(review)
        assert len(sentences) == len(review.reasons)
        for sentence in sentences:
            assert not ID.search(sentence.text) and sentence.text.endswith(".")
            assert sentence.quote is not None and sentence.quote.text.strip()
    assert words.reason_sentences(met)[0].text == (
        "The indication “new onset pain or radiculopathy without trauma or significant "
        "mechanism of injury” is met.")


def test_in_play_indications_open_down_to_their_unknown_leaves_and_nothing_else(met, missing):
    assert words.opened(met) == set()
    assert words.opened(missing) == {"ind.1", "ind.1.2", "ind.1.2.0", "ind.1.2.2"}
    by_id = {c.id: c for c in missing.criteria}
    assert all(by_id[x].status == Status.unknown for x in words.opened(missing))


def test_criteria_reasons_in_words(met):
    by_id = {c.id: c for c in met.criteria}
    texts = {c.id: c.text for c in met.criteria}
    assert words.criterion_words(by_id["ind.1"], texts) == "All of its parts are met."
    assert words.criterion_words(by_id["ind.1.1"], texts) == "MRI contraindicated (pacemaker)."
    assert words.criterion_words(by_id["ind.2.0"], texts) == \
        "Nothing in the chart about spondylosis."
    assert words.criterion_words(by_id["ind.13"], texts) == "Not met: myelopathic symptoms."


def test_discarded_facts_and_policy_notes_in_words(met):
    said = {words.fact_words(f) for f in met.facts if f.assertion.value != "present"}
    assert {"trauma (fall) — denied", "MRI contraindicated (pacemaker) — in the past",
            "cancer — in the family, not the patient"} <= said
    assert not any("_" in s for s in said)
    assert words.note_texts(met) == ["CT myelography is an effective alternative to MRI with "
                                     "pacemakers, metallic implants, extreme obesity or "
                                     "tremors."]


def test_not_applicable_says_so():
    review = _review("08_head_ct_not_applicable")
    assert words.headline(review) == ("Not applicable — no requested CPT code is covered by "
                                      "this policy")
