"""One review end to end: ingest -> extract -> facts -> score."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace

from priorauth.extract.ingest import read_chart
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
    facts = extract_facts(documents, request_date=request.request_date)
    info = tuple(DocumentInfo(name=d.name, kind=d.kind, pages=len(d.pages)) for d in documents)
    stage("scoring")
    return score(request, facts, documents=info)
