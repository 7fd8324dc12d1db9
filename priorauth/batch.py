"""Review many charts: a process pool on one machine, or a Dask distributed cluster.

Input: a folder. Each chart is either

- a **sub-folder** holding ``request.json`` and the chart's documents (every ``.txt``,
  ``.text`` or ``.pdf`` in it, as in the gold format; an ``expected.json`` is ignored); its
  chart id is the folder's name; or
- a **file** (``.txt``, ``.text`` or ``.pdf``) directly in the input folder with a sibling
  ``<stem>.request.json`` (``note7.pdf`` + ``note7.request.json``); its chart id is the file's
  name (``note7.pdf``).

- a **FHIR request bundle** (any other ``.json`` file directly in the input folder, see
  :mod:`priorauth.fhir.bundle_in`): the bundle says what is requested and carries the
  chart's documents; its chart id is the file's name (``pas-0042.json``).

Names starting with ``.`` or ``_`` are skipped, and so are request files (``*.request.json``)
and a case folder's ``request.json`` / ``expected.json``. A sub-folder without
``request.json`` or a chart file without its request file is reported as a failed chart, and
so is a ``.json`` file that is not a FHIR Bundle.

Output: JSON Lines, one line per chart, in the order results arrive (completion order, not
input order; sort by ``chart`` when needed)::

    {"chart": "case17", "ok": true, "review": {...the review JSON of the contract...}}
    {"chart": "bad.pdf", "ok": false, "error": "bad.pdf: PDF is damaged ..."}

Each line is written and flushed as soon as its chart is done, so an interrupted run loses
nothing finished. A new run on the same output appends and skips every chart id already
present, whether it succeeded or failed (delete a failed chart's line to retry it); a
truncated last line, left by a crash, is removed first. Error messages name the file and
never quote chart text.

Local runs use a ``ProcessPoolExecutor`` (spawned processes, one chart per task, a bounded
number in flight) whose initializer builds the extraction pipeline once per process; a
worker process that dies is replaced and only the chart that killed it is reported failed.
With a Dask scheduler, every worker builds the pipeline once (``Client.run`` at the start,
cached per process for workers that join later) and must see the same input paths. Workers
return plain dicts either way.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from priorauth.gold import CHART_SUFFIXES, chart_files

__all__ = [
    "REQUEST_FILE",
    "REQUEST_SUFFIX",
    "BatchSummary",
    "ChartJob",
    "PipelineError",
    "SchedulerError",
    "discover",
    "read_done",
    "review_job",
    "run_batch",
]

REQUEST_FILE = "request.json"
REQUEST_SUFFIX = ".request.json"
BUNDLE_SUFFIX = ".json"
#: JSON files of a case folder, not bundles, when a case folder itself is the input.
_NOT_BUNDLES = frozenset({REQUEST_FILE, "expected.json"})
#: Tasks kept in flight per worker: enough to keep workers busy, bounded for huge inputs.
_IN_FLIGHT_PER_WORKER = 4


class SchedulerError(RuntimeError):
    """The Dask scheduler cannot be reached; the message names its address."""


class PipelineError(RuntimeError):
    """A worker cannot build the review pipeline: the batch stops, and no chart is recorded
    as failed for it (a later run, once fixed, reviews them)."""


@dataclass(frozen=True)
class ChartJob:
    """One chart to review (plain data: safe to send to a worker process).

    Attributes:
        chart: The chart id written to the output.
        documents: Paths of the chart's documents.
        request_file: Path of the request JSON, ``None`` when missing.
        problem: Why this chart cannot be reviewed, found while listing the input.
        bundle: ``documents`` is one FHIR request bundle, which holds the request too.
    """

    chart: str
    documents: tuple[str, ...]
    request_file: str | None
    problem: str | None = None
    bundle: bool = False


@dataclass
class BatchSummary:
    """What one run did.

    Attributes:
        total: Charts found in the input.
        skipped: Charts already in the output, not redone.
        ok: Charts reviewed in this run.
        failed: ``(chart, error)`` for every chart that failed in this run.
    """

    total: int = 0
    skipped: int = 0
    ok: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def discover(input_dir: str | os.PathLike[str]) -> list[ChartJob]:
    """List the charts of an input folder (see the module docstring), sorted by chart id.

    Raises:
        NotADirectoryError: ``input_dir`` is not a folder.
    """
    root = Path(input_dir)
    if not root.is_dir():
        raise NotADirectoryError(f"{root}: not a folder")
    jobs: dict[str, ChartJob] = {}
    for path in sorted(root.iterdir()):
        if path.name.startswith((".", "_")):
            continue
        if path.is_dir():
            request = path / REQUEST_FILE
            docs = tuple(str(p) for p in chart_files(path))
            problem = None
            if not request.is_file():
                problem = f"{path.name}/: no {REQUEST_FILE}"
            elif not docs:
                problem = f"{path.name}/: no chart documents (.txt, .text or .pdf)"
            jobs[path.name] = ChartJob(chart=path.name, documents=docs,
                                       request_file=str(request) if request.is_file() else None,
                                       problem=problem)
        elif path.suffix.lower() in CHART_SUFFIXES:  # not a folder: the gate checks the rest
            request = path.with_name(path.stem + REQUEST_SUFFIX)
            problem = None if request.is_file() else f"{path.name}: no request file {request.name}"
            jobs[path.name] = ChartJob(chart=path.name, documents=(str(path),),
                                       request_file=str(request) if request.is_file() else None,
                                       problem=problem)
        elif (path.suffix.lower() == BUNDLE_SUFFIX and path.name not in _NOT_BUNDLES
              and not path.name.lower().endswith(REQUEST_SUFFIX)):
            jobs[path.name] = ChartJob(chart=path.name, documents=(str(path),),
                                       request_file=None, bundle=True)
    return [jobs[k] for k in sorted(jobs)]


# ---------------------------------------------------------------------------------------------
# Worker side


def _load_pipeline() -> None:
    """Build the pipeline and load the policy once in this process (both are cached).

    Raises:
        PipelineError: either cannot be built (e.g. a malformed rule file).
    """
    from priorauth.extract.pipeline import build_nlp
    from priorauth.scoring.tree import load_policy

    try:
        build_nlp()
        load_policy()
    except Exception as exc:  # noqa: BLE001 (any failure here stops the whole batch)
        raise PipelineError(f"cannot build the review pipeline: {type(exc).__name__}: "
                            f"{_one_line(str(exc))}") from None


#: Set in a pool worker whose pipeline could not be built; its tasks then raise it.
_INIT_ERROR: str | None = None


def _init_pool_worker() -> None:
    """Process-pool initializer: Ctrl-C is the parent's business; load the pipeline once."""
    import signal

    global _INIT_ERROR
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _load_pipeline()
    except PipelineError as exc:  # raised from the first task: an initializer that raises
        _INIT_ERROR = str(exc)    # would only break the pool, once per chart


