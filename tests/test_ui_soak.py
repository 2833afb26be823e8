"""A short soak of the real server: many sessions, every answer their own, and memory that stops growing."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
# Growth of the server's RSS from the end of warm-up to the end of the run. See the README's soak notes:
# with glibc's default mmap threshold the server kept growing past this; with ui/memory.py it stays flat.
MAX_GROWTH_PCT = 10.0


@pytest.mark.slow
def test_a_short_soak_answers_every_session_its_own_and_memory_stays_flat(tiny_assistant, tmp_path):
    settings = tiny_assistant.settings
    out = tmp_path / "soak.json"
    soak = runpy.run_path(str(ROOT / "eval" / "soak_serve.py"))
    status = soak["main"](["--questions", "300", "--clients", "20", "--session-turns", "6", "--sample-every", "25",
                           "--warmup", "100", "--seconds", "150", "--settle", "1",
                           "--index", str(settings.paths.index), "--corpus", str(settings.paths.corpus),
                           "--out", str(out)])
    data = json.loads(out.read_text())
    assert data["requests"] == 300, "the run stopped at its time limit before asking every question"
    assert data["errors"] == 0, data["error_samples"]
    assert data["leaks"] == 0, data["leak_samples"]
    assert status == 0
    assert data["growth_after_warmup_pct"] < MAX_GROWTH_PCT, data["samples"]
