"""The same answers from either backend: the bundled corpus ingested once through PostgreSQL, then the gold set
asked of that build and of a FAISS index over the very same records; the headline figures agree within 0.01."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag import ingest
from rag.corpus import Corpus
from rag.evaluation import evaluate, load_gold
from rag.faiss_index import FaissIndex
from rag.lexical import LexicalIndex
from rag.pipeline import Assistant
from rag.settings import load_settings
from rag.store import Build

ROOT = Path(__file__).resolve().parent.parent
HEADLINE = ("hit@1", "hit@3", "hit@5", "hit@10", "mrr", "ndcg@10", "citation_precision", "citation_recall",
            "verbatim_rate", "answer_correct", "unanswerable_declined", "answerable_declined",
            "abstention_precision", "abstention_accuracy")


def _faiss_twin(build: Build) -> Build:
    """The PostgreSQL build's records and vectors behind an exact FAISS index: only the dense search differs."""
    dense = FaissIndex.flat(build.manifest.dimension)
    dense.add(np.arange(len(build.chunks)), build.dense.vectors(list(range(len(build.chunks)))))
    corpus = Corpus(build.chunks, build.documents, build.sentences)
    return Build(build.name, "faiss twin", build.manifest, corpus, dense, LexicalIndex(build.chunks))


@pytest.mark.slow
def test_eval_headline_figures_from_postgres_equal_faiss_within_a_hundredth(tmp_path, pg_dsn, embedder) -> None:
    settings = load_settings(overrides={"paths.corpus": ROOT / "corpus", "paths.index": tmp_path / "index",
                                        "store.backend": "postgres", "store.dsn": pg_dsn})
    ingest(settings, embedder)
    on_postgres = Assistant(settings, embedder)
    on_faiss = Assistant(settings.with_overrides({"store.backend": "faiss"}), embedder,
                         index=_faiss_twin(on_postgres.index))
    items = load_gold(ROOT / "eval" / "gold.jsonl")
    runs = {name: evaluate(items, lambda q, r, a=assistant: a.ask(q, k=10, retrieval=r), assistant.index.documents,
                           settings.retrieval)
            for name, assistant in (("postgres", on_postgres), ("faiss", on_faiss))}
    pg, flat = runs["postgres"].metrics, runs["faiss"].metrics
    same = sum(a.answer == b.answer for a, b in zip(runs["postgres"].results, runs["faiss"].results, strict=True))
    print(f"\n{same}/{len(items)} answers identical; " + ", ".join(f"{m} {flat[m]:.4f}/{pg[m]:.4f}" for m in HEADLINE))
    assert not [r.error for r in runs["postgres"].results if r.error]
    differ = {m: (flat[m], pg[m]) for m in HEADLINE if abs(flat[m] - pg[m]) > 0.01}
    assert not differ, f"faiss vs postgres: {differ}"
