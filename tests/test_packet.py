"""Fax packets as they arrive (issue 14): pages turned sideways or upside down, pages of another
patient, cover sheets, blank and missing pages, a chart too thin to stand for a record.

Every packet is built by the test: text-layer PDFs drawn with reportlab, scans rasterised and
read back by tesseract. Nothing here is a committed binary.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from priorauth.extract import ocr
from priorauth.extract.ingest import Document, Page, read_chart
from priorauth.extract.packet import Identity, compare_identity, read_identity
from priorauth.extract.pdf import evidence_boxes
from priorauth.extract.pipeline import extract_facts
from priorauth.models import ReviewRequest
from priorauth.review import review_chart

needs_tesseract = pytest.mark.skipif(not ocr.ocr_available(), reason="tesseract not installed")

REQUEST = ReviewRequest(cpt=("72131",), request_date=date(2026, 10, 14), age=58, sex="M")

OFFICE_NOTE = [
    "SPINE CLINIC FOLLOW-UP NOTE      Date of service: 10/02/2026",
    "Patient: SAMPLE, JOHN Q       DOB: 02/03/1968       MRN: 4471203",
    "HPI: 58 yo M with new onset low back pain radiating down the left leg since early",
    "June 2026. No fall, injury or other trauma. He completed physical therapy 2x/week",
    "from 7/27/2026 through 9/21/2026 with no improvement after 8 weeks of PT. Naproxen",
    "500 mg BID since early July without relief.",
    "Exam: SLR positive on the left at 40 degrees. Strength 5/5. Reflexes 2+.",
    "Imaging: lumbar radiographs 07/08/2026 normal. No prior MRI or CT of the lumbar spine.",
    "Assessment: new onset left lumbar radiculopathy, failed 8 weeks of conservative care.",
    "Plan: CT lumbar spine without contrast.",
]
OTHER_PATIENTS_DEVICE_NOTE = [
    "DEVICE CLINIC NOTE      Date: 09/15/2026",
    "Patient: SAMPLES, JOAN P.       DOB: 07/11/1941",
    "Dual-chamber pacemaker with legacy abandoned leads, not MR conditional.",
    "MRI is contraindicated with this system.",
]


def test_a_page_of_another_patient_is_excluded_and_alerted(make_pdf):
    packet = make_pdf("packet.pdf", [OFFICE_NOTE, OTHER_PATIENTS_DEVICE_NOTE])
    review = review_chart([packet], REQUEST)
    kinds = [(a.kind.value, a.document, a.page) for a in review.alerts]
    assert ("other_patient", "packet.pdf", 2) in kinds
    # Her pacemaker does not make his MRI impossible: nothing from page 2 is a fact.
    assert review.determination.value != "meets_criteria"
    assert all(ev.page != 2 for f in review.facts for ev in (f.evidence,))
    assert review.criterion("ind.1.1").status.value == "unknown"
    message = next(a.message for a in review.alerts if a.kind.value == "other_patient")
    assert "SAMPLE" not in message.upper().replace("SAMPLES", "") and "1941" not in message


def test_the_same_packet_with_his_own_device_note_meets_criteria(make_pdf):
    """Counterexample: the device page names him (one digit of the date of birth misread)."""
    own = [OTHER_PATIENTS_DEVICE_NOTE[0], "Patient: John Q. Sample     DOB: 02/08/1968",
           *OTHER_PATIENTS_DEVICE_NOTE[2:]]
    review = review_chart([make_pdf("packet.pdf", [OFFICE_NOTE, own])], REQUEST)
    assert [a.kind.value for a in review.alerts] == []
    assert review.determination.value == "meets_criteria"
    assert any(ev.page == 2 for c in review.criteria if c.id == "ind.1.1" for ev in c.evidence)


def test_the_request_names_the_patient_when_most_pages_are_someone_elses(make_pdf):
    """Two pages of hers, one of his: the request's identity decides, not the majority."""
    packet = make_pdf("packet.pdf", [OTHER_PATIENTS_DEVICE_NOTE, OFFICE_NOTE,
                                     OTHER_PATIENTS_DEVICE_NOTE])
    named = REQUEST.model_copy(update={"patient_name": "john sample", "age": None,
                                       "dob": date(1968, 2, 3)})
    review = review_chart([packet], named)
    others = sorted(a.page for a in review.alerts if a.kind.value == "other_patient")
    assert others == [1, 3]
    assert review.determination.value != "meets_criteria"


