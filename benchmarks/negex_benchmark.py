"""Score our ConText assertion rules on the public NegEx / ConText test set (2,376 conditions).

Data: ``rsAnnotations-1-120-random.txt`` from chapmanbe/negex (see ``PROVENANCE.md`` beside
it; default folder ``/work/shared/benchmarks/negex``, override with ``--data`` or
``$PRIORAUTH_NEGEX_DIR``). Each row is one physician-annotated condition in one sentence with
negation (Affirmed/Negated), temporality (Recent/Historical/"Not particular" = hypothetical)
and experiencer (Patient/Family member/Other).

For every row the annotated condition is located in the sentence (case-insensitively) and put
into the span group ``priorauth_facts`` with the generic label ``condition``; the text then
goes through our tokenizer, our sentence splitter and ConText only (no TargetMatcher), and the
assertion is derived by ``pipeline._assertion`` itself (modifiers in the target's own sentence
only; family > negated > hypothetical > possible > historical; no section context because the
set has single sentences). medspaCy's default ConText rules (``rules="default"``) run in the
same way, on the same tokens and sentences, as a baseline.

Split: a row is ``tuning`` or ``heldout`` by the SHA-256 of its normalised sentence text
(lower case, whitespace collapsed), so repeated sentences never straddle the halves.
``heldout`` is held out: tune rules on ``tuning`` only; ``--show-errors`` never prints held-out
rows.

    .venv/bin/python benchmarks/negex_benchmark.py                 # figures
    .venv/bin/python benchmarks/negex_benchmark.py --show-errors   # + tuning-half errors
    .venv/bin/python benchmarks/negex_benchmark.py --rules cand.json   # score a candidate file
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

from priorauth.extract.pipeline import SPAN_GROUP, _assertion, build_nlp
from priorauth.extract.rules_io import context_rules
from priorauth.models import Assertion
from priorauth.models.rules import ContextRuleFile

DEFAULT_DATA_DIR = Path(os.environ.get("PRIORAUTH_NEGEX_DIR", "/work/shared/benchmarks/negex"))
PRIMARY_FILE = "rsAnnotations-1-120-random.txt"
EXPECTED_ROWS = 2376
TARGET_LABEL = "condition"
SPLITS = ("tuning", "heldout")
HELDOUT = "heldout"

# (class = our Assertion value, what is gold-positive in the set)
CLASSES: tuple[tuple[str, str], ...] = (
    ("negated", "negation == Negated (vs Affirmed; ours possible/other count as not negated)"),
    ("historical", "temporality == Historical"),
    ("hypothetical", "temporality == Not particular"),
    ("family", "experiencer in {Family member, Other}"),
)

# Figures the repository states (PROVENANCE.md "Published reference figures"); all on all 2,376
# rows. "derived" ones PROVENANCE counted from genConText's committed output, not stated.
REFERENCE: tuple[tuple[str, str, float | None, float | None, float, str], ...] = (
    ("negated", "GenNegEx v1.2 (README)", 0.9345, 0.9593, 0.9467, "published"),
    ("negated", "GenNegEx v1.2 (wiki)", 0.9327, 0.9593, 0.9458, "published"),
    ("negated", "genConText", 0.9836, 0.9776, 0.9806, "published"),
    ("historical", "genConText", 153 / 203, 153 / 257, 2 * 153 / (203 + 257), "derived"),
    ("hypothetical", "genConText", 52 / 52, 52 / 56, 2 * 52 / (52 + 56), "derived"),
    ("family", "genConText", 4 / 4, 4 / 6, 2 * 4 / (4 + 6), "derived"),
)


# ---------------------------------------------------------------------------------------------
# data


@dataclass(frozen=True)
class Row:
    """One annotated condition in one sentence (root ``rsAnnotations`` file)."""

    id: str
    concept: str
    sentence: str
    negation: str  # Affirmed | Negated
    temporality: str  # Recent | Historical | Not particular
    experiencer: str  # Patient | Family member | Other

    @property
    def gold(self) -> dict[str, bool]:
        return {
            "negated": self.negation == "Negated",
            "historical": self.temporality == "Historical",
            "hypothetical": self.temporality == "Not particular",
            "family": self.experiencer != "Patient",
        }

    @cached_property
    def split(self) -> str:
        return split_of(self.sentence)

    def gold_text(self) -> str:
        return f"{self.negation}/{self.temporality}/{self.experiencer}"


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


def split_of(sentence: str) -> str:
    """``tuning`` or ``heldout``: deterministic, by SHA-256 of the normalised sentence."""
    digest = hashlib.sha256(normalise(sentence).encode("utf-8")).digest()
    return SPLITS[digest[0] & 1]


def load_rows(data_dir: Path = DEFAULT_DATA_DIR) -> list[Row]:
    """The 2,376 rows of the primary file (header skipped; ASCII, tab-separated, LF)."""
    path = Path(data_dir) / PRIMARY_FILE
    with path.open(encoding="ascii", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        if header[:3] != ["line number", "Condition", "sentence"]:
            raise ValueError(f"{path}: unexpected header {header[:3]}")
        rows = []
        for n, rec in enumerate(reader, start=2):
            if len(rec) != 6:
                raise ValueError(f"{path}:{n}: expected 6 columns, got {len(rec)}")
            rows.append(Row(*rec))
    return rows


# ---------------------------------------------------------------------------------------------
# locating the target


def _phrase_regex(words: Sequence[str]) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(w) for w in words)
    left = r"(?<!\w)" if re.match(r"\w", words[0]) else ""
    right = r"(?!\w)" if re.search(r"\w$", words[-1]) else ""
    return re.compile(left + body + right, re.I)


def locate(concept: str, sentence: str) -> tuple[int, int, bool]:
    """Character span of ``concept`` in ``sentence`` and whether it was found whole.

    Case-insensitive, any whitespace run matches any whitespace run, word edges respected. With
    several hits the upper-cased one wins (that is how the annotators marked the target), else
    the first. In the 11 "phrase longer than sentence" rows the concept is not in the sentence:
    then the longest run of its words that is (ties: the first), else the whole sentence.
    """
    words = concept.split()
    if words:
        hits = list(_phrase_regex(words).finditer(sentence))
        if hits:
            upper = [m for m in hits if m.group().isupper()]
            hit = upper[0] if upper and len(upper) < len(hits) else hits[0]
            return hit.start(), hit.end(), True
        for size in range(len(words) - 1, 0, -1):
            for i in range(len(words) - size + 1):
                part = words[i:i + size]
                if size == 1 and len(part[0]) < 3:
                    continue
                m = _phrase_regex(part).search(sentence)
                if m:
                    return m.start(), m.end(), False
    stripped = sentence.strip()
    start = sentence.find(stripped)
    return start, start + len(stripped), False


# ---------------------------------------------------------------------------------------------
# the systems


@dataclass(frozen=True)
class Prediction:
    assertion: Assertion
    modifiers: tuple[str, ...]  # ids of the modifiers the assertion rests on
    all_modifiers: tuple[str, ...]  # every in-sentence modifier id, for error analysis
    exact: bool  # concept found whole in the sentence


class System:
    """Tokenizer + our sentence splitter + one ConText component, on a given target span."""

    def __init__(self, name: str, context) -> None:
        nlp = build_nlp()
        self.name = name
        self.nlp = nlp
        self.sentences = nlp.get_pipe("priorauth_sentences")
        self.context = context

    @classmethod
    def ours(cls, rules: ContextRuleFile | None = None) -> System:
        """Our rules: the very component of ``build_nlp()``, or a twin with ``rules``."""
        nlp = build_nlp()
        ours = nlp.get_pipe("priorauth_context")
        if rules is None:
            return cls("ours", ours)
        context = _new_context(nlp, "bench_context_candidate", max_scope=ours.max_scope)
        from priorauth.extract.components.context import to_medspacy

        context.add([to_medspacy(r) for r in rules.rules])
        return cls("candidate", context)

    @classmethod
    def medspacy_default(cls) -> System:
        """medspaCy 1.3.1's packaged default rules, each given ``metadata={"id": literal}``."""
        from medspacy.context import ConTextRule

        nlp = build_nlp()
        context = _new_context(nlp, "bench_context_default", max_scope=None)
        with open(context.DEFAULT_RULES_FILEPATH, encoding="utf-8") as fh:
            data = json.load(fh)["context_rules"]
        rules = []
        for i, d in enumerate(data):
            rule = ConTextRule.from_dict(d)
            rule.metadata = {"id": f"default_{i:03d}:{d['literal']}"}
            rules.append(rule)
        context.add(rules)
        return cls("medspaCy default", context)

    def predict(self, concept: str, sentence: str, *, collapse_spaces: bool = True) -> Prediction:
        """Our assertion for ``concept`` in ``sentence``.

        ``collapse_spaces``: runs of whitespace (line-wrap / de-ID artefacts in this set) become
        one space first; otherwise each run is a whitespace token that breaks multi-word cues.
        """
        if collapse_spaces:
            sentence = " ".join(sentence.split())
        doc = self.nlp.make_doc(sentence)
        doc = self.sentences(doc)
        start, end, exact = locate(concept, sentence)
        span = doc.char_span(start, end, label=TARGET_LABEL, alignment_mode="expand")
        if span is None or len(span) == 0:  # whitespace-only target: take the first token
            span = doc[0:1]
            span.label_ = TARGET_LABEL
        doc.spans[SPAN_GROUP] = [span]
        doc = self.context(doc)
        target = doc.spans[SPAN_GROUP][0]
        assertion, used, _ = _assertion(target, None)
        sent = target.sent
        every = tuple(sorted(str(m.rule.metadata["id"]) for m in target._.modifiers
                             if sent.start <= m.modifier_span[0] < sent.end and m.rule.metadata))
        return Prediction(assertion, used, every, exact)


