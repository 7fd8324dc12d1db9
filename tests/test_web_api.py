"""The reviewer web app through its HTTP API (FastAPI TestClient; no browser)."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
import warnings
from pathlib import Path

import pytest

from priorauth.cli import main
from priorauth.models import ReviewRequest
from priorauth.review import review_chart
from priorauth.web.app import Limits, create_app
from priorauth.web.jobs import run_review
from priorauth.web.store import Store

with warnings.catch_warnings():  # starlette prefers httpx2; httpx works the same here
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SAMPLES = Path(__file__).resolve().parents[1] / "sample_notes"
NOTE = SAMPLES / "01_pt_failed_pacemaker" / "spine_followup_2026-10-02.txt"
PDF = SAMPLES / "05_myelopathy_cochlear_pdf" / "neurology_and_audiology.pdf"
FORM = {"cpt": "72131", "request_date": "2026-10-14", "age": "57"}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def _client(data_dir: Path, **limits: int) -> TestClient:
    app = create_app(data_dir, limits=Limits(**limits), allowed_hosts=["testserver"])
    return TestClient(app)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def client(data_dir: Path):
    with _client(data_dir) as c:
        yield c


def _upload(client: TestClient, files: list[tuple[str, bytes]], form: dict | None = None):
    return client.post("/api/reviews", data=form if form is not None else FORM,
                       files=[("files", (name, blob, "application/octet-stream"))
                              for name, blob in files])


def _wait(client: TestClient, review_id: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(f"/api/reviews/{review_id}/status").json()
        if status["done"]:
            return status
        assert time.monotonic() < deadline, f"review still {status['status']}"
        time.sleep(0.1)


def _reviewed(client: TestClient, files: list[tuple[str, bytes]], form: dict | None = None
              ) -> str:
    response = _upload(client, files, form)
    assert response.status_code == 202, response.text
    review_id = response.json()["id"]
    status = _wait(client, review_id)
    assert status["status"] == "done", status
    return review_id


def _stored_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in (data_dir / "uploads").rglob("*") if p.is_file())


# ---- upload and review ----------------------------------------------------------------------

def test_uploaded_note_gets_the_same_review_as_the_command_line(client):
    review_id = _reviewed(client, [(NOTE.name, NOTE.read_bytes())])
    got = client.get(f"/api/reviews/{review_id}")
    want = review_chart([NOTE], ReviewRequest(cpt=("72131",), request_date="2026-10-14",
                                              age=57))
    assert got.headers["content-type"].startswith("application/json")
    assert got.text == want.to_json()


def test_review_stages_are_reported_in_order():
    stages: list[str] = []
    run_review([NOTE], ["note.txt"], ReviewRequest(cpt=("72131",)), on_stage=stages.append,
               max_pages=10, max_bytes=1_000_000)
    assert stages == ["reading", "extracting", "scoring"]


def test_a_running_review_does_not_block_the_server(client, monkeypatch):
    import threading

    from priorauth.web import jobs

    release = threading.Event()
    real = jobs.run_review

    def slow(*args, on_stage, **kwargs):
        def stage(name):
            on_stage(name)
            if name == "extracting":
                assert release.wait(timeout=60)

        return real(*args, on_stage=stage, **kwargs)

    monkeypatch.setattr(jobs, "run_review", slow)
    review_id = _upload(client, [(NOTE.name, NOTE.read_bytes())]).json()["id"]
    deadline = time.monotonic() + 60
    while client.get(f"/api/reviews/{review_id}/status").json()["status"] != "extracting":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    started = time.monotonic()
    assert client.get("/").status_code == 200
    page = client.get(f"/reviews/{review_id}")
    assert time.monotonic() - started < 5
    assert 'id="progress"' in page.text and "/static/progress.js" in page.text
    assert client.get(f"/api/reviews/{review_id}").status_code == 409
    release.set()
    assert _wait(client, review_id)["status"] == "done"


def test_review_page_shows_determination_criteria_evidence_and_missing(client):
    review_id = _reviewed(client, [(NOTE.name, NOTE.read_bytes())])
    page = client.get(f"/reviews/{review_id}")
    assert page.status_code == 200
    html = page.text
    assert "MEETS CRITERIA" in html
    assert 'id="crit-ind.1.2.2"' in html and 'id="crit-non.1"' in html
    assert "No improvement after 8 weeks of PT" in html
    assert "Missing documentation" in html


def test_missing_documentation_lists_the_unknown_leaves(client):
    case = SAMPLES / "15_thoracic_myelopathy_no_mri_info"
    request = json.loads((case / "request.json").read_text())
    note = next(case.glob("*.txt"))
    review_id = _reviewed(client, [(note.name, note.read_bytes())],
                          {"cpt": " ".join(request["cpt"]),
                           "request_date": request["request_date"],
                           "age": str(request["age"])})
    review = client.get(f"/api/reviews/{review_id}").json()
    assert review["determination"] == "insufficient_documentation"
    html = client.get(f"/reviews/{review_id}").text
    section = html.split('id="missing"', 1)[1].split("</section>", 1)[0]
    for missing in review["missing"]:
        for leaf in missing["unknown"]:
            assert f'data-target="{leaf}"' in section


def test_unreadable_chart_fails_the_review_with_the_uploaded_name(client, make_pdf):
    blank = make_pdf("scan.pdf", [[]])  # image only: no text layer
    response = _upload(client, [("my scan.pdf", blank.read_bytes())])
    review_id = response.json()["id"]
    status = _wait(client, review_id)
    assert status["status"] == "failed"
    assert "my scan.pdf" in status["error"]
    assert not re.search(r"[0-9a-f]{32}", status["error"]), "names the stored file"
    assert "my scan.pdf" in client.get(f"/reviews/{review_id}").text


def test_two_files_with_the_same_name_are_told_apart(client, data_dir):
    review_id = _reviewed(client, [("note.txt", NOTE.read_bytes()),
                                   ("note.txt", b"Follow-up: doing well.\n")])
    review = client.get(f"/api/reviews/{review_id}").json()
    assert [d["name"] for d in review["documents"]] == ["note.txt", "note (2).txt"]


# ---- malicious uploads ----------------------------------------------------------------------

def test_html_and_script_in_a_note_are_escaped_everywhere(client):
    note = NOTE.read_text().replace(
        "No improvement after 8 weeks of PT.",
        "No improvement after 8 weeks of PT <script>alert(1)</script><img src=x onerror=y>.")
    review_id = _reviewed(client, [("<b onclick=y>evil.txt", note.encode())])
    review = client.get(f"/api/reviews/{review_id}").json()
    quotes = [ev["text"] for c in review["criteria"] for ev in c["evidence"]]
    assert any("<script>alert(1)</script>" in q for q in quotes)
    for url in (f"/reviews/{review_id}", f"/reviews/{review_id}/report"):
        html = client.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<b on" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&lt;b onclick=y&gt;evil.txt" in html


def test_path_in_the_file_name_is_dropped_and_the_file_stored_under_a_random_name(
        client, data_dir, tmp_path):
    review_id = _reviewed(client, [("../../x.pdf", PDF.read_bytes())], {"cpt": "72125"})
    review = client.get(f"/api/reviews/{review_id}").json()
    assert [d["name"] for d in review["documents"]] == ["x.pdf"]
    stored = _stored_files(data_dir)
    assert len(stored) == 1
    assert stored[0].parent == data_dir / "uploads" / review_id
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", stored[0].name)
    assert stored[0].stat().st_mode & 0o077 == 0
    assert not any(tmp_path.rglob("x.pdf"))


def test_a_50_mb_upload_is_refused_before_it_is_read(client, data_dir):
    response = _upload(client, [("big.txt", b"a" * (50 * 1024 * 1024))])
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert _stored_files(data_dir) == []


def test_a_file_over_the_file_size_limit_is_refused(data_dir):
    with _client(data_dir, max_file_bytes=1_000) as client:
        response = _upload(client, [("note.txt", NOTE.read_bytes())])
    assert response.status_code == 413
    assert response.json()["detail"].startswith("note.txt: file is too large")
    assert _stored_files(data_dir) == []


def test_a_streamed_upload_over_the_limit_is_refused(data_dir):
    def body():
        for _ in range(20):
            yield b"x" * 10_000

    with _client(data_dir, max_request_bytes=50_000) as client:
        response = client.post("/api/reviews", content=body(),
                               headers={"content-type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413


@pytest.mark.parametrize(("name", "blob", "status", "message"), [
    ("scan.pdf", PNG, 415, "scan.pdf: not a PDF file (its content has no %PDF header)"),
    ("note.pdf", b"Pt with LBP x 8 weeks.\n", 415, "note.pdf: not a PDF file"),
    ("image.txt", PNG, 415, "image.txt: not a text file (binary content)"),
    ("blob.txt", b"abc\x00\x01\x02" * 100, 415, "blob.txt: not a text file"),
    ("page.html", b"<html><script>alert(1)</script></html>", 415,
     "page.html: unsupported file type '.html'"),
    ("empty.txt", b"  \n", 400, "empty.txt: file is empty"),
    ("broken.pdf", b"%PDF-1.4\n garbage", 400, "broken.pdf: PDF is damaged"),
], ids=["png-renamed-pdf", "text-renamed-pdf", "png-renamed-txt", "binary-txt", "html",
        "empty", "damaged-pdf"])
def test_file_whose_content_is_not_an_accepted_type_is_refused(client, data_dir, name, blob,
                                                                status, message):
    response = _upload(client, [(name, blob)])
    assert response.status_code == status
    assert response.json()["detail"].startswith(message)
    assert _stored_files(data_dir) == []


def test_encrypted_pdf_is_refused(client, make_pdf):
    locked = make_pdf("locked.pdf", [["LBP x 8 weeks"]], encrypt="secret")
    response = _upload(client, [("locked.pdf", locked.read_bytes())])
    assert response.status_code == 400
    assert "encrypted" in response.json()["detail"]


def test_pdf_over_the_page_limit_is_refused(data_dir, make_pdf):
    pdf = make_pdf("long.pdf", [["page"]] * 3)
    with _client(data_dir, max_pages=2) as client:
        response = _upload(client, [("long.pdf", pdf.read_bytes())])
    assert response.status_code == 422
    assert response.json()["detail"] == ("long.pdf: PDF has 3 pages, more than the limit of 2; "
                                         "split it into smaller files")


def test_too_many_files_are_refused(data_dir):
    with _client(data_dir, max_files=2) as client:
        response = _upload(client, [("a.txt", b"a"), ("b.txt", b"b"), ("c.txt", b"c")])
    assert response.status_code == 400


@pytest.mark.parametrize(("form", "message"), [
    ({"request_date": "2026-10-14"}, "at least one CPT code is required"),
    ({"cpt": "72131", "request_date": "14/10/2026"}, "request date is not a date"),
    ({"cpt": "72131", "age": "57", "dob": "1969-01-01"}, "give either age or date of birth"),
    ({"cpt": "7213"}, "CPT code '7213' is not a 5-character code"),
], ids=["no-cpt", "bad-date", "age-and-dob", "short-cpt"])
def test_bad_request_fields_are_refused_with_the_reason(client, form, message):
    response = _upload(client, [("note.txt", NOTE.read_bytes())], form)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_no_file_is_refused(client):
    response = client.post("/api/reviews", data=FORM)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("no file uploaded")


# ---- decisions and audit trail --------------------------------------------------------------

@pytest.fixture
def reviewed(client):
    return _reviewed(client, [(NOTE.name, NOTE.read_bytes())])


def _decide(client, review_id, criterion, action, comment="", reviewer="A. Reviewer"):
    return client.post(f"/api/reviews/{review_id}/decisions",
                       json={"criterion_id": criterion, "action": action, "comment": comment,
                             "reviewer": reviewer})


def test_decisions_are_appended_and_the_latest_is_current(client, reviewed):
    assert _decide(client, reviewed, "ind.1.2.2", "agree").status_code == 201
    second = _decide(client, reviewed, "ind.1.2.2", "disagree", "PT was planned only",
                     reviewer="B. Reviewer")
    assert second.status_code == 201
    assert second.json()["previous_action"] == "agree"
    assert _decide(client, reviewed, "final", "approve", "ok").status_code == 201
    data = client.get(f"/api/reviews/{reviewed}/decisions").json()
    assert [(d["criterion_id"], d["action"], d["reviewer"]) for d in data["decisions"]] == [
        ("ind.1.2.2", "agree", "A. Reviewer"), ("ind.1.2.2", "disagree", "B. Reviewer"),
        ("final", "approve", "A. Reviewer")]
    assert data["current"]["ind.1.2.2"]["action"] == "disagree"
    assert data["current"]["final"]["action"] == "approve"
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d["timestamp"])
               for d in data["decisions"])


@pytest.mark.parametrize(("criterion", "action", "comment", "reviewer", "message"), [
    ("final", "deny", "", "A", "literal_error"),
    ("final", "agree", "", "A", "approve or refer_to_physician (the tool never denies)"),
    ("ind.99", "agree", "", "A", "no criterion 'ind.99' in this review"),
    ("ind.1", "approve", "", "A", "a criterion decision is agree, disagree or comment"),
    ("ind.1", "agree", "", "  ", "string_too_short"),
    ("ind.1", "comment", "", "A", "a comment needs some text"),
], ids=["deny", "final-agree", "unknown-criterion", "criterion-approve", "no-reviewer",
        "empty-comment"])
def test_invalid_decisions_are_refused(client, reviewed, criterion, action, comment, reviewer,
                                       message):
    response = _decide(client, reviewed, criterion, action, comment, reviewer)
    assert response.status_code == 422
    assert message in json.dumps(response.json())
    assert client.get(f"/api/reviews/{reviewed}/decisions").json()["decisions"] == []


def test_audit_trail_cannot_be_updated_or_deleted(client, reviewed, data_dir):
    _decide(client, reviewed, "final", "refer_to_physician", "needs MD")
    db = sqlite3.connect(data_dir / "priorauth.sqlite3")
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("UPDATE decisions SET action = 'approve'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("DELETE FROM decisions")
    finally:
        db.close()
    assert client.get(f"/api/reviews/{reviewed}/decisions").json()["current"]["final"][
        "action"] == "refer_to_physician"


def test_review_and_decisions_are_there_after_a_restart(data_dir):
    with _client(data_dir) as client:
        review_id = _reviewed(client, [(NOTE.name, NOTE.read_bytes())])
        _decide(client, review_id, "final", "approve", "all documented")
    with _client(data_dir) as client:
        assert client.get(f"/reviews/{review_id}").status_code == 200
        decisions = client.get(f"/api/reviews/{review_id}/decisions").json()["decisions"]
        assert [(d["action"], d["comment"]) for d in decisions] == [
            ("approve", "all documented")]
        report = client.get(f"/reviews/{review_id}/report").text
        assert "approve by A. Reviewer" in report


def test_review_left_running_by_a_stopped_server_is_marked_failed(data_dir):
    data_dir.mkdir(parents=True)
    store = Store(data_dir / "priorauth.sqlite3")
    store.add_review("a" * 32, '{"cpt": ["72131"]}', [])
    store.set_status("a" * 32, "extracting")
    store.close()
    with _client(data_dir) as client:
        status = client.get(f"/api/reviews/{'a' * 32}/status").json()
    assert status["status"] == "failed"
    assert "server stopped" in status["error"]


# ---- evidence -------------------------------------------------------------------------------

def test_page_image_and_highlight_boxes_of_a_pdf_quote(client):
    review_id = _reviewed(client, [(PDF.name, PDF.read_bytes())], {"cpt": "72125"})
    review = client.get(f"/api/reviews/{review_id}").json()
    ev = next(ev for c in review["criteria"] for ev in c["evidence"] if ev["page"] == 2)
    png = client.get(f"/api/reviews/{review_id}/documents/0/pages/2.png?scale=1")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    boxes = client.get(f"/api/reviews/{review_id}/documents/0/boxes",
                       params={"page": 2, "start": ev["start"], "end": ev["end"]}).json()
    assert (boxes["page_width"], boxes["page_height"]) == (612.0, 792.0)
    assert boxes["boxes"]
    for x0, y0, x1, y1 in boxes["boxes"]:
        assert 0 <= x0 < x1 <= 612 and 0 <= y0 < y1 <= 792
    assert client.get(f"/api/reviews/{review_id}/documents/0/pages/9.png").status_code == 404
    assert client.get(f"/api/reviews/{review_id}/documents/7/pages/1.png").status_code == 404


def test_multi_line_quote_gets_one_box_per_line(tmp_path, make_pdf):
    from priorauth.extract.ingest import read_document
    from priorauth.web.highlight import evidence_boxes

    pdf = make_pdf("two.pdf", [["Pain radiates to the left", "calf since June."]])
    text = read_document(pdf).pages[0].text
    start = text.index("radiates")
    end = text.index("June") + 4
    found = evidence_boxes(pdf, 1, start, end)
    assert len(found.boxes) == 2
    first, second = found.boxes
    assert first.y1 <= second.y0 + 1  # second line below the first (origin top-left)
    # reportlab puts the baselines 750 and 736 pt above the bottom of the page
    assert abs(first.y1 - (found.page_height - 750)) < 4
    assert abs(second.y1 - (found.page_height - 736)) < 4


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_highlight_box_covers_the_quote_on_a_rotated_page(tmp_path, make_pdf, rotation):
    import io

    import pypdfium2 as pdfium
    from PIL import Image

    from priorauth.extract.ingest import read_document
    from priorauth.web.highlight import Box, evidence_boxes, page_image

    source = make_pdf("page.pdf", [["Heading line"] + [""] * 20 + ["Target words here"]])
    pdf = pdfium.PdfDocument(source)
    pdf[0].set_rotation(rotation)
    rotated = tmp_path / f"rotated{rotation}.pdf"
    pdf.save(rotated)
    pdf.close()
    text = read_document(rotated).pages[0].text
    start = text.index("Target words here")
    found = evidence_boxes(rotated, 1, start, start + len("Target words here"))
    assert found.boxes
    # the quote's extent (on a rotated page, the boxes may be one per character)
    box = Box(min(b.x0 for b in found.boxes), min(b.y0 for b in found.boxes),
              max(b.x1 for b in found.boxes), max(b.y1 for b in found.boxes))
    across = box.x1 - box.x0 > box.y1 - box.y0
    assert across == (rotation in (0, 180))
    image = Image.open(io.BytesIO(page_image(rotated, 1, scale=1))).convert("L")
    assert abs(image.size[0] - found.page_width) <= 1
    assert abs(image.size[1] - found.page_height) <= 1
    in_box = sum(image.crop((int(box.x0), int(box.y0), int(box.x1) + 1,
                             int(box.y1) + 1)).histogram()[:128])
    on_page = sum(image.histogram()[:128])
    assert in_box > 100
    # "Target words here" is more than half of the ink ("Heading line" is the rest)
    assert 0.5 * on_page < in_box < 0.75 * on_page


def test_text_document_is_served_as_text_not_image(client):
    review_id = _reviewed(client, [(NOTE.name, NOTE.read_bytes())])
    doc = client.get(f"/api/reviews/{review_id}/documents/0/text").json()
    assert doc["pages"][0]["text"] == NOTE.read_text()
    assert client.get(f"/api/reviews/{review_id}/documents/0/pages/1.png").status_code == 404


# ---- export, safety headers, logs -----------------------------------------------------------

def test_exports_review_json_and_printable_report(client, reviewed):
    download = client.get(f"/api/reviews/{reviewed}?download=true")
    assert download.headers["content-disposition"] == (
        f'attachment; filename="review-{reviewed}.json"')
    assert json.loads(download.text)["determination"] == "meets_criteria"
    report = client.get(f"/reviews/{reviewed}/report")
    assert report.status_code == 200 and "<h2>Audit trail</h2>" in report.text
    assert "script-src" not in report.headers["content-security-policy"]


def test_pages_load_nothing_from_outside_and_send_a_strict_csp(client, reviewed):
    urls = ["/", f"/reviews/{reviewed}", "/static/app.css", "/static/review.js",
            "/static/upload.js", "/static/common.js", "/static/progress.js"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        external = re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", response.text, re.I)
        assert external == [], url
    csp = client.get("/").headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp


def test_foreign_host_and_cross_origin_posts_are_refused(client, reviewed):
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400
    response = client.post(f"/api/reviews/{reviewed}/decisions",
                           json={"criterion_id": "final", "action": "approve",
                                 "reviewer": "x"},
                           headers={"origin": "http://evil.example"})
    assert response.status_code == 403


def test_unknown_or_malformed_review_ids(client):
    assert client.get(f"/reviews/{'0' * 32}").status_code == 404
    assert client.get("/reviews/..%2F..%2Fetc").status_code in (404, 422)
    assert client.get("/api/reviews/ABC/status").status_code == 422


def test_logs_hold_ids_but_no_chart_text_or_file_names(client, caplog):
    caplog.set_level(logging.DEBUG)
    review_id = _reviewed(client, [("secret-patient-name.txt", NOTE.read_bytes())])
    _decide(client, review_id, "final", "approve", "comment text", reviewer="Dr Who")
    _upload(client, [("other-patient.pdf", PNG)])
    messages = "\n".join(r.getMessage() for r in caplog.records)
    assert review_id in messages
    for secret in ("secret-patient-name", "other-patient", "naproxen", "Dr Who",
                   "comment text", "pacemaker"):
        assert secret not in messages


# ---- command line ---------------------------------------------------------------------------

def test_serve_subcommand_defaults_to_loopback(capsys):
    from priorauth.cli import build_parser

    args = build_parser().parse_args(["serve", "--data-dir", "d"])
    assert (args.host, args.port, args.data_dir) == ("127.0.0.1", 8000, "d")
    assert main(["serve", "--data-dir", "d", "--port", "99999"]) == 2
    assert "'99999' is not a TCP port" in capsys.readouterr().err


def test_a_low_confidence_ocr_quote_is_flagged_on_the_page():
    from priorauth.models import Evidence
    from priorauth.web.app import _template_env

    template = _template_env().from_string(
        '{% from "_quote.html" import quote with context %}{{ quote(ev) }}')
    low = Evidence(document="fax.pdf", page=2, start=0, end=5, text="PT x8", ocr_confidence=41.2)
    high = low.model_copy(update={"ocr_confidence": 95.0})
    assert "OCR confidence 41%: check the page" in template.render(ev=low, positions={},
                                                                   kinds={})
    assert "OCR confidence" not in template.render(ev=high, positions={}, kinds={})


def test_a_packet_page_of_another_patient_is_alerted_first_on_the_review_page(client, make_pdf):
    """The intake names the patient; the page naming another patient is excluded and the
    alert stands above the determination (issue 14)."""
    his = ["OFFICE NOTE   Date of service: 10/02/2026", "Patient: SAMPLE, JOHN Q",
           "58 yo M with new low back pain for 10 weeks, no fall or injury. He completed",
           "physical therapy twice a week for 8 weeks without improvement and has taken",
           "naproxen since July without relief. Exam: positive straight leg raise on the",
           "left. Plan: CT of the lumbar spine; MRI safety to be confirmed."]
    hers = ["DEVICE CLINIC NOTE   Date: 09/15/2026", "Patient: SAMPLES, JOAN P.",
            "Pacemaker not MR conditional. MRI is contraindicated."]
    packet = make_pdf("packet.pdf", [his, hers])
    form = {**FORM, "patient_name": "John Sample", "mrn": ""}
    review_id = _reviewed(client, [("packet.pdf", packet.read_bytes())], form)
    review = client.get(f"/api/reviews/{review_id}").json()
    assert [(a["kind"], a["page"]) for a in review["alerts"]] == [("other_patient", 2)]
    html = client.get(f"/reviews/{review_id}").text
    assert 'data-alert="other_patient"' in html
    assert html.index('id="alerts"') < html.index('id="determination"')
    assert "packet.pdf page 2 names another patient" in html
    assert "MR conditional" not in html and "JOAN" not in html.upper()  # nothing of hers quoted
