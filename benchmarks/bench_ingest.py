"""Ingest speed: PDF text engines, OCR, and the whole review, against the PDFium floor.

Builds, in a temporary folder, a 200-page text chart (the sample notes' text, one note after
another, each with its own header and date of service) and a 20-page scanned chart (the first
20 pages of it rasterised like a fax, image only), then prints in one run:

- the floor: raw pypdfium2 text extraction of the 200 pages (open + ``get_text_range``);
- each engine behind :class:`priorauth.extract.pdf.TextEngine`: text of every page, and text
  plus every character's box; whether the engines' texts agree;
- ``read_document`` of the text chart (what the review pays for ingest);
- OCR of the scanned chart: wall seconds per page on all cores, and tesseract CPU seconds
  per page (one core's cost);
- the full review (``review_chart``) of each chart: wall time with the pipeline loaded, its
  ratio to the floor, and peak memory (Python heap by tracemalloc, in a separate run, and the
  process's peak RSS).

Goals (issue 5): the 200-page text chart reviewed in under 3 s on 2 cores and within 5x the
floor; OCR at most 2.5 s per page. Not a test: timings depend on the machine and on what else
runs on it (the load average is printed).

    .venv/bin/python benchmarks/bench_ingest.py [--pages 200] [--scanned 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "sample_notes"
LINES_PER_PAGE = 50


def chart_lines() -> list[str]:
    """The sample text notes, one after the other, lines cut at 95 characters."""
    lines: list[str] = []
    for note in sorted(SAMPLES.glob("*/*.txt")):
        for line in note.read_text("utf-8").splitlines():
            lines.append(line[:95])
        lines.append("")
    return lines


def page_lines(pages: int) -> list[list[str]]:
    source = chart_lines()
    out, at = [], 0
    for _ in range(pages):
        out.append([source[(at + k) % len(source)] for k in range(LINES_PER_PAGE)])
        at += LINES_PER_PAGE
    return out


def write_text_pdf(path: Path, pages: list[list[str]]) -> Path:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    for lines in pages:
        pdf.setFont("Helvetica", 10)
        for row, line in enumerate(lines):
            pdf.drawString(50, 800 - 15 * row, line)
        pdf.showPage()
    pdf.save()
    return path


def write_scanned_pdf(path: Path, text_pdf: Path, pages: int, *, dpi: int) -> Path:
    """Rasterise the first ``pages`` pages of ``text_pdf`` to bilevel images, like a fax."""
    import pypdfium2 as pdfium
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    source = pdfium.PdfDocument(text_pdf)
    out = canvas.Canvas(str(path))
    try:
        for index in range(pages):
            page = source[index]
            width, height = page.get_size()
            image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            fax = image.point(lambda v: 255 if v > 160 else 0).convert("1")
            buffer = io.BytesIO()
            fax.save(buffer, format="PNG")
            out.setPageSize((width, height))
            out.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 0, 0, width, height)
            out.showPage()
    finally:
        source.close()
    out.save()
    return path


def best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def floor(path: Path) -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
    finally:
        pdf.close()


def engine_texts(path: Path, engine: str) -> list[str]:
    from priorauth.extract import ingest, pdf

    name, data, _ = ingest.read_pdf_bytes(path)
    with ingest.open_pdf(data, name) as document:
        return pdf.get_engine(engine).page_texts(document, data)


def engine_chars(path: Path, engine: str) -> int:
    from priorauth.extract import ingest, pdf

    name, data, _ = ingest.read_pdf_bytes(path)
    with ingest.open_pdf(data, name) as document:
        pages = pdf.get_engine(engine).document_chars(document, data)
    return sum(len(boxes) for _, boxes in pages)


def review(path: Path):
    from priorauth.models import ReviewRequest
    from priorauth.review import review_chart

    request = ReviewRequest(cpt=("72131",), request_date="2026-10-14", age=57, sex="F")
    return review_chart([path], request)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200, help="pages of the text chart")
    parser.add_argument("--scanned", type=int, default=20, help="pages of the scanned chart")
    parser.add_argument("--scan-dpi", type=int, default=200, help="fax resolution")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()

    from priorauth.extract import ocr
    from priorauth.extract.ingest import read_document
    from priorauth.extract.pipeline import build_nlp

    cores = len(os.sched_getaffinity(0))
    load = os.getloadavg()[0]
    print(f"machine: {cores} cores, load average {load:.1f} at start; "
          f"tesseract {'found' if ocr.ocr_available() else 'MISSING'}")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        text_pdf = write_text_pdf(root / "chart.pdf", page_lines(args.pages))
        scan_pdf = write_scanned_pdf(root / "scan.pdf", text_pdf, args.scanned, dpi=args.scan_dpi)
        chars = sum(len(p.text) for p in read_document(text_pdf).pages)
        print(f"text chart: {args.pages} pages, {chars:,} characters; scanned chart: "
              f"{args.scanned} pages at {args.scan_dpi} dpi, black and white")
        print()

        t_floor = best(lambda: floor(text_pdf), args.repeat)
        print(f"{'floor: raw pypdfium2 text':44s} {t_floor:8.3f} s")
        engines = {}
        for engine in ("pdfium", "pdfplumber"):
            repeat = args.repeat if engine == "pdfium" else 1
            t_text = best(lambda e=engine: engine_texts(text_pdf, e), repeat)
            t_boxes = best(lambda e=engine: engine_chars(text_pdf, e), repeat)
            engines[engine] = engine_texts(text_pdf, engine)
            print(f"{'engine ' + engine + ': text':44s} {t_text:8.3f} s  "
                  f"({t_text / t_floor:.1f}x floor)")
            print(f"{'engine ' + engine + ': text + every char box':44s} {t_boxes:8.3f} s  "
                  f"({t_boxes / t_floor:.1f}x floor)")
        agree = [a.split() == b.split() for a, b in zip(*engines.values(), strict=True)]
        exact = [a == b for a, b in zip(*engines.values(), strict=True)]
        print(f"engines agree: {sum(agree)}/{len(agree)} pages same words, "
              f"{sum(exact)}/{len(exact)} identical")
        t_read = best(lambda: read_document(text_pdf), args.repeat)
        print(f"{'read_document (ingest of the review)':44s} {t_read:8.3f} s  "
              f"({t_read / t_floor:.1f}x floor)")

        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        scanned = read_document(scan_pdf)
        t_ocr = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
        ocr_pages = sum(page.ocr for page in scanned.pages)
        confidence = statistics.mean(p.ocr_confidence for p in scanned.pages if p.ocr_confidence)
        print(f"{'OCR, wall per page (' + str(cores) + ' cores)':44s} "
              f"{t_ocr / args.scanned:8.3f} s  ({ocr_pages} pages OCRed in {t_ocr:.1f} s, "
              f"mean confidence {confidence:.0f})")
        print(f"{'OCR, tesseract CPU per page (one core)':44s} {cpu / args.scanned:8.3f} s")
        print()

        started = time.perf_counter()
        build_nlp()
        print(f"{'pipeline load (once per process)':44s} {time.perf_counter() - started:8.3f} s")
        result = review(text_pdf)
        t_review = best(lambda: review(text_pdf), args.repeat)
        print(f"{'review, text chart':44s} {t_review:8.3f} s  "
              f"({t_review / t_floor:.0f}x floor; {result.determination.value}, "
              f"{len(result.facts)} facts)")
        tracemalloc.start()
        review(text_pdf)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{'review, text chart: peak Python heap':44s} {peak / 2**20:8.1f} MiB")
        t_scan_review = best(lambda: review(scan_pdf), 1)  # OCR results are cached per file
        started = time.perf_counter()
        fresh = root / "scan_again.pdf"
        fresh.write_bytes(scan_pdf.read_bytes())
        scan_result = review(fresh)
        t_scan_cold = time.perf_counter() - started
        print(f"{'review, scanned chart, OCR included':44s} {t_scan_cold:8.3f} s  "
              f"({scan_result.determination.value})")
        print(f"{'review, scanned chart, OCR cached':44s} {t_scan_review:8.3f} s")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{'process peak RSS (pipeline loaded)':44s} {rss:8.1f} MiB")
        print()
        print(json.dumps({
            "floor_s": round(t_floor, 3), "review_s": round(t_review, 3),
            "review_over_floor": round(t_review / t_floor, 1),
            "ocr_s_per_page": round(t_ocr / args.scanned, 2),
            "ocr_cpu_s_per_page": round(cpu / args.scanned, 2),
        }))


if __name__ == "__main__":
    main()