def test_a_page_without_identity_follows_its_neighbour(make_pdf):
    continuation = ["Continued: MRI is contraindicated because of the pacemaker above."]
    packet = make_pdf("packet.pdf", [OFFICE_NOTE, OTHER_PATIENTS_DEVICE_NOTE, continuation])
    review = review_chart([packet], REQUEST)
    assert sorted(a.page for a in review.alerts if a.kind.value == "other_patient") == [2, 3]
    assert review.determination.value != "meets_criteria"


@pytest.mark.parametrize(
    ("text", "first", "last", "dob", "mrn"),
    [
        ("Patient: SAMPLE, JOHN Q    DOB: 02/03/1968", "john", "sample", date(1968, 2, 3), None),
        ("Patient Name: John Q. Sample\nD.O.B. 2/3/1968  MRN# 00-4471203", "john", "sample",
         date(1968, 2, 3), "004471203"),
        ("RE: Maria Lopez-Garcia (DOB 1950-07-04)", "maria", "lopezgarcia", date(1950, 7, 4),
         None),
        ("Name: O'Neil, Patrick\nDate of Birth: March 4, 1961", "patrick", "oneil",
         date(1961, 3, 4), None),
    ],
)
def test_identity_fields_are_read(text, first, last, dob, mrn):
    identity = read_identity(text)
    assert (identity.first, identity.last, identity.dob, identity.mrn) == (first, last, dob, mrn)


@pytest.mark.parametrize(
    "text",
    [
        "Patient: reports pain for 3 months.",  # a sentence, not a name
        "Patient: 58 yo male with low back pain",
        "Referring physician: Dr. Jane Doe",  # not the patient
        "Patient was born and raised in Ohio; DOB not on file.",
        "Date of service: 10/02/2026",  # not a date of birth
    ],
)
def test_what_is_not_an_identity(text):
    identity = read_identity(text)
    assert identity.last is None and identity.dob is None


@pytest.mark.parametrize(
    ("page", "verdict"),
    [
        (Identity("joan", "samples", date(1941, 7, 11)), "other"),
        (Identity("john", "sample", date(1968, 2, 8)), "same"),  # a misread digit, name agrees
        (Identity("jon", "sample"), "same"),  # one letter off: an OCR slip
        (Identity(None, None, date(1941, 7, 11)), "other"),
        (Identity(None, None, None, "4471203"), "same"),
        (Identity(), "unknown"),
    ],
)
def test_identities_are_compared_field_by_field(page, verdict):
    chart = Identity("john", "sample", date(1968, 2, 3), "4471203")
    assert compare_identity(page, chart) == verdict


def test_cover_sheet_blank_page_and_missing_pages(make_pdf):
    cover = [
        "FAX COVER SHEET",
        "TO: Utilization Management     FROM: Lakeside Orthopedics",
        "Number of pages (including cover): 5",
        "Enclosed: office note, physical therapy discharge summary, MRI report",
    ]
    note = [*OFFICE_NOTE[:-1], "Page 2 of 5"]
    packet = make_pdf("packet.pdf", [cover, note, [" "], ["Page 4 of 5", *OFFICE_NOTE[-1:]]])
    review = review_chart([packet], REQUEST)
    alerts = [(a.kind.value, a.page) for a in review.alerts]
    assert ("blank_page", 3) in alerts
    missing = [a.message for a in review.alerts if a.kind.value == "missing_pages"]
    assert any("announces 5 pages" in m for m in missing)
    assert any("therapy record" in m for m in missing) is False  # the office note tells of PT
    assert any("imaging report" in m for m in missing)
    # The cover's list of enclosures is not clinical text: it cites nothing.
    assert all(ev.page != 1 for c in review.criteria for ev in c.evidence)


def test_a_listed_therapy_summary_that_arrived_blank_is_reported(make_pdf):
    cover = ["FAX COVER SHEET", "Pages: 3 including cover",
             "Enclosed: physical therapy discharge summary"]
    thin_note = ["OFFICE NOTE  Date of service: 10/02/2026",
                 "Patient: SAMPLE, JOHN Q   DOB: 02/03/1968",
                 "58 yo M with low back pain for 10 weeks. He went to PT.",
                 "Plan: CT lumbar spine."]
    review = review_chart([make_pdf("packet.pdf", [cover, thin_note, [" "]])], REQUEST)
    kinds = {a.kind.value for a in review.alerts}
    assert {"blank_page", "missing_pages"} <= kinds
    assert any("therapy record" in a.message for a in review.alerts)
    assert review.determination.value != "meets_criteria"


