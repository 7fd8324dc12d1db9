"""Load the packaged rule files (``extract/rules/*.json``) through their schemas."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ValidationError

from priorauth.models.rules import (
    ContextRuleFile,
    RuleFileError,
    SectionRuleFile,
    TargetRuleFile,
)


def _load(name: str, schema: type[BaseModel]):
    source = f"extract/rules/{name}"
    try:
        text = resources.files("priorauth.extract").joinpath("rules", name).read_text("utf-8")
        return schema.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise RuleFileError(f"{source}: {exc}") from exc


def load_rule_file(path: str | Path, schema: type[BaseModel]):
    """A user's own rule file (a component's ``rules=`` config), validated like ours."""
    path = Path(path)
    try:
        return schema.model_validate(json.loads(path.read_text("utf-8")))
    except (OSError, json.JSONDecodeError, ValidationError) as exc:
        raise RuleFileError(f"{path}: {exc}") from exc


@cache
def target_rules() -> TargetRuleFile:
    """Target rules: concept patterns -> fact kinds."""
    rules = _load("targets.json", TargetRuleFile)
    ids = [r.id for r in rules.rules]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise RuleFileError(f"extract/rules/targets.json: duplicate rule ids {dupes}")
    return rules


@cache
def context_rules() -> ContextRuleFile:
    """ConText modifier rules."""
    return _load("context.json", ContextRuleFile)


@cache
def section_rules() -> SectionRuleFile:
    """Section header rules."""
    return _load("sections.json", SectionRuleFile)
