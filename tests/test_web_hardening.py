"""The reviewer page's server under hostile use: file modes of the data folder, loopback-only
listening, header and body timeouts with a connection limit and rate-limited logs (a real
``priorauth serve`` in a subprocess, real sockets), reviewer names, and small reviews not
starved by large ones (a real scanned PDF through the real pipeline).
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import os
import selectors
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from priorauth.cli import main
from priorauth.models import ReviewRequest
from priorauth.web.app import create_app
from priorauth.web.jobs import ReviewRunner, lane_of
from priorauth.web.listen import check_listen_host, is_loopback
from priorauth.web.server import RateLimitFilter
from priorauth.web.store import ReviewerNameError, Store, clean_reviewer_name

with warnings.catch_warnings():  # starlette prefers httpx2; httpx works the same here
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
NOTE = ROOT / "sample_notes" / "01_pt_failed_pacemaker" / "spine_followup_2026-10-02.txt"
FORM = {"cpt": "72131", "request_date": "2026-10-14", "age": "57"}


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _wait_done(get_status, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = get_status()
        if status["status"] in ("done", "failed"):
            return status
        assert time.monotonic() < deadline, f"review still {status['status']}"
        time.sleep(0.05)


# ---- file modes -------------------------------------------------------------------------------

@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_data_folder_and_its_database_are_owner_only(tmp_path, umask_022):
    data = tmp_path / "new"
    app = create_app(data)
    try:
        database = data / "priorauth.sqlite3"
        assert _mode(data) == 0o700
        assert _mode(data / "uploads") == 0o700
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            assert path.exists() and _mode(path) == 0o600, path
    finally:
        app.state.store.close()


def test_an_existing_world_readable_data_folder_and_database_are_made_owner_only(
        tmp_path, umask_022):
    data = tmp_path / "data"
    data.mkdir()
    (data / "uploads").mkdir()
    database = data / "priorauth.sqlite3"
    other = sqlite3.connect(database)  # a database left by an older version, WAL files open
    other.execute("PRAGMA journal_mode = WAL")
    other.execute("CREATE TABLE notes (x)")
    other.execute("INSERT INTO notes VALUES (1)")
    other.commit()
    for path in (data, data / "uploads"):
        os.chmod(path, 0o755)
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        os.chmod(path, 0o644)
    try:
        with TestClient(create_app(data, allowed_hosts=["testserver"])) as client:
            response = client.post("/api/reviews", data=FORM,
                                   files=[("files", (NOTE.name, NOTE.read_bytes()))])
            review_id = response.json()["id"]
            _wait_done(lambda: client.get(f"/api/reviews/{review_id}/status").json())
            assert _mode(data) == 0o700
            assert _mode(data / "uploads") == 0o700
            for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm"),
                         Path(f"{database}.audit-head"),
                         *(data / "uploads" / review_id).iterdir()):
                assert _mode(path) == 0o600, path
    finally:
        other.close()


# ---- loopback only ----------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.2.1", "::1", "[::1]", "localhost",
                                  "LocalHost"])
def test_loopback_addresses_are_loopback(host):
    assert is_loopback(host)
    check_listen_host(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "example.org",
                                  "localhost.example.org", "", "::ffff:10.0.0.1"])
def test_serve_refuses_a_host_beyond_this_machine(tmp_path, capsys, host):
    assert not is_loopback(host)
    data = tmp_path / "data"
    assert main(["serve", "--host", host, "--data-dir", str(data), "--port", "8765"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no sign-in yet, so it only listens on this machine" in err
    assert not data.exists()  # refused before anything was made


def test_a_future_sign_in_lifts_the_loopback_rule():
    check_listen_host("0.0.0.0", sign_in_enabled=True)


# ---- the real server: timeouts, connection limit, logs ----------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, port: int, log: Path, proc: subprocess.Popen) -> None:
        self.port, self.log, self.proc = port, log, proc

    def get(self, path: str = "/", timeout: float = 10.0) -> tuple[int, float]:
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            return response.status, time.monotonic() - started
        finally:
            conn.close()

    def lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()


@pytest.fixture
def serve(tmp_path) -> Iterator:
    started: list[subprocess.Popen] = []

    def start(*options: str) -> Server:
        port = _free_port()
        log = tmp_path / f"serve-{port}.log"
        with open(log, "wb") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-m", "priorauth", "serve", "--data-dir",
                 str(tmp_path / "data"), "--port", str(port), *options],
                stdout=sink, stderr=subprocess.STDOUT)
        started.append(proc)
        server = Server(port, log, proc)
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if server.get(timeout=2)[0] == 200:
                    return server
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)

    yield start
    for proc in started:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _slow_sockets(port: int, count: int, first: bytes) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(first)
        sockets.append(sock)
    return sockets


def _closed_by(sockets: list[socket.socket], deadline: float) -> list[socket.socket]:
    """Wait until ``deadline`` (monotonic) for the server to close each socket; returns the
    ones closed."""
    selector = selectors.DefaultSelector()
    for sock in sockets:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    closed = []
    while len(closed) < len(sockets) and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=max(0.0, deadline - time.monotonic())):
            sock = key.fileobj
            try:
                data = sock.recv(4096)
            except ConnectionResetError:
                data = b""
            if not data:
                selector.unregister(sock)
                closed.append(sock)
    selector.close()
    return closed


def _still_open(sockets: list[socket.socket]) -> int:
    selector = selectors.DefaultSelector()
    for sock in sockets:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    readable = selector.select(timeout=0)
    selector.close()
    return len(sockets) - len(readable)


PARTIAL = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


def test_connections_that_never_finish_their_headers_are_closed_and_others_served(serve):
    server = serve("--header-timeout", "3", "--max-connections", "200")
    opened = time.monotonic()
    slow = _slow_sockets(server.port, 50, PARTIAL)
    status, took = server.get()
    assert status == 200 and took < 3, took
    assert _still_open(slow) == 50  # not closed for nothing: only by the timeout
    closed = _closed_by(slow, opened + 3 + 4)
    assert len(closed) == 50
    assert time.monotonic() - opened >= 2.5
    for sock in slow:
        sock.close()
    assert server.get()[0] == 200
    lines = server.lines()
    timeouts = [line for line in lines if "sent no complete request headers within 3 s" in line]
    assert len(timeouts) == 1, lines  # one line for the cause, not one per connection
    assert len(lines) < 20, lines
    assert not any("Traceback" in line for line in lines)


def test_a_flood_of_slow_connections_cannot_fill_the_connection_limit(serve):
    server = serve("--header-timeout", "5", "--max-connections", "20")
    slow = _slow_sockets(server.port, 120, PARTIAL)
    status, took = server.get()
    assert status == 200 and took < 3, (status, took)  # not 503, not a timeout
    # Beyond 10 (half the limit) waiting connections, the oldest were closed at once.
    closed = _closed_by(slow, time.monotonic() + 2)
    assert len(closed) >= 100
    for sock in slow:
        sock.close()
    lines = server.lines()
    assert len([line for line in lines if "closed the oldest connection" in line]) == 1, lines
    assert len(lines) < 20, lines


def test_a_stalled_request_body_is_cut_after_the_body_timeout_without_tracebacks(serve):
    server = serve("--header-timeout", "3", "--body-timeout", "2")
    head = (b"POST /api/reviews HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n"
            b"Content-Type: multipart/form-data; boundary=xyz\r\n\r\n--xyz\r\n")
    opened = time.monotonic()
    stalled = _slow_sockets(server.port, 5, head)
    assert _closed_by(stalled, opened + 1) == []  # the headers were complete: no header cut
    closed = _closed_by(stalled, opened + 2 + 4)
    assert len(closed) == 5 and time.monotonic() - opened >= 1.5
    for sock in stalled:
        sock.close()
    assert server.get()[0] == 200
    lines = server.lines()
    stalls = [line for line in lines if "request body stalled for 2 s" in line]
    assert len(stalls) == 1, lines
    assert not any("Traceback" in line or "Exception" in line for line in lines), lines


def test_a_slow_but_moving_request_is_served_whole(serve):
    """Headers in pieces within the header timeout, then a body in pieces each within the
    body timeout but longer than it in all: answered, not cut."""
    server = serve("--header-timeout", "3", "--body-timeout", "2")
    body = json.dumps({"criterion_id": "final", "action": "approve", "comment": "x" * 40,
                       "reviewer": "A. Reviewer"}).encode()
    pieces = [b"POST /api/reviews/" + b"c" * 32 + b"/decisions HTTP/1.1\r\n",
              b"Host: 127.0.0.1\r\nContent-Type: application/json\r\n",
              b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"]
    step = len(body) // 4 + 1
    pieces += [body[i:i + step] for i in range(0, len(body), step)]
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        started = time.monotonic()
        for index, piece in enumerate(pieces):
            sock.sendall(piece)
            time.sleep(0.6 if index < 2 else 1.2)
        assert time.monotonic() - started > 4  # longer than either timeout in all
        answer = sock.recv(65536)
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 404"), answer[:200]
    assert b"no such review" in answer


def test_a_keep_alive_connection_that_starts_a_request_and_stalls_is_closed(serve):
    server = serve("--header-timeout", "2")
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        sock.sendall(b"GET /static/app.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        answered = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the next request stalls
        assert _closed_by([sock], answered + 4.5) == [sock]
        assert time.monotonic() - answered >= 1.5
    finally:
        sock.close()


def test_serve_with_accept_broken_audit_trail_serves_warns_and_records_it(serve, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    store = Store(data / "priorauth.sqlite3")
    store.add_review("e" * 32, "{}", [])
    store.add_decision("e" * 32, "final", "approve", "secret-comment", "Ann")
    store.close()
    db = sqlite3.connect(data / "priorauth.sqlite3")
    db.executescript("DROP TRIGGER decisions_no_update; UPDATE decisions SET action = "
                     "'refer_to_physician'")
    db.close()
    refused = subprocess.run([sys.executable, "-m", "priorauth", "serve", "--data-dir",
                              str(data), "--port", str(_free_port())],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "decisions id 1" in refused.stderr
    server = serve("--accept-broken-audit-trail")
    assert server.get()[0] == 200
    warnings = [line for line in server.lines() if line.startswith("WARNING")]
    assert len(warnings) == 1 and "decisions id 1: changed after it was recorded" in \
        warnings[0] and "secret-comment" not in warnings[0]
    db = sqlite3.connect(data / "priorauth.sqlite3")
    assert db.execute("SELECT first_broken FROM audit_acceptances").fetchall() == [
        ("decisions id 1: changed after it was recorded",)]
    db.close()


def test_log_lines_of_one_cause_are_written_once_per_interval_without_traceback_text():
    stream = io.StringIO()
    logger = logging.getLogger("priorauth.test.ratelimit")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    limiter = RateLimitFilter(interval=0.5)
    logger.addFilter(limiter)
    try:
        for number in range(500):
            logger.warning("connection %d from %s closed", number, "127.0.0.1")
        for _ in range(300):
            try:
                raise ValueError("chart text: secret-patient-name")
            except ValueError:
                logger.exception("Exception in ASGI application")
        logger.warning("another cause")
        time.sleep(0.6)
        logger.warning("connection %d from %s closed", 501, "127.0.0.1")
    finally:
        logger.removeHandler(handler)
        logger.removeFilter(limiter)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4, lines
    assert lines[0] == "connection 0 from 127.0.0.1 closed"
    assert lines[1].startswith("Exception in ASGI application [ValueError at ")
    assert "secret-patient-name" not in stream.getvalue()
    assert "Traceback" not in stream.getvalue()
    assert lines[2] == "another cause"
    assert lines[3] == ("connection 501 from 127.0.0.1 closed (499 more like this in the "
                        "last 0.5 s not logged)")


# ---- reviewer names ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("names"), allowed_hosts=["testserver"])
    with TestClient(app) as client:
        review_id = client.post("/api/reviews", data=FORM, files=[
            ("files", (NOTE.name, NOTE.read_bytes()))]).json()["id"]
        assert _wait_done(lambda: client.get(
            f"/api/reviews/{review_id}/status").json())["status"] == "done"
        yield client, review_id


@pytest.mark.parametrize(("name", "message"), [
    ("Ann\x00Smith", "control or formatting character U+0000"),
    ("Ann\nSmith", "control or formatting character U+000A"),
    ("Ann\r\nSmith", "control or formatting character U+000D"),
    ("Ann\tSmith", "control or formatting character U+0009"),
    ("\u202eAnn Smith", "control or formatting character U+202E"),
    ("Ann \u202aSmith", "control or formatting character U+202A"),
    ("Ann \u2066Smith\u2069", "control or formatting character U+2066"),
    ("Ann\u200bSmith", "control or formatting character U+200B"),
    ("Ann\u2028Smith", "control or formatting character U+2028"),
    (" \u00a0\u3000 ", "reviewer name is empty"),
    ("A" * 101, "reviewer name is longer than 100 characters"),
], ids=["nul", "newline", "crlf", "tab", "rlo", "lre", "isolate", "zero-width-space",
        "line-separator", "only-spaces", "too-long"])
def test_unprintable_empty_or_long_reviewer_names_are_refused(reviewed, name, message):
    client, review_id = reviewed
    before = client.get(f"/api/reviews/{review_id}/decisions").json()["decisions"]
    response = client.post(f"/api/reviews/{review_id}/decisions", json={
        "criterion_id": "final", "action": "comment", "comment": "c", "reviewer": name})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [d["loc"] for d in detail] == [["body", "reviewer"]]
    assert message in detail[0]["msg"]
    assert client.get(f"/api/reviews/{review_id}/decisions").json()["decisions"] == before


@pytest.mark.parametrize(("name", "stored"), [
    ("  Ann \u00a0  Smith\u3000", "Ann Smith"),
    ("Zoe\u0301 Lef\u0065\u0300vre", "Zo\u00e9 Lef\u00e8vre"),  # NFD in, NFC stored
    ("  " + "B" * 100 + "   ", "B" * 100),
], ids=["spaces", "nfc", "trimmed-to-100"])
def test_reviewer_names_are_stored_normalised(reviewed, name, stored):
    client, review_id = reviewed
    response = client.post(f"/api/reviews/{review_id}/decisions", json={
        "criterion_id": "final", "action": "comment", "comment": "c", "reviewer": name})
    assert response.status_code == 201, response.text
    assert response.json()["reviewer"] == stored
    latest = client.get(f"/api/reviews/{review_id}/decisions").json()["decisions"][-1]
    assert latest["reviewer"] == stored


def test_the_store_itself_refuses_an_unprintable_reviewer_name(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    try:
        store.add_review("d" * 32, "{}", [])
        with pytest.raises(ReviewerNameError, match=r"U\+202E"):
            store.add_decision("d" * 32, "final", "approve", "", "Ann\u202e")
        assert store.decisions("d" * 32) == []
        assert store.add_decision("d" * 32, "final", "approve", "", " Ann  B ").reviewer == \
            "Ann B"
    finally:
        store.close()
    assert clean_reviewer_name("e\u0301") == "\u00e9"


# ---- small reviews are not starved ----------------------------------------------------------

def test_charts_go_to_the_small_lane_only_when_text_only_and_small(tmp_path, make_pdf):
    small = tmp_path / "a.txt"
    small.write_text("Back pain for 8 weeks.\n")
    big = tmp_path / "b.txt"
    big.write_text("Back pain for 8 weeks.\n" * 20_000)  # 460 KB of text
    pdf = make_pdf("c.pdf", [["Back pain for 8 weeks."]])
    pdf_named_txt = tmp_path / "d.txt"
    pdf_named_txt.write_bytes(pdf.read_bytes())
    assert lane_of([small]) == "small"
    assert lane_of([small, small]) == "small"
    assert lane_of([big]) == "large"
    assert lane_of([small, pdf]) == "large"
    assert lane_of([pdf_named_txt]) == "large"


def test_a_small_note_is_reviewed_while_a_scanned_pdf_is_still_being_read(
        tmp_path, make_scanned_pdf):
    lines = NOTE.read_text().splitlines()
    scanned = make_scanned_pdf("scan.pdf", [lines[:40]] * 8, dpi=300)
    note = tmp_path / "note.txt"
    note.write_bytes(NOTE.read_bytes())
    store = Store(tmp_path / "db.sqlite3")
    runner = ReviewRunner(store, max_pages=300, max_bytes=20_000_000)
    request = ReviewRequest(cpt=("72131",))
    try:
        store.add_review("1" * 32, "{}", [])
        store.add_review("2" * 32, "{}", [])
        large = runner.submit("1" * 32, [scanned], ["scan.pdf"], request)
        deadline = time.monotonic() + 30
        while store.review("1" * 32).status == "queued":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        started = time.monotonic()
        runner.submit("2" * 32, [note], ["note.txt"], request).result(timeout=120)
        small_took = time.monotonic() - started
        small = store.review("2" * 32)
        large_status = store.review("1" * 32).status
        assert small.status == "done", small.error
        assert large_status not in ("done", "failed"), "the scanned PDF finished first: " \
            "make it longer for this machine"
        assert small_took < 30
        large.result(timeout=600)
        assert store.review("1" * 32).status == "done", store.review("1" * 32).error
        assert store.verify().whole
    finally:
        runner.shutdown()
        store.close()
