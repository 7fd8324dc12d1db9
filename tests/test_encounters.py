"""Splitting a chart document into its notes, each with its own date of service."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from priorauth.extract.encounters import (
    encounter_at,
    page_note_marks,
    split_encounters,
)
from priorauth.extract.ingest import Document, Page, read_document

SAMPLES = Path(__file__).resolve().parents[1] / "sample_notes"

SPINE = """SPINE CLINIC FOLLOW-UP NOTE    Date of service: 10/02/2026
Provider: R. Okafor, MD (Orthopedic Spine)
HPI:
New onset low back pain. No improvement after 8 weeks of PT.
"""
PT = """PHYSICAL THERAPY DISCHARGE SUMMARY   Date of service: 08/15/2026
Therapist: K. Brennan, DPT
Dates of care: 6/2/2026 - 8/15/2026; 18 of 20 visits attended.
"""


def pdf(*pages: str) -> Document:
    return Document(
        name="fax.pdf",
        kind="pdf",
        pages=tuple(Page(number=i, text=t) for i, t in enumerate(pages, start=1)),
    )


def txt(text: str) -> Document:
    return Document(name="chart.txt", kind="txt", pages=(Page(number=None, text=text),))


def summary(document: Document, **options) -> list[tuple[int, int, date | None, str | None]]:
    """(start page, start offset, date, title) of each encounter."""
    return [
        (e.start_page, e.start, e.date, e.title) for e in split_encounters(document, **options)
    ]


# (document, expected encounters as (start page, start offset, date, title))
CASES = [
    pytest.param(
        txt(SPINE),
        [(0, 0, date(2026, 10, 2), "SPINE CLINIC FOLLOW-UP NOTE")],
        id="one-note",
    ),
    pytest.param(
        txt(SPINE + "\n" + PT),
        [
            (0, 0, date(2026, 10, 2), "SPINE CLINIC FOLLOW-UP NOTE"),
            (0, len(SPINE) + 1, date(2026, 8, 15), "PHYSICAL THERAPY DISCHARGE SUMMARY"),
        ],
        id="two-notes-in-one-text-file",
    ),
    pytest.param(
        pdf(SPINE, PT),
        [
            (0, 0, date(2026, 10, 2), "SPINE CLINIC FOLLOW-UP NOTE"),
            (1, 0, date(2026, 8, 15), "PHYSICAL THERAPY DISCHARGE SUMMARY"),
        ],
        id="a-fax-with-one-note-per-page",
    ),
    pytest.param(
        pdf(SPINE, "SPINE CLINIC FOLLOW-UP NOTE Date of service: 10/02/2026\nPage 2 of 2\nPlan:"),
        [(0, 0, date(2026, 10, 2), "SPINE CLINIC FOLLOW-UP NOTE")],
        id="header-repeated-on-a-continuation-page",
    ),
    pytest.param(
        pdf("PROGRESS NOTE\nPatient: Jane Roe\nMRN: 123\nDOB: 01/02/1969\nHPI: pain\n"
            "Date of service: 09/01/2026\nExam: normal"),
        [(0, 0, date(2026, 9, 1), "PROGRESS NOTE")],
        id="date-below-the-patient-block-dates-the-whole-note",
    ),
    pytest.param(
        pdf("Date of service: 09/01/2026\nPROGRESS NOTE\nHPI: pain"),
        [(0, 0, date(2026, 9, 1), "PROGRESS NOTE")],
        id="date-line-before-the-title",
    ),
    pytest.param(
        txt("PROGRESS NOTE  Date of service: 09/01/2026\nProvider: A. Smith, MD\nHPI: pain\n"
            "PROGRESS NOTE  Date of service: 09/01/2026\nProvider: B. Jones, DO\nHPI: better\n"),
        [(0, 0, date(2026, 9, 1), "PROGRESS NOTE"), (0, 76, date(2026, 9, 1), "PROGRESS NOTE")],
        id="same-day-another-author",
    ),
    pytest.param(
        txt("PROGRESS NOTE  Date of service: 09/01/2026\nHPI: pain\n"
            "PROGRESS NOTE  Date of service: 09/15/2026\nHPI: better\n"),
        [(0, 0, date(2026, 9, 1), "PROGRESS NOTE"), (0, 53, date(2026, 9, 15), "PROGRESS NOTE")],
        id="same-title-new-date",
    ),
    pytest.param(
        txt(SPINE + "MRI LUMBAR SPINE REPORT\nFindings: L4-5 disc protrusion.\n"),
        [
            (0, 0, date(2026, 10, 2), "SPINE CLINIC FOLLOW-UP NOTE"),
            (0, len(SPINE), None, "MRI LUMBAR SPINE REPORT"),
        ],
        id="an-undated-note-does-not-borrow-the-previous-date",
    ),
    pytest.param(
        txt("AUDIOLOGY NOTE Date of service: 09/30/2026\nReason for visit: MRI safety\n"),
        [(0, 0, date(2026, 9, 30), "AUDIOLOGY NOTE")],
        id="title-ending-in-note-before-date-label",
    ),
    pytest.param(
        txt("PHYSICAL MEDICINE & REHABILITATION CONSULT   Date of service: 10/05/2026\nHPI:\n"),
        [(0, 0, date(2026, 10, 5), "PHYSICAL MEDICINE & REHABILITATION CONSULT")],
        id="long-title-before-date-label",
    ),
    pytest.param(
        txt(SPINE + "Assessment and Plan:\nDISCHARGE MEDICATIONS\nRadiology report:\n"
            "Physical therapy evaluation was done.\nPCP visit in 2 weeks.\n"),
        [(0, 0, date(2026, 10, 2), "SPINE CLINIC FOLLOW-UP NOTE")],
        id="section-headers-and-sentences-are-not-titles",
    ),
    pytest.param(
        txt("Physical Therapy Progress Note\nDate: 07/01/2026\nPain 6/10\n"),
        [(0, 0, date(2026, 7, 1), "Physical Therapy Progress Note")],
        id="title-case-title",
    ),
    pytest.param(
        txt("Lakeside Family Practice\n2210 Harbor Road\n\nOctober 28, 2026\n\nDear Dr. Roe,\n"
            "I am referring Ms. Doe. Seen 9/02/2026 and 10/01/2026.\n"),
        [(0, 0, date(2026, 10, 28), None)],
        id="a-letter-dated-by-a-bare-date-line",
    ),
    pytest.param(
        txt("TELEPHONE ENCOUNTER   10/06/2026 14:12\nCaller: patient\n"),
        [(0, 0, date(2026, 10, 6), "TELEPHONE ENCOUNTER")],
        id="title-with-a-date-and-no-label",
    ),
    pytest.param(
        txt("TELEPHONE NOTE - MS Nurse Line   11/19/2026 09:05\nSpoke with pt.\n"
            "Plan - PT Evaluation\n"),
        [(0, 0, date(2026, 11, 19), "TELEPHONE NOTE - MS Nurse Line")],
        id="title-with-a-subtitle",
    ),
    pytest.param(
        txt("RADIOLOGY REPORT\nExam: XR CERVICAL SPINE 5 VIEWS WITH FLEXION AND EXTENSION     "
            "Date: 08/28/2026\nFindings: normal.\n"),
        [(0, 0, date(2026, 8, 28), "RADIOLOGY REPORT")],
        id="date-label-far-right-in-the-header-block",
    ),
    pytest.param(
        txt(SPINE + "Imaging:\nXR lumbar spine, views AP and lateral, performed at outside "
            "hospital, date 07/08/2026\n"),
        [(0, 0, date(2026, 10, 2), "SPINE CLINIC FOLLOW-UP NOTE")],
        id="date-label-far-right-in-the-body-is-not-a-date-of-service",
    ),
    pytest.param(
        txt("Pain since June, no relief from PT.\n"),
        [(0, 0, None, None)],
        id="no-header-at-all",
    ),
]


@pytest.mark.parametrize(("document", "expected"), CASES)
def test_when_chart_is_split_then_each_note_starts_at_its_header_with_its_date(
    document: Document, expected: list
) -> None:
    assert summary(document) == expected


def test_when_a_date_is_after_the_request_then_it_is_not_a_date_of_service() -> None:
    document = txt(SPINE + "Follow-up visit date: 11/20/2026\nWill review CT.\n")

    assert summary(document, latest=date(2026, 10, 15)) == [
        (0, 0, date(2026, 10, 2), "SPINE CLINIC FOLLOW-UP NOTE")
    ]
    assert [e.date for e in split_encounters(document)] == [date(2026, 10, 2), date(2026, 11, 20)]


def test_when_note_has_author_then_encounter_keeps_it() -> None:
    (encounter,) = split_encounters(txt(SPINE))

    assert encounter.author == "R. Okafor, MD (Orthopedic Spine)"
    assert (encounter.end_page, encounter.end) == (0, len(SPINE))


def test_when_marks_are_made_then_every_page_starts_with_the_note_it_continues() -> None:
    document = pdf(SPINE, "Plan: CT.\n" + PT, "Visits: 18\n")
    second_note = len("Plan: CT.\n")

    marks = page_note_marks(document)

    assert marks == [
        [(0, date(2026, 10, 2))],
        [(0, date(2026, 10, 2)), (second_note, date(2026, 8, 15))],
        [(0, date(2026, 8, 15))],
    ]
    assert encounter_at(split_encounters(document), 1, second_note + 5).date == date(2026, 8, 15)


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, id=p.parent.name) for p in sorted(SAMPLES.glob("*/*")) if p.suffix in
     (".txt", ".pdf")],
)
def test_when_a_sample_note_is_split_then_every_note_has_the_date_in_its_file_name(
    path: Path,
) -> None:
    """Each sample file is one note per page, dated in its header (and, for text files, in
    the file name)."""
    document = read_document(path)

    encounters = split_encounters(document)

    assert all(e.date is not None for e in encounters)
    if path.suffix == ".txt":
        (encounter,) = encounters
        assert encounter.date.isoformat() in path.name
    assert encounters[0].start == 0


@pytest.mark.parametrize(
    ("header", "wanted"),
    [
        ("Castellanos Internal Medicine      Office visit 08/20/2026", date(2026, 8, 20)),
        ("Internal Medicine f/u - 9/29/26", date(2026, 9, 29)),
        # counterexamples: a header line's date that is not the note's
        ("Denise Okoro-Banks   DOB 02/03/1968", None),
        ("Referral received 10/01/2026 from Dr. Lee", None),
        ("Next appointment 11/02/2026", None),
    ],
)
def test_a_header_line_date_dates_the_note_unless_it_dates_something_else(header, wanted):
    text = f"{header}\nF/u LBP. Sx began mid-April without injury.\n"
    assert split_encounters(txt(text))[0].date == wanted
