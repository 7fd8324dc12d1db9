"""The tamper-evident audit trail: a hash chain over reviews and decisions in a real SQLite
file, checked by ``priorauth audit verify`` and at server start.

Tampering is done as someone with the file would do it: SQL run on the database outside the
app (Python's sqlite3 module, and Debian's ``sqlite3`` command where it is installed).
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from priorauth.cli import main
from priorauth.web.app import BrokenAuditTrail, create_app
from priorauth.web.store import DocumentRow, Store, chain_hash, head_path

REVIEW = "a" * 32
OTHER = "b" * 32
COMMENT = "secret-comment-text"
REQUEST = json.dumps({"cpt": ["72131"], "patient_name": "secret-patient-name"})
REVIEW_JSON = json.dumps({"determination": "needs_more_information", "quote": "secret-chart"})
SECRETS = (COMMENT, "secret-patient-name", "secret-chart", "Reviewer Ann")


def _db(data: Path) -> Path:
    return data / "priorauth.sqlite3"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data folder with two reviews (one finished) and three decisions, made by the store."""
    folder = tmp_path / "data"
    folder.mkdir()
    store = Store(_db(folder))
    store.add_review(REVIEW, REQUEST, [DocumentRow(0, "note.txt", "f00.txt", "txt", 120),
                                       DocumentRow(1, "scan.pdf", "f01.pdf", "pdf", 9000)])
    store.finish(REVIEW, review_json=REVIEW_JSON)
    store.add_review(OTHER, REQUEST, [DocumentRow(0, "n.txt", "f02.txt", "txt", 10)])
    store.add_decision(REVIEW, "ind.1", "agree", "", "Reviewer Ann")
    store.add_decision(REVIEW, "ind.1", "disagree", COMMENT, "Reviewer Ann")
    store.add_decision(REVIEW, "final", "refer_to_physician", COMMENT, "Reviewer Ann")
    store.close()
    return folder


def _verify(folder: Path, capsys) -> tuple[int, str, str]:
    status = main(["audit", "verify", "--data-dir", str(folder)])
    out = capsys.readouterr()
    return status, out.out, out.err


def _tamper(folder: Path, sql: str) -> None:
    db = sqlite3.connect(_db(folder))  # foreign keys off, as in the sqlite3 shell
    try:
        db.executescript(sql)
    finally:
        db.close()


def _chain(folder: Path) -> list[tuple]:
    db = sqlite3.connect(_db(folder))
    try:
        return db.execute("SELECT seq, kind, ref, prev_hash, hash FROM audit_chain "
                          "ORDER BY seq").fetchall()
    finally:
        db.close()


def test_a_whole_trail_verifies_with_a_one_line_summary(data, capsys):
    status, out, err = _verify(data, capsys)
    assert status == 0, out + err
    assert out.count("\n") == 1 and err == ""
    assert "audit trail whole: 6 chained records" in out
    assert "2 reviews, 1 finished reviews, 3 decisions" in out
    assert not any(s in out for s in SECRETS)
    kinds = [row[1] for row in _chain(data)]
    assert kinds == ["review", "result", "review", "decision", "decision", "decision"]
    rows = _chain(data)
    assert rows[0][3] == "0" * 64
    assert all(later[3] == earlier[4] for earlier, later in zip(rows, rows[1:], strict=False))
    assert head_path(_db(data)).read_text().split() == [str(rows[-1][0]), rows[-1][4]]


