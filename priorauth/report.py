"""Render a review for people: terminal text and a printable HTML page."""

from __future__ import annotations

import html

from priorauth import words
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


def _where(ev, *, offsets: bool = True) -> str:
    """Where a quote is: document, page, offsets (for the details) and a low-OCR warning."""
    page = f" p.{ev.page}" if ev.page is not None else ""
    span = f" [{ev.start}:{ev.end}]" if offsets else ""
    flag = ""
    if ev.ocr_confidence is not None and ev.ocr_confidence < LOW_OCR_CONFIDENCE:
        flag = f"; scanned text, OCR confidence {ev.ocr_confidence:.0f}%: check the page"
    return f"{ev.document}{page}{span}{flag}"


def _where_words(ev) -> str:
    """Where a quote is, in words: document and page (offsets are for the details)."""
    return _where(ev, offsets=False)


def _depth(node_id: str) -> int:
    return node_id.count(".") - 1


def _quote(ev) -> str:
    return " ".join(ev.text.split())


def _shown(review: Review) -> list[CriterionResult]:
    """What a reader sees: every top-level criterion on one line; a met indication's direct
    parts, each met subtree collapsed to one line; an in-play indication down to the unknown
    leaves that are the list of what to ask the provider for."""
    by_id = {c.id: c for c in review.criteria}
    asked: set[str] = set()
    for m in review.missing:
        for leaf in m.unknown:
            parts = leaf.split(".")
            asked |= {".".join(parts[:k]) for k in range(2, len(parts) + 1)}
    met_top = {c.id for c in review.criteria if c.id.count(".") == 1 and c.status == Status.met}
    out = []
    for c in review.criteria:
        parent = c.id.rsplit(".", 1)[0]
        if c.id.count(".") == 1 or c.id in asked or (parent in met_top and parent in by_id):
            out.append(c)
    return out


def render_text(review: Review) -> str:
    """A review a reviewer can read in a terminal: words first, ids and offsets last."""
    r = review.request
    texts = {c.id: c.text for c in review.criteria}
    lines = [
        f"priorauth review: policy {review.policy.id} v{review.policy.version}",
        f"Request: CPT {', '.join(r.cpt)} (region {r.region or 'not covered'}), request date "
        f"{r.request_date or 'unknown'}, age {r.age if r.age is not None else 'unknown'}, "
        f"sex {r.sex or 'unknown'}",
        f"Documents: {', '.join(f'{d.name} ({d.pages} p.)' for d in review.documents)}",
    ]
    if review.alerts:
        lines += ["", "Check first:"] + [f"  ! {a.message}" for a in review.alerts]
    lines += ["", f"Determination: {words.headline(review)}",
              f"  ({HEADLINE[review.determination.value]})"]
    for sentence in words.reason_sentences(review):
        lines.append(f"  - {sentence.text}")
        if sentence.quote is not None:
            lines.append(f'      "{_quote(sentence.quote)}" ({_where_words(sentence.quote)})')
    shown = _shown(review)
    for title, prefix in (("Indications", "ind."), ("Non-indications", "non.")):
        lines += ["", f"{title}:"]
        for c in shown:
            if not c.id.startswith(prefix):
                continue
            pad = "  " * (_depth(c.id) + 1)
            line = f"{pad}{SYMBOL[c.status]} {c.text}"
            why = words.criterion_words(c, texts)
            if why and (c.status != Status.unknown or c.id.count(".") > 1):
                line += f" — {why}"
            lines.append(line)
            for ev in c.evidence[:1 if c.status == Status.met and _depth(c.id) else 2]:
                lines.append(f'{pad}    "{_quote(ev)}" ({_where_words(ev)})')
    if review.missing:
        lines += ["", "Missing documentation (ask the provider for):"]
        for m in review.missing:
            lines.append(f"  {texts.get(m.indication, m.indication)}:")
            lines += [f"    ? {texts.get(leaf, leaf)}" for leaf in m.unknown]
    if review.notes:
        lines += ["", "Policy notes:"] + [f"  - {n}" for n in words.note_texts(review)]
    lines += ["", "Details (criterion ids, scoring reasons and quote offsets):"]
    for c in shown:
        where = "; ".join(_where(ev) for ev in c.evidence[:3])
        lines.append(f"  {c.id} {c.status.value}: {c.reason}" + (f" — {where}" if where else ""))
    if review.notes:
        lines.append(f"  policy notes: {', '.join(review.notes)}")
    return "\n".join(lines) + "\n"


