"""The PostgreSQL backend against a real server: a build round-trips, switches in one transaction, keeps the
previous build, searches like exact search, and a wrong DSN or a missing server is named with the fix."""

from __future__ import annotations

import numpy as np
import pytest

from rag.errors import IndexBusyError, IndexNotFoundError, StoreError
from rag.lexical import LexicalIndex
from rag.manifest import FileStatus, Manifest
from rag.sentences import build_table
from rag.store_postgres import PostgresStore
from rag.types import Chunk, Document, Paragraph, ReportMeta

DIM = 8


def _corpus(n: int, seed: int = 0) -> tuple[list[Document], list[Chunk], np.ndarray]:
    """Two reports of n/2 one-paragraph chunks each, random unit vectors."""
    rng = np.random.default_rng(seed)
    documents, chunks = [], []
    for d in range(2):
        parts = [f"Sentence {i} of report {d}. It says {seed} things." for i in range(n // 2)]
        report = ReportMeta(f"Workshop {d}", f"{2016 + 3 * d}-05-01", ["Bangkok", "São Paulo"][d])
        starts = np.cumsum([0] + [len(p) + 2 for p in parts])[:-1].tolist()
        paragraphs = tuple(Paragraph(f"r{d}.txt", i, "body", p, s, s + len(p), report=report)
                           for i, (p, s) in enumerate(zip(parts, starts, strict=True)))
        documents.append(Document(f"r{d}.txt", "txt", "\n\n".join(parts), paragraphs, report))
        chunks += [Chunk(f"r{d}-{i}", f"r{d}.txt", i, "body", p, s, s + len(p), title=report.title,
                         date=report.date, place=report.place)
                   for i, (p, s) in enumerate(zip(parts, starts, strict=True))]
    vectors = rng.normal(size=(len(chunks), DIM)).astype(np.float32)
    return documents, chunks, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _sentences(chunks):
    return build_table(chunks, lambda texts: np.full((len(texts), DIM), DIM**-0.5, np.float32), DIM)


def _write(store: PostgresStore, seed: int = 0, n: int = 40):
    documents, chunks, vectors = _corpus(n, seed)
    manifest = Manifest("m", DIM, {}, tuple(FileStatus(d.doc, "", "ok", chunks=n // 2) for d in documents), len(chunks))
    return store.write(manifest, documents, chunks, vectors, _sentences(chunks)), chunks, vectors


@pytest.fixture
def store(pg_dsn):
    store = PostgresStore(pg_dsn)
    yield store
    store.close()


def test_a_build_round_trips_and_becomes_the_live_one(store) -> None:
    with pytest.raises(IndexNotFoundError, match="run 'rag ingest'"):
        store.load()
    assert store.live_name() is None
    written, chunks, vectors = _write(store)
    assert store.live_name() == written.name
    build = store.load(expect_model="m", expect_dimension=DIM)
    assert build.name == written.name and list(build.chunks) == chunks
    dense = build.manifest.dense  # the index, and the ef_search tuned on 4 held-out passages
    assert dense["kind"] == "pgvector-hnsw" and (dense["m"], dense["ef_construction"]) == (32, 64)
    assert dense["recall_at_10"] >= 0.95 and 16 <= dense["ef_search"] == build.dense.ef_search <= 1000
    expected = _sentences(chunks)
    assert np.array_equal(build.sentences.spans, expected.spans) and len(expected.spans) == 2 * len(chunks)
    assert np.array_equal(build.sentences.offsets, expected.offsets)
    assert np.array_equal(build.sentences.vectors, expected.vectors) and build.sentences.vectors.dtype == np.float16
    assert build.dense.count() == len(chunks) and build.dense.dimension == DIM
    np.testing.assert_allclose(build.dense.vectors([5, 2]), vectors[[5, 2]], atol=1e-6)
    in_memory = LexicalIndex(chunks)  # the saved BM25 ranks as one built afresh
    assert build.lexical.search("sentence 7 of report 1", 5) == in_memory.search("sentence 7 of report 1", 5) != []
    with pytest.raises(StoreError, match="built with model 'm', settings ask for 'other'"):
        store.load(expect_model="other")


def test_search_equals_exact_inner_product_and_keeps_to_the_allowed_rows(store) -> None:
    build, _, vectors = _write(store)
    query = vectors[3] + 0.1
    query /= np.linalg.norm(query)
    exact = np.argsort(-(vectors @ query))
    found = build.dense.search(query, 10)
    assert [row for row, _ in found] == exact[:10].tolist()
    assert found[0][1] == pytest.approx(float(vectors[exact[0]] @ query), abs=1e-5)
    allowed = np.arange(20, 40)
    within = build.dense.search(query, 100, allowed)
    assert [row for row, _ in within] == [int(r) for r in exact if r >= 20]
    assert build.dense.search(query, 5, np.zeros(0, dtype=np.int64)) == []


def test_a_new_build_keeps_the_previous_one_and_drops_older_ones(store) -> None:
    first, _, _ = _write(store, seed=1)
    second, _, _ = _write(store, seed=2)
    third, chunks, _ = _write(store, seed=3)
    assert store.live_name() == third.name
    with store.connection() as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM rag.builds")}
        schemas = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'rag_b%'").fetchone()[0]
    assert names == {second.name, third.name} and schemas == 2
    assert list(store.load(second.name).chunks) != chunks  # the fallback is still whole
    with pytest.raises(StoreError, match=f"build {first.name} is not in the database"):
        store.load(first.name)


def test_a_build_that_fails_midway_leaves_the_live_one_and_no_trace(store) -> None:
    live, _, _ = _write(store)
    documents, chunks, vectors = _corpus(10)
    manifest = Manifest("m", DIM, {}, (), len(chunks))
    duplicate = [*chunks[:-1], chunks[0]]  # two rows with one chunk id: the COPY fails inside the transaction
    with pytest.raises(StoreError, match=r"new build could not be written .*duplicate key.* live build is untouched"):
        store.write(manifest, documents, duplicate, vectors, _sentences(duplicate))
    assert store.live_name() == live.name
    with store.connection() as conn:
        assert conn.execute("SELECT count(*) FROM rag.builds").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'rag_b%'").fetchone()[0] == 1


def test_one_ingest_at_a_time_per_database(pg_dsn, store) -> None:
    other = PostgresStore(pg_dsn)
    with (store.lock(), pytest.raises(IndexBusyError, match="another 'rag ingest' is writing to PostgreSQL"),
          other.lock()):
        pass
    with other.lock():  # released with its connection
        pass


def test_a_wrong_dsn_a_missing_database_and_an_empty_dsn_are_named_with_the_fix(pg_server) -> None:
    with pytest.raises(StoreError, match=r"cannot connect to PostgreSQL at postgres@127\.0\.0\.1:1/x \(.*store\.dsn"):
        PostgresStore("postgresql://postgres:secret@127.0.0.1:1/x").live_name()
    with pytest.raises(StoreError, match="database \"no_such_db\" does not exist") as caught:
        PostgresStore(pg_server.database_dsn("no_such_db")).check_writable()
    assert "secret" not in str(caught.value)
    with pytest.raises(StoreError, match=r"store\.dsn is empty; set store\.dsn or RAG_STORE_DSN"):
        PostgresStore("").live_name()


def test_a_server_without_pgvector_is_named_with_the_fix(pg_server, pg_dsn) -> None:
    import psycopg

    with psycopg.connect(pg_server.dsn, autocommit=True) as conn:  # a role that may not create extensions
        conn.execute("CREATE ROLE plain LOGIN")
    try:
        dsn = pg_dsn.replace("postgres@", "plain@")
        with pytest.raises(StoreError, match=r"lacks the pgvector extension .* CREATE EXTENSION vector"):
            PostgresStore(dsn).check_writable()
    finally:
        pg_server.drop_database(pg_dsn)
        with psycopg.connect(pg_server.dsn, autocommit=True) as conn:
            conn.execute("DROP ROLE plain")


def test_ingest_and_ask_through_postgres_give_the_faiss_answers_and_reuse_unchanged_vectors(
        tmp_path, pg_dsn, embedder, tiny_assistant) -> None:
    from rag import ingest
    from rag.pipeline import Assistant
    from tests.conftest import tiny_settings

    settings = tiny_settings(tmp_path).with_overrides({"store.backend": "postgres", "store.dsn": pg_dsn})
    first = ingest(settings, embedder)
    assert first.embedded_chunks == first.chunks > 5 and first.build.startswith("PostgreSQL postgres@127.0.0.1")
    assistant = Assistant(settings, embedder)
    assert [c.chunk_id for c in assistant.index.chunks] == [c.chunk_id for c in tiny_assistant.index.chunks]
    for question in ("Who chaired the Bangkok workshop?", "What is the global average cost of sending remittances?",
                     "How many people attended the 2018 Marrakesh workshop?"):
        ours, theirs = assistant.ask(question), tiny_assistant.ask(question)
        assert (ours.text, ours.abstained) == (theirs.text, theirs.abstained)
        assert [c.quote for c in ours.citations] == [c.quote for c in theirs.citations]
    assert "Halvorsen" in assistant.ask("Who chaired the Bangkok workshop?").text
    filtered = assistant.search("recruitment fees", filters=_filters(years=(2019,)))
    assert filtered and {h.chunk.year for h in filtered} == {2019}
    before = assistant.index.name
    again = ingest(settings, embedder)  # nothing changed: every vector comes from the live build
    assert again.embedded_chunks == 0 and again.chunks == first.chunks
    assert assistant.index.name == PostgresStore(pg_dsn).live_name() != before  # switched at the next use


def _filters(**kwargs):
    from rag.filters import Filters

    return Filters(**kwargs)


def test_the_settings_command_hides_the_password_of_the_dsn(monkeypatch, capsys) -> None:
    from rag.cli import main

    monkeypatch.setenv("RAG_STORE_DSN", "postgresql://rag:s3cret@db-host:5432/rag")
    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    assert "postgresql://rag:***@db-host:5432/rag" in out and "s3cret" not in out
