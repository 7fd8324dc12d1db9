"""Labelled charts (gold) in the contract's folder format.

A case folder holds request.json, the chart documents and expected.json.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from priorauth.models import ReviewRequest

CHART_SUFFIXES = {".txt", ".pdf", ".text"}


@dataclass(frozen=True)
class GoldCase:
    """One labelled chart."""

    name: str
    folder: Path
    documents: tuple[Path, ...]
    request: ReviewRequest
    determination: str
    criteria: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, list[str]] = field(default_factory=dict)
    why: str = ""


def chart_files(folder: Path) -> tuple[Path, ...]:
    """The chart documents of a case folder, in name order.

    Every entry named like a chart file that is not a folder is listed, so that a pipe, a
    device or a broken link named ``.txt`` is refused by the input gate with a message rather
    than skipped in silence.
    """
    return tuple(sorted(p for p in folder.iterdir()
                        if p.suffix.lower() in CHART_SUFFIXES and not p.is_dir()))


def load_case(folder: str | Path) -> GoldCase:
    """Read one case folder."""
    folder = Path(folder)
    request = ReviewRequest.model_validate(
        json.loads((folder / "request.json").read_text("utf-8")))
    expected = json.loads((folder / "expected.json").read_text("utf-8"))
    return GoldCase(name=folder.name, folder=folder, documents=chart_files(folder),
                    request=request, determination=expected["determination"],
                    criteria=dict(expected.get("criteria", {})),
                    evidence={k: list(v) for k, v in expected.get("evidence", {}).items()},
                    why=expected.get("why", ""))


def load_cases(root: str | Path) -> list[GoldCase]:
    """Every case folder under ``root`` (folders with an expected.json), in name order."""
    root = Path(root)
    if (root / "expected.json").exists():
        return [load_case(root)]
    return [load_case(p) for p in sorted(root.iterdir())
            if p.is_dir() and (p / "expected.json").exists()]