def render_html(review: Review) -> str:
    """A self-contained printable HTML report in words; ids and offsets under each row's
    "details". All chart text is escaped."""
    e = html.escape
    texts = {c.id: c.text for c in review.criteria}

    def quotes(evidence) -> str:
        return "".join(
            f"<li><q>{e(ev.text)}</q> <small>{e(_where_words(ev))}</small></li>"
            for ev in evidence)

    rows = []
    for c in _shown(review):
        why = words.criterion_words(c, texts)
        offsets = "".join(f"<li>{e(_where(ev))}</li>" for ev in c.evidence)
        rows.append(
            f'<tr class="{c.status.value}"><td style="padding-left:{_depth(c.id)}em">'
            f"{SYMBOL[c.status]}</td><td>{e(c.text)}"
            + (f"<br><small>{e(why)}</small>" if why else "")
            + f"<ul>{quotes(c.evidence[:3])}</ul><details><summary>details</summary>"
            f"<small>{e(c.id)} {e(c.status.value)}: {e(c.reason)}</small><ul>{offsets}</ul>"
            "</details></td></tr>")
    missing = "".join(
        f"<li>{e(texts.get(m.indication, m.indication))}<ul>"
        + "".join(f"<li>{e(texts.get(leaf, leaf))}</li>" for leaf in m.unknown)
        + "</ul></li>" for m in review.missing)
    reasons = "".join(
        f"<li>{e(s.text)}" + (f"<br><q>{e(s.quote.text)}</q> <small>"
                              f"{e(_where_words(s.quote))}</small>" if s.quote else "")
        + "</li>" for s in words.reason_sentences(review))
    discarded = "".join(
        f"<li>{e(words.fact_words(f))}: <q>{e(f.evidence.text)}</q> "
        f"<small>{e(_where_words(f.evidence))}</small></li>"
        for f in review.facts if f.assertion.value != "present")
    discarded = (f"<h2>Facts read but discarded</h2><ul>{discarded}</ul>" if discarded
                 else "")
    notes = "".join(f"<li>{e(n)}</li>" for n in words.note_texts(review))
    notes = f"<h2>Policy notes</h2><ul>{notes}</ul>" if notes else ""
    alerts = "".join(f'<li class="{e(a.kind.value)}">{e(a.message)}</li>' for a in review.alerts)
    alerts = f"<h2>Check first</h2><ul class='alerts'>{alerts}</ul>" if alerts else ""
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>priorauth review</title>"
        "<style>body{font-family:sans-serif}td{vertical-align:top;border-bottom:1px solid #ddd}"
        ".met{color:#064}.not_met{color:#822}.unknown{color:#555}q{background:#ffc}"
        "details small{color:#555}</style>"
        "</head><body>"
        f"{alerts}<h1>{e(words.headline(review))}</h1>"
        f"<p>{e(HEADLINE[review.determination.value])}</p><ul>{reasons}</ul>"
        f"<p>CPT {e(', '.join(review.request.cpt))}, region {e(str(review.request.region))}, "
        f"request date {e(str(review.request.request_date))}</p>"
        f"<h2>Missing documentation: ask the provider for</h2>"
        f"<ul>{missing or '<li>none</li>'}</ul>{notes}"
        f"<h2>Criteria</h2><table>{''.join(rows)}</table>{discarded}</body></html>\n"
    )
