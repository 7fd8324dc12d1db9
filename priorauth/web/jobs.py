"""Reviews run in a background thread; the page polls their stage in the database.

The stages are those of :func:`priorauth.review.review_chart` (read -> extract -> score), run
one by one here so that the page can show which one is under way. Documents are renamed from
their random stored names back to their uploaded names before extraction, so evidence cites
the names the reviewer knows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from priorauth.extract.ingest import ChartReadError
from priorauth.models import Review, ReviewRequest
from priorauth.web.store import Store

__all__ = ["STAGES", "ReviewRunner", "run_review"]

log = logging.getLogger("priorauth.web")

#: What the page shows, in order.
STAGES = ("queued", "reading", "extracting", "scoring", "done")


def run_review(paths: Sequence[Path], names: Sequence[str], request: ReviewRequest, *,
               on_stage: Callable[[str], None], max_pages: int, max_bytes: int) -> Review:
    """Review a chart like :func:`priorauth.review.review_chart`, reporting each stage.

    Args:
        paths: The stored files, in upload order.
        names: Their display names, cited as ``document`` in the evidence.
        request: The review request.
        on_stage: Called with ``"reading"``, ``"extracting"``, ``"scoring"``.
        max_pages: Page limit per PDF.
        max_bytes: Size limit per file.

    Raises:
        ChartReadError: A file cannot be read (the message names the stored file).
    """
    from priorauth.review import review_chart

    return review_chart(paths, request, names=names, on_stage=on_stage, max_pages=max_pages,
                        max_bytes=max_bytes)


class ReviewRunner:
    """One worker thread running reviews in order (the NLP pipeline is shared).

    Args:
        store: Where stages, results and errors are written.
        max_pages: Page limit per PDF.
        max_bytes: Size limit per file.
    """

    def __init__(self, store: Store, *, max_pages: int, max_bytes: int) -> None:
        self.store = store
        self.max_pages = max_pages
        self.max_bytes = max_bytes
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="priorauth-review")

    def submit(self, review_id: str, paths: Sequence[Path], names: Sequence[str],
               request: ReviewRequest) -> Future[None]:
        return self._pool.submit(self._run, review_id, list(paths), list(names), request)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, review_id: str, paths: list[Path], names: list[str],
             request: ReviewRequest) -> None:
        def on_stage(stage: str) -> None:
            self.store.set_status(review_id, stage)
            log.info("review %s: %s", review_id, stage)

        try:
            review = run_review(paths, names, request, on_stage=on_stage,
                                max_pages=self.max_pages, max_bytes=self.max_bytes)
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
