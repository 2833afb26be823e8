"""The benchmark script runs end to end in its quick mode and writes the figures it promises."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import numpy as np

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
    assert data["ask"]["total_without_answer_rerank"]["p50_ms"] > 0 and data["ask"]["answer_rerank_p50_ratio"] > 0
    flat, hnsw = (next(r for r in data["scaling"] if r["index"] == name) for name in ("faiss-flat", "faiss-hnsw"))
    assert flat["recall_at_10"] == 1.0 and flat["default"] and not hnsw["default"]
    assert hnsw["recall_at_10"] >= 0.9 and hnsw["p95_ms"] >= hnsw["p50_ms"] > 0
    for row in (flat, hnsw):
        assert row["load"]["load_s"] > 0 and row["load"]["rss_after_50_queries_mb"] > 0
    assert data["peak_rss_mb"] > 0
    assert {r["shape"] for r in data["repair"]} == {"pdf-extracted txt", "wrapped md"}
    assert all(r["s_per_mb"] > 0 for r in data["repair"])


def test_build_load_writes_a_replicated_build_through_the_store_and_loads_it_in_a_fresh_process(
        tiny_assistant, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "eval"))
    from bench_build import bench_build_load, synthesize

    source = tiny_assistant.index
    n = 3 * len(source.chunks) + 2  # three whole copies and two chunks of a fourth
    documents, chunks, vectors, sentences, files = synthesize(source, n, 0.02, np.random.default_rng(0))
    assert len(chunks) == n == len({c.chunk_id for c in chunks}) == len(vectors) == sentences.passages
    assert all(d.text[c.start : c.end] == c.text for d in documents for c in chunks if c.doc == d.doc)
    assert sum(f.chunks for f in files) == n and len({d.doc for d in documents}) == len(documents)
    [row] = bench_build_load(source, [n], 0.02, tmp_path)
    load = row["load"]
    assert row["n"] == n and row["dense"] == {"kind": "flat"} and row["total_mb"] > 0
    assert load["load_s"] > 0 and load["hits"] > 0 and load["rss_after_load_mb"] >= load["rss_with_model_mb"] > 0
