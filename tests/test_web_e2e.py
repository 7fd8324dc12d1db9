"""End to end: the reviewer page in a real headless Chromium (Debian's /usr/bin/chromium).

A uvicorn server runs the app on 127.0.0.1 in a background thread; the browser only talks to
it. Screenshots go to ``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pdfplumber
import pytest
from browser import serve

from priorauth.web.app import create_app

playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_notes"
ARTIFACTS = ROOT / "test-artifacts"
PDF = SAMPLES / "05_myelopathy_cochlear_pdf" / "neurology_and_audiology.pdf"
PAGE2_QUOTE = "Manufacturer documentation reviewed: device is not MR conditional; MRI is " \
              "contraindicated."
REVIEW_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    app = create_app(tmp_path_factory.mktemp("web-data"))
    with serve(app) as url:
        yield url


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.requests = requests
    page.dialogs = dialogs
    yield page
    context.close()
    outside = [url for url in requests if not url.startswith(server + "/")]
    assert outside == [], "the page must not request anything outside its own server"
    # refused uploads log their HTTP status; nothing else may fail (script errors, CSP)
    assert [e for e in errors if "status of 415" not in e] == []


def _upload(page, server: str, files, *, cpt: str, request_date: str, age: str) -> None:
    page.goto(server + "/")
    page.set_input_files("#files", files)
    page.fill("#cpt", cpt)
    page.fill("#request_date", request_date)
    page.fill("#age", age)
    page.click("#submit")
    page.wait_for_url(re.compile(r".*/reviews/[0-9a-f]{32}$"), timeout=REVIEW_TIMEOUT_MS)
    page.wait_for_selector("#determination", timeout=REVIEW_TIMEOUT_MS)


def _words_box(pdf_path: Path, page_number: int, first: str, last: str):
    """The quote's box on the page, from pdfplumber (independent of the app), as fractions."""
    with pdfplumber.open(pdf_path) as pdf:
        pg = pdf.pages[page_number - 1]
        words = pg.extract_words()
        a = next(w for w in words if w["text"] == first)
        b = next(w for w in words if w["text"] == last and w["top"] >= a["top"] - 1)
        return (a["x0"] / pg.width, a["top"] / pg.height, b["x1"] / pg.width,
                b["bottom"] / pg.height)


def test_upload_pdf_open_evidence_highlight_on_right_page_and_decision_survives_reload(
        page, server):
    _upload(page, server, str(PDF), cpt="72125", request_date="2026-10-14", age="68")
    headline = page.inner_text("#determination h1")
    assert headline.startswith("Meets criteria — ")  # the indication in words
    assert page.inner_text("#determination .verdict-line").startswith("MEETS CRITERIA")

    page.click("#expand-all")
    quote = page.locator("#crit-ind\\.1\\.1 .quote", has_text=PAGE2_QUOTE).first
    quote.click()
    page.wait_for_selector("#viewer[data-state=highlighted]")
    assert page.get_attribute("#viewer", "data-page") == "2"
    assert "/pages/2.png" in page.get_attribute("#page-img", "src")
    assert page.evaluate("document.getElementById('page-img').naturalWidth") > 0

    img = page.locator("#page-img").bounding_box()
    boxes = [b.bounding_box() for b in page.locator("#boxes .hl").all()]
    assert len(boxes) == 1, "a one-line quote gets one highlight box"
    box = boxes[0]
    drawn = ((box["x"] - img["x"]) / img["width"], (box["y"] - img["y"]) / img["height"],
             (box["x"] + box["width"] - img["x"]) / img["width"],
             (box["y"] + box["height"] - img["y"]) / img["height"])
    expected = _words_box(PDF, 2, "Manufacturer", "contraindicated.")
    assert all(abs(d - e) < 0.015 for d, e in zip(drawn, expected, strict=True)), (
        drawn, expected)

    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#viewer").screenshot(path=str(ARTIFACTS / "review-evidence.png"))

    page.fill("#reviewer", "Test Reviewer")
    decide = page.locator("#crit-ind\\.1\\.1 > details > .node-body > .decide")
    decide.locator(".comment").fill("audiology letter confirms the implants")
    decide.locator("button[data-action=agree]").click()
    page.wait_for_selector("[data-verdict-for='ind.1.1']:has-text('agreed by Test Reviewer')")
    page.fill("#final-comment", "cochlear implants documented on p.2")
    page.click("button[data-final=refer_to_physician]")
    page.wait_for_selector("#final-state:has-text('Referred to physician by Test Reviewer')")
    page.screenshot(path=str(ARTIFACTS / "review-decision.png"), full_page=False)

    page.reload()
    page.wait_for_selector("body[data-decisions-loaded='2']")
    assert "Referred to physician by Test Reviewer" in page.inner_text("#final-state")
    assert "cochlear implants documented on p.2" in page.inner_text("#final-state")
    verdict = page.text_content("[data-verdict-for='ind.1.1']")
    assert "agreed by Test Reviewer" in verdict
    audit = page.locator("#audit-table tbody tr")
    assert audit.count() == 2
    assert "Referred to physician" in audit.nth(1).inner_text()  # in words; ids in details
    assert "ind.1.1" not in audit.nth(0).inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "review-page.png"), full_page=False)
    page.screenshot(path=str(ARTIFACTS / "review-page-full.png"), full_page=True)


