"""A FHIR R4 request bundle as a review: what is asked, about whom, and the chart's documents.

Two shapes are read, recognised by content (a JSON object with ``"resourceType": "Bundle"``)
whatever the file is called:

- a **Da Vinci PAS request bundle**: a ``Claim`` with ``use`` = ``preauthorization``, its
  ``item.productOrService`` CPT codes, ``created`` (the request date), ``patient``, and
  ``supportingInfo`` pointing at ``DocumentReference`` or ``Binary`` resources of the bundle or
  carrying an inline ``valueAttachment``;
- a bundle with a **ServiceRequest** (``code`` CPT codes, ``authoredOn``, ``subject``,
  ``supportingInfo``) and ``DocumentReference``\\ s.

``Patient.birthDate`` and ``gender`` give age and sex, its official name and ``MR``
identifier the identity pages are checked against. When the request resource points at no
document, every ``DocumentReference`` of the bundle is the chart.

Attachments are read only from the bundle: inline base64 ``data`` (or a ``Binary`` of the
bundle named by the attachment's ``url``). An attachment given by any other URL is refused
with a clear error: this tool makes no network requests. Each attachment is written to a
private temporary folder (0700, files 0600) under a name made from its position and
resource type and id, never from a name or path in the bundle, and read by the same input
gate as any chart file (:func:`priorauth.extract.ingest.read_chart`). Evidence cites it as
``DocumentReference/<id>`` (``Binary/<id>``, ``Claim/<id> supportingInfo <n>``).

Bounds: the bundle file's bytes, the number of attachments, and each decoded attachment
within the per-file byte limit of the gate. Every error is a
:class:`~priorauth.extract.gate.ChartReadError` naming the bundle file and the resource,
never quoting chart text or values of the bundle.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from priorauth.extract.gate import ChartReadError, is_pdf, read_file
from priorauth.extract.tiff import is_tiff
from priorauth.fhir import codes
from priorauth.models import Review, ReviewRequest

__all__ = [
    "MAX_ATTACHMENTS",
    "MAX_BUNDLE_BYTES",
    "Attachment",
    "BundleRequest",
    "bundle_of",
    "load_bundle",
    "parse_bundle",
    "review_bundle",
    "sniff_bundle",
]

#: Largest bundle file read.
MAX_BUNDLE_BYTES = 60_000_000
#: Most attachments reviewed from one bundle.
MAX_ATTACHMENTS = 50
#: Most Claims and ServiceRequests in one bundle (each is validated).
MAX_REQUESTS = 20
#: Most JSON values (objects, lists, strings, numbers...) in one resource that is read.
MAX_NODES = 100_000
#: Per-attachment limit when the caller gives none (the gate's default per-file limit).
DEFAULT_MAX_BYTES = 50_000_000

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_KNOWN_TYPES = ("Patient", "Claim", "ServiceRequest", "DocumentReference", "Binary")
_DOCUMENT_TYPES = ("DocumentReference", "Binary")
_GENDER = {"female": "F", "male": "M", "other": "U", "unknown": "U"}
_MR = "MR"  # identifier type of a medical record number (HL7 v2 table 0203)


@dataclass(frozen=True)
class Attachment:
    """One document of the bundle, decoded.

    Attributes:
        name: What evidence cites, e.g. ``DocumentReference/doc1``.
        filename: The safe file name it is written under for the gate.
        data: Its bytes.
    """

    name: str
    filename: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class BundleRequest:
    """What a request bundle asks, with its attachments.

    Attributes:
        source: The bundle file's name (errors start with it).
        cpt: Requested codes, in order (empty when the bundle names none).
        cpt_problem: Why ``cpt`` is empty.
        request_date: ``Claim.created`` or the latest ``ServiceRequest.authoredOn``.
        dob, sex, patient_name, mrn: From the ``Patient``.
        subject: ``Patient/<id>`` when known.
        request_ref: ``Claim/<id>`` or ``ServiceRequest/<id>`` when known.
        attachments: The chart's documents, in order.
    """

    source: str
    cpt: tuple[str, ...]
    cpt_problem: str | None
    request_date: date | None
    dob: date | None
    sex: str | None
    patient_name: str | None
    mrn: str | None
    subject: str | None
    request_ref: str | None
    attachments: tuple[Attachment, ...]

    def review_request(self, *, cpt: Sequence[str] | None = None,
                       request_date: date | None = None, age: int | None = None,
                       dob: date | None = None, sex: str | None = None,
                       patient_name: str | None = None,
                       mrn: str | None = None) -> ReviewRequest:
        """The review request: the bundle's values, each overridden by the one given.

        An ``age`` given replaces the bundle's date of birth.

        Raises:
            ChartReadError: No requested code (neither given nor in the bundle), or a value
                that is not valid (the message names the bundle, never a value of the chart).
        """
        codes_ = tuple(cpt) if cpt else self.cpt
        if not codes_:
            raise ChartReadError(f"{self.source}: {self.cpt_problem}; give --cpt")
        try:
            return ReviewRequest(
                cpt=codes_, request_date=request_date or self.request_date, age=age,
                dob=None if age is not None else (dob or self.dob), sex=sex or self.sex,
                patient_name=patient_name or self.patient_name, mrn=mrn or self.mrn)
        except ValidationError as exc:
            why = "; ".join(err["msg"].removeprefix("Value error, ") for err in exc.errors())
            raise ChartReadError(f"{self.source}: {why}", status=422) from None


# ------------------------------------------------------------------------------ recognising


def sniff_bundle(path: str | os.PathLike[str], *,
                 max_bytes: int = MAX_BUNDLE_BYTES) -> tuple[str, dict[str, Any]] | None:
    """``(name, bundle)`` when the file is a JSON object with ``"resourceType": "Bundle"``.

    The file is read through the gate's :func:`~priorauth.extract.gate.read_file`. ``None``
    for anything else (a chart file, or a file the gate will refuse with its own message).

    Raises:
        ChartReadError: A ``.json`` file larger than ``max_bytes``, or a FHIR resource other
            than a Bundle.
    """
    try:
        name, data, _key = read_file(path, max_bytes=max_bytes)
    except ChartReadError as exc:
        if exc.status == 413 and Path(os.fsdecode(path)).suffix.lower() == ".json":
            raise ChartReadError(f"{Path(os.fsdecode(path)).name}: FHIR bundle is too large "
                                 f"(the limit is {max_bytes:,} bytes)", status=413) from None
        return None  # the gate says the same again when it reads the file as a chart
    return bundle_of(name, data)


def bundle_of(name: str, data: bytes) -> tuple[str, dict[str, Any]] | None:
    """``(name, bundle)`` when ``data`` is a JSON object with ``"resourceType": "Bundle"``,
    else ``None`` (see :func:`sniff_bundle`)."""
    if is_pdf(data) or not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return None
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        if Path(name).suffix.lower() == ".json":
            raise ChartReadError(f"{name}: not valid JSON; a FHIR bundle is a JSON object with "
                                 '"resourceType": "Bundle"', status=422) from None
        return None
    if not isinstance(obj, dict):
        return None
    kind = obj.get("resourceType")
    if kind == "Bundle":
        return name, obj
    if isinstance(kind, str) and kind in _KNOWN_TYPES:
        raise ChartReadError(f"{name}: a FHIR {kind}, not a Bundle; send the request and its "
                             "documents in one Bundle", status=422)
    return None


def load_bundle(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES,
                max_attachments: int = MAX_ATTACHMENTS) -> BundleRequest | None:
    """The request bundle in ``path``, or ``None`` when the file is not a FHIR Bundle."""
    found = sniff_bundle(path)
    if found is None:
        return None
    return parse_bundle(*found, max_bytes=max_bytes, max_attachments=max_attachments)


# ------------------------------------------------------------------------------ parsing


@dataclass
class _Entry:
    position: int
    full_url: str | None
    kind: str
    id: str | None
    raw: dict[str, Any]
    model: Any = None

    @property
    def label(self) -> str:
        kind = self.kind if self.kind in _KNOWN_TYPES else "resource"
        return f"{kind}/{self.id}" if self.id else f"{kind} (entry {self.position})"

    @property
    def reference(self) -> str | None:
        return f"{self.kind}/{self.id}" if self.id else None


class _Bundle:
    """The entries of a bundle, their references resolved and models validated on demand."""

    def __init__(self, source: str, obj: dict[str, Any]) -> None:
        self.source = source
        entries = obj.get("entry", [])
        if not isinstance(entries, list):
            raise self.error("Bundle.entry is not a list")
        self.entries: list[_Entry] = []
        for position, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                raise self.error(f"entry {position} is not a JSON object")
            resource = entry.get("resource")
            if not isinstance(resource, dict):
                continue
            kind = resource.get("resourceType")
            rid = resource.get("id")
            full_url = entry.get("fullUrl")
            self.entries.append(_Entry(
                position, full_url if isinstance(full_url, str) else None,
                kind if isinstance(kind, str) else "", rid if isinstance(rid, str)
                and _ID.fullmatch(rid) else None, resource))
        # indexes, so that resolving every reference stays linear in the bundle's size
        self._by_url: dict[str, _Entry] = {}
        self._by_reference: dict[str, _Entry] = {}
        for entry in self.entries:
            if entry.full_url is not None:
                self._by_url.setdefault(entry.full_url, entry)
            if entry.reference is not None:
                self._by_reference.setdefault(entry.reference, entry)

    def error(self, message: str, status: int = 422) -> ChartReadError:
        return ChartReadError(f"{self.source}: {message}", status=status)

    def of_kind(self, kind: str) -> list[_Entry]:
        return [e for e in self.entries if e.kind == kind]

    def model(self, entry: _Entry):
        """The entry's resource validated by its ``fhir.resources`` R4B model."""
        if entry.model is None:
            if _over(entry.raw, MAX_NODES):  # validation costs ~10 us a JSON value
                raise self.error(f"{entry.label}: more than {MAX_NODES:,} JSON values in one "
                                 "resource (the limit)", status=413)
            model_class = _models()[entry.kind]
            try:
                entry.model = model_class.model_validate(entry.raw)
            except ValidationError as exc:
                raise self.error(f"{entry.label}: not a valid FHIR {entry.kind}: "
                                 f"{_validation_summary(exc)}") from None
        return entry.model

    def resolve(self, reference: str | None) -> _Entry | None:
        """The entry a reference points at, inside this bundle (``None`` if not in it)."""
        if not reference:
            return None
        ref = reference.split("/_history/")[0]
        if ref in self._by_url:
            return self._by_url[ref]
        return self._by_reference.get("/".join(ref.rstrip("/").split("/")[-2:]))