def _start_worker(parent_pid: int, initializer: Callable[[], None] | None) -> None:
    """Pool worker start: die with the batch (even on ``kill -9``), then ``initializer``."""
    from priorauth.extract.lifetime import die_with_parent

    die_with_parent(parent_pid)
    if initializer is not None:
        initializer()


def _ping() -> int:
    """A no-op task proving that a pool worker started and built its pipeline."""
    if _INIT_ERROR is not None:
        raise PipelineError(_INIT_ERROR)
    return os.getpid()


def _pool_task(job: ChartJob) -> dict[str, Any]:
    """The task of a pool worker: :func:`review_job`, unless the pipeline failed to build."""
    if _INIT_ERROR is not None:
        raise PipelineError(_INIT_ERROR)
    return review_job(job)


def review_job(job: ChartJob) -> dict[str, Any]:
    """Review one chart; never raises. Returns the plain-data output record."""
    if job.problem:
        return _failure(job.chart, job.problem)
    if job.bundle:
        return _review_record(job, lambda: _review_bundle(job.documents[0], job.chart))
    from priorauth.models import ReviewRequest
    from priorauth.review import review_chart

    assert job.request_file is not None
    request_name = _request_name(job.request_file)
    try:
        with open(job.request_file, encoding="utf-8") as fh:
            request = ReviewRequest.model_validate(json.load(fh))
    except OSError as exc:
        return _failure(job.chart, f"{request_name}: cannot read: {exc.strerror}")
    except (ValueError, UnicodeDecodeError) as exc:
        return _failure(job.chart, f"{request_name}: invalid request: {_request_error(exc)}")
    return _review_record(job, lambda: review_chart(job.documents, request))


def _review_bundle(path: str, chart: str):
    """Review a FHIR request bundle: it names the request and carries the documents."""
    from priorauth.extract.ingest import ChartReadError
    from priorauth.fhir.bundle_in import load_bundle, review_bundle

    bundle = load_bundle(path)
    if bundle is None:
        raise ChartReadError(f"{chart}: not a FHIR Bundle (a JSON object with "
                             '"resourceType": "Bundle")', status=415)
    return review_bundle(bundle, bundle.review_request())


