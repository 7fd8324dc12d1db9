"""Assertion by class: how chart language around a mention decides present / negated /
hypothetical / historical / family. Each row is a sentence and the kind it must yield, with
the assertion wanted ('absent' means no fact of that kind at all). The rows came from a
helper who wrote examples for every rule and listed where the rules disagreed with what a
clinician reads; each fix is a mechanism (outcome language, completion, informants, scope
ends, result words, target boundaries), not a phrase.
"""

from __future__ import annotations

import pytest

from priorauth.extract.ingest import Document, Page
from priorauth.extract.pipeline import extract_facts
from priorauth.models import ReviewRequest
from priorauth.scoring.context import ScoringContext

ANY_REGION = ScoringContext.build(ReviewRequest(cpt=["76380"], request_date="2026-10-15"), ())


def assertions(text: str, kind: str) -> set[str]:
    """Assertions of the facts of ``kind`` that pass the scorer's gate (site, recency)."""
    facts = extract_facts([Document(name="n.txt", kind="txt", pages=(Page(None, text),))])
    return {f.assertion.value for f in facts if f.kind == kind and ANY_REGION.counts(f)}


ROWS = [
    # a relative clause that gives a relative a condition is family history; one that says
    # what the relative did ends the family scope
    ("The patient has a daughter who was diagnosed with breast cancer at age 40.", "cancer",
     "family"),
    ("Her mother, who brought her in today, says she has new saddle numbness.",
     "saddle_anesthesia", "present"),
    # a device in the condition of an if-clause is supposed, not found
    ("If retained leads of unknown model are found, MRI will not be performed.",
     "mri_contraindicated", "hypothetical"),
    ("Has a pacemaker that is not MR conditional; MRI only if cardiology clears it.",
     "mri_contraindicated", "present"),  # counterexample: the device comes before the "if"
    # a generic statement about a class of devices is not about this patient's device
    ("Some systems are MR conditional; others are not.", "mri_conditional_device",
     "hypothetical"),
    # an injury the patient cannot recall, or pain that began without one, is denied
    ("He can't think of any lifting event, fall or other injury.", "trauma", "negated"),
    ("Sx began roughly 7/20/26 w/o any injury.", "trauma", "negated"),
    ("She does recall a fall on the ice in March.", "trauma", "present"),  # counterexample
    # return precautions list what to come back for, however long the list
    ("Return precautions: new weakness, numbness in groin/saddle area, trouble urinating, "
     "loss of bowel control, fever.", "bowel_dysfunction", "hypothetical"),
    # a copula negation after a mention denies it only when what follows says it is absent
    # or not done; otherwise it denies a property of it
    ("He has a cardiac pacemaker that is not MR conditional.", "mri_contraindicated",
     "present"),
    ("The spinal cord stimulator was not MR conditional.", "mri_contraindicated", "present"),
    ("Back pain is not improved after physical therapy.", "pain", "present"),
    ("Saddle anesthesia is not present.", "saddle_anesthesia", "negated"),  # counterexample
    ("Clonus was not elicited at either ankle.", "myelopathy_sign", "negated"),
    ("An MRI of the lumbar spine was not performed.", "imaging", "negated"),
    # outcome language about a treatment is not a denial that it was given
    ("Physical therapy was not helpful.", "conservative_therapy", "present"),
    ("Gabapentin is not helping her leg pain.", "conservative_therapy", "present"),
    ("Pain is not improving with physical therapy.", "conservative_therapy", "present"),
    ("Meloxicam is not effective for her pain.", "conservative_therapy", "present"),
    ("Pain not controlled with NSAIDs.", "conservative_therapy", "present"),
    ("Has not had any relief from physical therapy.", "conservative_therapy", "present"),
    ("Denies relief with ibuprofen or ice.", "conservative_therapy", "present"),
    ("No significant change with gabapentin.", "conservative_therapy", "present"),
    ("Without lasting benefit from 8 weeks of PT.", "conservative_therapy", "present"),
    ("Has not had physical therapy.", "conservative_therapy", "negated"),  # counterexample
    ("No physical therapy yet.", "conservative_therapy", "negated"),
    # completed or continuing treatment is not a plan
    ("Was referred to physical therapy and completed 12 sessions.", "conservative_therapy",
     "present"),
    ("Physical therapy was recommended and completed in June.", "conservative_therapy",
     "present"),
    ("Plan to continue physical therapy twice weekly.", "conservative_therapy", "present"),
    ("Since the start of physical therapy his pain has improved.", "conservative_therapy",
     "present"),
    ("Takes ibuprofen 600 mg as needed for back pain.", "conservative_therapy", "present"),
    ("Referred to physical therapy.", "conservative_therapy", "hypothetical"),  # counterexample
    ("Will start PT next week.", "conservative_therapy", "hypothetical"),
    ("Physical therapy not done due to cost.", "conservative_therapy", "negated"),
    # informants and a new clause about the patient are not family history
    ("Son drove her in, she has new saddle numbness.", "saddle_anesthesia", "present"),
    ("Mother with lupus, patient with sciatica.", "radiculopathy", "present"),
    ("Mom brought her in for evaluation of scoliosis.", "scoliosis", "present"),
    ("Mom is worried about her gait, she has been toe walking.", "toe_walking", "present"),
    ("Parents report she has been toe walking since age two.", "toe_walking", "present"),
    ("Mother has rheumatoid arthritis.", "rheumatoid_arthritis", "family"),  # counterexample
    # a plan's scope ends at a reported result; short cues reach only their phrase
    ("CT ordered in the ED showed an L1 burst fracture.", "fracture", "present"),
    ("MRI showed L3-4 discitis, blood cultures pending.", "spinal_infection", "present"),
    # the length of a current complaint is no past history; a past condition still is
    ("This 75y/o RHM presented with a 10 day h/o progressively worsening LBP.", "pain",
     "present"),
    ("Remote history of low back pain in 2015.", "pain", "historical"),
    # a negation cue that holds its own object negates it ("without injury" is one cue)
    ("Sx began mid-April 2026 without injury.", "trauma", "negated"),
    ("Fell on the ice in January with injury to the low back.", "trauma", "present"),
    ("Awaiting surgery for known cord compression at C5-6.", "myelopathy_sign", "present"),
    ("Good candidate for surgery given progressive myelopathy.", "myelopathy_sign", "present"),
    ("Discussed MRI findings: L4-5 disc herniation with radiculopathy.", "radiculopathy",
     "present"),
    ("Increased risk of fracture given osteoporosis and chronic steroid use.", "osteoporosis",
     "present"),
    ("Counseled on smoking cessation, has diabetes and osteoporosis.", "diabetes", "present"),
    ("C-spine precautions given the rollover MVC.", "trauma", "present"),
    ("Needs a walker for unsteady gait.", "myelopathy_sign", "present"),
    ("Will order MRI of the lumbar spine.", "imaging", "hypothetical"),  # counterexample
    ("Admitted to rule out epidural abscess.", "spinal_infection", "possible"),
    ("CT to rule out fracture.", "imaging", "hypothetical"),
    ("Non-radicular low back pain for three weeks.", "pain", "present"),
    # a historical cue does not reach what is new
    ("Hx of breast cancer with new thoracic back pain and weight loss.", "pain", "present"),
    ("Gait worse than prior visit with new clonus.", "myelopathy_sign", "present"),
    ("In the past week, new saddle numbness and urinary retention.", "saddle_anesthesia",
     "present"),
    ("History of lumbar fusion in 2015.", "spine_procedure", "historical"),  # counterexample
    # a study read as normal was done; "not done" is not done
    ("X-rays of the lumbar spine unremarkable.", "imaging", "present"),
    ("Whole body bone scan was negative.", "imaging", "present"),
    ("CT L-spine w/o contrast (CPT 72131) performed 08/14/2026 shows L1 compression "
     "fracture.", "imaging", "present"),
    ("MRI not done because of the pacemaker.", "imaging", "negated"),
    ("No prior MRI of the lumbar spine.", "imaging", "negated"),
    ("CT vs MRI discussed given the pacemaker.", "mri_contraindicated", "present"),
    # target words in another sense
    ("Presented to the ED for back pain after a fall.", "sexual_dysfunction", "absent"),
    ("ED since starting the new medication.", "sexual_dysfunction", "present"),
    ("SpO2 98% on RA, afebrile.", "rheumatoid_arthritis", "absent"),
    ("Seropositive RA on methotrexate.", "rheumatoid_arthritis", "present"),
    ("Left arm AVF for hemodialysis, ESRD.", "spinal_vascular_malformation", "absent"),
    ("Electrolyte imbalance with low potassium.", "myelopathy_sign", "absent"),
    ("Housing instability and food insecurity noted.", "ligamentous_injury", "absent"),
    ("Chronic inflammatory demyelinating polyneuropathy on IVIG.", "demyelinating_disease",
     "present"),
    ("Back pain started in the fall of 2025.", "trauma", "absent"),
    ("GBS positive at 36 weeks, treated in labor.", "demyelinating_disease", "absent"),
    ("Recurrence of her degenerative disc disease symptoms.", "tumor_followup", "absent"),
    ("CES-D depression score of 12.", "cauda_equina", "absent"),
    ("Suspected CES with urinary retention.", "cauda_equina", "possible"),
]


