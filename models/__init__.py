"""Pydantic models of the review contract (``../shared/policy/review-contract.md``)."""

from priorauth.models.facts import Assertion, Evidence, Fact, Recency, Source
from priorauth.models.request import ReviewRequest, region_for_cpt
from priorauth.models.review import (
    Alert,
    AlertKind,
    CriterionResult,
    Determination,
    DocumentInfo,
    Missing,
    PolicyRef,
    RequestOut,
    Review,
    Status,
)

__all__ = [
    "Alert",
    "AlertKind",
    "Assertion",
    "CriterionResult",
    "Determination",
    "DocumentInfo",
    "Evidence",
    "Fact",
    "Missing",
    "PolicyRef",
    "Recency",
    "RequestOut",
    "Review",
    "ReviewRequest",
    "Source",
    "Status",
    "region_for_cpt",
]
