"""SQLite storage of the web page: reviews, their documents, and the reviewer's decisions.

``decisions`` is the audit trail: append-only (triggers refuse UPDATE and DELETE). The current
decision on a criterion is its latest row; every earlier row stays, with who, when, what and
the action it replaced.

Tamper evidence: triggers stop mistakes, not someone with ``sqlite3`` and the file, so every
record is also chained in ``audit_chain``. Each chain row names one record (a review as
uploaded: request and documents; a review as finished: status, review JSON, error, finish
time; a decision; an acceptance of a broken trail) and holds the hash of the chain row before
it and ``sha256(previous hash + canonical JSON of the record as stored)``. The newest chain
row is also written to ``<database>.audit-head`` beside the database, so that deleting the
last rows of the chain is seen too. :func:`verify` recomputes everything from the rows as
they are now: a changed, replaced, deleted or added record, or a chain row changed or
deleted, names its table and id. Stages of a running review stay outside the chain.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["AuditReport", "Decision", "DocumentRow", "Problem", "ReviewRow", "ReviewerNameError",
           "Store", "clean_reviewer_name", "head_path", "open_readonly", "secure_data_dir",
           "verify"]

log = logging.getLogger("priorauth.web")

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
CREATE TABLE IF NOT EXISTS audit_acceptances (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    accepted_at  TEXT NOT NULL,
    first_broken TEXT NOT NULL,          -- the first broken row when the server was told to go on
    problems     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_chain (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT NOT NULL,             -- review, result, decision, acceptance
    ref       TEXT NOT NULL,             -- the review id, decision id or acceptance id
    prev_hash TEXT NOT NULL,             -- hash of the chain row before (GENESIS for the first)
    hash      TEXT NOT NULL,             -- sha256 of prev_hash and the record's canonical JSON
    UNIQUE (kind, ref)
);
CREATE TRIGGER IF NOT EXISTS audit_chain_no_update BEFORE UPDATE ON audit_chain
BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_chain_no_delete BEFORE DELETE ON audit_chain
BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_acceptances_no_update BEFORE UPDATE ON audit_acceptances
BEGIN SELECT RAISE(ABORT, 'acceptances are append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_acceptances_no_delete BEFORE DELETE ON audit_acceptances
BEGIN SELECT RAISE(ABORT, 'acceptances are append-only'); END;
"""

#: ``PRAGMA user_version`` of a database that has the audit chain. A database without the
#: chain table and below this version predates the chain and is chained at first open; one at
#: this version whose chain table is gone is not re-chained (that would bless tampering).
CHAIN_VERSION = 1
GENESIS = "0" * 64
FINISHED = ("done", "failed")
#: What each kind of chain row covers: the table it names in reports.
CHAIN_TABLES = {"review": "reviews", "result": "reviews", "decision": "decisions",
                "acceptance": "audit_acceptances"}

RUNNING = ("queued", "reading", "extracting", "scoring")
MAX_REVIEWER = 100
# Characters a reviewer name may not hold: control (Cc: NUL, newline, tab...), format (Cf:
# bidi overrides and isolates, zero-width joiners...), surrogate, private-use and unassigned
# code points, and the line and paragraph separators.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_SPACES = re.compile(r"\s+")


def now() -> str:
    """UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class ReviewerNameError(ValueError):
    """A reviewer name that is not printable single-line text (the message says why)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def clean_reviewer_name(name: str) -> str:
    """A reviewer name as stored: NFC, whitespace runs made one space, trimmed.

    Raises:
        ReviewerNameError: The name holds a control or format character (NUL, a newline, a
            bidi override...), is empty once trimmed, or is longer than 100 characters.
    """
    if not isinstance(name, str):
        raise ReviewerNameError("reviewer name must be text", "string_type")
    name = unicodedata.normalize("NFC", name)
    for ch in name:
        if unicodedata.category(ch) in _UNPRINTABLE:
            raise ReviewerNameError(
                "reviewer name must be printable single-line text: it contains the control "
                f"or formatting character U+{ord(ch):04X}", "reviewer_name_unprintable")
    name = _SPACES.sub(" ", name).strip()
    if not name:
        raise ReviewerNameError("reviewer name is empty", "string_too_short")
    if len(name) > MAX_REVIEWER:
        raise ReviewerNameError(f"reviewer name is longer than {MAX_REVIEWER} characters",
                                "string_too_long")
    return name


