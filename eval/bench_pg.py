"""PostgreSQL/pgvector HNSW at scale: build time, query latency and recall@10 against exact search.

    .venv/bin/python eval/bench_pg.py [--sizes 10000 100000] [--queries 200] [--noise 0.02] [--dsn postgresql://...]

`measure_pgvector(vectors, queries, k)` is what `eval/benchmark.py --pgvector` calls beside its FAISS rows.
Without a DSN it starts a throwaway PostgreSQL 16 with pgvector from the `pgserver` wheel on loopback (the
tests' server, tests/pg_support.py), with room for the index build in memory. The index is the backend's
(`rag.pgstore.HNSW`, cosine); queries go one at a time through psycopg as `rag serve` sends them, so the
latencies include the round trip. ef_search is swept upward and the smallest value reaching recall@10 >=
0.95 is reported (with the whole sweep).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EF_SWEEP = (40, 64, 100, 160, 256, 400, 640, 1000)
TARGET_RECALL = 0.95
SERVER_OPTIONS = ("shared_buffers=2GB", "maintenance_work_mem=3GB", "max_parallel_maintenance_workers=1",
                  "effective_cache_size=8GB")


def _exact(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Exact top-k by inner product (the vectors are unit length: the cosine order), in blocks."""
    out = np.zeros((len(queries), k), dtype=np.int64)
    for first in range(0, len(queries), 64):
        scores = queries[first:first + 64] @ vectors.T
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        out[first:first + 64] = np.take_along_axis(top, order, axis=1)
    return out


def _load(conn: Any, vectors: np.ndarray, hnsw: str) -> float:
    """Table, COPY and HNSW index, as `rag ingest` writes a build; seconds taken."""
    began = time.perf_counter()
    conn.execute("DROP TABLE IF EXISTS bench_pg")
    conn.execute(f"CREATE TABLE bench_pg (position int PRIMARY KEY, embedding vector({vectors.shape[1]}) NOT NULL)")
    with conn.cursor().copy("COPY bench_pg (position, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(["int4", "vector"])
        for i, v in enumerate(vectors):
            copy.write_row((i, v))
    conn.execute(f"CREATE INDEX ON bench_pg USING hnsw (embedding vector_cosine_ops) WITH ({hnsw})")
    conn.execute("ANALYZE bench_pg")
    return time.perf_counter() - began


def _query(conn: Any, queries: np.ndarray, k: int, ef: int) -> tuple[list[float], np.ndarray]:
    conn.execute("SELECT set_config('hnsw.ef_search', %s, false)", (str(max(ef, k)),))
    sql = "SELECT position FROM bench_pg ORDER BY embedding <=> %s LIMIT %s"
    for q in queries[:5]:  # warm the cache and the prepared statement
        conn.execute(sql, (q, k), prepare=True).fetchall()
    times, found = [], []
    for q in queries:
        began = time.perf_counter()
        rows = conn.execute(sql, (q, k), prepare=True).fetchall()
        times.append((time.perf_counter() - began) * 1000)
        found.append([r[0] for r in rows] + [-1] * (k - len(rows)))
    return times, np.array(found)


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, exact, strict=True)]))


def _p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def measure_pgvector(vectors: np.ndarray, queries: np.ndarray, k: int, dsn: str | None = None) -> dict:
    """build_s, p50_ms, p95_ms and recall_at_10 (vs exact inner product) of pgvector HNSW over `vectors`
    (unit length, float32), at the smallest swept ef_search reaching recall 0.95 (else the largest)."""
    from rag import load_settings, open_store

    server = None
    if dsn is None:
        sys.path.insert(0, str(ROOT))
        from tests.pg_support import start_server

        server = start_server(SERVER_OPTIONS)
        dsn = server.dsn
    store: Any = open_store(load_settings(overrides={"store.backend": "postgres", "store.dsn": dsn}))
    try:
        with store.connection() as conn:
            vectors = np.ascontiguousarray(vectors, dtype=np.float32)
            queries = np.ascontiguousarray(queries, dtype=np.float32)
            exact = _exact(vectors, queries, k)
            build = _load(conn, vectors, store.hnsw)
            sweep = []
            for ef in EF_SWEEP:
                times, found = _query(conn, queries, k, ef)
                sweep.append({"ef_search": ef, "p50_ms": round(_p(times, 50), 2), "p95_ms": round(_p(times, 95), 2),
                              "recall_at_10": round(_recall(found[:, :10], exact[:, :10]), 4)})
                print(f"  pgvector n={len(vectors):>8} ef_search {ef:>4}: p50 {sweep[-1]['p50_ms']:7.2f} ms  "
                      f"p95 {sweep[-1]['p95_ms']:7.2f} ms  recall@10 {sweep[-1]['recall_at_10']:.3f}", file=sys.stderr)
                if sweep[-1]["recall_at_10"] >= TARGET_RECALL:
                    break
            size = conn.execute("SELECT pg_total_relation_size('bench_pg')").fetchone()[0]
            conn.execute("DROP TABLE bench_pg")
    finally:
        store.close()
        if server is not None:
            server.stop()
    best = sweep[-1]
    return {"n": len(vectors), "dim": int(vectors.shape[1]), "queries": len(queries), "build_s": round(build, 2),
            "p50_ms": best["p50_ms"], "p95_ms": best["p95_ms"], "recall_at_10": best["recall_at_10"],
            "ef_search": best["ef_search"], "table_mb": round(size / 2**20, 1), "sweep": sweep}


def _corpus_vectors(index: Path | None) -> np.ndarray:
    """The passage vectors of an existing index folder's live build, else of the bundled corpus ingested afresh."""
    import tempfile

    if index is not None:
        import faiss

        name = (index / "CURRENT").read_text(encoding="utf-8").strip()
        flat = faiss.read_index(str(index / "builds" / name / "vectors.faiss"))
        return np.asarray(flat.reconstruct_n(0, flat.ntotal), dtype=np.float32)

    from rag import Assistant, load_settings

    with tempfile.TemporaryDirectory() as work:
        settings = load_settings(overrides={"paths.corpus": ROOT / "corpus", "paths.index": Path(work) / "index"})
        assistant, _ = Assistant.build(settings)
        build = assistant.index
        return build.dense.vectors(list(range(len(build.chunks))))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--dsn", default=None, help="an existing server (default: a throwaway one from pgserver)")
    ap.add_argument("--index", type=Path, default=None,
                    help="take the base vectors from this index folder (default: ingest corpus/ in a temp folder)")
    ap.add_argument("--noise", type=float, default=None, help="as eval/benchmark.py --noise (default: its NOISE, 0.02)")
    ap.add_argument("--out", type=Path, default=ROOT / "eval" / "out" / "bench_pg.json")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "eval"))
    from benchmark import NOISE, _synthetic  # the same real-vectors-with-noise data as the FAISS rows

    noise = NOISE if args.noise is None else args.noise

    base = _corpus_vectors(args.index)
    rng = np.random.default_rng(0)
    rows = []
    for n in args.sizes:
        rows.append(measure_pgvector(_synthetic(base, n, rng, noise), _synthetic(base, args.queries, rng, noise), 10,
                                     args.dsn))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    for r in rows:
        print(f"n={r['n']:>8}  build {r['build_s']:8.1f} s  p50 {r['p50_ms']:6.2f} ms  p95 {r['p95_ms']:6.2f} ms  "
              f"recall@10 {r['recall_at_10']:.3f} (ef_search {r['ef_search']})")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
