#!/usr/bin/env bash
# One command: set up and run the whole test suite (pass pytest options through, e.g. -m "not slow").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Debian's Chromium and chromedriver for the browser tests of the UI; they fail rather than skip here.
bash scripts/install-browser.sh
export RAG_REQUIRE_BROWSER=1
.venv/bin/python -m pytest "$@"
