"""A chart as a packet of pages: who each page is about, what each page is, what is missing.

Runs between ingest and extraction. It decides, page by page:

- **identity**: the patient name, date of birth and MRN a page states in labelled fields
  ("Patient: SAMPLE, JOHN Q", "DOB: 02/03/1968", "MRN 123456"). The chart's patient is the one
  the request names (``ReviewRequest.patient_name`` / ``dob`` / ``mrn``) or, when it names
  none, the identity most pages state. A page whose identity conflicts with the chart's and
  agrees on nothing is another patient's: it is kept out of the facts and alerted. A page that
  states no identity follows the page before it in the same document (else the page after).
- **role**: a fax cover sheet and a blank page carry no clinical facts; fax header and footer
  lines ("10/03/2026 14:22 FAX ... PAGE 2/6", "Page 3 of 5") are page furniture, not text of
  the note (their dates are transmission dates, not dates of service).
- **completeness**: a cover sheet's page count against the pages that arrived, "page k of N"
  numbering with pages absent, and the documents a cover sheet lists with none of that kind
  in the chart.

A chart left with fewer than :data:`THIN_CHART_WORDS` words of clinical text is alerted as too
thin to stand for a clinical record (the scorer never approves it). Masked text is replaced by
spaces, so every offset into a page still indexes the page as read.
Alert messages name documents and pages, never the chart's text or the patient.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from priorauth.extract.ingest import Document, Page
from priorauth.extract.ocr import LOW_CONFIDENCE
from priorauth.extract.values import find_dates
from priorauth.models.review import Alert, AlertKind

__all__ = ["Identity", "Packet", "compare_identity", "prepare_packet", "read_identity"]

#: Fewer words than this (of two letters or more, outside page furniture) make a chart too
#: thin to stand for a clinical record on its own.
THIN_CHART_WORDS = 40
_BLANK_WORDS = 3  # a page with fewer real words than this is blank (speckle, a stamp)

# --------------------------------------------------------------------------- identity

_FIELD_END = (r"(?=\s{2,}|\t|\s*[|;(]|\s*$"
              r"|\s+(?:DOB|D\.O\.B|MRN|Date|Sex|Age|Acct|Account|Member|ID|Gender)\b)")
_NAME_FIELD = re.compile(
    r"(?im)^[ \t>*]*(?:patient(?:'s)?\s*name|patient|pt\.?\s*name|name|member\s*name|re)"
    r"\s*[:#-]\s*"
    r"(?P<name>[A-Za-z][A-Za-z.,' -]{2,60}?)" + _FIELD_END
)
_INLINE_NAME = re.compile(
    r"(?i)\b(?:patient(?:'s)?\s*name|patient|pt\s*name)\s*:\s*"
    r"(?P<name>[A-Za-z][A-Za-z.,' -]{2,60}?)" + _FIELD_END
)
_DOB = re.compile(
    r"(?i)\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|born)\s*[:#]?\s*"
    r"(?P<d>[0-9A-Za-z/,. -]{6,20})"
)
_MRN = re.compile(
    r"(?i)\b(?:MRN|medical\s+record\s*(?:number|no\.?|#)?|MR\s*#|chart\s*(?:no\.?|#))\s*[:#]?\s*"
    r"(?P<mrn>[A-Z0-9][A-Z0-9-]{3,19})\b"
)
_TITLES = {"mr", "mrs", "ms", "miss", "dr", "jr", "sr", "ii", "iii", "iv", "md", "do"}
_NOT_NAME = {
    "the", "a", "an", "is", "was", "has", "had", "with", "reports", "presents", "states",
    "denies", "here", "seen", "returns", "comes", "notes", "complains", "year", "old", "male",
    "female", "man", "woman", "yo", "ct", "mri", "spine", "lumbar", "cervical", "thoracic",
    "prior", "authorization", "request", "pain", "back", "neck", "follow", "up", "visit",
    "unknown", "same", "above", "see", "attached", "not", "none", "na", "n", "of", "and",
}


@dataclass(frozen=True)
class Identity:
    """Who a page says it is about. Any part may be unknown.

    Attributes:
        first: Given name, lower case, letters only.
        last: Family name, lower case, letters only.
        dob: Date of birth.
        mrn: Medical record number, upper case, letters and digits only.
    """

    first: str | None = None
    last: str | None = None
    dob: date | None = None
    mrn: str | None = None

    @property
    def empty(self) -> bool:
        """Nothing is known."""
        return self.last is None and self.dob is None and self.mrn is None


def _letters(word: str) -> str:
    plain = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in plain if ch.isalpha()).lower()


def parse_name(raw: str) -> tuple[str, str] | None:
    """(first, last) from "Last, First M." or "First M. Last"; ``None`` if not a name."""
    raw = raw.strip(" .,-'")
    if "," in raw:
        last_part, _, first_part = raw.partition(",")
        words = first_part.split() + last_part.split()
        surname = [_letters(w) for w in last_part.split()]
        given = [_letters(w) for w in first_part.split()]
    else:
        words = raw.split()
        parts = [_letters(w) for w in words]
        given, surname = parts[:-1], parts[-1:]
    if any(w and not w[0].isupper() for w in words):
        return None  # "Patient: reports pain ..." is a sentence, not a name
    if any(_letters(w) in _NOT_NAME for w in words):
        return None
    given = [g for g in given if g and g not in _TITLES]
    surname = [s for s in surname if s and s not in _TITLES]
    if not given or not surname or len(surname[-1]) < 2:
        return None
    return given[0], surname[-1]


def read_identity(text: str) -> Identity:
    """The identity a page states in labelled fields (the first of each kind)."""
    name: tuple[str, str] | None = None
    for pattern in (_NAME_FIELD, _INLINE_NAME):
        for m in pattern.finditer(text):
            name = parse_name(m.group("name"))
            if name:
                break
        if name:
            break
    lower = text.lower()
    dob = None
    for m in (_DOB.finditer(text) if any(w in lower for w in ("dob", "d.o.b", "birth", "born"))
              else ()):
        found = [d for d in find_dates(m.group("d")) if d.start == 0]
        if found and found[0].value.year > 1880:
            dob = found[0].value
            break
    mrn = None
    for m in (_MRN.finditer(text) if any(w in lower for w in ("mr", "record", "chart"))
              else ()):
        value = re.sub(r"[^A-Z0-9]", "", m.group("mrn").upper())
        if sum(ch.isdigit() for ch in value) >= 4:
            mrn = value
            break
    return Identity(first=name[0] if name else None, last=name[1] if name else None,
                    dob=dob, mrn=mrn)


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (small strings)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def _name_agrees(a: Identity, b: Identity) -> bool:
    assert a.last and b.last and a.first and b.first
    if a.last == b.last and a.first[0] == b.first[0]:
        return True
    return _edits(a.first + a.last, b.first + b.last) <= 1  # one OCR slip


def compare_identity(page: Identity, chart: Identity) -> str:
    """``"same"``, ``"other"`` or ``"unknown"``.

    Each of name, date of birth and MRN that both state agrees or conflicts. A page is
    another patient's only when something conflicts and nothing agrees: one misread digit of a
    date of birth beside a matching name is still this patient.
    """
    agree = conflict = 0
    if page.last and chart.last and page.first and chart.first:
        if _name_agrees(page, chart):
            agree += 1
        else:
            conflict += 1
    if page.dob and chart.dob:
        if page.dob == chart.dob:
            agree += 1
        else:
            conflict += 1
    if page.mrn and chart.mrn:
        if page.mrn == chart.mrn:
            agree += 1
        else:
            conflict += 1
    if agree:
        return "same"
    return "other" if conflict else "unknown"


def _chart_identity(stated: Sequence[Identity], given: Identity) -> Identity:
    """The request's identity, else the one most pages state (first stated on a tie)."""
    if not given.empty:
        return given
    known = [i for i in stated if not i.empty]
    if not known:
        return Identity()
    counts = Counter(known)  # pages repeat the same identity: compare distinct ones
    votes = {candidate: sum(n for other, n in counts.items()
                            if compare_identity(other, candidate) == "same")
             for candidate in counts}
    best = max(votes.values())
    return next(i for i in known if votes[i] == best)


