"""The fact model on the examples of issue 10: time, body site, source and resolution decide
what counts, through one gate (ScoringContext.counts) and one resolver (extract/resolve.py).

Each row is a small chart (one string per document), the request region, and the leaves it
must decide, with a word the cited quote must hold. The rows are new wording, not copies of
any labelled chart.
"""

from __future__ import annotations

from datetime import date

import pytest

from priorauth.extract import values as V
from priorauth.extract.ingest import Document, Page
from priorauth.extract.pipeline import extract_facts
from priorauth.models import Assertion, Evidence, Fact, ReviewRequest, Source
from priorauth.scoring import score
from priorauth.scoring.context import ScoringContext

REQUEST_DATE = "2026-10-15"


def review(*documents: str, cpt: str = "72131", age: int = 57):
    docs = [Document(name=f"doc{i}.txt", kind="txt", pages=(Page(None, text),))
            for i, text in enumerate(documents, start=1)]
    facts = extract_facts(docs, request_date=date.fromisoformat(REQUEST_DATE))
    request = ReviewRequest(cpt=[cpt], request_date=REQUEST_DATE, age=age)
    return score(request, facts), facts


def leaf(rev, node_id):
    return next(c for c in rev.criteria if c.id == node_id)


CASES = [
    # 1. a negated contraindication is no contraindication; a screening heading is no study
    (["Clinic 10/01/2026. No contraindication to MRI was found on screening."],
     {"ind.1.1": ("not_met", "No contraindication")}),
    (["Clinic 10/01/2026. Denies pacemaker or other implants - no contraindication to MRI."],
     {"ind.1.1": ("not_met", "no contraindication")}),
    (["Clinic 10/01/2026.\nMRI safety screen: no pacemaker or implanted device.\n"],
     {"non.1": ("unknown", None)}),
    # 2. device status across documents: the later, explicit statement stands
    (["Ortho note 09/01/2026. Pacemaker - no MRI.",
      "Device clinic 09/20/2026. MR-conditional system, cleared for MRI with programming."],
     {"ind.1.1": ("not_met", "MR-conditional")}),
    (["Device clinic 08/01/2026. MR-conditional pacemaker system.",
      "Cardiology 09/20/2026. Correction: the leads are abandoned epicardial leads; the "
      "pacemaker is not MRI safe and MRI is contraindicated."],
     {"ind.1.1": ("met", "contraindicated")}),
    (["Ortho note 09/01/2026. Pacemaker - no MRI.",
      "Addendum 09/25/2026: prior note said pacemaker; it is an implantable loop recorder, "
      "MR conditional."],
     {"ind.1.1": ("not_met", "MR conditional")}),
    # MRI held while a device is verified: neither possible nor impossible yet; once the
    # device is confirmed unsafe, impossible
    (["Clinic 08/18/2026. Old spinal cord stimulator, pt believes it was taken out in 2015.",
      "MRI safety note 08/21/2026. Disposition per MR safety protocol: MRI DEFERRED (not "
      "cancelled). Scout films ordered to look for retained leads."],
     {"ind.1.1": ("unknown", None)}),
    (["MRI safety note 08/21/2026. MRI deferred pending device verification.",
      "Device clinic 09/02/2026. Retained stimulator leads of unknown model confirmed; MRI is "
      "contraindicated."],
     {"ind.1.1": ("met", "contraindicated")}),
    # 3. time and place: a remote or non-spinal injury is not trauma; a toe is not the spine
    (["Clinic 10/01/2026. New low back pain x 3 weeks.\nPSH: L ankle ORIF 1998 after a "
      "motorcycle accident."],
     {"ind.1.0": ("met", "New low back pain")}),
    (["Clinic 10/01/2026. New low back pain x 3 weeks. Remote knee injury playing football "
      "in college."],
     {"ind.1.0": ("met", "New low back pain")}),
    (["Clinic 10/01/2026. Low back pain. Gout flare in the left great toe last month."],
     {"ind.6": ("unknown", None)}),
    (["Clinic 10/01/2026. Fell from a ladder 2 weeks ago; new low back pain since."],
     {"ind.1.0": ("not_met", "ladder")}),
    # 4. plans and options are not done
    (["PT referral 08/15/2026. Physical therapy: evaluate and treat. Frequency: 2x/wk  "
      "Duration: 6 wks",
      "PT visit log: 08/20/2026, 08/27/2026, 09/03/2026, 09/10/2026, 09/17/2026."],
     {"ind.1.2.0": ("not_met", "visit log")}),
    # (MRI possible: the chart documents the opposite of "cannot be performed")
    (["Clinic 10/01/2026. MRI remains an option. She prefers CT because of cost."],
     {"ind.1.1": ("not_met", "remains an option"), "non.1": ("unknown", None)}),
    # a chronic pain does not date a deficit of another kind; alone it is chronic
    (["Clinic 10/01/2026. Acute on chronic low back pain for 20 years. Right lower "
      "extremity strength 4/5."],
     {"ind.3.0": ("unknown", None)}),
    (["Clinic 10/01/2026. Chronic low back pain for 20 years, unchanged."],
     {"ind.3.0": ("not_met", "Chronic low back pain")}),
    # 5. an age is not an onset
    (["Clinic 10/01/2026. 68-year-old man with new low back pain that started around "
      "07/20/2026."],
     {"ind.1.0": ("met", "started around")}),
    # 6. therapy summaries, not letterheads
    (["ACTIVE MOTION PHYSICAL THERAPY\nDischarge summary 10/05/2026\nTherapist: Jane Roe, "
      "PT, DPT\nDates of care: 08/20/2026 to 10/03/2026, 13 visits over 7 weeks.\nGoals not "
      "met. Patient plateaued with no meaningful improvement."],
     {"ind.1.2.0": ("met", "Dates of care"), "ind.1.2.2": ("met", "Dates of care")}),
    # 7. exam language
    (["Exam 10/01/2026: decreased light-touch sensation over the lateral right foot (S1 "
      "dermatome). EHL 4/5 on the right."],
     {"ind.3.2.4": ("met", "light-touch"), "ind.3.2.5": ("met", "EHL 4/5")}),
    # 8. one negated finding does not negate its neighbour
    (["XR L-spine 09/01/2026: mild disc height loss, no spondylolisthesis."],
     {"ind.2.0": ("met", "disc height loss")}),
    # a condition the policy asks about in the spine, named elsewhere, does not count
    (["Clinic 10/01/2026. PMH: gout on allopurinol, HTN."], {"ind.6": ("unknown", None)}),
    (["Clinic 10/01/2026. Suspected tophaceous gout of the L4-5 facet joint."],
     {"ind.6": ("met", "L4-5 facet")}),
    (["Clinic 10/01/2026. Cardiac amyloidosis on tafamidis."], {"ind.4": ("unknown", None)}),
    (["Clinic 10/01/2026. History of brain AVM embolized in 2015."],
     {"ind.12": ("unknown", None)}),
    (["ED 10/01/2026. Small subdural hematoma after the fall."],
     {"ind.14.2": ("unknown", None)}),
    # a contrast allergy is no MRI contraindication (an MRI without contrast can be done)
    (["Clinic 10/01/2026. Contrast allergy; MRI contraindicated due to gadolinium allergy."],
     {"ind.1.1": ("unknown", None)}),
    (["Clinic 10/01/2026. MRI contraindicated: non-conditional pacemaker; also allergic to "
      "gadolinium."], {"ind.1.1": ("met", "pacemaker")}),
    # 10. number words
    (["Clinic 10/01/2026. PT for thirteen weeks without improvement."],
     {"ind.1.2.0": ("met", "thirteen")}),
    # a consent discussion names what may happen, not what has (real operative notes)
    (["Op note 10/01/2026. Surgery, its risks and benefits were reviewed with her. Risks "
      "include bleeding; a collection in the epidural space could press on the cord and cause "
      "loss of bowel and bladder control. There is also the possibility of a dural tear and "
      "CSF leak. She understood these risks and agreed to proceed."],
     {"ind.14.2": ("unknown", None), "ind.5": ("unknown", None),
      "ind.3.2.2": ("unknown", None)}),
    # counterexample: after the discussion closes, a stated finding is a finding
    (["Op note 10/01/2026. Risks and benefits were discussed and she consented. Postop day 3 "
      "she has a new epidural fluid collection on CT."],
     {"ind.14.2": ("met", "epidural fluid collection")}),
    # counterexample: a drug's risk in a medication list does not open a discussion
    (["Clinic 10/01/2026. Meds: naproxen 500 BID since 8/1 (discussed renal risk), "
      "gabapentin 300 TID since 8/1; no relief."],
     {"ind.1.2.1": ("met", "naproxen")}),
    # a form's question asserts nothing; the answer written after it does
    (["Disability form 10/01/2026.\n4. Is condition due to injury or sickness arising out of "
      "employment? No.\n5. New low back pain radiating to the left leg since 08/15/2026."],
     {"ind.1.0": ("met", None)}),
    (["Disability form 10/01/2026.\n4. Is the condition due to an injury at work? Yes - fell "
      "from a ladder 9/20/2026.\n5. New low back pain since."], {"ind.1.0": ("not_met", None)}),
    # definition A: a home exercise program counts with documented compliance
    (["Clinic 10/01/2026. Gave written home exercise sheet (pelvic tilts, bridging)."],
     {"ind.1.2.2": ("unknown", None)}),
    (["Clinic 10/01/2026. Home exercise program not reviewed today."],
     {"ind.1.2.2": ("unknown", None)}),
    (["Clinic 10/01/2026. Doing her home exercise program daily since August, no relief."],
     {"ind.1.2.2": ("met", "home exercise")}),
    # a ground-level fall is not by itself the significant trauma of ind.11.7
    (["ED 10/01/2026. Tripped and fell from standing yesterday; new left foot drop, "
      "EHL 3/5."], {"ind.11.7.0": ("unknown", None)}),
    (["ED 10/01/2026. Fell 12 feet from a roof yesterday; new left foot drop, EHL 3/5."],
     {"ind.11.7.0": ("met", None)}),
    # a study that found only wear is no positive finding of an injury to follow up
    (["ED 10/01/2026. Fell from a ladder 9/28/2026. Lumbar x-ray 9/28/2026 showed moderate "
      "L4-5 stenosis and disc bulges."], {"ind.11.1": ("unknown", None)}),
    (["ED 10/01/2026. Fell from a ladder 9/28/2026. Lumbar x-ray 9/28/2026 showed an L1 "
      "compression fracture."], {"ind.11.1": ("met", "compression fracture")}),
    # an operative note: the undated MRI it cites came before the operation it reports
    (["Operative note 10/01/2026. MRI of the lumbar spine revealed an L4-5 disc herniation. "
      "PROCEDURE: L4-5 laminectomy and discectomy."], {"non.1": ("not_met", "laminectomy")}),
    # counterexample: a dated recent MRI after an old operation, nothing new since
    (["Clinic 10/01/2026. Status post L4-5 laminectomy in 2015. MRI lumbar spine 09/10/2026 "
      "showed postoperative changes, unchanged from 2024. Symptoms unchanged; no treatment "
      "since the MRI."], {"non.1": ("met", "09/10/2026")}),
    # a sports injury is trauma (definition C); a sport without an event is not
    (["Clinic 10/01/2026. He was shooting basketball last week and felt a pop in his low "
      "back; new left leg pain since."], {"ind.1.0": ("not_met", "basketball")}),
    # a request form states the conclusion; the notes' dated treatment decides it
    (["Office note\nDate of service: 07/28/2026\nIbuprofen 600 TID x 3 weeks. PT eval 7/13, "
      "4 visits over 2 weeks so far.",
      "PRIOR AUTHORIZATION REQUEST\n[X] Failed conservative treatment >= 6 weeks within past "
      "6 months\n"], {"ind.1.2.0": ("not_met", None)}),
    # therapy whose status is unclear, or only recalled, or only ordered, is not documented
    (["Clinic 10/01/2026. PT status unclear - obtaining records. Meloxicam since 6/1."],
     {"ind.1.2.2": ("unknown", None)}),
    (["PHYSICAL THERAPY REFERRAL / ORDER\nDate: 9/5/2026\nOrder: Evaluate and treat. Core "
      "strengthening, HEP.\nFrequency: 2x/wk  Duration: 6 wks\nSent to: Lakeside PT (fax)"],
     {"ind.1.2.2": ("not_met", None)}),
    (["PHYSICAL THERAPY DISCHARGE SUMMARY 09/30/2026\nDates of care: 08/01/2026 to 09/26/2026, "
      "12 visits. HEP independent."], {"ind.1.2.2": ("met", None)}),
    (["Rheumatology 10/01/2026. AS diagnosed 2018; he recalls x-rays but we have no reports. "
      "XR pelvis and XR lumbar spine ordered today; we do not have any baseline films."],
     {"ind.8.1": ("not_met", "baseline films")}),  # radiographs not taken yet
    # "neg for fracture" is a normal study, not a positive finding to follow up
    (["ED 10/01/2026. Slipped on a wet floor 9/30/2026, landed on his buttocks. XR L-spine "
      "9/30/2026: neg for fracture."], {"ind.11.1": ("unknown", None)}),
    # what MRI cannot do: a weight over the table limit; "not feasible"; not "MR-conditional
    # designs" the device predates, nor what "some SCS systems are"
    (["Hospital note 10/01/2026. MRI L-spine is the preferred study, but cannot be performed: "
      "weight (231 kg) exceeds the table limit of every MRI unit in our system."],
     {"ind.1.1": ("met", "table limit")}),
    (["ENT letter 09/01/2026. This implant predates current MR-conditional designs; MRI is "
      "contraindicated for this model."], {"ind.1.1": ("met", "contraindicated")}),
    (["Neurology 10/01/2026. Spinal cord stimulator, model unknown. Some SCS systems are "
      "full-body MR conditional; others are not. Records requested."],
     {"ind.1.1": ("unknown", None)}),
    # an SAH with its intracranial cause named is not an occult one
    (["Clinic 10/01/2026. Subarachnoid hemorrhage from a ruptured cerebellar artery aneurysm, "
      "clipped in August."], {"ind.12.3": ("unknown", None)}),
    (["Clinic 10/01/2026. Occult subarachnoid hemorrhage; cerebral angiogram negative x2, "
      "spinal source suspected."], {"ind.12.3": ("met", "subarachnoid")}),
]


