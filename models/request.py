"""The review request: procedure codes, request date, patient age and sex."""

from __future__ import annotations

import unicodedata
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


#: Dates a request may carry: outside them a date is a typo (and date arithmetic overflows).
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)
#: The oldest age a date of birth may give.
MAX_AGE = 130


def normalise_cpt(code: str) -> str:
    """A CPT code as typed, normalised: full-width or other compatibility digits become ASCII
    (NFKC), surrounding space goes, letters are upper case ("７２１３１" -> "72131")."""
    return unicodedata.normalize("NFKC", code).strip().upper()


def single_line(value: str, what: str, *, limit: int) -> str:
    """Printable single-line text: NFC, runs of spaces collapsed, trimmed.

    Raises:
        ValueError: Control or format characters (newlines, NUL, bidi overrides), empty, or
            longer than ``limit``.
    """
    value = unicodedata.normalize("NFC", value)
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        raise ValueError(f"{what} holds control or formatting characters (line breaks, "
                         "direction marks); type it on one line")
    value = " ".join(value.split())
    if not value:
        raise ValueError(f"{what} is empty")
    if len(value) > limit:
        raise ValueError(f"{what} is longer than {limit} characters")
    return value


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
        codes = tuple(normalise_cpt(code) for code in value)
        for code in codes:
            if not (len(code) == 5 and code.isascii() and code.isalnum()):
                what = (f"CPT code {code!r}" if code.isprintable() and len(code) <= 20
                        else "a CPT code given")
                raise ValueError(
                    f"{what} is not a 5-character code; e.g. 72131 (CT lumbar spine)"
                )
        return codes

    @field_validator("request_date")
    @classmethod
    def _request_date_in_range(cls, value: date | None) -> date | None:
        if value is not None and not EARLIEST <= value <= LATEST:
            raise ValueError(f"request date {value.isoformat()} is outside "
                             f"{EARLIEST.year}-{LATEST.year}")
        return value

    @field_validator("patient_name")
    @classmethod
    def _name_one_line(cls, value: str | None) -> str | None:
        return None if value is None else single_line(value, "patient name", limit=200)

    @field_validator("mrn")
    @classmethod
    def _mrn_one_line(cls, value: str | None) -> str | None:
        return None if value is None else single_line(value, "MRN", limit=40)

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
        if self.dob is not None:
            on = self.request_date or date.today()
            which = "the request date" if self.request_date else "today"
            if self.dob > on:
                raise ValueError(f"date of birth {self.dob.isoformat()} is after {which} "
                                 f"({on.isoformat()})")
            age = self.age_on(on)
            if age is not None and age > MAX_AGE:
                raise ValueError(f"date of birth {self.dob.isoformat()} gives an age of {age} "
                                 f"on {which}; the most is {MAX_AGE}")
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