def _new_context(nlp, name: str, max_scope: int | None):
    from medspacy.context import ConText

    return ConText(nlp, name=name, rules=None, input_span_type="group",
                   span_group_name=SPAN_GROUP, max_scope=max_scope)


def load_rule_file(path: Path) -> ContextRuleFile:
    return ContextRuleFile.model_validate(json.loads(Path(path).read_text("utf-8")))


# ---------------------------------------------------------------------------------------------
# scoring


@dataclass(frozen=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        denom = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denom if denom else None


def predicted(pred: Prediction) -> dict[str, bool]:
    """Our single assertion as the four binary classes (``possible`` counts as not negated)."""
    a = pred.assertion
    return {"negated": a == Assertion.negated, "historical": a == Assertion.historical,
            "hypothetical": a == Assertion.hypothetical, "family": a == Assertion.family}


def score(rows: Iterable[Row], preds: Sequence[Prediction]) -> dict[str, Counts]:
    """Confusion counts per class for ``rows`` and their predictions (same order)."""
    acc: dict[str, Counter] = {name: Counter() for name, _ in CLASSES}
    rows = list(rows)
    if len(rows) != len(preds):
        raise ValueError("rows and predictions differ in length")
    for row, pred in zip(rows, preds, strict=True):
        gold, ours = row.gold, predicted(pred)
        for name, _ in CLASSES:
            key = {(True, True): "tp", (False, True): "fp", (True, False): "fn",
                   (False, False): "tn"}[(gold[name], ours[name])]
            acc[name][key] += 1
    return {name: Counts(**acc[name]) for name, _ in CLASSES}


def evaluate(system: System, rows: Sequence[Row], *,
             collapse_spaces: bool = True) -> list[Prediction]:
    return [system.predict(r.concept, r.sentence, collapse_spaces=collapse_spaces) for r in rows]


# ---------------------------------------------------------------------------------------------
# report


def _fmt(x: float | None) -> str:
    return "  -  " if x is None else f"{x:.3f}"


def figures_table(rows: Sequence[Row], results: dict[str, list[Prediction]]) -> str:
    parts = {"tuning": [i for i, r in enumerate(rows) if r.split == "tuning"],
             "heldout": [i for i, r in enumerate(rows) if r.split == "heldout"],
             "all": list(range(len(rows)))}
    lines = []
    head = f"{'class':<13}{'system':<18}{'rows':>5} {'gold+':>5}"
    head += "".join(f" | {p + ('*' if p == HELDOUT else ''):^31}" for p in parts)
    lines.append(head)
    lines.append(f"{'':<13}{'':<18}{'':>5} {'':>5}"
                 + " | {:>5} {:>5} {:>5}  {:>13}".format("P", "R", "F1", "TP/FP/FN") * 3)
    lines.append("-" * len(lines[-1]))
    for cls, _ in CLASSES:
        for name, preds in results.items():
            cells = []
            for idx in parts.values():
                c = score([rows[i] for i in idx], [preds[i] for i in idx])[cls]
                cells.append(f" | {_fmt(c.precision):>5} {_fmt(c.recall):>5} {_fmt(c.f1):>5}"
                             f"  {f'{c.tp}/{c.fp}/{c.fn}':>13}")
            n_gold = sum(r.gold[cls] for r in rows)
            lines.append(f"{cls:<13}{name:<18}{len(rows):>5} {n_gold:>5}" + "".join(cells))
        for rc, who, p, r, f, kind in REFERENCE:
            if rc == cls:
                lines.append(f"{'':<13}{who:<29}" + " " * 70
                             + f" | {_fmt(p):>5} {_fmt(r):>5} {_fmt(f):>5}  ({kind})")
        lines.append("")
    return "\n".join(lines)


def errors_report(rows: Sequence[Row], preds: Sequence[Prediction]) -> str:
    """Tuning-half rows where any class is wrong (never held-out rows)."""
    out = []
    for row, pred in zip(rows, preds, strict=True):
        if row.split != "tuning":
            continue
        gold, ours = row.gold, predicted(pred)
        wrong = [c for c, _ in CLASSES if gold[c] != ours[c]]
        if not wrong:
            continue
        kinds = ",".join(("FN:" if gold[c] else "FP:") + c for c in wrong)
        out.append(f"[{row.id}] {kinds}  concept={row.concept.strip()!r}  gold={row.gold_text()}"
                   f"  ours={pred.assertion.value}  used={list(pred.modifiers)}"
                   f"  in_sentence={list(pred.all_modifiers)}"
                   + ("" if pred.exact else "  (concept not found whole)")
                   + f"\n      {' '.join(row.sentence.split())}")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR,
                    help=f"folder holding {PRIMARY_FILE} (default: %(default)s)")
    ap.add_argument("--rules", type=Path, default=None,
                    help="score a candidate context rule file instead of extract/rules/"
                         "context.json (same schema)")
    ap.add_argument("--show-errors", action="store_true",
                    help="print the TUNING half's errors of our rules (never held-out)")
    ap.add_argument("--no-baseline", action="store_true", help="skip medspaCy default rules")
    ap.add_argument("--raw-whitespace", action="store_true",
                    help="keep the set's runs of spaces (default: collapse each run to one space)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    rows = load_rows(args.data)
    if args.rules:  # read the rule text first: the hash must describe the rules that ran
        rule_src, rule_bytes = str(args.rules), Path(args.rules).read_bytes()
        rule_file = ContextRuleFile.model_validate(json.loads(rule_bytes))
    else:
        rule_src = "extract/rules/context.json"
        rule_bytes = resources.files("priorauth.extract").joinpath(
            "rules", "context.json").read_bytes()
        rule_file = context_rules()
    n_rules = len(rule_file.rules)
    ours = System.ours(rule_file if args.rules else None)
    systems = [ours] if args.no_baseline else [ours, System.medspacy_default()]
    collapse = not args.raw_whitespace
    results = {s.name: evaluate(s, rows, collapse_spaces=collapse) for s in systems}
    n_split = Counter(r.split for r in rows)
    inexact = sum(not p.exact for p in results[ours.name])

    print(f"NegEx/ConText test set: {len(rows)} conditions from {args.data / PRIMARY_FILE}")
    print(f"split by sha256(normalised sentence): tuning {n_split['tuning']}, "
          f"heldout {n_split['heldout']} (* = HELD OUT: do not tune on it)")
    print(f"ours = {rule_src} ({n_rules} rules, sha256 "
          f"{hashlib.sha256(rule_bytes).hexdigest()[:12]}); target label {TARGET_LABEL!r}; "
          f"{inexact} concepts not found whole (phrase longer than sentence)")
    print(f"whitespace runs {'kept' if args.raw_whitespace else 'collapsed to one space'}; "
          "assertion per pipeline._assertion (own sentence; family > negated > hypothetical > "
          "possible > historical)")
    for name, meaning in CLASSES:
        print(f"  {name:<13} gold: {meaning}; ours: assertion == {name}")
    print()
    print(figures_table(rows, results))
    if args.show_errors:
        print("\nTUNING-half errors of our rules (held-out rows are never shown):")
        print(errors_report(rows, results[ours.name]))
    print(f"\n({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
