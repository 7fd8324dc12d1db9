"""A review as FHIR R4 (``--format fhir``): a ``collection`` Bundle of

- a ``QuestionnaireResponse`` answering the policy's Questionnaire
  (:mod:`priorauth.fhir.questionnaire`): the request, every criterion node that is enabled
  (met / not-met / unknown, each answer carrying its quotes in the evidence extension and the
  scorer's reason), the determination with its reasons, the missing documentation, the alerts
  and the policy notes;
- a ``Device``: this tool, with its version;
- a ``Provenance``: the response was authored by that device under the policy (canonical URL
  and version), from the request and the chart's documents, as an automated pre-review that
  recommends and never denies.

Same review, same bytes: ids are derived from a hash of the review, and the only time stated
(``authored``, ``recorded``) is the request date.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from decimal import Decimal

from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.device import Device, DeviceDeviceName, DeviceVersion
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.provenance import Provenance, ProvenanceAgent, ProvenanceEntity
from fhir.resources.R4B.questionnaire import Questionnaire, QuestionnaireItem
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)
from fhir.resources.R4B.reference import Reference

from priorauth import __version__
from priorauth.fhir import codes
from priorauth.fhir import questionnaire as q
from priorauth.models import Evidence, Review
from priorauth.models.policy import Policy

__all__ = ["render_fhir", "response_bundle"]

#: A document name that is a resource of the request bundle ("DocumentReference/doc1").
_RESOURCE_NAME = re.compile(r"(DocumentReference|Binary)/[A-Za-z0-9\-.]{1,64}")
#: When a review has no request date, Provenance.recorded (required) falls back to this.
_NO_DATE = date(1900, 1, 1)
_PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


def render_fhir(review: Review, *, subject: str | None = None,
                request_ref: str | None = None) -> str:
    """The review as a FHIR JSON Bundle (see the module docstring); same review, same bytes.

    Args:
        review: The review.
        subject: ``Patient/<id>`` the review is about, when known (a request bundle's).
        request_ref: ``Claim/<id>`` or ``ServiceRequest/<id>`` reviewed, when known.
    """
    bundle = response_bundle(review, subject=subject, request_ref=request_ref)
    return bundle.model_dump_json(indent=2) + "\n"


def response_bundle(review: Review, *, subject: str | None = None,
                    request_ref: str | None = None, policy: Policy | None = None) -> Bundle:
    """The review as a ``collection`` Bundle of QuestionnaireResponse, Device, Provenance."""
    if policy is None:
        from priorauth.scoring.tree import load_policy

        policy = load_policy()
    questionnaire = q.build_questionnaire(policy)
    digest = hashlib.sha256("\n".join(
        [review.to_json(), subject or "", request_ref or "", __version__]).encode()).hexdigest()

    def uid(kind: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{codes.BASE}/{kind}/{digest}"))

    ids = {kind: uid(kind) for kind in ("Bundle", "QuestionnaireResponse", "Device",
                                        "Provenance")}
    urls = {kind: f"urn:uuid:{value}" for kind, value in ids.items()}
    tool = f"priorauth {__version__}"
    canonical = f"{questionnaire.url}|{questionnaire.version}"
    when = review.request.request_date
    device = Device(
        id=ids["Device"], status="active",
        deviceName=[DeviceDeviceName(name="priorauth", type="user-friendly-name")],
        version=[DeviceVersion(value=__version__)],
        type=CodeableConcept(text="Prior-authorization pre-review software"),
        note=[Annotation(text=codes.STATEMENT)])
    response = QuestionnaireResponse(
        id=ids["QuestionnaireResponse"], questionnaire=canonical, status="completed",
        subject=Reference(reference=subject) if subject else None,
        authored=when.isoformat() if when else None,
        author=Reference(reference=urls["Device"], display=tool),
        item=_items(questionnaire, review, policy))
    entities = []
    if request_ref:
        entities.append(ProvenanceEntity(role="source", what=Reference(reference=request_ref)))
    entities += [ProvenanceEntity(role="source", what=_document_reference(d.name))
                 for d in review.documents]
    provenance = Provenance(
        id=ids["Provenance"], target=[Reference(reference=urls["QuestionnaireResponse"])],
        recorded=datetime.combine(when or _NO_DATE, time(0), tzinfo=UTC),
        policy=[canonical],
        activity=CodeableConcept(text=codes.STATEMENT),
        agent=[ProvenanceAgent(
            type=CodeableConcept(coding=[Coding(system=_PARTICIPANT_TYPE, code="author",
                                                display="Author")]),
            who=Reference(reference=urls["Device"],
                          display=f"{tool}, policy {review.policy.id} "
                                  f"v{review.policy.version}"))],
        entity=entities or None)
    return Bundle(id=ids["Bundle"], type="collection", entry=[
        BundleEntry(fullUrl=urls["QuestionnaireResponse"], resource=response),
        BundleEntry(fullUrl=urls["Device"], resource=device),
        BundleEntry(fullUrl=urls["Provenance"], resource=provenance),
    ])


# ------------------------------------------------------------------------------ items


def _items(questionnaire: Questionnaire, review: Review,
           policy: Policy) -> list[QuestionnaireResponseItem]:
    results = {c.id: c for c in review.criteria}
    region = review.request.region
    answers: dict[str, list[object]] = {
        q.REQUEST_REGION: [region] if region else [],
        q.DETERMINATION: [q.determination_coding(review.determination)],
    }
    out: list[QuestionnaireResponseItem] = []
    for item in questionnaire.item or ():
        if not q.is_enabled(item, answers):
            continue
        link = item.linkId or ""
        if link == q.REQUEST:
            children = _request_items(item, review)
            out.append(QuestionnaireResponseItem(linkId=link, text=item.text, item=children))
        elif link in (q.INDICATIONS, q.NON_INDICATIONS):
            children = [_criterion(child, results, answers) for child in item.item or ()
                        if q.is_enabled(child, answers)]
            out.append(QuestionnaireResponseItem(linkId=link, text=item.text, item=children))
        elif link == q.DETERMINATION:
            out.append(_answered(item, [QuestionnaireResponseItemAnswer(
                valueCoding=q.determination_coding(review.determination))]))
        elif link == q.MISSING:
            by_id = {child.linkId: child for child in item.item or ()}
            for missing in review.missing:
                out.append(QuestionnaireResponseItem(linkId=link, text=item.text, item=[
                    _strings(by_id[q.MISSING_INDICATION], [missing.indication]),
                    _strings(by_id[q.MISSING_UNKNOWN], missing.unknown)]))
        else:
            values = {q.REASONS: review.reasons,
                      q.ALERTS: [a.message for a in review.alerts],
                      q.NOTES: _notes(review, policy)}[link]
            if values:
                out.append(_strings(item, values))
    return out


def _answered(item: QuestionnaireItem,
              answers: list[QuestionnaireResponseItemAnswer]) -> QuestionnaireResponseItem:
    return QuestionnaireResponseItem(linkId=item.linkId, text=item.text, answer=answers)


def _strings(item: QuestionnaireItem, values: Iterable[str]) -> QuestionnaireResponseItem:
    return _answered(item, [QuestionnaireResponseItemAnswer(valueString=v) for v in values])


def _request_items(group: QuestionnaireItem, review: Review) -> list[QuestionnaireResponseItem]:
    r = review.request
    values: dict[str, list[QuestionnaireResponseItemAnswer]] = {
        q.REQUEST_CPT: [QuestionnaireResponseItemAnswer(
            valueCoding=Coding(system=codes.CPT_SYSTEM, code=code)) for code in r.cpt],
        q.REQUEST_REGION: [QuestionnaireResponseItemAnswer(valueString=r.region)]
        if r.region else [],
        q.REQUEST_DATE: [QuestionnaireResponseItemAnswer(valueDate=r.request_date)]
        if r.request_date else [],
        q.REQUEST_AGE: [QuestionnaireResponseItemAnswer(valueInteger=r.age)]
        if r.age is not None else [],
        q.REQUEST_SEX: [QuestionnaireResponseItemAnswer(valueString=r.sex)] if r.sex else [],
    }
    return [_answered(item, values[item.linkId or ""]) for item in group.item or ()
            if values[item.linkId or ""]]


def _criterion(item: QuestionnaireItem, results, answers) -> QuestionnaireResponseItem:
    """A criterion's answer: its status, evidence and reason; its children under the answer."""
    result = results[item.linkId]
    extension = [_evidence(ev) for ev in result.evidence]
    if result.reason:
        extension.append(Extension(url=codes.REASON_EXTENSION, valueString=result.reason))
    children = [_criterion(child, results, answers) for child in item.item or ()
                if q.is_enabled(child, answers)]
    answer = QuestionnaireResponseItemAnswer(valueCoding=q.status_coding(result.status),
                                             extension=extension or None,
                                             item=children or None)
    return _answered(item, [answer])


def _evidence(ev: Evidence) -> Extension:
    parts = [Extension(url=codes.EVIDENCE_QUOTE, valueString=ev.text)]
    document = _document_reference(ev.document)
    parts.append(Extension(url=codes.EVIDENCE_DOCUMENT, valueReference=document)
                 if document.reference else
                 Extension(url=codes.EVIDENCE_DOCUMENT, valueString=ev.document))
    if ev.page is not None:
        parts.append(Extension(url=codes.EVIDENCE_PAGE, valuePositiveInt=ev.page))
    parts += [Extension(url=codes.EVIDENCE_START, valueInteger=ev.start),
              Extension(url=codes.EVIDENCE_END, valueInteger=ev.end)]
    if ev.fact:
        parts.append(Extension(url=codes.EVIDENCE_FACT, valueCode=ev.fact))
    if ev.ocr_confidence is not None:
        parts.append(Extension(url=codes.EVIDENCE_OCR_CONFIDENCE,
                               valueDecimal=Decimal(f"{ev.ocr_confidence:.1f}")))
    return Extension(url=codes.EVIDENCE_EXTENSION, extension=parts)


def _document_reference(name: str) -> Reference:
    """A Reference to a document: the bundle resource it came from, or its file name."""
    match = _RESOURCE_NAME.fullmatch(name)
    if match:
        return Reference(reference=name)
    return Reference(display=name)


def _notes(review: Review, policy: Policy) -> list[str]:
    notes = policy.notes
    return [f"{n}: {notes[n].text}" if n in notes else n for n in review.notes]
