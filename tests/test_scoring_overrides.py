"""Reviewer corrections: the same pure scorer, with overrides, recomputes tree and determination."""

from __future__ import annotations

from datetime import date

import pytest
from helpers import fact

from priorauth.models import Determination, ReviewRequest, Status
from priorauth.scoring import rescore, score

LUMBAR = ReviewRequest(cpt=("72131",), request_date=date(2026, 10, 14), age=57)


def ind1_facts():
    return [
        fact("pain", region="lumbar", change="new", onset_days=90),
        fact("mri_contraindicated", reason="pacemaker"),
        fact("conservative_therapy", therapy="physical_therapy", days=56, outcome="failed"),
        fact("conservative_therapy", therapy="medication", drug_class="nsaid"),
    ]


def leaves_of(review, node_id):
    ids = [c.id for c in review.criteria if c.id.startswith(node_id + ".")]
    return [i for i in ids if not any(j.startswith(i + ".") for j in ids)]


def test_no_overrides_give_the_machine_review_byte_for_byte():
    facts = ind1_facts()
    machine = score(LUMBAR, facts)
    assert score(LUMBAR, facts, overrides={}).to_json() == machine.to_json()
    assert rescore(machine).to_json() == machine.to_json()


def test_a_met_leaf_set_not_met_undoes_the_indication_and_the_determination():
    machine = score(LUMBAR, ind1_facts())
    assert machine.determination == Determination.meets_criteria
    met_leaves = [i for i in leaves_of(machine, "ind.1")
                  if machine.criterion(i).status == Status.met]
    # find a met leaf whose loss un-meets ind.1 (an ALL branch)
    for leaf in met_leaves:
        corrected = rescore(machine, {leaf: Status.not_met})
        if corrected.criterion("ind.1").status != Status.met:
            break
    else:
        pytest.fail("no met leaf of ind.1 decides it")
    assert corrected.criterion(leaf).status == Status.not_met
    assert "reviewer set not_met (machine: met" in corrected.criterion(leaf).reason
    assert corrected.determination != Determination.meets_criteria
    # the machine's review is untouched (pure)
    assert machine.determination == Determination.meets_criteria
    assert machine.criterion(leaf).status == Status.met


def test_an_unknown_indication_set_met_by_the_reviewer_meets_criteria():
    machine = score(LUMBAR, [fact("pain", region="lumbar", change="new", onset_days=90)])
    assert machine.determination != Determination.meets_criteria
    corrected = rescore(machine, {"ind.1": Status.met})
    assert corrected.criterion("ind.1").status == Status.met
    assert corrected.determination == Determination.meets_criteria
    assert any("ind.1" in r for r in corrected.reasons)


def test_setting_unknown_on_a_met_inner_node_puts_the_indication_in_play():
    machine = score(LUMBAR, ind1_facts())
    corrected = rescore(machine, {"ind.1": Status.unknown})
    assert corrected.criterion("ind.1").status == Status.unknown
    assert corrected.determination == Determination.insufficient_documentation


def test_overriding_an_unknown_node_is_refused():
    with pytest.raises(KeyError, match="no policy node ind.99"):
        score(LUMBAR, ind1_facts(), overrides={"ind.99": Status.met})


def test_a_non_indication_set_met_routes_to_a_reviewer():
    machine = score(LUMBAR, ind1_facts())
    corrected = rescore(machine, {"non.1": Status.met})
    assert corrected.determination == Determination.not_met