def test_a_chart_too_thin_to_stand_for_a_record_is_never_approved(tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("AVM", encoding="utf-8")
    review = review_chart([note], REQUEST)
    assert review.alerts[0].kind.value == "thin_chart"
    assert review.determination.value != "meets_criteria"


def test_fax_header_lines_are_not_clinical_text(tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("\n".join(["10/13/2026 14:22 FAX 555-0134  LAKESIDE ORTHO   PAGE 2/6",
                               *OFFICE_NOTE]), encoding="utf-8")
    review = review_chart([note], REQUEST)
    assert all("FAX" not in f.evidence.text for f in review.facts)
    assert review.determination.value == "insufficient_documentation"


@needs_tesseract
def test_pages_fed_upside_down_and_sideways_are_read_and_cited_where_they_are(make_scanned_pdf):
    therapy = [
        "ACTIVE MOTION PHYSICAL THERAPY - DISCHARGE SUMMARY",
        "Patient: SAMPLE, JOHN Q     DOB: 02/03/1968",
        "Dates of care: 07/27/2026 to 09/21/2026, 14 visits over 8 weeks.",
        "Goals not met. Plateaued with no meaningful improvement in pain.",
    ]
    device = [
        "CARDIOLOGY DEVICE CLINIC   Date: 09/15/2026",
        "Patient: SAMPLE, JOHN Q     DOB: 02/03/1968",
        "Dual-chamber pacemaker with abandoned leads, not MR conditional.",
        "MRI is contraindicated with this system.",
    ]
    packet = make_scanned_pdf("fax.pdf", [OFFICE_NOTE, therapy, device], dpi=200,
                              bilevel=True, turned=[0, 180, 90])
    pages = read_chart([packet])[0].pages
    assert [p.rotation for p in pages] == [0, 180, 90]  # degrees turned back, clockwise
    assert "Goals not met" in pages[1].text and "not MR conditional" in pages[2].text
    review = review_chart([packet], REQUEST)
    rotated = sorted(a.page for a in review.alerts if a.kind.value == "rotated_page")
    assert rotated == [2, 3]
    assert review.determination.value == "meets_criteria"
    device_quotes = [ev for ev in review.criterion("ind.1.1").evidence if ev.page == 3]
    assert device_quotes
    # The text starts near the top-left of the upright page; turned 90 degrees
    # counter-clockwise its lines run upwards from the bottom-left of the landscape page the
    # reviewer sees: the highlight is a narrow column near the left edge, starting low.
    width, height = pages[2].size
    assert width > height
    boxes = evidence_boxes(packet, 3, device_quotes[0].start, device_quotes[0].end)
    assert boxes and all(b.x1 < width / 4 for b in boxes)
    assert all(b.y1 - b.y0 > b.x1 - b.x0 for b in boxes)
    assert max(b.y1 for b in boxes) > 0.75 * height


def _ruled_visit_log(path, *, dpi: int):
    """A therapy visit log with a full grid, faxed at ``dpi`` with speckle."""
    import io
    import random

    import pypdfium2 as pdfium
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rows = [("Date", "Visit", "Pain", "Notes")] + [
        (f"{8 + k // 6}/{(k * 5) % 28 + 1}/26", str(k + 1), str(6 - k // 4),
         "ther ex, manual" if k % 2 else "HEP reviewed") for k in range(12)]
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont("Helvetica", 9)
    page.drawString(72, 780, "PHYSICAL THERAPY VISIT LOG   Patient: SAMPLE, JOHN Q")
    xs, top = [72, 150, 200, 250, 480], 760
    page.setLineWidth(2)

    def grid(rows, xs, top):
        for r, row in enumerate(rows):
            for k, cell in enumerate(row):
                page.drawString(xs[k] + 3, top - 14 * r - 11, cell)
            page.line(xs[0], top - 14 * r, xs[-1], top - 14 * r)
        page.line(xs[0], top - 14 * len(rows), xs[-1], top - 14 * len(rows))
        for x in xs:
            page.line(x, top, x, top - 14 * len(rows))

    grid(rows, xs, top)
    page.drawString(72, top - 14 * len(rows) - 30, "LABS 09/30/2026")
    labs = [("Test", "Result", "Flag", "Range"), ("ESR", "48 mm/hr", "H", "0-20"),
            ("CRP", "3.1 mg/dL", "H", "<0.5"), ("WBC", "7.2 K/uL", "", "4.0-11.0")]
    grid(labs, [72, 150, 250, 300, 400], top - 14 * len(rows) - 40)
    page.showPage()
    page.save()
    pdf = pdfium.PdfDocument(buffer.getvalue())
    image = pdf[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    image = image.point(lambda v: 255 if v > 160 else 0)
    rng, pixels = random.Random(1), image.load()
    for _ in range(int(image.width * image.height * 0.002)):
        pixels[rng.randrange(image.width), rng.randrange(image.height)] = 0
    out = canvas.Canvas(str(path), pagesize=A4)
    out.drawImage(ImageReader(image), 0, 0, *A4)
    out.showPage()
    out.save()
    return path, rows


@needs_tesseract
def test_a_ruled_visit_log_faxed_reads_row_by_row(tmp_path):
    path, rows = _ruled_visit_log(tmp_path / "log.pdf", dpi=150)
    text = read_chart([path])[0].pages[0].text
    lines = text.splitlines()
    dated = [line for line in lines if line.split() and line.split()[0].strip(".~-,") in
             {row[0] for row in rows[1:]}]
    # Most rows come out as rows: the date first, its notes on the same line.
    assert len(dated) >= 9
    assert sum(("HEP" in line) or ("ther" in line) for line in dated) >= 9


@needs_tesseract
def test_a_faxed_visit_log_gives_a_course_and_a_lab_table_its_flags(tmp_path):
    path, _ = _ruled_visit_log(tmp_path / "log.pdf", dpi=150)
    facts = extract_facts(read_chart([path]), request_date=date(2026, 10, 14))
    courses = [f for f in facts if f.rule_id == "visit_table"]
    assert courses and courses[0].value["therapy"] == "physical_therapy"
    assert courses[0].value["days"] >= 50 and courses[0].value["visits"] >= 9
    assert courses[0].evidence.page == 1
    labs = {f.value.get("lab"): f.assertion.value for f in facts
            if f.kind == "inflammatory_lab_abnormal"}
    assert labs.get("esr") == "present" and labs.get("crp") == "present"
    assert labs.get("wbc") in (None, "negated")


def test_a_table_of_dated_visits_under_a_log_heading_is_one_course():
    rows = [f"{8 + k // 6}/{(k * 5) % 28 + 1}/26  {k + 1}  {6 - k // 4}  HEP reviewed"
            for k in range(12)]
    text = "PHYSICAL THERAPY VISIT LOG\nDate Visit Pain Notes\n" + "\n".join(rows)
    facts = extract_facts([Document(name="log.txt", kind="txt", pages=(Page(None, text),))],
                          request_date=None)
    course = next(f for f in facts if f.rule_id == "visit_table")
    assert (course.value["start"], course.value["end"], course.value["visits"]) == (
        "2026-08-01", "2026-09-28", 12)
    # counterexamples: dated lines without a log heading, or a medication log, are no course
    plain = "Office visits:\n" + "\n".join(rows[:4])
    meds = "MEDICATION ADMINISTRATION RECORD\n" + "\n".join(
        f"{r.split()[0]}  naproxen 500 mg given" for r in rows[:4])
    for other in (plain, meds):
        facts = extract_facts([Document(name="o.txt", kind="txt", pages=(Page(None, other),))],
                              request_date=None)
        assert not [f for f in facts if f.rule_id == "visit_table"]


SIDEBAR = ["PATIENT SUMMARY", "Allergies: NKDA", "Problems:", "- hypertension",
           "- hyperlipidemia", "Medications:", "- naproxen 500 mg", "- lisinopril"]
NARRATIVE = ["HPI: 58 yo M with new low back pain since early June, no",
             "fall or other trauma. He completed physical therapy from",
             "7/27/2026 to 9/21/2026 with no improvement after 8 weeks.",
             "Naproxen since early July without relief. No home exercise",
             "program was given. Assessment: lumbar radiculopathy.",
             "Plan: CT lumbar spine without contrast."]


def _two_columns(path, left, right, *, right_x=220):
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(path))
    page.drawString(72, 790, "LAKESIDE SPINE CLINIC - PROGRESS NOTE - Date of service: 10/02/2026")
    for row in range(max(len(left), len(right))):
        y = 760 - 14 * row
        if row < len(left):
            page.drawString(50, y, left[row])
        if row < len(right):
            page.drawString(right_x, y, right[row])
    page.showPage()
    page.save()
    return path


def test_a_two_column_print_reads_column_by_column(tmp_path):
    path = _two_columns(tmp_path / "ehr.pdf", SIDEBAR, NARRATIVE)
    text = read_chart([path])[0].pages[0].text
    assert "no\nfall or other trauma" in text  # the narrative's lines follow each other
    assert text.index("- lisinopril") < text.index("HPI: 58 yo M")  # the sidebar first, whole
    assert text.startswith("LAKESIDE SPINE CLINIC")  # the full-width title stays first
    review = review_chart([path], REQUEST)
    quotes = [ev for c in review.criteria for ev in c.evidence if "physical therapy" in ev.text]
    assert quotes
    boxes = evidence_boxes(path, 1, quotes[0].start, quotes[0].end)
    assert boxes and all(b.x0 >= 215 for b in boxes)  # highlighted in the right column


def test_a_table_and_a_field_form_keep_their_rows(tmp_path):
    """Counterexamples: two short columns (a form of fields) and a table of several columns
    are read row by row, not column by column."""
    fields = _two_columns(tmp_path / "form.pdf",
                          ["Onset date:", "Prior MRI:", "PT completed:", "Device:"],
                          ["07/20/2026", "none", "yes, 8 weeks", "none"])
    text = read_chart([fields])[0].pages[0].text
    assert "Onset date: 07/20/2026" in text and "PT completed: yes, 8 weeks" in text
    from reportlab.pdfgen import canvas

    table = tmp_path / "log.pdf"
    page = canvas.Canvas(str(table))
    for row in range(6):
        for x, cell in zip((72, 170, 230, 290), (f"08/{row + 1:02d}/2026", str(row + 1), "6",
                                                  "therapeutic exercise, manual therapy, HEP"),
                           strict=True):
            page.drawString(x, 760 - 14 * row, cell)
    page.showPage()
    page.save()
    text = read_chart([table])[0].pages[0].text
    assert "08/01/2026 1 6 therapeutic exercise" in text


@needs_tesseract
def test_the_demo_fax_packet_alerts_what_a_reviewer_must_check_first(tmp_path, capsys):
    """tools/make_demo_packet.py (shown in the README): five scanned pages, one upside down,
    one blank, one of another patient, a cover announcing six pages and an MRI report."""
    import runpy

    from priorauth.cli import main

    packet = tmp_path / "packet.pdf"
    tool = Path(__file__).resolve().parents[1] / "tools" / "make_demo_packet.py"
    runpy.run_path(str(tool), run_name="demo")["main"](str(packet))
    capsys.readouterr()
    code = main(["review", str(packet), "--cpt", "72131", "--request-date", "2026-10-14",
                 "--dob", "1968-02-03", "--patient-name", "John Sample", "--format", "json"])
    review = json.loads(capsys.readouterr().out)
    assert code == 0
    alerts = [(a["kind"], a["page"]) for a in review["alerts"]]
    assert ("rotated_page", 3) in alerts and ("blank_page", 4) in alerts
    assert ("other_patient", 5) in alerts
    assert [k for k, _ in alerts].count("missing_pages") == 2
    assert review["determination"] != "meets_criteria"  # her pacemaker is not his
    assert any(ev["page"] == 3 for c in review["criteria"] if c["id"] == "ind.1.2.0"
               for ev in c["evidence"])  # the upside-down therapy summary is read and cited


def test_alerts_come_first_in_the_text_and_html_reports(tmp_path):
    from priorauth.report import render_html, render_text

    note = tmp_path / "note.txt"
    note.write_text("AVM", encoding="utf-8")
    review = review_chart([note], REQUEST)
    text, html = render_text(review), render_html(review)
    assert text.index("Check first:") < text.index("Determination:")
    assert "too little to stand for a clinical record" in text
    assert html.index("Check first") < html.index("<h1>")


def test_the_column_search_and_the_fax_line_test_are_bounded():
    """A crafted page cannot make packet reading unbounded: over 2000 text runs no column
    search is made (two real columns of them would otherwise be found), and a fax header is a
    short line (a long paragraph that names a fax and a time is text)."""
    from priorauth.extract.packet import _furniture
    from priorauth.extract.pdf import Box, find_gutter

    def columns(rows: int) -> list[Box]:
        return [Box(x, 100 + 2 * k, x + 160, 101 + 2 * k) for k in range(rows)
                for x in (40, 320)]

    assert find_gutter(columns(50), 595) is not None
    assert find_gutter(columns(1001), 595) is None
    header = "10/13/2026 14:22 FAX 555-0134  LAKESIDE ORTHO   PAGE 2/6"
    prose = "Order sent by fax at 14:22 to radiology; " + "he reports pain " * 20
    spans = _furniture(f"{header}\n{prose}\n")
    assert (0, len(header)) in spans
    assert not any(start > len(header) for start, _ in spans)
