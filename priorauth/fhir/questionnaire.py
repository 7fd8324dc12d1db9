"""The policy tree of ``scoring/policy.yaml`` as a FHIR R4 ``Questionnaire``.

One ``choice`` item per criterion node, nested as the tree, ``linkId`` = the criterion id,
``prefix`` = the id too, ``text`` = the policy's wording; the answers are codes of our
criterion-status CodeSystem (met / not-met / unknown). Inner nodes carry how their children
combine (ALL / ANY) in an extension. Around the criteria:

- ``request``: the request as reviewed (CPT codes, region, request date, age, sex);
- ``determination``, ``reasons``, ``missing`` (the documentation to ask the provider for),
  ``alerts`` and ``notes``.

``enableWhen`` says what the policy's structure implies: a criterion of one spinal region
(``ind.2`` lumbar, ``ind.7``/``ind.15.2.3``/``non.2`` cervical) applies only when the
requested region is that one, or any region, or not covered by the policy; ``missing`` only
when the determination is insufficient documentation. A response leaves disabled items out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.questionnaire import (
    Questionnaire,
    QuestionnaireItem,
    QuestionnaireItemAnswerOption,
    QuestionnaireItemEnableWhen,
)

from priorauth.fhir import codes
from priorauth.models import Determination, Status
from priorauth.models.policy import Node, Policy

#: linkIds of the items around the criteria (criterion ids start with "ind." or "non.").
REQUEST = "request"
REQUEST_CPT = "request.cpt"
REQUEST_REGION = "request.region"
REQUEST_DATE = "request.date"
REQUEST_AGE = "request.age"
REQUEST_SEX = "request.sex"
INDICATIONS = "indications"
NON_INDICATIONS = "non-indications"
DETERMINATION = "determination"
REASONS = "reasons"
MISSING = "missing"
MISSING_INDICATION = "missing.indication"
MISSING_UNKNOWN = "missing.unknown"
ALERTS = "alerts"
NOTES = "notes"

REGIONS = ("cervical", "thoracic", "lumbar", "any")
SEXES = ("F", "M", "U")


def status_coding(status: Status) -> Coding:
    """The answer coding of a criterion status."""
    code, display = codes.STATUS_CODES[status]
    return Coding(system=codes.STATUS_SYSTEM, code=code, display=display)


def determination_coding(determination: Determination) -> Coding:
    """The answer coding of a determination."""
    code, display = codes.DETERMINATION_CODES[determination]
    return Coding(system=codes.DETERMINATION_SYSTEM, code=code, display=display)


def _name(policy_id: str) -> str:
    """A computer-friendly name (``[A-Z][A-Za-z0-9_]*``) from the policy id."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", policy_id) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Policy"
    return name if name[0].isalpha() else "Policy" + name


def _criterion_item(node: Node) -> QuestionnaireItem:
    extension = None
    if node.op is not None:
        extension = [Extension(url=codes.COMBINATION_EXTENSION, valueCode=node.op.lower())]
    enable_when, behavior = None, None
    if node.region is not None:  # the scorer's rule: other regions make the node not apply
        enable_when = [
            QuestionnaireItemEnableWhen(question=REQUEST_REGION, operator="=",
                                        answerString=node.region),
            QuestionnaireItemEnableWhen(question=REQUEST_REGION, operator="=",
                                        answerString="any"),
            QuestionnaireItemEnableWhen(question=REQUEST_REGION, operator="exists",
                                        answerBoolean=False),
        ]
        behavior = "any"
    return QuestionnaireItem(
        linkId=node.id, prefix=node.id, text=node.text, type="choice", extension=extension,
        enableWhen=enable_when, enableBehavior=behavior,
        answerOption=[QuestionnaireItemAnswerOption(valueCoding=status_coding(s))
                      for s in Status],
        item=[_criterion_item(child) for child in node.children] or None)


def _strings(link_id: str, text: str, options: Sequence[str] = (), *,
             repeats: bool = False) -> QuestionnaireItem:
    return QuestionnaireItem(
        linkId=link_id, text=text, type="choice" if options else "string",
        repeats=repeats or None, readOnly=True,
        answerOption=[QuestionnaireItemAnswerOption(valueString=o) for o in options] or None)


