"""Issue 11: every hostile input of the table, through the CLI, batch and the web page.

The files are generated (``tests/hostile.py``), never committed. Each gives its one-line error
(exit 2, 4xx, a failed batch record) or a bounded review. The worst one, the operator bomb, is
measured: the test records its wall time and the peak memory of the review's process tree
(``os.wait4``) and holds them to the issue's "within seconds and well under 1 GB".
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import hostile
import pytest

from priorauth.extract import ocr
from priorauth.extract.gate import GateLimits, decode_text, read_pdf_layout

PRIORAUTH = [sys.executable, "-m", "priorauth"]
REQUEST = ["--cpt", "72131", "--request-date", "2026-10-01"]
needs_tesseract = pytest.mark.skipif(not ocr.ocr_available(), reason="tesseract not installed")


def _run(args: list[str], *, timeout: float = 120) -> tuple[int, str, str, float]:
    """Run the CLI: (exit status, stdout, stderr, seconds)."""
    started = time.monotonic()
    process = subprocess.Popen([*PRIORAUTH, *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"priorauth {args[0]} still running after {timeout} s")
    return process.returncode, out, err, time.monotonic() - started


def _run_measured(args: list[str], *, timeout: float = 120) -> tuple[int, str, float, float]:
    """Run the CLI and wait4() it: (exit status, stderr, seconds, peak RSS MiB of the tree)."""
    started = time.monotonic()
    process = subprocess.Popen([*PRIORAUTH, *args], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            process.kill()
            os.wait4(process.pid, 0)
            pytest.fail(f"priorauth {args[0]} still running after {timeout} s")
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    err = process.stderr.read().decode() if process.stderr else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, err, elapsed, usage.ru_maxrss / 1024


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    for name, build in hostile.BUILDERS.items():
        if name != "shared_image_scan":  # built where needed (reportlab + PIL, 300 pages)
            build(folder)
    (folder / "good.txt").write_text(hostile.GOOD_NOTE, encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- PDF bombs


def test_operator_bomb_is_refused_within_seconds_and_well_under_a_gigabyte(
    corpus: Path, record_property
) -> None:
    bomb = corpus / "operator_bomb.pdf"
    assert 700_000 < bomb.stat().st_size < 900_000  # the 816 KB, 30 M operators

    status, err, seconds, peak_mib = _run_measured(["review", str(bomb), *REQUEST])

    record_property("operator_bomb_seconds", round(seconds, 2))
    record_property("operator_bomb_peak_mib", round(peak_mib))
    print(f"\noperator bomb: refused in {seconds:.2f} s, peak RSS {peak_mib:.0f} MiB")
    assert status == 2
    assert err == ("priorauth: error: operator_bomb.pdf: PDF needs more than 512 MB of memory "
                   "to open (the limit); it cannot be read safely\n")
    assert seconds < 30
    assert peak_mib < 700


def test_a_page_of_too_many_objects_is_refused_by_count_before_memory_runs_out(
    tmp_path: Path,
) -> None:
    bomb = hostile.operator_bomb(tmp_path, operators=300_000)

    with pytest.raises(ValueError, match=r"^operator_bomb\.pdf: page 1 has over 100,000 drawing "
                       r"objects \(the limit\)"):
        read_pdf_layout("operator_bomb.pdf", bomb.read_bytes())
    # the counterexample: the same kind of page under the limit is read
    small = hostile.operator_bomb(tmp_path, operators=5_000)
    assert read_pdf_layout("small.pdf", small.read_bytes()).texts == ("",)


def test_an_image_of_a_billion_pixels_is_refused_before_anything_renders_it(
    corpus: Path,
) -> None:
    status, _, err, seconds = _run(["review", str(corpus / "image_bomb.pdf"), *REQUEST])

    assert (status, err) == (2, "priorauth: error: image_bomb.pdf: page 1 holds an image of "
                                "1,600,000,000 pixels, more than the limit of 60,000,000\n")
    assert seconds < 30


def test_the_child_limits_are_the_ones_given(corpus: Path) -> None:
    data = (corpus / "operator_bomb.pdf").read_bytes()
    tight = GateLimits(memory_bytes=400_000_000, cpu_seconds=1)

    with pytest.raises(ValueError, match=r"needs more than (400 MB of memory|1 s of CPU time)"):
        read_pdf_layout("bomb.pdf", data, limits=tight)


# --------------------------------------------------------------------------- not text, not files


@pytest.mark.parametrize("name", ["ls.txt", "noise.txt"])
def test_a_binary_file_named_txt_is_not_a_text_file(corpus: Path, name: str) -> None:
    status, out, err, _ = _run(["review", str(corpus / name), *REQUEST])

    assert (status, out) == (2, "")
    assert err.startswith(f"priorauth: error: {name}: not a text file (binary content)")


@pytest.mark.parametrize(("name", "what"), [("pipe.txt", "a named pipe"),
                                            ("loop.txt", "a symbolic link loop")])
def test_a_fifo_or_a_symlink_loop_is_refused_at_once(corpus: Path, name: str, what: str) -> None:
    status, _, err, seconds = _run(["review", str(corpus / name), *REQUEST], timeout=30)

    assert (status, err) == (2, f"priorauth: error: {name}: is {what}, not a regular file; "
                                "give the chart's files\n")
    assert seconds < 20


def test_a_device_is_not_a_regular_file() -> None:
    status, _, err, _ = _run(["review", "/dev/zero", *REQUEST], timeout=30)

    assert (status, err) == (2, "priorauth: error: zero: is a device, not a regular file; give "
                                "the chart's files\n")


def test_a_four_byte_note_is_never_meets_criteria(corpus: Path) -> None:
    status, out, _, _ = _run(["review", str(corpus / "avm.txt"), "--format", "json",
                                 *REQUEST])

    review = json.loads(out)
    assert status == 0
    assert review["determination"] != "meets_criteria"
    assert [a["kind"] for a in review["alerts"]] == ["thin_chart"]


# --------------------------------------------------------------------------- encodings, CPT


@pytest.mark.parametrize("name", ["utf16.txt", "utf16be.txt"])
def test_utf16_without_a_bom_reads_as_the_same_note(corpus: Path, name: str) -> None:
    assert decode_text(name, (corpus / name).read_bytes()) == hostile.GOOD_NOTE

    _, utf16, _, _ = _run(["review", str(corpus / name), "--format", "json", *REQUEST])
    _, utf8, _, _ = _run(["review", str(corpus / "good.txt"), "--format", "json", *REQUEST])

    statuses = [{c["id"]: c["status"] for c in json.loads(out)["criteria"]}
                for out in (utf16, utf8)]
    assert statuses[0] == statuses[1]
    assert statuses[0]["ind.1.2"] == "met"  # real content was read, not garbage


def test_text_with_zero_bytes_in_latin_script_is_not_taken_for_utf16() -> None:
    # the counterexample: zero bytes every third byte are binary, not UTF-16
    with pytest.raises(ValueError, match="not a text file"):
        decode_text("blob.txt", b"abc\x00\x01\x02" * 100)


def test_full_width_cpt_digits_are_normalised(corpus: Path) -> None:
    status, out, _, _ = _run(["review", str(corpus / "good.txt"), "--format", "json",
                                 "--cpt", "\uff17\uff12\uff11\uff13\uff11",
                                 "--request-date", "2026-10-01"])

    assert status == 0
    assert json.loads(out)["request"]["cpt"] == ["72131"]
    assert json.loads(out)["request"]["region"] == "lumbar"


def test_a_cpt_code_in_another_script_is_refused(corpus: Path) -> None:
    status, _, err, _ = _run(["review", str(corpus / "good.txt"), "--cpt", "7213\u0661"])

    assert (status, err) == (2, "priorauth: error: CPT code '7213\u0661' is not a 5-character "
                                "code; e.g. 72131 (CT lumbar spine)\n")


def test_a_note_built_to_trap_the_rules_regexes_is_reviewed_in_bounded_time(
    corpus: Path,
) -> None:
    status, out, _, seconds = _run(["review", str(corpus / "regex_trap.txt"), "--format",
                                    "json", *REQUEST], timeout=120)

    assert status == 0
    assert json.loads(out)["determination"] != "meets_criteria"
    assert seconds < 60


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(("flags", "message"), [
    (["--dob", "2099-01-01", "--request-date", "2026-10-01"],
     "date of birth 2099-01-01 is after the request date (2026-10-01)"),
    (["--dob", "1800-01-01", "--request-date", "2026-10-01"],
     "date of birth 1800-01-01 gives an age of 226 on the request date; the most is 130"),
    (["--request-date", "9999-12-31"], "request date 9999-12-31 is outside 1900-2100"),
    (["--request-date", "0001-01-01"], "request date 0001-01-01 is outside 1900-2100"),
    (["--age", "131"], "age 131 is outside 0-130"),
])
def test_impossible_dates_are_one_line_exit_2(corpus: Path, flags: list[str], message: str
                                              ) -> None:
    status, out, err, _ = _run(["review", str(corpus / "good.txt"), "--cpt", "72131",
                                   *flags])

    assert (status, out, err) == (2, "", f"priorauth: error: {message}\n")


def test_a_real_date_of_birth_gives_the_age(corpus: Path) -> None:
    status, out, _, _ = _run(["review", str(corpus / "good.txt"), "--format", "json",
                                 "--cpt", "72131", "--dob", "1958-03-02",
                                 "--request-date", "2026-10-01"])

    assert status == 0
    assert json.loads(out)["request"]["age"] == 68


# --------------------------------------------------------------------------- OCR budget


@needs_tesseract
def test_a_300_page_scan_is_read_within_its_page_budget_and_says_what_it_skipped(
    tmp_path: Path,
) -> None:
    scan = hostile.shared_image_scan(tmp_path)
    assert scan.stat().st_size < 250_000  # one image shared by 300 pages

    status, out, _, seconds = _run(["review", str(scan), "--format", "json",
                                       "--max-ocr-pages", "4", *REQUEST])

    review = json.loads(out)
    assert status == 0
    unread = [a for a in review["alerts"] if a["kind"] == "unread_pages"]
    assert [a["message"] for a in unread] == [
        "shared_image_scan.pdf pages 5\u2013300 not read: OCR budget of 4 pages spent. The "
        "determination was made without them; it is never a recommendation to approve"]
    assert review["determination"] != "meets_criteria"
    assert seconds < 120


@needs_tesseract
def test_the_ocr_time_budget_stops_a_long_scan(tmp_path: Path) -> None:
    scan = hostile.shared_image_scan(tmp_path, pages=40)

    status, out, _, seconds = _run(["review", str(scan), "--format", "json",
                                       "--ocr-budget", "3", *REQUEST])

    review = json.loads(out) if status == 0 else None
    if review is None:  # nothing read in 3 s on a slow machine: the chart has no text
        return
    (unread,) = [a for a in review["alerts"] if a["kind"] == "unread_pages"]
    assert unread["message"].endswith("not read: OCR budget of 3 s spent. The determination "
                                      "was made without them; it is never a recommendation "
                                      "to approve")
    assert seconds < 60


# --------------------------------------------------------------------------- batch


def test_batch_reports_each_hostile_file_and_reviews_the_good_one(
    corpus: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    request = json.dumps({"cpt": ["72131"], "request_date": "2026-10-01"})
    for name in ("ls.txt", "operator_bomb.pdf", "good.txt", "utf16.txt"):
        (folder / name).write_bytes((corpus / name).read_bytes())
        (folder / (Path(name).stem + ".request.json")).write_text(request)
    os.mkfifo(folder / "pipe.txt")
    (folder / "pipe.request.json").write_text(request)
    (folder / "bad_dob.txt").write_text(hostile.GOOD_NOTE)
    (folder / "bad_dob.request.json").write_text(json.dumps(
        {"cpt": ["72131"], "request_date": "2026-10-01", "dob": "2099-01-01"}))
    out = tmp_path / "out.jsonl"

    status, _, _, _ = _run(["batch", str(folder), "--out", str(out), "--workers", "2",
                               "--quiet"], timeout=300)

    records = {r["chart"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert status != 0 or all(r["ok"] for r in records.values())  # failures set the status
    assert records["good.txt"]["ok"] and records["utf16.txt"]["ok"]
    assert records["ls.txt"]["error"].startswith("ls.txt: not a text file (binary content)")
    assert records["pipe.txt"]["error"] == ("pipe.txt: is a named pipe, not a regular file; "
                                            "give the chart's files")
    assert records["operator_bomb.pdf"]["error"].startswith(
        "operator_bomb.pdf: PDF needs more than 512 MB of memory to open")
    assert "date of birth 2099-01-01 is after the request date" in records["bad_dob.txt"]["error"]


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_batch_workers_die_with_their_parent_on_kill_9(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(40):
        (folder / f"n{k:02d}.txt").write_text(hostile.GOOD_NOTE)
        (folder / f"n{k:02d}.request.json").write_text('{"cpt": ["72131"]}')
    batch = subprocess.Popen([*PRIORAUTH, "batch", str(folder), "--out",
                              str(tmp_path / "o.jsonl"), "--workers", "2", "--quiet"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    workers: set[int] = set()
    while time.monotonic() < deadline and len(workers) < 2:
        workers = {p for p in _children(batch.pid)
                   if "spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes().decode(
                       errors="replace")} if batch.poll() is None else workers
        time.sleep(0.2)
    assert len(workers) >= 2, "the pool's workers did not start"

    batch.send_signal(signal.SIGKILL)
    batch.wait()

    deadline = time.monotonic() + 15
    alive = workers
    while alive and time.monotonic() < deadline:
        alive = {p for p in alive if Path(f"/proc/{p}").exists()
                 and Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"}
        time.sleep(0.1)
    assert not alive, "worker processes outlived the killed batch"


# --------------------------------------------------------------------------- the web page


@pytest.fixture
def web(tmp_path: Path):
    testclient = pytest.importorskip("fastapi.testclient")
    from priorauth.web.app import Limits, create_app

    app = create_app(tmp_path / "data", limits=Limits(), allowed_hosts=["testserver"])
    with testclient.TestClient(app) as client:
        yield client


FORM = {"cpt": "72131", "request_date": "2026-10-01"}


@pytest.mark.parametrize(("name", "status", "start"), [
    ("operator_bomb.pdf", 422, "operator_bomb.pdf: PDF needs more than 512 MB of memory"),
    ("image_bomb.pdf", 422, "image_bomb.pdf: page 1 holds an image of 1,600,000,000 pixels"),
    ("ls.txt", 415, "ls.txt: not a text file (binary content)"),
    ("noise.txt", 415, "noise.txt: not a text file (binary content)"),
])
def test_the_web_upload_refuses_what_the_cli_refuses_in_the_same_words(
    web, corpus: Path, name: str, status: int, start: str
) -> None:
    response = web.post("/api/reviews", data=FORM,
                        files=[("files", (name, (corpus / name).read_bytes(),
                                          "application/octet-stream"))])

    assert response.status_code == status
    assert response.json()["detail"].startswith(start)


@pytest.mark.parametrize(("form", "message"), [
    ({"dob": "2099-01-01"}, "date of birth 2099-01-01 is after the request date (2026-10-01)"),
    ({"dob": "1800-01-01"}, "date of birth 1800-01-01 gives an age of 226 on the request date; "
                            "the most is 130"),
    ({"request_date": "9999-12-31"}, "request date 9999-12-31 is outside 1900-2100"),
    ({"cpt": "\uff17\uff12\uff11\uff13\uff11\n7213\u202e1"}, "a CPT code given is not a "
                                                            "5-character code"),
])
def test_the_web_form_refuses_impossible_requests_in_the_cli_words(
    web, corpus: Path, form: dict, message: str
) -> None:
    response = web.post("/api/reviews", data={**FORM, **form},
                        files=[("files", ("good.txt", hostile.GOOD_NOTE.encode(),
                                          "text/plain"))])

    assert response.status_code == 422
    assert message in response.json()["detail"]