@pytest.mark.parametrize("documents,expected", CASES, ids=[c[0][0][:40] for c in CASES])
def test_issue_examples(documents, expected):
    rev, _ = review(*documents)
    for node_id, (status, quote_word) in expected.items():
        result = leaf(rev, node_id)
        assert result.status.value == status, (node_id, result.reason)
        if quote_word is not None:
            assert any(quote_word in e.text for e in result.evidence), (
                node_id, [e.text for e in result.evidence])


def test_superseded_fact_says_why():
    _, facts = review("Ortho note\nDate of service: 09/01/2026\nPacemaker - no MRI.",
                      "Device clinic\nDate of service: 09/20/2026\nMR-conditional system, "
                      "cleared for MRI.")
    lost = [f for f in facts if f.kind == "mri_contraindicated" and f.superseded]
    assert lost and "doc2.txt" in lost[0].superseded and "2026-09-20" in lost[0].superseded


def _fact(kind, **update):
    ev = Evidence(document="n.txt", start=0, end=4, text="text")
    return Fact(kind=kind, evidence=ev, rule_id="r", **update)


@pytest.mark.parametrize("kind,update,counts", [
    ("trauma", {}, True),
    ("trauma", {"site": "ankle"}, False),
    ("trauma", {"recency": "remote"}, False),
    ("trauma", {"recency": "recent"}, True),
    ("gout", {"site": "great toe"}, False),
    ("gout", {}, False),  # "gout on allopurinol": the policy asks for gout in the spine
    ("gout", {"site": "spine"}, True),
    ("cancer", {"site": "breast", "recency": "remote"}, True),  # a red flag wherever, whenever
    ("fracture", {"site": "wrist"}, False),
    ("mri_contraindicated", {"superseded": "superseded by ..."}, False),
])
def test_gate_table(kind, update, counts):
    """kind x site x recency -> counts, as rules/kinds.yaml declares."""
    ctx = ScoringContext.build(ReviewRequest(cpt=["72131"], request_date=REQUEST_DATE), ())
    assert ctx.counts(_fact(kind, **update)) is counts


