"""Every rule's own examples must fire it and its counterexamples must not (rules as data)."""

from __future__ import annotations

import json
import re

import pytest

from priorauth.extract.ingest import Document, Page
from priorauth.extract.pipeline import extract_facts
from priorauth.extract.rules_io import context_rules, target_rules

TARGETS = [r for r in target_rules().rules if r.examples or r.counterexamples]
CONTEXT = [r for r in context_rules().rules if r.examples or r.counterexamples]


def _facts(text: str):
    return extract_facts([Document(name="example.txt", kind="txt", pages=(Page(None, text),))])


@pytest.mark.parametrize("rule", TARGETS, ids=lambda r: r.id)
def test_target_rule_examples(rule):
    pattern = re.compile(rule.pattern, re.IGNORECASE)
    for text in rule.examples:
        assert pattern.search(text), f"{rule.id} should match: {text!r}"
    for text in rule.counterexamples:
        assert not pattern.search(text), f"{rule.id} should not match: {text!r}"


@pytest.mark.parametrize("rule", CONTEXT, ids=lambda r: r.id)
def test_context_rule_examples(rule):
    for text in rule.examples:
        used = {m for f in _facts(text) for m in f.modifiers}
        assert rule.id in used, f"{rule.id} should modify a fact in: {text!r}"
    for text in rule.counterexamples:
        used = {m for f in _facts(text) for m in f.modifiers}
        assert rule.id not in used, f"{rule.id} should not modify a fact in: {text!r}"


def test_every_rule_carries_its_examples():
    """Every target rule has examples and counterexamples; every ConText cue that changes an
    assertion has examples (PSEUDO and TERMINATE cues never appear on a fact)."""
    for rule in target_rules().rules:
        assert rule.examples and rule.counterexamples, rule.id
    for rule in context_rules().rules:
        if rule.category not in ("PSEUDO", "TERMINATE"):
            assert rule.examples, rule.id


def test_no_two_cues_share_a_phrase():
    """medspaCy keeps one of two modifiers on the same words: the other rule would be dead."""
    seen: dict[tuple[str, str | None], str] = {}
    for rule in context_rules().rules:
        # the tokenizer splits "cannot" as "can not": the same words to the matcher
        words = rule.literal.lower().replace("cannot", "can not").split()
        key = (" ".join(words), json.dumps(rule.pattern, sort_keys=True))
        assert key not in seen, f"{rule.id} repeats {seen[key]}: {rule.literal!r}"
        seen[key] = rule.id
