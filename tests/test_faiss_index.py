"""The FAISS vector index: exact below a size, HNSW above it with efSearch chosen by measured recall."""

from __future__ import annotations

import json

import faiss
import numpy as np
import pytest

from rag import Assistant, Filters, StoreError, ingest
from rag.faiss_index import DenseKind, FaissIndex, tune_ef_search
from rag.store_faiss import current_build, load_index
from tests.conftest import tiny_settings

QUESTIONS = ["How many government delegates attended the Bangkok workshop?", "recruitment fees charged to workers",
             "What did the 2019 Geneva workshop recommend?", "cost of remittances"]


@pytest.fixture(scope="module")
def hnsw_assistant(tmp_path_factory, embedder) -> Assistant:
    """The tiny corpus built as an approximate index: the threshold is set below its size."""
    settings = tiny_settings(tmp_path_factory.mktemp("hnsw")).with_overrides({"store.faiss_approximate_above": 1})
    ingest(settings, embedder)
    return Assistant(settings, embedder)


def test_a_build_under_the_threshold_is_exact_and_says_so(tiny_assistant):
    assert tiny_assistant.index.manifest.dense == {"kind": "flat"}
    assert isinstance(tiny_assistant.index.dense.raw, faiss.IndexFlatIP)


def test_a_build_over_the_threshold_is_hnsw_with_its_parameters_and_measured_recall(hnsw_assistant):
    dense = hnsw_assistant.index.manifest.dense
    assert dense["kind"] == "hnsw" and dense["m"] == 32 and dense["ef_construction"] == 64
    assert dense["ef_search"] >= 16 and dense["recall_at_10"] >= 0.95
    assert isinstance(hnsw_assistant.index.dense.raw, faiss.IndexHNSWFlat)
    assert hnsw_assistant.index.dense.raw.hnsw.efSearch == dense["ef_search"]


def test_hnsw_search_equals_brute_force_on_a_small_build_with_and_without_filters(hnsw_assistant, embedder):
    build = hnsw_assistant.index
    everything = build.dense.vectors(list(range(len(build.chunks))))
    rows = build.corpus.allowed_rows(Filters(years=(2019,)))
    assert rows is not None
    for question in QUESTIONS:
        query = embedder.encode_query(question)
        assert [r for r, _ in build.dense.search(query, 5)] == list(np.argsort(-(everything @ query))[:5])
        within = rows[np.argsort(-(everything[rows] @ query), kind="stable")][:5]
        assert [r for r, _ in build.dense.search(query, 5, rows)] == within.tolist()


def test_answers_are_the_same_from_the_exact_and_the_approximate_build(tiny_assistant, hnsw_assistant):
    for question in QUESTIONS:
        assert hnsw_assistant.ask(question).text == tiny_assistant.ask(question).text


def test_ef_search_is_the_smallest_reaching_the_target_recall_on_held_out_passages():
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(50, 64)).astype(np.float32)

    def passages(n: int) -> np.ndarray:
        data = centres[rng.integers(0, 50, n)] + rng.normal(0, 0.3, (n, 64)).astype(np.float32)
        return data / np.linalg.norm(data, axis=1, keepdims=True)

    data, held = passages(4000), passages(200)
    index = FaissIndex.empty(64, DenseKind("hnsw", 16, 32, ef_search=16))
    index.add(np.arange(len(data)), data)
    ef, recall = tune_ef_search(index, data, held, 0.95)
    assert recall >= 0.95
    if ef > 16:  # half of it fell short
        assert tune_ef_search(index, data, held, 0.95, cap=ef // 2)[1] < 0.95
    # Fresh queries keep about that recall through the index's own search.
    queries = passages(100)
    _, exact = faiss.knn(queries, data, 10, metric=faiss.METRIC_INNER_PRODUCT)
    tuned = FaissIndex(index.raw, DenseKind("hnsw", 16, 32, ef_search=ef))
    found = [[r for r, _ in tuned.search(q, 10)] for q in queries]
    assert np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, exact.tolist(), strict=True)]) >= 0.9


def test_a_manifest_naming_another_index_kind_than_the_file_holds_is_refused(tiny_corpus_settings, embedder):
    ingest(tiny_corpus_settings, embedder)
    path = current_build(tiny_corpus_settings.paths.index) / "manifest.json"
    data = json.loads(path.read_text())
    data["dense"] = {"kind": "hnsw", "m": 32, "ef_construction": 64, "ef_search": 64}
    path.write_text(json.dumps(data))
    with pytest.raises(StoreError, match=r"holds a IndexFlatIP, the manifest says hnsw.*rag ingest"):
        load_index(tiny_corpus_settings.paths.index)
    data["dense"] = {"kind": "lsh"}
    path.write_text(json.dumps(data))
    with pytest.raises(StoreError, match=r"cannot read.*unknown dense index kind .lsh."):
        load_index(tiny_corpus_settings.paths.index)
