"""``priorauth evaluate GOLD_DIR...``: review labelled charts and score them against the labels.

Exit status 0 whatever the scores (a low score is a result, not an error); 2 with one line
naming the folder or file when a gold folder or chart cannot be read.
"""

from __future__ import annotations

import argparse
import json

from priorauth.cli import write_output

COMMAND = "evaluate"


def add_parser(sub) -> argparse.ArgumentParser:
    """Add the ``evaluate`` subcommand to argparse's subparsers object ``sub``."""
    parser = sub.add_parser(
        COMMAND, help="review labelled charts (gold folders) and score the reviews",
        description="Review every labelled chart under each GOLD_DIR (the gold format of "
        "review-contract.md) and print determination accuracy, confusion matrix, "
        "per-criterion precision/recall/F1, costly errors and every disagreement.")
    parser.add_argument("gold_dirs", nargs="+", metavar="GOLD_DIR",
                        help="a folder of case folders, or one case folder")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--by-folder", action="store_true",
                        help="one summary row per GOLD_DIR (e.g. a dev and a frozen test half, "
                        "side by side) instead of one report over all of them")
    parser.add_argument("--output", metavar="FILE", help="write the report here, not stdout")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``priorauth evaluate``; returns the exit status."""
    from priorauth.cli import UsageError
    from priorauth.evaluate import (
        GoldFormatError,
        evaluate_cases,
        evaluate_folders,
        load_gold,
        render_summary,
        render_text,
        review_cases,
    )

    try:
        if args.by_folder:
            reports = evaluate_folders(args.gold_dirs)
        else:
            cases = load_gold(args.gold_dirs)
            report = evaluate_cases(cases, review_cases(cases))
    except GoldFormatError as exc:
        raise UsageError(str(exc)) from None
    if args.by_folder:
        out = (json.dumps({k: json.loads(r.to_json()) for k, r in reports.items()}, indent=2)
               + "\n" if args.format == "json" else render_summary(reports))
    else:
        out = report.to_json() if args.format == "json" else render_text(report)
    write_output(out, args.output)
    return 0
