"""A reviewer's day in a real headless Chromium (Debian's /usr/bin/chromium), with sign-in:
a nurse uploads with intake fields, sees the case in the worklist with its due time, corrects a
criterion and sees the determination change, refers to a physician; the physician records an
adverse decision with a reason naming the unmet criteria; sign-out; a cross-site POST without
the CSRF token is refused; two uploads are reviewed at the same time. Screenshots at 1440 and
1024 px go to a temp folder (printed)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from browser import serve

from priorauth.web.app import create_app
from priorauth.web.auth import hash_password
from priorauth.web.store import Store

playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[1]
NOTE = ROOT / "sample_notes" / "01_pt_failed_pacemaker" / "spine_followup_2026-10-02.txt"
PASSWORD = "correct horse battery"
TIMEOUT_MS = 180_000
SHOTS = Path(tempfile.mkdtemp(prefix="priorauth-day-shots-"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("day-data")
    store = Store(data / "priorauth.sqlite3")
    store.add_user("Nurse Ann", "nurse", hash_password(PASSWORD))
    store.add_user("Dr Phil", "physician", hash_password(PASSWORD))
    store.close()
    app = create_app(data)
    with serve(app) as url:
        yield url


def _utc(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _shot(page, name: str) -> None:
    for width in (1440, 1024):
        page.set_viewport_size({"width": width, "height": 1000})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 1000})


def _sign_in(page, server: str, name: str) -> None:
    page.goto(server + "/signin")
    page.fill("#signin-name", name)
    page.fill("#signin-password", PASSWORD)
    page.click("#signin-submit")
    page.wait_for_load_state()
    assert page.url == server + "/", (page.url, page.content()[:500])
    assert name in page.inner_text("#who")


def _fill_upload(page, server: str, patient: str, member: str, case: str) -> None:
    page.goto(server + "/")
    page.set_input_files("#files", str(NOTE))
    page.fill("#cpt", "72131")
    page.fill("#request_date", "2026-10-14")
    page.fill("#age", "57")
    page.fill("#patient_name", patient)
    page.fill("#member_id", member)
    page.fill("#case_number", case)
    page.fill("#ordering_provider", "Dr. Ordering")
    page.select_option("#urgency", "expedited")


def test_a_reviewers_day(browser, server):
    print(f"screenshots: {SHOTS}")
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    errors: list[str] = []
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server + "/")
    assert page.url.endswith("/signin")
    _shot(page, "01-signin")
    _sign_in(page, server, "Nurse Ann")

    # two uploads reviewed at the same time, from two tabs
    other = context.new_page()
    _fill_upload(page, server, "Ann Example", "M-1001", "C-77")
    _shot(page, "02-upload-form")
    _fill_upload(other, server, "Bob Second", "M-2002", "C-88")
    page.click("#submit")
    other.click("#submit")
    for tab in (page, other):
        tab.wait_for_url(re.compile(r".*/reviews/[0-9a-f]{32}$"), timeout=TIMEOUT_MS)
        tab.wait_for_selector("#determination", timeout=TIMEOUT_MS)
    review_url = page.url
    review_id = review_url.rsplit("/", 1)[1]
    other.close()

    # the worklist with both cases and their due time (expedited: 72 hours)
    page.goto(server + "/")
    row = page.locator(f"tr.case[data-id='{review_id}']")
    assert "Ann Example" in row.inner_text() and "M-1001" in row.inner_text()
    assert "expedited" in row.inner_text()
    received = row.locator("td").nth(4).locator("time").get_attribute("datetime")
    due = row.locator("td.due time").get_attribute("datetime")
    hours = (_utc(due) - _utc(received)).total_seconds() / 3600
    assert hours == 72
    assert page.locator("tr.case").count() == 2
    page.fill("#q", "M-2002")
    page.click("#apply-filters")
    assert page.locator("tr.case").count() == 1 and "Bob Second" in page.inner_text("#worklist")
    _shot(page, "03-worklist")

    # open the case: intake fields shown; correct a met criterion, the determination follows
    page.goto(review_url)
    assert "C-77" in page.inner_text("#case") and "Dr. Ordering" in page.inner_text("#case")
    before = page.inner_text("#determination h1")
    machine = page.request.get(f"{server}/api/reviews/{review_id}").json()
    assert machine["determination"] == "meets_criteria"
    met = next(c["id"] for c in machine["criteria"]
               if c["id"].startswith("ind.") and c["id"].count(".") == 1
               and c["status"] == "met")
    _shot(page, "04-review")
    page.select_option("#correct-criterion", met)
    page.select_option("#correct-status", "not_met")
    page.click("#correct-apply")
    assert "needs a comment" in page.inner_text("#correct-error")
    page.fill("#correct-comment", "The PT record is for another episode")
    page.click("#correct-apply")
    page.wait_for_selector("#machine-vs")
    assert page.inner_text("#determination h1") != before
    assert "Meets criteria" in page.inner_text("#machine-determination") or \
        "MEETS" in page.inner_text("#machine-determination").upper()
    assert "another episode" in page.inner_text("#corrections")
    _shot(page, "05-corrected")

    # refer to the physician (name from the session)
    page.click("button[data-final=refer_to_physician]")
    page.wait_for_selector("#final-state[data-action=refer_to_physician]")
    assert "Nurse Ann" in page.inner_text("#final-state")

    # a cross-site POST with the session cookie but without the CSRF token is refused
    refused = page.request.post(f"{server}/api/reviews/{review_id}/decisions",
                                data={"criterion_id": "final", "action": "approve"})
    assert refused.status == 403
    foreign = page.request.post(f"{server}/api/reviews/{review_id}/decisions",
                                data={"criterion_id": "final", "action": "approve"},
                                headers={"Origin": "http://evil.example"})
    assert foreign.status == 403

    # sign out
    page.click("#signout")
    page.wait_for_url(server + "/signin")
    page.goto(review_url)
    assert page.url.endswith("/signin")

    # the physician records the final decision with a reason naming the unmet criterion
    _sign_in(page, server, "Dr Phil")
    page.goto(server + "/?state=referred+to+physician")
    assert page.locator("tr.case").count() == 1
    page.goto(review_url)
    page.fill("#physician-reason", "Physical therapy is documented for another episode only")
    page.select_option("#physician-criteria", [met])
    _shot(page, "06-physician")
    page.click("#physician-adverse")
    page.locator("#case-state", has_text="physician decision").wait_for()
    page.goto(server + "/")
    assert "physician decision" in page.locator(f"tr.case[data-id='{review_id}']").inner_text()
    _shot(page, "07-worklist-after")
    page.click("#signout")
    page.wait_for_url(server + "/signin")
    assert errors == []
    context.close()
