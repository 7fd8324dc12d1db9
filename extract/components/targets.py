"""``priorauth_targets``: find clinical concepts with the regex rules of ``rules/targets.json``.

Every match becomes a span in the span group ``priorauth_facts`` (matches may overlap), with
``span.label_`` = the fact kind and ``span.id_`` = the rule id, so "which rule said that?"
needs no re-run. medspaCy's TargetMatcher rebuilds ``doc.text`` once per pattern, which
made it three quarters of the pipeline's time; this compiles each pattern once and scans
the text once per pattern. Line breaks count as spaces and a space in a rule matches a
run of spaces, so phrases wrapped across lines or padded by PDF extraction still match.
"""

import re
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parser  # type: ignore[attr-defined]

from spacy.language import Language
from spacy.tokens import Doc, Span

from priorauth.extract.rules_io import load_rule_file, target_rules
from priorauth.models.rules import TargetRuleFile

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


def required_prefixes(pattern: str) -> tuple[str, ...] | None:
    """Strings (lower case) one of which every match of ``pattern`` must start with, read from
    the parsed regex: the leading literal run (3+ characters) of each top-level alternative.
    None when some alternative has no such run: the rule then always runs. A page that
    contains none of a rule's prefixes cannot match it, so its regex is not run there."""
    try:
        items = list(sre_parser.parse(pattern, re.IGNORECASE))
    except (re.error, ValueError):
        return None
    found = _lead(items)
    return tuple(found) if found else None


def _lead(items: list) -> list[str] | None:
    c = sre_constants
    i = 0
    while i < len(items) and items[i][0] in (c.AT, c.ASSERT, c.ASSERT_NOT):
        i += 1  # \b and look-arounds consume nothing
    if i >= len(items):
        return None
    op, av = items[i]
    if op is c.SUBPATTERN:
        return _lead(list(av[3]) + items[i + 1:])
    if op is c.BRANCH:
        out: list[str] = []
        for branch in av[1]:
            lead = _lead(list(branch) + items[i + 1:])
            if lead is None:
                return None
            out.extend(lead)
        return out
    if op is c.LITERAL:
        run = ""
        while i < len(items) and items[i][0] is c.LITERAL:
            run += chr(items[i][1])
            i += 1
        return [run.lower()] if len(run) >= 3 else None
    if op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
        return _lead(list(av[2]))
    return None


def _starts(lowered: str, prefixes: tuple[str, ...]) -> list[int]:
    """Every offset where one of a rule's required prefixes begins, ascending."""
    found: set[int] = set()
    for prefix in prefixes:
        at = lowered.find(prefix)
        while at >= 0:
            found.add(at)
            at = lowered.find(prefix, at + 1)
    return sorted(found)


def _matches_at(pattern: re.Pattern[str], text: str, starts: list[int]):
    """What ``pattern.finditer(text)`` gives, tried only where a match can begin: a rule's
    match starts with one of its required prefixes (look-arounds and ``\b`` are zero-width,
    and ``match(text, pos)`` still sees the characters before ``pos``). Scanning every
    position of every page with ~150 rules was most of the extraction time."""
    end = -1
    for at in starts:
        if at < end:
            continue
        m = pattern.match(text, at)
        if m is not None and m.end() > m.start():
            end = m.end()
            yield m


class TargetFinder:
    """Adds one span per regex match of every target rule."""

    def __init__(self, *, span_group: str = SPAN_GROUP, prefilter: bool = True,
                 rules: TargetRuleFile | None = None):
        self.span_group = span_group
        self.prefilter = prefilter
        self.rules = []
        for rule in (rules or target_rules()).rules:
            pattern = flexible_spaces(rule.pattern)
            self.rules.append((rule.id, rule.kind, re.compile(pattern, re.IGNORECASE),
                               required_prefixes(pattern)))

    def __call__(self, doc: Doc) -> Doc:
        # wrapped lines: a rule's phrase may continue on the next line (same offsets)
        text = doc.text.replace("\n", " ").replace("\t", " ")
        lowered = text.lower() if self.prefilter else None
        if lowered is not None and len(lowered) != len(text):
            lowered = None  # a few characters change length when lowered: check none
        spans: list[Span] = []
        seen: set[tuple[int, int, str]] = set()
        for rule_id, kind, pattern, prefixes in self.rules:
            if lowered is not None and prefixes:
                matches = _matches_at(pattern, text, _starts(lowered, prefixes))
            else:
                matches = pattern.finditer(text)
            for m in matches:
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
def make_targets(nlp: Language, name: str, span_group: str = SPAN_GROUP,
                 prefilter: bool = True, rules: str | None = None) -> TargetFinder:
    """Factory for :class:`TargetFinder`: ``rules`` is the path of a target rule file
    (default: the packaged ``targets.json``)."""
    return TargetFinder(span_group=span_group, prefilter=prefilter,
                        rules=None if rules is None else load_rule_file(rules, TargetRuleFile))
