"""OCR progress per page: a scanned upload reports pages read of pages to read while it runs,
through the status API (real tesseract, real PDF)."""

from __future__ import annotations

import time
import warnings

import pytest

from priorauth.extract import ocr
from priorauth.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

LINES = ["SPINE CLINIC NOTE    Date of service: 10/02/2026",
         "Low back pain for 3 months. No improvement after 8 weeks of PT"]


@pytest.mark.skipif(not ocr.ocr_available(), reason="tesseract not installed")
def test_a_scanned_upload_reports_ocr_progress_per_page(tmp_path, make_scanned_pdf):
    scan = make_scanned_pdf("scan.pdf", [LINES, LINES, LINES])
    app = create_app(tmp_path / "data", allowed_hosts=["testserver"])
    seen: list[tuple[int, int]] = []
    with TestClient(app) as client:
        response = client.post("/api/reviews", data={"cpt": "72131", "age": "57"},
                               files=[("files", ("scan.pdf", scan.read_bytes()))])
        review_id = response.json()["id"]
        deadline = time.monotonic() + 180
        while True:
            status = client.get(f"/api/reviews/{review_id}/status").json()
            if status["ocr"] and (not seen or seen[-1] != tuple(status["ocr"].values())):
                seen.append((status["ocr"]["done"], status["ocr"]["total"]))
            if status["done"]:
                break
            assert time.monotonic() < deadline
            time.sleep(0.02)
    assert status["status"] == "done", status
    assert seen[-1] == (3, 3)
    assert all(done <= total for done, total in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    app.state.store.close()