@pytest.mark.parametrize("text,kind,wanted", ROWS, ids=[r[0][:50] for r in ROWS])
def test_assertion_class(text, kind, wanted):
    found = assertions(text, kind)
    if wanted == "absent":
        assert not found, found
    else:
        assert wanted in found and found <= {wanted, "present"} | {wanted}, found


REPORT = """LAKESHORE RADIOLOGY
Exam: XR THORACIC SPINE 2 VIEWS + XR LUMBAR SPINE 3 VIEWS
Exam date: 2026-10-21
Findings: see below.
Impression:
1. Acute-appearing T12 anterior wedge compression fracture, ~25% height loss.
2. Normal lumbar spine radiographs.
Dictated/signed: P. Nakamura, MD
"""
OFFICE = """OFFICE NOTE  Date of service: 10/21/2026
Exam: tenderness over L4-5, SLR negative. MRI lumbar spine is pending.
Impression: lumbar strain with a disc herniation suspected.
"""


def _imaging(text: str) -> list[tuple[str | None, str | None]]:
    """(region, result) of the studies the exam lines name."""
    facts = extract_facts([Document(name="r.txt", kind="txt", pages=(Page(None, text),))],
                          request_date=None)
    return sorted((f.value.get("region"), f.value.get("result")) for f in facts
                  if f.kind == "imaging" and f.assertion.value == "present"
                  and f.evidence.text.startswith(("Exam:", "MRI lumbar")))


