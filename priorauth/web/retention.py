"""Retention: delete the uploaded files and page images of finished reviews received more
than N days ago. The review's record, its decisions and the audit trail stay; each deletion is
itself a chained record (``purges``), and the page says the files are gone (410)."""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from priorauth.web.store import Store

__all__ = ["purge_expired"]

log = logging.getLogger("priorauth.web")


def purge_expired(store: Store, uploads: Path, days: int, *,
                  now: datetime | None = None) -> list[str]:
    """Delete the files of every finished review received more than ``days`` days before
    ``now``; returns the review ids purged."""
    clock = now or datetime.now(UTC)
    cutoff = (clock - timedelta(days=days)).replace(microsecond=0).isoformat()
    cutoff = cutoff.replace("+00:00", "Z")
    done = []
    for review_id in store.expired(cutoff):
        folder = uploads / review_id
        files = sum(1 for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0
        shutil.rmtree(folder, ignore_errors=True)
        store.record_purge(review_id, files)
        log.info("review %s: %d uploaded files deleted (retention %d days)", review_id, files,
                 days)
        done.append(review_id)
    return done
