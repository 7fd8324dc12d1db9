"""Throughput of ``priorauth batch``: notes per second and charts per second, 1 vs 2 workers.

Builds charts from the text notes of ``sample_notes/`` (each copy varied by one line) in a
temporary folder, then runs the batch on 1 worker process and on 2, in this one run, and
prints for each:

- end to end: wall time of ``run_batch`` (spawning the workers and loading the pipeline in
  each included);
- steady state: from the moment every worker has returned its first chart to the last chart
  (pipeline load excluded), the rate a long batch approaches.

Also prints the in-process rate (no pool, pipeline already loaded) as the single-core
reference. Not a test: timings depend on the machine and on what else runs on it.

    .venv/bin/python benchmarks/bench_batch.py [--notes 1000] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "sample_notes"


def build_charts(root: Path, notes: int) -> tuple[int, int]:
    """Write chart folders holding ``notes`` text notes in all; returns (charts, notes)."""
    samples = []
    for folder in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
        docs = sorted(folder.glob("*.txt"))
        if docs and not list(folder.glob("*.pdf")):
            samples.append(([(d.name, d.read_text("utf-8")) for d in docs],
                            (folder / "request.json").read_text("utf-8")))
    charts = written = 0
    while written < notes:
        docs, request = samples[charts % len(samples)]
        folder = root / f"chart_{charts:05d}"
        folder.mkdir(parents=True)
        for name, text in docs:
            (folder / name).write_text(f"{text}\nChart reference {charts}.\n", "utf-8")
        (folder / "request.json").write_text(request, "utf-8")
        charts += 1
        written += len(docs)
    return charts, written


def run(root: Path, out: Path, workers: int, notes_of: dict[str, int]) -> dict[str, float]:
    from priorauth.batch import run_batch

    stamps: list[tuple[float, str]] = []
    started = time.perf_counter()
    summary = run_batch(root, out, workers=workers,
                        on_result=lambda r: stamps.append((time.perf_counter(), r["chart"])))
    total = time.perf_counter() - started
    assert not summary.failed, summary.failed
    charts = len(stamps)
    notes = sum(notes_of[c] for _, c in stamps)
    # Steady state: after each worker has delivered a first result (its pipeline is loaded).
    warm = min(workers, charts - 1)
    t0 = stamps[warm - 1][0] if warm else started
    rest = stamps[warm:]
    span = rest[-1][0] - t0 if rest else float("nan")
    return {
        "workers": workers,
        "charts": charts,
        "notes": notes,
        "seconds": total,
        "notes_per_s": notes / total,
        "charts_per_s": charts / total,
        "steady_notes_per_s": sum(notes_of[c] for _, c in rest) / span,
        "steady_charts_per_s": len(rest) / span,
    }


def in_process(root: Path, notes_of: dict[str, int], *, limit: int = 150) -> dict[str, float]:
    from priorauth.batch import discover, review_job
    from priorauth.extract.pipeline import build_nlp

    build_nlp()
    jobs = discover(root)[:limit]
    started = time.perf_counter()
    for job in jobs:
        review_job(job)
    total = time.perf_counter() - started
    notes = sum(notes_of[j.chart] for j in jobs)
    return {"notes_per_s": notes / total, "charts_per_s": len(jobs) / total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=1000, help="notes in the batch (1000)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="priorauth-bench-") as tmp:
        root = Path(tmp) / "in"
        charts, notes = build_charts(root, args.notes)
        notes_of = {p.name: len(list(p.glob("*.txt"))) for p in root.iterdir()}
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"batch: {charts} charts, {notes} notes (text, {notes / charts:.2f} per chart); "
              f"{os.cpu_count()} cores, load average {load:.2f} at start")
        rows = [run(root, Path(tmp) / f"out-{w}.jsonl", w, notes_of) for w in args.workers]
        reference = in_process(root, notes_of)
        outputs = {w: {json.loads(line)["chart"]: line
                       for line in (Path(tmp) / f"out-{w}.jsonl").read_text().splitlines()}
                   for w in args.workers}
        same = all(outputs[w] == outputs[args.workers[0]] for w in args.workers)
    print(f"{'workers':>7}  {'seconds':>7}  {'notes/s':>8}  {'charts/s':>8}  "
          f"{'steady notes/s':>14}  {'steady charts/s':>15}")
    for r in rows:
        print(f"{r['workers']:>7}  {r['seconds']:>7.2f}  {r['notes_per_s']:>8.1f}  "
              f"{r['charts_per_s']:>8.1f}  {r['steady_notes_per_s']:>14.1f}  "
              f"{r['steady_charts_per_s']:>15.1f}")
    print(f"in-process, 1 core, pipeline loaded, first 150 charts: "
          f"{reference['notes_per_s']:.1f} notes/s, "
          f"{reference['charts_per_s']:.1f} charts/s")
    if len(rows) > 1:
        base = rows[0]
        for r in rows[1:]:
            print(f"speed-up {r['workers']} vs {base['workers']} workers: end to end "
                  f"{r['notes_per_s'] / base['notes_per_s']:.2f}x, steady "
                  f"{r['steady_notes_per_s'] / base['steady_notes_per_s']:.2f}x")
    print(f"same results for every worker count: {same}")


if __name__ == "__main__":
    main()
