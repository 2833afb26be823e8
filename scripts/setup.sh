#!/usr/bin/env bash
# Create .venv and install the project with the CPU build of torch. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# The CPU build first: an unpinned torch (pulled in by sentence-transformers) brings GBs of CUDA.
# PyPI's Linux torch wheel is the CUDA one, so ask PyTorch's CPU index for it (machines with a local
# wheel or a pip configuration that supplies the CPU build get it from there).
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  echo "setup: installing the CPU build of torch 2.13.0 from https://download.pytorch.org/whl/cpu"
  if ! .venv/bin/python -m pip install -q "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu \
      --timeout 20 --retries 1; then
    # No CPU index and no local wheel: say so, then take torch from the configured index. On Linux, PyPI's
    # wheel is the CUDA build (several GB, runs on the CPU all the same).
    echo "setup: PyTorch's CPU index is unreachable and no local CPU wheel was found;" \
         "installing torch==2.13.0 from the configured package index instead (on Linux that is the CUDA build," \
         "several GB; to avoid it, install a CPU wheel first: pip install torch==2.13.0 --index-url" \
         "https://download.pytorch.org/whl/cpu)"
    .venv/bin/python -m pip install -q "torch==2.13.0"
  fi
fi
echo "setup: torch $(.venv/bin/python -c 'import torch; print(torch.__version__)')"
.venv/bin/python -m pip install -q -e ".[dev${EXTRAS:+,$EXTRAS}]"
