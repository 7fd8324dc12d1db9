"""Score reviews against labelled charts (gold): one pure function shared by CLI and notebook.

:func:`evaluate_cases` compares, for every gold case, the gold determination with the review's
and every labelled criterion node's gold status with the review's status. It returns an
:class:`EvaluationReport` (frozen pydantic model, JSON-serialisable):

- determination accuracy and the confusion matrix over the four determinations, in the fixed
  order of :data:`DETERMINATIONS` (rows gold, columns predicted);
- precision / recall / F1 of the statuses ``met`` and ``not_met`` (scikit-learn's
  ``precision_recall_fscore_support`` with explicit ``labels=``, ``zero_division=0``), per
  criterion id and over all labelled nodes; ``micro`` pools both classes;
- the costly error: ``meets_criteria`` given to a chart whose gold is anything else;
- every disagreement (determination or node) with the evidence the review used.

Only labelled nodes are scored (an unlabelled node is not a claim of the labeller).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from priorauth.gold import GoldCase, load_case
from priorauth.models import Determination, Review, Status

__all__ = [
    "DETERMINATIONS",
    "SCORED_STATUSES",
    "STATUSES",
    "ClassScores",
    "CriterionScores",
    "Disagreement",
    "EvaluationReport",
    "GoldFormatError",
    "QuotedEvidence",
    "evaluate_cases",
    "load_gold",
    "render_text",
    "review_cases",
]

#: Fixed order of the confusion matrix over determinations.
DETERMINATIONS: tuple[str, ...] = tuple(d.value for d in Determination)
#: Fixed order of the node-status confusion matrix.
STATUSES: tuple[str, ...] = (Status.met.value, Status.not_met.value, Status.unknown.value)
#: The statuses scored with precision / recall / F1.
SCORED_STATUSES: tuple[str, ...] = (Status.met.value, Status.not_met.value)
#: ``Disagreement.node`` for a disagreement on the determination.
DETERMINATION_NODE = "determination"
OVERALL = "all"


class GoldFormatError(ValueError):
    """A gold folder or label is malformed; the message names the folder or file."""


class ClassScores(BaseModel):
    """Precision, recall and F1 of one status (or of both pooled, for ``micro``).

    ``support`` is the number of gold labels of that status.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    precision: float
    recall: float
    f1: float
    support: int


class CriterionScores(BaseModel):
    """Scores of one criterion id (or ``"all"`` labelled nodes) over the gold cases.

    ``labelled`` counts the gold labels of any status (``unknown`` included).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    labelled: int
    met: ClassScores
    not_met: ClassScores
    micro: ClassScores


class QuotedEvidence(BaseModel):
    """A quote the review rested on: document, 1-based page (``None`` for text), quote."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document: str
    page: int | None
    quote: str


