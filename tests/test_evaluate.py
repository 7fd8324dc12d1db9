"""``evaluate_cases`` on hand-built reviews with known figures, and ``priorauth evaluate``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from priorauth.cli import main
from priorauth.evaluate import (
    DETERMINATIONS,
    STATUSES,
    EvaluationReport,
    GoldFormatError,
    evaluate_cases,
    load_gold,
    render_text,
    review_cases,
)
from priorauth.gold import GoldCase
from priorauth.models import (
    CriterionResult,
    Evidence,
    PolicyRef,
    RequestOut,
    Review,
    ReviewRequest,
)

SAMPLES = Path(__file__).resolve().parents[1] / "sample_notes"
NODES = ("ind.1", "ind.1.1", "non.1")


def _evidence(text: str, *, page: int | None = None) -> Evidence:
    return Evidence(document="note.pdf" if page else "note.txt", page=page, start=0,
                    end=len(text), text=text)


def _review(determination: str, statuses: dict[str, str],
            evidence: dict[str, tuple[Evidence, ...]] | None = None) -> Review:
    evidence = evidence or {}
    return Review(
        policy=PolicyRef(id="test", version="0"),
        request=RequestOut(cpt=("72131",), request_date=None, age=50, sex="F", region="lumbar"),
        determination=determination,
        reasons=(f"because {determination}",),
        criteria=tuple(CriterionResult(id=node, status=statuses.get(node, "unknown"),
                                       text=node, evidence=evidence.get(node, ()),
                                       reason=f"{node} rule")
                       for node in NODES))


def _case(name: str, determination: str, criteria: dict[str, str]) -> GoldCase:
    return GoldCase(name=name, folder=Path("/gold") / name, documents=(),
                    request=ReviewRequest(cpt=("72131",)), determination=determination,
                    criteria=criteria)


PT_QUOTE = _evidence("No improvement after 8 weeks of PT")
MRI_QUOTE = _evidence("MRI performed, diagnostic", page=2)

# A: right determination, one node wrong. B: meets_criteria for a not_met chart (the costly
# error), two nodes wrong. C: right, an "unknown" label agreed.
CASES = [
    _case("A", "meets_criteria", {"ind.1": "met", "ind.1.1": "met", "non.1": "not_met"}),
    _case("B", "not_met", {"ind.1": "not_met", "non.1": "met"}),
    _case("C", "insufficient_documentation", {"ind.1": "unknown"}),
]
REVIEWS = {
    "A": _review("meets_criteria", {"ind.1": "met", "ind.1.1": "not_met", "non.1": "not_met"},
                 {"ind.1": (PT_QUOTE,), "ind.1.1": (MRI_QUOTE,)}),
    "B": _review("meets_criteria", {"ind.1": "met", "non.1": "unknown"},
                 {"ind.1": (PT_QUOTE,)}),
    "C": _review("insufficient_documentation", {}),
}


@pytest.fixture(scope="module")
def report() -> EvaluationReport:
    return evaluate_cases(CASES, REVIEWS)


def test_determination_accuracy_and_confusion_matrix_rows_gold_columns_predicted(report):
    assert report.cases == ("A", "B", "C")
    assert report.determination_labels == (
        "meets_criteria", "not_met", "insufficient_documentation", "not_applicable")
    assert report.determination_correct == 2
    assert report.determination_accuracy == pytest.approx(2 / 3)
    assert report.determination_confusion == ((1, 0, 0, 0),
                                              (1, 0, 0, 0),
                                              (0, 0, 1, 0),
                                              (0, 0, 0, 0))


def test_meets_criteria_for_a_chart_whose_gold_is_anything_else_is_a_costly_error(report):
    assert report.costly_errors == 1
    assert report.costly_cases == ("B",)


def test_status_confusion_matrix_counts_every_labelled_node(report):
    assert report.status_labels == ("met", "not_met", "unknown")
    assert report.status_confusion == ((1, 1, 1),
                                       (1, 1, 0),
                                       (0, 0, 1))


@pytest.mark.parametrize(("node", "met", "not_met", "micro"), [
    # (precision, recall, f1, support)
    ("ind.1", (0.5, 1.0, 2 / 3, 1), (0.0, 0.0, 0.0, 1), (0.5, 0.5, 0.5, 2)),
    ("ind.1.1", (0.0, 0.0, 0.0, 1), (0.0, 0.0, 0.0, 0), (0.0, 0.0, 0.0, 1)),
    ("non.1", (0.0, 0.0, 0.0, 1), (1.0, 1.0, 1.0, 1), (1.0, 0.5, 2 / 3, 2)),
    ("all", (0.5, 1 / 3, 0.4, 3), (0.5, 0.5, 0.5, 2), (0.5, 0.4, 4 / 9, 5)),
], ids=["ind.1", "ind.1.1", "non.1", "overall"])
def test_precision_recall_f1_of_met_and_not_met_per_criterion(report, node, met, not_met,
                                                              micro):
    scores = report.overall if node == "all" else next(s for s in report.criteria
                                                       if s.id == node)
    for got, want in ((scores.met, met), (scores.not_met, not_met), (scores.micro, micro)):
        assert (got.precision, got.recall, got.f1) == pytest.approx(want[:3])
        assert got.support == want[3]


def test_criteria_are_listed_in_outline_order_with_their_label_counts(report):
    assert [(s.id, s.labelled) for s in report.criteria] == [
        ("ind.1", 3), ("ind.1.1", 1), ("non.1", 2)]
    assert report.overall.labelled == 6


def test_every_disagreement_is_listed_with_the_evidence_the_review_used(report):
    rows = [(d.case, d.node, d.gold, d.predicted, [e.quote for e in d.evidence])
            for d in report.disagreements]
    assert rows == [
        ("A", "ind.1.1", "met", "not_met", ["MRI performed, diagnostic"]),
        ("B", "determination", "not_met", "meets_criteria",
         ["No improvement after 8 weeks of PT"]),
        ("B", "ind.1", "not_met", "met", ["No improvement after 8 weeks of PT"]),
        ("B", "non.1", "met", "unknown", []),
    ]
    first = report.disagreements[0]
    assert (first.evidence[0].document, first.evidence[0].page) == ("note.pdf", 2)
    assert first.reason == "ind.1.1 rule"
    assert report.disagreements[1].reason == "because meets_criteria"


def test_report_round_trips_through_json_unchanged(report):
    data = json.loads(report.to_json())
    assert data["determination_confusion"][1] == [1, 0, 0, 0]
    assert EvaluationReport.model_validate(data) == report
    assert report.to_json() == evaluate_cases(CASES, REVIEWS).to_json()


def test_reviews_may_be_a_sequence_in_case_order(report):
    assert evaluate_cases(CASES, [REVIEWS[c.name] for c in CASES]) == report


def test_when_all_agree_then_no_disagreement_and_perfect_scores():
    cases = [_case("A", "meets_criteria", {"ind.1": "met", "non.1": "not_met"})]
    reviews = {"A": _review("meets_criteria", {"ind.1": "met", "non.1": "not_met"})}
    report = evaluate_cases(cases, reviews)
    assert report.disagreements == ()
    assert report.determination_accuracy == 1.0
    assert report.overall.micro.f1 == 1.0


def test_text_report_shows_the_headline_figures_and_disagreements(report):
    text = render_text(report)
    assert "Determination accuracy: 2/3 = 0.667" in text
    assert "(costly): 1 (B)" in text
    assert 'note.pdf p2: "MRI performed, diagnostic"' in text
    assert "Disagreements: 4" in text


@pytest.mark.parametrize(("case", "message"), [
    (_case("X", "approved", {}), r"/gold/X/expected.json: unknown determination 'approved'; "
     r"allowed: meets_criteria, not_met"),
    (_case("X", "not_met", {"ind.1": "yes"}), r"expected.json: ind.1: unknown status 'yes'"),
    (_case("X", "not_met", {"ind.99": "met"}), r"expected.json: unknown criterion id 'ind.99'"),
], ids=["determination", "status", "criterion-id"])
def test_malformed_gold_labels_are_rejected_naming_the_file(case, message):
    with pytest.raises(GoldFormatError, match=message):
        evaluate_cases([case], {"X": _review("not_met", {})})


def test_missing_review_is_rejected_naming_the_case():
    with pytest.raises(GoldFormatError, match="no review for case"):
        evaluate_cases(CASES, {"A": REVIEWS["A"]})
    with pytest.raises(GoldFormatError, match="3 gold cases but 1 reviews"):
        evaluate_cases(CASES, [REVIEWS["A"]])


# --- priorauth evaluate, on small gold folders made here ------------------------------------

NOTE = ("NEURO CLINIC NOTE    Date of service: 10/08/2026\n"
        "HPI: new onset low back pain radiating to the L leg. No trauma.\n"
        "Plan: CT requested.\n")


def _write_case(root: Path, name: str, *, cpt: str, determination: str,
                criteria: dict[str, str] | None = None) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "note.txt").write_text(NOTE, encoding="utf-8")
    (folder / "request.json").write_text(json.dumps(
        {"cpt": [cpt], "request_date": "2026-10-14", "age": 60, "sex": "M"}), "utf-8")
    (folder / "expected.json").write_text(json.dumps(
        {"determination": determination, "criteria": criteria or {}, "evidence": {},
         "why": "test"}), "utf-8")
    return folder


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    """CT head (70450) is outside the policy: the review is not_applicable whatever the text."""
    root = tmp_path / "gold"
    _write_case(root, "head_ct_right", cpt="70450", determination="not_applicable")
    _write_case(root, "head_ct_labelled_meets", cpt="70450", determination="meets_criteria")
    return root


def test_evaluate_json_has_the_known_figures_of_a_small_gold_folder(gold, tmp_path, capsys):
    assert main(["evaluate", str(gold), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cases"] == ["head_ct_labelled_meets", "head_ct_right"]
    assert data["determination_correct"] == 1
    assert data["determination_confusion"][0] == [0, 0, 0, 1]  # gold meets -> not_applicable
    assert data["determination_confusion"][3] == [0, 0, 0, 1]
    assert data["costly_errors"] == 0
    assert [(d["case"], d["node"], d["gold"], d["predicted"]) for d in data["disagreements"]] \
        == [("head_ct_labelled_meets", "determination", "meets_criteria", "not_applicable")]


def test_evaluate_cli_json_equals_evaluate_cases_on_the_same_folders(gold, tmp_path):
    other = tmp_path / "more"
    _write_case(other, "lumbar", cpt="72131", determination="insufficient_documentation",
                criteria={"ind.1.0": "met", "non.1": "unknown"})
    out = tmp_path / "report.json"
    assert main(["evaluate", str(gold), str(other), "--format", "json",
                 "--output", str(out)]) == 0
    cases = load_gold([gold, other])
    assert out.read_text("utf-8") == evaluate_cases(cases, review_cases(cases)).to_json()
    data = json.loads(out.read_text("utf-8"))
    assert data["overall"]["labelled"] == 2
    assert len(data["determination_labels"]) == len(DETERMINATIONS)
    assert data["status_labels"] == list(STATUSES)


def test_evaluate_text_is_the_default_format(gold, capsys):
    assert main(["evaluate", str(gold)]) == 0
    out = capsys.readouterr().out
    assert "Determination accuracy: 1/2 = 0.500" in out
    assert "head_ct_labelled_meets  determination  meets_criteria  not_applicable" in out


def test_by_folder_puts_each_gold_folder_on_its_own_row(gold, tmp_path, capsys):
    other = tmp_path / "test_half"
    _write_case(other, "head_ct_right_too", cpt="70450", determination="not_applicable")
    assert main(["evaluate", str(gold), str(other), "--by-folder"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split() == ["gold", "folder", "charts", "determination", "costly", "leaf",
                               "F1", "P", "R"]
    assert rows[1].split()[:5] == [str(gold), "2", "1/2", "=", "0.500"]
    assert rows[2].split()[:5] == [str(other), "1", "1/1", "=", "1.000"]
    assert main(["evaluate", str(gold), str(other), "--by-folder", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [data[k]["determination_correct"] for k in (str(gold), str(other))] == [1, 1]


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p / "absent", "absent: not a folder of labelled charts"),
    (lambda p: p, "no labelled charts"),
], ids=["missing-folder", "no-cases"])
def test_unusable_gold_folder_exits_2_with_one_line_naming_it(tmp_path, capsys, make, message):
    assert main(["evaluate", str(make(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_malformed_expected_json_exits_2_naming_the_folder(gold, capsys):
    (gold / "head_ct_right" / "expected.json").write_text("{not json", "utf-8")
    assert main(["evaluate", str(gold)]) == 2
    err = capsys.readouterr().err
    assert "malformed gold case" in err
    assert err.count("\n") == 1


def test_the_same_case_name_in_two_gold_folders_is_refused(gold, tmp_path, capsys):
    other = tmp_path / "other"
    _write_case(other, "head_ct_right", cpt="70450", determination="not_applicable")
    assert main(["evaluate", str(gold), str(other)]) == 2
    assert "case 'head_ct_right' is in both" in capsys.readouterr().err


def test_evaluate_accepts_one_case_folder(gold, capsys):
    assert main(["evaluate", str(gold / "head_ct_right"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["cases"] == ["head_ct_right"]
