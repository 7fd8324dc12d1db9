"""The store on both backends: a SQLite file and a real PostgreSQL server (tests/postgres.py).

The same migrations make the same tables; the audit chain, append-only triggers, tamper
detection, accounts, sessions and retention records behave the same on both.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from priorauth.cli import main
from priorauth.web.db import LATEST, connect
from priorauth.web.store import DocumentRow, Store

REVIEW = "a" * 32
OTHER = "b" * 32
REQUEST = json.dumps({"cpt": ["72131"]})


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path) -> tuple[str, Path | str, Path]:
    """(dialect, store target, data folder)."""
    data = tmp_path / "data"
    data.mkdir()
    if request.param == "sqlite":
        return "sqlite", data / "priorauth.sqlite3", data
    return "postgresql", request.getfixturevalue("postgres_url"), data


def _open(backend) -> Store:
    dialect, target, data = backend
    head = None if dialect == "sqlite" else data / "postgresql.audit-head"
    return Store(target, head_file=head)


def _fill(store: Store) -> None:
    store.add_review(REVIEW, REQUEST, [DocumentRow(0, "note.txt", "f0.txt", "txt", 12)],
                     intake=json.dumps({"patient_name": "Ann Lee", "urgency": "expedited"}))
    store.finish(REVIEW, review_json=json.dumps({"determination": "meets_criteria"}))
    store.add_review(OTHER, REQUEST, [])
    store.add_decision(REVIEW, "ind.1", "set_not_met", "no PT documented", "Nurse Ann")
    store.add_decision(REVIEW, "final", "refer_to_physician", "", "Nurse Ann")


def _tamper(backend, sql: str) -> None:
    dialect, target, _ = backend
    if dialect == "sqlite":
        db = sqlite3.connect(target)
        db.executescript(sql)
        db.commit()
        db.close()
    else:
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute(sql)


def _verify(backend, capsys) -> tuple[int, str]:
    dialect, target, data = backend
    argv = ["audit", "verify", "--data-dir", str(data)]
    if dialect == "postgresql":
        argv += ["--database-url", str(target)]
    status = main(argv)
    return status, capsys.readouterr().out


def test_same_schema_version_and_whole_chain_on_both(backend, capsys):
    store = _open(backend)
    try:
        _fill(store)
        assert store.dialect == backend[0]
        assert store._db.version() == LATEST
        report = store.verify()
        assert report.whole, report.summary()
        assert report.counts == {"review": 2, "result": 1, "decision": 2}
        row = store.worklist()[1]
        assert row.id == REVIEW and row.determination == "meets_criteria"
        assert json.loads(row.intake)["urgency"] == "expedited"
        assert row.decisions == [("ind.1", "set_not_met", "Nurse Ann"),
                                 ("final", "refer_to_physician", "Nurse Ann")]
    finally:
        store.close()
    status, out = _verify(backend, capsys)
    assert status == 0, out
    assert "5 chained records" in out
    # reopening migrates nothing twice and keeps the chain whole
    store = _open(backend)
    store.close()
    assert _verify(backend, capsys)[0] == 0


def test_decisions_and_the_chain_are_append_only_on_both(backend):
    store = _open(backend)
    try:
        _fill(store)
    finally:
        store.close()
    db = connect(backend[1])
    try:
        for sql in ("UPDATE decisions SET action = 'approve'", "DELETE FROM decisions",
                    "DELETE FROM audit_chain", "UPDATE audit_chain SET hash = 'x'"):
            with pytest.raises(Exception, match="append-only"):
                db.execute(sql)
    finally:
        db.close()


def test_a_rewritten_decision_is_named_by_verify_on_both(backend, capsys):
    store = _open(backend)
    try:
        _fill(store)
    finally:
        store.close()
    _tamper(backend, "DROP TRIGGER decisions_no_update ON decisions; " if backend[0] ==
            "postgresql" else "DROP TRIGGER decisions_no_update; ")
    _tamper(backend, "UPDATE decisions SET comment = 'forged' WHERE id = 1")
    status, out = _verify(backend, capsys)
    assert status == 1
    assert "decisions id 1: changed after it was recorded" in out
    assert "forged" not in out


def test_a_purge_is_chained_and_a_deleted_purge_is_seen(backend, capsys):
    store = _open(backend)
    try:
        _fill(store)
        assert store.expired("9999") == [REVIEW]  # only finished reviews
        store.record_purge(REVIEW, 1)
        assert store.expired("9999") == []
        assert store.purged_at(REVIEW) is not None
        assert store.verify().counts["purge"] == 1
    finally:
        store.close()
    assert _verify(backend, capsys)[0] == 0
    drop = ("DROP TRIGGER purges_no_delete ON purges" if backend[0] == "postgresql"
            else "DROP TRIGGER purges_no_delete")
    _tamper(backend, drop)
    _tamper(backend, "DELETE FROM purges")
    status, out = _verify(backend, capsys)
    assert status == 1 and "purges id 1: deleted after it was recorded" in out


def test_accounts_and_sessions_on_both(backend):
    store = _open(backend)
    try:
        assert store.user_count() == 0
        store.add_user("Nurse Ann", "nurse", "hash1")
        assert store.user("Nurse Ann") == ("Nurse Ann", "nurse", "hash1")
        store.add_session("t1", "Nurse Ann", "c1", 100.0)
        assert store.session("t1") == ("Nurse Ann", "nurse", "c1", 100.0)
        store.touch_session("t1", 250.5)
        assert store.session("t1")[3] == 250.5
        store.end_idle_sessions(200.0)
        assert store.session("t1") is not None
        store.end_idle_sessions(300.0)
        assert store.session("t1") is None
        store.add_session("t2", "Nurse Ann", "c2", 100.0)
        store.add_user("Nurse Ann", "physician", "hash2")  # new password: sessions end
        assert store.session("t2") is None
        assert store.user("Nurse Ann")[1] == "physician"
    finally:
        store.close()


def test_a_postgres_url_that_cannot_be_reached_is_one_line(tmp_path, capsys):
    status = main(["audit", "verify", "--data-dir", str(tmp_path), "--database-url",
                   "postgresql://nobody@127.0.0.1:1/none"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "cannot read" in err
