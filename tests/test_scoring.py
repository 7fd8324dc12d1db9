"""The pure scorer: facts + request -> statuses and the recommendation (determination.md)."""

from __future__ import annotations

from datetime import date

import pytest
from helpers import fact

from priorauth.models import Determination, ReviewRequest, Status
from priorauth.scoring import score
from priorauth.scoring.tree import load_policy

LUMBAR = ReviewRequest(cpt=("72131",), request_date=date(2026, 10, 14), age=57)
CERVICAL = ReviewRequest(cpt=("72125",), request_date=date(2026, 10, 14), age=57)


def ind1_facts(**therapy):
    pt = {"therapy": "physical_therapy", "days": 56, "outcome": "failed"} | therapy
    return [
        fact("pain", region="lumbar", change="new", onset_days=90),
        fact("mri_contraindicated", reason="pacemaker"),
        fact("conservative_therapy", **pt),
        fact("conservative_therapy", therapy="medication", drug_class="nsaid"),
    ]


def status(review, node):
    return review.criterion(node).status


def test_when_every_part_of_ind1_is_documented_then_meets_criteria():
    review = score(LUMBAR, ind1_facts())
    assert status(review, "ind.1") == Status.met
    assert review.determination == Determination.meets_criteria


def test_when_no_policy_code_is_requested_then_not_applicable():
    review = score(ReviewRequest(cpt=("70450",)), ind1_facts())
    assert review.determination == Determination.not_applicable
    assert review.request.region is None


def test_when_pt_lasted_three_weeks_then_duration_stem_is_not_met():
    review = score(LUMBAR, ind1_facts(days=21))
    assert status(review, "ind.1.2.0") == Status.not_met
    assert status(review, "ind.1.2.2") == Status.met
    assert review.determination == Determination.not_met


def test_when_pt_is_only_planned_then_pt_leaf_is_not_met():
    facts = ind1_facts()[:2] + [fact("conservative_therapy", "hypothetical",
                                     therapy="physical_therapy")]
    review = score(LUMBAR, facts)
    assert status(review, "ind.1.2.2") == Status.not_met


def test_when_pt_ended_before_the_six_month_window_then_pt_leaf_is_unknown_and_ind1_in_play():
    facts = ind1_facts(end="2026-02-13")
    review = score(LUMBAR, facts)
    assert status(review, "ind.1.2.2") == Status.unknown
    assert status(review, "ind.1.2.0") == Status.unknown
    assert review.determination == Determination.insufficient_documentation
    assert [m.indication for m in review.missing] == ["ind.1"]
    assert "ind.1.2.2" in review.missing[0].unknown


def test_when_mri_is_missing_from_the_chart_then_the_missing_list_asks_for_it():
    facts = [f for f in ind1_facts() if f.kind != "mri_contraindicated"]
    review = score(LUMBAR, facts)
    assert review.determination == Determination.insufficient_documentation
    assert review.missing[0].unknown == ("ind.1.1",)


def test_when_the_pacemaker_is_mri_conditional_then_mri_leaf_is_not_met():
    facts = [f for f in ind1_facts() if f.kind != "mri_contraindicated"]
    facts.append(fact("mri_conditional_device", reason="mri_conditional"))
    review = score(LUMBAR, facts)
    assert status(review, "ind.1.1") == Status.not_met
    assert review.determination == Determination.not_met


def test_when_trauma_is_documented_then_new_onset_without_trauma_is_not_met():
    review = score(LUMBAR, ind1_facts() + [fact("trauma", mechanism="fall", velocity="high")])
    assert status(review, "ind.1.0") == Status.not_met


def test_when_a_diagnostic_mri_of_another_region_exists_it_does_not_decide_the_lumbar_request():
    facts = [f for f in ind1_facts() if f.kind != "mri_contraindicated"]
    facts.append(fact("imaging", modality="mri", region="cervical", date="2026-08-10",
                      result="abnormal"))
    review = score(LUMBAR, facts)
    assert status(review, "ind.1.1") == Status.unknown


def test_when_a_recent_mri_of_the_region_is_unchanged_then_non1_is_met_and_never_approves():
    facts = [fact("pain", region="lumbar", change="chronic"),
             fact("imaging", modality="mri", region="lumbar", date="2026-09-09",
                  result="abnormal")]
    review = score(LUMBAR, facts + ind1_facts()[1:])
    assert status(review, "non.1") == Status.met
    assert review.determination == Determination.not_met


