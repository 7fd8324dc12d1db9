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
    "29_prostate_recurrence_onc_pdf": {
        "gu_oncology_followup_2026-11-10.pdf": [
            """\
GU MEDICAL ONCOLOGY - FOLLOW-UP VISIT   Date of service: 11/10/2026
Provider: E. Castillo, MD   Clinic: Harborview Cancer Center

Diagnosis: Prostate adenocarcinoma, Gleason 4+4=8, pT3a N0, s/p radical prostatectomy
03/2022 and salvage radiation to the prostate bed (66 Gy) 2023.

Interval history:
68 yo M, PSA undetectable through 12/2025. PSA now rising:
0.4 (05/2026) -> 1.9 (08/2026) -> 5.6 ng/mL (11/03/2026); doubling time about 2.5 months.
New mid-back pain x 5 weeks, dull, worse at night, not positional. No trauma.
Denies leg weakness, numbness, bowel or bladder changes.
Appetite down, 4 kg weight loss since the summer. ECOG 1.

Labs 11/03/2026:
Alk phos 164 U/L (H), was 82 U/L in 01/2026. Hgb 12.9. Creatinine 1.0.

Medications: tamsulosin 0.4 mg; atorvastatin 20 mg; acetaminophen PRN.

Exam:
Percussion tenderness over T10-T11. Strength 5/5 b/l LE, sensation intact, reflexes 2+
and symmetric. Gait normal.

Imaging:
Tc-99m bone scan 11/06/2026 (report attached): focal uptake T11 vertebral body,
indeterminate. No prior CT or MRI of the spine.

Assessment/Plan:
Biochemical recurrence of prostate cancer with new thoracic pain and an indeterminate
T11 focus on bone scan - suspected osseous metastasis.
- CT thoracic spine w/o contrast (72128) to characterize T11 (sclerotic metastasis vs
  degenerative endplate change) and to assess cortical integrity / fracture risk.
- PSMA PET to be scheduled. Discuss starting ADT at the next visit.
- Return precautions for leg weakness, numbness or bladder symptoms reviewed.
""",
            """\
NUCLEAR MEDICINE REPORT
Exam: Tc-99m MDP whole-body bone scan              Date: 11/06/2026
Indication: Prostate cancer, rising PSA (5.6), new mid-back pain.
Comparison: none.

Findings:
Focal moderately increased radiotracer uptake in the T11 vertebral body, slightly
eccentric to the right. Mild symmetric uptake in both knees and the L4-5 facets,
typical of degenerative change. No other abnormal foci. Kidneys and bladder visualized.

Impression:
1. Solitary focus of increased uptake at T11, indeterminate: osseous metastasis cannot
   be distinguished from degenerative change. CT of the thoracic spine suggested.
2. Degenerative uptake in the knees and lower lumbar facets.

Electronically signed: P. Iyer, MD  11/06/2026
""",
        ],
    },
    "30_kyphoplasty_planning_pdf": {
        "ir_spine_consult_2026-09-22.pdf": [
            """\
INTERVENTIONAL RADIOLOGY - SPINE CONSULTATION   Date of service: 09/22/2026
Provider: M. Adebayo, MD   Referred by: Dr. L. Chen (Geriatrics)
Reason for consult: painful L1 compression fracture, ? kyphoplasty

HPI:
79 yo F with severe osteoporosis (DEXA 2024: T-score -3.4 at the femoral neck) who felt
sudden sharp upper lumbar pain on 08/30/2026 while lifting a bag of potting soil.
No fall. Pain 8/10 at rest, 10/10 on standing; using a walker since.
Treated with a TLSO brace, calcitonin nasal spray and tramadol for 3 weeks.
Pain has worsened since the MRI despite the brace.
Denies leg pain, numbness or weakness. Denies bowel or bladder changes.

PMH:
- Osteoporosis; prior T12 fracture 2021 (healed, not augmented)
- Breast cancer (R, stage I) 2009, lumpectomy + radiation
  in remission, no current evidence of disease; last mammogram 04/2026 negative
- HTN; hypothyroidism

Meds: alendronate 70 mg weekly; calcitonin nasal; tramadol 50 mg q6h PRN;
levothyroxine 50 mcg; losartan 50 mg

Exam:
Thoracolumbar kyphosis. Focal percussion tenderness at L1. Strength 5/5 b/l LE,
sensation intact.

Imaging:
MRI L-spine 09/04/2026: acute L1 compression fracture, ~35% height loss, diffuse marrow
edema; no retropulsion seen. Benign osteoporotic pattern, no marrow replacing lesion,
no epidural or paraspinal mass.

Assessment/Plan:
Acute painful osteoporotic L1 compression fracture, refractory to conservative care.
Low suspicion for a pathologic fracture given the MRI features and the remote history.
Candidate for L1 kyphoplasty.
Pre-procedure CT L-spine w/o contrast (72131) for the posterior vertebral wall and pedicles:
if the posterior wall is breached we would do a low-volume vertebroplasty or not augment.
- Continue brace and analgesia; consent discussion after CT.
""",
        ],
    },
    "37_opll_preop_neurosurgery_pdf": {
        "neurosurgery_preop_2026-09-03.pdf": [
            """\
NEUROSURGERY PRE-OPERATIVE NOTE   Date of service: 09/03/2026
Surgeon: K. Tanaka, MD
Planned procedure: C3-C6 open-door laminoplasty, possible C2 dome; OR date TBD (10/2026)

HPI:
61 yo M w/ progressive cervical myelopathy: b/l hand numbness and clumsiness (can't
button shirts, handwriting worse) x 8 months and unsteady gait x 4 months, 2 near falls.
No trauma. Over the last 6 wks symptoms have progressed - now drops cups.
Denies bowel or bladder incontinence.

PMH: T2DM (A1c 6.8), HTN, hyperlipidemia. No prior spine surgery.
Meds: metformin 1 g BID; lisinopril 20 mg; atorvastatin 40 mg.
Allergies: NKDA.

Exam:
Hoffmann + b/l. Hyperrflexia in all 4 extremities (3+), inverted radial reflex b/l.
Grip 4/5 b/l with intrinsic wasting. Tandem gait impossible. mJOA 11.

Imaging:
C-spine XR 04/2026: continuous-type OPLL C3-C6 on the lateral view.
MRI C-spine 04/22/2026: cord compression C3-C6 from a dorsal ossified mass, T2 cord
signal change at C4-5; canal AP diameter 6 mm at C4.

Assessment:
Cervical myelopathy from ossification of the posterior longitudinal ligament (OPLL)
C3-C6, K-line positive, progressive. Surgical candidate.

Plan:
- Pre-op CT C-spine w/o contrast (72125) to map the extent and thickness of the OPLL,
  look for the double-layer (dural ossification) sign and plan lateral mass screws.
- Medical clearance; hold metformin the day of surgery.
- Consent discussed: C5 palsy, CSF leak, progression of ossification.
""",
        ],
    },
    "40_down_syndrome_c1c2_pdf": {
        "peds_clinic_and_xr_2026-10-15.pdf": [
            """\
PEDIATRIC PRIMARY CARE - DOWN SYNDROME CLINIC   Date of service: 10/15/2026
Provider: H. Lindgren, MD
Pt: 12 y/o F with trisomy 21, accompanied by her father.

HPI:
Father reports 3 weeks of neck pain with her head tilted to the L; she no longer wants
to go to swim practice (Special Olympics). Her teacher says she is "more clumsy" on the
stairs. No fall or injury. No change in bladder or bowel habits.
Since the sedated MRI on 10/13, father feels she is walking less steadily.
h/o complete AV canal defect repaired in infancy, hypothyroidism, OSA s/p T&A.

Meds: levothyroxine 50 mcg daily.

Exam:
Torticollis to the L, limited rotation. Generalized hypotonia (baseline). Reflexes 3+
at the knees (2+ at her last visit), no clonus. Toes downgoing. Gait broad-based.

Imaging:
C-spine radiographs with flexion/extension 10/08/2026: ADI 6 mm in flexion (abnormal);
see attached report.
MRI C-spine under sedation 10/13/2026: indeterminate - motion and airway artifact at
the craniocervical junction; the cord is not adequately seen at C1-C2.
Anesthesia: repeat sedation not advised (desaturation episode during the scan).

Assessment/Plan:
Trisomy 21 with atlantoaxial instability on dynamic films, new neck pain and possible
early cord signs. MRI indeterminate and cannot safely be repeated.
- CT cervical spine w/o contrast (72125), pediatric low-dose protocol, to assess C1-C2
  and look for os odontoideum; Image Gently / ALARA discussed with father.
- Soft collar; no swimming or sports until cleared. Urgent pediatric neurosurgery referral.
""",
            """\
RADIOLOGY REPORT
Exam: XR CERVICAL SPINE WITH FLEXION AND EXTENSION       Date: 10/08/2026
Patient age: 12 years   Indication: Down syndrome, neck pain, torticollis.
Comparison: none available.

Findings:
Atlantodens interval 3 mm in neutral and 6 mm in flexion (abnormal for age).
The dens appears hypoplastic; possible os odontoideum, incompletely assessed.
Subaxial alignment normal. Prevertebral soft tissues within normal limits.

Impression:
Atlantoaxial instability (ADI 6 mm in flexion). Possible os odontoideum.
Cross-sectional imaging recommended.

Electronically signed: T. Brandt, MD  10/08/2026
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