# --------------------------------------------------------------------------- page roles

# "Page 2 of 5": only the words are masked, the line may hold a date of service
_PAGE_OF = re.compile(r"(?i)\bpage\s*(\d{1,3})\s*(?:/|of)\s*(\d{1,3})\b")
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")
_FAX_WORD = re.compile(r"(?i)\bfax\b")
_FAX_LINE_MAX = 240  # a fax machine's header line is short
_COVER = re.compile(
    r"(?i)\b(?:fax\s+cover(?:\s+sheet)?|cover\s+sheet|facsimile(?:\s+transmittal)?"
    r"|fax\s+transmittal|transmittal\s+sheet)\b"
)
_COVER_COUNT = re.compile(
    r"(?i)\b(?:(?:number|no\.?|#|total)\s+of\s+pages(?:\s*\((?:incl\.?|including)\s+cover\))?"
    r"|total\s+pages"
    r"|pages?\s*\((?:incl\.?|including)\s+cover\)|pages?\s+(?:incl\.?|including)\s+cover)"
    r"[\s:#.]{0,4}(\d{1,3})\b"  # "pages (including cover):.6": a speck may sit before it
    r"|\b(\d{1,3})\s+pages?\s*\(?(?:incl\.?|including)\s+(?:this\s+)?cover"
)
_CONTENTS = re.compile(
    r"(?is)\b(?:enclosed|enclosures|contents|attached|attachments|included"
    r"|documents(?:\s+(?:sent|included|enclosed))?)\s*[:\-]\s*(?P<list>.{0,600})"
)
#: What a cover sheet may list, and what a page of that kind says.
_KINDS: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    ("a therapy record",
     re.compile(r"(?i)\b(?:physical therapy|PT\b|therapy|chiropract\w*|rehab\w*)"),
     re.compile(r"(?i)\b(?:physical therap\w+|PT (?:visits?|eval\w*|discharge|daily|progress)"
                r"|therapist|chiropract\w+|visits?\b[^\n]{0,40}\b(?:attended|completed)"
                r"|plan of care)")),
    ("an imaging report",
     re.compile(r"(?i)\b(?:MRI|CT|x-?rays?|radiograph\w*|radiology|imaging|bone scan)\b"
                r"[^\n,;]{0,20}\b(?:report|results?|study)\b|\bradiology\b|\bimaging report\b"),
     re.compile(r"(?i)\b(?:impression|findings)\s*:")),
    ("a laboratory report",
     re.compile(r"(?i)\blab(?:oratory)?s?\b(?:\s+(?:results?|report|values))?"),
     re.compile(r"(?i)\b(?:ESR|CRP|WBC|sed rate|C-reactive|reference range"
                r"|white (?:blood )?count)\b")),
    ("an operative report",
     re.compile(r"(?i)\b(?:operative|op)\s+(?:report|note)\b"),
     re.compile(r"(?i)\b(?:procedure performed|operative (?:report|findings)"
                r"|preoperative diagnosis)\b")),
)


