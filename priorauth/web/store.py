"""Storage of the web page: reviews, their documents, the reviewer's decisions, accounts.

SQLite in the data folder by default, or PostgreSQL (``--database-url postgresql://...``):
the same tables, made by the same migrations (:mod:`priorauth.web.db`).

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
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from priorauth.web.db import LATEST, MIGRATIONS, Database, connect

__all__ = ["AuditReport", "Decision", "DocumentRow", "Problem", "ReviewRow", "ReviewerNameError",
           "Store", "WorkRow", "clean_reviewer_name", "head_path", "open_readonly",
           "secure_data_dir", "verify"]

log = logging.getLogger("priorauth.web")

#: ``PRAGMA user_version`` of a database that has the audit chain. A database without the
#: chain table and below this version predates the chain and is chained at first open; one at
#: this version whose chain table is gone is not re-chained (that would bless tampering).
CHAIN_VERSION = 1
GENESIS = "0" * 64
FINISHED = ("done", "failed")
#: What each kind of chain row covers: the table it names in reports.
CHAIN_TABLES = {"review": "reviews", "result": "reviews", "decision": "decisions",
                "acceptance": "audit_acceptances", "purge": "purges"}

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


@dataclass
class WorkRow:
    """One row of the worklist, as stored."""

    id: str
    created_at: str
    request: str
    status: str
    intake: str | None
    determination: str | None
    purged_at: str | None
    decisions: list[tuple[str, str, str]] = field(default_factory=list)


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

def _record(db: Database, kind: str, ref: str, *, v2: bool = True) -> dict | None:
    """The content a chain row of ``kind`` covers, as stored now (``None``: the row is gone).

    ``v2``: the database has the columns of schema version 2 (intake, determination); a
    record holds them only when they are set, so records made before them hash as before.
    """
    if kind == "review":
        row = db.execute("SELECT id, created_at, request" + (", intake" if v2 else ", NULL") +
                         " FROM reviews WHERE id = ?", (ref,)).fetchone()
        if row is None:
            return None
        docs = db.execute("SELECT position, name, stored_name, kind, size FROM documents "
                          "WHERE review_id = ? ORDER BY position", (ref,)).fetchall()
        out = {"id": row[0], "created_at": row[1], "request": row[2],
               "documents": [list(d) for d in docs]}
        if row[3] is not None:
            out["intake"] = row[3]
        return out
    if kind == "result":
        row = db.execute("SELECT id, status, error, review, finished_at" +
                         (", determination" if v2 else ", NULL") +
                         " FROM reviews WHERE id = ?", (ref,)).fetchone()
        if row is None:
            return None
        out = dict(zip(("id", "status", "error", "review", "finished_at"), row[:5],
                       strict=True))
        if row[5] is not None:
            out["determination"] = row[5]
        return out
    if kind == "purge":
        row = db.execute("SELECT id, review_id, purged_at, files FROM purges WHERE id = ?",
                         (int(ref),)).fetchone()
        return None if row is None else dict(zip(
            ("id", "review_id", "purged_at", "files"), row, strict=True))
    if kind == "decision":
        row = db.execute("SELECT id, review_id, criterion_id, action, previous_action, comment, "
                         "reviewer, timestamp FROM decisions WHERE id = ?",
                         (int(ref),)).fetchone()
        return None if row is None else dict(zip(
            ("id", "review_id", "criterion_id", "action", "previous_action", "comment",
             "reviewer", "timestamp"), row, strict=True))
    if kind == "acceptance":
        row = db.execute("SELECT id, accepted_at, first_broken, problems FROM audit_acceptances "
                         "WHERE id = ?", (int(ref),)).fetchone()
        return None if row is None else dict(zip(
            ("id", "accepted_at", "first_broken", "problems"), row, strict=True))
    raise ValueError(f"unknown chain kind {kind!r}")


def chain_hash(prev_hash: str, kind: str, ref: str, record: dict) -> str:
    """sha256 over the previous hash and the canonical JSON of one record (sorted keys, no
    spaces, ASCII escapes: the same bytes whatever the platform)."""
    canonical = json.dumps({"kind": kind, "ref": ref, "record": record}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode("ascii")).hexdigest()


def _append(db: Database, kind: str, ref: str) -> tuple[int, str]:
    """Chain one record (inside the caller's transaction); returns the new (seq, hash)."""
    last = db.execute("SELECT hash FROM audit_chain ORDER BY seq DESC LIMIT 1").fetchone()
    prev = last[0] if last else GENESIS
    record = _record(db, kind, ref)
    if record is None:
        raise LookupError(f"{CHAIN_TABLES[kind]} {ref}: nothing to chain")
    digest = chain_hash(prev, kind, ref, record)
    seq = db.execute("INSERT INTO audit_chain (kind, ref, prev_hash, hash) VALUES (?,?,?,?) "
                     "RETURNING seq", (kind, ref, prev, digest)).fetchone()[0]
    return int(seq), digest


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


def verify(db: Database, head_file: Path | None) -> AuditReport:
    """Check the whole audit trail of an open database (read only; one snapshot).

    Every chain row must follow the one before it and match its record as stored now; every
    review, finished review, decision and acceptance must be chained; the newest chain row
    must be the one ``head_file`` records (or newer, when a server stopped between writing the
    database and the file). The first problem in chain order comes first.
    """
    report = AuditReport()
    head = _read_head(head_file) if head_file is not None else None
    problems = report.problems
    tables = db.tables()
    if "audit_chain" not in tables or "audit_acceptances" not in tables:
        problems.append(Problem("audit_chain", "", "table missing (a database made before "
                                                   "the audit chain, or the chain was dropped)"))
        return report
    v2 = "purges" in tables
    db.begin_snapshot()
    try:
        prev = GENESIS
        chained: dict[str, set[str]] = {kind: set() for kind in CHAIN_TABLES}
        seqs: dict[int, str] = {}
        for seq, kind, ref, prev_hash, digest in db.execute(
                "SELECT seq, kind, ref, prev_hash, hash FROM audit_chain ORDER BY seq"
                ).fetchall():
            seqs[seq] = digest
            if prev_hash != prev:
                problems.append(Problem("audit_chain", str(seq), "does not follow the chain "
                                        "row before it (a chain row was deleted, added or "
                                        "changed)"))
            prev = digest
            if kind not in CHAIN_TABLES or (kind == "purge" and not v2):
                problems.append(Problem("audit_chain", str(seq), "unknown kind of record"))
                continue
            report.counts[kind] = report.counts.get(kind, 0) + 1
            chained[kind].add(ref)
            record = _record(db, kind, ref, v2=v2)
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
             f"SELECT id FROM reviews ORDER BY created_at, {db.rowid}"),
            ("reviews", "finished outside the app (not in the audit chain)", "result",
             f"SELECT id FROM reviews WHERE status IN {FINISHED} OR review IS NOT NULL "
             f"OR finished_at IS NOT NULL ORDER BY created_at, {db.rowid}"),
            ("decisions", "not in the audit chain (added outside the app)", "decision",
             "SELECT id FROM decisions ORDER BY id"),
            ("audit_acceptances", "not in the audit chain", "acceptance",
             "SELECT id FROM audit_acceptances ORDER BY id"),
        ]
        if v2:
            unchained.append(("purges", "not in the audit chain", "purge",
                              "SELECT id FROM purges ORDER BY id"))
        for table, what, kind, query in unchained:
            for (ident,) in db.execute(query).fetchall():
                if str(ident) not in chained[kind]:
                    problems.append(Problem(table, str(ident), what))
        for (ident,) in db.execute("SELECT DISTINCT review_id FROM documents WHERE review_id "
                                   "NOT IN (SELECT id FROM reviews)").fetchall():
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
            "SELECT accepted_at, first_broken FROM audit_acceptances ORDER BY id").fetchall()]
    finally:
        db.rollback()
    return report


