"""Page images and evidence highlight boxes for the review page.

A thin adapter over the shared :mod:`priorauth.extract.pdf` (text layers and OCR pages alike),
so that the web app has one small interface: the page size travels with the boxes, and a
missing page or unreadable file is one exception, :class:`NotFound`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from priorauth.extract import pdf as shared
from priorauth.extract.ingest import ChartReadError
from priorauth.extract.pdf import Box

__all__ = ["Box", "NotFound", "PageBoxes", "evidence_boxes", "page_image"]


class NotFound(LookupError):
    """No such page, offsets outside the page, or the file cannot be read."""


@dataclass(frozen=True)
class PageBoxes:
    """The boxes of one quote on one page, with the page size they are relative to.

    Attributes:
        page_width: Width of the displayed page, in points.
        page_height: Height of the displayed page, in points.
        boxes: One rectangle per line of the quote, in points, origin top-left.
    """

    page_width: float
    page_height: float
    boxes: tuple[Box, ...]


def page_image(document_path: str | os.PathLike[str], page_number: int, *,
               scale: float = 1.5) -> bytes:
    """One page of a PDF as PNG bytes, as displayed; its size is the page size times ``scale``.

    Raises:
        NotFound: No such page, or the file cannot be read.
    """
    try:
        return shared.page_image(document_path, page_number, scale=scale)
    except (ChartReadError, ValueError) as exc:
        raise NotFound(str(exc)) from None


def evidence_boxes(document_path: str | os.PathLike[str], page_number: int, start: int,
                   end: int) -> PageBoxes:
    """Where ``page_text[start:end]`` of one PDF page is: one box per line, and the page size.

    Raises:
        NotFound: No such page, offsets outside the page text, or the file cannot be read.
    """
    try:
        width, height = shared.page_size(document_path, page_number)
        boxes = shared.evidence_boxes(document_path, page_number, start, end)
    except (ChartReadError, ValueError) as exc:
        raise NotFound(str(exc)) from None
    return PageBoxes(page_width=width, page_height=height, boxes=tuple(boxes))
