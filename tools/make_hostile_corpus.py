"""Write the hostile-input corpus of issue 11 into a folder, to try by hand or in the web page.

    .venv/bin/python tools/make_hostile_corpus.py /tmp/hostile
    .venv/bin/priorauth review /tmp/hostile/operator_bomb.pdf --cpt 72131

The builders live in ``tests/hostile.py`` (the tests use the same ones); nothing binary is
committed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import hostile  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="where to write (created; must be empty)")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    if any(args.folder.iterdir()):
        parser.error(f"{args.folder} is not empty")
    for name, build in hostile.BUILDERS.items():
        path = build(args.folder)
        print(f"{name:30s} {path.name}")
    (args.folder / "good.txt").write_text(hostile.GOOD_NOTE, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
