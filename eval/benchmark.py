"""Performance benchmark: prints a table and writes JSON. Figures are medians and ratios measured
side by side in one run, because the machines here are shared and noisy.

    .venv/bin/python eval/benchmark.py [--out eval/out/benchmark.json] [--quick] [--corpus corpus]
                                       [--repair-100mb]

Needs the `bench` extra for the LangChain comparison: pip install -e ".[bench]".
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from rag import Assistant, Embedder, RawDocument, RawPage, build_document, evidence_in, ingest, load_gold, load_settings

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
    assistant.ask(questions[0])  # warm
    stages: dict[str, list[float]] = {}
    for q in questions:
        for stage, ms in assistant.ask(q).timings_ms:
            stages.setdefault(stage, []).append(ms)
    return {s: {"p50_ms": round(statistics.median(v), 1), "p95_ms": round(_p(v, 0.95), 1)} for s, v in stages.items()}


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


def _synthetic(base: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Real corpus vectors replicated with noise: clustered like real text, unlike uniform noise."""
    picks = base[rng.integers(0, len(base), n)]
    data = picks + rng.normal(0, 0.08, picks.shape).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    return np.ascontiguousarray(data, dtype=np.float32)


def _time_queries(index, queries: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    times, ids = [], []
    for q in queries:
        t = time.perf_counter()
        _, found = index.search(q.reshape(1, -1), k)
        times.append(time.perf_counter() - t)
        ids.append(found[0])
    return statistics.median(times), np.array(ids)


def bench_scaling(base: np.ndarray, sizes: list[int], queries_n: int, hnsw_max: int) -> list[dict]:
    rng = np.random.default_rng(0)
    rows = []
    dim = base.shape[1]
    for n in sizes:
        data = _synthetic(base, n, rng)
        queries = _synthetic(base, queries_n, rng)
        candidates = [("flat", lambda: faiss.IndexFlatIP(dim))]
        if n <= hnsw_max:
            def hnsw():
                index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
                index.hnsw.efSearch = 64
                return index
            candidates.append(("hnsw32", hnsw))
        nlist = int(4 * np.sqrt(n))
        candidates.append((f"ivf{nlist}", lambda nlist=nlist: faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist,
                                                                                  faiss.METRIC_INNER_PRODUCT)))
        exact = None
        for name, make in candidates:
            index = make()
            t = time.perf_counter()
            if not index.is_trained:
                index.train(data[rng.choice(n, min(n, 40 * nlist), replace=False)])
            index.add(data)
            if isinstance(index, faiss.IndexIVFFlat):
                index.nprobe = 16
            build = time.perf_counter() - t
            median, ids = _time_queries(index, queries, 10)
            if exact is None:
                exact = ids
            recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, exact, strict=True)]))
            rows.append({"n": n, "index": name, "build_s": round(build, 2), "query_p50_ms": _ms(median),
                         "recall@10_vs_flat": round(recall, 3), "vectors_mb": round(data.nbytes / 2**20, 1)})
            print(f"  scaling n={n:>8} {name:<10} build {build:7.2f}s  query {median * 1000:7.2f} ms  "
                  f"recall@10 {recall:.3f}", file=sys.stderr)
            del index
    return rows


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
    ap.add_argument("--repair-100mb", action="store_true",
                    help="time repair of 100 MB of text too (about 2 minutes and 2-3 GB of memory)")
    args = ap.parse_args(argv)
    questions = [i.question for i in load_gold(args.gold)]
    results: dict = {"quick": args.quick}
    with tempfile.TemporaryDirectory() as work:
        results["ingest"], assistant = bench_ingest(args.corpus, Path(work))
        results["embedding"] = bench_embedding(assistant, 64 if args.quick else 300)
        results["ask"] = bench_ask(assistant, questions[: 10 if args.quick else len(questions)])
        if not args.no_langchain:
            results["langchain"] = bench_langchain(args.corpus, assistant, args.gold, 5, 10 if args.quick else 200)
        base = assistant.index.dense.vectors(list(range(len(assistant.index.chunks))))
    sizes = [10_000] if args.quick else [10_000, 100_000, 1_000_000]
    results["scaling"] = bench_scaling(base, sizes, 50 if args.quick else 200, hnsw_max=100_000)
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    # After the RSS figure, which is the index's: repairing 100 MB of text needs more memory than serving.
    results["repair"] = bench_repair([1] if args.quick else [1, 10, 100] if args.repair_100mb else [1, 10])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(render(results))
    print(f"written: {args.out}")
    return 0


def render(r: dict) -> str:
    i, e = r["ingest"], r["embedding"]
    lines = ["| measure | value |", "|---|---:|",
             f"| model load | {i['model_load_s']} s |", f"| cold ingest (model loaded) | {i['cold_ingest_s']} s |",
             f"| chunks | {i['chunks']} |", f"| index size on disk | {i['index_bytes'] / 2**20:.2f} MiB |",
             f"| embedding, ours | {e['ours_per_s']} chunks/s |", f"| embedding, bare model | {e['bare_model_per_s']} "
             f"chunks/s |", f"| ours / bare | {e['ratio']} |", f"| peak RSS | {r['peak_rss_mb']} MB |"]
    lines += [f"| ask {s} p50 / p95 | {v['p50_ms']} / {v['p95_ms']} ms |" for s, v in r["ask"].items()]
    for key, value in r.get("langchain", {}).items():
        lines.append(f"| langchain: {key} | {value} |")
    lines += ["", "| n | index | build s | query p50 ms | recall@10 vs flat |", "|---:|---|---:|---:|---:|"]
    lines += [f"| {s['n']} | {s['index']} | {s['build_s']} | {s['query_p50_ms']} | {s['recall@10_vs_flat']} |"
              for s in r["scaling"]]
    lines += ["", "| repair of | MB | s | s per MB |", "|---|---:|---:|---:|"]
    lines += [f"| {x['shape']} | {x['mb']} | {x['seconds']} | {x['s_per_mb']} |" for x in r.get("repair", [])]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
