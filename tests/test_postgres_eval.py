"""The same answers from either backend: the bundled corpus's build (ingested once for the run, into FAISS) written
through the PostgreSQL store, then the gold set asked of both; the headline figures agree within 0.01.

Only the store differs: the records and vectors are the FAISS build's, so the corpus is not embedded a second
time (the PostgreSQL ingest path itself is tested in test_store_postgres.py and test_postgres_serving.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import open_store
from rag.evaluation import evaluate, load_gold
from rag.pipeline import Assistant

ROOT = Path(__file__).resolve().parent.parent
HEADLINE = ("hit@1", "hit@3", "hit@5", "hit@10", "mrr", "ndcg@10", "citation_precision", "citation_recall",
            "verbatim_rate", "answer_correct", "unanswerable_declined", "answerable_declined",
            "abstention_precision", "abstention_accuracy")


@pytest.mark.slow
def test_eval_headline_figures_from_postgres_equal_faiss_within_a_hundredth(tmp_path, pg_dsn, bundled_assistant,
                                                                             bundled_gold_run) -> None:
    on_faiss = bundled_assistant
    build = on_faiss.index
    settings = on_faiss.settings.with_overrides({"paths.index": tmp_path / "index", "store.backend": "postgres",
                                                 "store.dsn": pg_dsn})
    rows = list(range(len(build.chunks)))
    open_store(settings).write(build.manifest, list(build.documents.values()), build.chunks,
                               build.dense.vectors(rows), build.sentences)
    on_postgres = Assistant(settings, on_faiss.embedder)
    assert on_postgres.index.manifest.dense["kind"] != build.manifest.dense["kind"]  # really two backends
    items = load_gold(ROOT / "eval" / "gold.jsonl")
    runs = {"postgres": evaluate(items, lambda q, r: on_postgres.ask(q, k=10, retrieval=r),
                                 on_postgres.index.documents, settings.retrieval),
            "faiss": bundled_gold_run}  # the same questions asked of the FAISS build (shared with the quality gate)
    pg, flat = runs["postgres"].metrics, runs["faiss"].metrics
    same = sum(a.answer == b.answer for a, b in zip(runs["postgres"].results, runs["faiss"].results, strict=True))
    print(f"\n{same}/{len(items)} answers identical; " + ", ".join(f"{m} {flat[m]:.4f}/{pg[m]:.4f}" for m in HEADLINE))
    assert not [r.error for r in runs["postgres"].results if r.error]
    differ = {m: (flat[m], pg[m]) for m in HEADLINE if abs(flat[m] - pg[m]) > 0.01}
    assert not differ, f"faiss vs postgres: {differ}"
