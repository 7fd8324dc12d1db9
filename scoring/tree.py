"""Load the policy tree and evaluate it: one small recursive function, three values."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml
from pydantic import ValidationError

from priorauth.models import CriterionResult, Evidence, Fact, Status
from priorauth.models.kinds import KINDS_FILE, KindFile, fact_kinds
from priorauth.models.policy import Node, Policy, PolicyFileError
from priorauth.scoring.context import LeafResult, ScoringContext
from priorauth.scoring.predicates import PREDICATES

POLICY_FILE = "policy.yaml"


def _check_rules(policy: Policy, source: str) -> None:
    for node in policy.walk():
        if node.rule is None:
            continue
        func = PREDICATES.get(node.rule.predicate)
        if func is None:
            raise PolicyFileError(
                f"{source}: node {node.id}: unknown predicate {node.rule.predicate!r}; "
                f"known: {', '.join(sorted(PREDICATES))}")
        params = inspect.signature(func).parameters
        for key in node.rule.options:
            if key not in params or key == "ctx":
                raise PolicyFileError(
                    f"{source}: node {node.id}: predicate {node.rule.predicate!r} has no "
                    f"option {key!r}; allowed: {', '.join(p for p in params if p != 'ctx')}")
        for name, param in params.items():
            if (name != "ctx" and param.default is inspect.Parameter.empty
                    and name not in node.rule.options):
                raise PolicyFileError(f"{source}: node {node.id}: predicate "
                                      f"{node.rule.predicate!r} needs option {name!r}")


# Options whose values are values of a fact kind: option -> (kind, value key).
VALUE_OPTIONS = {"results": ("imaging", "result"), "modalities": ("imaging", "modality"),
                 "therapies": ("conservative_therapy", "therapy")}


def _check_values(node: Node, source: str, kinds: KindFile) -> None:
    """Every kind and value a leaf names must be one the extractor can produce."""
    assert node.rule is not None
    options = node.rule.options

    def fail(what: str) -> None:
        raise PolicyFileError(f"{source}: node {node.id}: {what}")

    named = list(options.get("kinds") or [])
    for kind in named:
        if kind not in kinds.kinds:
            fail(f"unknown fact kind {kind!r} (declare it in {KINDS_FILE})")
    for key in ("where", "exclude"):
        for value_key, allowed in (options.get(key) or {}).items():
            for kind in named:
                for value in allowed:
                    if not kinds.kinds[kind].allows(value_key, value):
                        fail(f"{key}: fact kind {kind!r} never has {value_key}={value!r}")
    nested = options.get("with_imaging") or {}
    for option, (kind, value_key) in VALUE_OPTIONS.items():
        for value in [*(options.get(option) or []), *(nested.get(option) or [])]:
            if value != "any" and not kinds.kinds[kind].allows(value_key, value):
                fail(f"{option}: fact kind {kind!r} never has {value_key}={value!r}")


def parse_policy(text: str, *, source: str) -> Policy:
    """Parse and validate a policy file's text; errors name the file and the node."""
    try:
        data = yaml.safe_load(text)
        policy = Policy.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise PolicyFileError(f"{source}: {exc}") from exc
    _check_rules(policy, source)
    kinds = fact_kinds()
    for node in policy.walk():
        if node.rule is not None:
            _check_values(node, source, kinds)
    return policy


@cache
def load_policy() -> Policy:
    """The packaged policy (``scoring/policy.yaml``), validated once."""
    text = resources.files("priorauth.scoring").joinpath(POLICY_FILE).read_text("utf-8")
    return parse_policy(text, source=f"scoring/{POLICY_FILE}")


@dataclass(frozen=True)
class NodeResult:
    """A node's status with the results of its children."""

    node: Node
    status: Status
    facts: tuple[Fact, ...]
    reason: str
    children: tuple[NodeResult, ...] = ()
    region_excluded: bool = False

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def combine(op: str, statuses: list[Status]) -> Status:
    """ALL: not_met if any not_met, met if all met. ANY: met if any met, not_met if all not_met."""
    if op == "ALL":
        if Status.not_met in statuses:
            return Status.not_met
        return Status.met if all(s == Status.met for s in statuses) else Status.unknown
    if Status.met in statuses:
        return Status.met
    return Status.not_met if all(s == Status.not_met for s in statuses) else Status.unknown


