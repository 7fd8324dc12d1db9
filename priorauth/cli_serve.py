"""``priorauth serve``: the reviewer web page on this machine.

The page has no login: the reviewer types their name, which is stored with each decision.
It listens on 127.0.0.1 by default and refuses requests addressed to any other host name.
It checks the audit trail of its data folder first and refuses to serve a broken one (exit 2,
naming the first broken row) unless started with ``--accept-broken-audit-trail``.
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import sys

from priorauth.cli import positive_int

COMMAND = "serve"


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
                       help="address to listen on (default 127.0.0.1; the page has no login, "
                            "keep it on this machine)")
    serve.add_argument("--port", type=_port, default=8000, help="TCP port (default 8000)")
    serve.add_argument("--data-dir", required=True, metavar="DIR",
                       help="folder for the database of reviews and decisions and for the "
                            "uploaded charts (created if missing; holds patient data)")
    serve.add_argument("--max-file-mb", type=positive_int, default=20, metavar="MB",
                       help="largest uploaded file (default 20 MB)")
    serve.add_argument("--max-pages", type=positive_int, default=300, metavar="N",
                       help="most pages in one uploaded PDF (default 300)")
    serve.add_argument("--accept-broken-audit-trail", action="store_true",
                       help="serve even though 'priorauth audit verify' finds the audit trail "
                            "broken (logged, and recorded in the trail)")
    return serve


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; returns the exit status."""
    try:
        import uvicorn

        from priorauth.web.app import LOCAL_HOSTS, BrokenAuditTrail, Limits, create_app
    except ImportError as exc:
        print(f"priorauth: error: the web page needs the 'web' extra ({exc.name} is missing); "
              "install it with: pip install 'priorauth[web]'", file=sys.stderr)
        return 2
    max_file = args.max_file_mb * 1_000_000
    limits = Limits(max_file_bytes=max_file, max_request_bytes=max(max_file, 50_000_000),
                    max_pages=args.max_pages)
    hosts = list(LOCAL_HOSTS)
    if args.host not in hosts:
        hosts.append(args.host)
        print(f"priorauth: warning: listening on {args.host}; the page has no login, anyone "
              "who can reach this address can read the reviews", file=sys.stderr)
    web_log = logging.getLogger("priorauth.web")
    if not any(getattr(h, "priorauth_serve", False) for h in web_log.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        handler.priorauth_serve = True  # type: ignore[attr-defined]
        web_log.addHandler(handler)
    web_log.setLevel(logging.INFO)
    try:
        app = create_app(args.data_dir, limits=limits, allowed_hosts=hosts,
                         accept_broken_audit_trail=args.accept_broken_audit_trail)
    except BrokenAuditTrail as exc:
        print(f"priorauth: error: {exc}; not serving it (see 'priorauth audit verify'; "
              "--accept-broken-audit-trail serves it anyway)", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"priorauth: error: cannot use data folder {args.data_dir}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2
    except sqlite3.Error as exc:
        print(f"priorauth: error: cannot use the database in {args.data_dir}: {exc}",
              file=sys.stderr)
        return 2
    print(f"priorauth: reviewer page on http://{args.host}:{args.port}/ "
          "(Ctrl+C to stop)", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", server_header=False)
    return 0
