"""The policy data file is the whole of outline.md, in order, and validates like data should."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from priorauth.models import Status
from priorauth.models.policy import PolicyFileError
from priorauth.scoring.tree import combine, load_policy, parse_policy

OUTLINE = Path(__file__).resolve().parents[2] / "shared" / "policy" / "outline.md"


def outline_ids(text: str) -> list[str]:
    """Every criterion id of outline.md in document order, expanding the compact child
    notations ("children `.1`-`.4`", "(`.1`); (`.2`)", "`.0` stem, `.1` ..., `.2` ...")."""
    ids: list[str] = []
    for line in text.splitlines():
        m = re.match(r"\s*- `((?:ind|non)\.[\d.]+)`", line)
        if not m:
            continue
        node = m.group(1)
        ids.append(node)
        rest = line[m.end():]
        suffixes = re.findall(r"`(\.\d+)`(?:\s*[–-]\s*`(\.\d+)`)?", rest)
        for first, last in suffixes:
            lo = int(first[1:])
            hi = int(last[1:]) if last else lo
            ids.extend(f"{node}.{n}" for n in range(lo, hi + 1))
    return ids


@pytest.fixture(scope="module")
def outline() -> list[str]:
    if not OUTLINE.exists():
        pytest.fail(f"outline not found at {OUTLINE}: the tests expect ../shared beside the repo")
    return outline_ids(OUTLINE.read_text("utf-8"))


def test_outline_parser_expands_compact_child_lists():
    text = "- `ind.13.2.3` ANY — demyelinating (children `.1`–`.3` in that order)\n"
    assert outline_ids(text) == ["ind.13.2.3", "ind.13.2.3.1", "ind.13.2.3.2", "ind.13.2.3.3"]


def test_policy_tree_has_exactly_the_outline_ids_in_outline_order(outline):
    ours = [node.id for node in load_policy().walk()]
    assert sorted(set(outline) - set(ours)) == [], "ids missing from scoring/policy.yaml"
    assert sorted(set(ours) - set(outline)) == [], "ids in scoring/policy.yaml not in outline"
    assert ours == outline


def test_outline_ops_match_the_policy_tree(outline):
    ops = {}
    for line in OUTLINE.read_text("utf-8").splitlines():
        m = re.match(r"\s*- `((?:ind|non)\.[\d.]+)` (ALL|ANY)\b", line)
        if m:
            ops[m.group(1)] = m.group(2)
    policy = load_policy()
    assert {k: policy.node(k).op for k in ops} == ops


@pytest.mark.parametrize(("op", "statuses", "expected"), [
    ("ALL", ["met", "met"], "met"),
    ("ALL", ["met", "unknown"], "unknown"),
    ("ALL", ["met", "not_met", "unknown"], "not_met"),
    ("ANY", ["not_met", "met"], "met"),
    ("ANY", ["not_met", "unknown"], "unknown"),
    ("ANY", ["not_met", "not_met"], "not_met"),
])
def test_inner_nodes_combine_three_valued(op, statuses, expected):
    assert combine(op, [Status(s) for s in statuses]) == Status(expected)


@pytest.mark.parametrize(("snippet", "message"), [
    ("rule: {predicate: nope}", "unknown predicate 'nope'"),
    ("rule: {predicate: fact, kinds: [gout], colour: red}", "has no option 'colour'"),
    ("rule: {predicate: fact}", "needs option 'kinds'"),
])
def test_when_a_leaf_rule_is_wrong_then_the_error_names_file_and_node(snippet, message):
    text = ("policy: {id: p, version: '1'}\nindications:\n  - id: ind.1\n    text: t\n"
            f"    {snippet}\nnon_indications: []\n")
    with pytest.raises(PolicyFileError, match=rf"test\.yaml: node ind\.1: .*{re.escape(message)}"):
        parse_policy(text, source="test.yaml")


def test_when_a_node_id_repeats_then_loading_fails():
    text = ("policy: {id: p, version: '1'}\nindications:\n"
            "  - {id: ind.1, text: a, rule: {predicate: fact, kinds: [gout]}}\n"
            "  - {id: ind.1, text: b, rule: {predicate: fact, kinds: [gout]}}\n"
            "non_indications: []\n")
    with pytest.raises(PolicyFileError, match="ind.1 appears twice"):
        parse_policy(text, source="dup.yaml")
