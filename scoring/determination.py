"""Turn criterion results into the recommendation, per ``determination.md``.

The tool never denies: anything short of ``meets_criteria`` routes to a human reviewer.
"""

from __future__ import annotations

from collections.abc import Mapping

from priorauth.models import (
    Alert,
    AlertKind,
    Assertion,
    Determination,
    DocumentInfo,
    Fact,
    Missing,
    PolicyRef,
    RequestOut,
    Review,
    ReviewRequest,
    Status,
)
from priorauth.models.policy import Policy
from priorauth.scoring.context import ScoringContext
from priorauth.scoring.tree import NodeResult, evaluate, load_policy, to_criteria

CHRONIC_NECK_PAIN = "non.2"


def _unknown_leaves(result: NodeResult) -> list[str]:
    """Leaves still unknown that could change an unknown node (met subtrees skipped)."""
    if result.status != Status.unknown:
        return []
    if not result.children:
        return [result.node.id]
    return [leaf for child in result.children for leaf in _unknown_leaves(child)]


def _in_play(result: NodeResult) -> bool:
    keys = set(result.node.in_play)
    return any(r.node.id in keys and r.status == Status.met for r in result.walk())


def _notes(policy: Policy, ctx: ScoringContext) -> tuple[str, ...]:
    present = {f.kind for f in ctx.facts if f.assertion in (Assertion.present,
                                                             Assertion.historical)}
    out = []
    for note_id, note in sorted(policy.notes.items()):
        if any(k in present for k in note.kinds):
            out.append(note_id)
        elif note.pediatric and ctx.age is not None and ctx.age < 18:
            out.append(note_id)
    return tuple(out)


def score(request: ReviewRequest, facts: tuple[Fact, ...] | list[Fact], *,
          policy: Policy | None = None, documents: tuple[DocumentInfo, ...] = (),
          alerts: tuple[Alert, ...] = (),
          overrides: Mapping[str, Status] | None = None) -> Review:
    """Score every node of the policy and decide the recommendation. Pure function.

    ``overrides``: node id -> the status a reviewer set for it (see :func:`evaluate`); the
    tree and the determination follow them exactly as they follow the chart.
    """
    policy = policy or load_policy()
    facts = tuple(sorted(facts, key=Fact.sort_key))
    ctx = ScoringContext.build(request, facts)
    known = {n.id for n in policy.walk()}
    unknown_ids = sorted(set(overrides or {}) - known)
    if unknown_ids:
        raise KeyError(f"no policy node {', '.join(unknown_ids)}")
    ind = [evaluate(node, ctx, overrides) for node in policy.indications]
    non = [evaluate(node, ctx, overrides) for node in policy.non_indications]
    criteria = to_criteria(ind + non)
    missing: list[Missing] = []
    reasons: list[str] = []

    met_ind = [r.node.id for r in ind if r.status == Status.met]
    met_non = [r.node.id for r in non if r.status == Status.met
               and (r.node.id != CHRONIC_NECK_PAIN or not met_ind)]
    if ctx.region is None:
        determination = Determination.not_applicable
        reasons.append("no requested CPT code is in the policy's list (72125-72133, 76380)")
    elif met_non:
        determination = Determination.not_met
        reasons.extend(f"non-indication {n} is met: refer to a clinical reviewer" for n in met_non)
    elif met_ind and any(a.kind == AlertKind.thin_chart for a in alerts):
        determination = Determination.insufficient_documentation
        reasons.extend(f"indication {i} is met on a chart too thin to stand for a clinical "
                       "record: ask the provider for the office notes" for i in met_ind)
    elif met_ind and any(a.kind == AlertKind.unread_pages for a in alerts):
        determination = Determination.insufficient_documentation
        reasons.extend(f"indication {i} is met, but pages of the chart were not read (see "
                       "the alerts): a reviewer reads them before approving" for i in met_ind)
    elif met_ind:
        determination = Determination.meets_criteria
        reasons.extend(f"indication {i} is met" for i in met_ind)
    else:
        for r in ind:
            if r.status == Status.unknown and _in_play(r):
                missing.append(Missing(indication=r.node.id, unknown=tuple(_unknown_leaves(r))))
        if missing:
            determination = Determination.insufficient_documentation
            reasons.extend(f"indication {m.indication} is in play but not documented: ask for "
                           f"{', '.join(m.unknown)}" for m in missing)
        else:
            determination = Determination.not_met
            reasons.append("no indication is met or partially supported: refer to a "
                           "clinical reviewer")

    return Review(
        policy=PolicyRef(id=policy.policy["id"], version=str(policy.policy["version"])),
        request=RequestOut(cpt=request.cpt, request_date=ctx.request_date, age=ctx.age,
                           sex=request.sex, region=ctx.region),
        determination=determination,
        reasons=tuple(reasons),
        alerts=alerts,
        criteria=criteria,
        missing=tuple(missing),
        notes=_notes(policy, ctx),
        facts=facts,
        documents=documents,
    )


def rescore(review: Review, overrides: Mapping[str, Status] | None = None, *,
            policy: Policy | None = None) -> Review:
    """Score a finished review again from its own facts, request, documents and alerts, with a
    reviewer's ``overrides``; with none, the machine's review comes back unchanged. Pure."""
    request = ReviewRequest(cpt=review.request.cpt, request_date=review.request.request_date,
                            age=review.request.age,
                            sex=review.request.sex)
    return score(request, review.facts, policy=policy, documents=review.documents,
                 alerts=review.alerts, overrides=overrides)