# Each way of rewriting history, and the row it must be named by.
TAMPERING = {
    "insert-or-replace-decision": (
        "INSERT OR REPLACE INTO decisions (id, review_id, criterion_id, action, "
        "previous_action, comment, reviewer, timestamp) SELECT id, review_id, criterion_id, "
        "'approve', previous_action, comment, reviewer, timestamp FROM decisions WHERE id = 3",
        "decisions id 3: changed after it was recorded"),
    "drop-trigger-then-update": (
        "DROP TRIGGER decisions_no_update; UPDATE decisions SET reviewer = 'Someone Else' "
        "WHERE id = 2",
        "decisions id 2: changed after it was recorded"),
    "drop-trigger-then-delete": (
        "DROP TRIGGER decisions_no_delete; DELETE FROM decisions WHERE id = 1",
        "decisions id 1: deleted after it was recorded"),
    "delete-last-decision": (
        "DROP TRIGGER decisions_no_delete; DELETE FROM decisions WHERE id = 3",
        "decisions id 3: deleted after it was recorded"),
    "insert-decision-outside-the-app": (
        f"INSERT INTO decisions (review_id, criterion_id, action, comment, reviewer, timestamp)"
        f" VALUES ('{REVIEW}', 'final', 'approve', '', 'X', '2026-01-01T00:00:00Z')",
        "decisions id 4: not in the audit chain"),
    "edit-review-json": (
        f"UPDATE reviews SET review = replace(review, 'needs_more_information', "
        f"'meets_criteria') WHERE id = '{REVIEW}'",
        f"reviews id {REVIEW}: finished review changed after it was stored"),
    "edit-finished-status": (
        f"UPDATE reviews SET status = 'failed', error = 'x' WHERE id = '{REVIEW}'",
        f"reviews id {REVIEW}: finished review changed after it was stored"),
    "edit-request": (
        f"UPDATE reviews SET request = replace(request, '72131', '72125') WHERE id = '{OTHER}'",
        f"reviews id {OTHER}: request or documents changed after upload"),
    "rename-document": (
        f"UPDATE documents SET name = 'other.pdf' WHERE review_id = '{REVIEW}' AND position = 1",
        f"reviews id {REVIEW}: request or documents changed after upload"),
    "add-document": (
        f"INSERT INTO documents VALUES ('{OTHER}', 1, 'extra.txt', 'f03.txt', 'txt', 5)",
        f"reviews id {OTHER}: request or documents changed after upload"),
    "delete-review": (
        f"DELETE FROM reviews WHERE id = '{OTHER}'",
        f"reviews id {OTHER}: deleted after it was recorded"),
    "finish-a-running-review-outside-the-app": (
        f"UPDATE reviews SET status = 'done', review = '{{}}' WHERE id = '{OTHER}'",
        f"reviews id {OTHER}: finished outside the app"),
    "delete-a-chain-row": (
        "DROP TRIGGER audit_chain_no_delete; DELETE FROM audit_chain WHERE seq = 2",
        "audit_chain seq 3: does not follow the chain row before it"),
    "delete-the-last-decision-and-its-chain-row": (
        "DROP TRIGGER decisions_no_delete; DROP TRIGGER audit_chain_no_delete; "
        "DELETE FROM decisions WHERE id = 3; DELETE FROM audit_chain WHERE seq = 6",
        "audit_chain seq 6: missing"),
    "drop-the-chain": (
        "DROP TABLE audit_chain",
        "audit_chain: table missing"),
}


@pytest.mark.parametrize("sql,named", TAMPERING.values(), ids=TAMPERING.keys())
def test_rewritten_history_is_detected_and_the_first_broken_row_named(data, capsys, sql,
                                                                        named):
    assert _verify(data, capsys)[0] == 0
    _tamper(data, sql)
    status, out, err = _verify(data, capsys)
    assert status == 1
    assert out.startswith(f"priorauth: audit trail broken at {named}"), out
    assert out.count("\n") == 1 and err == ""
    assert not any(s in out + err for s in SECRETS)


