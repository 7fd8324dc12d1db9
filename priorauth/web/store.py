"""SQLite storage of the web page: reviews, their documents, and the reviewer's decisions.

``decisions`` is the audit trail: append-only (triggers refuse UPDATE and DELETE). The current
decision on a criterion is its latest row; every earlier row stays, with who, when, what and
the action it replaced.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["Decision", "DocumentRow", "ReviewRow", "Store"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    request     TEXT NOT NULL,           -- ReviewRequest as JSON
    status      TEXT NOT NULL,           -- queued, reading, extracting, scoring, done, failed
    error       TEXT,                    -- one line for the reviewer, names files, no chart text
    review      TEXT,                    -- Review.to_json() when done
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS documents (
    review_id   TEXT NOT NULL REFERENCES reviews(id),
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,           -- display name (the uploaded file's base name)
    stored_name TEXT NOT NULL,           -- random file name under the data folder
    kind        TEXT NOT NULL,           -- pdf or txt
    size        INTEGER NOT NULL,
    PRIMARY KEY (review_id, position)
);
CREATE TABLE IF NOT EXISTS decisions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    review_id       TEXT NOT NULL REFERENCES reviews(id),
    criterion_id    TEXT NOT NULL,       -- a criterion id, or 'final'
    action          TEXT NOT NULL,       -- agree, disagree, comment; approve, refer_to_physician
    previous_action TEXT,                -- the action this one replaced (what changed)
    comment         TEXT NOT NULL DEFAULT '',
    reviewer        TEXT NOT NULL,
    timestamp       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_by_review ON decisions(review_id, id);
CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
"""

RUNNING = ("queued", "reading", "extracting", "scoring")


def now() -> str:
    """UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class ReviewRow:
    id: str
    created_at: str
    request: str
    status: str
    error: str | None
    review: str | None
    finished_at: str | None


@dataclass(frozen=True)
class DocumentRow:
    position: int
    name: str
    stored_name: str
    kind: str
    size: int


@dataclass(frozen=True)
class Decision:
    id: int
    review_id: str
    criterion_id: str
    action: str
    previous_action: str | None
    comment: str
    reviewer: str
    timestamp: str


class Store:
    """The web page's SQLite database, one file in the data folder.

    Args:
        path: The database file (created with its tables when missing).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # reviews -------------------------------------------------------------------------------

    def add_review(self, review_id: str, request_json: str,
                   documents: list[DocumentRow]) -> None:
        """Record a new review, status ``queued``, with its uploaded documents."""
        with self._tx() as db:
            db.execute("INSERT INTO reviews (id, created_at, request, status) VALUES (?,?,?,?)",
                       (review_id, now(), request_json, "queued"))
            db.executemany(
                "INSERT INTO documents (review_id, position, name, stored_name, kind, size) "
                "VALUES (?,?,?,?,?,?)",
                [(review_id, d.position, d.name, d.stored_name, d.kind, d.size)
                 for d in documents])

    def set_status(self, review_id: str, status: str) -> None:
        """Set the stage a running review is at."""
        with self._tx() as db:
            db.execute("UPDATE reviews SET status = ? WHERE id = ?", (status, review_id))

    def finish(self, review_id: str, *, review_json: str | None = None,
               error: str | None = None) -> None:
        """Store a finished review's JSON, or the one-line reason it failed."""
        status = "failed" if error is not None else "done"
        with self._tx() as db:
            db.execute("UPDATE reviews SET status = ?, review = ?, error = ?, finished_at = ? "
                       "WHERE id = ?", (status, review_json, error, now(), review_id))

    def fail_interrupted(self) -> list[str]:
        """Mark reviews left running by a previous server as failed; returns their ids."""
        marks = ",".join("?" * len(RUNNING))
        with self._tx() as db:
            ids = [r[0] for r in db.execute(
                f"SELECT id FROM reviews WHERE status IN ({marks})", RUNNING)]
            db.execute(f"UPDATE reviews SET status = 'failed', error = ?, finished_at = ? "
                       f"WHERE status IN ({marks})",
                       ("the server stopped before this review finished; upload it again",
                        now(), *RUNNING))
        return ids

    def review(self, review_id: str) -> ReviewRow | None:
        """One review by id, or ``None``."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, created_at, request, status, error, review, finished_at "
                "FROM reviews WHERE id = ?", (review_id,)).fetchone()
        return ReviewRow(*row) if row else None

    def recent(self, limit: int = 20) -> list[ReviewRow]:
        """The latest reviews, newest first, without their review JSON."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, created_at, request, status, error, NULL, finished_at "
                "FROM reviews ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,)).fetchall()
        return [ReviewRow(*r) for r in rows]

    def documents(self, review_id: str) -> list[DocumentRow]:
        """A review's documents in upload order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT position, name, stored_name, kind, size FROM documents "
                "WHERE review_id = ? ORDER BY position", (review_id,)).fetchall()
        return [DocumentRow(*r) for r in rows]

    # decisions (append-only) -----------------------------------------------------------------

    def add_decision(self, review_id: str, criterion_id: str, action: str, comment: str,
                     reviewer: str) -> Decision:
        """Append one decision; ``previous_action`` is the criterion's latest action so far."""
        with self._tx() as db:
            prev = db.execute(
                "SELECT action FROM decisions WHERE review_id = ? AND criterion_id = ? "
                "AND action != 'comment' ORDER BY id DESC LIMIT 1",
                (review_id, criterion_id)).fetchone()
            stamp = now()
            cur = db.execute(
                "INSERT INTO decisions (review_id, criterion_id, action, previous_action, "
                "comment, reviewer, timestamp) VALUES (?,?,?,?,?,?,?)",
                (review_id, criterion_id, action, prev[0] if prev else None, comment, reviewer,
                 stamp))
            row_id = cur.lastrowid
        return Decision(row_id, review_id, criterion_id, action, prev[0] if prev else None,
                        comment, reviewer, stamp)

    def decisions(self, review_id: str) -> list[Decision]:
        """The whole audit trail of a review, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, review_id, criterion_id, action, previous_action, comment, "
                "reviewer, timestamp FROM decisions WHERE review_id = ? ORDER BY id",
                (review_id,)).fetchall()
        return [Decision(*r) for r in rows]
