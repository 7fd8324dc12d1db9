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
    "44_osteoblastoma_surveillance_pdf": {
        "survivorship_visit_2026-11-05.pdf": [
            """\
CANCER SURVIVORSHIP CLINIC - SURVEILLANCE VISIT   Date of service: 11/05/2026
Provider: A. Whitcombe, NP   Attending: S. Marchetti, MD (Orthopaedic Oncology)

Diagnosis: Aggressive (Enneking stage 3) osteoblastoma of the L2 posterior elements.
Treatment: intralesional curettage, high-speed burr, phenol adjuvant and posterior L1-L3
instrumented fusion on 03/14/2024. Margins positive (intralesional resection).

Interval history:
24 yo F seen for tumour surveillance, 2 yrs 8 mo after surgery. Doing well: works full
time as a pharmacist, runs 3x/week. Occasional low back stiffness after long drives,
unchanged for over a year. No night pain, no new pain, no leg numbness or weakness.
No new symptoms. Bowel and bladder normal. No analgesics.

Exam:
Healed midline incision. Non-tender spine. Strength 5/5 b/l LE, sensation intact,
reflexes 2+ symmetric, gait normal.

Imaging history:
Limited CT of L1-L3 every 4 months since surgery, last 07/24/2026 - no recurrence so far.
MRI is of little use here: the titanium rods and screws obscure the L2 bed with artifact.

Assessment:
Aggressive osteoblastoma L2, intralesional (positive-margin) resection, under surveillance.
After intralesional curettage the L2 site carries a real risk of local recurrence
(reported 10-20%, most within 3-5 years); an early recurrence is treated by re-resection.

Plan:
- Periodic limited CT of the L2 resection bed (76380) for local recurrence: due now.
- Long-term surveillance: CT every 4 months through year 3, then every 6 months to year 5,
  then yearly to year 10 (sarcoma tumour board plan, 04/2024).
- No guideline sets the surveillance schedule for resected spinal osteoblastoma; the
  interval follows the tumour board plan.
- Without any change in her symptoms the scan is still needed: finding a recurrence early
  would change management (re-excision before the posterior elements are destroyed).
- Survivorship care plan updated. Vitamin D replete. RTC 4 months, after the CT.
""",
            """\
RADIOLOGY REPORT
Exam: CT LUMBAR SPINE WITHOUT CONTRAST, LIMITED (L1-L3)      Date: 07/24/2026
Indication: Surveillance, aggressive osteoblastoma L2 s/p curettage 03/2024.
Comparison: CT 03/20/2026.
Technique: Axial helical CT L1-L3 with metal artifact reduction; sagittal and coronal
reformats. DLP 312 mGy-cm.

Findings:
Postoperative changes of L2 laminectomy and curettage of the L2 pedicles and lamina,
with posterior pedicle screw-rod fixation L1-L3. Hardware intact, no lucency.
The curettage cavity is filled with bone graft that continues to incorporate.
No new lytic or mineralized lesion. No soft-tissue mass. Canal and foramina patent.

Impression:
Stable postoperative appearance. No evidence of local recurrence.
Continue surveillance per orthopaedic oncology.

Electronically signed: V. Ostrowski, MD  07/24/2026 15:02
""",
        ],
    },
    "45_postop_schwannoma_pseudomeningocele_pdf": {
        "neurosurgery_postop_2026-09-08.pdf": [
            """\
NEUROSURGERY POSTOPERATIVE VISIT   Date of service: 09/08/2026   POD 16
Surgeon: K. Adeyemi, MD

Procedure 08/23/2026: L2-L3 laminectomy and intradural resection of an L2-3 schwannoma
(gross total per op note; capsule adherent to one cauda equina rootlet), watertight
dural closure with fibrin sealant. Path: schwannoma, WHO grade 1.
Preop MRI L-spine under GA 08/05/2026 (claustrophobia).

Interval history:
Pt did well until about POD 10. Since then, soft swelling under the lower end of the
incision that keeps getting bigger, and headaches when upright that ease lying flat.
Since 09/04 new numbness of the L shin and top of the foot, and he catches the L toes on
the stairs. The preop L thigh pain is gone. No fever, no wound drainage.
Bladder and bowels normal.

Exam:
Afebrile. Incision healed, no erythema, no drainage.
Approx. 6 x 8 cm soft fluctuant subcutaneous collection deep to the incision, non-tender.
L ankle dorsiflexion 4/5, EHL 4-/5 (both 5/5 at discharge 08/26). R leg 5/5.
Decreased pinprick L dorsal foot and anterolateral shin (L5). Reflexes symmetric.

Imaging: none since surgery.

Assessment:
1. Postoperative pseudomeningocele (fluctuant collection + orthostatic headache) after
   intradural tumour resection; r/o CSF leak through the durotomy.
2. New L L5 weakness and numbness after surgery - root compression by the collection vs
   rootlet injury.
3. L2-3 schwannoma s/p resection: postoperative baseline imaging of the resection bed due.

Plan:
- CT L-spine without and with intrathecal contrast (CT myelogram, 72133): leak site,
  collection and root compression; it will also serve as the post-op baseline of the
  tumour bed for surveillance.
- He declines MRI (needed general anaesthesia for the preop MRI because of claustrophobia).
- Flat bed rest 48 h, abdominal binder. Wound re-exploration and dural repair per CT.
""",
            """\
DISCHARGE SUMMARY (excerpt)   Admitted 08/23/2026   Discharged 08/26/2026
Attending: K. Adeyemi, MD

Diagnosis: Intradural extramedullary tumour L2-L3, consistent with schwannoma.
Operation 08/23/2026: L2-L3 laminectomy, microsurgical resection of the tumour.
The dura was closed primarily with running 6-0 suture and fibrin sealant. Drain out POD 1.

Hospital course: uneventful. Mobilized POD 1. Preop L thigh pain resolved.
Neuro at discharge: strength 5/5 throughout, sensation intact, voiding normally.

Follow-up: neurosurgery clinic in 2 weeks. Post-op baseline imaging of the tumour bed
to be arranged at that visit; then surveillance per tumour board.
""",
        ],
    },
    "60_brachial_plexopathy_neuralgic_amyotrophy_pdf": {
        "neuromuscular_and_emg_2026-10.pdf": [
            """\
NEUROMUSCULAR CONSULTATION   Date of service: 10/26/2026
Provider: G. Haddad, MD   Referred by: Dr. P. Olsen (Orthopaedics) - "C5 radiculopathy?"

HPI:
55 yo M, carpenter. On 08/30/2026 he woke with severe R shoulder and lateral arm pain
(10/10, burning), worst for ~2 weeks. As the pain eased the R arm became weak: he cannot
lift it overhead, and his wife noticed the R shoulder blade sticking out.
No trauma, no fall, no sports injury. No neck pain. Flu vaccine L arm 08/24/2026.
No leg symptoms, bowel/bladder normal.

PMH: HTN. No cancer history, no radiation. No diabetes.
Meds: losartan 50 mg daily.

Exam:
R deltoid 2/5, supraspinatus and infraspinatus 3/5, biceps 4-/5, triceps 5/5,
serratus anterior weak with medial scapular winging. Atrophy R deltoid and spinati.
Decreased sensation over the lateral R shoulder (axillary patch).
R biceps reflex 1+, L 2+. Neck ROM full, Spurling negative b/l. LE normal.

Imaging:
MRI C-spine 09/10/2026: mild R C5-6 foraminal narrowing; no cord or nerve-root compression;
diagnostic study. The weakness has progressed since the MRI (deltoid 4/5 then, 2/5 now).
Orthopaedics has requested CT C-spine w/o contrast for bony foraminal detail at C5-6.

Assessment:
Neuralgic amyotrophy (Parsonage-Turner syndrome): acute non-traumatic R brachial plexopathy
(upper trunk) with long thoracic nerve involvement; EMG 10/19 confirms a plexus pattern
with normal paraspinals. The mild C5-6 foraminal narrowing does not explain the deficits.

Plan:
- Spine imaging not needed from my standpoint; letter to Dr. Olsen.
- PT for scapular stabilization and ROM. Gabapentin for residual pain.
- Prognosis for recovery good over 1-3 years. Repeat EMG in 6 months.
""",
            """\
ELECTRODIAGNOSTIC REPORT (NCS/EMG)   Date: 10/19/2026
Physician: G. Haddad, MD   Limb: R upper extremity

Nerve conduction:
R median and ulnar motor and sensory studies normal.
R lateral antebrachial cutaneous SNAP 4 uV (L 14 uV) - reduced.
R axillary CMAP (deltoid) 1.2 mV (L 6.8 mV). R musculocutaneous CMAP mildly reduced.

Needle EMG:
Fibrillations and positive sharp waves with reduced recruitment: R deltoid, supraspinatus,
infraspinatus, serratus anterior; biceps mildly affected. Triceps, FDI normal.
Cervical paraspinals C5, C6, C7: normal, no spontaneous activity.

Impression:
Subacute R brachial plexopathy, predominantly upper trunk, with a long thoracic
mononeuropathy - pattern typical of neuralgic amyotrophy.
No electrodiagnostic evidence of cervical radiculopathy.
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
