"""The PostgreSQL layout against a real server: a build round-trips, switches in one transaction, keeps the
previous build, searches like exact search, and reports a bad DSN or missing server clearly."""

from __future__ import annotations

import numpy as np
import pytest

from rag import pgstore
from rag.errors import IndexBusyError, StoreError
from rag.ingest import EMBEDDED_TEXT
from rag.sentences import build_table
from rag.store import FileStatus, Manifest
from rag.types import Chunk, Document, Paragraph, ReportMeta

DIM = 8


def _corpus(n: int, seed: int = 0) -> tuple[list[Document], list[Chunk], np.ndarray]:
    rng = np.random.default_rng(seed)
    documents, chunks = [], []
    for d in range(2):
        parts = [f"Sentence {i} of report {d}. It says {seed} things." for i in range(n // 2)]
        text = "\n\n".join(parts)
        report = ReportMeta(f"Workshop {d} Title", f"{2016 + 3 * d}-05-01", ["Bangkok", "São Paulo"][d])
        offsets, paragraphs, pos = [], [], 0
        for i, part in enumerate(parts):
            offsets.append(pos)
            paragraphs.append(Paragraph(f"r{d}.txt", i, "body", part, pos, pos + len(part), report=report))
            pos += len(part) + 2
        documents.append(Document(f"r{d}.txt", "txt", text, tuple(paragraphs), report))
        for i, part in enumerate(parts):
            chunks.append(Chunk(f"r{d}-{i}", f"r{d}.txt", i, "body", part, offsets[i], offsets[i] + len(part),
                                title=report.title, date=report.date, place=report.place))
    vectors = rng.normal(size=(len(chunks), DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return documents, chunks, vectors


def _write(conn, seed: int = 0, n: int = 40) -> tuple[pgstore.BuildRef, list[Chunk], np.ndarray]:
    documents, chunks, vectors = _corpus(n, seed)
    sentences = build_table(chunks, lambda texts: np.ones((len(texts), DIM), np.float32) / DIM**0.5, DIM)
    manifest = Manifest("m", DIM, {"embedded_text": EMBEDDED_TEXT},
                        tuple(FileStatus(d.doc, "", "ok", chunks=n // 2) for d in documents), len(chunks))
    ref = pgstore.write_build(conn, manifest, documents, chunks, vectors, sentences, [c.text for c in chunks])
    return ref, chunks, vectors


@pytest.fixture
def conn(pg_dsn):
    connection = pgstore.connect(pg_dsn)
    pgstore.ensure_schema(connection)
    yield connection
    connection.close()


def test_a_build_round_trips_and_becomes_current(conn) -> None:
    assert pgstore.current(conn) is None
    ref, chunks, _ = _write(conn)
    assert pgstore.current(conn) == ref
    build = pgstore.load_build(conn, ref, expect_model="m", expect_dimension=DIM)
    assert list(build.chunks) == chunks
    written = build_table(chunks, lambda texts: np.ones((len(texts), DIM), np.float32) / DIM**0.5, DIM)
    assert np.array_equal(build.sentences.spans, written.spans) and len(written.spans) == 2 * len(chunks)
    assert np.array_equal(build.sentences.offsets, written.offsets)
    assert np.array_equal(build.sentences.vectors, written.vectors) and build.sentences.vectors.dtype == np.float16
    with pytest.raises(StoreError, match="built with model 'm'"):
        pgstore.load_build(conn, ref, expect_model="other")


def test_search_matches_exact_inner_product_and_filters_match_python(conn) -> None:
    ref, chunks, vectors = _write(conn)
    query = vectors[3] + 0.1
    query /= np.linalg.norm(query)
    exact = np.argsort(-(vectors @ query))[:10]
    found = pgstore.search(conn, ref, query, 10)
    assert [p for p, _ in found] == exact.tolist()
    assert found[0][1] == pytest.approx(float(vectors[exact[0]] @ query), abs=1e-5)
    paulo = pgstore.search(conn, ref, query, 100, pgstore.SqlFilter(places=("SÃO",)))
    assert {chunks[p].place for p, _ in paulo} == {"São Paulo"} and len(paulo) == 20
    assert not pgstore.search(conn, ref, query, 5, pgstore.SqlFilter(years=(2016,), docs=("r1",)))
    np.testing.assert_allclose(pgstore.vectors(conn, ref, [5, 2], DIM), vectors[[5, 2]], atol=1e-6)


def test_a_new_build_keeps_the_previous_one_and_drops_older_ones(conn) -> None:
    _write(conn, seed=1)
    second, _, vectors = _write(conn, seed=2)
    third, chunks, _ = _write(conn, seed=3)
    assert pgstore.current(conn) == third
    schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rag_b%'")}
    assert schemas == {second.schema, third.schema}
    reused = pgstore.vectors_by_hash(conn, second, [chunks[0].text.replace("3", "2"), "no such text"], DIM)
    assert list(reused) == [chunks[0].text.replace("3", "2")]
    np.testing.assert_allclose(next(iter(reused.values())), vectors[0], atol=1e-6)


def test_a_failed_build_leaves_the_live_one_and_writes_nothing(conn) -> None:
    ref, _, _ = _write(conn)
    documents, chunks, vectors = _corpus(10)
    sentences = build_table(chunks, lambda texts: np.ones((len(texts), DIM), np.float32), DIM)
    manifest = Manifest("m", DIM, {}, (), len(chunks))
    with pytest.raises(Exception, match="duplicate key"):  # two chunks with one id: the COPY fails mid-build
        pgstore.write_build(conn, manifest, documents, [*chunks[:-1], chunks[0]], vectors, sentences,
                            [c.text for c in chunks])
    assert pgstore.current(conn) == ref
    assert conn.execute("SELECT count(*) FROM rag.builds").fetchone()[0] == 1


def test_one_ingest_at_a_time_per_database(pg_dsn, conn) -> None:
    other = pgstore.connect(pg_dsn)
    try:
        with (pgstore.writer_lock(conn, "db"), pytest.raises(IndexBusyError, match="another 'rag ingest'"),
              pgstore.writer_lock(other, "db")):
            pass
        with pgstore.writer_lock(other, "db"):
            pass
    finally:
        other.close()


def test_a_wrong_dsn_names_the_server_and_the_fix(pg_server) -> None:
    with pytest.raises(StoreError, match=r"cannot connect to PostgreSQL at postgres@127\.0\.0\.1:1/x .*store\.dsn"):
        pgstore.connect("postgresql://postgres:secret@127.0.0.1:1/x")
    with pytest.raises(StoreError, match="does not exist"):
        pgstore.connect(pg_server.database_dsn("no_such_db"))
    with pytest.raises(StoreError, match=r"store\.dsn is empty"):
        pgstore.connect("")