def _over(value: object, limit: int) -> bool:
    """``value`` holds more than ``limit`` JSON values (counted without recursion)."""
    stack, count = [value], 0
    while stack:
        item = stack.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _models() -> dict[str, Any]:
    try:
        from fhir.resources.R4B.binary import Binary
        from fhir.resources.R4B.claim import Claim
        from fhir.resources.R4B.documentreference import DocumentReference
        from fhir.resources.R4B.patient import Patient
        from fhir.resources.R4B.servicerequest import ServiceRequest
    except ImportError:
        raise ChartReadError("reading a FHIR bundle needs fhir.resources: "
                             "pip install 'priorauth[fhir]'") from None
    return {"Patient": Patient, "Claim": Claim, "ServiceRequest": ServiceRequest,
            "DocumentReference": DocumentReference, "Binary": Binary}


def _validation_summary(exc: ValidationError) -> str:
    """Where the resource is invalid and why, without the values it holds."""
    parts = []
    for err in exc.errors(include_url=False, include_input=False)[:3]:
        where = ".".join(str(x) for x in err["loc"]) or "resource"
        parts.append(f"{where}: {err['type'].replace('_', ' ')}")
    more = len(exc.errors()) - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def parse_bundle(source: str, obj: dict[str, Any], *, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_attachments: int = MAX_ATTACHMENTS) -> BundleRequest:
    """Read a request bundle (the JSON object) into a :class:`BundleRequest`.

    Args:
        source: The bundle file's name, for messages.
        obj: The parsed JSON (``"resourceType": "Bundle"``).
        max_bytes: Largest decoded attachment.
        max_attachments: Most attachments.

    Raises:
        ChartReadError: Not a request bundle this tool reads (see the module docstring).
    """
    bundle = _Bundle(source, obj)
    claims = bundle.of_kind("Claim")
    services = bundle.of_kind("ServiceRequest")
    if len(claims) + len(services) > MAX_REQUESTS:
        raise bundle.error(f"the bundle holds {len(claims) + len(services):,} Claims and "
                           f"ServiceRequests, more than the limit of {MAX_REQUESTS}; send one "
                           "request per bundle", status=413)
    preauth = [c for c in claims if bundle.model(c).use == "preauthorization"]
    if claims and not preauth:
        use = bundle.model(claims[0]).use
        shown = f"'{use}'" if use in ("claim", "predetermination") else "not given"
        raise bundle.error(f"{claims[0].label}: use is {shown}; a prior-authorization request "
                           "is a Claim with use 'preauthorization'")
    if len(preauth) > 1:
        raise bundle.error(f"the bundle holds {len(preauth)} preauthorization Claims; send one "
                           "request per bundle")
    if preauth:
        request = preauth[0]
        claim = bundle.model(request)
        cpt = _codes(item.productOrService for item in claim.item or ())
        problem = None if cpt else (f"{request.label}: no item names a CPT code "
                                    f"(item.productOrService, system {codes.CPT_SYSTEM})")
        when = claim.created
        patient_ref = claim.patient.reference if claim.patient else None
        documents = _claim_documents(bundle, request, claim)
        request_refs = [request]
    elif services:
        models = [bundle.model(s) for s in services]
        cpt = _codes(m.code for m in models)
        problem = None if cpt else (f"{services[0].label}: its code names no CPT code "
                                    f"(system {codes.CPT_SYSTEM})")
        dates = [_as_date(m.authoredOn) for m in models if m.authoredOn is not None]
        when = max((d for d in dates if d is not None), default=None)
        patient_ref = models[0].subject.reference if models[0].subject else None
        documents = []
        for entry, model in zip(services, models, strict=True):
            for ref in model.supportingInfo or ():
                documents.extend(_referenced(bundle, entry, ref.reference, "supportingInfo"))
        request_refs = services
    else:
        cpt, when, patient_ref, documents, request_refs = (), None, None, [], []
        problem = ("the bundle holds no Claim (use 'preauthorization') and no ServiceRequest "
                   "saying what is requested")
    if not documents:
        documents = [(e.label, e) for e in bundle.of_kind("DocumentReference")]
    patient = bundle.resolve(patient_ref) if patient_ref else None
    if patient is None and patient_ref is None and len(bundle.of_kind("Patient")) == 1:
        patient = bundle.of_kind("Patient")[0]
    if patient is not None and patient.kind != "Patient":
        raise bundle.error(f"{request_refs[0].label}: its patient reference points at a "
                           f"{patient.label.split('/')[0]}, not a Patient")
    demographics = _patient(bundle, patient) if patient is not None else {}
    subject = patient.reference if patient is not None else (
        _relative(patient_ref, "Patient"))
    attachments = _attachments(bundle, documents, max_bytes=max_bytes,
                               max_attachments=max_attachments)
    return BundleRequest(
        source=source, cpt=cpt, cpt_problem=problem, request_date=_as_date(when),
        subject=subject, request_ref=request_refs[0].reference if len(request_refs) == 1
        else None, attachments=attachments, **demographics)


