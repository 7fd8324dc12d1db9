"""Every fact the extractor produces is of a declared kind with declared values
(extract/rules/kinds.yaml), on the labelled charts and on real notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from priorauth.extract.ingest import read_chart
from priorauth.extract.pipeline import extract_facts
from priorauth.extract.rules_io import target_rules
from priorauth.models.kinds import fact_kinds, parse_kinds
from priorauth.models.rules import RuleFileError
from priorauth.scoring.tree import parse_policy

ROOT = Path(__file__).resolve().parents[1]
CHARTS = sorted(p for p in (ROOT / "sample_notes").glob("*/*.txt"))
CHARTS += sorted((ROOT / "sample_notes" / "real" / "dev").glob("*/note.txt"))


def test_every_rule_kind_is_declared():
    kinds = fact_kinds().kinds
    for rule in target_rules().rules:
        for kind in (rule.kind, *rule.also):
            assert kind in kinds, f"{rule.id}: kind {kind!r} not in kinds.yaml"
        for key, value in rule.value.items():
            if value != "document":
                assert kinds[rule.kind].allows(key, value), (rule.id, key, value)


@pytest.mark.parametrize("path", CHARTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_extracted_facts_conform(path):
    kinds = fact_kinds().kinds
    for fact in extract_facts(read_chart([str(path)])):
        spec = kinds.get(fact.kind)
        assert spec is not None, f"undeclared kind {fact.kind} ({fact.rule_id})"
        for key, value in fact.value.items():
            assert spec.allows(key, value), (fact.kind, fact.rule_id, key, value)


def test_policy_naming_an_unknown_value_is_refused():
    text = (ROOT / "scoring" / "policy.yaml").read_text("utf-8")
    bad = text.replace("results: [abnormal, stable]", "results: [abnormal, positive]", 1)
    assert bad != text
    with pytest.raises(ValueError, match=r"ind\.11\.1.*result='positive'"):
        parse_policy(bad, source="policy.yaml")
    bad_kind = text.replace("kinds: [gout]", "kinds: [gouty_arthritis]", 1)
    assert bad_kind != text
    with pytest.raises(ValueError, match=r"ind\.6: unknown fact kind 'gouty_arthritis'"):
        parse_policy(bad_kind, source="policy.yaml")


def test_kinds_file_is_validated():
    with pytest.raises(RuleFileError, match="kinds.yaml"):
        parse_kinds("kinds: {trauma: {site: elbow_only}}")