class Disagreement(BaseModel):
    """One gold label the review disagrees with.

    ``node`` is a criterion id, or ``"determination"``. ``evidence`` is what the review used:
    the node's evidence, or for the determination that of its met indications and
    non-indications. ``reason`` is the review's one-line reason (or its determination reasons).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    case: str
    node: str
    gold: str
    predicted: str
    evidence: tuple[QuotedEvidence, ...] = ()
    reason: str = ""


class EvaluationReport(BaseModel):
    """Everything ``priorauth evaluate`` prints; the notebook computes the same object."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cases: tuple[str, ...]
    determination_correct: int
    determination_accuracy: float
    determination_labels: tuple[str, ...] = DETERMINATIONS
    #: rows: gold determination, columns: predicted, in ``determination_labels`` order.
    determination_confusion: tuple[tuple[int, ...], ...]
    #: cases given ``meets_criteria`` whose gold is anything else (the costly error).
    costly_errors: int
    costly_cases: tuple[str, ...] = ()
    status_labels: tuple[str, ...] = STATUSES
    #: rows: gold status, columns: predicted status, over every labelled node.
    status_confusion: tuple[tuple[int, ...], ...]
    overall: CriterionScores
    #: one entry per labelled criterion id, in outline order.
    criteria: tuple[CriterionScores, ...]
    disagreements: tuple[Disagreement, ...] = ()

    def to_json(self) -> str:
        """Deterministic JSON (same report, same bytes)."""
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def load_gold(roots: Sequence[str | Path]) -> list[GoldCase]:
    """The gold cases under every root, in order (as :func:`priorauth.gold.load_cases`).

    Raises:
        GoldFormatError: a root is missing or holds no case, a case folder is malformed, or
            two roots hold a case of the same name.
    """
    cases: list[GoldCase] = []
    where: dict[str, Path] = {}
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            raise GoldFormatError(f"{root}: not a folder of labelled charts")
        folders = ([root] if (root / "expected.json").exists() else
                   [p for p in sorted(root.iterdir())
                    if p.is_dir() and (p / "expected.json").exists()])
        found = []
        for folder in folders:
            try:
                found.append(load_case(folder))
            except (OSError, ValueError, KeyError) as exc:  # JSON, pydantic, missing keys
                raise GoldFormatError(f"{folder}: malformed gold case "
                                      f"({type(exc).__name__}): {_one_line(exc)}") from None
        if not found:
            raise GoldFormatError(f"{root}: no labelled charts (folders with expected.json; "
                                  "see review-contract.md)")
        for case in found:
            if case.name in where:
                raise GoldFormatError(f"case {case.name!r} is in both {where[case.name]} "
                                      f"and {case.folder}; case names must be unique")
            where[case.name] = case.folder
            cases.append(case)
    return cases


def review_cases(cases: Sequence[GoldCase]) -> dict[str, Review]:
    """Review every gold chart in this process, keyed by case name.

    Raises:
        ChartReadError: a chart file cannot be read (the message names the file).
    """
    from priorauth.review import review_chart

    return {case.name: review_chart(case.documents, case.request) for case in cases}


def evaluate_cases(cases: Sequence[GoldCase],
                   reviews: Mapping[str, Review] | Sequence[Review]) -> EvaluationReport:
    """Compare reviews with gold labels. Pure function of its inputs.

    Args:
        cases: The gold cases.
        reviews: Their reviews, keyed by case name, or a sequence in the order of ``cases``.

    Returns:
        The evaluation report.

    Raises:
        GoldFormatError: a review is missing, or a gold label names an unknown determination,
            status or criterion id.
    """
    from sklearn.metrics import confusion_matrix

    by_name = _reviews_by_name(cases, reviews)
    gold_det: list[str] = []
    pred_det: list[str] = []
    costly: list[str] = []
    disagreements: list[Disagreement] = []
    node_pairs: dict[str, list[tuple[str, str]]] = {}
    order: dict[str, int] = {}

    for case in cases:
        review = by_name[case.name]
        if not order:
            order = {c.id: i for i, c in enumerate(review.criteria)}
        _check_labels(case)
        predicted = review.determination.value
        gold_det.append(case.determination)
        pred_det.append(predicted)
        if predicted == Determination.meets_criteria and case.determination != predicted:
            costly.append(case.name)
        if predicted != case.determination:
            disagreements.append(Disagreement(
                case=case.name, node=DETERMINATION_NODE, gold=case.determination,
                predicted=predicted, evidence=_determination_evidence(review),
                reason="; ".join(review.reasons)))
        results = {c.id: c for c in review.criteria}
        for node, gold in case.criteria.items():
            result = results.get(node)
            if result is None:
                raise GoldFormatError(f"{case.folder / 'expected.json'}: unknown criterion id "
                                      f"{node!r}; ids are those of outline.md, e.g. 'ind.1.2.2'")
            got = result.status.value
            node_pairs.setdefault(node, []).append((gold, got))
            if got != gold:
                disagreements.append(Disagreement(
                    case=case.name, node=node, gold=gold, predicted=got,
                    evidence=_quotes(result.evidence), reason=result.reason))

    correct = sum(g == p for g, p in zip(gold_det, pred_det, strict=True))
    det_matrix = (confusion_matrix(gold_det, pred_det, labels=list(DETERMINATIONS))
                  if cases else [[0] * len(DETERMINATIONS) for _ in DETERMINATIONS])
    all_pairs = [pair for node in node_pairs for pair in node_pairs[node]]
    status_matrix = (confusion_matrix([g for g, _ in all_pairs], [p for _, p in all_pairs],
                                      labels=list(STATUSES))
                     if all_pairs else [[0] * len(STATUSES) for _ in STATUSES])
    ids = sorted(node_pairs, key=lambda n: (order.get(n, len(order)), n))
    return EvaluationReport(
        cases=tuple(c.name for c in cases),
        determination_correct=correct,
        determination_accuracy=correct / len(cases) if cases else 0.0,
        determination_confusion=_matrix(det_matrix),
        costly_errors=len(costly),
        costly_cases=tuple(costly),
        status_confusion=_matrix(status_matrix),
        overall=_scores(OVERALL, all_pairs),
        criteria=tuple(_scores(node, node_pairs[node]) for node in ids),
        disagreements=tuple(disagreements),
    )