def _review_record(job: ChartJob, review_it: Callable[[], Any]) -> dict[str, Any]:
    """The output record of ``review_it()``: the review, or the failure (never raises)."""
    from priorauth.extract.ingest import ChartReadError

    try:
        review = review_it()
    except ChartReadError as exc:  # its message names the file and quotes no chart text
        return _failure(job.chart, str(exc))
    except Exception as exc:  # noqa: BLE001 (one failing chart must not stop the rest)
        # Not the exception's text: it could quote the chart.
        return _failure(job.chart, f"{job.chart}: unexpected {type(exc).__name__} while "
                        "reviewing this chart")
    return {"chart": job.chart, "ok": True, "review": review.model_dump(mode="json")}


# Reviews in one Dask worker process run one at a time (the pipeline is not shared
# between threads); run Dask workers with one thread each and as many processes as cores.
_DASK_LOCK = threading.Lock()


def _review_job_dask(job: ChartJob) -> dict[str, Any]:
    with _DASK_LOCK:
        _load_pipeline()
        return review_job(job)


def _failure(chart: str, error: str) -> dict[str, Any]:
    return {"chart": chart, "ok": False, "error": _one_line(error)}


def _request_name(path: str) -> str:
    p = Path(path)
    return f"{p.parent.name}/{p.name}" if p.name == REQUEST_FILE else p.name


def _request_error(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(x) for x in err['loc']) or 'request'}: "
                         f"{err['msg'].removeprefix('Value error, ')}" for err in exc.errors())
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON (line {exc.lineno}, column {exc.colno})"
    return type(exc).__name__


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 500 else text[:497] + "..."


# ---------------------------------------------------------------------------------------------
# Output file


def read_done(out: str | os.PathLike[str]) -> set[str]:
    """Chart ids already in an output file, after removing a truncated last line.

    A last line without its newline (an interrupted write) is cut off so the next record
    starts on a line of its own; any other line that is not a JSON record is ignored.
    """
    path = Path(out)
    if not path.exists():
        return set()
    with open(path, "rb+") as fh:
        data = fh.read()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            fh.truncate(keep)
            data = data[:keep]
    done: set[str] = set()
    for line in data.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("chart"), str):
            done.add(record["chart"])
    return done


# ---------------------------------------------------------------------------------------------
# Drivers


