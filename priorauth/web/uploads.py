"""Checks on uploaded chart files, by the one input gate (:mod:`priorauth.extract.gate`).

An upload is kept only if the gate accepts its *content* as the command line would: a PDF
that opens in the gate's limited child process within the page, object, image and character
limits, or plain text that decodes with few control characters, named as the command line
accepts (``.pdf``, ``.txt``, ``.text`` or no extension; a ``.pdf`` name needs PDF content).
The uploaded name is only ever shown (escaped), never used as a path: files are stored under
random names.
"""

from __future__ import annotations

import os
import re
import secrets
import unicodedata
from pathlib import Path

from priorauth.extract.gate import ChartReadError, GateLimits, check_bytes

__all__ = ["UploadRejected", "check_upload", "display_name", "store_file"]

_UNSAFE_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MAX_NAME = 120


class UploadRejected(ValueError):
    """An uploaded file is refused; the message names the file (display name) only.

    Attributes:
        status: The HTTP status to answer with (413 too large, 415 wrong type, 400 otherwise).
    """

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def display_name(filename: str | None, position: int) -> str:
    """The base name of an uploaded file, for display only (``../../x.pdf`` -> ``x.pdf``)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME_CHARS.sub("", unicodedata.normalize("NFC", name)).strip()
    if name in ("", ".", ".."):
        name = f"document-{position + 1}"
    if len(name) > _MAX_NAME:
        stem, dot, suffix = name.rpartition(".")
        suffix = suffix[:10] if dot else ""
        name = name[: _MAX_NAME - len(suffix) - 2] + "…" + ("." + suffix if suffix else "")
    return name


def check_upload(name: str, data: bytes, *, max_bytes: int, max_pages: int) -> str:
    """Check one uploaded file by its content and return its kind, ``"pdf"`` or ``"txt"``.

    Args:
        name: The display name (from :func:`display_name`).
        data: The file's bytes.
        max_bytes: Largest size accepted.
        max_pages: Largest page count accepted for a PDF.

    Raises:
        UploadRejected: The gate refused it (the gate's wording and HTTP status).
    """
    try:
        return check_bytes(name, data, limits=GateLimits(max_bytes=max_bytes,
                                                         max_pages=max_pages))
    except ChartReadError as exc:
        raise UploadRejected(str(exc), status=exc.status) from None


def store_file(folder: Path, data: bytes, kind: str) -> str:
    """Write ``data`` under a new random name in ``folder`` (owner-only); returns the name."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stored = f"{secrets.token_hex(16)}.{kind}"
    fd = os.open(folder / stored, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return stored
