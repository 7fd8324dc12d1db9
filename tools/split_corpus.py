"""Copy labelled case folders into a dev and a frozen test half, split by a hash of the
case name (fixed before any rule was tuned on them; never re-split).

    python tools/split_corpus.py SRC_DIR DEST_DIR    # DEST_DIR/dev/<case>, DEST_DIR/test/<case>
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path


def half(name: str) -> str:
    """``dev`` or ``test`` for a case name: the parity of its SHA-256."""
    return "dev" if int(hashlib.sha256(name.encode()).hexdigest(), 16) % 2 == 0 else "test"


def main(src: str, dest: str) -> None:
    for case in sorted(Path(src).iterdir()):
        if not (case / "expected.json").exists():
            continue
        target = Path(dest) / half(case.name) / case.name
        target.mkdir(parents=True, exist_ok=True)
        for f in case.iterdir():
            if f.is_file() and f.name != "intent.json":
                shutil.copy2(f, target / f.name)


if __name__ == "__main__":
    main(*sys.argv[1:3])
