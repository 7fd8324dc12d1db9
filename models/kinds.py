"""Fact kinds as data (``extract/rules/kinds.yaml``): values each kind may carry and the gate
(body site, recency, resolution topic) that decides whether a mention counts."""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from priorauth.models.rules import RuleFileError

KINDS_FILE = "extract/rules/kinds.yaml"
# reasons of an ``mri_contraindicated`` fact that name an implanted device (the extractor's
# resolution of device status and the scorer both use them)
DEVICE_REASONS = ("pacemaker", "implant", "cochlear_implant")
ValueType = Literal["int", "date", "bool", "str"]


class KindSpec(BaseModel):
    """What one fact kind declares."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    site: Literal["any", "spinal_or_unspecified", "spinal_required"] = "any"
    recency: Literal["any", "not_remote"] = "any"
    resolve: str | None = None
    # a kind this one is a form of: a denial of the broader kind denies this one too ("no
    # change in bowel/bladder" denies fecal incontinence), a finding of it does not prove it
    broader: str | None = None
    values: dict[str, ValueType | tuple[str | bool, ...]] = {}

    def allows(self, key: str, value: Any) -> bool:
        """Whether ``value`` is a value this kind can carry under ``key``."""
        spec = self.values.get(key)
        if spec is None:
            return False
        if isinstance(spec, tuple):
            return value in spec
        expected: dict[str, tuple[type, ...]] = {"int": (int,), "bool": (bool,), "str": (str,),
                                                 "date": (str, date)}
        if spec == "int" and isinstance(value, bool):
            return False
        return isinstance(value, expected[spec])


class KindFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = ""
    kinds: dict[str, KindSpec]


def parse_kinds(text: str, *, source: str = KINDS_FILE) -> KindFile:
    """Parse and validate a kinds file; errors name the file."""
    try:
        return KindFile.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise RuleFileError(f"{source}: {exc}") from exc


@cache
def fact_kinds() -> KindFile:
    """The packaged fact kinds, validated once."""
    text = resources.files("priorauth.extract").joinpath("rules", "kinds.yaml").read_text("utf-8")
    return parse_kinds(text)
