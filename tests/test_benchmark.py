"""The benchmark script runs end to end in its quick mode and writes the figures it promises."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_quick_benchmark_writes_every_section(tmp_path, monkeypatch):
    out = tmp_path / "bench.json"
    module = runpy.run_path(str(ROOT / "eval" / "benchmark.py"))
    monkeypatch.setattr(sys, "argv", ["benchmark.py"])
    assert module["main"](["--quick", "--no-langchain", "--corpus", str(ROOT / "tests/data/tiny_corpus"),
                           "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["ingest"]["chunks"] > 5 and data["ingest"]["index_bytes"] > 0
    assert data["embedding"]["ours_per_s"] > 0 and data["embedding"]["ratio"] > 0
    assert data["ask"]["total"]["p95_ms"] >= data["ask"]["total"]["p50_ms"] > 0
    flat, hnsw = (next(r for r in data["scaling"] if r["index"] == name) for name in ("faiss-flat", "faiss-hnsw"))
    assert flat["recall_at_10"] == 1.0 and flat["default"] and not hnsw["default"]
    assert hnsw["recall_at_10"] >= 0.9 and hnsw["p95_ms"] >= hnsw["p50_ms"] > 0
    for row in (flat, hnsw):
        assert row["load"]["load_s"] > 0 and row["load"]["rss_after_50_queries_mb"] > 0
    assert data["peak_rss_mb"] > 0
    assert {r["shape"] for r in data["repair"]} == {"pdf-extracted txt", "wrapped md"}
    assert all(r["s_per_mb"] > 0 for r in data["repair"])
