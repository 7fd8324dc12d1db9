"""One review end to end: ingest -> extract -> facts -> score."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace

from priorauth.extract.ingest import read_chart
from priorauth.extract.packet import Identity, parse_name, prepare_packet
from priorauth.extract.pipeline import extract_facts
from priorauth.models import DocumentInfo, Review, ReviewRequest
from priorauth.scoring import score


def review_chart(paths: Sequence[str | os.PathLike], request: ReviewRequest, *,
                 names: Sequence[str] | None = None,
                 on_stage: Callable[[str], None] | None = None,
                 **read_options) -> Review:
    """Review one patient's chart (all ``paths``) for one request.

    Args:
        paths: The chart's files.
        request: The review request.
        names: Names to cite as ``document`` instead of the files' own (e.g. uploaded names).
        on_stage: Called with ``"reading"``, ``"extracting"``, ``"scoring"`` as work starts.
        read_options: Limits passed to :func:`priorauth.extract.ingest.read_chart`.

    Raises:
        ChartReadError: a file cannot be read (the message names the file).
    """
    stage = on_stage or (lambda _name: None)
    stage("reading")
    documents = read_chart(list(paths), **read_options)
    if names is not None:
        documents = tuple(replace(d, name=n) for d, n in zip(documents, names, strict=True))
    stage("extracting")
    packet = prepare_packet(documents, patient=request_identity(request))
    facts = extract_facts(packet.documents, request_date=request.request_date)
    info = tuple(DocumentInfo(name=d.name, kind=d.kind, pages=len(d.pages)) for d in documents)
    stage("scoring")
    return score(request, facts, documents=info, alerts=packet.alerts)


def request_identity(request: ReviewRequest) -> Identity:
    """The patient the request names, to compare with what each page states."""
    name = parse_name(request.patient_name.title()) if request.patient_name else None
    mrn = "".join(ch for ch in (request.mrn or "").upper() if ch.isalnum()) or None
    return Identity(first=name[0] if name else None, last=name[1] if name else None,
                    dob=request.dob, mrn=mrn)
