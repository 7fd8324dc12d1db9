"""Sign-in, roles, CSRF, intake fields, the worklist, corrections that recompute, retention:
the reviewer page through its HTTP API (FastAPI TestClient over https://testserver, so that
the Secure cookies are sent), on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import re
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from priorauth.cli import main
from priorauth.web.app import create_app
from priorauth.web.listen import NotLoopback, check_listen_host
from priorauth.web.retention import purge_expired

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SAMPLES = Path(__file__).resolve().parents[1] / "sample_notes"
NOTE = SAMPLES / "01_pt_failed_pacemaker" / "spine_followup_2026-10-02.txt"
FORM = {"cpt": "72131", "request_date": "2026-10-14", "age": "57",
        "patient_name": "Ann Example", "member_id": "M-1001", "case_number": "C-77",
        "ordering_provider": "Dr. Ordering", "urgency": "expedited"}
PASSWORD = "correct horse battery"


def _add_user(data: Path, name: str, role: str, monkeypatch, url: str | None = None) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    argv = ["users", "add", name, "--role", role, "--data-dir", str(data), "--password-stdin"]
    if url:
        argv += ["--database-url", url]
    assert main(argv) == 0


@pytest.fixture(params=["sqlite", "postgresql"])
def setup(request, tmp_path, monkeypatch):
    data = tmp_path / "data"
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    _add_user(data, "Nurse Ann", "nurse", monkeypatch, url)
    _add_user(data, "Dr Phil", "physician", monkeypatch, url)
    app = create_app(data, allowed_hosts=["testserver"], database_url=url)
    return app, data, url


def _client(app) -> TestClient:
    return TestClient(app, base_url="https://testserver")


def _csrf(client: TestClient, path: str = "/") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


def _sign_in(client: TestClient, name: str, password: str = PASSWORD):
    page = client.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/signin", data={"name": name, "password": password,
                                        "csrf_token": token}, follow_redirects=False)


def _wait(client, review_id):
    deadline = time.monotonic() + 120
    while not (status := client.get(f"/api/reviews/{review_id}/status").json())["done"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert status["status"] == "done", status


def _upload(client, csrf, form=FORM):
    response = client.post("/api/reviews", data={**form, "csrf_token": csrf},
                           files=[("files", (NOTE.name, NOTE.read_bytes()))])
    assert response.status_code == 202, response.text
    _wait(client, response.json()["id"])
    return response.json()["id"]


def test_pages_and_api_need_sign_in_and_a_wrong_password_is_refused(setup):
    app, _, _ = setup
    with _client(app) as client:
        assert client.get("/", follow_redirects=False).headers["location"] == "/signin"
        assert client.get("/api/reviews/" + "a" * 32 + "/status").status_code == 401
        assert client.post("/api/reviews", files=[("files", ("n.txt", b"x"))]
                           ).status_code == 401
        wrong = _sign_in(client, "Nurse Ann", "not the password")
        assert "error" in wrong.headers["location"]
        assert client.get("/", follow_redirects=False).status_code == 303
        ok = _sign_in(client, "Nurse Ann")
        assert ok.status_code == 303 and ok.headers["location"] == "/"
        cookie = ok.headers["set-cookie"]
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie
        assert client.get("/").status_code == 200


def test_day_of_a_case_nurse_corrects_refers_physician_decides(setup):
    app, data, url = setup
    with _client(app) as nurse:
        _sign_in(nurse, "Nurse Ann")
        csrf = _csrf(nurse)
        # a state-changing request without the token is refused
        no_token = nurse.post("/api/reviews", data=FORM,
                              files=[("files", (NOTE.name, NOTE.read_bytes()))])
        assert no_token.status_code == 403
        review_id = _upload(nurse, csrf)
        home = nurse.get("/").text
        assert "Ann Example" in home and "M-1001" in home and "C-77" in home
        assert "expedited" in home
        page = nurse.get(f"/reviews/{review_id}").text
        assert "Dr. Ordering" in page and "C-77" in page
        machine = nurse.get(f"/api/reviews/{review_id}").json()
        assert machine["determination"] == "meets_criteria"
        met = [c["id"] for c in machine["criteria"] if c["id"].count(".") == 1
               and c["status"] == "met" and c["id"].startswith("ind.")]
        # a correction without the token, or without a comment, is refused
        path = f"/api/reviews/{review_id}/criteria/{met[0]}/override"
        assert nurse.post(path, json={"status": "not_met", "comment": "x"}).status_code == 403
        assert nurse.post(path, json={"status": "not_met", "comment": ""},
                          headers={"X-CSRF-Token": csrf}).status_code == 422
        fixed = nurse.post(path, json={"status": "not_met", "comment": "PT was not done"},
                           headers={"X-CSRF-Token": csrf})
        assert fixed.status_code == 200, fixed.text
        body = fixed.json()
        assert body["machine_determination"] == "meets_criteria"
        assert body["determination"] != "meets_criteria"
        assert body["overrides"][met[0]]["reviewer"] == "Nurse Ann"
        assert "Machine determination" in nurse.get(f"/reviews/{review_id}").text
        report = nurse.get(f"/reviews/{review_id}/report").text
        assert "PT was not done" in report and "M-1001" in report
        # the name typed in the body is ignored: the session's name is stored
        refer = nurse.post(f"/api/reviews/{review_id}/decisions",
                           json={"criterion_id": "final", "action": "refer_to_physician",
                                 "reviewer": "Somebody Else"},
                           headers={"X-CSRF-Token": csrf})
        assert refer.status_code == 201 and refer.json()["reviewer"] == "Nurse Ann"
        assert nurse.post(f"/api/reviews/{review_id}/decisions",
                          json={"criterion_id": "final", "action": "physician_approve"},
                          headers={"X-CSRF-Token": csrf}).status_code == 403
        assert "referred to physician" in nurse.get("/?state=referred+to+physician").text
        signout = nurse.post("/signout", data={"csrf_token": csrf}, follow_redirects=False)
        assert signout.status_code == 303
        assert nurse.get("/", follow_redirects=False).status_code == 303
    with _client(app) as doc:
        _sign_in(doc, "Dr Phil")
        csrf = _csrf(doc)
        post = lambda payload: doc.post(f"/api/reviews/{review_id}/decisions",  # noqa: E731
                                        json={"criterion_id": "final", **payload},
                                        headers={"X-CSRF-Token": csrf})
        assert post({"action": "approve"}).status_code == 403  # the nurse's action
        assert post({"action": "physician_adverse", "comment": "no"}).status_code == 422
        assert post({"action": "physician_adverse", "comment": "Physical therapy was "
                     "never documented in the chart", "criteria": []}).status_code == 422
        met_now = [c["id"] for c in doc.get(f"/api/reviews/{review_id}/corrected").json()
                   ["review"]["criteria"] if c["status"] == "met"]
        assert post({"action": "physician_adverse", "comment": "x" * 30,
                     "criteria": met_now[:1]}).status_code == 422
        adverse = post({"action": "physician_adverse", "comment": "Physical therapy was "
                        "never documented in the chart", "criteria": [met[0]]})
        assert adverse.status_code == 201, adverse.text
        assert met[0] in adverse.json()["comment"] and "not met" in adverse.json()["comment"]
        assert "physician decision" in doc.get("/").text
    args = ["audit", "verify", "--data-dir", str(data)] + (["--database-url", url] if url
                                                           else [])
    assert main(args) == 0


def test_worklist_search_filter_and_due_marks(tmp_path, monkeypatch):
    data = tmp_path / "data"
    app = create_app(data, allowed_hosts=["testserver"])  # no accounts: loopback mode
    with TestClient(app) as client:
        for form in (FORM, {**FORM, "patient_name": "Bob Other", "member_id": "M-2002",
                            "case_number": "C-88", "urgency": "standard"}):
            response = client.post("/api/reviews", data=form,
                                   files=[("files", (NOTE.name, NOTE.read_bytes()))])
            _wait(client, response.json()["id"])
        assert "Bob Other" in client.get("/?q=m-2002").text
        assert "Ann Example" not in client.get("/?q=m-2002").text
        assert "Ann Example" in client.get("/?q=c-77").text
        assert "No case matches" in client.get("/?overdue=true").text
        due_first = client.get("/?sort=due").text
        assert due_first.index("Ann Example") < due_first.index("Bob Other")  # 72 h first
    from priorauth.web.routes.worklist import worklist_rows

    later = datetime.now(UTC) + timedelta(days=4)
    rows = {r["patient_name"]: r for r in worklist_rows(app.state.ctx, today=later)}
    assert rows["Ann Example"]["overdue"] and not rows["Bob Other"]["overdue"]
    due = datetime.fromisoformat(rows["Ann Example"]["due"].replace("Z", "+00:00"))
    rows = {r["patient_name"]: r for r in worklist_rows(app.state.ctx,
                                                         today=due - timedelta(seconds=1))}
    assert rows["Ann Example"]["due_today"] and not rows["Ann Example"]["overdue"]
    assert not rows["Bob Other"]["due_today"]
    app.state.store.close()


def test_retention_deletes_files_and_keeps_decisions_and_the_trail(tmp_path):
    data = tmp_path / "data"
    app = create_app(data, allowed_hosts=["testserver"])
    with TestClient(app) as client:
        response = client.post("/api/reviews", data=FORM,
                               files=[("files", (NOTE.name, NOTE.read_bytes()))])
        review_id = response.json()["id"]
        _wait(client, review_id)
        client.post(f"/api/reviews/{review_id}/decisions",
                    json={"criterion_id": "final", "action": "approve", "reviewer": "Ann"})
        ctx = app.state.ctx
        assert purge_expired(ctx.store, ctx.uploads, 30) == []  # too recent
        later = datetime.now(UTC) + timedelta(days=31)
        assert purge_expired(ctx.store, ctx.uploads, 30, now=later) == [review_id]
        assert not (ctx.uploads / review_id).exists()
        assert client.get(f"/api/reviews/{review_id}/documents/0/text").status_code == 410
        assert client.get(f"/api/reviews/{review_id}/decisions").json()["decisions"]
        assert client.get(f"/reviews/{review_id}").status_code == 200
    assert ctx.store.verify().counts["purge"] == 1
    app.state.store.close()
    assert main(["audit", "verify", "--data-dir", str(data)]) == 0


def test_non_loopback_listening_needs_sign_in():
    with pytest.raises(NotLoopback):
        check_listen_host("0.0.0.0", sign_in_enabled=False)
    check_listen_host("0.0.0.0", sign_in_enabled=True)


def test_an_idle_session_ends(tmp_path, monkeypatch):
    data = tmp_path / "data"
    _add_user(data, "Nurse Ann", "nurse", monkeypatch)
    app = create_app(data, allowed_hosts=["testserver"], idle_minutes=0.5 / 60)
    with _client(app) as client:
        _sign_in(client, "Nurse Ann")
        assert client.get("/", follow_redirects=False).status_code == 200
        time.sleep(0.8)
        assert client.get("/", follow_redirects=False).headers["location"] == "/signin"
    app.state.store.close()


def test_serve_refuses_an_unreachable_postgres_url_in_one_line(tmp_path, capsys):
    status = main(["serve", "--data-dir", str(tmp_path / "d"), "--database-url",
                   "postgresql://nobody@127.0.0.1:1/none", "--port", "8799"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert "cannot use the PostgreSQL database" in err


def test_serve_allows_a_non_loopback_host_only_with_accounts(tmp_path, monkeypatch, capsys):
    import argparse

    from priorauth.cli_serve import _has_accounts

    data = tmp_path / "data"
    assert main(["serve", "--host", "0.0.0.0", "--data-dir", str(data)]) == 2
    assert "refusing to listen on 0.0.0.0" in capsys.readouterr().err
    args = argparse.Namespace(database_url=None, data_dir=str(data))
    assert not _has_accounts(args)
    _add_user(data, "Nurse Ann", "nurse", monkeypatch)
    assert _has_accounts(args)
