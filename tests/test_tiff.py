"""Multi-page TIFF faxes through the input gate, the reader and the command line (issue 12)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faxes import pages_of, write_fax_tiff
from PIL import Image

from priorauth.extract import ocr
from priorauth.extract.gate import ChartReadError, GateLimits, check_bytes, kind_of
from priorauth.extract.ingest import read_chart, read_document
from priorauth.extract.pdf import evidence_boxes, page_image, page_size

ROOT = Path(__file__).resolve().parents[1]
NOTE = ROOT / "sample_notes" / "01_pt_failed_pacemaker" / "spine_followup_2026-10-02.txt"
needs_tesseract = pytest.mark.skipif(not ocr.ocr_available(), reason="tesseract not installed")


@pytest.fixture(scope="module")
def fax_tiff(tmp_path_factory) -> Path:
    """The pacemaker note as a two-page fax TIFF."""
    folder = tmp_path_factory.mktemp("tiff")
    return write_fax_tiff(folder / "fax.tif", pages_of(NOTE.read_text(), lines_per_page=26))


def _tiff_bytes(frames: list[Image.Image], **options) -> bytes:
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:], **options)
    return buffer.getvalue()


def test_tiff_is_recognised_by_content_whatever_its_name():
    blob = _tiff_bytes([Image.new("1", (100, 100), 1)])
    big_endian = b"MM\x00*" + b"\x00" * 20
    assert kind_of("fax.tif", blob) == "tiff"
    assert kind_of("fax", blob) == "tiff"
    assert kind_of("scan.bin", big_endian) == "tiff"
    with pytest.raises(ChartReadError, match="unsupported file type '.bin'"):
        kind_of("scan.bin", b"II*\x01 not a tiff")


@needs_tesseract
def test_multi_page_tiff_is_read_page_by_page_by_ocr(fax_tiff):
    document = read_document(fax_tiff)
    assert document.kind == "tiff"
    assert [p.number for p in document.pages] == [1, 2]
    assert all(p.ocr for p in document.pages)
    assert "pacemaker" in document.pages[0].text
    assert "MRI contraindicated" in document.pages[1].text


@needs_tesseract
def test_tiff_evidence_boxes_and_page_images_come_from_the_same_pages(fax_tiff):
    document = read_document(fax_tiff)
    text = document.pages[1].text
    start = text.index("MRI contraindicated")
    boxes = evidence_boxes(fax_tiff, 2, start, start + len("MRI contraindicated"))
    width, height = page_size(fax_tiff, 2)
    assert len(boxes) == 1
    box = boxes[0]
    assert 0 < box.x0 < box.x1 < width and 0 < box.y0 < box.y1 < height
    png = page_image(fax_tiff, 2, scale=1.0)
    with Image.open(io.BytesIO(png)) as image:
        assert abs(image.width - width) <= 1 and abs(image.height - height) <= 1


@needs_tesseract
def test_tiff_fax_is_reviewed_from_the_command_line(fax_tiff):
    result = subprocess.run(
        [sys.executable, "-m", "priorauth", "review", str(fax_tiff), "--cpt", "72131",
         "--request-date", "2026-10-14", "--age", "57", "--sex", "F", "--format", "json"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    review = json.loads(result.stdout)
    assert review["determination"] == "meets_criteria"
    assert review["documents"] == [{"name": "fax.tif", "kind": "tiff", "pages": 2}]
    pages = {p.number: p.text for d in read_chart([fax_tiff]) for p in d.pages}
    evidence = [ev for c in review["criteria"] for ev in c["evidence"]]
    assert {ev["page"] for ev in evidence} == {1, 2}
    for ev in evidence:
        assert pages[ev["page"]][ev["start"]:ev["end"]] == ev["text"]


def test_tiff_over_the_page_limit_is_refused():
    blob = _tiff_bytes([Image.new("1", (50, 50), 1) for _ in range(4)])
    with pytest.raises(ChartReadError) as caught:
        check_bytes("many.tif", blob, limits=GateLimits(max_pages=3))
    assert str(caught.value) == ("many.tif: TIFF has more than 3 pages (the limit); split it "
                                 "into smaller files")
    assert caught.value.status == 422


def test_tiff_frame_over_the_pixel_limit_is_refused_before_it_is_decoded():
    blob = _tiff_bytes([Image.new("1", (50, 50), 1), Image.new("1", (3000, 3000), 1)],
                       compression="group4")
    with pytest.raises(ChartReadError) as caught:
        check_bytes("huge.tif", blob, limits=GateLimits(max_image_pixels=1_000_000))
    assert str(caught.value) == ("huge.tif: TIFF page 2 has 9,000,000 pixels, more than the "
                                 "limit of 1,000,000")


def test_damaged_tiff_is_refused_with_one_line(tmp_path, capsys):
    from priorauth.cli import main

    blob = _tiff_bytes([Image.new("L", (400, 400), 255)])
    path = tmp_path / "cut.tif"
    path.write_bytes(blob[: len(blob) // 3])
    assert main(["review", str(path), "--cpt", "72131"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "cut.tif: TIFF is damaged or truncated and cannot be read" in err


def _patched(blob: bytes, patch) -> bytes:
    """A little-endian TIFF with its first IFD changed by ``patch(data, ifd, entries)``."""
    import struct

    data = bytearray(blob)
    ifd = struct.unpack("<I", data[4:8])[0]
    entries = struct.unpack("<H", data[ifd:ifd + 2])[0]
    patch(data, ifd, entries)
    return bytes(data)


def test_a_tiff_whose_pages_loop_is_read_once_not_forever():
    import struct

    def loop(data, ifd, entries):
        at = ifd + 2 + 12 * entries
        data[at:at + 4] = struct.pack("<I", ifd)  # the next page is this page again

    blob = _patched(_tiff_bytes([Image.new("1", (50, 50), 1)]), loop)
    started = time.monotonic()
    assert check_bytes("loop.tif", blob) == "tiff"
    assert time.monotonic() - started < 5


def test_a_tiff_header_claiming_billions_of_pixels_is_refused_without_decoding():
    import struct

    def huge(data, ifd, entries):
        for k in range(entries):
            at = ifd + 2 + 12 * k
            tag, kind = struct.unpack("<HH", data[at:at + 4])
            if tag in (256, 257):  # width, height
                data[at + 8:at + 12] = (struct.pack("<H", 60000) + b"\0\0" if kind == 3
                                        else struct.pack("<I", 60000))

    blob = _patched(_tiff_bytes([Image.new("1", (8, 8), 1)]), huge)
    with pytest.raises(ChartReadError) as caught:
        check_bytes("bomb.tif", blob)
    assert str(caught.value).startswith("bomb.tif: TIFF ")
    assert "pixels" in str(caught.value) or "image size limit" in str(caught.value)


@needs_tesseract
def test_a_chart_folder_with_a_tiff_fax_is_reviewed_by_batch(fax_tiff, tmp_path):
    import shutil

    case = tmp_path / "in" / "fax-case"
    case.mkdir(parents=True)
    shutil.copy(fax_tiff, case / "fax.tiff")
    (case / "request.json").write_text(json.dumps(
        {"cpt": ["72131"], "request_date": "2026-10-14", "age": 57, "sex": "F"}))
    out = tmp_path / "results.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "priorauth", "batch", str(tmp_path / "in"), "--out", str(out),
         "--workers", "1", "--quiet"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert record["chart"] == "fax-case" and record["ok"], record
    assert record["review"]["documents"] == [{"name": "fax.tiff", "kind": "tiff", "pages": 2}]
    assert record["review"]["determination"] == "meets_criteria"


@needs_tesseract
def test_a_fhir_bundle_with_an_image_tiff_attachment_is_reviewed(fax_tiff, tmp_path, capsys):
    pytest.importorskip("fhir.resources")
    from test_fhir import _doc_resource, _write, pas_bundle

    from priorauth.cli import main

    bundle = pas_bundle(NOTE.parent, documents=[fax_tiff])
    _doc_resource(bundle)["content"][0]["attachment"]["contentType"] = "image/tiff"
    path = _write(tmp_path / "fax-bundle.json", bundle)
    assert main(["review", str(path), "--format", "json"]) == 0
    review = json.loads(capsys.readouterr().out)
    assert [(d["kind"], d["pages"]) for d in review["documents"]] == [("tiff", 2)]
    assert review["determination"] == "meets_criteria"


def test_libtiff_complaints_about_a_damaged_strip_stay_out_of_our_stderr(capfd):
    """Pillow's libtiff prints 'Fax4Decode: Bad code word ...' on a damaged group-4 strip
    (to the process's stderr); the TIFF is decoded in a child, so the command line's one-line
    error and the server's log stay clean."""
    from faxes import fax_image

    blob = bytearray(_tiff_bytes([fax_image(["a line of a faxed note"] * 20).convert("1")],
                                 compression="group4"))
    blob[200:260] = b"\xa5" * 60  # inside the first strip
    assert check_bytes("smudged.tif", bytes(blob)) == "tiff"  # still a page, smudged
    assert capfd.readouterr().err == ""