def build_questionnaire(policy: Policy) -> Questionnaire:
    """The Questionnaire of ``policy`` (see the module docstring)."""
    policy_id, version = policy.policy["id"], policy.policy["version"]
    request = QuestionnaireItem(linkId=REQUEST, text="The request as reviewed", type="group",
                                item=[
        QuestionnaireItem(linkId=REQUEST_CPT, text="Requested procedure codes (CPT)",
                          type="open-choice", repeats=True, readOnly=True,
                          answerOption=[QuestionnaireItemAnswerOption(
                              valueCoding=Coding(system=codes.CPT_SYSTEM, code=code))
                              for code in _policy_cpt()]),
        _strings(REQUEST_REGION, "Spinal region the requested codes image (none: no "
                 "requested code is covered by the policy)", REGIONS),
        QuestionnaireItem(linkId=REQUEST_DATE, text="Request date (time windows are counted "
                          "back from it)", type="date", readOnly=True),
        QuestionnaireItem(linkId=REQUEST_AGE, text="Patient age in years on the request date",
                          type="integer", readOnly=True),
        _strings(REQUEST_SEX, "Patient sex", SEXES),
    ])
    indications = QuestionnaireItem(
        linkId=INDICATIONS, type="group",
        text="Indications: CT of the spine is appropriate when ANY is met",
        item=[_criterion_item(node) for node in policy.indications])
    non_indications = QuestionnaireItem(
        linkId=NON_INDICATIONS, type="group",
        text="Non-indications: CT of the spine is not appropriate if ANY is met",
        item=[_criterion_item(node) for node in policy.non_indications])
    determination = QuestionnaireItem(
        linkId=DETERMINATION, type="choice", readOnly=True,
        text="Recommendation of the automated pre-review (it never denies)",
        answerOption=[QuestionnaireItemAnswerOption(valueCoding=determination_coding(d))
                      for d in Determination])
    missing = QuestionnaireItem(
        linkId=MISSING, type="group", repeats=True,
        text="Missing documentation: for an indication in play, the criteria the chart says "
             "nothing about (ask the provider for them)",
        enableWhen=[QuestionnaireItemEnableWhen(
            question=DETERMINATION, operator="=",
            answerCoding=determination_coding(Determination.insufficient_documentation))],
        item=[_strings(MISSING_INDICATION, "Indication in play"),
              _strings(MISSING_UNKNOWN, "Criteria still unknown", repeats=True)])
    return Questionnaire(
        id=f"{policy_id}-{version}",
        url=codes.questionnaire_url(policy_id), version=version, name=_name(policy_id),
        title=f"CT of the spine: prior-authorization criteria ({policy_id} v{version})",
        status="active", subjectType=["Patient"], publisher="priorauth",
        description=("The criteria of the payer policy as questions, answered met / not met "
                     "/ unknown from the chart with the quotes behind each answer. "
                     + codes.STATEMENT),
        item=[request, indications, non_indications, determination,
              _strings(REASONS, "Why this recommendation", repeats=True), missing,
              _strings(ALERTS, "Check first: alerts about the chart as received",
                       repeats=True),
              _strings(NOTES, "Policy notes the chart triggers", repeats=True)])


def _policy_cpt() -> list[str]:
    from priorauth.models.request import POLICY_CPT

    return sorted(POLICY_CPT)


def questionnaire_json(policy: Policy | None = None) -> str:
    """The Questionnaire as JSON text (the packaged policy by default); same bytes each run."""
    if policy is None:
        from priorauth.scoring.tree import load_policy

        policy = load_policy()
    return build_questionnaire(policy).model_dump_json(indent=2) + "\n"


# ------------------------------------------------------------------------------ enableWhen


def walk(items: Iterable[QuestionnaireItem] | None) -> Iterable[QuestionnaireItem]:
    """Every item, depth first, in order."""
    for item in items or ():
        yield item
        yield from walk(item.item)


def _matches(condition: QuestionnaireItemEnableWhen, values: Sequence[object]) -> bool:
    if condition.operator == "exists":
        return bool(values) == bool(condition.answerBoolean)
    wanted: object
    found: list[object]
    if condition.answerCoding is not None:
        wanted = (condition.answerCoding.system, condition.answerCoding.code)
        found = [(v.system, v.code) for v in values if isinstance(v, Coding)]
    elif condition.answerString is not None:
        wanted, found = condition.answerString, [v for v in values if isinstance(v, str)]
    else:
        raise ValueError(f"enableWhen on {condition.question}: only Coding, string and exists "
                         "conditions are evaluated here")
    if condition.operator == "=":
        return wanted in found
    if condition.operator == "!=":
        return bool(found) and wanted not in found
    raise ValueError(f"enableWhen on {condition.question}: operator {condition.operator!r} is "
                     "not evaluated here")


def is_enabled(item: QuestionnaireItem, answers: Mapping[str, Sequence[object]]) -> bool:
    """Whether ``item`` is enabled given ``answers`` (linkId -> answer values: ``Coding`` or
    ``str``); an item without ``enableWhen`` always is."""
    if not item.enableWhen:
        return True
    results = [_matches(c, answers.get(c.question or "", ())) for c in item.enableWhen]
    return any(results) if item.enableBehavior == "any" else all(results)
