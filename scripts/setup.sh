#!/usr/bin/env bash
# Create .venv and install the project with the CPU build of torch. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# The CPU build first: an unpinned torch (pulled in by sentence-transformers) brings GBs of CUDA.
.venv/bin/python -c "import torch" 2>/dev/null || .venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[dev${EXTRAS:+,$EXTRAS}]"
