"""``priorauth batch INPUT_DIR --out results.jsonl``: review many charts in parallel.

Input layout, output format and resume rules: see :mod:`priorauth.batch`.

Exit status 0 when every chart of this run was reviewed; 1 when at least one chart failed
(each failure is in the output and on stderr, the rest still reviewed); 2 with one line for
bad usage (input not a folder, output not writable, scheduler unreachable) or when the review
pipeline cannot be built (the batch stops; no chart is recorded for it); 130 on Ctrl-C
(finished charts are kept: run the same command again to resume).
"""

from __future__ import annotations

import argparse
import os
import sys

from priorauth.cli import positive_int

COMMAND = "batch"
SOME_FAILED = 1



def add_parser(sub) -> argparse.ArgumentParser:
    """Add the ``batch`` subcommand to argparse's subparsers object ``sub``."""
    parser = sub.add_parser(
        COMMAND, help="review every chart of a folder in parallel, to JSON Lines",
        description="Review every chart of INPUT_DIR: each sub-folder with a request.json "
        "and its documents, each .txt/.pdf file with a sibling <name>.request.json, or "
        "each FHIR request bundle (<name>.json: a PAS Claim or a ServiceRequest with its "
        "documents). "
        "One JSON line per chart is appended to --out as it finishes; charts already in "
        "--out are skipped, so an interrupted run resumes where it stopped.")
    parser.add_argument("input_dir", metavar="INPUT_DIR")
    parser.add_argument("--out", required=True, metavar="FILE",
                        help="JSON Lines output, appended to (e.g. results.jsonl)")
    parser.add_argument("--workers", type=positive_int, default=None, metavar="N",
                        help=f"worker processes (default: the number of cores, "
                        f"{os.cpu_count()})")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on a Dask distributed cluster (e.g. tcp://10.0.0.5:8786) "
                        "instead of local processes; workers must see the same paths")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bar and no summary line")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``priorauth batch``; returns the exit status."""
    from priorauth.batch import PipelineError, SchedulerError, run_batch
    from priorauth.cli import UsageError

    if args.scheduler is not None and args.workers is not None:
        raise UsageError("--workers and --scheduler exclude each other: with --scheduler "
                         "the cluster's workers do the work")
    progress = not args.quiet and sys.stderr.isatty()
    try:
        summary = run_batch(args.input_dir, args.out, workers=args.workers,
                            scheduler=args.scheduler, progress=progress)
    except (NotADirectoryError, SchedulerError, PipelineError) as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        name = exc.filename or args.out
        raise UsageError(f"cannot use {name}: {exc.strerror or exc}") from None
    for chart, error in summary.failed:
        print(f"priorauth: chart {chart} failed: {error}", file=sys.stderr)
    if not args.quiet:
        print(f"priorauth: {summary.total} charts: {summary.ok} reviewed, "
              f"{len(summary.failed)} failed, {summary.skipped} already in {args.out}",
              file=sys.stderr)
    return SOME_FAILED if summary.failed else 0
