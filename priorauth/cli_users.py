"""``priorauth users add NAME --role nurse|physician --data-dir D``: accounts of the reviewer
page. The password comes from a prompt (typed twice) or, with ``--password-stdin``, from the
first line of standard input; it is stored as an argon2id hash. Adding an existing name sets
its role and password and ends its sessions. Once a data folder has an account, the page
needs sign-in (and may listen beyond loopback)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

COMMAND = "users"


def add_parser(sub) -> argparse.ArgumentParser:
    users = sub.add_parser(COMMAND, help="manage the reviewer page's accounts")
    actions = users.add_subparsers(dest="users_action", required=True,
                                   parser_class=type(users))
    add = actions.add_parser("add", help="add an account (or set its role and password)")
    add.add_argument("name", help="the reviewer's name, as stored with every decision")
    add.add_argument("--role", required=True, choices=("nurse", "physician"))
    add.add_argument("--data-dir", required=True, metavar="DIR",
                     help="the folder given to 'priorauth serve --data-dir'")
    add.add_argument("--database-url", metavar="URL", default=None,
                     help="the PostgreSQL database given to 'priorauth serve --database-url'")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    return users


def run(args: argparse.Namespace) -> int:
    from priorauth.cli import UsageError
    from priorauth.web.auth import hash_password
    from priorauth.web.db import DatabaseError
    from priorauth.web.store import (
        ReviewerNameError,
        Store,
        clean_reviewer_name,
        secure_data_dir,
    )

    try:
        name = clean_reviewer_name(args.name)
    except ReviewerNameError as exc:
        raise UsageError(str(exc)) from None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("again: ") != password:
            raise UsageError("the two passwords differ")
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    folder = Path(args.data_dir)
    try:
        secure_data_dir(folder)
        if args.database_url:
            store = Store(args.database_url, head_file=folder / "postgresql.audit-head")
        else:
            store = Store(folder / "priorauth.sqlite3")
    except (OSError, *DatabaseError) as exc:  # type: ignore[misc]
        raise UsageError(f"cannot open the store in {args.data_dir}: {exc}") from None
    try:
        store.add_user(name, args.role, hashed)
    finally:
        store.close()
    print(f"priorauth: account {name} ({args.role}) saved; the reviewer page now needs "
          "sign-in")
    return 0