def _codes(concepts) -> tuple[str, ...]:
    """CPT/HCPCS codes of CodeableConcepts (codings without a system count too), in order."""
    out: list[str] = []
    for concept in concepts:
        for coding in (concept.coding or ()) if concept is not None else ():
            if coding.code and (coding.system in (None, codes.CPT_SYSTEM, *codes.HCPCS_SYSTEMS)):
                if coding.code not in out:
                    out.append(coding.code)
    return tuple(out)


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()  # the date as written, in the writer's time zone
    if isinstance(value, date):
        return value
    return None  # a partial date ("1969", "1969-03") gives no day


def _relative(reference: str | None, kind: str) -> str | None:
    if reference is None:
        return None
    tail = reference.split("/_history/")[0].rstrip("/").split("/")[-2:]
    if len(tail) == 2 and tail[0] == kind and _ID.fullmatch(tail[1]):
        return f"{kind}/{tail[1]}"
    return None


def _patient(bundle: _Bundle, entry: _Entry) -> dict[str, Any]:
    patient = bundle.model(entry)
    names = patient.name or []
    name = next((n for n in names if n.use == "official"), names[0] if names else None)
    full = None
    if name is not None:
        parts = [*(name.given or [])[:1], name.family] if name.family else []
        full = " ".join(p for p in parts if p) or None
    mrn = None
    for identifier in patient.identifier or ():
        kinds = [c.code for c in (identifier.type.coding or ())] if identifier.type else []
        if _MR in kinds and identifier.value:
            mrn = identifier.value
            break
    return {"dob": _as_date(patient.birthDate), "sex": _GENDER.get(patient.gender or ""),
            "patient_name": full, "mrn": mrn}


