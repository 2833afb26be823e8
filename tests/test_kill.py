"""kill -9 of a real `rag ingest` at many points (twenty when measured) never costs the live build; the next
clean ingest leaves exactly the live and the previous build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rag import ingest
from rag.store_faiss import current_build, load_index

ROOT = Path(__file__).resolve().parent.parent
# Twenty points for the measurement (`RAG_KILL_POINTS=20 pytest tests/test_kill.py`); eight in the default
# run, which each cost a real start-up of `rag ingest`, to keep the suite within its ten minutes.
KILLS = int(os.environ.get("RAG_KILL_POINTS", "8"))


def _start(settings) -> tuple[subprocess.Popen, list[float]]:
    """A real `rag ingest`; the second list gets the time its first progress line appears (reading began)."""
    env = {**os.environ, "RAG_PATHS_INDEX": str(settings.paths.index), "RAG_PATHS_CORPUS": str(settings.paths.corpus)}
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "ingest"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    began = time.monotonic()
    reading: list[float] = []

    def watch() -> None:
        for line in iter(lambda: proc.stderr.read(64), b""):
            if not reading and b"read" in line:
                reading.append(time.monotonic() - began)

    threading.Thread(target=watch, daemon=True).start()
    return proc, reading


def _chunks(settings) -> list[tuple[str, str]]:
    return [(c.chunk_id, c.text) for c in load_index(settings.paths.index).chunks]


@pytest.mark.slow
def test_kill_9_at_many_points_of_a_real_ingest_never_costs_the_live_build(
        tiny_corpus_settings, embedder, record_property):
    settings = tiny_corpus_settings
    root = settings.paths.index
    proc, reading = _start(settings)  # a full run, to time it
    began = time.monotonic()
    assert proc.wait(timeout=300) == 0
    duration = time.monotonic() - began
    read_at = reading[0] if reading else duration * 0.8
    expected = _chunks(settings)
    # Half the points spread over the whole run (start-up, model load), half over the part that
    # reads, embeds and writes the build, where a kill can land between files on disk.
    half = KILLS // 2
    points = sorted([duration * i / half for i in range(1, half + 1)]
                    + [read_at + (duration - read_at) * i / (KILLS - half) for i in range(KILLS - half)])
    survived, running = 0, 0
    for point in points:
        proc, _ = _start(settings)
        time.sleep(point)
        running += proc.poll() is None
        proc.send_signal(signal.SIGKILL)  # a no-op if it has already finished
        proc.wait()
        assert _chunks(settings) == expected, f"killed at {point:.2f}s"  # the live build still serves

        ingest(settings, embedder)  # the next clean ingest succeeds ...

        builds = root / "builds"
        names = {p.name for p in builds.iterdir()}
        assert not [n for n in names if n.startswith(".tmp-")] and not (root / "CURRENT.tmp").exists()
        assert current_build(root).name in names and len(names) <= 2  # ... keeping only live and previous
        assert _chunks(settings) == expected
        survived += 1
    print(f"kills survived {survived}/{len(points)}, {running} while running, full ingest {duration:.1f}s")
    record_property("kills_survived", f"{survived}/{len(points)}")
    record_property("kills_while_running", running)
    record_property("full_ingest_seconds", round(duration, 1))
    assert survived == KILLS
    assert running >= KILLS // 2  # most kills hit a live process, not one that had already finished
