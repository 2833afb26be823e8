"""eval/bench_pg.py measures pgvector HNSW on a real server: the figures `eval/benchmark.py --pgvector` prints."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def test_measure_pgvector_reports_build_latency_and_recall_against_exact_search(pg_dsn) -> None:
    measure = runpy.run_path(str(ROOT / "eval" / "bench_pg.py"))["measure_pgvector"]
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(2000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    result = measure(vectors, vectors[:20] + 0.01, 10, pg_dsn)
    assert result["n"] == 2000 and result["build_s"] > 0 and result["p95_ms"] >= result["p50_ms"] > 0
    assert result["recall_at_10"] >= 0.95 and result["sweep"][-1]["ef_search"] == result["ef_search"]