def open_readonly(target: Path | str) -> Database:
    """Open a database (a SQLite file or a ``postgresql://`` URL) for reading only
    (``audit verify`` changes nothing)."""
    return connect(target, readonly=True)


class Store:
    """The web page's database: a SQLite file in the data folder, or a PostgreSQL database.

    A SQLite file and its ``-wal``/``-shm`` companions are owner-only (0600). A database made
    before the audit chain is chained at first open (logged once). The schema is brought to
    the latest version of :data:`priorauth.web.db.MIGRATIONS` at open.

    Args:
        target: The SQLite file (created with its tables when missing), or a
            ``postgresql://`` URL.
        head_file: Where the newest chain row is recorded; by default beside a SQLite file
            (required for PostgreSQL).
    """

    def __init__(self, target: Path | str, *, head_file: Path | None = None) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._head: tuple[int, str] | None = None
        self._db = connect(target)
        if self._db.postgres:
            if head_file is None:
                self._db.close()
                raise ValueError("a PostgreSQL store needs a head file in the data folder")
            self.path = None
        else:
            self.path = Path(target)
        self.head_file = head_file if head_file is not None else head_path(Path(target))
        try:
            self._migrate()
        except BaseException:
            self._db.close()
            raise

    @property
    def dialect(self) -> str:
        return self._db.dialect

    def _migrate(self) -> None:
        db = self._db
        had_chain = "audit_chain" in db.tables()
        db.begin_write(migrating=True)
        try:
            version = db.version()
            db.script(MIGRATIONS[0][1](db.dialect))  # the base tables, as at every open
            for step, statements in MIGRATIONS:
                if step > max(version, 1):
                    db.script(statements(db.dialect))
            if version < LATEST:
                db.set_version(LATEST)
        except BaseException:
            db.rollback()
            raise
        db.commit()
        if self.path is not None:
            for suffix in ("-wal", "-shm", "-journal"):
                companion = self.path.with_name(self.path.name + suffix)
                if companion.exists():
                    os.chmod(companion, 0o600)
        if not had_chain and version < CHAIN_VERSION:
            self._chain_existing()

    def _chain_existing(self) -> None:
        """Chain every record of a database made before the audit chain."""
        with self._tx() as db:
            work = []
            for rid, status, review, finished in db.execute(
                    "SELECT id, status, review, finished_at FROM reviews "
                    f"ORDER BY created_at, {db.rowid}").fetchall():
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
    def _tx(self) -> Iterator[Database]:
        """One write transaction; a new chain head is written to the head file after it
        commits."""
        with self._lock:
            self._head = None
            self._db.begin_write()
            try:
                yield self._db
            except BaseException:
                self._db.rollback()
                raise
            self._db.commit()
            if self._head is not None:
                _write_head(self.head_file, *self._head)

    def _read(self, sql: str, params: tuple = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def verify(self) -> AuditReport:
        """Check the audit trail (see :func:`verify`)."""
        with self._lock:
            return verify(self._db, self.head_file)

    def record_acceptance(self, report: AuditReport) -> int:
        """Record, in the chain, that a server was told to serve this broken trail."""
        with self._tx() as db:
            row_id = db.execute("INSERT INTO audit_acceptances (accepted_at, first_broken, "
                                "problems) VALUES (?,?,?) RETURNING id",
                                (now(), str(report.first), len(report.problems))).fetchone()[0]
            self._head = _append(db, "acceptance", str(row_id))
        return int(row_id)

    # reviews -------------------------------------------------------------------------------

    def add_review(self, review_id: str, request_json: str,
                   documents: list[DocumentRow], *, intake: str | None = None) -> None:
        """Record a new review, status ``queued``, with its uploaded documents and intake
        fields (JSON) (chained)."""
        with self._tx() as db:
            db.execute("INSERT INTO reviews (id, created_at, request, status, intake) "
                       "VALUES (?,?,?,?,?)",
                       (review_id, now(), request_json, "queued", intake))
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
               error: str | None = None, determination: str | None = None) -> None:
        """Store a finished review's JSON (and its determination, for the worklist), or the
        one-line reason it failed (chained)."""
        status = "failed" if error is not None else "done"
        if review_json is not None and determination is None:
            determination = json.loads(review_json).get("determination")
        with self._tx() as db:
            db.execute("UPDATE reviews SET status = ?, review = ?, error = ?, finished_at = ?, "
                       "determination = ? WHERE id = ?",
                       (status, review_json, error, now(), determination, review_id))
            self._head = _append(db, "result", review_id)

    def fail_interrupted(self) -> list[str]:
        """Mark reviews left running by a previous server as failed; returns their ids."""
        marks = ",".join("?" * len(RUNNING))
        with self._tx() as db:
            ids = [r[0] for r in db.execute(
                f"SELECT id FROM reviews WHERE status IN ({marks}) "
                f"ORDER BY created_at, {db.rowid}", RUNNING).fetchall()]
            db.execute(f"UPDATE reviews SET status = 'failed', error = ?, finished_at = ? "
                       f"WHERE status IN ({marks})",
                       ("the server stopped before this review finished; upload it again",
                        now(), *RUNNING))
            for review_id in ids:
                self._head = _append(db, "result", review_id)
        return ids

    def review(self, review_id: str) -> ReviewRow | None:
        """One review by id, or ``None``."""
        rows = self._read("SELECT id, created_at, request, status, error, review, finished_at "
                          "FROM reviews WHERE id = ?", (review_id,))
        return ReviewRow(*rows[0]) if rows else None

    def recent(self, limit: int = 20) -> list[ReviewRow]:
        """The latest reviews, newest first, without their review JSON."""
        rows = self._read(
            "SELECT id, created_at, request, status, error, NULL, finished_at "
            f"FROM reviews ORDER BY created_at DESC, {self._db.rowid} DESC LIMIT ?", (limit,))
        return [ReviewRow(*r) for r in rows]

    def worklist(self, limit: int = 1000) -> list[WorkRow]:
        """The latest reviews with their intake fields, machine determination and every
        decision's (criterion, action, reviewer), newest first."""
        rows = self._read(
            "SELECT id, created_at, request, status, intake, determination, purged_at "
            f"FROM reviews ORDER BY created_at DESC, {self._db.rowid} DESC LIMIT ?", (limit,))
        out = [WorkRow(*r) for r in rows]
        by_id = {w.id: w for w in out}
        for review_id, criterion, action, reviewer in self._read(
                "SELECT review_id, criterion_id, action, reviewer FROM decisions ORDER BY id"):
            if review_id in by_id:
                by_id[review_id].decisions.append((criterion, action, reviewer))
        return out

    def intake(self, review_id: str) -> dict:
        """A review's intake fields ({} when none were given)."""
        rows = self._read("SELECT intake FROM reviews WHERE id = ?", (review_id,))
        return json.loads(rows[0][0]) if rows and rows[0][0] else {}

    def documents(self, review_id: str) -> list[DocumentRow]:
        """A review's documents in upload order."""
        rows = self._read("SELECT position, name, stored_name, kind, size FROM documents "
                          "WHERE review_id = ? ORDER BY position", (review_id,))
        return [DocumentRow(*r) for r in rows]

    # retention -------------------------------------------------------------------------------

    def expired(self, before: str) -> list[str]:
        """Finished reviews received before ``before`` (ISO time) whose files are still kept."""
        return [r[0] for r in self._read(
            f"SELECT id FROM reviews WHERE created_at < ? AND purged_at IS NULL AND status IN "
            f"{FINISHED} ORDER BY created_at", (before,))]

    def record_purge(self, review_id: str, files: int) -> None:
        """Record (chained) that a review's uploaded files and page images were deleted."""
        with self._tx() as db:
            stamp = now()
            row_id = db.execute("INSERT INTO purges (review_id, purged_at, files) VALUES "
                                "(?,?,?) RETURNING id", (review_id, stamp, files)).fetchone()[0]
            db.execute("UPDATE reviews SET purged_at = ? WHERE id = ?", (stamp, review_id))
            self._head = _append(db, "purge", str(row_id))

    def purged_at(self, review_id: str) -> str | None:
        rows = self._read("SELECT purged_at FROM reviews WHERE id = ?", (review_id,))
        return rows[0][0] if rows else None

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
            row_id = int(db.execute(
                "INSERT INTO decisions (review_id, criterion_id, action, previous_action, "
                "comment, reviewer, timestamp) VALUES (?,?,?,?,?,?,?) RETURNING id",
                (review_id, criterion_id, action, prev[0] if prev else None, comment, reviewer,
                 stamp)).fetchone()[0])
            self._head = _append(db, "decision", str(row_id))
        return Decision(row_id, review_id, criterion_id, action, prev[0] if prev else None,
                        comment, reviewer, stamp)

    def decisions(self, review_id: str) -> list[Decision]:
        """The whole audit trail of a review, oldest first."""
        rows = self._read(
            "SELECT id, review_id, criterion_id, action, previous_action, comment, "
            "reviewer, timestamp FROM decisions WHERE review_id = ? ORDER BY id", (review_id,))
        return [Decision(*r) for r in rows]

    def reviews_with_final(self) -> list[str]:
        """Ids of reviews that have a final decision, oldest first."""
        return [r[0] for r in self._read(
            "SELECT DISTINCT r.id, r.created_at FROM reviews r JOIN decisions d ON "
            "d.review_id = r.id WHERE d.criterion_id = 'final' AND d.action != 'comment' "
            "ORDER BY r.created_at, r.id")]

    # accounts and sessions (not records: outside the chain) ----------------------------------

    def add_user(self, name: str, role: str, password_hash: str) -> None:
        """Add an account, or replace the role and password of an existing one."""
        name = clean_reviewer_name(name)
        with self._tx() as db:
            if db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                db.execute("UPDATE users SET role = ?, password_hash = ? WHERE name = ?",
                           (role, password_hash, name))
                db.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
            else:
                db.execute("INSERT INTO users (name, role, password_hash, created_at) "
                           "VALUES (?,?,?,?)", (name, role, password_hash, now()))

    def user(self, name: str) -> tuple[str, str, str] | None:
        """(name, role, password hash) of an account, or ``None``."""
        rows = self._read("SELECT name, role, password_hash FROM users WHERE name = ?", (name,))
        return (rows[0][0], rows[0][1], rows[0][2]) if rows else None

    def user_count(self) -> int:
        return int(self._read("SELECT count(*) FROM users")[0][0])

    def set_password_hash(self, name: str, password_hash: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                       (password_hash, name))

    def add_session(self, token_hash: str, user_name: str, csrf: str, clock: float) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO sessions (token_hash, user_name, csrf, created_at, "
                       "last_seen) VALUES (?,?,?,?,?)",
                       (token_hash, user_name, csrf, now(), clock))

    def session(self, token_hash: str) -> tuple[str, str, str, float] | None:
        """(user name, role, csrf token, last seen) of a session, or ``None``."""
        rows = self._read("SELECT s.user_name, u.role, s.csrf, s.last_seen FROM sessions s "
                          "JOIN users u ON u.name = s.user_name WHERE s.token_hash = ?",
                          (token_hash,))
        return (rows[0][0], rows[0][1], rows[0][2], float(rows[0][3])) if rows else None

    def touch_session(self, token_hash: str, clock: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?",
                       (clock, token_hash))

    def end_session(self, token_hash: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def end_idle_sessions(self, before: float) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE last_seen < ?", (before,))
