"""Every URL and code of ours that the FHIR resources carry, defined once.

The project has no public web home yet, so its canonical URLs sit under ``BASE``, a name in
the ``.example`` domain reserved for documentation (RFC 2606): change ``BASE`` here and every
resource follows. Nothing is fetched from these URLs.
"""

from __future__ import annotations

from priorauth.models import Determination, Status

#: Root of the canonical URLs of this tool's FHIR artefacts.
BASE = "https://priorauth.example/fhir"

#: The Questionnaire of a policy is ``QUESTIONNAIRE_BASE/<policy id>``, versioned by the
#: policy's version.
QUESTIONNAIRE_BASE = f"{BASE}/Questionnaire"

#: CodeSystem of a criterion's status, the answer to every criterion item.
STATUS_SYSTEM = f"{BASE}/CodeSystem/criterion-status"
STATUS_CODES: dict[Status, tuple[str, str]] = {
    Status.met: ("met", "Met"),          # the chart affirms it
    Status.not_met: ("not-met", "Not met"),  # the chart contradicts it
    Status.unknown: ("unknown", "Unknown"),  # the chart says nothing usable about it
}

#: CodeSystem of the recommendation (the tool never denies).
DETERMINATION_SYSTEM = f"{BASE}/CodeSystem/determination"
DETERMINATION_CODES: dict[Determination, tuple[str, str]] = {
    Determination.meets_criteria: ("meets-criteria", "Meets criteria: eligible for approval"),
    Determination.not_met: ("not-met", "Criteria not met: refer to a clinical reviewer"),
    Determination.insufficient_documentation: (
        "insufficient-documentation",
        "Insufficient documentation: refer to a clinical reviewer and ask the provider for "
        "what is missing"),
    Determination.not_applicable: (
        "not-applicable", "Not applicable: no requested code is covered by this policy"),
}

#: Extension on a criterion answer: one quote the answer rests on (repeats). Its parts are
#: the sub-extensions below.
EVIDENCE_EXTENSION = f"{BASE}/StructureDefinition/evidence"
EVIDENCE_QUOTE = "quote"          # valueString: the quoted text
EVIDENCE_DOCUMENT = "document"    # valueReference (a bundle attachment) or valueString (a file)
EVIDENCE_PAGE = "page"            # valuePositiveInt: 1-based page of a PDF
EVIDENCE_START = "start"          # valueInteger: character offset into the document's text
EVIDENCE_END = "end"              # valueInteger: end offset (exclusive)
EVIDENCE_FACT = "fact"            # valueCode: the kind of fact read
EVIDENCE_OCR_CONFIDENCE = "ocrConfidence"  # valueDecimal: lowest OCR word confidence, 0-100

#: Extension on a criterion answer: the scorer's one-line reason (valueString).
REASON_EXTENSION = f"{BASE}/StructureDefinition/reason"

#: Extension on an inner criterion item of the Questionnaire: how its children combine
#: (valueCode ``all`` or ``any``).
COMBINATION_EXTENSION = f"{BASE}/StructureDefinition/combination"

#: Code systems of the request.
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
HCPCS_SYSTEMS = ("https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
                 "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets")

#: What the tool is and is not, stated in the Provenance and the Device.
STATEMENT = ("Automated pre-review against the payer policy: it recommends and never denies. "
             "Anything short of meets-criteria is routed to a clinical reviewer, and a "
             "denial can only be made by a physician or other appropriate professional.")


def questionnaire_url(policy_id: str) -> str:
    """The canonical URL of a policy's Questionnaire."""
    return f"{QUESTIONNAIRE_BASE}/{policy_id}"
