"""The chart endpoints through HTTP (FastAPI TestClient; no browser): every page listed,
page images of PDF and TIFF documents, search hits whose offsets index the text the review
read and whose boxes land on the page (issue 12, item 5)."""

from __future__ import annotations

import io
import time
import warnings
from pathlib import Path

import pytest
from faxes import pages_of, write_fax_tiff
from PIL import Image

from priorauth.extract import ocr
from priorauth.extract.ingest import read_document
from priorauth.web.app import Limits, create_app
from priorauth.web.chart_view import search_pages

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SAMPLES = Path(__file__).resolve().parents[1] / "sample_notes"
NOTE = SAMPLES / "01_pt_failed_pacemaker" / "spine_followup_2026-10-02.txt"
PDF = SAMPLES / "05_myelopathy_cochlear_pdf" / "neurology_and_audiology.pdf"
FORM = {"cpt": "72131", "request_date": "2026-10-14", "age": "57"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("data"), limits=Limits(),
                     allowed_hosts=["testserver"])
    with TestClient(app) as c:
        yield c


def _reviewed(client, files: list[tuple[str, bytes]]) -> str:
    response = client.post("/api/reviews", data=FORM, files=[
        ("files", (name, blob, "application/octet-stream")) for name, blob in files])
    assert response.status_code == 202, response.text
    review_id = response.json()["id"]
    deadline = time.monotonic() + 240
    while not (status := client.get(f"/api/reviews/{review_id}/status").json())["done"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert status["status"] == "done", status
    return review_id


@pytest.fixture(scope="module")
def chart(client) -> str:
    return _reviewed(client, [("letters.pdf", PDF.read_bytes()), ("note.txt", NOTE.read_bytes())])


def test_the_chart_lists_every_page_of_every_document(client, chart):
    body = client.get(f"/api/reviews/{chart}/chart").json()
    docs = body["documents"]
    assert [(d["name"], d["kind"], d["paged"], [p["number"] for p in d["pages"]])
            for d in docs] == [("letters.pdf", "pdf", True, [1, 2]),
                               ("note.txt", "txt", False, [None])]
    width, height = docs[0]["pages"][1]["width"], docs[0]["pages"][1]["height"]
    png = client.get(f"/api/reviews/{chart}/chart/0/pages/2.png?scale=0.2")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(png.content)) as image:
        assert abs(image.width - width * 0.2) <= 1 and abs(image.height - height * 0.2) <= 1
    assert client.get(f"/api/reviews/{chart}/chart/1/pages/1.png").status_code == 404
    assert client.get(f"/api/reviews/{chart}/chart/0/pages/3.png").status_code == 404
    assert client.get(f"/api/reviews/{chart}/chart/0/pages/1.png?scale=9").status_code == 422


def test_search_finds_words_in_every_document_with_offsets_and_boxes(client, chart):
    body = client.get(f"/api/reviews/{chart}/search", params={"q": "CONTRAINDICATED"}
                      ).json()
    hits = body["hits"]
    assert {(h["name"], h["page"]) for h in hits} >= {("letters.pdf", 2), ("note.txt", None)}
    texts = {0: read_document(PDF).pages, 1: read_document(NOTE).pages}
    for hit in hits:
        page = texts[hit["position"]][(hit["page"] or 1) - 1]
        assert page.text[hit["start"]:hit["end"]].lower() == "contraindicated"
        assert hit["match"] == page.text[hit["start"]:hit["end"]]
    pdf_hit = next(h for h in hits if h["name"] == "letters.pdf")
    boxes = client.get(f"/api/reviews/{chart}/chart/0/boxes", params={
        "page": pdf_hit["page"], "start": pdf_hit["start"], "end": pdf_hit["end"]}).json()
    assert len(boxes["boxes"]) == 1
    x0, y0, x1, y1 = boxes["boxes"][0]
    assert 0 < x0 < x1 < boxes["page_width"] and 0 < y0 < y1 < boxes["page_height"]
    none = client.get(f"/api/reviews/{chart}/search", params={"q": "zebra crossing"}).json()
    assert none == {"q": "zebra crossing", "truncated": False, "hits": []}
    assert client.get(f"/api/reviews/{chart}/search", params={"q": ""}).status_code == 422


def test_search_is_bounded_and_treats_the_query_as_words_not_a_pattern():
    pages = [(1, "PT " * 500), (2, "a.b (x) a*b")]
    hits, truncated = search_pages("pt", [(0, "d", pages)], limit=200)
    assert len(hits) == 200 and truncated
    hits, truncated = search_pages("(x)", [(0, "d", pages)])
    assert [(h.page, h.match) for h in hits] == [(2, "(x)")] and not truncated
    (only,), _ = search_pages("a.b", [(0, "d", pages)])
    assert (only.page, only.start) == (2, 0)  # "." is a dot, not any character
    assert search_pages("   ", [(0, "d", pages)]) == ([], False)
    (wrapped,), _ = search_pages("new   ONSET pain", [(0, "d", [(None, "a\nnew\n onset pain")])])
    assert (wrapped.start, wrapped.end, wrapped.match) == (2, 17, "new onset pain")


@pytest.mark.skipif(not ocr.ocr_available(), reason="tesseract not installed")
def test_a_tiff_fax_upload_has_page_images_and_searchable_ocr_text(client, tmp_path):
    tiff = write_fax_tiff(tmp_path / "fax.tif", pages_of(NOTE.read_text(), lines_per_page=26))
    review_id = _reviewed(client, [("fax.tif", tiff.read_bytes())])
    review = client.get(f"/api/reviews/{review_id}").json()
    assert review["documents"] == [{"name": "fax.tif", "kind": "tiff", "pages": 2}]
    docs = client.get(f"/api/reviews/{review_id}/chart").json()["documents"]
    assert [p["number"] for p in docs[0]["pages"]] == [1, 2] and docs[0]["paged"]
    png = client.get(f"/api/reviews/{review_id}/chart/0/pages/2.png?scale=0.5")
    assert png.status_code == 200
    hits = client.get(f"/api/reviews/{review_id}/search", params={"q": "device clinic"}
                      ).json()["hits"]
    assert [(h["page"], h["match"].lower()) for h in hits] == [(2, "device clinic")]
    boxes = client.get(f"/api/reviews/{review_id}/chart/0/boxes", params={
        "page": 2, "start": hits[0]["start"], "end": hits[0]["end"]}).json()
    assert len(boxes["boxes"]) == 1


def test_printable_report_audit_trail_names_criteria_in_words(client):
    import re

    review_id = _reviewed(client, [("followup.txt", NOTE.read_bytes())])
    posted = client.post(f"/api/reviews/{review_id}/decisions", json={
        "criterion_id": "ind.1.1", "action": "agree", "comment": "device clinic letter",
        "reviewer": "A. Reviewer"})
    assert posted.status_code == 201, posted.text
    report = client.get(f"/reviews/{review_id}/report").text
    audit = report.split("<h2>Audit trail</h2>", 1)[1]
    assert "<td>MRI is contraindicated or cannot be performed<details>" in audit
    assert "<summary>details</summary><small>ind.1.1 agree</small>" in audit
    words_only = re.sub(r"<details>.*?</details>", "", report)
    assert not re.search(r"\b(?:ind|non|note)\.[0-9a-z_]+", words_only)
