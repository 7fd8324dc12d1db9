"""Split a chart document into its notes (encounters), so each fact gets its own note's date.

A fax or a chart export is often many notes in one file: a clinic note, a radiology report,
a PT discharge summary, each with its own date of service and author, one after the other,
sometimes starting mid-page, sometimes repeating their header on every page. An encounter
starts where a note starts:

- a **new title** line (``SPINE CLINIC FOLLOW-UP NOTE``, ``Physical Therapy Discharge
  Summary``: a short all-caps or title-case line whose last word is a note word such as
  note, report, consult, visit, summary, evaluation, follow-up), different from the current
  note's title;
- a **new date of service** (a date line as :func:`priorauth.extract.values.note_dates` finds
  them, the same rule the pipeline has always used), different from the current note's date;
- a **new author** (``Provider:``, ``Author:``, ``Attending:``, ``Clinician:``, ``PCP:``,
  ``Therapist:``...), different from the current note's author.

A date or author change that comes a few lines after a title (or another header line) starts
the encounter at that first header line, so the title and the text between belong to the
new note. A repeated header (same title, same date) is a continuation page, not a new note.
Text before a note's date line (its title, the patient block) gets that note's date; a new
note without any date line gets no date rather than the previous note's.

Everything here is a pure function of the document's text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from datetime import date as Date  # the type, where a field named ``date`` shadows it

from priorauth.extract import values as V
from priorauth.extract.ingest import Document

__all__ = ["Encounter", "encounter_at", "page_note_marks", "split_encounters"]

_LINE = re.compile(r"[^\n]*\S[^\n]*")
# The last word of a note title.
_TITLE_HEAD = re.compile(
    r"(?:notes?|report|consult|consultation|visit|summary|evaluation|re-?evaluation|eval|"
    r"encounter|letter|follow[- ]?up|followup|h&p|physical|addendum|clinic)",
    re.I,
)
_TITLE_WORDS = re.compile(r"[A-Za-z&][\w&'/-]*")
_SUBTITLE = re.compile(r"\s+[-\u2013\u2014|]\s+")
_MINOR_WORDS = frozenset({"of", "and", "for", "the", "to", "with", "&", "in", "on", "at"})
# Where a date-of-service label starts on a title line ("... NOTE   Date of service: ...").
_DATE_LABEL = re.compile(
    r"\b(?:date of service|dos|date of visit|visit date|service date|encounter date|"
    r"date of exam|exam date|date of study|date of note|note date|date)\b",
    re.I,
)
_TITLE_CUT = re.compile(r"\b(?:date|dos)\b", re.I)  # a title line's date part starts here
_FULL_DATE = re.compile(
    r"\b(?:\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2}|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?"
    r"\s+\d{4})\b",
    re.I,
)
_LABEL_TAIL = re.compile(r"^\s*[:#]?\s*")
_LABEL_COLUMN = 60  # a date-of-service label further right is body text, not a header
_AUTHOR = re.compile(
    r"^[ \t]*(?:provider|author|attending(?: physician)?|physician|clinician|seen by|"
    r"examined by|therapist|pcp|rendering provider)\s*:\s*(?P<name>\S[^\n]{0,79})",
    re.I,
)
_CREDENTIALS = re.compile(r"\b(?:dr|md|do|pa|pa-c|np|dpt|pt|rn|phd|mba|facs)\b\.?", re.I)
_HEADER_WINDOW = 5  # non-blank lines a note's header block may span


@dataclass(frozen=True)
class Encounter:
    """One note of a chart document.

    Attributes:
        index: 0-based position in the document.
        start_page: Index (0-based, into ``Document.pages``) of the page it starts on.
        start: Offset in that page's text where it starts.
        end_page: Index of the page it ends on.
        end: Offset in that page's text just after it (the next encounter's start).
        date: Its date of service, or ``None`` if it states none.
        title: Its title line (without the date part), if it has one.
        author: Its author as written after ``Provider:`` etc., if given.
    """

    index: int
    start_page: int
    start: int
    end_page: int
    end: int
    date: date | None = None
    title: str | None = None
    author: str | None = None


@dataclass
class _Open:
    start_page: int
    start: int
    date: date | None = None
    title: str | None = None
    author: str | None = None
    author_key: str | None = None
    header_line: int = 0  # line number of the last header line that described this note

    @property
    def established(self) -> bool:
        return self.date is not None or self.title is not None or self.author is not None

    def describe(
        self,
        when: Date | None,
        title: str | None,
        author: tuple[str, str] | None,
        line: int,
    ) -> bool:
        """Fill in what the note does not know yet; whether anything was new."""
        changed = False
        if when is not None and self.date is None:
            self.date, changed = when, True
        if title is not None and self.title is None:
            self.title, changed = title, True
        if author is not None and self.author is None:
            self.author, self.author_key = author
            changed = True
        if changed:
            self.header_line = line
        return changed


@dataclass(frozen=True)
class _Header:
    line: int
    page: int
    start: int
    when: date | None
    title: str | None
    author: tuple[str, str] | None


def _title(line: str, *, isolated: bool = True) -> str | None:
    """The note title on ``line`` (without its date part), or ``None``.

    A title is 2-10 words, all capitals or title case, ending in a note word; or such a
    title followed by a subtitle after a dash ("TELEPHONE NOTE - MS Nurse Line"). A title in
    title case (not capitals) must also be ``isolated``: first on its page or after a blank
    line, as headings are, where "Plan - PT Evaluation" in the middle of a note is not.
    """
    cuts = [m.start() for m in (_TITLE_CUT.search(line), _FULL_DATE.search(line)) if m]
    head = line[: min(cuts, default=len(line))].strip(" \t-|:;,")
    if not 4 <= len(head) <= 80 or line.rstrip().endswith(":") or not head[0].isalpha():
        return None
    first = _SUBTITLE.split(head, maxsplit=1)[0]
    bare = re.sub(r"\s*\([^)]*\)\s*$", "", head)  # "NEUROLOGY CONSULT (INPATIENT)"
    for candidate in (head, first, bare):
        if _is_title(candidate, title_case=isolated):
            return head
    return None


def _is_title(text: str, *, title_case: bool) -> bool:
    words = _TITLE_WORDS.findall(text)
    if not 2 <= len(words) <= 10 or not _TITLE_HEAD.fullmatch(words[-1]):
        return False
    return text.upper() == text or (
        title_case and all(w[0].isupper() for w in words if w.lower() not in _MINOR_WORDS)
    )


def _line_date(line: str, *, column: int | None = _LABEL_COLUMN) -> date | None:
    """The date after a date-of-service label that starts at most at ``column`` of ``line``.

    Complements :func:`~priorauth.extract.values.note_dates`, which misses a label whose
    preceding title ends in a label word ("AUDIOLOGY NOTE Date of service: ...", read as
    "note date") or is longer than 40 characters.
    """
    position = 0
    while (label := _DATE_LABEL.search(line, position)) and (
        column is None or label.start() <= column
    ):
        rest = _LABEL_TAIL.sub("", line[label.end() :], count=1)[:25]
        found = V.find_dates(rest)
        if found and found[0].start == 0:
            return found[0].value
        position = label.start() + 1
    return None


def _full_date(line: str) -> date | None:
    """The first full date (day, month and year) written anywhere in ``line``."""
    found = _FULL_DATE.search(line)
    if not found:
        return None
    dates = V.find_dates(found.group())
    return dates[0].value if dates else None


def _bare_date(line: str) -> date | None:
    """The date of a line that holds nothing but a full date (a letter's date line)."""
    text = line.strip(" \t.,")
    found = _FULL_DATE.fullmatch(text)
    return _full_date(text) if found else None


_NOT_SERVICE_DATE = re.compile(
    r"\b(?:DOB|D\.O\.B|birth|born|age|received|faxed?|printed|sent|referral date|"
    r"ordered|scheduled|next|follow[- ]?up on|due|appt|appointment|surgery|injury|"
    r"onset|since|admit(?:ted)?|discharged?)\b", re.I)


def _header_date(line: str) -> date | None:
    """A full date on a line of a note's header block that says nothing else about it: the
    note's date ("Castellanos Internal Medicine   Office visit 08/20/2026", "IM f/u -
    9/29/26"), not a date of birth, of a fax, an appointment or an event."""
    if _NOT_SERVICE_DATE.search(line):
        return None
    return _full_date(line)


def _author(line: str) -> tuple[str, str] | None:
    found = _AUTHOR.match(line)
    if not found:
        return None
    name = found.group("name").strip()
    core = re.split(r"[,(;]", name, maxsplit=1)[0]
    tokens = [t for t in re.findall(r"[A-Za-z][A-Za-z'-]+", _CREDENTIALS.sub(" ", core))]
    if not tokens:
        return None
    return name, tokens[-1].lower()


def _normal_title(title: str | None) -> str | None:
    return " ".join(title.lower().split()) if title else None


def _new_title(current: _Open, title: str | None, line_number: int) -> bool:
    """A title line starts a new note if it differs from the note's own title, or if the
    note has none and its header block (date, author lines) is already behind."""
    if title is None:
        return False
    if current.title is not None:
        return _normal_title(title) != _normal_title(current.title)
    return line_number - current.header_line > _HEADER_WINDOW


def split_encounters(document: Document, *, latest: date | None = None) -> tuple[Encounter, ...]:
    """The notes of one document, in order, covering all its text.

    Args:
        document: A read chart document.
        latest: Date lines after this date are not dates of service (e.g. a follow-up
            appointment); pass the request date plus one day, as the pipeline does.

    Returns:
        At least one encounter; the first starts at the beginning of the document.
    """
    opened: list[_Open] = [_Open(0, 0)]
    recent: list[_Header] = []  # header lines that did not describe the current note
    line_number = 0
    for page_index, page in enumerate(document.pages):
        dates = {found.start: found.value for found in V.note_dates(page.text)}
        previous_end = 0
        for line in _LINE.finditer(page.text):
            line_number += 1
            text = line.group()
            isolated = previous_end == 0 or page.text.count("\n", previous_end, line.start()) > 1
            previous_end = line.end()
            when = next((d for at, d in dates.items() if line.start() <= at < line.end()), None)
            title = _title(text, isolated=isolated)
            when = when or _line_date(text) or (_full_date(text) if title else None)
            current = opened[-1]
            if when is None and current.date is None and (
                line_number - current.header_line <= _HEADER_WINDOW
            ):  # the note's header block: a bare date line, or a label further right
                when = _line_date(text, column=None) or _bare_date(text) or _header_date(text)
            if when is not None and latest is not None and when > latest:
                when = None
            author = _author(text)
            if when is None and title is None and author is None:
                continue
            if current.established and (
                _new_title(current, title, line_number)
                or (when is not None and current.date is not None and when != current.date)
                or (
                    author is not None
                    and current.author_key is not None
                    and author[1] != current.author_key
                )
            ):
                near = [r for r in recent if r.line >= line_number - _HEADER_WINDOW]
                if near:  # the new note starts at its first header line, which describes it
                    current = _Open(near[0].page, near[0].start)
                    for header in near:
                        current.describe(header.when, header.title, header.author, header.line)
                else:
                    current = _Open(page_index, line.start())
                opened.append(current)
                recent = []
            if not current.describe(when, title, author, line_number):
                recent.append(_Header(line_number, page_index, line.start(), when, title, author))
    return _close(opened, document)


def _close(opened: Sequence[_Open], document: Document) -> tuple[Encounter, ...]:
    last_page = max(len(document.pages) - 1, 0)
    last_end = len(document.pages[-1].text) if document.pages else 0
    encounters = []
    for index, note in enumerate(opened):
        if index + 1 < len(opened):
            end_page, end = opened[index + 1].start_page, opened[index + 1].start
        else:
            end_page, end = last_page, last_end
        encounters.append(
            Encounter(
                index=index,
                start_page=note.start_page,
                start=note.start,
                end_page=end_page,
                end=end,
                date=note.date,
                title=note.title,
                author=note.author,
            )
        )
    return _drop_empty(encounters)


def _drop_empty(encounters: list[Encounter]) -> tuple[Encounter, ...]:
    """Remove zero-length encounters (a note starting exactly where the previous one did)."""
    kept: list[Encounter] = []
    for encounter in encounters:
        if kept and (kept[-1].start_page, kept[-1].start) == (
            encounter.start_page,
            encounter.start,
        ):
            kept[-1] = replace(encounter, index=kept[-1].index)
        else:
            kept.append(replace(encounter, index=len(kept)))
    return tuple(kept)


def encounter_at(
    encounters: Sequence[Encounter], page_index: int, offset: int
) -> Encounter:
    """The encounter that contains ``offset`` of page ``page_index``."""
    found = encounters[0]
    for encounter in encounters:
        if (encounter.start_page, encounter.start) <= (page_index, offset):
            found = encounter
        else:
            break
    return found


def page_note_marks(
    document: Document, *, latest: date | None = None
) -> list[list[tuple[int, date | None]]]:
    """For each page, where each note's date applies: ``[(offset, date or None), ...]``.

    The first mark of every page is at offset 0 (the note the page starts in); a fact at
    ``offset`` has the date of the last mark at or before it. This is the shape the pipeline
    has always used for its note-date marks, now per encounter.

    Args:
        document: A read chart document.
        latest: See :func:`split_encounters`.

    Returns:
        One list of marks per page of ``document``, in page order.
    """
    encounters = split_encounters(document, latest=latest)
    marks: list[list[tuple[int, date | None]]] = []
    for page_index in range(len(document.pages)):
        page_marks = [(0, encounter_at(encounters, page_index, 0).date)]
        for encounter in encounters:
            if encounter.start_page == page_index and encounter.start > 0:
                page_marks.append((encounter.start, encounter.date))
        marks.append(page_marks)
    return marks
