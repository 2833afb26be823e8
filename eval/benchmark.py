"""Performance benchmark: prints a table and writes JSON. Figures are medians and ratios measured
side by side in one run, because the machines here are shared and noisy.

    .venv/bin/python eval/benchmark.py [--out eval/out/benchmark.json] [--quick] [--corpus corpus]
                                       [--repair-100mb] [--pgvector]
    .venv/bin/python eval/benchmark.py --scale-only index [--sizes 10000 100000 1000000] [--pgvector]
    .venv/bin/python eval/benchmark.py --build-load 100000 1000000 [--scale-only index] [--build-dir DIR]

Scaling: per size, FAISS flat and the approximate FAISS default (HNSW) side by side (build time, query p50/p95,
recall@10 against exact search, and the seconds and resident memory to load the index in a fresh process);
with --pgvector, a PostgreSQL/pgvector column from eval/bench_pg.py's measure_pgvector(vectors, queries, k),
which returns the same keys as measure_faiss_flat and measure_faiss_hnsw here.

Whole builds (--build-load, eval/bench_build.py): an N-passage build written through the store (records, sentence
table, BM25, HNSW above the threshold), then loaded in a fresh process: seconds, RSS, the first question.

Needs the `bench` extra for the LangChain comparison: pip install -e ".[bench]".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np

from rag import (
    Assistant,
    DenseKind,
    Embedder,
    FaissIndex,
    RawDocument,
    RawPage,
    build_document,
    evidence_in,
    faiss_dense_index,
    ingest,
    load_gold,
    load_settings,
    open_store,
)

ROOT = Path(__file__).resolve().parent.parent


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def bench_ingest(corpus: Path, work: Path) -> tuple[dict, Assistant]:
    settings = load_settings(overrides={"paths.corpus": corpus, "paths.index": work / "index"})
    began = time.perf_counter()
    embedder = Embedder(settings.embedding)
    _ = embedder.model
    load_s = time.perf_counter() - began
    began = time.perf_counter()
    report = ingest(settings, embedder)
    ingest_s = time.perf_counter() - began
    size = sum(p.stat().st_size for p in Path(report.build).rglob("*") if p.is_file())
    return ({"model_load_s": round(load_s, 2), "cold_ingest_s": round(ingest_s, 2), "chunks": report.chunks,
             "index_bytes": size}, Assistant(settings, embedder))


def bench_embedding(assistant: Assistant, sample: int) -> dict:
    """Our batched encode against the bare model's encode, same texts and batch size, alternating."""
    texts = [c.text for c in assistant.index.chunks[:sample]]
    model, batch = assistant.embedder.model, assistant.embedder.settings.batch_size
    ours, bare = [], []
    for _ in range(3):
        t = time.perf_counter()
        assistant.embedder.encode(texts)
        ours.append(len(texts) / (time.perf_counter() - t))
        t = time.perf_counter()
        model.encode(texts, batch_size=batch, normalize_embeddings=True)
        bare.append(len(texts) / (time.perf_counter() - t))
    o, b = statistics.median(ours), statistics.median(bare)
    return {"texts": len(texts), "ours_per_s": round(o, 1), "bare_model_per_s": round(b, 1), "ratio": round(o / b, 3)}


def bench_ask(assistant: Assistant, questions: list[str]) -> dict:
    """Latency per stage, warm, and side by side (question by question, alternating) the same asks without the
    sentence scorer's rerank, so its cost is a ratio measured in one run."""
    settings = assistant.settings
    # Its own embedder: a shared one would serve the second ask of a question from its query cache.
    plain = Assistant(replace(settings, retrieval=replace(settings.retrieval, answer_rerank=0.0)),
                      embedder=Embedder(settings.embedding), index=assistant.index)
    assistant.ask(questions[0])  # warm
    plain.ask(questions[0])
    stages: dict[str, list[float]] = {}
    without: list[float] = []
    for q in questions:
        for stage, ms in assistant.ask(q).timings_ms:
            stages.setdefault(stage, []).append(ms)
        without.append(dict(plain.ask(q).timings_ms)["total"])
    result = {s: {"p50_ms": round(statistics.median(v), 1), "p95_ms": round(_p(v, 0.95), 1)}
              for s, v in stages.items()}
    if "total" in stages:
        result["total_without_answer_rerank"] = {"p50_ms": round(statistics.median(without), 1),
                                                 "p95_ms": round(_p(without, 0.95), 1)}
        result["answer_rerank_p50_ratio"] = round(statistics.median(stages["total"]) / statistics.median(without), 2)
    return result


