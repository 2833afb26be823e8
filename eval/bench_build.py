"""A whole N-passage FAISS build written through the real store, then loaded in a fresh process as `rag serve` does.

    .venv/bin/python eval/benchmark.py --build-load 100000 1000000 [--scale-only INDEX] [--build-dir DIR]

The passages are the bundled corpus' real chunks and documents replicated with distinct names and ids (copy i of
report R is `copy0007/R`) and a text variant per copy (" the " becomes a three-letter code of the copy, the same
length, so every offset holds and BM25 sees one more term per copy); their vectors are the real ones with the
benchmark's noise; each copy keeps its original's sentence spans and float16 sentence vectors. The store writes
it as `rag ingest` would (checksums, BM25 saved, HNSW above `store.faiss_approximate_above`). A child process
then loads the embedding model, loads the build (timed, RSS before and after), asks one question (its search,
then its whole answer, timed; RSS after), times a second question's search, and last hashes every file of the
build again, to say how much of the load its checksum verification is.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

from rag import Assistant, Build, Chunk, Document, Embedder, FileStatus, SentenceTable, load_settings, open_store

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "What did the Forum recommend on recruitment fees paid by migrant workers?"
SECOND = "Which countries hosted the thematic workshops on labour mobility?"


def _code(copy: int) -> str:
    """Three letters naming a copy, never an English word bm25s would drop."""
    return "xyz"[copy // 676 % 3] + chr(97 + copy // 26 % 26) + chr(97 + copy % 26)


def synthesize(build: Build, n: int, noise: float, rng: np.random.Generator
               ) -> tuple[list[Document], list[Chunk], np.ndarray, SentenceTable, list[FileStatus]]:
    """Documents, chunks, passage vectors, sentence table and file statuses of an n-passage build."""
    real = list(build.chunks)
    by_doc: dict[str, list[int]] = {}
    for row, c in enumerate(real):
        by_doc.setdefault(c.doc, []).append(row)
    documents: list[Document] = []
    chunks: list[Chunk] = []
    files: list[FileStatus] = []
    origin: list[int] = []  # the real row each new chunk copies
    for copy in range(math.ceil(n / len(real))):
        code = _code(copy)
        for name, rows in by_doc.items():
            rows = rows[: n - len(chunks)]
            if not rows:
                break
            doc = build.documents[name]
            new_name = f"copy{copy:04d}/{name}"
            text = doc.text.replace(" the ", f" {code} ")
            paragraphs = tuple(replace(p, doc=new_name, text=text[p.start : p.end]) for p in doc.paragraphs)
            documents.append(replace(doc, doc=new_name, text=text, paragraphs=paragraphs, sha256=f"{copy:064x}"))
            for row in rows:
                c = real[row]
                chunks.append(replace(c, chunk_id=f"{c.chunk_id}-{copy:04d}", doc=new_name, text=text[c.start : c.end]))
            origin.extend(rows)
            files.append(FileStatus(new_name, f"{copy:064x}", "ok", chunks=len(rows)))
    rows = np.array(origin, dtype=np.int64)
    base = build.dense.vectors(list(range(len(real))))
    vectors = np.empty((n, base.shape[1]), dtype=np.float32)
    for first in range(0, n, 100_000):  # in blocks: the noise of 1M rows at once is 3 GB of float64
        block = base[rows[first : first + 100_000]]
        block += rng.normal(0, noise, block.shape).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        vectors[first : first + len(block)] = block
    return documents, chunks, vectors, _sentences(build.sentences, rows), files


def _sentences(table: SentenceTable, origin: np.ndarray) -> SentenceTable:
    """The sentence rows of each copied chunk, renumbered to its new position."""
    counts = np.diff(np.asarray(table.offsets))[origin]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    starts = np.asarray(table.offsets)[origin]
    take = np.repeat(starts - offsets[:-1], counts) + np.arange(offsets[-1])  # source row of each new sentence row
    spans = np.asarray(table.spans)[take].copy()
    spans[:, 0] = np.repeat(np.arange(len(origin)), counts)
    return SentenceTable(spans, np.asarray(table.vectors)[take], offsets)


def write(source: Build, n: int, noise: float, root: Path) -> dict:
    """Write an n-passage build into the index folder `root`; seconds and sizes."""
    rng = np.random.default_rng(0)
    began = time.perf_counter()
    documents, chunks, vectors, sentences, files = synthesize(source, n, noise, rng)
    synth_s = time.perf_counter() - began
    manifest = replace(source.manifest, files=tuple(files), chunk_count=n, checksums={})
    settings = load_settings(overrides={"paths.index": root})
    began = time.perf_counter()
    build = open_store(settings).write(manifest, documents, chunks, vectors, sentences)
    write_s = time.perf_counter() - began
    folder = Path(build.where)
    sizes = {p.relative_to(folder).as_posix(): round(p.stat().st_size / 2**20, 1)
             for p in sorted(folder.rglob("*")) if p.is_file()}
    return {"n": n, "documents": len(documents), "sentences": len(sentences.spans),
            "dense": build.manifest.dense, "synthesize_s": round(synth_s, 1), "write_s": round(write_s, 1),
            "files_mb": sizes, "total_mb": round(sum(sizes.values()), 1)}


def measure(root: Path) -> dict:
    """Load the live build of `root` in a fresh process (see probe)."""
    out = subprocess.run([sys.executable, str(ROOT / "eval" / "benchmark.py"), "--build-load-probe", str(root)],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise RuntimeError(f"the load probe failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _rss_mb(field: str = "VmRSS") -> float:
    """VmRSS, or RssAnon: the process's own memory, without the mapped build files (shared by every process
    serving the build, and dropped by the kernel under pressure)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _hash_all(folder: Path) -> None:
    """What the load's checksum verification costs on its own: every file of the build, two at a time."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(_sha256, [p for p in folder.rglob("*") if p.is_file()]))


def probe(root: Path) -> int:
    """The child of measure: model, then build, then the first question, as a serving process meets them."""
    settings = load_settings(overrides={"paths.index": root})
    began = time.perf_counter()
    embedder = Embedder(settings.embedding)
    embedder.encode_query("warm up")
    model_s = time.perf_counter() - began
    rss_model = _rss_mb()
    began = time.perf_counter()
    assistant = Assistant(settings, embedder)
    load_s = time.perf_counter() - began
    rss_load = _rss_mb()
    began = time.perf_counter()
    hits = assistant.search(QUESTION)
    search_s = time.perf_counter() - began
    began = time.perf_counter()
    answer = assistant.ask(QUESTION)
    ask_s = time.perf_counter() - began
    began = time.perf_counter()
    assistant.search(SECOND)
    second_s = time.perf_counter() - began
    rss_question, anon_question = _rss_mb(), _rss_mb("RssAnon")
    began = time.perf_counter()
    _hash_all(Path(assistant.index.where))
    hash_s = time.perf_counter() - began
    print(json.dumps({
        "model_s": round(model_s, 2), "load_s": round(load_s, 2), "hash_s": round(hash_s, 2),
        "first_search_ms": round(search_s * 1000, 1),
        "first_ask_ms": round(ask_s * 1000, 1),
        "second_search_ms": round(second_s * 1000, 1), "hits": len(hits), "citations": len(answer.citations),
        "rss_with_model_mb": rss_model, "rss_after_load_mb": rss_load, "rss_after_question_mb": rss_question,
        "rss_anon_after_question_mb": anon_question,
        "peak_rss_mb": _rss_mb("VmHWM")}))
    return 0


def bench_build_load(source: Build, sizes: list[int], noise: float, work: Path, keep: bool = False) -> list[dict]:
    rows = []
    for n in sizes:
        root = work / f"build-{n}"
        shutil.rmtree(root, ignore_errors=True)
        row = write(source, n, noise, root)
        print(f"  build-load n={n:>8}: written in {row['write_s']} s ({row['total_mb']} MB)", file=sys.stderr,
              flush=True)
        row["load"] = measure(root)
        load = row["load"]
        print(f"  build-load n={n:>8}: load {load['load_s']} s, first search {load['first_search_ms']} ms, "
              f"RSS {load['rss_after_load_mb']:.0f} MB after load, {load['rss_after_question_mb']:.0f} MB after "
              "one question", file=sys.stderr, flush=True)
        rows.append(row)
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    return rows


def build_load_table(rows: list[dict]) -> list[str]:
    lines = ["| passages | documents | dense | on disk MB | write s | load s | first search ms | first answer ms | "
             "RSS model / load / question MB |", "|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        x = r["load"]
        lines.append(f"| {r['n']} | {r['documents']} | {r['dense']['kind']} | {r['total_mb']} | {r['write_s']} | "
                     f"{x['load_s']} | {x['first_search_ms']} | {x['first_ask_ms']} | {x['rss_with_model_mb']:.0f} / "
                     f"{x['rss_after_load_mb']:.0f} / {x['rss_after_question_mb']:.0f} |")
    return lines
