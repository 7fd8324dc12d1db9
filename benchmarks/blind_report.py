"""Dev and frozen test halves of the blind corpora, side by side.

    .venv/bin/python benchmarks/blind_report.py            # dev halves only (for tuning)
    .venv/bin/python benchmarks/blind_report.py --test     # also the frozen test halves

The same as ``priorauth evaluate --by-folder sample_notes/blind/dev sample_notes/real/dev ...``.
sample_notes/blind/ and blind3/ hold synthetic charts written by helpers who saw only the policy,
labelled by a second helper; sample_notes/real/ holds MTSamples notes labelled leaf by leaf.
Each is split by hash (tools/split_corpus.py) into dev/ (rules may be tuned on it) and test/
(run once, at the end of a piece of work, and reported beside dev; never read to write rules).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from priorauth.evaluate import evaluate_folders, render_summary

ROOT = Path(__file__).resolve().parents[1] / "sample_notes"
CORPORA = ("blind", "real", "blind3", "blind5", "real2", "blind6", "blind7")
SECOND_TEST = "blind2/test"  # 60 charts written after the first test run: a fresh frozen set
# blind3: 80 charts written and labelled in the session of 2026-12-02 (second), split by hash
# before any rule was tuned on them; its test half was run once, at the end of that session
# blind5: 60 charts written by five helpers (tools/blind_prompts/blind5_styles.md) and labelled
# by five others in the third session of 2026-12-02 (writer and labeller agree 60/60), split by
# hash before any rule was tuned on them


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", action="store_true", help="also run the frozen test halves")
    args = parser.parse_args()
    halves = ("dev", "test") if args.test else ("dev",)
    names = [f"{corpus}/{half}" for corpus in CORPORA for half in halves]
    if args.test:
        names += [SECOND_TEST, "blind4/test"]
    reports = evaluate_folders([ROOT / name for name in names])
    print(render_summary({name: reports[str(ROOT / name)] for name in names}), end="")


if __name__ == "__main__":
    main()