def _mask(text: str, spans: Sequence[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for k in range(start, end):
            if chars[k] != "\n":
                chars[k] = " "
    return "".join(chars)


def _furniture(text: str) -> list[tuple[int, int]]:
    """Spans of page furniture: "Page 2 of 5", and a fax machine's header line ("10/03/2026
    14:22 FAX 555-0134  ORTHO ASSOC  PAGE 2/6": a short line naming a fax and a clock time).
    Linear in the page: each line is tested once."""
    spans = [m.span() for m in _PAGE_OF.finditer(text)] if "page" in text.lower() else []
    if "fax" in text.lower():
        start = 0
        for line in text.split("\n"):
            if (len(line) <= _FAX_LINE_MAX and _FAX_WORD.search(line)
                    and _CLOCK.search(line)):
                spans.append((start, start + len(line)))
            start += len(line) + 1
    return spans


def _words(text: str) -> int:
    return sum(1 for w in re.findall(r"[A-Za-z]{2,}", text))


def _is_cover(text: str) -> bool:
    head = text[:800]
    return bool(_COVER.search(head)) and len(text) < 3000


@dataclass(frozen=True)
class Packet:
    """The chart as prepared for extraction.

    Attributes:
        documents: The documents with page furniture, cover sheets, blank pages and other
            patients' pages masked (offsets unchanged).
        alerts: What the reviewer must know first: a thin chart first, then in document and
            page order.
        excluded: (document, page) of every page kept out of the facts, with why.
        words: Words of clinical text left in the chart.
    """

    documents: tuple[Document, ...]
    alerts: tuple[Alert, ...]
    excluded: tuple[tuple[str, int | None, str], ...]
    words: int


def _where(document: Document, page: Page) -> str:
    return f"{document.name} page {page.number}" if page.number is not None else document.name


def prepare_packet(documents: Sequence[Document], *, patient: Identity | None = None) -> Packet:
    """Decide each page's identity and role; mask what is not this patient's clinical text.

    Args:
        documents: The chart as read.
        patient: The patient the request names (any part may be unknown).
    """
    patient = patient or Identity()
    alerts: list[Alert] = []
    excluded: list[tuple[str, int | None, str]] = []
    stated = [[read_identity(page.text) for page in d.pages] for d in documents]
    chart = _chart_identity([i for doc in stated for i in doc], patient)
    out_docs: list[Document] = []
    covers: list[tuple[Document, Page]] = []
    words = 0
    for document, identities in zip(documents, stated, strict=True):
        verdicts = [compare_identity(i, chart) if not chart.empty else "unknown"
                    for i in identities]
        # A page that says nothing about whose it is follows its neighbours.
        for k, verdict in enumerate(verdicts):
            if identities[k].empty:
                before = next((verdicts[j] for j in range(k - 1, -1, -1)
                               if not identities[j].empty), None)
                after = next((verdicts[j] for j in range(k + 1, len(verdicts))
                              if not identities[j].empty), None)
                verdicts[k] = before or after or verdict
        pages: list[Page] = []
        numbers: dict[int, int] = {}
        for page, verdict in zip(document.pages, verdicts, strict=True):
            where = _where(document, page)
            furniture = _furniture(page.text)
            for m in _PAGE_OF.finditer(page.text):
                numbers[int(m.group(1))] = int(m.group(2))
            text = _mask(page.text, furniture)
            low = page.ocr_confidence is not None and page.ocr_confidence < LOW_CONFIDENCE
            if page.ocr and low:
                alerts.append(Alert(
                    kind=AlertKind.low_ocr_confidence, document=document.name, page=page.number,
                    message=f"{where} was read by OCR with low confidence "
                            f"({page.ocr_confidence:.0f}%): check its quotes against the image"))
            if page.rotation:
                alerts.append(Alert(
                    kind=AlertKind.rotated_page, document=document.name, page=page.number,
                    message=f"{where} was turned {page.rotation} degrees to be read"))
            if verdict == "other":
                alerts.append(Alert(
                    kind=AlertKind.other_patient, document=document.name, page=page.number,
                    message=f"{where} names another patient (name, date of birth or MRN differ "
                            "from the chart's): excluded from scoring; the determination does "
                            "not rest on it"))
                excluded.append((document.name, page.number, "other_patient"))
                text = _mask(page.text, [(0, len(page.text))])
            elif page.number in document.unread:
                excluded.append((document.name, page.number, "unread"))
            elif _is_cover(page.text):
                covers.append((document, page))
                excluded.append((document.name, page.number, "cover_sheet"))
                text = _mask(page.text, [(0, len(page.text))])
            elif _words(text) < _BLANK_WORDS:
                if page.number is not None:
                    alerts.append(Alert(
                        kind=AlertKind.blank_page, document=document.name, page=page.number,
                        message=f"{where} is blank or unreadable"))
                    excluded.append((document.name, page.number, "blank"))
                text = _mask(page.text, [(0, len(page.text))])
            else:
                words += _words(text)
            pages.append(replace(page, text=text) if text != page.text else page)
        if document.unread:
            alerts.append(Alert(
                kind=AlertKind.unread_pages, document=document.name, page=document.unread[0],
                message=f"{document.name} {_ranges(document.unread)} not read: "
                        f"{document.unread_reason}. The determination was made without them; "
                        "it is never a recommendation to approve"))
        if document.kind in ("pdf", "tiff") and numbers:
            total = max(numbers.values())
            seen = set(numbers)
            absent = [k for k in range(1, total + 1) if k not in seen]
            if total > len(document.pages) and absent:
                alerts.append(Alert(
                    kind=AlertKind.missing_pages, document=document.name, page=None,
                    message=f"{document.name} is numbered to page {total} but "
                            f"{len(document.pages)} page(s) arrived; absent: "
                            f"{_numbers(absent)}. The determination was made without them"))
        out_docs.append(replace(document, pages=tuple(pages)) if pages != list(document.pages)
                        else document)
    alerts.extend(_cover_alerts(covers, out_docs))
    if words < THIN_CHART_WORDS:
        alerts.insert(0, Alert(
            kind=AlertKind.thin_chart,
            message=f"the chart holds {words} words of clinical text, too little to stand for a "
                    "clinical record: it is never recommended for approval on its own"))
    return Packet(documents=tuple(out_docs), alerts=tuple(alerts), excluded=tuple(excluded),
                  words=words)


def _ranges(numbers: Sequence[int]) -> str:
    """``"pages 31-300"``, ``"pages 2, 5-7"``, ``"page 4"``."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    text = ", ".join(f"{a}" if a == b else f"{a}\u2013{b}" for a, b in runs)
    return ("page " if len(numbers) == 1 else "pages ") + text


def _numbers(values: Sequence[int], shown: int = 8) -> str:
    text = ", ".join(str(v) for v in values[:shown])
    return text + (f" and {len(values) - shown} more" if len(values) > shown else "")


def _cover_alerts(covers: Sequence[tuple[Document, Page]],
                  documents: Sequence[Document]) -> list[Alert]:
    alerts: list[Alert] = []
    chart_text = "\n".join(p.text for d in documents for p in d.pages)
    for document, page in covers:
        where = _where(document, page)
        count = _COVER_COUNT.search(page.text)
        if count and document.kind in ("pdf", "tiff"):
            expected = int(count.group(1) or count.group(2))
            if expected > len(document.pages):
                alerts.append(Alert(
                    kind=AlertKind.missing_pages, document=document.name, page=page.number,
                    message=f"the cover sheet ({where}) announces {expected} pages; "
                            f"{len(document.pages)} arrived. The determination was made "
                            "without the missing pages"))
        listing = _CONTENTS.search(page.text)
        if not listing:
            continue
        for label, listed, present in _KINDS:
            if listed.search(listing.group("list")) and not present.search(chart_text):
                alerts.append(Alert(
                    kind=AlertKind.missing_pages, document=document.name, page=page.number,
                    message=f"the cover sheet ({where}) lists {label}, but no page of the "
                            "chart reads as one (missing or blank). The determination was made "
                            "without it"))
    return alerts
