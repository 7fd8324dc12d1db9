"""Labelled charts (gold) in the contract's folder format.

A case folder holds request.json, the chart documents and expected.json.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from priorauth.models import ReviewRequest

CHART_SUFFIXES = {".txt", ".pdf", ".text", ".tif", ".tiff"}  # a TIFF is a fax (extract/tiff.py)


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


@dataclass(frozen=True)
class OverrideRate:
    """How often reviewers corrected the machine on one criterion (``priorauth export-gold``
    folders: ``expected.json`` ``criteria`` are the nodes a reviewer confirmed or corrected,
    ``overrides`` the ones they corrected)."""

    id: str
    reviewed: int
    overridden: int

    @property
    def rate(self) -> float:
        return self.overridden / self.reviewed if self.reviewed else 0.0


def override_rates(root: str | Path) -> list[OverrideRate]:
    """Per criterion (outline order), the cases where a reviewer confirmed or corrected it and
    the cases where they overrode the machine; empty when no case carries ``overrides``."""
    root = Path(root)
    reviewed: dict[str, int] = {}
    overridden: dict[str, int] = {}
    seen_overrides = False
    for path in sorted(root.rglob("expected.json")):
        expected = json.loads(path.read_text("utf-8"))
        if "overrides" not in expected:
            continue
        seen_overrides = True
        for node in expected.get("criteria", {}):
            reviewed[node] = reviewed.get(node, 0) + 1
        for node, change in expected["overrides"].items():
            if change.get("machine") != change.get("reviewer"):
                overridden[node] = overridden.get(node, 0) + 1
                reviewed.setdefault(node, 1)
    if not seen_overrides:
        return []

    def outline(node: str) -> tuple:
        head, *rest = node.split(".")
        return (head, *(int(p) if p.isdigit() else 0 for p in rest))

    return [OverrideRate(n, reviewed[n], overridden.get(n, 0))
            for n in sorted(reviewed, key=outline)]
