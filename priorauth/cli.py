"""The ``priorauth`` command line (see review-contract.md).

Exit status 0 for every determination; 2 for bad usage or unreadable input, with one line
on stderr naming the file (never chart text, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date

from pydantic import ValidationError

USAGE_ERROR = 2


class UsageError(Exception):
    """Bad usage: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        raise UsageError(message)


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def write_output(text: str, path: str | None) -> None:
    """Write to ``path``, or to stdout when no path is given (unwritable path: UsageError)."""
    if not path:
        sys.stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="priorauth", description="Pre-review of prior-authorization "
                     "requests for CT of the spine. The tool never denies.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    review = sub.add_parser("review", help="review one patient's chart for one request")
    review.add_argument("charts", nargs="+", metavar="CHART",
                        help=".txt notes or .pdf charts, or one FHIR request Bundle (JSON: a "
                             "Da Vinci PAS Claim or a ServiceRequest with its documents; the "
                             "flags below override what it says)")
    review.add_argument("--cpt", action="append", metavar="CODE",
                        help="requested procedure code; repeat for several (required unless "
                             "a FHIR bundle names them)")
    review.add_argument("--request-date", type=_date, metavar="YYYY-MM-DD")
    age = review.add_mutually_exclusive_group()
    age.add_argument("--age", type=int, metavar="YEARS")
    age.add_argument("--dob", type=_date, metavar="YYYY-MM-DD")
    review.add_argument("--sex", choices=["F", "M", "U"])
    review.add_argument("--patient-name", metavar="NAME",
                        help="the patient's name, to tell pages of another patient in a packet "
                             "(with --dob and --mrn; default: the identity most pages state)")
    review.add_argument("--mrn", metavar="MRN", help="the patient's medical record number")
    review.add_argument("--ocr-budget", type=positive_int, default=300, metavar="SECONDS",
                        help="wall-clock seconds OCR of scanned pages may take in this review "
                             "(default 300); pages left unread are listed in the review")
    review.add_argument("--max-ocr-pages", type=positive_int, default=200, metavar="N",
                        help="most scanned pages OCRed in this review (default 200)")
    review.add_argument("--format", choices=["text", "json", "html", "fhir"], default="text",
                        help="fhir: a FHIR R4 Bundle with a QuestionnaireResponse answering "
                             "'priorauth questionnaire' and a Provenance")
    review.add_argument("--output", metavar="FILE", help="write the review here, not stdout")
    sub.add_parser("schema", help="print the JSON Schema of the review")
    text = sub.add_parser("text", help="print the extracted text of a chart file (what "
                          "evidence offsets index into)")
    text.add_argument("chart", metavar="CHART")
    text.add_argument("--page", type=int, help="1-based page of a PDF")
    for module in _plugins():
        module.add_parser(sub)
    return parser


# Further subcommands live in their own modules, each with add_parser(sub) and run(args).
PLUGIN_MODULES: tuple[str, ...] = (
    "priorauth.cli_evaluate",
    "priorauth.cli_batch",
    "priorauth.cli_serve",
    "priorauth.cli_audit",
    "priorauth.cli_users",
    "priorauth.cli_export_gold",
    "priorauth.cli_fhir",
)


def _plugins():
    import importlib

    return [importlib.import_module(name) for name in PLUGIN_MODULES]


def _review(args: argparse.Namespace) -> str:
    from priorauth.extract.ingest import OcrBudget
    from priorauth.fhir.bundle_in import load_bundle
    from priorauth.models import ReviewRequest
    from priorauth.report import render_html, render_text
    from priorauth.review import review_chart

    budget = OcrBudget(args.ocr_budget, args.max_ocr_pages)
    bundle = None
    for chart in args.charts:  # a FHIR bundle is recognised by content, whatever its name
        found = load_bundle(chart)
        if found is not None and len(args.charts) > 1:
            raise UsageError(f"{found.source}: a FHIR bundle is reviewed on its own; give it "
                             "as the only CHART")
        bundle = bundle or found
    subject = request_ref = None
    if bundle is not None:
        from priorauth.fhir.bundle_in import review_bundle

        request = bundle.review_request(cpt=args.cpt, request_date=args.request_date,
                                        age=args.age, dob=args.dob, sex=args.sex,
                                        patient_name=args.patient_name, mrn=args.mrn)
        review = review_bundle(bundle, request, ocr_budget=budget)
        subject, request_ref = bundle.subject, bundle.request_ref
    else:
        if not args.cpt:
            raise UsageError("the following arguments are required: --cpt")
        try:
            request = ReviewRequest(cpt=tuple(args.cpt), request_date=args.request_date,
                                    age=args.age, dob=args.dob, sex=args.sex,
                                    patient_name=args.patient_name, mrn=args.mrn)
        except ValidationError as exc:
            raise UsageError("; ".join(err["msg"].removeprefix("Value error, ")
                                       for err in exc.errors())) from None
        review = review_chart(args.charts, request, ocr_budget=budget)
    if args.format == "json":
        return review.to_json()
    if args.format == "html":
        return render_html(review)
    if args.format == "fhir":
        try:
            from priorauth.fhir.response import render_fhir
        except ImportError:
            raise UsageError("--format fhir needs fhir.resources: "
                             "pip install 'priorauth[fhir]'") from None
        return render_fhir(review, subject=subject, request_ref=request_ref)
    return render_text(review)


def _text(args: argparse.Namespace) -> str:
    from priorauth.extract.ingest import read_document

    document = read_document(args.chart)
    pages = document.pages
    if args.page is not None:
        if not 1 <= args.page <= len(pages) or document.kind not in ("pdf", "tiff"):
            raise UsageError(f"{document.name}: no page {args.page}")
        pages = (pages[args.page - 1],)
    return "\f".join(p.text for p in pages)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    from priorauth.extract.ingest import ChartReadError

    try:
        args = build_parser().parse_args(argv)
        if args.command == "schema":
            from priorauth.models import Review

            out = json.dumps(Review.model_json_schema(), indent=2, sort_keys=True) + "\n"
        elif args.command == "text":
            out = _text(args)
        elif args.command == "review":
            out = _review(args)
        else:
            plugin = next(m for m in _plugins() if m.COMMAND == args.command)
            return plugin.run(args)
        write_output(out, getattr(args, "output", None))
        return 0
    except (UsageError, ChartReadError) as exc:
        print(f"priorauth: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("priorauth: interrupted", file=sys.stderr)
        return 130
