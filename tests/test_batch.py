"""``priorauth batch``: discovery, parallel review, a corrupt chart, resume, Dask."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import priorauth.batch
from priorauth.batch import (
    ChartJob,
    PipelineError,
    _run_pool,
    discover,
    read_done,
    review_job,
    run_batch,
)
from priorauth.cli import main
from priorauth.models import Review, ReviewRequest
from priorauth.review import review_chart

SAMPLES = Path(__file__).resolve().parents[1] / "sample_notes"
CORRUPT_CHART = "chart_077"
CORRUPT_BYTES = b"%PDF-1.4 garbage"


def _text_samples() -> list[tuple[list[tuple[str, str]], str]]:
    """(documents as (name, text), request JSON) of every all-text sample chart."""
    out = []
    for folder in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
        docs = sorted(folder.glob("*.txt"))
        if docs and not list(folder.glob("*.pdf")):
            out.append(([(d.name, d.read_text("utf-8")) for d in docs],
                        (folder / "request.json").read_text("utf-8")))
    return out


def _make_charts(root: Path, count: int) -> list[str]:
    """``count`` chart folders (sample texts, each varied by a line) and one corrupt PDF."""
    samples = _text_samples()
    names = []
    for i in range(count):
        docs, request = samples[i % len(samples)]
        folder = root / f"chart_{i:03d}"
        folder.mkdir(parents=True)
        for name, text in docs:
            (folder / name).write_text(f"{text}\nChart reference {i}.\n", "utf-8")
        (folder / "request.json").write_text(request, "utf-8")
        names.append(folder.name)
    (root / CORRUPT_CHART / "scan.pdf").write_bytes(CORRUPT_BYTES)
    return names


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def charts(tmp_path_factory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("batch") / "in"
    return root, _make_charts(root, 200)


@pytest.fixture(scope="module")
def full_run(charts, tmp_path_factory):
    """The 200 charts reviewed on 2 worker processes, and the time it took."""
    root, _ = charts
    out = tmp_path_factory.mktemp("out") / "results.jsonl"
    started = time.monotonic()
    summary = run_batch(root, out, workers=2)
    return summary, out, time.monotonic() - started


def test_a_batch_of_200_charts_with_one_corrupt_file_completes_and_reports_it(charts,
                                                                           full_run):
    _, names = charts
    summary, out, _ = full_run
    records = _records(out)
    assert sorted(r["chart"] for r in records) == names
    failed = [r for r in records if not r["ok"]]
    assert [r["chart"] for r in failed] == [CORRUPT_CHART]
    assert failed[0]["error"].startswith("scan.pdf: ")
    assert "garbage" not in failed[0]["error"]
    assert "\n" not in failed[0]["error"]
    assert (summary.total, summary.ok, summary.skipped) == (200, 199, 0)
    assert summary.failed == [(CORRUPT_CHART, failed[0]["error"])]


def test_every_review_in_the_output_is_the_review_of_that_chart(charts, full_run):
    root, _ = charts
    _, out, _ = full_run
    by_chart = {r["chart"]: r for r in _records(out)}
    for name in ("chart_000", "chart_013", "chart_199"):
        folder = root / name
        request = ReviewRequest.model_validate_json((folder / "request.json").read_text())
        expected = review_chart(sorted(folder.glob("*.txt")), request)
        got = Review.model_validate(by_chart[name]["review"])
        assert got.to_json() == expected.to_json()


def test_resume_skips_finished_charts_and_tolerates_a_truncated_last_line(charts, full_run,
                                                                         tmp_path):
    root, names = charts
    _, out, _ = full_run
    lines = out.read_text("utf-8").splitlines(keepends=True)
    partial = tmp_path / "results.jsonl"
    partial.write_text("".join(lines[:190]) + lines[190][:40], "utf-8")  # crashed mid-write
    finished = [json.loads(line)["chart"] for line in lines[:190]]
    redone: list[str] = []

    summary = run_batch(root, partial, workers=2, on_result=lambda r: redone.append(r["chart"]))

    after = partial.read_text("utf-8").splitlines(keepends=True)
    assert after[:190] == lines[:190]
    assert sorted(redone) == sorted(set(names) - set(finished))
    assert sorted(json.loads(line)["chart"] for line in after) == names
    assert (summary.skipped, summary.ok + len(summary.failed)) == (190, 10)


def test_an_interrupted_cli_batch_resumes_without_redoing_finished_charts(charts, tmp_path):
    root, names = charts
    out = tmp_path / "results.jsonl"
    command = [sys.executable, "-m", "priorauth", "batch", str(root), "--out", str(out),
               "--workers", "2", "--quiet"]
    first = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while (not out.exists() or out.read_text("utf-8").count("\n") < 20) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGINT)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 130, err
    assert "priorauth: interrupted" in err
    before = out.read_text("utf-8")
    done_first = [r["chart"] for r in _records(out)]
    assert 20 <= len(done_first) < len(names)

    second = subprocess.run(command, capture_output=True, text=True, timeout=300)

    # Exit 1 when this run met the corrupt chart, 0 when the first run had already done it.
    assert second.returncode == (0 if CORRUPT_CHART in done_first else 1), second.stderr
    after = out.read_text("utf-8")
    assert after.startswith(before)
    charts_after = [r["chart"] for r in _records(out)]
    assert sorted(charts_after) == names  # each chart exactly once: nothing redone


def test_a_finished_output_is_not_touched_by_another_run(charts, full_run, tmp_path):
    root, _ = charts
    _, out, _ = full_run
    copy = tmp_path / "results.jsonl"
    copy.write_bytes(out.read_bytes())
    summary = run_batch(root, copy, workers=2)
    assert (summary.skipped, summary.ok, summary.failed) == (200, 0, [])
    assert copy.read_bytes() == out.read_bytes()


# --- input layout ---------------------------------------------------------------------------

REQUEST = '{"cpt": ["72131"], "request_date": "2026-10-14", "age": 57, "sex": "F"}'
NOTE = "PCP NOTE 10/05/2026\nNew onset low back pain. No trauma.\n"


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    (root / "folder_chart").mkdir(parents=True)
    (root / "folder_chart" / "a.txt").write_text(NOTE)
    (root / "folder_chart" / "b.txt").write_text(NOTE)
    (root / "folder_chart" / "request.json").write_text(REQUEST)
    (root / "folder_chart" / "expected.json").write_text("{}")
    (root / "loose.txt").write_text(NOTE)
    (root / "loose.request.json").write_text(REQUEST)
    (root / "orphan.txt").write_text(NOTE)
    (root / "no_request").mkdir()
    (root / "no_request" / "a.txt").write_text(NOTE)
    (root / "no_documents").mkdir()
    (root / "no_documents" / "request.json").write_text(REQUEST)
    (root / "bad_request.txt").write_text(NOTE)
    (root / "bad_request.request.json").write_text('{"cpt": ["12"]}')
    (root / ".hidden").mkdir()
    (root / "_skipped").mkdir()
    (root / "README.md").write_text("not a chart")
    return root


def test_discover_finds_folder_charts_and_loose_files_with_request_files(layout):
    jobs = {job.chart: job for job in discover(layout)}
    assert sorted(jobs) == ["bad_request.txt", "folder_chart", "loose.txt", "no_documents",
                            "no_request", "orphan.txt"]
    assert [Path(d).name for d in jobs["folder_chart"].documents] == ["a.txt", "b.txt"]
    assert Path(jobs["loose.txt"].request_file).name == "loose.request.json"
    assert jobs["folder_chart"].problem is None
    assert jobs["orphan.txt"].problem == "orphan.txt: no request file orphan.request.json"
    assert jobs["no_request"].problem == "no_request/: no request.json"
    assert jobs["no_documents"].problem.startswith("no_documents/: no chart documents")


@pytest.mark.parametrize(("chart", "error"), [
    ("orphan.txt", "orphan.txt: no request file orphan.request.json"),
    ("bad_request.txt", "bad_request.request.json: invalid request: cpt: CPT code '12' is "
     "not a 5-character code"),
], ids=["no-request-file", "invalid-request"])
def test_review_job_reports_unusable_input_as_one_line_naming_the_file(layout, chart, error):
    job = next(j for j in discover(layout) if j.chart == chart)
    record = review_job(job)
    assert record["ok"] is False
    assert record["error"].startswith(error)


def test_cli_batch_reviews_the_good_charts_and_exits_1_listing_the_failed(layout, tmp_path,
                                                                          capsys):
    out = tmp_path / "r.jsonl"
    assert main(["batch", str(layout), "--out", str(out), "--workers", "2"]) == 1
    records = {r["chart"]: r for r in _records(out)}
    assert {c for c, r in records.items() if r["ok"]} == {"folder_chart", "loose.txt"}
    err = capsys.readouterr().err
    assert "priorauth: chart orphan.txt failed: orphan.txt: no request file" in err
    assert "6 charts: 2 reviewed, 4 failed, 0 already in" in err
    assert main(["batch", str(layout), "--out", str(out), "--quiet"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("argv", "message"), [
    (["batch", "/nonexistent/in", "--out", "x.jsonl"], "/nonexistent/in: not a folder"),
    (["batch", ".", "--out", "x.jsonl", "--workers", "0"], "'0' is not a positive whole number"),
    (["batch", ".", "--out", "x.jsonl", "--workers", "2", "--scheduler", "tcp://h:1"],
     "--workers and --scheduler exclude each other"),
    (["batch", "."], "--out"),
], ids=["missing-input", "zero-workers", "workers-and-scheduler", "no-out"])
def test_cli_batch_bad_usage_exits_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_read_done_cuts_a_truncated_last_line_and_ignores_junk(tmp_path):
    out = tmp_path / "r.jsonl"
    out.write_text('{"chart": "a", "ok": true}\nnot json\n{"chart": "b", "ok": false}\n'
                   '{"chart": "c", "o')
    assert read_done(out) == {"a", "b"}
    assert out.read_text().endswith('{"chart": "b", "ok": false}\n')
    assert read_done(tmp_path / "absent.jsonl") == set()


def _die_on_boom(job: ChartJob) -> dict:
    """A task whose worker process dies on the chart named "boom" (runs in the pool)."""
    if job.chart == "boom":
        os._exit(3)
    return review_job(job)


def test_a_chart_that_kills_its_worker_is_reported_and_the_others_still_finish():
    jobs = [ChartJob(chart=f"c{i}", documents=(), request_file=None, problem=f"c{i}: stub")
            for i in range(6)]
    jobs.insert(3, ChartJob(chart="boom", documents=(), request_file=None))
    records = {r["chart"]: r for r in _run_pool(jobs, 2, task=_die_on_boom, initializer=None)}
    assert sorted(records) == sorted(j.chart for j in jobs)
    assert records["boom"]["error"] == "boom: a worker process died while reviewing this chart"
    assert all(records[f"c{i}"]["error"] == f"c{i}: stub" for i in range(6))


def _pipeline_fails() -> None:
    """A pool initializer standing for a pipeline that cannot be built (runs in the pool)."""
    priorauth.batch._INIT_ERROR = "cannot build the review pipeline: RuleFileError: targets.json"


def test_a_pipeline_that_cannot_be_built_stops_the_batch_without_recording_charts():
    jobs = [ChartJob(chart=f"c{i}", documents=(), request_file=None, problem="stub")
            for i in range(5)]
    records = []
    with pytest.raises(PipelineError, match="cannot build the review pipeline: RuleFileError"):
        for record in _run_pool(jobs, 2, initializer=_pipeline_fails):
            records.append(record)
    assert records == []


# --- Dask distributed -----------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Port .* is already in use")
def test_dask_cluster_of_two_worker_processes_gives_the_same_results_as_the_local_run(
        tmp_path):
    from distributed import LocalCluster

    root = tmp_path / "in"
    names = _make_charts(root, 80)[::8] + [CORRUPT_CHART]
    for folder in root.iterdir():  # keep 11 charts, including the corrupt one
        if folder.name not in names:
            for f in folder.iterdir():
                f.unlink()
            folder.rmdir()
    local_out, dask_out = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        workers = len(cluster.workers)
        summary = run_batch(root, dask_out, scheduler=cluster.scheduler_address)
    run_batch(root, local_out, workers=2)

    assert workers == 2
    dask_records = {r["chart"]: r for r in _records(dask_out)}
    local_records = {r["chart"]: r for r in _records(local_out)}
    assert sorted(dask_records) == sorted(names)
    assert dask_records == local_records
    assert [c for c, _ in summary.failed] == [CORRUPT_CHART]


def test_unreachable_scheduler_exits_2_naming_it(layout, tmp_path, capsys):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        status = main(["batch", str(layout), "--out", str(tmp_path / "r.jsonl"),
                       "--scheduler", "tcp://127.0.0.1:9"])
    assert status == 2
    err = capsys.readouterr().err
    assert "scheduler tcp://127.0.0.1:9: cannot connect" in err
    assert err.count("\n") == 1
