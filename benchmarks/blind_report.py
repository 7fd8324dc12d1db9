"""Dev and frozen test halves of the blind corpora, side by side.

    .venv/bin/python benchmarks/blind_report.py            # dev halves only (for tuning)
    .venv/bin/python benchmarks/blind_report.py --test     # also the frozen test halves

sample_notes/blind/ holds synthetic charts written by helpers who saw only the policy, labelled
by a second helper; sample_notes/real/ holds MTSamples notes labelled leaf by leaf. Each is split
by hash (tools/split_corpus.py) into dev/ (rules may be tuned on it) and test/ (run once, at
the end of a piece of work, and reported beside dev; never read to write rules).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from priorauth.evaluate import evaluate_cases, load_gold, review_cases

ROOT = Path(__file__).resolve().parents[1] / "sample_notes"
CORPORA = ("blind", "real")


def row(name: str, folder: Path) -> list[str]:
    cases = load_gold([folder])
    report = evaluate_cases(cases, review_cases(cases))
    micro = report.overall.micro
    n = len(report.cases)
    return [name, str(n), f"{report.determination_correct}/{n} = "
            f"{report.determination_accuracy:.3f}", str(report.costly_errors),
            f"{micro.f1:.3f}", f"{micro.precision:.3f}", f"{micro.recall:.3f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", action="store_true", help="also run the frozen test halves")
    args = parser.parse_args()
    halves = ("dev", "test") if args.test else ("dev",)
    header = ["corpus/half", "charts", "determination", "costly", "leaf F1", "P", "R"]
    rows = [row(f"{corpus}/{half}", ROOT / corpus / half)
            for corpus in CORPORA for half in halves if (ROOT / corpus / half).is_dir()]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)))


if __name__ == "__main__":
    main()