def secure_data_dir(folder: Path) -> None:
    """Create ``folder`` (and parents) if missing and make it owner-only (0700), also when it
    already existed with wider modes."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


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


# ---- the audit chain ----------------------------------------------------------------------

def _record(db: sqlite3.Connection, kind: str, ref: str) -> dict | None:
    """The content a chain row of ``kind`` covers, as stored now (``None``: the row is gone)."""
    if kind == "review":
        row = db.execute("SELECT id, created_at, request FROM reviews WHERE id = ?",
                         (ref,)).fetchone()
        if row is None:
            return None
        docs = db.execute("SELECT position, name, stored_name, kind, size FROM documents "
                          "WHERE review_id = ? ORDER BY position", (ref,)).fetchall()
        return {"id": row[0], "created_at": row[1], "request": row[2],
                "documents": [list(d) for d in docs]}
    if kind == "result":
        row = db.execute("SELECT id, status, error, review, finished_at FROM reviews "
                         "WHERE id = ?", (ref,)).fetchone()
        return None if row is None else dict(zip(
            ("id", "status", "error", "review", "finished_at"), row, strict=True))
    if kind == "decision":
        row = db.execute("SELECT id, review_id, criterion_id, action, previous_action, comment, "
                         "reviewer, timestamp FROM decisions WHERE id = ?", (ref,)).fetchone()
        return None if row is None else dict(zip(
            ("id", "review_id", "criterion_id", "action", "previous_action", "comment",
             "reviewer", "timestamp"), row, strict=True))
    if kind == "acceptance":
        row = db.execute("SELECT id, accepted_at, first_broken, problems FROM audit_acceptances "
                         "WHERE id = ?", (ref,)).fetchone()
        return None if row is None else dict(zip(
            ("id", "accepted_at", "first_broken", "problems"), row, strict=True))
    raise ValueError(f"unknown chain kind {kind!r}")


def chain_hash(prev_hash: str, kind: str, ref: str, record: dict) -> str:
    """sha256 over the previous hash and the canonical JSON of one record (sorted keys, no
    spaces, ASCII escapes: the same bytes whatever the platform)."""
    canonical = json.dumps({"kind": kind, "ref": ref, "record": record}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode("ascii")).hexdigest()


def _append(db: sqlite3.Connection, kind: str, ref: str) -> tuple[int, str]:
    """Chain one record (inside the caller's transaction); returns the new (seq, hash)."""
    last = db.execute("SELECT hash FROM audit_chain ORDER BY seq DESC LIMIT 1").fetchone()
    prev = last[0] if last else GENESIS
    record = _record(db, kind, ref)
    if record is None:
        raise LookupError(f"{CHAIN_TABLES[kind]} {ref}: nothing to chain")
    digest = chain_hash(prev, kind, ref, record)
    cur = db.execute("INSERT INTO audit_chain (kind, ref, prev_hash, hash) VALUES (?,?,?,?)",
                     (kind, ref, prev, digest))
    return cur.lastrowid, digest


def head_path(database: Path) -> Path:
    """The file beside the database that records the newest chain row."""
    return database.with_name(database.name + ".audit-head")


def _read_head(path: Path) -> tuple[int, str] | None:
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return (-1, "")
    parts = text.split()
    if len(parts) != 2 or not parts[0].isdigit():
        return (-1, "")
    return int(parts[0]), parts[1]


def _write_head(path: Path, seq: int, digest: str) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, f"{seq} {digest}\n".encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


@dataclass(frozen=True)
class Problem:
    """One break in the audit trail: a table, a row id (never row content) and what is wrong."""

    table: str
    ident: str
    what: str

    def __str__(self) -> str:
        key = "seq" if self.table == "audit_chain" else "id"
        where = f"{self.table} {key} {self.ident}" if self.ident else self.table
        return f"{where}: {self.what}"


@dataclass
class AuditReport:
    """What :func:`verify` found.

    Attributes:
        counts: Chain rows by kind.
        problems: Every break found, the first (in chain order) first.
        acceptances: ``(accepted_at, first_broken)`` of each time a server was told to serve
            a broken trail.
        head: Hash of the newest chain row (``GENESIS`` when empty).
    """

    counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    acceptances: list[tuple[str, str]] = field(default_factory=list)
    head: str = GENESIS

    @property
    def whole(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def summary(self) -> str:
        """One line: the counts and head when whole, else the first broken row."""
        total = sum(self.counts.values())
        parts = ", ".join(f"{self.counts.get(k, 0)} {label}" for k, label in (
            ("review", "reviews"), ("result", "finished reviews"), ("decision", "decisions"),
            ("acceptance", "acceptances")) if self.counts.get(k))
        accepted = (f"; {len(self.acceptances)} earlier acceptance(s) of a broken trail, the "
                    f"last at {self.acceptances[-1][0]}" if self.acceptances else "")
        if self.whole:
            return (f"audit trail whole: {total} chained records"
                    f"{' (' + parts + ')' if parts else ''}, head {self.head[:16]}{accepted}")
        more = len(self.problems) - 1
        return (f"audit trail broken at {self.first}"
                f"{f' ({more} more problem(s) after it)' if more else ''}{accepted}")


def verify(db: sqlite3.Connection, head_file: Path | None) -> AuditReport:
    """Check the whole audit trail of an open database (read only; one snapshot).

    Every chain row must follow the one before it and match its record as stored now; every
    review, finished review, decision and acceptance must be chained; the newest chain row
    must be the one ``head_file`` records (or newer, when a server stopped between writing the
    database and the file). The first problem in chain order comes first.
    """
    report = AuditReport()
    head = _read_head(head_file) if head_file is not None else None
    problems = report.problems
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "audit_chain" not in tables or "audit_acceptances" not in tables:
        problems.append(Problem("audit_chain", "", "table missing (a database made before "
                                                   "the audit chain, or the chain was dropped)"))
        return report
    db.execute("BEGIN")
    try:
        prev = GENESIS
        chained: dict[str, set[str]] = {kind: set() for kind in CHAIN_TABLES}
        seqs: dict[int, str] = {}
        for seq, kind, ref, prev_hash, digest in db.execute(
                "SELECT seq, kind, ref, prev_hash, hash FROM audit_chain ORDER BY seq"):
            seqs[seq] = digest
            if prev_hash != prev:
                problems.append(Problem("audit_chain", str(seq), "does not follow the chain "
                                        "row before it (a chain row was deleted, added or "
                                        "changed)"))
            prev = digest
            if kind not in CHAIN_TABLES:
                problems.append(Problem("audit_chain", str(seq), "unknown kind of record"))
                continue
            report.counts[kind] = report.counts.get(kind, 0) + 1
            chained[kind].add(ref)
            record = _record(db, kind, ref)
            if record is None:
                problems.append(Problem(CHAIN_TABLES[kind], ref, "deleted after it was "
                                                                 "recorded"))
            elif chain_hash(prev_hash, kind, ref, record) != digest:
                what = {"review": "request or documents changed after upload",
                        "result": "finished review changed after it was stored"}.get(
                            kind, "changed after it was recorded")
                problems.append(Problem(CHAIN_TABLES[kind], ref, what))
        report.head = prev
        unchained = [
            ("reviews", "not in the audit chain (added outside the app)", "review",
             "SELECT id FROM reviews ORDER BY created_at, rowid"),
            ("reviews", "finished outside the app (not in the audit chain)", "result",
             f"SELECT id FROM reviews WHERE status IN {FINISHED} OR review IS NOT NULL "
             "OR finished_at IS NOT NULL ORDER BY created_at, rowid"),
            ("decisions", "not in the audit chain (added outside the app)", "decision",
             "SELECT id FROM decisions ORDER BY id"),
            ("audit_acceptances", "not in the audit chain", "acceptance",
             "SELECT id FROM audit_acceptances ORDER BY id"),
        ]
        for table, what, kind, query in unchained:
            for (ident,) in db.execute(query):
                if str(ident) not in chained[kind]:
                    problems.append(Problem(table, str(ident), what))
        for (ident,) in db.execute("SELECT DISTINCT review_id FROM documents WHERE review_id "
                                   "NOT IN (SELECT id FROM reviews)"):
            problems.append(Problem("reviews", str(ident), "deleted (its documents remain)"))
        if head is None:
            if seqs:
                problems.append(Problem("audit_chain", "", f"head file "
                                        f"{head_file.name if head_file else ''} missing"))
        elif head[0] < 0:
            problems.append(Problem("audit_chain", "", "head file unreadable"))
        elif head[0] not in seqs:
            last = max(seqs, default=0)
            problems.append(Problem("audit_chain", str(head[0]), f"missing: the head file "
                                    f"records it but the chain ends at seq {last} (rows at "
                                    f"the end were deleted)"))
        elif seqs[head[0]] != head[1]:
            problems.append(Problem("audit_chain", str(head[0]), "differs from the head file"))
        report.acceptances = [(a, b) for a, b in db.execute(
            "SELECT accepted_at, first_broken FROM audit_acceptances ORDER BY id")]
    finally:
        db.execute("ROLLBACK")
    return report


def open_readonly(path: Path) -> sqlite3.Connection:
    """Open a database for reading only (``audit verify`` changes nothing)."""
    db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True,
                         isolation_level=None)
    db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # not a database: raises here
    return db


class Store:
    """The web page's SQLite database, one file in the data folder.

    The file and its ``-wal``/``-shm`` companions are owner-only (0600). A database made
    before the audit chain is chained at first open (logged once).

    Args:
        path: The database file (created with its tables when missing).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.head_file = head_path(self.path)
        self._lock = threading.Lock()
        self._head: tuple[int, str] | None = None
        # Create the file owner-only before SQLite does; SQLite gives -wal and -shm the
        # database file's mode.
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        os.chmod(self.path, 0o600)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA journal_mode = WAL")
        had_chain = self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                     "name = 'audit_chain'").fetchone() is not None
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        self._db.executescript(SCHEMA)
        for suffix in ("-wal", "-shm", "-journal"):
            companion = self.path.with_name(self.path.name + suffix)
            if companion.exists():
                os.chmod(companion, 0o600)
        if not had_chain and version < CHAIN_VERSION:
            self._chain_existing()
        if version < CHAIN_VERSION:
            self._db.execute(f"PRAGMA user_version = {CHAIN_VERSION}")

    def _chain_existing(self) -> None:
        """Chain every record of a database made before the audit chain."""
        with self._tx() as db:
            work = []
            for rid, status, review, finished in db.execute(
                    "SELECT id, status, review, finished_at FROM reviews "
                    "ORDER BY created_at, rowid").fetchall():
                work.append(("review", rid))
                if status in FINISHED or review is not None or finished is not None:
                    work.append(("result", rid))
            work += [("decision", str(i)) for (i,) in db.execute(
                "SELECT id FROM decisions ORDER BY id").fetchall()]
            for kind, ref in work:
                self._head = _append(db, kind, ref)
        if work:
            log.warning("audit trail: chained %d records of a database made before the audit "
                        "chain; they are vouched for from now on, not before", len(work))

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; a new chain head is written to the head file after it
        commits."""
        with self._lock:
            self._head = None
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            if self._head is not None:
                _write_head(self.head_file, *self._head)

    def verify(self) -> AuditReport:
        """Check the audit trail (see :func:`verify`)."""
        with self._lock:
            return verify(self._db, self.head_file)

    def record_acceptance(self, report: AuditReport) -> int:
        """Record, in the chain, that a server was told to serve this broken trail."""
        with self._tx() as db:
            cur = db.execute("INSERT INTO audit_acceptances (accepted_at, first_broken, "
                             "problems) VALUES (?,?,?)",
                             (now(), str(report.first), len(report.problems)))
            self._head = _append(db, "acceptance", str(cur.lastrowid))
        return cur.lastrowid

    # reviews -------------------------------------------------------------------------------

    def add_review(self, review_id: str, request_json: str,
                   documents: list[DocumentRow]) -> None:
        """Record a new review, status ``queued``, with its uploaded documents (chained)."""
        with self._tx() as db:
            db.execute("INSERT INTO reviews (id, created_at, request, status) VALUES (?,?,?,?)",
                       (review_id, now(), request_json, "queued"))
            db.executemany(
                "INSERT INTO documents (review_id, position, name, stored_name, kind, size) "
                "VALUES (?,?,?,?,?,?)",
                [(review_id, d.position, d.name, d.stored_name, d.kind, d.size)
                 for d in documents])
            self._head = _append(db, "review", review_id)

    def set_status(self, review_id: str, status: str) -> None:
        """Set the stage a running review is at (not chained: only the finished review is)."""
        with self._tx() as db:
            db.execute("UPDATE reviews SET status = ? WHERE id = ?", (status, review_id))

    def finish(self, review_id: str, *, review_json: str | None = None,
               error: str | None = None) -> None:
        """Store a finished review's JSON, or the one-line reason it failed (chained)."""
        status = "failed" if error is not None else "done"
        with self._tx() as db:
            db.execute("UPDATE reviews SET status = ?, review = ?, error = ?, finished_at = ? "
                       "WHERE id = ?", (status, review_json, error, now(), review_id))
            self._head = _append(db, "result", review_id)

    def fail_interrupted(self) -> list[str]:
        """Mark reviews left running by a previous server as failed; returns their ids."""
        marks = ",".join("?" * len(RUNNING))
        with self._tx() as db:
            ids = [r[0] for r in db.execute(
                f"SELECT id FROM reviews WHERE status IN ({marks}) ORDER BY created_at, rowid",
                RUNNING)]
            db.execute(f"UPDATE reviews SET status = 'failed', error = ?, finished_at = ? "
                       f"WHERE status IN ({marks})",
                       ("the server stopped before this review finished; upload it again",
                        now(), *RUNNING))
            for review_id in ids:
                self._head = _append(db, "result", review_id)
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
        """Append one decision (chained); ``previous_action`` is the criterion's latest action
        so far.

        Raises:
            ReviewerNameError: ``reviewer`` is not printable single-line text.
        """
        reviewer = clean_reviewer_name(reviewer)
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
            self._head = _append(db, "decision", str(row_id))
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
