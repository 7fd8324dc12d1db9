"""One review end to end: ingest -> extract -> facts -> score."""

from __future__ import annotations

import os
from collections.abc import Sequence

from priorauth.extract.ingest import read_chart
from priorauth.extract.pipeline import extract_facts
from priorauth.models import DocumentInfo, Review, ReviewRequest
from priorauth.scoring import score


def review_chart(paths: Sequence[str | os.PathLike], request: ReviewRequest) -> Review:
    """Review one patient's chart (all ``paths``) for one request.

    Raises:
        ChartReadError: a file cannot be read (the message names the file).
    """
    documents = read_chart(list(paths))
    facts = extract_facts(documents, request_date=request.request_date)
    info = tuple(DocumentInfo(name=d.name, kind=d.kind, pages=len(d.pages)) for d in documents)
    return score(request, facts, documents=info)
