"""``priorauth_targets``: find clinical concepts with the regex rules of ``rules/targets.json``.

Every match becomes a span in the span group ``priorauth_facts`` (matches may overlap), with
``span.label_`` = the fact kind and ``span.id_`` = the rule id, so "which rule said that?"
needs no re-run. medspaCy's TargetMatcher rebuilds ``doc.text`` once per pattern, which
made it three quarters of the pipeline's time; this compiles each pattern once and scans
the text once per pattern. Line breaks count as spaces and a space in a rule matches a
run of spaces, so phrases wrapped across lines or padded by PDF extraction still match.
"""

import re

from spacy.language import Language
from spacy.tokens import Doc, Span

from priorauth.extract.rules_io import target_rules

SPAN_GROUP = "priorauth_facts"


def flexible_spaces(pattern: str) -> str:
    """Let a literal space in a rule match any run of spaces: ' ' -> ' +', except inside
    character classes and look-behinds (which must stay fixed-width)."""
    out: list[str] = []
    in_class = escaped = False
    depth = 0
    behind: list[int] = []  # paren depths at which a look-behind opened
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
            if pattern.startswith(("(?<=", "(?<!"), i):
                behind.append(depth)
        elif ch == ")":
            if behind and behind[-1] == depth:
                behind.pop()
            depth -= 1
        elif ch == " " and not behind and pattern[i + 1:i + 2] not in ("?", "*", "+", "{"):
            out.append(" +")
            continue
        out.append(ch)
    return "".join(out)


class TargetFinder:
    """Adds one span per regex match of every target rule."""

    def __init__(self, *, span_group: str = SPAN_GROUP):
        self.span_group = span_group
        self.rules = [(rule.id, rule.kind,
                       re.compile(flexible_spaces(rule.pattern), re.IGNORECASE))
                      for rule in target_rules().rules]

    def __call__(self, doc: Doc) -> Doc:
        # wrapped lines: a rule's phrase may continue on the next line (same offsets)
        text = doc.text.replace("\n", " ").replace("\t", " ")
        spans: list[Span] = []
        seen: set[tuple[int, int, str]] = set()
        for rule_id, kind, pattern in self.rules:
            for m in pattern.finditer(text):
                if m.end() == m.start():
                    continue
                span = doc.char_span(m.start(), m.end(), label=kind,
                                     alignment_mode="expand")
                if span is None or not len(span):
                    continue
                key = (span.start, span.end, rule_id)
                if key in seen:
                    continue
                seen.add(key)
                span.id_ = rule_id
                spans.append(span)
        spans.sort(key=lambda s: (s.start, s.end, s.label_, s.id_))
        doc.spans[self.span_group] = spans
        return doc


@Language.factory("priorauth_targets", assigns=["doc.spans"])
def make_targets(nlp: Language, name: str, span_group: str = SPAN_GROUP) -> TargetFinder:
    """Factory for :class:`TargetFinder` (rules from the packaged ``targets.json``)."""
    return TargetFinder(span_group=span_group)
