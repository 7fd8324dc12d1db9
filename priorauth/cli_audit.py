"""``priorauth audit verify --data-dir D``: check the web page's tamper-evident audit trail.

Reads the database of a ``priorauth serve`` data folder (read only; a running server may keep
serving) and recomputes its hash chain over reviews, their documents, finished reviews,
decisions and acceptances (see :mod:`priorauth.web.store`).

Exit status 0 with a one-line summary when the chain is whole; 1 with one line naming the
first broken row (table and id, never its content) when it is not; 2 with one line when the
data folder or its database is missing or unreadable.
"""

from __future__ import annotations

import argparse
from pathlib import Path

COMMAND = "audit"
BROKEN = 1
DATABASE = "priorauth.sqlite3"
#: The head file of a PostgreSQL store, in the data folder.
PG_HEAD = "postgresql.audit-head"


def add_parser(sub) -> argparse.ArgumentParser:
    """Add the ``audit`` subcommand (with its one action, ``verify``) to the CLI."""
    audit = sub.add_parser(COMMAND, help="check the reviewer page's audit trail",
                           description="Check the tamper-evident audit trail of a "
                           "'priorauth serve' data folder.")
    actions = audit.add_subparsers(dest="audit_action", required=True,
                                   parser_class=type(audit))
    verify = actions.add_parser(
        "verify", help="recompute the hash chain; exit 0 when whole, 1 naming the first "
        "broken row, 2 when the folder or database cannot be read")
    verify.add_argument("--data-dir", required=True, metavar="DIR",
                        help="the folder given to 'priorauth serve --data-dir'")
    verify.add_argument("--database-url", metavar="URL", default=None,
                        help="the PostgreSQL database given to 'priorauth serve "
                             "--database-url' (default: the SQLite file in the data folder)")
    return audit


def run(args: argparse.Namespace) -> int:
    """Run ``priorauth audit verify``; returns the exit status."""
    from priorauth.cli import UsageError
    from priorauth.web.db import DatabaseError, is_postgres_url
    from priorauth.web.store import head_path, open_readonly, verify

    folder = Path(args.data_dir)
    if not folder.is_dir():
        raise UsageError(f"data folder {args.data_dir} does not exist or is not a folder")
    url = getattr(args, "database_url", None)
    if url:
        if not is_postgres_url(url):
            raise UsageError("--database-url must be a postgresql:// URL")
        database: Path | str = url
        shown = "the PostgreSQL database"
        head = folder / PG_HEAD
    else:
        database = folder / DATABASE
        shown = str(database)
        if not database.is_file():
            raise UsageError(f"no database {DATABASE} in {args.data_dir} (not a 'priorauth "
                             "serve' data folder?)")
        head = head_path(database)
    try:
        db = open_readonly(database)
    except (*DatabaseError, RuntimeError) as exc:
        raise UsageError(f"cannot read {shown}: {_one_line(exc)}") from None
    try:
        report = verify(db, head)
    except DatabaseError as exc:
        raise UsageError(f"cannot read {shown}: {_one_line(exc)}") from None
    finally:
        db.close()
    print(f"priorauth: {report.summary()}")
    return 0 if report.whole else BROKEN


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
