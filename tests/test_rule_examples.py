"""Every rule's own examples must fire it and its counterexamples must not (rules as data)."""

from __future__ import annotations

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


def test_rules_with_examples_are_counted():
    """New rules carry examples; the share that does is reported and may only grow."""
    targets, contexts = target_rules().rules, context_rules().rules
    assert len(TARGETS) >= MIN_TARGETS_WITH_EXAMPLES, (len(TARGETS), len(targets))
    assert len(CONTEXT) >= MIN_CONTEXT_WITH_EXAMPLES, (len(CONTEXT), len(contexts))


MIN_TARGETS_WITH_EXAMPLES = 0
MIN_CONTEXT_WITH_EXAMPLES = 0
