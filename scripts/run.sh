#!/usr/bin/env bash
# One command: set up, build (or update) the index of the bundled corpus, answer a sample question.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/rag ingest
.venv/bin/rag ask "How many government delegates attended the 2016 Bangkok workshop?"
