"""Charts as fax packets: does the OCR'd fax of a chart review like its text?

    .venv/bin/python benchmarks/scanned_samples.py                       # the 60 sample charts
    .venv/bin/python benchmarks/scanned_samples.py sample_notes/blind/dev --turn 180
    .venv/bin/python benchmarks/scanned_samples.py --no-orientation      # before orientation

Every document of a chart is rendered as a 200-dpi black-and-white fax (header line, speckle,
optional skew; ``--turn`` feeds every second page of the chart turned) and read back by OCR.
Prints, per folder, how often the fax's determination equals the text's and the gold label,
the costly errors (meets_criteria where the gold says otherwise) and OCR confidence.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from faxes import pages_of, write_fax_pdf  # noqa: E402

from priorauth.extract import ocr  # noqa: E402
from priorauth.extract.ingest import read_chart  # noqa: E402
from priorauth.models import ReviewRequest  # noqa: E402
from priorauth.review import review_chart  # noqa: E402


def charts(folder: Path) -> list[Path]:
    return sorted(p.parent for p in folder.glob("*/expected.json"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=[ROOT / "sample_notes"])
    parser.add_argument("--skew", type=float, default=0.0, help="degrees of tilt")
    parser.add_argument("--speckle", type=float, default=0.0005)
    parser.add_argument("--turn", type=int, default=0, choices=[0, 90, 180, 270],
                        help="feed every second page turned this many degrees")
    parser.add_argument("--no-orientation", action="store_true",
                        help="switch orientation detection off (the 'before' figure)")
    parser.add_argument("--limit", type=int, default=0, help="first N charts of each folder")
    args = parser.parse_args()
    if args.no_orientation:
        ocr._CHECK_ORIENTATION_BELOW = -1.0  # never check
    for folder in args.folders:
        found = charts(folder)[: args.limit or None]
        same = gold_ok = costly = 0
        confidences: list[float] = []
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            for n, chart in enumerate(found):
                request = ReviewRequest(**json.loads((chart / "request.json").read_text()))
                gold = json.loads((chart / "expected.json").read_text())["determination"]
                texts = sorted([*chart.glob("*.txt"), *chart.glob("*.pdf")])
                faxes = []
                for k, path in enumerate(texts):
                    document = read_chart([path])[0]
                    pages = [lines for page in document.pages for lines in pages_of(page.text)]
                    turned = [args.turn if (k + i) % 2 else 0 for i in range(len(pages))]
                    out = Path(tmp) / f"{chart.name}_{path.stem}.pdf"
                    faxes.append(write_fax_pdf(out, pages, skew=args.skew, speckle=args.speckle,
                                               turned=turned, seed=n * 10 + k))
                text_review = review_chart(texts, request)
                fax_review = review_chart(faxes, request)
                same += fax_review.determination == text_review.determination
                gold_ok += fax_review.determination.value == gold
                costly += (fax_review.determination.value == "meets_criteria"
                           and gold != "meets_criteria")
                for doc in read_chart(faxes):
                    confidences += [p.ocr_confidence for p in doc.pages
                                    if p.ocr_confidence is not None]
                if fax_review.determination != text_review.determination:
                    print(f"  differs: {chart.name}: text {text_review.determination.value}, "
                          f"fax {fax_review.determination.value}, gold {gold}", flush=True)
        total = len(found)
        mean = sum(confidences) / len(confidences) if confidences else 0.0
        print(f"{folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder}: "
              f"{total} charts, fax = text {same}/{total}, fax = gold {gold_ok}/{total}, "
              f"costly {costly}, mean OCR confidence {mean:.1f}, "
              f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