def run_batch(
    input_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> BatchSummary:
    """Review every chart of ``input_dir`` not yet in ``out`` and append the results.

    Args:
        input_dir: The input folder (see the module docstring).
        out: The JSON Lines output file; created, or appended to (resume).
        workers: Worker processes of the local pool; default ``os.cpu_count()``. Ignored with
            ``scheduler``.
        scheduler: Address of a Dask distributed scheduler (``tcp://host:8786``): review on
            its workers instead of a local pool.
        progress: Show a progress bar on stderr.
        on_result: Called in this process with each output record, after it is written.

    Returns:
        What the run did.

    Raises:
        NotADirectoryError: ``input_dir`` is not a folder.
        OSError: the output cannot be read or written.
        SchedulerError: the Dask scheduler cannot be reached.
        PipelineError: a worker cannot build the review pipeline (nothing more is written).
    """
    jobs = discover(input_dir)
    done = read_done(out)
    todo = [job for job in jobs if job.chart not in done]
    summary = BatchSummary(total=len(jobs), skipped=len(jobs) - len(todo))
    if not todo:
        return summary
    bar = _progress_bar(len(todo), enabled=progress)
    with open(out, "a", encoding="utf-8") as fh:
        try:
            if scheduler is not None:
                results = _run_dask(todo, scheduler)
            else:
                results = _run_pool(todo, min(len(todo), workers or os.cpu_count() or 1))
            with closing(results):
                for record in results:
                    fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                    fh.flush()
                    if record["ok"]:
                        summary.ok += 1
                    else:
                        summary.failed.append((record["chart"], record["error"]))
                    if bar is not None:
                        bar.update(1)
                    if on_result is not None:
                        on_result(record)
        finally:
            if bar is not None:
                bar.close()
    return summary


def _progress_bar(total: int, *, enabled: bool):
    if not enabled:
        return None
    import sys

    try:
        from tqdm import tqdm
    except ImportError:  # the bar is a nicety: tqdm comes with the "batch" extra
        return None
    return tqdm(total=total, unit="chart", file=sys.stderr, dynamic_ncols=True)


def _run_pool(jobs: list[ChartJob], workers: int, *,
              task: Callable[[ChartJob], dict[str, Any]] = _pool_task,
              initializer: Callable[[], None] | None = _init_pool_worker,
              ) -> Iterator[dict[str, Any]]:
    """Review ``jobs`` in a local process pool; yields records in completion order.

    Keeps a bounded number of tasks in flight. A worker process that dies (a crash in native
    code, out of memory) breaks the whole pool, and every chart in flight with it: the pool is
    rebuilt, those charts are tried again one at a time, and a chart that kills its worker
    when alone is reported as failed. ``task`` and ``initializer`` are for tests.
    """
    import multiprocessing

    queue = list(reversed(jobs))
    suspects: list[ChartJob] = []  # in flight when a worker died: retried one at a time
    # "spawn": a fork of a parent that runs threads (progress bar, Dask client) can deadlock.
    context = multiprocessing.get_context("spawn")
    window = max(1, workers) * _IN_FLIGHT_PER_WORKER
    while queue or suspects:
        pool = ProcessPoolExecutor(max_workers=max(1, workers), mp_context=context,
                                   initializer=_start_worker,
                                   initargs=(os.getpid(), initializer))
        in_flight: dict[Future, ChartJob] = {}
        broken = False
        try:
            _probe(pool, workers)
            while suspects and not broken:
                job = suspects.pop()
                try:
                    record = pool.submit(task, job).result()
                except BrokenProcessPool:
                    broken = True
                    record = _failure(job.chart, f"{job.chart}: a worker process died while "
                                      "reviewing this chart")
                yield record
            while (queue or in_flight) and not broken:
                while queue and len(in_flight) < window:
                    job = queue.pop()
                    try:
                        in_flight[pool.submit(task, job)] = job
                    except BrokenProcessPool:
                        queue.append(job)
                        raise
                finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    try:
                        record = future.result()
                    except BrokenProcessPool:
                        broken = True  # this chart, and all still in flight, are suspects
                        continue
                    del in_flight[future]
                    yield record
        except BrokenProcessPool:  # from submit: the pool broke since the last wait
            broken = True
        finally:
            if broken:
                suspects.extend(reversed(in_flight.values()))
                in_flight.clear()
            for future in in_flight:
                future.cancel()
            pool.shutdown(wait=not broken and not in_flight, cancel_futures=True)


def _probe(pool: ProcessPoolExecutor, workers: int) -> None:
    """Start every worker and wait until each has built its pipeline.

    Raises:
        PipelineError: a worker failed to build the pipeline, or worker processes die as they
            start (then no chart is blamed for it).
    """
    try:
        for future in [pool.submit(_ping) for _ in range(max(1, workers))]:
            future.result()
    except BrokenProcessPool:
        raise PipelineError("worker processes exit as they start (see the messages above); a "
                            "script that calls run_batch needs an `if __name__ == "
                            "\"__main__\":` guard") from None


def _run_dask(jobs: list[ChartJob], scheduler: str) -> Iterator[dict[str, Any]]:
    """Review ``jobs`` on a Dask distributed cluster; yields records in completion order.

    Every worker present builds the pipeline once up front (``Client.run``); a worker that
    joins later builds it on its first chart (the build is cached per process).
    """
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SchedulerError("--scheduler needs Dask distributed: "
                             "pip install 'priorauth[batch]'") from None
    try:
        client = Client(scheduler, set_as_default=False)
    except (OSError, ValueError, TypeError) as exc:
        raise SchedulerError(f"scheduler {scheduler}: cannot connect: "
                             f"{_one_line(str(exc)) or type(exc).__name__}") from None
    with client:
        client.run(_load_pipeline)  # raises PipelineError as the workers do
        futures = client.map(_review_job_dask, jobs, pure=False)
        chart_of = {f.key: job.chart for f, job in zip(futures, jobs, strict=True)}
        try:
            for future in as_completed(futures, loop=client.loop):
                chart = chart_of[future.key]
                try:
                    record = future.result()
                except PipelineError:
                    raise
                except Exception as exc:  # noqa: BLE001 (e.g. KilledWorker)
                    record = _failure(chart, f"{chart}: the Dask task failed "
                                      f"({type(exc).__name__})")
                future.release()
                yield record
        finally:
            client.cancel([f for f in futures if not f.done()])
