#!/usr/bin/env bash
# Install priorauth on a fresh machine and review a bundled sample chart.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3.11 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
.venv/bin/priorauth review sample_notes/01_pt_failed_pacemaker/*.txt \
  --cpt 72131 --request-date 2026-10-14 --age 57 --sex F
