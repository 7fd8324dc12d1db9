"""Fuzzing the ingest layer: whatever bytes arrive, reading gives a document or a ChartReadError.

Hypothesis mutates small real PDFs (a text page, a scanned page) and throws random bytes, under
names of every accepted and refused kind. Kept brief for CI (``max_examples``); raise it
locally with ``--hypothesis-seed`` / a profile to dig deeper.
"""

from __future__ import annotations

import io
import tempfile
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

from priorauth.extract.ingest import ChartReadError, Document, read_document

NAMES = st.sampled_from(["chart.pdf", "note.txt", "note", "scan.PDF", "letter.docx"])


@cache
def seeds() -> tuple[bytes, ...]:
    """Small valid PDFs to mutate: plain, uncompressed, encrypted with an empty password,
    and an image-only page."""
    out = []
    for options in ({}, {"pageCompression": 0},
                    {"encrypt": StandardEncryption("", ownerPassword="o", canCopy=0)}):
        buffer = io.BytesIO()
        pdf = canvas.Canvas(buffer, **options)
        pdf.drawString(72, 750, "No improvement after 8 weeks of PT")
        pdf.showPage()
        pdf.rect(100, 100, 50, 50, fill=1)
        pdf.showPage()
        pdf.save()
        out.append(buffer.getvalue())
    return tuple(out)


@st.composite
def mutated_pdfs(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds())))
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        action = draw(st.sampled_from(["flip", "cut", "insert", "delete", "duplicate"]))
        at = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[at] = draw(st.integers(min_value=0, max_value=255))
        elif action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif action == "delete":
            del data[at : at + draw(st.integers(min_value=1, max_value=256))]
        else:
            data[at:at] = data[at : at + draw(st.integers(min_value=1, max_value=512))]
    return bytes(data)


CONTENT = st.one_of(
    mutated_pdfs(),
    st.binary(max_size=4096),
    st.binary(max_size=2048).map(lambda tail: b"%PDF-1.4\n" + tail),
    st.text(max_size=2048).map(lambda text: text.encode("utf-8", "surrogatepass")),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(name=NAMES, data=CONTENT)
def test_when_any_bytes_are_read_then_only_a_document_or_chart_read_error_comes_out(
    name: str, data: bytes
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            document = read_document(path, ocr_timeout=20)
        except ChartReadError as error:
            message = str(error)
            assert message.startswith(f"{name}: ") and "\n" not in message
            return
    assert isinstance(document, Document)
    assert document.pages
    for page in document.pages:
        assert isinstance(page.text, str)
        assert page.number is None or page.number >= 1
