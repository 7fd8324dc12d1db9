"""Schemas of the rule files in ``extract/rules/`` (validated at load; unknown keys rejected)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class RuleFileError(ValueError):
    """A rule file is malformed; the message names the file and the rule id."""


class TargetRuleSpec(BaseModel):
    """A target rule: a regex that finds a concept and the fact kind(s) it becomes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: str
    literal: str
    pattern: str
    value: dict[str, Any] = Field(default_factory=dict)
    also: tuple[str, ...] = ()
    suppressed_inside: tuple[str, ...] = ()
    # a match states this assertion itself: a normal finding ("strength 5/5") is negated, a
    # status to be established ("MRI safety not yet determined") is possible
    assertion: Literal["negated", "possible"] | None = None
    require: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()  # text the pattern must match
    counterexamples: tuple[str, ...] = ()  # text of the class it could over-match: must not

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"pattern does not compile: {exc}") from exc
        return pattern


class ContextRuleSpec(BaseModel):
    """A ConText modifier: a cue phrase, its category and direction."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    literal: str
    category: Literal["NEGATED_EXISTENCE", "POSSIBLE_EXISTENCE", "HYPOTHETICAL", "HISTORICAL",
                      "FAMILY", "TERMINATE", "PSEUDO"]
    direction: Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"]
    # a regex over the text (slow in medspaCy: each runs over every page), or a spaCy token
    # pattern (a list of token dicts, matched by spaCy's Matcher: prefer it)
    pattern: str | tuple[dict[str, Any], ...] | None = None
    max_scope: int | None = None
    allowed_types: tuple[str, ...] | None = None
    excluded_types: tuple[str, ...] | None = None
    # sentences in which the cue must change a fact's assertion, and sentences holding the
    # cue's words in which it must not (checked through the whole pipeline)
    examples: tuple[str, ...] = ()
    counterexamples: tuple[str, ...] = ()
    # a copula negation ("is not", "was not"): it negates a mention BEFORE it only when what
    # follows says the thing is absent or was not done ("is not seen", "was not performed");
    # otherwise it denies a property of it ("a pacemaker that is not MR conditional")
    copula: bool = False


class SectionRuleSpec(BaseModel):
    """A section header and the assertion it imposes on facts inside the section."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    category: str
    literals: tuple[str, ...]
    assertion: Literal["historical", "family", "hypothetical"] | None = None


class TargetRuleFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = ""
    rules: tuple[TargetRuleSpec, ...]


class ContextRuleFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = ""
    rules: tuple[ContextRuleSpec, ...]


class SectionRuleFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = ""
    rules: tuple[SectionRuleSpec, ...]
