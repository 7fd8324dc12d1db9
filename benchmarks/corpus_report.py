"""Robustness run over real transcribed notes (../shared/corpora/mtsamples-spine).

Runs extraction on every note, fails loudly on any exception, and prints facts found per
note and per kind/assertion. ``--show KIND`` prints every fact of a kind with its evidence,
for reading false positives.

    .venv/bin/python benchmarks/corpus_report.py [--corpus DIR] [--show pain] [--limit N]
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

from priorauth.extract.ingest import read_document
from priorauth.extract.pipeline import extract_facts

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "mtsamples-spine" / "notes"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT)
    parser.add_argument("--show", action="append", default=[], metavar="KIND")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args(argv)
    notes = sorted(args.corpus.glob("*.txt"))
    if args.limit:
        notes = notes[:args.limit]
    totals: collections.Counter[tuple[str, str]] = collections.Counter()
    failures = 0
    started = time.perf_counter()
    for path in notes:
        try:
            facts = extract_facts([read_document(path)])
        except Exception as exc:  # noqa: BLE001 - a robustness run reports every failure
            failures += 1
            print(f"FAIL {path.name}: {type(exc).__name__}", file=sys.stderr)
            continue
        kinds = collections.Counter(f.kind for f in facts if f.assertion.value == "present")
        totals.update((f.kind, f.assertion.value) for f in facts)
        if not args.show:
            top = ", ".join(f"{k} {n}" for k, n in kinds.most_common(6))
            print(f"{path.name[:45]:45} {len(facts):3} facts; present: {top}")
        for f in facts:
            if f.kind in args.show:
                print(f"{path.name[:30]:30} {f.kind} {f.assertion.value} {f.value} "
                      f"| {f.evidence.text[:150]}")
    elapsed = time.perf_counter() - started
    print(f"\n{len(notes)} notes, {failures} failures, {elapsed:.1f} s "
          f"({len(notes) / elapsed:.1f} notes/s)")
    for (kind, assertion), n in sorted(totals.items()):
        print(f"  {kind:28} {assertion:12} {n}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
