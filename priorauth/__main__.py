"""``python -m priorauth``."""

from priorauth.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
