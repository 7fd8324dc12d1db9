"""A FHIR request bundle uploaded to the reviewer page (issue 13).

One uploaded file that is a FHIR Bundle (by content, see :mod:`priorauth.fhir.bundle_in`) is
the whole request: the form's fields, where filled in, override what the bundle says, and its
attachments are checked by the input gate and stored like uploaded files (random names,
owner-only), shown and cited as ``DocumentReference/<id>``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from priorauth.extract.gate import ChartReadError
from priorauth.fhir.bundle_in import BundleRequest, bundle_of, parse_bundle
from priorauth.web.store import DocumentRow
from priorauth.web.uploads import UploadRejected, check_upload, store_file

__all__ = ["bundle_upload", "merged_form", "save_bundle"]

_FIELDS = ("cpt", "request_date", "age", "dob", "sex", "patient_name", "mrn")


def bundle_upload(contents: list[tuple[str, bytes]], *, max_file_bytes: int,
                  max_files: int) -> BundleRequest | None:
    """The request bundle when the upload is one file that is a FHIR Bundle, else ``None``.

    Raises:
        UploadRejected: The bundle is not one this tool reads (the message names the file and
            the resource), or it is mixed with other files.
    """
    try:
        # a file over the limit was cut short when read: refused as too large, not parsed
        found = [f for f in (bundle_of(name, blob) for name, blob in contents
                             if len(blob) <= max_file_bytes) if f]
        if not found:
            return None
        if len(contents) > 1:
            raise UploadRejected(f"{found[0][0]}: a FHIR bundle is reviewed on its own; "
                                 "upload it alone", status=400)
        return parse_bundle(*found[0], max_bytes=max_file_bytes, max_attachments=max_files)
    except ChartReadError as exc:
        raise UploadRejected(str(exc), status=exc.status) from None


def merged_form(form, bundle: BundleRequest) -> dict[str, str]:
    """The form's fields, each empty one filled in from the bundle (an age typed in the form
    replaces the bundle's date of birth).

    Raises:
        ValueError: Neither the form nor the bundle names a CPT code.
    """
    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    def iso(day: date | None) -> str:
        return day.isoformat() if day else ""

    typed = {name: text(name) for name in _FIELDS}
    if not typed["cpt"] and not bundle.cpt:
        raise ValueError(f"{bundle.source}: {bundle.cpt_problem}; type the CPT code(s)")
    from_bundle = {"cpt": " ".join(bundle.cpt), "request_date": iso(bundle.request_date),
                   "dob": "" if typed["age"] else iso(bundle.dob), "sex": bundle.sex or "",
                   "patient_name": bundle.patient_name or "", "mrn": bundle.mrn or ""}
    return {name: typed[name] or from_bundle.get(name, "") for name in _FIELDS}


def save_bundle(folder: Path, bundle: BundleRequest, *, max_file_bytes: int,
                max_pages: int) -> tuple[list[DocumentRow], list[Path]]:
    """Check each attachment with the gate and store it; the rows and paths of the review.

    Raises:
        UploadRejected: The gate refused an attachment (named by its resource).
    """
    kinds = []
    for attachment in bundle.attachments:
        try:  # checked under its safe file name, which carries the suffix its type gives
            kinds.append(check_upload(attachment.filename, attachment.data,
                                      max_bytes=max_file_bytes, max_pages=max_pages))
        except UploadRejected as exc:
            message = str(exc).replace(attachment.filename, attachment.name)
            raise UploadRejected(f"{bundle.source}: {message}", status=exc.status) from None
    rows: list[DocumentRow] = []
    paths: list[Path] = []
    for position, (attachment, kind) in enumerate(zip(bundle.attachments, kinds, strict=True)):
        stored = store_file(folder, attachment.data, kind)
        rows.append(DocumentRow(position=position, name=attachment.name, stored_name=stored,
                                kind=kind, size=len(attachment.data)))
        paths.append(folder / stored)
    return rows, paths
