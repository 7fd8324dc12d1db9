"""Plumbing of ``benchmarks/negex_benchmark.py`` (the NegEx/ConText public-set benchmark)."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

from priorauth.models import Assertion

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def nb():
    path = ROOT / "benchmarks" / "negex_benchmark.py"
    spec = importlib.util.spec_from_file_location("negex_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["negex_benchmark"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ours(nb):
    return nb.System.ours()


# (concept, sentence, our assertion) - domain cases the rules must keep
HAND = [
    ("chest pain", "Patient denies chest pain.", Assertion.negated),
    ("bladder dysfunction", "Patient denies bowel or bladder dysfunction.", Assertion.negated),
    ("PT", "No improvement after 8 weeks of PT.", Assertion.present),
    ("breast cancer", "Mother had breast cancer.", Assertion.family),
    ("PT", "Will start PT next week.", Assertion.hypothetical),
    ("pacemaker", "Not a candidate for MRI due to pacemaker.", Assertion.present),
    ("lumbar fusion", "History of lumbar fusion in 2015.", Assertion.historical),
    ("back pain", "Low back pain radiating to the left leg.", Assertion.present),
]


@pytest.mark.parametrize(("concept", "sentence", "expected"), HAND)
def test_our_rules_on_hand_written_sentences(ours, concept, sentence, expected):
    pred = ours.predict(concept, sentence)
    assert pred.assertion == expected, pred
    assert pred.exact
    assert bool(pred.modifiers) == (expected != Assertion.present)


def test_score_on_hand_written_rows(nb, ours):
    rows = [
        nb.Row("a", "chest pain", "Patient denies CHEST PAIN.", "Negated", "Recent", "Patient"),
        nb.Row("b", "PT", "No improvement after 8 weeks of PT.", "Affirmed", "Recent", "Patient"),
        nb.Row("c", "breast cancer", "Mother had BREAST CANCER.", "Affirmed", "Historical",
               "Family member"),
        nb.Row("d", "fever", "Call if FEVER.", "Affirmed", "Not particular", "Patient"),
        nb.Row("e", "cough", "COUGH.", "Negated", "Recent", "Patient"),  # a miss
    ]
    counts = nb.score(rows, nb.evaluate(ours, rows))
    assert counts["negated"] == nb.Counts(tp=1, fp=0, fn=1, tn=3)
    assert counts["family"] == nb.Counts(tp=1, fp=0, fn=0, tn=4)
    assert counts["hypothetical"] == nb.Counts(tp=1, fp=0, fn=0, tn=4)
    # the family mention is historical in the set, but family wins in our single assertion
    assert counts["historical"] == nb.Counts(tp=0, fp=0, fn=1, tn=4)


def test_counts_arithmetic(nb):
    c = nb.Counts(tp=8, fp=2, fn=8, tn=100)
    assert c.precision == pytest.approx(0.8)
    assert c.recall == pytest.approx(0.5)
    assert c.f1 == pytest.approx(2 * 0.8 * 0.5 / 1.3)
    assert nb.Counts().precision is None and nb.Counts().f1 is None


def test_locate(nb):
    # case-insensitive, any whitespace run, whole words only
    s = "Extremities reveal no peripheral cyanosis or EDEMA."
    start, end, exact = nb.locate("edema", s)
    assert (s[start:end], exact) == ("EDEMA", True)
    s = "The LUNGS WERE DECREASED AT THE   BILATERAL BASES."
    start, end, _ = nb.locate("lungs were decreased at the bilateral bases", s)
    assert s[start:end].endswith("BASES")
    s = "Admitted to rule out MI."
    assert s[slice(*nb.locate("MI", s)[:2])] == "MI"
    # several hits: the upper-cased (annotated) one
    s = "Schizophrenia: long history of SCHIZOPHRENIA."
    start, _, _ = nb.locate("schizophrenia", s)
    assert start == s.index("SCHIZOPHRENIA")
    # phrase longer than sentence: the longest part of it that is there
    start, end, exact = nb.locate("neck is supple.  No adenopathy present",
                                  "No adenopathy present.")
    assert not exact and (start, end) == (0, len("No adenopathy present"))


def test_split_is_deterministic_and_by_sentence(nb):
    assert nb.split_of("HYPERTENSION.") == nb.split_of("  hypertension. ")
    splits = Counter(nb.split_of(f"Sentence number {i}.") for i in range(2000))
    assert set(splits) == {"tuning", "heldout"}
    assert 900 < splits["tuning"] < 1100


def test_medspacy_default_baseline_runs(nb):
    default = nb.System.medspacy_default()
    assert default.predict("chest pain", "Patient denies chest pain.").assertion == (
        Assertion.negated)
    assert default.predict("chest pain", "Chest pain.").assertion == Assertion.present


def test_data_files_parse(nb):
    if not (nb.DEFAULT_DATA_DIR / nb.PRIMARY_FILE).is_file():
        pytest.skip(f"benchmark data not present at {nb.DEFAULT_DATA_DIR}")
    rows = nb.load_rows()
    assert len(rows) == nb.EXPECTED_ROWS == 2376
    assert len({r.id for r in rows}) == 2376
    assert Counter(r.negation for r in rows) == {"Affirmed": 1885, "Negated": 491}
    assert Counter(r.temporality for r in rows) == {"Recent": 2063, "Historical": 257,
                                                    "Not particular": 56}
    assert Counter(r.experiencer for r in rows) == {"Patient": 2370, "Family member": 4,
                                                    "Other": 2}
    assert sum(nb.locate(r.concept, r.sentence)[2] for r in rows) == 2376 - 13
    halves = Counter(r.split for r in rows)
    assert halves == {"tuning": 1202, "heldout": 1174}
    # repeated sentences never straddle the halves
    by_sentence: dict[str, set[str]] = {}
    for r in rows:
        by_sentence.setdefault(nb.normalise(r.sentence), set()).add(r.split)
    assert all(len(v) == 1 for v in by_sentence.values())
