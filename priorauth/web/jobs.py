"""Reviews run in background threads; the page polls their stage in the database.

The stages are those of :func:`priorauth.review.review_chart` (read -> extract -> score), run
one by one here so that the page can show which one is under way. Documents are renamed from
their random stored names back to their uploaded names before extraction, so evidence cites
the names the reviewer knows.

Two lanes, one worker thread each, so that a small review never queues behind a large one:
*small* is a chart of text files only, :data:`SMALL_MAX_BYTES` in all at most (a text note is
a few KB; 200 KB is about 3 s of NLP); *large* is any chart with a PDF (reading, OCR) or more
text than that. Both lanes share one spaCy pipeline, which spaCy does not promise is safe to
call from two threads, so each call into it holds
:data:`priorauth.extract.pipeline.NLP_LOCK`, one page segment at a time: the two lanes take
turns page by page, and reading and OCR, the slow part of a scanned PDF, run alongside.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from priorauth.extract.ingest import ChartReadError
from priorauth.extract.pipeline import NLP_LOCK
from priorauth.models import Review, ReviewRequest
from priorauth.web.store import Store

__all__ = ["NLP_LOCK", "SMALL_MAX_BYTES", "STAGES", "ReviewRunner", "lane_of", "run_review"]

log = logging.getLogger("priorauth.web")

#: What the page shows, in order.
STAGES = ("queued", "reading", "extracting", "scoring", "done")
#: Largest chart (text files only, bytes in all) reviewed in the small lane.
SMALL_MAX_BYTES = 200_000
LANES = ("small", "large")


def lane_of(paths: Sequence[Path], *, small_max_bytes: int = SMALL_MAX_BYTES) -> str:
    """``"small"`` for a chart of text files only of at most ``small_max_bytes`` in all, else
    ``"large"`` (any PDF, by name or content, or more text)."""
    total = 0
    for path in paths:
        try:
            with open(path, "rb") as handle:
                head = handle.read(1024)
            total += path.stat().st_size
        except OSError:  # unreadable: the review itself reports it
            continue
        if path.suffix.lower() == ".pdf" or b"%PDF-" in head:
            return "large"
    return "small" if total <= small_max_bytes else "large"


def run_review(paths: Sequence[Path], names: Sequence[str], request: ReviewRequest, *,
               on_stage: Callable[[str], None], max_pages: int, max_bytes: int,
               on_ocr: Callable[[int, int], None] | None = None) -> Review:
    """Review a chart like :func:`priorauth.review.review_chart`, reporting each stage.

    Args:
        paths: The stored files, in upload order.
        names: Their display names, cited as ``document`` in the evidence.
        request: The review request.
        on_stage: Called with ``"reading"``, ``"extracting"``, ``"scoring"``.
        max_pages: Page limit per PDF.
        max_bytes: Size limit per file.
        on_ocr: Called with (pages OCRed, pages to OCR) as each scanned page is read.

    Raises:
        ChartReadError: A file cannot be read (the message names the stored file).
    """
    from priorauth.extract.ingest import OcrBudget
    from priorauth.review import review_chart

    return review_chart(paths, request, names=names, on_stage=on_stage, max_pages=max_pages,
                        max_bytes=max_bytes, ocr_budget=OcrBudget(on_progress=on_ocr))


class ReviewRunner:
    """Two lanes of reviews, small and large, one worker thread each, each in order (see the
    module docstring).

    Args:
        store: Where stages, results and errors are written.
        max_pages: Page limit per PDF.
        max_bytes: Size limit per file.
        small_max_bytes: Largest text-only chart of the small lane.
    """

    def __init__(self, store: Store, *, max_pages: int, max_bytes: int,
                 small_max_bytes: int = SMALL_MAX_BYTES) -> None:
        self.store = store
        self.max_pages = max_pages
        self.max_bytes = max_bytes
        self.small_max_bytes = small_max_bytes
        #: OCR progress of each review run by this server: (pages read, pages to read).
        self.ocr_progress: dict[str, tuple[int, int]] = {}
        self._pools = {lane: ThreadPoolExecutor(max_workers=1,
                                                thread_name_prefix=f"priorauth-review-{lane}")
                       for lane in LANES}

    def submit(self, review_id: str, paths: Sequence[Path], names: Sequence[str],
               request: ReviewRequest) -> Future[None]:
        """Queue a review in its lane; returns its future."""
        lane = lane_of(paths, small_max_bytes=self.small_max_bytes)
        log.info("review %s: %s lane", review_id, lane)
        return self._pools[lane].submit(self._run, review_id, list(paths), list(names),
                                        request)

    def shutdown(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, review_id: str, paths: list[Path], names: list[str],
             request: ReviewRequest) -> None:
        def on_stage(stage: str) -> None:
            self.store.set_status(review_id, stage)
            log.info("review %s: %s", review_id, stage)

        self._review(review_id, paths, names, request, on_stage)

    def _ocr(self, review_id: str, done: int, total: int) -> None:
        self.ocr_progress[review_id] = (done, total)

    def _review(self, review_id: str, paths: list[Path], names: list[str],
                request: ReviewRequest, on_stage: Callable[[str], None]) -> None:
        try:
            review = run_review(paths, names, request, on_stage=on_stage,
                                max_pages=self.max_pages, max_bytes=self.max_bytes,
                                on_ocr=lambda done, total: self._ocr(review_id, done, total))
        except ChartReadError as exc:
            message = str(exc)
            for path, name in zip(paths, names, strict=True):
                message = message.replace(path.name, name)
            self.store.finish(review_id, error=message)
            log.info("review %s: failed (chart could not be read)", review_id)
            return
        except Exception as exc:  # never log the message: it may quote the chart
            self.store.finish(review_id, error="internal error while reviewing this chart")
            log.error("review %s: failed (%s)", review_id, type(exc).__name__)
            return
        self.store.finish(review_id, review_json=review.to_json())
        log.info("review %s: done", review_id)