def evaluate(node: Node, ctx: ScoringContext,
             overrides: Mapping[str, Status] | None = None) -> NodeResult:
    """Status of ``node`` and all its descendants (no short-circuit: every node is scored).

    ``overrides`` maps node ids to the status a reviewer set: that node takes it whatever the
    chart says (its reason names the override and the machine's status), and its parents are
    combined from it as from any other child. Pure: the same inputs, the same result.
    """
    result = _evaluate(node, ctx, overrides or {})
    return result


def _overridden(result: NodeResult, status: Status) -> NodeResult:
    why = f"reviewer set {status.value} (machine: {result.status.value}; {result.reason})"
    return NodeResult(result.node, status, result.facts, why, result.children,
                      region_excluded=result.region_excluded and status == Status.not_met)


def _evaluate(node: Node, ctx: ScoringContext, overrides: Mapping[str, Status]) -> NodeResult:
    result = _machine(node, ctx, overrides)
    wanted = overrides.get(node.id)
    if wanted is not None:
        return _overridden(result, Status(wanted))
    return result


def _machine(node: Node, ctx: ScoringContext, overrides: Mapping[str, Status]) -> NodeResult:
    if node.rule is not None:
        leaf: LeafResult = PREDICATES[node.rule.predicate](ctx, **node.rule.options)
        result = NodeResult(node, Status(leaf.status), leaf.facts, leaf.reason)
    else:
        children = tuple(_evaluate(child, ctx, overrides) for child in node.children)
        status = combine(node.op or "ALL", [c.status for c in children])
        decided = [c for c in children if c.status == status]
        reason = ", ".join(f"{c.node.id} {c.status.value}" for c in decided) or "no child decided"
        result = NodeResult(node, status, (), f"{node.op}: {reason}", children)
    if node.region is not None and ctx.region not in (node.region, "any", None):
        why = f"applies to {node.region} requests only; requested region is {ctx.region}"
        # the stem states the region ("spondylosis of the lumbar spine"): not met either
        children = tuple(NodeResult(c.node, Status.not_met, (), why, c.children,
                                    region_excluded=True) if c.node.id.endswith(".0") else c
                         for c in result.children)
        return NodeResult(node, Status.not_met, (), why, children, region_excluded=True)
    return result


def evidence_of(result: NodeResult) -> tuple[Evidence, ...]:
    """Evidence for a node: its own facts, or for inner nodes those of the deciding children."""
    if result.status == Status.unknown or result.region_excluded:
        return ()
    facts = list(result.facts)
    if result.children:
        for child in result.children:
            if child.status == result.status:
                facts.extend(f for r in child.walk() if r.status == child.status for f in r.facts)
    # one quote once, whatever it holds: per place, the fact first in Fact.sort_key order
    # (grouped before sorting: a big chart gives a node thousands of facts)
    first: dict[tuple, tuple[tuple[str, str], Fact]] = {}
    for fact in facts:
        ev = fact.evidence
        key = (ev.document, ev.page or 0, ev.start, ev.end)
        rank = (fact.kind, fact.rule_id)
        if key not in first or rank < first[key][0]:
            first[key] = (rank, fact)
    return tuple(first[key][1].evidence.model_copy(update={"fact": first[key][1].kind})
                 for key in sorted(first))


def to_criteria(results: list[NodeResult]) -> tuple[CriterionResult, ...]:
    """Flatten node results to the contract's criteria list, in outline order."""
    out = []
    for top in results:
        for r in top.walk():
            out.append(CriterionResult(id=r.node.id, status=r.status, text=r.node.text,
                                       evidence=evidence_of(r), reason=r.reason))
    return tuple(out)
