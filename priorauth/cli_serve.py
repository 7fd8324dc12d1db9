"""``priorauth serve``: the reviewer web page on this machine.

The page has no login: the reviewer types their name, which is stored with each decision.
It listens on 127.0.0.1 by default, refuses to listen on anything but a loopback address
(exit 2), and refuses requests addressed to any other host name. It checks the audit trail
of its data folder first and refuses to serve a broken one (exit 2, naming the first broken
row) unless started with ``--accept-broken-audit-trail``. Header and body timeouts and a
connection limit: see :mod:`priorauth.web.server`.
"""

from __future__ import annotations

import argparse
import logging
import sys

from priorauth.cli import positive_int
from priorauth.web.listen import NotLoopback, ServerLimits, check_listen_host

COMMAND = "serve"


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0-3600)")
    return value


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (1-65535)")
    return port



def add_parser(sub) -> argparse.ArgumentParser:
    """Add the ``serve`` subcommand to the CLI's subparsers."""
    serve = sub.add_parser(COMMAND, help="start the reviewer web page (upload a chart, check "
                           "the evidence, record a decision)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1): without accounts "
                            "('priorauth users add') only loopback addresses are allowed; "
                            "with them, put the page behind HTTPS (its cookies are Secure)")
    serve.add_argument("--port", type=_port, default=8000, help="TCP port (default 8000)")
    serve.add_argument("--data-dir", required=True, metavar="DIR",
                       help="folder for the database of reviews and decisions and for the "
                            "uploaded charts (created if missing; holds patient data)")
    serve.add_argument("--max-file-mb", type=positive_int, default=20, metavar="MB",
                       help="largest uploaded file (default 20 MB)")
    serve.add_argument("--max-pages", type=positive_int, default=300, metavar="N",
                       help="most pages in one uploaded PDF (default 300)")
    defaults = ServerLimits()
    serve.add_argument("--header-timeout", type=_seconds, default=defaults.header_timeout,
                       metavar="SECONDS", help="close a connection that has not sent a "
                       f"request's headers within this time (default {defaults.header_timeout:g})")
    serve.add_argument("--body-timeout", type=_seconds, default=defaults.body_timeout,
                       metavar="SECONDS", help="close a connection whose request body pauses "
                       f"this long (default {defaults.body_timeout:g})")
    serve.add_argument("--max-connections", type=positive_int, default=defaults.max_connections,
                       metavar="N", help="open connections above which requests get 503 "
                       f"(default {defaults.max_connections})")
    serve.add_argument("--database-url", metavar="URL", default=None,
                       help="keep reviews, decisions and accounts in this PostgreSQL "
                            "database (postgresql://user@host/db) instead of the SQLite file "
                            "in the data folder; the schema is made or migrated at start")
    serve.add_argument("--idle-minutes", type=_seconds, default=30, metavar="MIN",
                       help="a signed-in session unused this long ends (default 30)")
    serve.add_argument("--retention-days", type=positive_int, default=None, metavar="N",
                       help="delete uploaded files and page images of finished reviews "
                            "received more than N days ago (checked at start and hourly); "
                            "decisions and the audit trail are kept")
    serve.add_argument("--accept-broken-audit-trail", action="store_true",
                       help="serve even though 'priorauth audit verify' finds the audit trail "
                            "broken (logged, and recorded in the trail)")
    return serve


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; returns the exit status."""
    try:
        check_listen_host(args.host, sign_in_enabled=_has_accounts(args))
    except NotLoopback as exc:
        print(f"priorauth: error: {exc}", file=sys.stderr)
        return 2
    try:
        import uvicorn

        from priorauth.web.app import LOCAL_HOSTS, BrokenAuditTrail, Limits, create_app
        from priorauth.web.db import DatabaseError, is_postgres_url
        from priorauth.web.server import make_config
    except ImportError as exc:
        print(f"priorauth: error: the web page needs the 'web' extra ({exc.name} is missing); "
              "install it with: pip install 'priorauth[web]'", file=sys.stderr)
        return 2
    if args.database_url and not is_postgres_url(args.database_url):
        print("priorauth: error: --database-url must be a postgresql:// URL", file=sys.stderr)
        return 2
    max_file = args.max_file_mb * 1_000_000
    limits = Limits(max_file_bytes=max_file, max_request_bytes=max(max_file, 50_000_000),
                    max_pages=args.max_pages)
    hosts = list(LOCAL_HOSTS)
    if args.host not in hosts:  # another loopback address, e.g. 127.0.0.2
        hosts.append(args.host)
    web_log = logging.getLogger("priorauth.web")
    if not any(getattr(h, "priorauth_serve", False) for h in web_log.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        handler.priorauth_serve = True  # type: ignore[attr-defined]
        web_log.addHandler(handler)
    web_log.setLevel(logging.INFO)
    try:
        app = create_app(args.data_dir, limits=limits, allowed_hosts=hosts,
                         accept_broken_audit_trail=args.accept_broken_audit_trail,
                         database_url=args.database_url, idle_minutes=args.idle_minutes,
                         retention_days=args.retention_days)
    except BrokenAuditTrail as exc:
        print(f"priorauth: error: {exc}; not serving it (see 'priorauth audit verify'; "
              "--accept-broken-audit-trail serves it anyway)", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"priorauth: error: cannot use data folder {args.data_dir}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2
    except (*DatabaseError, RuntimeError) as exc:  # type: ignore[misc]
        where = "the PostgreSQL database" if args.database_url else f"the database in " \
                                                                    f"{args.data_dir}"
        print(f"priorauth: error: cannot use {where}: {' '.join(str(exc).split())}",
              file=sys.stderr)
        return 2
    server_limits = ServerLimits(header_timeout=args.header_timeout,
                                 body_timeout=args.body_timeout,
                                 max_connections=args.max_connections)
    config = make_config(app, host=args.host, port=args.port, limits=server_limits)
    print(f"priorauth: reviewer page on http://{args.host}:{args.port}/ "
          "(Ctrl+C to stop)", file=sys.stderr)
    uvicorn.Server(config).run()
    return 0


def _has_accounts(args: argparse.Namespace) -> bool:
    """Whether the store of ``args`` has an account (sign-in on); ``False`` when it cannot
    be read yet (the server start reports why)."""
    from pathlib import Path

    try:
        from priorauth.web.db import connect
    except ImportError:
        return False
    target = args.database_url or Path(args.data_dir) / "priorauth.sqlite3"
    if not args.database_url and not Path(target).is_file():
        return False
    try:
        db = connect(target, readonly=True)
    except Exception:  # noqa: BLE001 - any failure: no accounts known
        return False
    try:
        return "users" in db.tables() and db.execute(
            "SELECT count(*) FROM users").fetchone()[0] > 0
    except Exception:  # noqa: BLE001
        return False
    finally:
        db.close()