@pytest.mark.parametrize("clause,recency", [
    ("L ankle ORIF 1998 after a motorcycle accident", "remote"),
    ("remote knee injury playing football in college", "remote"),
    ("fell on the ice 2 weeks ago", "recent"),
    ("MVC 10/2025 with neck pain since", "recent"),
    ("fell 3 years ago", "remote"),
    ("slipped on a wet floor", None),
])
def test_recency(clause, recency):
    assert V.find_recency(clause, date(2026, 10, 1)) == recency


@pytest.mark.parametrize("item,answer", [("Fever", "no"), ("Cancer", "yes"), ("Trauma", "no")])
def test_checklist_box_answers_for_its_item(item, answer):
    text = "Red flags reviewed: [ ] Fever [ ] Wt loss [x] Cancer hx [ ] Trauma"
    start = text.index(item)
    assert V.find_form_answer(text, start, start + len(item)) == answer


@pytest.mark.parametrize("text,source", [
    ("MRI contraindicated: [x] yes [ ] no", "form_field"),
    ("Onset: New", "form_field"),
    ("ADDENDUM 10/5: the device is MR conditional.", "addendum"),
    ("He has a pacemaker placed in 2019.", "narrative"),
])
def test_source(text, source):
    start = text.lower().find("mr") if "mr" in text.lower() else 0
    assert V.find_source(text, start, start + 2) == source