def test_progress_is_shown_while_a_chart_is_processed(page, server, monkeypatch):
    from priorauth.web import jobs

    real = jobs.run_review

    def slow(*args, on_stage, **kwargs):
        def stage(name):
            on_stage(name)
            time.sleep(1.5)

        return real(*args, on_stage=stage, **kwargs)

    monkeypatch.setattr(jobs, "run_review", slow)
    page.goto(server + "/")
    page.set_input_files("#files", str(PDF))
    page.fill("#cpt", "72125")
    page.click("#submit")
    page.wait_for_selector("#progress[data-stage=extracting]")
    assert page.is_visible("#progress .stages li.active:has-text('Extracting')")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "upload-progress.png"))
    page.wait_for_url(re.compile(r".*/reviews/[0-9a-f]{32}$"), timeout=REVIEW_TIMEOUT_MS)
    page.wait_for_selector("#determination")


def test_review_page_opened_while_running_shows_progress_then_the_review(
        page, server, monkeypatch):
    from priorauth.web import jobs

    real = jobs.run_review

    def slow(*args, on_stage, **kwargs):
        def stage(name):
            on_stage(name)
            time.sleep(1.0)

        return real(*args, on_stage=stage, **kwargs)

    monkeypatch.setattr(jobs, "run_review", slow)
    response = page.request.post(server + "/api/reviews", multipart={
        "files": {"name": "note.txt", "mimeType": "text/plain",
                  "buffer": (SAMPLES / "01_pt_failed_pacemaker" /
                             "spine_followup_2026-10-02.txt").read_bytes()},
        "cpt": "72131"})
    assert response.status == 202
    page.goto(server + response.json()["review_url"])
    assert page.is_visible("#progress")
    page.wait_for_selector("#determination", timeout=REVIEW_TIMEOUT_MS)


def test_discarded_facts_are_shown_on_request(page, server):
    _upload(page, server, str(PDF), cpt="72125", request_date="2026-10-14", age="68")
    assert not page.is_visible("#discarded table")
    page.click("#discarded > summary")
    rows = page.locator("#discarded tbody tr")
    assert rows.count() > 0
    assert "— denied" in page.inner_text("#discarded tbody")  # in words; rule ids in details


def test_malicious_note_is_rendered_inert(page, server):
    note = (SAMPLES / "01_pt_failed_pacemaker" / "spine_followup_2026-10-02.txt").read_text()
    note = note.replace("No improvement after 8 weeks of PT.",
                        "No improvement after 8 weeks of PT <img src=x "
                        "onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>.")
    assert "<script>" in note
    evil = {"name": "<img src=y onerror=alert(1)>.txt", "mimeType": "text/html",
            "buffer": note.encode()}
    _upload(page, server, [evil], cpt="72131", request_date="2026-10-14", age="57")
    page.click("#expand-all")
    quote = page.locator(".quote", has_text="<script>window.__pwned=2</script>").first
    quote.click()
    page.wait_for_selector("#viewer[data-state=highlighted]")
    assert "<script>window.__pwned=2</script>" in page.inner_text("#viewer-text mark")
    assert "<img src=y onerror=alert(1)>.txt" in page.inner_text("#determination .documents")
    assert page.evaluate("window.__pwned") is None
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "malicious-note.png"))
    assert page.locator("main img:not(#page-img)").count() == 0
    assert page.locator("main script").count() == 0
    assert page.dialogs == []
    assert not any(re.search(r"/(x|y)$", url) for url in page.requests)


def test_refused_upload_shows_the_reason(page, server, tmp_path):
    fake = tmp_path / "scan.pdf"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    page.goto(server + "/")
    page.set_input_files("#files", str(fake))
    page.fill("#cpt", "72131")
    page.click("#submit")
    page.wait_for_selector("#error:not([hidden])")
    assert "scan.pdf: not a PDF file" in page.inner_text("#error")
