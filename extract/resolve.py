"""Chart-level resolution: when mentions of one topic disagree, which one stands.

A kind that declares ``resolve: TOPIC`` in ``rules/kinds.yaml`` takes part. Within a topic
each asserted mention states one side (e.g. "MRI contraindicated by the device" against "the
device is MR-conditional"); the mention that ranks highest stands and every mention of the
other side is marked ``superseded`` with the reason, so the scorer's gate leaves it out and the
fact list says which mention won and why. Rank, strongest last:

1. an explicit statement about the topic outranks a bare mention ("pacemaker" in a problem
   list says less about MRI than "MR-conditional system, cleared for MRI");
2. an addendum or correction outranks a narrative, which outranks a form field;
3. a later note outranks an earlier one (the note's date of service);
4. a later document of the chart, then a later position in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial

from priorauth.models import Assertion, Fact, Source
from priorauth.models.kinds import DEVICE_REASONS, fact_kinds

SOURCE_RANK = {Source.form_field: 0, Source.narrative: 1, Source.addendum: 2}
ASSERTED = (Assertion.present, Assertion.historical)
MRI_WORDS = re.compile(r"\bMR(?:I|A)?\b|magnetic resonance", re.I)


DEVICE_WORDS = re.compile(r"\b(?:pacemaker|pacer|defibrillator|(?-i:ICD|AICD|PPM)|device|"
                          r"implant\w*|stimulator|clip|leads?|generator)\b", re.I)


def _mri_device_side(fact: Fact) -> str | None:
    """``unsafe`` or ``conditional`` for a statement about MRI and an implanted device
    ("MRI contraindicated given pacemaker" counts, "MRI contraindicated: claustrophobia"
    does not); None otherwise."""
    if fact.kind == "mri_conditional_device":
        return "conditional"
    if fact.kind != "mri_contraindicated":
        return None
    reason = fact.value.get("reason")
    if reason in DEVICE_REASONS or (reason == "mri_not_possible"
                                    and DEVICE_WORDS.search(fact.evidence.text)):
        return "unsafe"
    return None


def _explicit_mri(fact: Fact) -> bool:
    return bool(MRI_WORDS.search(fact.evidence.text))


# topic -> (side of a fact or None, is the fact an explicit statement about the topic)
TOPICS: dict[str, tuple[Callable[[Fact], str | None], Callable[[Fact], bool]]] = {
    "mri_device_status": (_mri_device_side, _explicit_mri),
}


def _member_rank(member: tuple[int, str], *, facts: Sequence[Fact],
                 explicit: Callable[[Fact], bool], order: dict[str, int]) -> tuple:
    fact = facts[member[0]]
    return (explicit(fact), SOURCE_RANK[fact.source], fact.note_date or date.min,
            order.get(fact.evidence.document, 0), fact.evidence.page or 0, fact.evidence.start)


def _form_side(fact: Fact) -> tuple[str, str] | None:
    """What a mention says, as (aspect, side): its onset (new / chronic) or its existence."""
    change = fact.value.get("change")
    if change in ("new", "chronic") and fact.assertion in ASSERTED:
        return "onset", change
    if fact.assertion in ASSERTED:
        return "existence", "present"
    if fact.assertion == Assertion.negated:
        return "existence", "absent"
    return None


def _below_narrative(facts: list[Fact]) -> list[Fact]:
    """A form field (a ticked box, a "New / Chronic" tick) loses to a clinician's narrative
    that says the opposite about the same kind of thing (and region): "Onset: [x] New" on a
    request form against "low back pain for years" in the signed note."""
    said: dict[tuple, set[str]] = {}
    where: dict[tuple, Fact] = {}
    for fact in facts:
        side = _form_side(fact)
        if fact.source == Source.form_field or fact.superseded or side is None:
            continue
        key = (fact.kind, fact.value.get("region"), side[0])
        said.setdefault(key, set()).add(side[1])
        where.setdefault(key, fact)
    out = []
    for fact in facts:
        side = _form_side(fact) if fact.source == Source.form_field else None
        if side is not None:
            key = (fact.kind, fact.value.get("region"), side[0])
            if key in said and side[1] not in said[key]:
                winner = where[key]
                place = winner.evidence.document + (f" page {winner.evidence.page}"
                                                    if winner.evidence.page else "")
                fact = fact.model_copy(update={"superseded": (
                    f"superseded by {winner.kind} in {place}: a clinician's narrative says "
                    f"{'/'.join(sorted(said[key]))}; a form field ranks below it")})
        out.append(fact)
    return out


def resolve(facts: Sequence[Fact], documents: Sequence[str]) -> tuple[Fact, ...]:
    """``facts`` with the losers of every disagreement marked ``superseded``."""
    kinds = fact_kinds().kinds
    order = {name: i for i, name in enumerate(documents)}
    by_topic: dict[str, list[tuple[int, str]]] = {}
    for i, fact in enumerate(facts):
        spec = kinds.get(fact.kind)
        if spec is None or spec.resolve is None or fact.assertion not in ASSERTED:
            continue
        side = TOPICS[spec.resolve][0](fact)
        if side is not None:
            by_topic.setdefault(spec.resolve, []).append((i, side))
    out = list(facts)
    for topic, members in by_topic.items():
        if len({side for _, side in members}) < 2:
            continue
        explicit = TOPICS[topic][1]
        winner_i, winner_side = max(members, key=partial(_member_rank, facts=facts,
                                                         explicit=explicit, order=order))
        winner = facts[winner_i]
        where = winner.evidence.document + (f" page {winner.evidence.page}"
                                            if winner.evidence.page else "")
        when = f" ({winner.note_date.isoformat()})" if winner.note_date else ""
        why = (f"superseded by {winner.kind} in {where}{when}: "
               f"{'a later or more authoritative' if explicit(winner) else 'a later'} "
               f"statement says {winner_side}")
        for i, side in members:
            if side != winner_side:
                out[i] = facts[i].model_copy(update={"superseded": why})
    return tuple(_below_narrative(out))