def _langchain_store(corpus: Path, assistant: Assistant):
    from langchain_community.vectorstores import FAISS
    from langchain_core.embeddings import Embeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    model = assistant.embedder.model

    class Local(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return model.encode(texts, batch_size=32, normalize_embeddings=True).tolist()

        def embed_query(self, text: str) -> list[float]:
            return model.encode([text], normalize_embeddings=True)[0].tolist()

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=100)
    texts, metas = [], []
    for path in sorted(corpus.iterdir()):
        if path.name == "catalog.toml":
            continue
        for piece in splitter.split_text(path.read_text(encoding="utf-8")):
            texts.append(piece)
            metas.append({"doc": path.name})
    return FAISS.from_texts(texts, Local(), metadatas=metas)


def bench_langchain(corpus: Path, assistant: Assistant, gold: Path, k: int, limit: int) -> dict:
    items = [i for i in load_gold(gold) if i.answerable][:limit]
    store = _langchain_store(corpus, assistant)
    ours_ms, lc_ms, ours_hit, lc_hit = [], [], 0, 0
    for item in items:
        t = time.perf_counter()
        hits = assistant.search(item.question, k)
        ours_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        docs = store.similarity_search(item.question, k=k)
        lc_ms.append((time.perf_counter() - t) * 1000)
        ours_hit += any(evidence_in(e, h.chunk.doc, h.chunk.text) for e in item.evidence for h in hits)
        lc_hit += any(evidence_in(e, d.metadata["doc"], d.page_content) for e in item.evidence for d in docs)
    o, lc = statistics.median(ours_ms), statistics.median(lc_ms)
    return {"questions": len(items), "k": k, "ours_search_p50_ms": round(o, 1), "langchain_search_p50_ms": round(lc, 1),
            "latency_ratio_ours_over_langchain": round(o / lc, 2), f"ours_recall@{k}": round(ours_hit / len(items), 3),
            f"langchain_recall@{k}": round(lc_hit / len(items), 3)}


# Per-dimension noise on the replicated corpus vectors. The default, 0.02, gives a passage's nearest neighbour a
# cosine of ~0.88, close to the ~0.93 of the real corpus. 0.08 (the first figures, kept in the README as the worst
# case) gives ~0.39: close to random points on the sphere, the hard case for approximate search.
NOISE = 0.02


def _synthetic(base: np.ndarray, n: int, rng: np.random.Generator, noise: float = NOISE) -> np.ndarray:
    """Real corpus vectors replicated with noise: clustered like real text, unlike uniform noise."""
    picks = base[rng.integers(0, len(base), n)]
    data = picks + rng.normal(0, noise, picks.shape).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    return np.ascontiguousarray(data, dtype=np.float32)


def _query_times(search, queries: np.ndarray, k: int) -> tuple[list[float], np.ndarray]:
    """Seconds per single query (as a user asks them, one at a time) and the ids found."""
    times, found = [], []
    for q in queries:
        t = time.perf_counter()
        ids = search(q, k)
        times.append(time.perf_counter() - t)
        found.append(list(ids) + [-1] * (k - len(ids)))
    return times, np.array(found)


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """The exact top-k ids by inner product (cosine on unit vectors), the reference for recall."""
    return faiss.knn(queries, vectors, k, metric=faiss.METRIC_INNER_PRODUCT)[1]


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    return round(float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, exact, strict=True)])), 4)


def _figures(build_s: float, times: list[float], found: np.ndarray, exact: np.ndarray, **extra) -> dict:
    """The figures every column reports, under the keys eval/bench_pg.py's measure_pgvector uses too."""
    return {"n": extra.pop("n"), "build_s": round(build_s, 2), "p50_ms": _ms(_p(times, 0.5)),
            "p95_ms": _ms(_p(times, 0.95)), "recall_at_10": _recall(found, exact), **extra}


def measure_faiss_flat(vectors: np.ndarray, queries: np.ndarray, k: int) -> dict:
    """Exact FAISS (IndexFlatIP), what builds up to store.faiss_approximate_above passages hold."""
    settings = load_settings(overrides={"store.faiss_approximate_above": len(vectors)})
    return _measure_default(vectors, queries, k, settings, exact_neighbours(vectors, queries, k))


def measure_faiss_hnsw(vectors: np.ndarray, queries: np.ndarray, k: int) -> dict:
    """Approximate FAISS as `rag ingest` builds it above the threshold: HNSW, efSearch tuned to the target recall."""
    settings = load_settings(overrides={"store.faiss_approximate_above": 0})
    return _measure_default(vectors, queries, k, settings, exact_neighbours(vectors, queries, k))


