"""The reviewer page's server under hostile use: file modes of the data folder, loopback-only
listening, header and body timeouts with a connection limit and rate-limited logs (a real
``priorauth serve`` in a subprocess, real sockets), reviewer names, and small reviews not
starved by large ones (a real scanned PDF through the real pipeline).
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
import warnings
from pathlib import Path

import pytest

from priorauth.web.app import create_app
from priorauth.web.store import ReviewerNameError, Store, clean_reviewer_name

with warnings.catch_warnings():  # starlette prefers httpx2; httpx works the same here
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
NOTE = ROOT / "sample_notes" / "01_pt_failed_pacemaker" / "spine_followup_2026-10-02.txt"
FORM = {"cpt": "72131", "request_date": "2026-10-14", "age": "57"}


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _wait_done(get_status, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = get_status()
        if status["status"] in ("done", "failed"):
            return status
        assert time.monotonic() < deadline, f"review still {status['status']}"
        time.sleep(0.05)


# ---- file modes -------------------------------------------------------------------------------

@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_data_folder_and_its_database_are_owner_only(tmp_path, umask_022):
    data = tmp_path / "new"
    app = create_app(data)
    try:
        database = data / "priorauth.sqlite3"
        assert _mode(data) == 0o700
        assert _mode(data / "uploads") == 0o700
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            assert path.exists() and _mode(path) == 0o600, path
    finally:
        app.state.store.close()


def test_an_existing_world_readable_data_folder_and_database_are_made_owner_only(
        tmp_path, umask_022):
    data = tmp_path / "data"
    data.mkdir()
    (data / "uploads").mkdir()
    database = data / "priorauth.sqlite3"
    other = sqlite3.connect(database)  # a database left by an older version, WAL files open
    other.execute("PRAGMA journal_mode = WAL")
    other.execute("CREATE TABLE notes (x)")
    other.execute("INSERT INTO notes VALUES (1)")
    other.commit()
    for path in (data, data / "uploads"):
        os.chmod(path, 0o755)
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        os.chmod(path, 0o644)
    try:
        with TestClient(create_app(data, allowed_hosts=["testserver"])) as client:
            response = client.post("/api/reviews", data=FORM,
                                   files=[("files", (NOTE.name, NOTE.read_bytes()))])
            review_id = response.json()["id"]
            _wait_done(lambda: client.get(f"/api/reviews/{review_id}/status").json())
            assert _mode(data) == 0o700
            assert _mode(data / "uploads") == 0o700
            for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm"),
                         Path(f"{database}.audit-head"),
                         *(data / "uploads" / review_id).iterdir()):
                assert _mode(path) == 0o600, path
    finally:
        other.close()


# ---- reviewer names ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("names"), allowed_hosts=["testserver"])
    with TestClient(app) as client:
        review_id = client.post("/api/reviews", data=FORM, files=[
            ("files", (NOTE.name, NOTE.read_bytes()))]).json()["id"]
        assert _wait_done(lambda: client.get(
            f"/api/reviews/{review_id}/status").json())["status"] == "done"
        yield client, review_id


@pytest.mark.parametrize(("name", "message"), [
    ("Ann\x00Smith", "control or formatting character U+0000"),
    ("Ann\nSmith", "control or formatting character U+000A"),
    ("Ann\r\nSmith", "control or formatting character U+000D"),
    ("Ann\tSmith", "control or formatting character U+0009"),
    ("\u202eAnn Smith", "control or formatting character U+202E"),
    ("Ann \u202aSmith", "control or formatting character U+202A"),
    ("Ann \u2066Smith\u2069", "control or formatting character U+2066"),
    ("Ann\u200bSmith", "control or formatting character U+200B"),
    ("Ann\u2028Smith", "control or formatting character U+2028"),
    (" \u00a0\u3000 ", "reviewer name is empty"),
    ("A" * 101, "reviewer name is longer than 100 characters"),
], ids=["nul", "newline", "crlf", "tab", "rlo", "lre", "isolate", "zero-width-space",
        "line-separator", "only-spaces", "too-long"])
def test_unprintable_empty_or_long_reviewer_names_are_refused(reviewed, name, message):
    client, review_id = reviewed
    before = client.get(f"/api/reviews/{review_id}/decisions").json()["decisions"]
    response = client.post(f"/api/reviews/{review_id}/decisions", json={
        "criterion_id": "final", "action": "comment", "comment": "c", "reviewer": name})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [d["loc"] for d in detail] == [["body", "reviewer"]]
    assert message in detail[0]["msg"]
    assert client.get(f"/api/reviews/{review_id}/decisions").json()["decisions"] == before


@pytest.mark.parametrize(("name", "stored"), [
    ("  Ann \u00a0  Smith\u3000", "Ann Smith"),
    ("Zoe\u0301 Lef\u0065\u0300vre", "Zo\u00e9 Lef\u00e8vre"),  # NFD in, NFC stored
    ("  " + "B" * 100 + "   ", "B" * 100),
], ids=["spaces", "nfc", "trimmed-to-100"])
def test_reviewer_names_are_stored_normalised(reviewed, name, stored):
    client, review_id = reviewed
    response = client.post(f"/api/reviews/{review_id}/decisions", json={
        "criterion_id": "final", "action": "comment", "comment": "c", "reviewer": name})
    assert response.status_code == 201, response.text
    assert response.json()["reviewer"] == stored
    latest = client.get(f"/api/reviews/{review_id}/decisions").json()["decisions"][-1]
    assert latest["reviewer"] == stored


def test_the_store_itself_refuses_an_unprintable_reviewer_name(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    try:
        store.add_review("d" * 32, "{}", [])
        with pytest.raises(ReviewerNameError, match=r"U\+202E"):
            store.add_decision("d" * 32, "final", "approve", "", "Ann\u202e")
        assert store.decisions("d" * 32) == []
        assert store.add_decision("d" * 32, "final", "approve", "", " Ann  B ").reviewer == \
            "Ann B"
    finally:
        store.close()
    assert clean_reviewer_name("e\u0301") == "\u00e9"