def test_form_field_ranks_below_narrative():
    _, facts = review("Prior authorization request 10/01/2026\nMRI contraindicated: [x] yes "
                      "[ ] no\nDevice: [x] pacemaker",
                      "Office note 10/01/2026. His pacemaker is MR-conditional; MRI was "
                      "discussed and can be done with device programming.")
    forms = [f for f in facts if f.source == Source.form_field]
    assert forms
    unsafe = [f for f in facts if f.kind == "mri_contraindicated"
              and f.value.get("reason") == "pacemaker" and f.assertion == Assertion.present]
    assert unsafe and all(f.superseded for f in unsafe)


@pytest.mark.parametrize("clause,recency", [
    ("fell 2 weeks ago", "remote"),           # in a note written in 2005
    ("a second work injury in May of 2005", "remote"),  # the year is stated: not this May
    ("slipped on a wet floor", "remote"),     # undated, but the note itself is years old
])
def test_recency_is_judged_at_the_request(clause, recency):
    assert V.find_recency(clause, date(2005, 4, 18), now=date(2026, 10, 15)) == recency


@pytest.mark.parametrize("text,dates", [
    ("Motor strength appears 5/5 strength", []),
    ("EHL 4/5 on the right", []),
    ("seen on 5/5 for follow up", [date(2026, 5, 5)]),
])
def test_strength_grades_are_not_dates(text, dates):
    assert [f.value for f in V.find_dates(text, date(2026, 10, 1))] == dates