def _measure_default(vectors: np.ndarray, queries: np.ndarray, k: int, settings, exact: np.ndarray) -> dict:
    began = time.perf_counter()
    index, kind = faiss_dense_index(vectors.shape[1], vectors, settings.store)
    build_s = time.perf_counter() - began
    times, found = _query_times(lambda q, k: [r for r, _ in index.search(q, k)], queries, k)
    figures = _figures(build_s, times, found, exact, n=len(vectors), params=kind.to_json())
    figures["_index"] = index  # for the load measurement; dropped before writing
    return figures


def measure_load(index, work: Path) -> dict:
    """Save an index as a build holds it, then, in a fresh process, check its sha256 and load it (memory-mapped)
    as `rag serve` does: seconds to load, and resident memory after loading and after 50 queries."""
    path = work / "vectors.faiss"
    index.save(path)
    kind = json.dumps(index.kind.to_json())
    out = subprocess.run([sys.executable, __file__, "--load-probe", str(path), kind], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures["file_mb"] = round(path.stat().st_size / 2**20, 1)
    path.unlink()
    return figures


def _rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def load_probe(path: Path, kind_json: str) -> int:
    """The child of measure_load: one load, as a serving process does it."""
    began = time.perf_counter()
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    index = FaissIndex.read(path, DenseKind.from_json(json.loads(kind_json)))
    load_s = time.perf_counter() - began
    after_load = _rss_mb()
    rng = np.random.default_rng(0)
    queries = rng.normal(size=(50, index.dimension)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    for q in queries:
        index.search(q, 10)
    print(json.dumps({"load_s": round(load_s, 2), "rss_after_load_mb": after_load,
                      "rss_after_50_queries_mb": _rss_mb(), "peak_rss_mb": _rss_mb("VmHWM")}))
    return 0


def bench_scaling(base: np.ndarray, sizes: list[int], queries_n: int, pgvector: bool = False,
                  noise: float = NOISE) -> list[dict]:
    """Side by side per size: FAISS flat, the approximate FAISS default (HNSW), PostgreSQL/pgvector with
    --pgvector (eval/bench_pg.py), and the time and memory to load each FAISS index as a build."""
    rng = np.random.default_rng(0)
    measure_pg = _pgvector_hook() if pgvector else None
    rows = []
    for n in sizes:
        data = _synthetic(base, n, rng, noise)
        queries = _synthetic(base, queries_n, rng, noise)
        exact = exact_neighbours(data, queries, 10)
        default = "hnsw" if n > load_settings().store.faiss_approximate_above else "flat"
        for name, above in (("faiss-flat", n), ("faiss-hnsw", 0)):  # as measure_faiss_flat / _hnsw, sharing `exact`
            settings = load_settings(overrides={"store.faiss_approximate_above": above})
            row = {"index": name, "default": name.endswith(default),
                   **_measure_default(data, queries, 10, settings, exact)}
            with tempfile.TemporaryDirectory() as work:
                row["load"] = measure_load(row.pop("_index"), Path(work))
            rows.append(row)
            _print_row(row)
        if measure_pg is not None:
            row = {"index": "pgvector", "default": False, **measure_pg(data, queries, 10)}
            rows.append(row)
            _print_row(row)
        del data
    return rows


def _pgvector_hook():
    """eval/bench_pg.py's measure_pgvector(vectors, queries, k) -> dict, when it can be imported."""
    try:
        from bench_pg import measure_pgvector  # type: ignore[import-not-found]  # eval/ is the script's folder
    except ImportError as exc:
        print(f"  --pgvector: eval/bench_pg.py cannot be imported ({exc}); no pgvector column", file=sys.stderr)
        return None
    return measure_pgvector


def _print_row(row: dict) -> None:
    load = row.get("load", {})
    print(f"  n={row['n']:>8} {row['index']:<10} build {row['build_s']:8.2f}s  p50 {row['p50_ms']:7.2f} ms  "
          f"p95 {row['p95_ms']:7.2f} ms  recall@10 {row['recall_at_10']:.3f}"
          + (f"  load {load['load_s']:.2f}s rss {load['rss_after_50_queries_mb']:.0f} MB" if load else ""),
          file=sys.stderr, flush=True)


_WORDS = ("the forum states governments cooperation labour mobility recommended development partnership "
          "civil society returns diaspora regional dialogue policy migrants").split()


def _hard_wrapped(mb: int, pdf: bool) -> str:
    """`mb` million characters of ~90-character lines ending mid-sentence, in one paragraph: the worst
    case for repair. `pdf`: as PDF extraction writes it, an empty line after each line and a trailing
    space; else plain wrapped text, as a .md or typed .txt holds it."""
    rng = np.random.default_rng(0)
    lines = []
    for _ in range(4096):
        words = [_WORDS[i] for i in rng.integers(0, len(_WORDS), 12)]
        lines.append(" ".join(words)[:88].rsplit(" ", 1)[0] + (" " if pdf else ""))
    block = ("\n\n" if pdf else "\n").join(lines) + ("\n\n" if pdf else "\n")
    return (block * (mb * 1_000_000 // len(block) + 1))[: mb * 1_000_000]


def bench_repair(sizes_mb: list[int]) -> list[dict]:
    """Seconds per million characters of repair (RawDocument to Document), which must stay flat as the
    text grows: a 1 MB hard-wrapped file once took over 600 s."""
    rows = []
    for shape, fmt, pdf in (("pdf-extracted txt", "txt", True), ("wrapped md", "md", False)):
        for mb in sizes_mb:
            raw = RawDocument(f"bench.{fmt}", fmt, (RawPage(_hard_wrapped(mb, pdf)),))
            t = time.perf_counter()
            doc = build_document(raw, None)
            seconds = time.perf_counter() - t
            rows.append({"shape": shape, "mb": mb, "seconds": round(seconds, 2), "s_per_mb": round(seconds / mb, 3),
                         "paragraphs": len(doc.paragraphs)})
            print(f"  repair {shape:<18} {mb:>4} MB {seconds:8.2f} s  {seconds / mb:6.3f} s/MB", file=sys.stderr)
            del raw, doc
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "eval" / "out" / "benchmark.json")
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--gold", type=Path, default=ROOT / "eval" / "gold.jsonl")
    ap.add_argument("--quick", action="store_true", help="10k vectors only, 10 questions")
    ap.add_argument("--no-langchain", action="store_true")
    ap.add_argument("--ask-only", action="store_true", help="only ask latency, on the built index/ (rag ingest)")
    ap.add_argument("--repair-100mb", action="store_true",
                    help="time repair of 100 MB of text too (about 2 minutes and 2-3 GB of memory)")
    ap.add_argument("--scale-only", type=Path, metavar="INDEX",
                    help="only the vector-index scaling, from the passage vectors of this index folder's live build")
    ap.add_argument("--sizes", type=int, nargs="+", help="passages per scaling row (default 10k 100k 1M)")
    ap.add_argument("--pgvector", action="store_true", help="a PostgreSQL/pgvector column (eval/bench_pg.py)")
    ap.add_argument("--noise", type=float, default=NOISE, help=f"per-dimension noise of the scaling vectors ({NOISE})")
    ap.add_argument("--build-load", type=int, nargs="+", metavar="N",
                    help="write a whole N-passage build through the store and time its load in a fresh process")
    ap.add_argument("--build-dir", type=Path, help="where --build-load writes its builds (default: a temp folder)")
    ap.add_argument("--keep-build", action="store_true", help="leave the --build-load builds on disk")
    ap.add_argument("--load-probe", nargs=2, metavar=("FILE", "KIND"), help=argparse.SUPPRESS)
    ap.add_argument("--build-load-probe", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.load_probe:
        return load_probe(Path(args.load_probe[0]), args.load_probe[1])
    if args.build_load_probe:
        from bench_build import probe  # type: ignore[import-not-found]  # eval/ is the script's folder

        return probe(args.build_load_probe)
    if args.build_load:
        return _build_load(args)
    sizes = args.sizes or ([10_000] if args.quick else [10_000, 100_000, 1_000_000])
    queries_n = 50 if args.quick else 200
    results: dict = {"quick": args.quick}
    if args.scale_only:
        build = open_store(load_settings(overrides={"paths.index": args.scale_only})).load()
        base = build.dense.vectors(list(range(len(build.chunks))))
        results["noise"] = args.noise
        results["scaling"] = bench_scaling(base, sizes, queries_n, args.pgvector, args.noise)
        return _write(results, args.out)
    questions = [i.question for i in load_gold(args.gold)]
    if args.ask_only:
        results["ask"] = bench_ask(Assistant(load_settings()), questions[: 10 if args.quick else len(questions)])
        return _write(results, args.out)
    with tempfile.TemporaryDirectory() as work:
        results["ingest"], assistant = bench_ingest(args.corpus, Path(work))
        results["embedding"] = bench_embedding(assistant, 64 if args.quick else 300)
        results["ask"] = bench_ask(assistant, questions[: 10 if args.quick else len(questions)])
        if not args.no_langchain:
            results["langchain"] = bench_langchain(args.corpus, assistant, args.gold, 5, 10 if args.quick else 200)
        base = assistant.index.dense.vectors(list(range(len(assistant.index.chunks))))
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["noise"] = args.noise
    results["scaling"] = bench_scaling(base, sizes, queries_n, args.pgvector, args.noise)
    # After the RSS figure, which is the index's: repairing 100 MB of text needs more memory than serving.
    results["repair"] = bench_repair([1] if args.quick else [1, 10, 100] if args.repair_100mb else [1, 10])
    return _write(results, args.out)


def _build_load(args: argparse.Namespace) -> int:
    """--build-load: whole builds from the live build of --scale-only (default: index/), written then loaded."""
    from bench_build import bench_build_load  # type: ignore[import-not-found]  # eval/ is the script's folder

    source = open_store(load_settings(overrides={"paths.index": args.scale_only or ROOT / "index"})).load()
    results: dict = {"noise": args.noise}
    if args.build_dir:
        args.build_dir.mkdir(parents=True, exist_ok=True)
        results["build_load"] = bench_build_load(source, args.build_load, args.noise, args.build_dir, args.keep_build)
    else:
        with tempfile.TemporaryDirectory() as work:
            results["build_load"] = bench_build_load(source, args.build_load, args.noise, Path(work))
    return _write(results, args.out)


def _write(results: dict, out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(render(results))
    print(f"written: {out}")
    return 0


def scaling_table(rows: list[dict]) -> list[str]:
    lines = ["| n | index | default | build s | p50 ms | p95 ms | recall@10 | load s | RSS after load / queries MB |",
             "|---:|---|---|---:|---:|---:|---:|---:|---:|"]
    for s in rows:
        load = s.get("load") or {}
        rss = f"{load['rss_after_load_mb']:.0f} / {load['rss_after_50_queries_mb']:.0f}" if load else "-"
        lines.append(f"| {s['n']} | {s['index']} | {'yes' if s.get('default') else ''} | {s['build_s']} | "
                     f"{s['p50_ms']} | {s['p95_ms']} | {s['recall_at_10']} | {load.get('load_s', '-')} | {rss} |")
    return lines


def ask_table(ask: dict) -> list[str]:
    lines = ["| measure | value |", "|---|---:|"]
    lines += [f"| ask {s} p50 / p95 | {v['p50_ms']} / {v['p95_ms']} ms |"
              for s, v in ask.items() if isinstance(v, dict)]
    if "answer_rerank_p50_ratio" in ask:
        lines.append(f"| ask total with / without the answer rerank, p50 | {ask['answer_rerank_p50_ratio']} |")
    return lines


def render(r: dict) -> str:
    if "build_load" in r:
        from bench_build import build_load_table  # type: ignore[import-not-found]  # eval/ is the script's folder

        return "\n".join(build_load_table(r["build_load"]))
    if "ingest" not in r:
        return "\n".join(scaling_table(r["scaling"]) if "scaling" in r else ask_table(r["ask"]))
    i, e = r["ingest"], r["embedding"]
    lines = ["| measure | value |", "|---|---:|",
             f"| model load | {i['model_load_s']} s |", f"| cold ingest (model loaded) | {i['cold_ingest_s']} s |",
             f"| chunks | {i['chunks']} |", f"| index size on disk | {i['index_bytes'] / 2**20:.2f} MiB |",
             f"| embedding, ours | {e['ours_per_s']} chunks/s |", f"| embedding, bare model | {e['bare_model_per_s']} "
             f"chunks/s |", f"| ours / bare | {e['ratio']} |", f"| peak RSS | {r['peak_rss_mb']} MB |"]
    lines += ask_table(r["ask"])[2:]
    for key, value in r.get("langchain", {}).items():
        lines.append(f"| langchain: {key} | {value} |")
    lines += ["", *scaling_table(r["scaling"])]
    lines += ["", "| repair of | MB | s | s per MB |", "|---|---:|---:|---:|"]
    lines += [f"| {x['shape']} | {x['mb']} | {x['seconds']} | {x['s_per_mb']} |" for x in r.get("repair", [])]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
