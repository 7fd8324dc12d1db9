"""``priorauth export-gold --data-dir D OUT``: reviewed cases become labelled charts.

Each review of the data folder with a final decision becomes a gold folder of
review-contract.md: its documents (under their uploaded names), request.json, and
expected.json with the reviewer's statuses for the criteria they confirmed (agree: the
machine's status) or corrected (their status), the final determination (approved:
meets_criteria; a physician's adverse decision: not_met; a referral: the determination
recomputed with the corrections), the reviewer's comments as ``why``, and ``overrides``
(node -> machine and reviewer status) for the override rate. ``priorauth evaluate OUT`` reads
it. Reviews whose files were deleted (retention) are skipped.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

COMMAND = "export-gold"
APPROVED = ("approve", "physician_approve")


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(COMMAND, help="write reviewed cases of a 'serve' data folder as "
                            "gold folders for 'priorauth evaluate'")
    parser.add_argument("--data-dir", required=True, metavar="DIR")
    parser.add_argument("--database-url", metavar="URL", default=None)
    parser.add_argument("out", metavar="OUT", help="folder to write (created)")
    return parser


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._ ()-]+", "_", Path(name).name).strip() or "document"


def run(args: argparse.Namespace) -> int:
    from priorauth.cli import UsageError
    from priorauth.models import Review
    from priorauth.web.context import OVERRIDE_ACTIONS, overrides_of
    from priorauth.web.store import Store

    folder = Path(args.data_dir)
    if not folder.is_dir():
        raise UsageError(f"data folder {args.data_dir} does not exist")
    store = (Store(args.database_url, head_file=folder / "postgresql.audit-head")
             if args.database_url else Store(folder / "priorauth.sqlite3"))
    out = Path(args.out)
    written = 0
    try:
        for review_id in store.reviews_with_final():
            row = store.review(review_id)
            if row is None or row.review is None or store.purged_at(review_id):
                continue
            machine = Review.model_validate_json(row.review)
            decisions = store.decisions(review_id)
            overrides = overrides_of(decisions)
            statuses = {k: OVERRIDE_ACTIONS[d.action] for k, d in overrides.items()}
            from priorauth.scoring import rescore

            corrected = rescore(machine, statuses) if statuses else machine
            final = [d for d in decisions if d.criterion_id == "final"
                     and d.action != "comment"][-1]
            if final.action in APPROVED:
                determination = "meets_criteria"
            elif final.action == "physician_adverse":
                determination = "not_met"
            else:
                determination = corrected.determination.value
            criteria: dict[str, str] = {}
            for d in decisions:
                if d.action == "agree":
                    criteria[d.criterion_id] = machine.criterion(d.criterion_id).status.value
            for node, status in statuses.items():
                criteria[node] = status.value
            why = " ".join(d.comment for d in decisions if d.comment).strip()
            case = out / f"case_{review_id[:12]}"
            case.mkdir(parents=True, exist_ok=True)
            for doc in store.documents(review_id):
                shutil.copyfile(folder / "uploads" / review_id / doc.stored_name,
                                case / _safe(doc.name))
            request = json.loads(row.request)
            keep = {k: request[k] for k in ("cpt", "request_date", "age", "dob", "sex")
                    if request.get(k) is not None}
            (case / "request.json").write_text(json.dumps(keep, indent=2) + "\n", "utf-8")
            expected = {"determination": determination, "criteria": criteria,
                        "why": why or f"reviewer's final decision: {final.action}",
                        "overrides": {k: {"machine": machine.criterion(k).status.value,
                                          "reviewer": v.value} for k, v in statuses.items()},
                        "machine_determination": machine.determination.value}
            (case / "expected.json").write_text(json.dumps(expected, indent=2) + "\n",
                                                "utf-8")
            written += 1
    finally:
        store.close()
    print(f"priorauth: {written} reviewed case(s) written to {out}")
    return 0
