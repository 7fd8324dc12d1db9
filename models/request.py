"""The review request: procedure codes, request date, patient age and sex."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

POLICY_CPT: dict[str, str] = {
    "72125": "cervical",
    "72126": "cervical",
    "72127": "cervical",
    "72128": "thoracic",
    "72129": "thoracic",
    "72130": "thoracic",
    "72131": "lumbar",
    "72132": "lumbar",
    "72133": "lumbar",
    "76380": "any",
}


def region_for_cpt(cpt: tuple[str, ...] | list[str]) -> str | None:
    """The spinal region the requested codes image; ``any`` for 76380 or mixed regions.

    Returns ``None`` when no code is in the policy's list.
    """
    regions = sorted({POLICY_CPT[c] for c in cpt if c in POLICY_CPT})
    if not regions:
        return None
    if len(regions) == 1:
        return regions[0]
    return "any"


class ReviewRequest(BaseModel):
    """What is asked: CPT codes, request date, age or date of birth, sex."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cpt: tuple[str, ...]
    request_date: date | None = None
    age: int | None = None
    dob: date | None = None
    sex: Literal["F", "M", "U"] | None = None
    #: Who the chart is about, to tell pages of another patient (optional; never reported).
    patient_name: str | None = None
    mrn: str | None = None

    @field_validator("cpt")
    @classmethod
    def _codes_look_like_cpt(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one CPT code is required, e.g. --cpt 72131")
        for code in value:
            if not (len(code) == 5 and code.isalnum()):
                raise ValueError(
                    f"CPT code {code!r} is not a 5-character code; e.g. 72131 (CT lumbar spine)"
                )
        return tuple(value)

    @field_validator("age")
    @classmethod
    def _age_in_range(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= 130:
            raise ValueError(f"age {value} is outside 0-130")
        return value

    @model_validator(mode="after")
    def _age_or_dob(self) -> ReviewRequest:
        if self.age is not None and self.dob is not None:
            raise ValueError("give either age or date of birth, not both")
        return self

    @property
    def region(self) -> str | None:
        """Region fixed by the CPT codes (see :func:`region_for_cpt`)."""
        return region_for_cpt(self.cpt)

    def age_on(self, when: date | None) -> int | None:
        """Age in whole years on ``when`` (from ``age`` or ``dob``)."""
        if self.age is not None:
            return self.age
        if self.dob is None or when is None:
            return None
        years = when.year - self.dob.year
        if (when.month, when.day) < (self.dob.month, self.dob.day):
            years -= 1
        return years