def test_chronic_neck_pain_counts_only_when_no_indication_is_met():
    alone = score(CERVICAL, [fact("pain", region="cervical", change="chronic")])
    assert status(alone, "non.2") == Status.met
    assert alone.determination == Determination.not_met
    with_indication = score(CERVICAL, [fact("pain", region="cervical", change="chronic"),
                                       fact("opll")])
    assert status(with_indication, "ind.14") == Status.met
    assert with_indication.determination == Determination.meets_criteria


def test_region_specific_indication_is_not_met_for_another_region():
    review = score(CERVICAL, [fact("spondylosis")])
    assert status(review, "ind.2") == Status.not_met
    assert "cervical" in review.criterion("ind.2").reason


def test_family_history_never_counts_for_the_patient():
    review = score(LUMBAR, [fact("spinal_neoplasm", "family", metastatic=True)])
    assert status(review, "ind.9.0") == Status.unknown


def test_every_met_or_not_met_leaf_carries_evidence_except_request_derived_ones():
    """Age and region come from the request, not the chart: the reason says so instead."""
    review = score(LUMBAR, ind1_facts() + [fact("trauma", "negated", mechanism="fall")])
    leaves = {n.id for n in load_policy().walk() if n.rule is not None}
    decided = [c for c in review.criteria if c.id in leaves and c.status != Status.unknown]
    assert len(decided) > 10
    for c in decided:
        if "age " in c.reason or "region" in c.reason:
            continue
        assert c.evidence, c.id


@pytest.mark.parametrize(("onset_days", "wanted"), [(70, Status.met), (10, Status.not_met)])
def test_non1_counts_a_new_symptom_only_when_it_began_after_the_imaging(onset_days, wanted):
    """'Pain since 7/20' noted on 10/1 began before the 8/25 MRI: nothing new since it. Pain
    that began ten days before the 10/1 note did come after it."""
    facts = [fact("pain", region="lumbar", change="new", onset_days=onset_days,
                  note_date=date(2026, 10, 1)),
             fact("imaging", modality="mri", region="lumbar", date="2026-08-25",
                  result="abnormal")]
    review = score(LUMBAR, facts)
    assert status(review, "non.1") == wanted


def test_a_denied_broader_symptom_denies_its_forms_and_a_found_one_proves_none():
    """'No change in bowel/bladder' denies fecal incontinence and urinary retention; new
    bowel urgency does not prove fecal incontinence (kinds.yaml: broader)."""
    denied = score(LUMBAR, [fact("bowel_dysfunction", "negated"),
                            fact("bladder_dysfunction", "negated")])
    assert status(denied, "ind.11.7.2.3") == Status.not_met
    assert status(denied, "ind.11.7.2.8") == Status.not_met
    found = score(LUMBAR, [fact("bowel_dysfunction")])
    assert status(found, "ind.11.7.2.3") == Status.unknown


def test_non1_ignores_a_recent_mri_that_was_non_diagnostic():
    """An MRI obscured by hardware answered nothing: a CT after it is no repeat study."""
    facts = [fact("pain", region="lumbar", change="chronic"),
             fact("imaging", modality="mri", region="lumbar", date="2026-09-09",
                  result="indeterminate")]
    assert status(score(LUMBAR, facts), "non.1") != Status.met


def _form(f):
    from priorauth.models import Source

    return f.model_copy(update={"source": Source.form_field})


def test_a_form_field_ranks_below_the_clinicians_narrative():
    """'MRI contraindicated: [x] Yes' and 'Onset: [x] New' on a request form against a signed
    note: pain for years, an MRI done without trouble (issue 14, source authority)."""
    from priorauth.extract.resolve import resolve

    facts = [_form(fact("mri_contraindicated", reason="mri_not_possible")),
             _form(fact("pain", region="lumbar", change="new")),
             fact("pain", region="lumbar", change="chronic"),
             fact("imaging", modality="mri", region="lumbar", date="2026-06-12",
                  result="abnormal")]
    resolved = resolve(facts, ["n.txt"])
    assert resolved[1].superseded and "form field ranks below" in resolved[1].superseded
    assert resolved[2].superseded is None
    review = score(LUMBAR, resolved)
    assert status(review, "ind.1.1") == Status.not_met
    assert status(review, "ind.1.0") == Status.not_met
    # counterexample: the form alone still speaks
    alone = score(LUMBAR, resolve(facts[:2], ["n.txt"]))
    assert status(alone, "ind.1.1") == Status.met
