"""Render the PDF charts of sample_notes/ (text-layer PDFs, one source line per PDF line).

The source text of every PDF chart lives in this script (not as .txt files in the case
folder: every .txt in a case folder is a document of that chart).

Usage:
    python tools/make_sample_pdfs.py                 # (re)build every PDF listed in CHARTS
    python tools/make_sample_pdfs.py IN.txt OUT.pdf  # render a text file (form feed: new page)

Layout: US Letter, Helvetica 10 pt, 12 pt leading, 0.75 in margins. Lines are never wrapped:
a line of 95 characters or more is an error, so that evidence quotes stay on one line and
can be found verbatim in the extracted page text. Requires reportlab.
"""

from __future__ import annotations

import sys
from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "sample_notes"

FONT = "Helvetica"
FONT_SIZE = 10
LEADING = 12
MARGIN = 54  # points
MAX_CHARS = 94  # lines must be < 95 characters
MAX_LINES = int((letter[1] - 2 * MARGIN) // LEADING)


def render_pdf(out_path: Path, pages: list[str], title: str = "") -> None:
    """Write one PDF page per element of `pages`, one text line per source line."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(out_path), pagesize=letter, invariant=1)  # invariant: byte-stable
    if title:
        c.setTitle(title)
    for number, page in enumerate(pages, start=1):
        lines = page.strip("\n").split("\n")
        if len(lines) > MAX_LINES:
            raise ValueError(f"{out_path.name} p.{number}: {len(lines)} lines > {MAX_LINES}")
        text = c.beginText(MARGIN, letter[1] - MARGIN)
        text.setFont(FONT, FONT_SIZE)
        text.setLeading(LEADING)
        for line in lines:
            if len(line) > MAX_CHARS:
                raise ValueError(f"{out_path.name} page {number}: line too long: {line!r}")
            if not line.isascii():
                raise ValueError(f"{out_path.name} page {number}: non-ASCII line: {line!r}")
            text.textLine(line.rstrip())
        c.drawText(text)
        c.showPage()
    c.save()


# --------------------------------------------------------------------------------------
# Source text of the PDF charts: {case folder: {file name: [page text, ...]}}
# --------------------------------------------------------------------------------------

CHARTS: dict[str, dict[str, list[str]]] = {
    "05_myelopathy_cochlear_pdf": {
        "neurology_and_audiology.pdf": [
            """\
NEUROLOGY CONSULTATION   Date of service: 10/12/2026
Requesting: Dr. P. Nakamura (PCP)

HPI:
68 yo M with bilateral cochlear implants, referred for new gait difficulty over the past
2 months. Wife reports he now shuffles and "walks like he's on a boat". He notes new
clumsiness buttoning shirts and dropping keys since August 2026.
Denies any fall, injury or trauma. Intermittent neck ache.
Denies bowel or bladder dysfunction.

Past Medical History:
- Bilateral sensorineural hearing loss s/p bilateral cochlear implants (2019)
- Hypertension
- Hyperlipidemia

Medications:
amlodipine 5 mg daily; rosuvastatin 10 mg daily; aspirin 81 mg daily

Exam:
Alert, lip-reads and uses his implants. Cranial nerves intact.
Strength 5/5 in all four extremities.
Biceps, triceps and patellar reflexes 3+ bilaterally. Hoffmann sign positive bilaterally.
Toes downgoing. Gait wide-based and unsteady, unable to tandem walk.
Romberg negative.

Imaging:
Cervical spine X-rays 10/01/2026: multilevel degenerative disc disease C4-C7, no listhesis.
No prior MRI or CT of the cervical spine.

Assessment and Plan:
New onset gait abnormality with hyperreflexia and positive Hoffmann sign, concerning for
cervical myelopathy (likely spondylotic).
MRI cannot be performed due to cochlear implants (not MRI compatible per audiology).
- CT myelogram of the cervical spine requested.
- Fall precautions; home safety evaluation.
""",
            """\
AUDIOLOGY NOTE   Date of service: 09/30/2026
Reason for visit: MRI safety question from neurology; annual implant check.

History:
Bilateral profound sensorineural hearing loss. Bilateral cochlear implants placed 03/2019.
Older generation internal receiver with a non-removable magnet.

Device review:
Manufacturer documentation reviewed: device is not MR conditional; MRI is contraindicated.
Removal of the internal magnet would require surgery; patient declines.

Testing:
Aided word recognition 84% bilaterally. Processors functioning normally.
Mapping updated today, no complaints.

Plan:
Letter to ordering providers: MRI should not be performed; CT is acceptable.
Return in 12 months or sooner as needed.
""",
        ],
    },
    "12_chronic_neck_pain_pdf": {
        "pcp_visit_2026-09-24.pdf": [
            """\
PRIMARY CARE VISIT   Date of service: 09/24/2026
Provider: J. Whitfield, MD

HPI:
59 yo F with chronic neck pain for over 10 years, here for routine follow-up.
Pain is stable, aching, 3-4/10, worse after computer work. No new symptoms.
No radiation to the arms. Denies arm numbness, tingling or weakness.
No hand clumsiness, no gait change, no falls or injury.
Has used ibuprofen PRN for years; did PT in 2019 with some benefit.
Pt asks for a scan "to see if anything changed."

Past Medical History:
Chronic neck pain. GERD. Seasonal allergies.

Medications:
ibuprofen 400 mg PRN; omeprazole 20 mg daily; loratadine 10 mg daily

Exam:
Cervical ROM mildly reduced in rotation bilaterally; paraspinal tightness.
Strength 5/5 bilat UE. Sensation intact. Reflexes 2+ symmetric, Hoffmann negative.
Gait normal.

Imaging:
MRI C-spine 03/2021: mild multilevel spondylosis, no cord compression.

Assessment and Plan:
Chronic mechanical neck pain, stable, no red flags, no radiculopathy or myelopathy.
- CT cervical spine w/o contrast ordered per patient request.
- Continue home stretches and ibuprofen PRN.
""",
        ],
    },
    "18_metastasis_followup_pdf": {
        "rad_onc_followup_2026-10-06.pdf": [
            """\
RADIATION ONCOLOGY FOLLOW-UP   Date of service: 10/06/2026

Diagnosis: Metastatic ER+/HER2- breast cancer with known T9 vertebral body metastasis.

HPI:
71 yo F with metastatic breast cancer (bone-only disease), on letrozole and palbociclib.
Completed palliative radiation 30 Gy in 10 fractions to T8-T10 on 09/04/2026.
Mid-back pain improved from 8/10 to 3/10. No new neurologic symptoms.
Denies bowel or bladder dysfunction, leg weakness or numbness.

Past Medical History:
Breast cancer dx 2021 (L lumpectomy); bone metastases found 05/2026.
Osteoporosis on denosumab. HTN.

Medications:
letrozole 2.5 mg daily; palbociclib 125 mg daily (21 of 28 days);
denosumab 120 mg SC q4 weeks; amlodipine 5 mg daily

Exam:
Mild tenderness over T9. Strength 5/5 bilateral LE. Sensation intact. Gait normal.

Imaging:
MRI T-spine 06/12/2026: T9 vertebral body metastasis, no epidural extension.

Assessment and Plan:
T9 osseous metastasis s/p palliative RT, clinically responding.
- End-of-treatment imaging: limited follow-up CT of the T9 level (CPT 76380)
  to assess response and vertebral body integrity.
- Continue systemic therapy per medical oncology. RTC 3 months.
""",
        ],
    },
}


def build_all() -> None:
    for case, files in CHARTS.items():
        for name, pages in files.items():
            out = SAMPLE_DIR / case / name
            render_pdf(out, pages, title=f"{case}/{name}")
            print(f"wrote {out.relative_to(ROOT)} ({len(pages)} page(s))")


def main(argv: list[str]) -> int:
    if len(argv) == 0:
        build_all()
        return 0
    if len(argv) == 2:
        src, out = Path(argv[0]), Path(argv[1])
        pages = src.read_text(encoding="utf-8").split("\f")
        render_pdf(out, pages, title=src.name)
        print(f"wrote {out}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
