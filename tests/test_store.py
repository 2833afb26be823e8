"""The index on disk: round trip, exact search, refusal of damaged or mismatched builds."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rag.errors import IndexNotFoundError, StoreError
from rag.store_faiss import current_build, load_index


def test_loading_without_an_index_says_to_run_ingest(tmp_path):
    with pytest.raises(IndexNotFoundError, match="rag ingest"):
        load_index(tmp_path / "nothing")


def test_round_trip_keeps_every_chunk_verbatim_in_its_document(tiny_assistant):
    index = load_index(tiny_assistant.settings.paths.index)
    assert [c.chunk_id for c in index.chunks] == [c.chunk_id for c in tiny_assistant.index.chunks]
    assert len(index.chunks) == index.dense.count() == index.manifest.chunk_count > 5
    for chunk in index.chunks:
        assert index.documents[chunk.doc].text[chunk.start : chunk.end] == chunk.text
    files = {f.doc: f for f in index.manifest.files}
    assert files["geneva-2019-workshop.md"].status == "ok"
    assert len(files["geneva-2019-workshop.md"].sha256) == 64


def test_faiss_search_equals_brute_force_numpy(tiny_assistant, embedder):
    index = tiny_assistant.index
    everything = index.dense.vectors(list(range(len(index.chunks))))
    np.testing.assert_allclose(np.linalg.norm(everything, axis=1), 1.0, atol=1e-4)
    for question in ["how many delegates attended", "recruitment fees", "cost of remittances"]:
        query = embedder.encode_query(question)
        expected = np.argsort(-(everything @ query))[:5]
        got = [pos for pos, _ in index.dense.search(query, 5)]
        assert got == list(expected)


def _manifest(root):
    return current_build(root) / "manifest.json"


def test_a_truncated_faiss_file_is_refused_with_a_clear_message(tiny_corpus_settings, embedder):
    from rag import ingest

    ingest(tiny_corpus_settings, embedder)
    faiss_file = current_build(tiny_corpus_settings.paths.index) / "vectors.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    with pytest.raises(StoreError, match=r"vectors\.faiss.*damaged.*rag ingest"):
        load_index(tiny_corpus_settings.paths.index)


def test_a_model_mismatch_is_refused(tiny_assistant):
    with pytest.raises(StoreError, match="built with model"):
        load_index(tiny_assistant.settings.paths.index, expect_model="another-model")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("format_version", 99, "index format 99"),
    ("chunk_count", 3, "manifest says 3"),
])
def test_a_manifest_that_disagrees_with_the_files_is_refused(tiny_corpus_settings, embedder, field, value, message):
    from rag import ingest

    ingest(tiny_corpus_settings, embedder)
    path = _manifest(tiny_corpus_settings.paths.index)
    data = json.loads(path.read_text())
    data[field] = value
    path.write_text(json.dumps(data))
    with pytest.raises(StoreError, match=message):
        load_index(tiny_corpus_settings.paths.index)


def test_a_filtered_search_ranks_only_the_allowed_rows_like_brute_force(tiny_assistant, embedder):
    from rag.filters import Filters

    build = tiny_assistant.index
    rows = build.corpus.allowed_rows(Filters(years=(2019,)))
    assert rows is not None and 0 < len(rows) < len(build.corpus)
    assert all(build.chunks[r].year == 2019 for r in rows)
    everything = build.dense.vectors(list(range(len(build.chunks))))
    query = embedder.encode_query("recruitment fees")
    expected = [int(r) for r in rows[np.argsort(-(everything[rows] @ query))][:4]]
    assert [row for row, _ in build.dense.search(query, 4, rows)] == expected
    lexical = build.lexical.search("recruitment fees", 10, rows)
    assert lexical and {row for row, _ in lexical} <= set(rows.tolist())
    assert build.dense.search(query, 4, np.zeros(0, dtype=np.int64)) == []


def test_the_corpus_finds_chunks_and_their_sentences_by_chunk_id(tiny_assistant):
    corpus = tiny_assistant.index.corpus
    for row, chunk in enumerate(corpus.chunks):
        assert corpus.chunk(chunk.chunk_id) == chunk and corpus.row(chunk.chunk_id) == row
    assert corpus.chunk("no-such-chunk") is None and corpus.sentence_vectors("no-such-chunk") == {}


def test_the_faiss_folder_is_the_default_store_and_satisfies_the_seam(tiny_assistant):
    from rag.store import LexicalRanker, VectorIndex, open_store
    from rag.store_faiss import FolderStore

    store = open_store(tiny_assistant.settings)
    assert isinstance(store, FolderStore) and tiny_assistant.settings.store.backend == "faiss"
    build = store.load()
    assert build.name == store.live_name() and isinstance(build.dense, VectorIndex)
    assert isinstance(build.lexical, LexicalRanker)


def test_an_unknown_backend_is_refused_naming_the_choices(tiny_corpus_settings):
    from rag.errors import SettingsError
    from rag.store import open_store

    with pytest.raises(SettingsError, match=r"'store\.backend' is 'nosuch'.*use one of .*faiss"):
        open_store(tiny_corpus_settings.with_overrides({"store.backend": "nosuch"}))
    with pytest.raises(SettingsError, match="use one of"):
        open_store(tiny_corpus_settings.with_overrides({"store.backend": "../etc"}))