def _reviews_by_name(cases: Sequence[GoldCase],
                     reviews: Mapping[str, Review] | Sequence[Review]) -> dict[str, Review]:
    if isinstance(reviews, Mapping):
        missing = [c.name for c in cases if c.name not in reviews]
        if missing:
            raise GoldFormatError(f"no review for case(s) {', '.join(missing)}")
        return {c.name: reviews[c.name] for c in cases}
    if len(reviews) != len(cases):
        raise GoldFormatError(f"{len(cases)} gold cases but {len(reviews)} reviews; give one "
                              "review per case, in the same order")
    return {c.name: r for c, r in zip(cases, reviews, strict=True)}


def _check_labels(case: GoldCase) -> None:
    source = case.folder / "expected.json"
    if case.determination not in DETERMINATIONS:
        raise GoldFormatError(f"{source}: unknown determination {case.determination!r}; "
                              f"allowed: {', '.join(DETERMINATIONS)}")
    for node, status in case.criteria.items():
        if status not in STATUSES:
            raise GoldFormatError(f"{source}: {node}: unknown status {status!r}; "
                                  f"allowed: {', '.join(STATUSES)}")


def _scores(node: str, pairs: list[tuple[str, str]]) -> CriterionScores:
    from sklearn.metrics import precision_recall_fscore_support

    if not pairs:
        zero = ClassScores(precision=0.0, recall=0.0, f1=0.0, support=0)
        return CriterionScores(id=node, labelled=0, met=zero, not_met=zero, micro=zero)
    gold = [g for g, _ in pairs]
    pred = [p for _, p in pairs]
    labels = list(SCORED_STATUSES)
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=labels, average=None,
                                                 zero_division=0)
    mp, mr, mf, _ = precision_recall_fscore_support(gold, pred, labels=labels, average="micro",
                                                    zero_division=0)
    per_class = [ClassScores(precision=float(p[i]), recall=float(r[i]), f1=float(f[i]),
                             support=int(s[i])) for i in range(len(labels))]
    return CriterionScores(
        id=node, labelled=len(pairs), met=per_class[0], not_met=per_class[1],
        micro=ClassScores(precision=float(mp), recall=float(mr), f1=float(mf),
                          support=int(sum(s))))


def _matrix(matrix) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(int(v) for v in row) for row in matrix)


def _quotes(evidence) -> tuple[QuotedEvidence, ...]:
    return tuple(QuotedEvidence(document=e.document, page=e.page, quote=e.text)
                 for e in evidence)


def _determination_evidence(review: Review) -> tuple[QuotedEvidence, ...]:
    """Evidence of the top-level indications and non-indications the review found met."""
    out: list[QuotedEvidence] = []
    for result in review.criteria:
        if result.id.count(".") == 1 and result.status == Status.met:
            out.extend(q for q in _quotes(result.evidence) if q not in out)
    return tuple(out)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


