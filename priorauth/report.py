"""Render a review for people: terminal text and a printable HTML page."""

from __future__ import annotations

import html

from priorauth.extract.ocr import LOW_CONFIDENCE as LOW_OCR_CONFIDENCE
from priorauth.models import CriterionResult, Review, Status

SYMBOL = {Status.met: "✓", Status.not_met: "✗", Status.unknown: "?"}
HEADLINE = {
    "meets_criteria": "MEETS CRITERIA: eligible for approval",
    "not_met": "CRITERIA NOT MET: refer to a clinical reviewer (the tool never denies)",
    "insufficient_documentation": "INSUFFICIENT DOCUMENTATION: refer to a clinical reviewer "
                                  "and ask the provider for what is missing",
    "not_applicable": "NOT APPLICABLE: no requested code is covered by this policy",
}




def _where(ev) -> str:
    page = f" p.{ev.page}" if ev.page is not None else ""
    flag = ""
    if ev.ocr_confidence is not None and ev.ocr_confidence < LOW_OCR_CONFIDENCE:
        flag = f"; scanned text, OCR confidence {ev.ocr_confidence:.0f}%: check the page"
    return f"{ev.document}{page} [{ev.start}:{ev.end}]{flag}"


def _depth(node_id: str) -> int:
    return node_id.count(".") - 1


def _shown(review: Review) -> list[CriterionResult]:
    """Top-level criteria, plus the subtree of every indication that is met or in play."""
    expand = {m.indication for m in review.missing}
    expand |= {c.id for c in review.criteria if c.id.count(".") == 1 and c.status == Status.met}
    out = []
    for c in review.criteria:
        top = ".".join(c.id.split(".")[:2])
        if c.id == top or top in expand:
            out.append(c)
    return out


def render_text(review: Review) -> str:
    """A review a reviewer can read in a terminal."""
    r = review.request
    lines = [
        f"priorauth review: policy {review.policy.id} v{review.policy.version}",
        f"Request: CPT {', '.join(r.cpt)} (region {r.region or 'not covered'}), request date "
        f"{r.request_date or 'unknown'}, age {r.age if r.age is not None else 'unknown'}, "
        f"sex {r.sex or 'unknown'}",
        f"Documents: {', '.join(f'{d.name} ({d.pages} p.)' for d in review.documents)}",
    ]
    if review.alerts:
        lines += ["", "Check first:"] + [f"  ! {a.message}" for a in review.alerts]
    lines += ["", f"Determination: {HEADLINE[review.determination.value]}"]
    lines += [f"  - {reason}" for reason in review.reasons]
    for title, prefix in (("Indications", "ind."), ("Non-indications", "non.")):
        lines += ["", f"{title}:"]
        for c in _shown(review):
            if not c.id.startswith(prefix):
                continue
            pad = "  " * (_depth(c.id) + 1)
            line = f"{pad}{SYMBOL[c.status]} {c.id} {c.text}"
            if c.status != Status.unknown and not c.evidence and c.reason:
                line += f" ({c.reason})"
            lines.append(line)
            for ev in c.evidence[:3]:
                quote = " ".join(ev.text.split())
                lines.append(f'{pad}    "{quote}" ({_where(ev)})')
    if review.missing:
        lines += ["", "Missing documentation (ask the provider):"]
        by_id = {c.id: c for c in review.criteria}
        for m in review.missing:
            lines.append(f"  {m.indication}:")
            lines += [f"    ? {leaf} {by_id[leaf].text}" for leaf in m.unknown]
    if review.notes:
        lines += ["", "Policy notes: " + ", ".join(review.notes)]
    return "\n".join(lines) + "\n"


def render_html(review: Review) -> str:
    """A self-contained printable HTML report; all chart text is escaped."""
    e = html.escape
    rows = []
    for c in review.criteria:
        quotes = "".join(f"<li><q>{e(ev.text)}</q> <small>{e(_where(ev))}</small></li>"
                         for ev in c.evidence)
        rows.append(f'<tr class="{c.status.value}"><td style="padding-left:{_depth(c.id)}em">'
                    f"{SYMBOL[c.status]} {e(c.id)}</td><td>{e(c.text)}<ul>{quotes}</ul></td></tr>")
    missing = "".join(f"<li>{e(m.indication)}: {e(', '.join(m.unknown))}</li>"
                      for m in review.missing)
    reasons = "".join(f"<li>{e(x)}</li>" for x in review.reasons)
    alerts = "".join(f'<li class="{e(a.kind.value)}">{e(a.message)}</li>' for a in review.alerts)
    alerts = f"<h2>Check first</h2><ul class='alerts'>{alerts}</ul>" if alerts else ""
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>priorauth review</title>"
        "<style>body{font-family:sans-serif}td{vertical-align:top;border-bottom:1px solid #ddd}"
        ".met{color:#064}.not_met{color:#822}.unknown{color:#555}q{background:#ffc}</style>"
        "</head><body>"
        f"{alerts}<h1>{e(HEADLINE[review.determination.value])}</h1><ul>{reasons}</ul>"
        f"<p>CPT {e(', '.join(review.request.cpt))}, region {e(str(review.request.region))}, "
        f"request date {e(str(review.request.request_date))}</p>"
        f"<h2>Missing documentation</h2><ul>{missing or '<li>none</li>'}</ul>"
        f"<h2>Criteria</h2><table>{''.join(rows)}</table></body></html>\n"
    )