def test_a_changed_row_whose_chain_hash_was_recomputed_is_still_detected(data, capsys):
    """Someone who knows the scheme rewrites decision 2 and its own chain hash: the next chain
    row no longer follows it."""
    _tamper(data, "DROP TRIGGER decisions_no_update; DROP TRIGGER audit_chain_no_update; "
                  "UPDATE decisions SET action = 'agree' WHERE id = 2")
    db = sqlite3.connect(_db(data))
    seq, prev = db.execute("SELECT seq, prev_hash FROM audit_chain WHERE kind = 'decision' "
                           "AND ref = '2'").fetchone()
    row = db.execute("SELECT id, review_id, criterion_id, action, previous_action, comment, "
                     "reviewer, timestamp FROM decisions WHERE id = 2").fetchone()
    record = dict(zip(("id", "review_id", "criterion_id", "action", "previous_action",
                       "comment", "reviewer", "timestamp"), row, strict=True))
    db.execute("UPDATE audit_chain SET hash = ? WHERE seq = ?",
               (chain_hash(prev, "decision", "2", record), seq))
    db.commit()
    db.close()
    status, out, _ = _verify(data, capsys)
    assert status == 1
    assert f"audit_chain seq {seq + 1}: does not follow the chain row before it" in out


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="no sqlite3 command")
def test_the_sqlite3_command_cannot_rewrite_a_decision_unnoticed(data):
    result = subprocess.run(
        ["sqlite3", str(_db(data)),
         "INSERT OR REPLACE INTO decisions VALUES (3, '" + REVIEW + "', 'final', 'approve', "
         "NULL, '', 'Reviewer Ann', '2026-01-01T00:00:00Z');"],
        capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    verify = subprocess.run([sys.executable, "-m", "priorauth", "audit", "verify", "--data-dir",
                             str(data)], capture_output=True, text=True, timeout=120)
    assert verify.returncode == 1
    assert "decisions id 3: changed after it was recorded" in verify.stdout


def test_a_deleted_head_file_is_detected(data, capsys):
    head_path(_db(data)).unlink()
    status, out, _ = _verify(data, capsys)
    assert status == 1 and "head file" in out and "missing" in out


def test_a_dropped_chain_is_not_silently_rebuilt_when_the_store_reopens(data, capsys):
    _tamper(data, "DROP TABLE audit_chain")
    Store(_db(data)).close()  # a server start: the chain table comes back empty
    status, out, _ = _verify(data, capsys)
    assert status == 1
    assert f"reviews id {REVIEW}: not in the audit chain" in out


def test_missing_or_unreadable_data_folder_exits_2(tmp_path, capsys):
    status, out, err = _verify(tmp_path / "nowhere", capsys)
    assert status == 2 and out == "" and "does not exist" in err
    (tmp_path / "empty").mkdir()
    status, _, err = _verify(tmp_path / "empty", capsys)
    assert status == 2 and "no database" in err
    (tmp_path / "junk").mkdir()
    _db(tmp_path / "junk").write_bytes(b"this is not a database" * 100)
    status, _, err = _verify(tmp_path / "junk", capsys)
    assert status == 2 and "cannot read" in err and err.count("\n") == 1


def test_verify_changes_nothing(data, capsys):
    before = _db(data).read_bytes(), head_path(_db(data)).read_bytes()
    assert _verify(data, capsys)[0] == 0
    assert (_db(data).read_bytes(), head_path(_db(data)).read_bytes()) == before


OLD_SCHEMA = """
CREATE TABLE reviews (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, request TEXT NOT NULL,
    status TEXT NOT NULL, error TEXT, review TEXT, finished_at TEXT);
CREATE TABLE documents (review_id TEXT NOT NULL REFERENCES reviews(id),
    position INTEGER NOT NULL, name TEXT NOT NULL, stored_name TEXT NOT NULL,
    kind TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (review_id, position));
CREATE TABLE decisions (id INTEGER PRIMARY KEY AUTOINCREMENT,
    review_id TEXT NOT NULL REFERENCES reviews(id), criterion_id TEXT NOT NULL,
    action TEXT NOT NULL, previous_action TEXT, comment TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL, timestamp TEXT NOT NULL);
"""


def test_a_database_from_before_the_chain_is_chained_once_and_says_so(tmp_path, capsys,
                                                                       caplog):
    folder = tmp_path / "old"
    folder.mkdir()
    db = sqlite3.connect(_db(folder))
    db.executescript(OLD_SCHEMA)
    db.execute("INSERT INTO reviews VALUES (?, '2026-11-01T10:00:00Z', ?, 'done', NULL, ?, "
               "'2026-11-01T10:01:00Z')", (REVIEW, REQUEST, REVIEW_JSON))
    db.execute("INSERT INTO documents VALUES (?, 0, 'n.txt', 'f.txt', 'txt', 3)", (REVIEW,))
    db.execute("INSERT INTO decisions (review_id, criterion_id, action, comment, reviewer, "
               "timestamp) VALUES (?, 'final', 'approve', ?, 'Reviewer Ann', "
               "'2026-11-01T10:02:00Z')", (REVIEW, COMMENT))
    db.commit()
    db.close()
    assert _verify(folder, capsys)[0] == 1  # no chain yet
    with caplog.at_level(logging.INFO, logger="priorauth.web"):
        Store(_db(folder)).close()
        Store(_db(folder)).close()
    migrations = [r.getMessage() for r in caplog.records if "chained" in r.getMessage()]
    assert migrations == ["audit trail: chained 3 records of a database made before the "
                          "audit chain; they are vouched for from now on, not before"]
    status, out, _ = _verify(folder, capsys)
    assert status == 0 and "3 chained records" in out
    _tamper(folder, "DROP TRIGGER IF EXISTS decisions_no_update; "
                    "UPDATE decisions SET action = 'refer_to_physician'")
    assert _verify(folder, capsys)[0] == 1


# ---- the server at start ------------------------------------------------------------------

def test_the_server_refuses_a_broken_store_with_one_line(data, capsys):
    _tamper(data, "DROP TRIGGER decisions_no_update; UPDATE decisions SET action = 'approve' "
                  "WHERE id = 3")
    with pytest.raises(BrokenAuditTrail, match="decisions id 3"):
        create_app(data)
    status = main(["serve", "--data-dir", str(data), "--port", "8765"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1, err
    assert "audit trail broken at decisions id 3: changed after it was recorded" in err
    assert "--accept-broken-audit-trail" in err
    assert not any(s in err for s in SECRETS)


def test_accepting_a_broken_store_is_logged_and_recorded_in_the_trail(data, capsys, caplog):
    _tamper(data, "DROP TRIGGER decisions_no_delete; DELETE FROM decisions WHERE id = 2")
    with caplog.at_level(logging.WARNING, logger="priorauth.web"):
        app = create_app(data, accept_broken_audit_trail=True)
    app.state.store.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("decisions id 2: deleted" in w and "anyway" in w for w in warnings)
    db = sqlite3.connect(_db(data))
    accepted = db.execute("SELECT first_broken, problems FROM audit_acceptances").fetchall()
    db.close()
    assert accepted == [("decisions id 2: deleted after it was recorded", 1)]
    status, out, _ = _verify(data, capsys)
    assert status == 1  # the break stays visible: acceptance is not absolution
    assert "decisions id 2" in out and "1 earlier acceptance(s) of a broken trail" in out
    assert [r[1] for r in _chain(data)][-1] == "acceptance"
    with pytest.raises(BrokenAuditTrail):  # and the next start needs the flag again
        create_app(data)
