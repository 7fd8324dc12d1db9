"""The command line as the contract describes it, run as a real subprocess."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from priorauth.cli import main
from priorauth.extract.ingest import read_chart

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "sample_notes" / "01_pt_failed_pacemaker"
PDF_CASE = ROOT / "sample_notes" / "05_myelopathy_cochlear_pdf"
ARGS = ["--cpt", "72131", "--request-date", "2026-10-14", "--age", "57", "--sex", "F"]


def run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "priorauth", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def review_json() -> str:
    result = run("review", *sorted(CASE.glob("*.txt")), *ARGS, "--format", "json")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_json_review_follows_the_contract(review_json):
    review = json.loads(review_json)
    assert review["policy"] == {"id": "cohere-ma-ct-spine", "version": "2.1"}
    assert review["request"] == {"cpt": ["72131"], "request_date": "2026-10-14", "age": 57,
                                 "sex": "F", "region": "lumbar"}
    assert review["determination"] == "meets_criteria"
    assert review["criteria"][0]["id"] == "ind.1"
    assert {"id", "status", "text", "evidence"} <= set(review["criteria"][0])
    assert {c["status"] for c in review["criteria"]} <= {"met", "not_met", "unknown"}
    assert all(f["assertion"] in {"present", "negated", "possible", "hypothetical",
                                  "historical", "family"} for f in review["facts"])


def test_same_chart_twice_gives_identical_bytes(review_json):
    again = run("review", *sorted(CASE.glob("*.txt")), *ARGS, "--format", "json")
    assert again.stdout == review_json


def _all_evidence(review: dict):
    for criterion in review["criteria"]:
        yield from criterion["evidence"]
    for fact in review["facts"]:
        yield fact["evidence"]


@pytest.mark.parametrize("case", [CASE, PDF_CASE], ids=["txt", "pdf"])
def test_every_evidence_text_is_the_extracted_text_between_its_offsets(case):
    request = json.loads((case / "request.json").read_text())
    files = sorted(p for p in case.iterdir() if p.suffix in (".txt", ".pdf"))
    args = [a for code in request["cpt"] for a in ("--cpt", code)]
    result = run("review", *files, *args, "--request-date", request["request_date"],
                 "--format", "json")
    review = json.loads(result.stdout)
    pages = {(d.name, p.number): p.text for d in read_chart(files) for p in d.pages}
    evidence = list(_all_evidence(review))
    assert evidence
    for ev in evidence:
        assert pages[(ev["document"], ev["page"])][ev["start"]:ev["end"]] == ev["text"]
    if case == PDF_CASE:
        assert {ev["page"] for ev in evidence} == {1, 2}


def test_text_output_shows_determination_marks_and_quotes():
    result = run("review", *sorted(CASE.glob("*.txt")), *ARGS)
    assert result.returncode == 0
    assert ("Determination: Meets criteria — new onset pain or radiculopathy without trauma "
            "or significant mechanism of injury: MRI contraindicated (pacemaker), 8 weeks of "
            "physical therapy, failed\n  (MEETS CRITERIA: eligible for approval)") in result.stdout
    assert "  ✓ New onset pain or radiculopathy" in result.stdout
    assert ('"- Complete heart block s/p dual-chamber pacemaker 2011 (legacy leads, not MRI '
            'conditional)" (spine_followup_2026-10-02.txt)') in result.stdout
    assert ("Policy notes:\n  - CT myelography is an effective alternative to MRI with "
            "pacemakers") in result.stdout


def test_text_output_has_words_and_keeps_ids_and_offsets_for_the_details():
    result = run("review", *sorted(CASE.glob("*.txt")), *ARGS)
    words, details = result.stdout.split("Details (criterion ids, scoring reasons and quote "
                                         "offsets):\n")
    assert not re.search(r"\b(?:ind|non|note)\.[a-z0-9_]+", words), words
    assert not re.search(r"\[\d+:\d+\]", words)
    assert not re.search(r"\b[a-z]+_[a-z_]+\b",  # no snake_case kinds or predicates
                         words.replace("spine_followup_2026-10-02.txt", ""))
    assert "  ind.1.1 met: MRI not possible: pacemaker — spine_followup_2026-10-02.txt " \
        "[565:655]" in details
    assert "policy notes: note.ct_myelography" in details


def test_html_report_has_words_and_ids_only_in_details():
    result = run("review", *sorted(CASE.glob("*.txt")), *ARGS, "--format", "html")
    page = re.sub(r"<details>.*?</details>", "", result.stdout)
    assert "<h1>Meets criteria — new onset pain or radiculopathy" in page
    assert not re.search(r"\b(?:ind|non|note)\.[a-z0-9_]+", page)
    assert "CT myelography is an effective alternative to MRI" in page
    assert "<summary>details</summary><small>ind.1.1 met: MRI not possible: pacemaker" \
        in result.stdout
    assert "<li>MRI contraindicated (pacemaker) — in the past: <q>- Complete heart block" in page


def test_output_option_writes_the_file(tmp_path):
    out = tmp_path / "review.html"
    result = run("review", *sorted(CASE.glob("*.txt")), *ARGS, "--format", "html",
                 "--output", out)
    assert result.returncode == 0 and result.stdout == ""
    assert out.read_text().startswith("<!doctype html>")


def test_schema_command_prints_the_review_json_schema():
    schema = json.loads(run("schema").stdout)
    assert {"determination", "criteria", "missing", "notes", "facts"} <= set(schema["properties"])


def _bad_inputs(tmp_path: Path, make_pdf) -> list[tuple[Path, str]]:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    fake = tmp_path / "fake.pdf"
    fake.write_text("this is not a pdf")
    locked = make_pdf("locked.pdf", [["PT x 8 weeks"]], encrypt="secret")
    return [(tmp_path / "missing.txt", "missing.txt: file not found"),
            (empty, "empty.txt: file is empty"),
            (fake, "fake.pdf: not a PDF file"),
            (locked, "locked.pdf: PDF is encrypted")]


def test_bad_inputs_exit_2_with_one_line_naming_the_file(tmp_path, make_pdf, capsys):
    for path, message in _bad_inputs(tmp_path, make_pdf):
        assert main(["review", str(path), "--cpt", "72131"]) == 2, path.name
        out, err = capsys.readouterr()
        assert out == ""
        assert err.count("\n") == 1 and message in err


def test_bad_input_as_a_subprocess_prints_no_traceback(tmp_path):
    fake = tmp_path / "fax.pdf"
    fake.write_bytes(b"GIF89a not a pdf")
    result = run("review", fake, "--cpt", "72131")
    assert (result.returncode, result.stderr) == (
        2, "priorauth: error: fax.pdf: not a PDF file (its content has no %PDF header)\n")


@pytest.mark.parametrize(("args", "message"), [
    (["--cpt", "7213"], "CPT code '7213' is not a 5-character code"),
    (["--cpt", "72131", "--request-date", "14/10/2026"], "is not a date; use YYYY-MM-DD"),
    (["--cpt", "72131", "--age", "57", "--dob", "1969-01-01"], "not allowed with argument"),
    ([], "the following arguments are required: --cpt"),
])
def test_bad_usage_exits_2_with_one_line(args, message, capsys):
    assert main(["review", str(CASE / "spine_followup_2026-10-02.txt"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_console_script_is_installed():
    exe = Path(sys.executable).with_name("priorauth")
    result = subprocess.run([exe, "schema"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and '"Review"' in result.stdout


def test_low_confidence_ocr_evidence_is_flagged_for_the_reviewer():
    from priorauth.models import Evidence
    from priorauth.report import _where

    low = Evidence(document="fax.pdf", page=2, start=0, end=10, text="PT x 8 wks",
                   ocr_confidence=41.0)
    high = low.model_copy(update={"ocr_confidence": 93.0})
    assert "OCR confidence 41%: check the page" in _where(low)
    assert "OCR" not in _where(high)
