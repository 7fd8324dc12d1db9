#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian machine, then run lint and tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
APT_PACKAGES=(chromium tesseract-ocr tesseract-ocr-eng postgresql)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -x .venv/bin/python ] || python3.11 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev,batch,ocr,web,fhir]'
# PostgreSQL: the tests start their own throw-away cluster with Debian's initdb/pg_ctl (as the
# postgres user when run as root); check the binaries are there so a missing one fails loudly.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest -q -p no:cacheprovider