def _claim_documents(bundle: _Bundle, entry: _Entry, claim) -> list[tuple[str, Any]]:
    """The documents a Claim's supportingInfo carries or points at, by sequence."""
    out: list[tuple[str, Any]] = []
    for info in sorted(claim.supportingInfo or (), key=lambda i: i.sequence or 0):
        if info.valueAttachment is not None:
            out.append((f"{entry.label} supportingInfo {info.sequence}", info.valueAttachment))
        elif info.valueReference is not None:
            out.extend(_referenced(bundle, entry, info.valueReference.reference,
                                   f"supportingInfo {info.sequence}"))
    return out


def _referenced(bundle: _Bundle, entry: _Entry, reference: str | None,
                where: str) -> list[tuple[str, Any]]:
    """The document a reference points at: ``[(name, entry)]``, or ``[]`` for other data."""
    target = bundle.resolve(reference)
    if target is None:
        kind = (reference or "").split("/_history/")[0].rstrip("/").split("/")[-2:][0]
        if kind in _DOCUMENT_TYPES:
            raise bundle.error(f"{entry.label}: {where} points at a document that is not in "
                               "the bundle; only attachments inside the bundle are read (no "
                               "network)")
        return []
    if target.kind not in _DOCUMENT_TYPES:
        return []  # structured data (an Observation, a Condition): not a chart document
    return [(target.label, target)]