def _fmt(value: float) -> str:
    return f"{value:.3f}"


def evaluate_folders(folders: Sequence[str | Path]) -> dict[str, EvaluationReport]:
    """One report per gold folder, keyed by the folder as given (e.g. a dev and a test half)."""
    reports = {}
    for folder in folders:
        cases = load_gold([folder])
        reports[str(folder)] = evaluate_cases(cases, review_cases(cases))
    return reports


def render_summary(reports: Mapping[str, EvaluationReport]) -> str:
    """One row per gold folder: charts, determination accuracy, costly errors, leaf micro
    P / R / F1 (met and not_met), side by side."""
    header = ["gold folder", "charts", "determination", "costly", "leaf F1", "P", "R"]
    rows = []
    for folder, report in reports.items():
        n, micro = len(report.cases), report.overall.micro
        rows.append([folder, str(n), f"{report.determination_correct}/{n} = "
                     f"{_fmt(report.determination_accuracy)}", str(report.costly_errors),
                     _fmt(micro.f1), _fmt(micro.precision), _fmt(micro.recall)])
    return "\n".join(_table(header, rows)) + "\n"


def render_text(report: EvaluationReport) -> str:
    """The report for a terminal: figures, matrix, per-criterion table, disagreements."""
    lines: list[str] = []
    n = len(report.cases)
    lines.append(f"Charts evaluated: {n}")
    lines.append(f"Determination accuracy: {report.determination_correct}/{n} = "
                 f"{_fmt(report.determination_accuracy)}")
    lines.append(f"meets_criteria given to charts whose gold is anything else (costly): "
                 f"{report.costly_errors}"
                 + (f" ({', '.join(report.costly_cases)})" if report.costly_cases else ""))
    lines.append("")
    lines.append("Determination confusion matrix (rows gold, columns predicted):")
    lines.extend(_matrix_lines(report.determination_labels, report.determination_confusion))
    lines.append("")
    lines.append("Criterion status confusion matrix over labelled nodes "
                 "(rows gold, columns predicted):")
    lines.extend(_matrix_lines(report.status_labels, report.status_confusion))
    lines.append("")
    lines.append("Per criterion: precision / recall / F1 (support) of met and not_met")
    header = ["criterion", "labels", "met P", "met R", "met F1", "met n",
              "not_met P", "not_met R", "not_met F1", "not_met n", "micro F1"]
    rows = [_score_row(s) for s in (report.overall, *report.criteria)]
    lines.extend(_table(header, rows))
    lines.append("")
    lines.append(f"Disagreements: {len(report.disagreements)}")
    if report.disagreements:
        rows = []
        for d in report.disagreements:
            quotes = " | ".join(_quote_text(q) for q in d.evidence) or "(no evidence)"
            rows.append([d.case, d.node, d.gold, d.predicted, quotes])
        lines.extend(_table(["case", "node", "gold", "predicted", "evidence used"], rows))
    return "\n".join(lines) + "\n"


def _quote_text(q: QuotedEvidence) -> str:
    where = q.document if q.page is None else f"{q.document} p{q.page}"
    return f'{where}: "{q.quote}"'


def _score_row(s: CriterionScores) -> list[str]:
    return [s.id, str(s.labelled),
            _fmt(s.met.precision), _fmt(s.met.recall), _fmt(s.met.f1), str(s.met.support),
            _fmt(s.not_met.precision), _fmt(s.not_met.recall), _fmt(s.not_met.f1),
            str(s.not_met.support), _fmt(s.micro.f1)]


def _matrix_lines(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> list[str]:
    header = ["gold \\ predicted", *labels]
    rows = [[label, *(str(v) for v in row)] for label, row in zip(labels, matrix, strict=True)]
    return _table(header, rows)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    # The last column of a wide table (evidence) is left unpadded.
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = []
    for row in [header, *rows]:
        cells = [c.ljust(w) for c, w in zip(row[:-1], widths[:-1], strict=True)]
        out.append("  ".join([*cells, row[-1]]).rstrip())
    return out