def test_a_report_impression_gives_each_exam_its_result_by_region():
    assert _imaging(REPORT) == [("lumbar", "normal"), ("thoracic", "abnormal")]


def test_an_office_note_impression_is_no_imaging_result():
    """Counterexample: 'Exam:' heads a physical exam and 'Impression:' an assessment."""
    assert all(result is None for _, result in _imaging(OFFICE))


@pytest.mark.parametrize(
    ("text", "kind", "key", "wanted"),
    [
        # onset verbs make a symptom new; the stated date still decides old from new
        ("Over two weeks he has developed numbness over the top of the right foot.",
         "neuro_symptom", "change", "new"),
        ("Numbness in the right foot, present for years, unchanged.", "neuro_symptom",
         "change", "chronic"),
        # after the operation: "did not have before surgery", "after L4-5 TLIF"
        ("He has numbness down the shin that he did not have before surgery.",
         "neuro_symptom", "postoperative", True),
        ("New right L5 motor and sensory deficit five weeks after L4-5 TLIF.",
         "objective_weakness", "postoperative", True),
        ("The numbness he had before surgery is unchanged.", "neuro_symptom", "postoperative",
         None),
    ],
)
def test_symptom_time_values(text, kind, key, wanted):
    facts = extract_facts([Document(name="n.txt", kind="txt", pages=(Page(None, text),))],
                          request_date=None)
    values = [f.value.get(key) for f in facts if f.kind == kind]
    assert values and all(v == wanted for v in values), values


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ('Pt says he has "shrapnel in my back from Iraq"; we have no films. MRI safety not '
         "yet determined; requested his VA records.", "unknown"),
        # counterexample: the fragment is said to rule MRI out, and nothing is pending
        ("Shrapnel in the low back from 2006; MRI contraindicated per radiology screening.",
         "met"),
    ],
)
def test_mri_safety_still_to_be_established_leaves_mri_undecided(text, wanted):
    from priorauth.scoring import score

    facts = extract_facts([Document(name="n.txt", kind="txt", pages=(Page(None, text),))],
                          request_date=None)
    review = score(ReviewRequest(cpt=("72131",)), facts)
    assert review.criterion("ind.1.1").status.value == wanted