@pytest.mark.parametrize("line,answer", [
    ("Injury / trauma:   [ ] Y   [X] N", "no"),
    ("Injury / trauma:   [X] Y   [ ] N", "yes"),
    ("Injury / trauma:   [ ] Yes   [x] No", "no"),
    ("Injury / trauma: yes, fell on the ice", "yes"),
])
def test_a_yes_no_field_answers_by_its_ticked_box(line, answer):
    start = line.index("trauma")
    assert V.find_form_answer(line, start, start + len("trauma")) == answer


@pytest.mark.parametrize("clause,days", [
    ("L L5 radiculopathy, onset this spring, no trauma.", 57),
    ("pain since 5/1/26", 41),
    ("new onset low back pain, no injury", None),  # "onset" with no time after it
])
def test_onset_phrases_give_a_duration(clause, days):
    found = V.find_durations(clause, date(2026, 6, 11))
    assert (found[0].value.days if found else None) == days


@pytest.mark.parametrize("text,result", [
    ("MRI completed without difficulty and showed mild L4-5 degeneration", "abnormal"),
    ("CT without evidence of fracture", "normal"),  # counterexample: a real denial
    ("MRI without contrast: no stenosis, no herniation", "normal"),
])
def test_without_difficulty_is_no_denial_of_a_finding(text, result):
    assert V.find_imaging_result(text) == result


@pytest.mark.parametrize("text,abnormal", [
    ("ESR | 48 mm/hr | H | 0-20", True),
    ("CRP 3.1 mg/dL H <0.5", True),
    ("ESR 12 mm/hr Hemolyzed", False),  # counterexample: a word starting with H is no flag
    ("WBC 7.2 N 4-11", False),
])
def test_a_lab_tables_bare_h_flag_marks_a_value_high(text, abnormal):
    assert V.read_lab(text)[1] is abnormal
