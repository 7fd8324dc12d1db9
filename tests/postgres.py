"""A real PostgreSQL server for tests: Debian's binaries, a throw-away cluster in a temp folder.

``postgres_server()`` runs ``initdb`` and ``pg_ctl`` (as the ``postgres`` user when the tests
run as root, since PostgreSQL refuses to run as root) on a free port of 127.0.0.1 and yields
an admin URL; ``fresh_database(url)`` makes an empty database on it. When the binaries are
missing the tests are skipped on a developer's machine, and fail under CI (``CI=true``), where
scripts/setup-and-test.sh installs them. ``PRIORAUTH_TEST_DATABASE_URL`` points the tests at
a server of your own instead.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ENV_URL = "PRIORAUTH_TEST_DATABASE_URL"


def _bindir() -> Path | None:
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


def _missing(why: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL tests cannot run in CI: {why} (scripts/setup-and-test.sh "
                    "installs Debian's postgresql)")
    pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield the URL of a running PostgreSQL server (superuser ``postgres``, trust auth)."""
    if os.environ.get(ENV_URL):
        yield os.environ[ENV_URL]
        return
    bindir = _bindir()
    if bindir is None:
        _missing("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    assert bindir is not None
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _missing("psycopg is not installed (pip install -e '.[web]')")
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="priorauth-pg-"))
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data = folder / "data"
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                    "--auth=trust", "-E", "UTF8", "--no-sync"], check=True, env=env,
                   capture_output=True, timeout=120)
    log = folder / "server.log"
    subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
                    "-t", "60", "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 "
                    "-c fsync=off", "start"], check=True, env=env, capture_output=True,
                   timeout=120)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "-w", "stop"], env=env, capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(admin_url: str) -> str:
    """Create an empty database on the server; returns its URL."""
    import psycopg

    name = "t_" + secrets.token_hex(6)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return admin_url.rsplit("/", 1)[0] + "/" + name
