#!/usr/bin/env bash
# Install Baton with its test extras into .venv and run every check: ruff, mypy, import contracts, pytest
# (unit, property, pm4py cross-checks, notebooks, browser). Usage: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
# Browser tests use Debian's chromium, the PDF page check poppler's pdftoppm; install them when we are root
# and they are missing (the exports themselves need neither).
if { [ ! -x /usr/bin/chromium ] || ! command -v pdftoppm >/dev/null; } && [ "$(id -u)" = 0 ] \
   && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null) \
    || echo "warning: could not install chromium / poppler-utils; browser and PDF page tests will skip" >&2
fi
# The Spark engine tests need a Java runtime (17+) for pyspark's local mode; install one when we are root.
if ! command -v java >/dev/null && [ -z "${JAVA_HOME:-}" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null) \
    || echo "warning: could not install a Java runtime; Spark engine tests will skip" >&2
fi
echo "== ruff"; .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy"; .venv/bin/mypy baton analytics connectors app_pages reports app.py
echo "== import contracts"; .venv/bin/lint-imports
echo "== pytest"; .venv/bin/python -m pytest -n 2 --dist loadfile "$@"