def _attachments(bundle: _Bundle, documents: list[tuple[str, Any]], *, max_bytes: int,
                 max_attachments: int) -> tuple[Attachment, ...]:
    seen: set[int] = set()
    unique = []
    for name, what in documents:
        if id(what) not in seen:
            seen.add(id(what))
            unique.append((name, what))
    if not unique:
        raise bundle.error("the bundle has no document to review (a DocumentReference, a "
                           "Binary or a Claim supportingInfo attachment, with inline data)")
    if len(unique) > max_attachments:
        raise bundle.error(f"the bundle has {len(unique)} attachments, more than the limit of "
                           f"{max_attachments}; split the chart", status=413)
    out = []
    for position, (name, what) in enumerate(unique, start=1):
        if isinstance(what, _Entry):
            content_type, data = _entry_content(bundle, what)
            stem = f"{what.kind}-{what.id or 'entry' + str(what.position)}"
        else:  # an inline Attachment of a Claim
            content_type, data = _inline(bundle, name, what)
            stem = "attachment"
        if len(data) > max_bytes:
            raise bundle.error(f"{name}: attachment is too large ({len(data):,} bytes; the "
                               f"limit is {max_bytes:,} bytes)", status=413)
        suffix = _suffix(bundle, name, content_type, data)
        safe = re.sub(r"[^A-Za-z0-9-]", "-", stem)[:80]
        out.append(Attachment(name=name, filename=f"{position:02d}-{safe}{suffix}", data=data))
    return tuple(out)


