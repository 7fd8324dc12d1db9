"""Leaf predicates: each decides one leaf met / not_met / unknown from facts.

Every predicate is a pure function ``(ctx, **options) -> LeafResult`` registered by name;
``scoring/policy.yaml`` names them. Assertions: ``present`` counts; ``possible`` counts
where the criterion says "suspected" (option ``possible``); ``historical`` counts for
standing conditions (option ``historical``); ``hypothetical`` counts for planning
criteria (option ``hypothetical``); ``negated`` contradicts; ``family`` never counts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from priorauth.models import Assertion, Fact, Recency, Source
from priorauth.models.kinds import DEVICE_REASONS, fact_kinds
from priorauth.scoring.context import LeafResult, ScoringContext

MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"
CITE = 6  # at most this many facts cited for one reason

Predicate = Callable[..., LeafResult]
PREDICATES: dict[str, Predicate] = {}

A = Assertion
DONE = (A.present, A.historical)


def predicate(name: str) -> Callable[[Predicate], Predicate]:
    """Register a predicate under ``name``."""

    def register(func: Predicate) -> Predicate:
        PREDICATES[name] = func
        return func

    return register


def _matches(fact: Fact, where: dict | None, exclude: dict | None) -> bool:
    for key, allowed in (where or {}).items():
        if fact.value.get(key) not in allowed:
            return False
    for key, banned in (exclude or {}).items():
        if fact.value.get(key) in banned:
            return False
    return True


def _counting(possible: bool, historical: bool, hypothetical: bool) -> set[Assertion]:
    counts = {A.present}
    if possible:
        counts.add(A.possible)
    if historical:
        counts.add(A.historical)
    if hypothetical:
        counts.add(A.hypothetical)
    return counts


def _split(facts: Iterable[Fact], counts: set[Assertion]) -> tuple[list[Fact], list[Fact]]:
    positive = [f for f in facts if f.assertion in counts]
    negative = [f for f in facts if f.assertion == A.negated]
    return positive, negative


def _kinds_text(kinds: Iterable[str]) -> str:
    return ", ".join(kinds)


def _count(facts: list[Fact], what: str) -> str:
    more = f" ({len(facts)} mentions, first {CITE} cited)" if len(facts) > CITE else ""
    return f"{facts[0].kind} {what}{more}"


@predicate("fact")
def fact_present(ctx: ScoringContext, *, kinds: list[str], where: dict | None = None,
                 exclude: dict | None = None, possible: bool = False,
                 historical: bool = False, hypothetical: bool = False) -> LeafResult:
    """Met on a counting mention of ``kinds``; not_met on a negated one; else unknown."""
    facts = [f for f in ctx.of(*kinds) if _matches(f, where, None)]
    counts = _counting(possible, historical, hypothetical)
    positive, negative = _split(facts, counts)
    positive = [f for f in positive if _matches(f, None, exclude)]
    excluded = [f for f in facts if f.assertion in counts and not _matches(f, None, exclude)]
    if not negative and not where:
        kinds_spec = fact_kinds().kinds
        broader = [kinds_spec[k].broader for k in kinds if k in kinds_spec]
        negative = [f for f in ctx.of(*[b for b in broader if b]) if f.assertion == A.negated]
    if positive:
        return LeafResult(MET, tuple(positive[:CITE]), _count(positive, "documented"))
    if negative or excluded:
        found = negative + excluded
        return LeafResult(NOT_MET, tuple(found[:CITE]), _count(found, "denied or ruled out"))
    return LeafResult(UNKNOWN, (), f"no mention of {_kinds_text(kinds)}")


@predicate("all_facts")
def all_facts(ctx: ScoringContext, *, kinds: list[str], possible: bool = False,
              historical: bool = False, with_imaging: dict | None = None) -> LeafResult:
    """Met when every kind is documented (and the imaging, if asked); not_met if one is denied."""
    results = [fact_present(ctx, kinds=[k], possible=possible, historical=historical)
               for k in kinds]
    if with_imaging:
        results.append(imaging_result(ctx, **with_imaging))
    return _combine_all(results)


def _combine_all(results: list[LeafResult]) -> LeafResult:
    facts = tuple(f for r in results for f in r.facts)
    if any(r.status == NOT_MET for r in results):
        bad = [r for r in results if r.status == NOT_MET]
        return LeafResult(NOT_MET, tuple(f for r in bad for f in r.facts),
                          "; ".join(r.reason for r in bad))
    if all(r.status == MET for r in results):
        return LeafResult(MET, facts, "; ".join(r.reason for r in results))
    return LeafResult(UNKNOWN, (), "; ".join(r.reason for r in results if r.status == UNKNOWN))


@predicate("age")
def age_between(ctx: ScoringContext, *, min: int, max: int) -> LeafResult:  # noqa: A002
    """Patient age (request, else chart) inside [min, max]."""
    if ctx.age is None:
        return LeafResult(UNKNOWN, (), "age not given")
    status = MET if min <= ctx.age <= max else NOT_MET
    return LeafResult(status, _age_facts(ctx), f"age {ctx.age}")


def _age_facts(ctx: ScoringContext) -> tuple[Fact, ...]:
    return tuple(f for f in ctx.of("age") if f.assertion == A.present)[:CITE]




def _is_study(fact: Fact) -> bool:
    """An imaging mention that reports a study: it has a date or a result."""
    return fact.value.get("date") is not None or fact.value.get("result") is not None


MRI_WORDS = re.compile(r"\bMR(?:I|A)?\b|magnetic resonance|\bscanner\b|\bmagnet", re.I)


@predicate("mri_not_possible")
def mri_not_possible(ctx: ScoringContext, *, indeterminate: bool) -> LeafResult:
    """MRI contraindicated / aborted (or indeterminate) vs MRI-conditional or diagnostic MRI."""
    # device statements that disagree were resolved across the chart (extract/resolve.py):
    # the gate of ctx.of leaves the superseded side out
    # a contrast allergy leaves an MRI without contrast possible
    contra = [f for f in ctx.of("mri_contraindicated") if f.assertion in DONE
              and f.value.get("reason") != "contrast_only"]
    conditional = [f for f in ctx.of("mri_conditional_device") if f.assertion in DONE]
    pending = [f for f in ctx.of("mri_conditional_device")
               if f.assertion in (A.possible, A.hypothetical)]
    if pending:
        # "MR-conditional status pending": a device named without a word about MRI no longer
        # says MRI cannot be done (the policy's note reads a pacemaker as supporting it)
        # "MRI safety not yet determined": a device or fragment the chart names without a
        # word about MRI does not decide it either
        contra = [f for f in contra
                  if f.value.get("reason") not in (*DEVICE_REASONS, "metal_fragments")
                  or MRI_WORDS.search(f.evidence.text)]
    # an MRI attempted (or ordered) that could not be done: MRI cannot be performed
    contra += [f for f in ctx.of("imaging") if f.assertion in (*DONE, A.hypothetical)
               and f.value.get("modality") == "mri" and f.value.get("result") == "aborted"]
    if indeterminate:
        contra += [f for f in ctx.of("imaging") if f.assertion in DONE
                   and f.value.get("modality") == "mri"
                   and f.value.get("result") in ("indeterminate", "equivocal")]
    against = list(conditional)
    if not pending:  # "no pacemaker" says nothing about the device whose status is pending
        against += [f for f in ctx.of("mri_contraindicated") if f.assertion == A.negated]
    diagnostic = [f for f in ctx.of("imaging") if f.assertion in DONE
                  and f.value.get("modality") == "mri" and (_is_study(f) or f.value.get("done"))
                  and f.value.get("result") not in ("indeterminate", "equivocal", "aborted")]
    against += diagnostic
    if contra and all(f.source == Source.form_field for f in contra) and any(
            f.source != Source.form_field for f in against):
        # "MRI contraindicated: [x] Yes" on a request form against the signed note's "MRI
        # done without trouble": a form field ranks below a clinician's narrative
        contra = []
    if contra:
        contra.sort(key=Fact.sort_key)
        reason = contra[0].value.get("reason") or contra[0].value.get("result") or "documented"
        return LeafResult(MET, tuple(contra), f"MRI not possible: {reason}")
    if against:
        against.sort(key=Fact.sort_key)
        why = ("MRI done and diagnostic" if diagnostic
               else "MRI-conditional device / no contraindication")
        return LeafResult(NOT_MET, tuple(against), why)
    return LeafResult(UNKNOWN, (), "MRI feasibility not documented")


THERAPY_FACT = "conservative_therapy"


def _therapy_facts(ctx: ScoringContext, therapies: list[str] | None) -> list[Fact]:
    facts = ctx.of(THERAPY_FACT)
    if therapies is not None:
        facts = tuple(f for f in facts if f.value.get("therapy") in therapies)
    return list(facts)


@predicate("conservative_tried")
def conservative_tried(ctx: ScoringContext, *, therapies: list[str],
                       window_days: int) -> LeafResult:
    """A therapy of ``therapies`` done inside the window (planned only or denied: not_met)."""
    facts = _therapy_facts(ctx, therapies)
    done = [f for f in facts if f.assertion in DONE]
    # definition A: a home exercise program counts with documented compliance
    given_only = [f for f in done if f.value.get("compliance") is False]
    done = [f for f in done if f.value.get("compliance") is not False]
    inside = [f for f in done if ctx.in_window(f, window_days) is not False]
    if inside:
        return LeafResult(MET, tuple(inside), f"{inside[0].value.get('therapy')} documented")
    if given_only and not done:
        return LeafResult(UNKNOWN, (), "home exercise program given; the patient's compliance "
                          "is not documented")
    if done:
        return LeafResult(UNKNOWN, (), f"{done[0].value.get('therapy')} only before the "
                          f"{window_days}-day window")
    against = [f for f in facts if f.assertion in (A.negated, A.hypothetical)]
    if against:
        return LeafResult(NOT_MET, tuple(against), "not done (denied or only planned)")
    return LeafResult(UNKNOWN, (), f"no {_kinds_text(therapies)} documented")


@predicate("conservative_failed")
def conservative_failed(ctx: ScoringContext, *, min_days: int, window_days: int) -> LeafResult:
    """At least ``min_days`` of conservative treatment inside the window, documented as failed."""
    facts = _therapy_facts(ctx, None)
    done = [f for f in facts if f.assertion in DONE]
    inside = [f for f in done if ctx.in_window(f, window_days) is not False]
    if any(f.source != Source.form_field and f.value.get("days") is not None for f in inside):
        # "[X] Failed conservative treatment >= 6 weeks" on the request form against therapy
        # the notes date: the form states the conclusion, the notes document the treatment
        inside = [f for f in inside if f.source != Source.form_field]
    failed_any = [f for f in inside if f.value.get("outcome") == "failed"]
    long_enough = [f for f in inside if (f.value.get("days") or 0) >= min_days]
    failed_long = [f for f in long_enough if f.value.get("outcome") == "failed"]
    if failed_long:
        first = failed_long[0]
        return LeafResult(MET, tuple(failed_long[:CITE]), f"{first.value.get('therapy')} "
                          f"{first.value.get('days')} days, failed")
    for fact in long_enough:
        if fact.value.get("outcome") is None and failed_any:
            return LeafResult(MET, (fact, failed_any[0]),
                              f"{fact.value.get('therapy')} {fact.value.get('days')} days; "
                              "failure documented")
    if not inside:
        if done:
            return LeafResult(UNKNOWN, (), f"treatment only before the {window_days}-day window")
        against = [f for f in facts if f.assertion in (A.negated, A.hypothetical)]
        if against:
            return LeafResult(NOT_MET, tuple(against), "no conservative treatment done yet")
        return LeafResult(UNKNOWN, (), "no conservative treatment documented")
    known = [f for f in inside if f.value.get("days") is not None]
    if known and not long_enough:
        longest = max(known, key=lambda f: f.value["days"])
        return LeafResult(NOT_MET, (longest,),
                          f"longest documented treatment {longest.value['days']} days "
                          f"< {min_days}")
    outcomes = [f.value.get("outcome") for f in inside if f.value.get("outcome")]
    if outcomes and all(o == "improved" for o in outcomes):
        improved = [f for f in inside if f.value.get("outcome") == "improved"]
        return LeafResult(NOT_MET, tuple(improved), "treatment helped")
    if long_enough:
        return LeafResult(UNKNOWN, (), "duration documented, failure not documented")
    return LeafResult(UNKNOWN, (), "duration of treatment not documented")


TRAUMA_FACT = "trauma"


def _trauma(ctx: ScoringContext) -> tuple[list[Fact], list[Fact]]:
    """Trauma documented and trauma denied; a named mechanism (fall, vehicle) is cited
    before the bare word "trauma" (a report heading, a referring service)."""
    facts = sorted(ctx.of(TRAUMA_FACT), key=lambda f: (f.value.get("mechanism") == "trauma",
                                                        f.sort_key()))
    present = [f for f in facts if f.assertion in DONE]
    denied = [f for f in facts if f.assertion == A.negated]
    return present, denied


def _old_injury(ctx: ScoringContext, hurt: list[Fact]) -> list[Fact]:
    """The chronic symptoms that make an undated injury an old one: no trauma mention is dated
    recent, and every pain or radiculopathy mention with an onset is chronic ("chronic low
    back pain since her industrial injury"). Empty when the injury may be recent."""
    if any(f.recency == Recency.recent for f in hurt):
        return []
    new, chronic = _onset_split([f for f in ctx.of("pain", "radiculopathy")
                                 if f.assertion == A.present])
    return [] if new else chronic


def _onset_split(symptoms: list[Fact]) -> tuple[list[Fact], list[Fact]]:
    """(new, chronic) mentions. A symptom the chart calls chronic anywhere is not new because
    a flare of it is new or worse ("chronic LBP since 2012 ... flare for 10 days"); another
    kind may still be new ("chronic back pain, new radicular pain")."""
    chronic = [f for f in symptoms if _is_new(f) is False]
    chronic_kinds = {f.kind for f in chronic}
    new = [f for f in symptoms if _is_new(f) is True and f.kind not in chronic_kinds]
    return new, chronic


def _is_new(fact: Fact) -> bool | None:
    """New onset: a stated onset within ~6 months, or called new/acute/worsening; chronic:
    called chronic or present for over a year. A stated duration wins over the words."""
    days = fact.value.get("onset_days")
    if isinstance(days, int):
        if days <= 183:
            return True
        if days > 365:
            return False
    change = fact.value.get("change")
    if change in ("new", "worsening"):
        return True
    if change == "chronic":
        return False
    return None


@predicate("new_onset")
def new_onset(ctx: ScoringContext, *, kinds: list[str], trauma: str,
              significant: bool = False) -> LeafResult:
    """New-onset symptoms with no trauma (``trauma: absent``) or after trauma (``present``;
    with ``significant``, a low-velocity injury such as a fall from standing is not enough
    to decide it)."""
    symptoms = [f for f in ctx.of(*kinds) if f.assertion == A.present]
    new, chronic = _onset_split(symptoms)
    hurt, denied = _trauma(ctx)
    if trauma == "present" and significant and hurt:
        hurt = [f for f in hurt if f.value.get("velocity") != "low"]
        if not hurt:
            return LeafResult(UNKNOWN, (), "only a low-velocity injury is documented: whether "
                              "it was significant trauma is for the reviewer")
    if trauma == "absent":
        if hurt:
            return LeafResult(NOT_MET, tuple(hurt[:CITE]), "trauma documented")
        if new:
            return LeafResult(MET, tuple(new[:CITE]) + tuple(denied[:CITE]),
                              "new-onset symptom, no trauma documented")
        chronic_kinds = {f.kind for f in chronic}
        undated = sorted({f.kind for f in symptoms if f.kind not in chronic_kinds})
        if chronic and undated:
            # "chronic LBP for 20 years" says nothing about when the leg weakness began
            return LeafResult(UNKNOWN, (), f"onset of {', '.join(undated)} not documented "
                              f"(only {', '.join(sorted(chronic_kinds))} is chronic)")
        if chronic:
            return LeafResult(NOT_MET, tuple(chronic[:CITE]), "symptoms documented as chronic")
        return LeafResult(UNKNOWN, (), "onset of symptoms not documented")
    if denied and not hurt:
        return LeafResult(NOT_MET, tuple(denied[:CITE]), "trauma denied")
    if hurt and (new or (symptoms and not chronic)):
        used = new or symptoms
        return LeafResult(MET, tuple(used[:CITE]) + tuple(hurt[:CITE]), "symptom after trauma")
    if hurt and chronic:
        return LeafResult(NOT_MET, tuple(chronic[:CITE]), "symptoms predate the trauma")
    return LeafResult(UNKNOWN, (), "post-traumatic symptom not documented")


IMAGING_FACT = "imaging"


@predicate("imaging_result")
def imaging_result(ctx: ScoringContext, *, modalities: list[str], results: list[str],
                   region: str | None = None, injury: bool = False) -> LeafResult:
    """Imaging of ``modalities`` whose result is one of ``results`` (``any``: done at all);
    with ``injury``, a study that found only wear (``injury: False``) does not count."""
    facts = [f for f in ctx.of(IMAGING_FACT) if f.value.get("modality") in modalities
             and not (injury and f.value.get("injury") is False)]
    if region is not None:
        facts = [f for f in facts if f.value.get("region") in (None, region)]
    done = [f for f in facts if f.assertion in DONE]
    hits = [f for f in done if "any" in results or f.value.get("result") in results]
    if hits:
        return LeafResult(MET, tuple(hits), f"{hits[0].value.get('modality')} "
                          f"{hits[0].value.get('result') or 'done'}")
    decided = [f for f in done if f.value.get("result") is not None]
    negated = [f for f in facts if f.assertion == A.negated]
    if decided or negated:
        found = decided + negated
        return LeafResult(NOT_MET, tuple(found), "imaging result does not qualify")
    return LeafResult(UNKNOWN, (), f"no {_kinds_text(modalities)} result documented")


@predicate("trauma_imaging")
def trauma_imaging(ctx: ScoringContext, *, results: list[str],
                   region: str | None = None) -> LeafResult:
    """Trauma with initial imaging whose result is in ``results``."""
    if region is not None and ctx.region not in (region, "any", None):
        return LeafResult(NOT_MET, (), f"requested region is not {region}")
    hurt, denied = _trauma(ctx)
    if denied and not hurt:
        return LeafResult(NOT_MET, tuple(denied[:CITE]), "trauma denied")
    if not hurt:
        return LeafResult(UNKNOWN, (), "no trauma documented")
    old = _old_injury(ctx, hurt)
    if old:
        return LeafResult(NOT_MET, tuple(old[:CITE]), "symptoms documented as chronic and the "
                          "injury is not dated: no acute trauma to follow up")
    image = imaging_result(ctx, modalities=["xray", "ct", "mri"], results=results, injury=True)
    return _combine_all([LeafResult(MET, tuple(hurt[:CITE]), "trauma documented"), image])


@predicate("trauma_suspicion")
def trauma_suspicion(ctx: ScoringContext, *, kinds: list[str]) -> LeafResult:
    """Trauma with a suspected or confirmed injury of ``kinds``."""
    hurt, denied = _trauma(ctx)
    if denied and not hurt:
        return LeafResult(NOT_MET, tuple(denied[:CITE]), "trauma denied")
    injury = fact_present(ctx, kinds=kinds, possible=True)
    if not hurt:
        return LeafResult(UNKNOWN, (), "no trauma documented")
    old = _old_injury(ctx, hurt)
    if old:
        return LeafResult(NOT_MET, tuple(old[:CITE]), "symptoms documented as chronic and the "
                          "injury is not dated: no acute trauma to follow up")
    # "follow-up to inconclusive imaging": the first study must have been inconclusive
    inconclusive = imaging_result(ctx, modalities=["xray", "ct", "mri"],
                                  results=["indeterminate", "equivocal"])
    return _combine_all([LeafResult(MET, tuple(hurt[:CITE]), "trauma documented"), injury,
                         inconclusive])


@predicate("pediatric_trauma")
def pediatric_trauma(ctx: ScoringContext, *, regions: list[str]) -> LeafResult:
    """Suspected thoracolumbar trauma in a child."""
    if ctx.region not in (*regions, "any", None):
        return LeafResult(NOT_MET, (), "requested region is not thoracolumbar")
    child = age_between(ctx, min=0, max=17)
    hurt, denied = _trauma(ctx)
    trauma = (LeafResult(MET, tuple(hurt[:CITE]), "trauma documented") if hurt else
              LeafResult(NOT_MET, tuple(denied[:CITE]), "trauma denied") if denied else
              LeafResult(UNKNOWN, (), "no trauma documented"))
    return _combine_all([child, trauma])


@predicate("post_traumatic_pain_high_risk")
def post_traumatic_pain_high_risk(ctx: ScoringContext) -> LeafResult:
    """Post-traumatic pain in an elderly, osteoporotic or steroid-treated patient."""
    hurt, denied = _trauma(ctx)
    if denied and not hurt:
        return LeafResult(NOT_MET, tuple(denied[:CITE]), "trauma denied")
    pain = fact_present(ctx, kinds=["pain"])
    risk = [age_between(ctx, min=65, max=200),
            fact_present(ctx, kinds=["osteoporosis"], historical=True),
            fact_present(ctx, kinds=["chronic_steroid_use"])]
    risk_met = [r for r in risk if r.status == MET]
    if not hurt:
        return LeafResult(UNKNOWN, (), "no trauma documented")
    if risk_met:
        risk_result = risk_met[0]
    elif all(r.status == NOT_MET for r in risk):
        risk_result = LeafResult(NOT_MET, (), "no high-risk factor")
    else:
        risk_result = LeafResult(UNKNOWN, (), "high-risk factor not documented")
    # "without acute findings on initial imaging": a spinal study read normal or stable
    initial = imaging_result(ctx, modalities=["xray", "ct", "mri"], results=["normal", "stable"])
    return _combine_all([LeafResult(MET, tuple(hurt[:CITE]), "trauma documented"), pain,
                         risk_result, initial])


@predicate("postoperative_new_neuro")
def postoperative_new_neuro(ctx: ScoringContext) -> LeafResult:
    """Prior spine surgery with new or worsening neurological symptoms."""
    surgery = fact_present(ctx, kinds=["spine_procedure"], historical=True)
    neuro_kinds = ["myelopathy_sign", "objective_weakness", "dermatomal_sensory_loss",
                   "radiculopathy", "neuro_symptom"]
    neuro = fact_present(ctx, kinds=neuro_kinds, where={"change": ["new", "worsening"]})
    if neuro.status == MET:
        # new or worse after the operation, not the symptoms that led to it
        neuro = fact_present(ctx, kinds=neuro_kinds, where={"postoperative": [True]})
        if neuro.status != MET:
            neuro = LeafResult(UNKNOWN, (), "new symptoms not dated after the operation")
    return _combine_all([surgery, neuro])


@predicate("pediatric_red_flags")
def pediatric_red_flags(ctx: ScoringContext, *, max_age: int) -> LeafResult:
    """Back or neck pain in a child with red flags."""
    return _combine_all([age_between(ctx, min=0, max=max_age),
                         fact_present(ctx, kinds=["pain"]),
                         fact_present(ctx, kinds=["pediatric_red_flag", "fever"])])


@predicate("toe_walking_child")
def toe_walking_child(ctx: ScoringContext, *, max_age_years: float) -> LeafResult:
    """Toe walking in a young child."""
    return _combine_all([age_between(ctx, min=0, max=int(max_age_years)),
                         fact_present(ctx, kinds=["toe_walking"])])


def _advanced(ctx: ScoringContext, modalities: list[str]) -> tuple[list[Fact], list[Fact]]:
    """Advanced-imaging studies done, and denials ("no prior MRI", "no prior imaging")."""
    facts = [f for f in ctx.of(IMAGING_FACT) if f.value.get("modality") in modalities]
    done = [f for f in facts if f.assertion in DONE and _is_study(f)
            and f.value.get("result") != "aborted"]
    aborted = [f for f in facts if f.assertion in DONE and f.value.get("result") == "aborted"]
    negated = [f for f in ctx.of(IMAGING_FACT) if f.assertion == A.negated
               and f.value.get("modality") in (*modalities, "advanced")] + aborted
    return done, negated


@predicate("recent_same_region_imaging")
def recent_same_region_imaging(ctx: ScoringContext, *, window_days: int,
                               modalities: list[str]) -> LeafResult:
    """Advanced imaging of the requested region inside the window (a repeat request)."""
    done, negated = _advanced(ctx, modalities)
    recent = [f for f in done if ctx.in_window(f, window_days) is True]
    if recent:
        return LeafResult(MET, tuple(recent), "recent advanced imaging of the region")
    older = [f for f in done if ctx.in_window(f, window_days) is False]
    if (older and len(older) == len(done)) or (negated and not done):
        return LeafResult(NOT_MET, tuple(older or negated), "no recent advanced imaging")
    return LeafResult(UNKNOWN, (), "date of prior advanced imaging not documented")


CHANGE_KINDS = ("pain", "radiculopathy", "myelopathy_sign", "neuro_symptom",
                "objective_weakness", "dermatomal_sensory_loss", "bladder_dysfunction",
                "bowel_dysfunction", "saddle_anesthesia", "headache", "symptoms", "cord_injury")


def _started(fact: Fact) -> date | None:
    """The explicit start (or single date) of a treatment; None when the chart gives none."""
    for key in ("start", "date"):
        value = fact.value.get(key)
        if isinstance(value, str):
            return date.fromisoformat(value)
    return None


SINCE_IMAGING = re.compile(r"\b(?:since|after) (?:the |his |her |that |this )?(?:\w+ )?"
                           r"(?:MRI|CT|scan|imaging|study)\b", re.I)


@predicate("recent_advanced_imaging_unchanged")
def recent_advanced_imaging_unchanged(ctx: ScoringContext, *, window_days: int) -> LeafResult:
    """non.1: CT/MRI of the region within the window, no treatment since, nothing new."""
    changed = sorted((f for f in ctx.of(*CHANGE_KINDS) if f.assertion == A.present
                      and f.value.get("change") in ("new", "worsening")),
                     key=lambda f: (not SINCE_IMAGING.search(f.evidence.text),
                                    f.value.get("change") != "worsening", f.sort_key()))
    done, negated = _advanced(ctx, ["ct", "mri"])
    # a non-diagnostic or aborted study answered nothing: imaging again is no repeat
    recent = [f for f in done if ctx.in_window(f, window_days) is True
              and f.value.get("result") not in ("indeterminate", "aborted")]
    if recent:
        imaged = max(ctx.when(f) for f in recent)
        # new or worse since the imaging: not a symptom whose stated onset, or whose note,
        # came before it ("pain since 7/20, noticed after a long drive" with an MRI in August)
        dated = [date.fromisoformat(f.value["date"]) for f in recent
                 if isinstance(f.value.get("date"), str)]
        if dated:
            changed = [f for f in changed if _not_before(f, max(dated))]
        treated = [f for f in _therapy_facts(ctx, None) if f.assertion in DONE
                   and (_started(f) or imaged) > imaged]
        # an injection, blood patch, ablation or course of antibiotics dated (or written up)
        # after the imaging
        treated += [f for f in ctx.of("interventional_treatment") if f.assertion == A.present
                    and (ctx.when(f) or imaged) > imaged]
        # an operation the chart reports (not "s/p", not planned) on or after the study's day:
        # an operative note cites the study the operation followed
        treated += [f for f in ctx.of("spine_procedure") if f.assertion == A.present
                    and (ctx.when(f) or imaged) >= imaged]
        if changed or treated:
            return LeafResult(NOT_MET, tuple((changed + treated)[:CITE]),
                              "new/worsening symptoms or treatment since the imaging")
        return LeafResult(MET, tuple(recent), "advanced imaging of the region within "
                          f"{window_days} days, nothing new since")
    older = [f for f in done if ctx.in_window(f, window_days) is False]
    no_recent = (older and len(older) == len(done)) or (negated and not done)
    operated = [f for f in ctx.of("spine_procedure") if f.assertion == A.present]
    if done and not older and operated:
        # an operative note with no dates: the study it cites came before the operation
        return LeafResult(NOT_MET, tuple(operated[:CITE]), "a spine operation since the imaging")
    if changed or no_recent:
        found = (negated + older)[:CITE] if no_recent else []
        why = [f"no advanced imaging of the region within {window_days} days"] if no_recent else []
        if changed:
            why.append("new or worsening symptoms")
        return LeafResult(NOT_MET, tuple(found) + tuple(changed[:CITE]), "; ".join(why))
    return LeafResult(UNKNOWN, (), "recent advanced imaging not documented")


def _not_before(fact: Fact, imaged: date) -> bool:
    """The change may have come after ``imaged``: its onset and its note are not before it."""
    if fact.note_date is not None and fact.note_date < imaged:
        return False
    days = fact.value.get("onset_days")
    if fact.note_date is not None and isinstance(days, int):
        return fact.note_date - timedelta(days=days) >= imaged
    return True


@predicate("chronic_pain")
def chronic_pain(ctx: ScoringContext, *, region: str) -> LeafResult:
    """Chronic pain of ``region`` (non.2)."""
    denied = [f for f in ctx.of("pain") if f.assertion == A.negated
              and f.value.get("region") == region]
    pain = [f for f in ctx.of("pain") if f.assertion == A.present
            and f.value.get("region") == region]
    chronic = [f for f in pain if _is_new(f) is False]
    if chronic:
        return LeafResult(MET, tuple(chronic[:CITE]), f"chronic {region} pain")
    new = [f for f in pain if _is_new(f) is True]
    if new:
        return LeafResult(NOT_MET, tuple(new[:CITE]), f"{region} pain is new or worsening")
    if denied and not pain:
        return LeafResult(NOT_MET, tuple(denied[:CITE]), f"{region} pain denied")
    return LeafResult(UNKNOWN, (), f"no chronic {region} pain documented")


@predicate("monitoring_without_change")
def monitoring_without_change(ctx: ScoringContext) -> LeafResult:
    """ind.16.2.3: with no change in symptoms, an established need for monitoring."""
    changed = [f for f in ctx.of(*CHANGE_KINDS) if f.assertion == A.present
               and f.value.get("change") in ("new", "worsening")]
    if changed:
        return LeafResult(NOT_MET, tuple(changed[:CITE]), "symptoms are new or worsening")
    return fact_present(ctx, kinds=["monitoring_need"])
