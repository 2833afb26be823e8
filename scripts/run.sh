#!/usr/bin/env bash
# One command: set up, build (or update) the index of the bundled corpus, open the chat UI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/rag ingest
# The chat UI on http://127.0.0.1:7860 (Ctrl-C stops it); RAG_SERVE_HOST, RAG_SERVE_PORT or --port change it.
exec .venv/bin/rag serve "$@"