def _entry_content(bundle: _Bundle, entry: _Entry) -> tuple[str | None, bytes]:
    model = bundle.model(entry)
    if entry.kind == "Binary":
        if model.data is None:
            raise bundle.error(f"{entry.label}: Binary has no data")
        return model.contentType, model.data
    # The contents of one DocumentReference are one document in several formats: the first
    # inline one of a type read here, else the first inline one (refused by its type).
    found: list[tuple[str | None, bytes]] = []
    by_url = False
    for content in model.content or ():
        attachment = content.attachment
        if attachment.data is not None:
            found.append((attachment.contentType, attachment.data))
            continue
        target = bundle.resolve(attachment.url) if attachment.url else None
        if target is not None and target.kind == "Binary":
            binary = bundle.model(target)
            if binary.data is not None:
                found.append((attachment.contentType or binary.contentType, binary.data))
                continue
        by_url = by_url or bool(attachment.url)
    if found:
        return next((f for f in found if _readable_type(f[0])), found[0])
    if by_url:
        raise bundle.error(f"{entry.label}: attachment is given by URL; only inline (base64) "
                           "attachments are read: this tool makes no network requests")
    raise bundle.error(f"{entry.label}: DocumentReference has no attachment data")


def _inline(bundle: _Bundle, name: str, attachment) -> tuple[str | None, bytes]:
    if attachment.data is not None:
        return attachment.contentType, attachment.data
    target = bundle.resolve(attachment.url) if attachment.url else None
    if target is not None and target.kind == "Binary" and bundle.model(target).data is not None:
        return attachment.contentType or bundle.model(target).contentType, \
            bundle.model(target).data
    if attachment.url:
        raise bundle.error(f"{name}: attachment is given by URL; only inline (base64) "
                           "attachments are read: this tool makes no network requests")
    raise bundle.error(f"{name}: attachment has no data")


def _readable_type(content_type: str | None) -> bool:
    kind = (content_type or "").split(";")[0].strip().lower()
    return kind in ("", "application/pdf", "image/tiff") or kind.startswith("text/")


def _suffix(bundle: _Bundle, name: str, content_type: str | None, data: bytes) -> str:
    """The file suffix the gate reads the attachment by (it decides PDF by content)."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind == "application/pdf" or (not kind and is_pdf(data)):
        return ".pdf"
    if kind == "image/tiff" or (not kind and is_tiff(data)):  # a fax (extract/tiff.py)
        return ".tif"
    if not kind or kind.startswith("text/"):
        return ".txt"
    shown = kind if re.fullmatch(r"[a-z0-9.+-]{1,40}/[a-z0-9.+-]{1,60}", kind) else "unknown"
    raise bundle.error(f"{name}: attachment type {shown} is not read; accepted are "
                       "application/pdf, image/tiff and text/plain", status=415)


# ------------------------------------------------------------------------------ reviewing


@contextmanager
def attachment_files(bundle: BundleRequest) -> Iterator[list[Path]]:
    """The attachments written to a private temporary folder, removed on exit."""
    folder = Path(tempfile.mkdtemp(prefix="priorauth-fhir-"))  # mode 0700
    try:
        paths = []
        for attachment in bundle.attachments:
            path = folder / attachment.filename
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(path, flags, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(attachment.data)
            paths.append(path)
        yield paths
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def review_bundle(bundle: BundleRequest, request: ReviewRequest, **read_options) -> Review:
    """Review the bundle's attachments for ``request``, as :func:`~priorauth.review.review_chart`
    reviews files; evidence cites the attachments' names.

    Raises:
        ChartReadError: An attachment cannot be read; the message names the bundle and the
            resource (not the temporary file).
    """
    from priorauth.review import review_chart

    with attachment_files(bundle) as paths:
        try:
            return review_chart(paths, request, names=[a.name for a in bundle.attachments],
                                **read_options)
        except ChartReadError as exc:
            message = str(exc)
            for attachment in bundle.attachments:
                message = message.replace(attachment.filename, attachment.name)
            raise ChartReadError(f"{bundle.source}: {message}", status=exc.status) from None
