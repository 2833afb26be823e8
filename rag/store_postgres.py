"""The shared backend (`store.backend = "postgres"`): builds in PostgreSQL with pgvector, one database for a team.

Layout (README "Serving a team"): schema `rag` holds `rag.builds` (one row per build: name, model, manifest)
and `rag.current` (one row naming the live build); each build has its own schema `rag_b<id>` with `documents`,
`chunks` (row, record, `vector(d)` under an HNSW cosine index), `sentences` (each chunk's sentence spans and
float16 vectors) and `bm25` (the saved bm25s files). A build is written in ONE transaction that ends by
updating `rag.current`: readers never see half a build, and a killed ingest (its transaction never commits)
leaves the previous build serving. Readers ask `rag.current` before every question, so every `rag serve` on
the database switches at its next question. A schema per build makes dropping an old build one cheap DROP,
with no HNSW vacuum of deleted rows.

The lexical side stays bm25s, saved in the build as the FAISS folder saves it: its scores are the FAISS
path's, so both backends give the same answers; PostgreSQL's ts_rank is not BM25 and ranks otherwise.
Vectors stay in the database; chunks, documents, sentence vectors and BM25 are read once per build.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from .corpus import Corpus
from .errors import IndexBusyError, IndexNotFoundError, StoreError
from .lexical import FILES as LEXICAL_FILES
from .lexical import LexicalIndex
from .manifest import Manifest
from .records import chunk_from_json, chunk_to_json, document_from_json, document_to_json
from .sentences import SentenceTable
from .store import FIX, Build, check_build_input, check_contents, check_manifest
from .types import Chunk, Document

if TYPE_CHECKING:
    from .settings import Settings

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
# m 32 not 16: recall@10 at 100k 0.94 not 0.83 at ef_search 400 (eval/bench_pg.py); recorded in each manifest.
DENSE = {"kind": "pgvector-hnsw", "opclass": "vector_cosine_ops", "m": 32, "ef_construction": 64}
HNSW = f"m = {DENSE['m']}, ef_construction = {DENSE['ef_construction']}"  # ef_search: tuned per build
POOL_SIZE = 8  # as many as Gradio's queue workers: one connection per concurrent question
_WRITER_LOCK = 0x7261675F696E6765  # advisory lock key ("rag_inge"): one ingest per database
_SCHEMA_LOCK = _WRITER_LOCK + 1
_TUNING_QUERIES = 200  # passages held out of the HNSW graph to tune ef_search (at most a tenth of them)
_EF_SEARCH_MIN = 40  # a graph too small to tune still searches this wide (HNSW returns at most ef_search rows)
_EF_SEARCH_CAP = 1000  # pgvector's largest hnsw.ef_search
_BM25_PART = 64 << 20  # bytes per row of a saved BM25 file (a bytea value is at most 1 GB)
_FIX_DSN = "check store.dsn (or RAG_STORE_DSN) and that the server is running"

_SCHEMA = """
CREATE SCHEMA IF NOT EXISTS rag;
CREATE TABLE IF NOT EXISTS rag.meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS rag.builds (
    id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, created timestamptz NOT NULL DEFAULT now(),
    model text NOT NULL, dimension int NOT NULL, chunk_count int NOT NULL, manifest text NOT NULL);
CREATE TABLE IF NOT EXISTS rag.current (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), build_id bigint REFERENCES rag.builds (id));
"""


def describe(dsn: str) -> str:
    """The DSN without its password, for messages."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.Error:
        return "(a store.dsn that is not a valid connection string)"
    return (f"{parts.get('user') or '(default user)'}@{parts.get('host') or 'localhost'}:{parts.get('port') or 5432}"
            f"/{parts.get('dbname') or ''}")


def _schema(build_id: int) -> str:
    return f"rag_b{int(build_id)}"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def _prepare(conn: Any, dsn: str) -> None:
    """pgvector present (created if this role may), its types registered on the connection."""
    if not conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone():
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.errors.InsufficientPrivilege:
            raise StoreError(f"the database {describe(dsn)} lacks the pgvector extension and this role may not "
                             "create it; ask its administrator to run CREATE EXTENSION vector in it") from None
        except psycopg.Error as exc:
            raise StoreError(f"the PostgreSQL server at {describe(dsn)} has no pgvector extension "
                             f"({_one_line(exc)}); install pgvector on the server "
                             "(https://github.com/pgvector/pgvector#installation), then retry") from None
    register_vector(conn)


def connect(dsn: str) -> Any:
    """An autocommit connection ready for vectors; StoreError naming the server and the fix when impossible."""
    if not dsn:
        raise StoreError("store.backend is 'postgres' but store.dsn is empty; set store.dsn or RAG_STORE_DSN, "
                         "e.g. postgresql://rag@db-host:5432/rag")
    try:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise StoreError(f"cannot connect to PostgreSQL at {describe(dsn)} ({_one_line(exc)}); {_FIX_DSN}") from None
    try:
        _prepare(conn, dsn)
    except BaseException:
        conn.close()
        raise
    return conn


class PgVectors:
    """One build's vectors in its `chunks` table; rows are chunk positions in build order."""

    def __init__(self, store: PostgresStore, build_id: int, dimension: int, count: int, ef_search: int) -> None:
        self._store = store
        self._table = f"{_schema(build_id)}.chunks"
        self._dimension = dimension
        self._count = count
        self.ef_search = ef_search  # tuned at build to the target recall

    @property
    def dimension(self) -> int:
        return self._dimension

    def count(self) -> int:
        return self._count

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        raise StoreError("internal: a PostgreSQL build is written whole by 'rag ingest' and never grows")

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """HNSW without filters; within `allowed` rows an exact scan (HNSW filters only after collecting its
        ef_search candidates, so a narrow filter would leave it few or none)."""
        if self._count == 0 or k < 1 or (allowed is not None and not len(allowed)):
            return []
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        with self._store.connection() as conn:
            if allowed is not None:
                rows = conn.execute(
                    f"SELECT position, 1 - (embedding <=> %s) FROM {self._table} WHERE position = ANY(%s) "
                    "ORDER BY (embedding <=> %s) + 0 LIMIT %s",  # "+ 0": not the index's ordering, so exact
                    (q, np.asarray(allowed, dtype=np.int32).tolist(), q, k)).fetchall()
            else:
                with conn.transaction():  # HNSW returns at most ef_search rows; 2k keeps the k-th one well found
                    ef = min(max(self.ef_search, 2 * k), _EF_SEARCH_CAP)
                    conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(ef),))
                    rows = conn.execute(f"SELECT position, 1 - (embedding <=> %s) FROM {self._table} "
                                        "ORDER BY embedding <=> %s LIMIT %s", (q, q, k)).fetchall()
        return [(int(p), float(c)) for p, c in rows]

    def vectors(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        out = np.zeros((len(ids), self._dimension), dtype=np.float32)
        if not len(ids):
            return out
        with self._store.connection() as conn:
            rows = conn.execute(f"SELECT position, embedding FROM {self._table} WHERE position = ANY(%s)",
                                ([int(i) for i in ids],)).fetchall()
        found = {int(p): v.to_numpy() for p, v in rows}
        for row, i in enumerate(ids):
            out[row] = found[int(i)]
        return out


class PostgresStore:
    """Builds in one PostgreSQL database (see the module docstring); a connection pool for the readers."""

    hnsw = HNSW  # the index parameters of every build (eval/bench_pg.py measures these)

    def __init__(self, dsn: str, target_recall: float = 0.95) -> None:
        self.dsn = dsn
        self.target_recall = target_recall
        self._pool: Any = None
        self._pool_lock = threading.Lock()

    @property
    def where(self) -> str:
        return f"PostgreSQL {describe(self.dsn)}"

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A pooled connection; a server that went away becomes a StoreError naming it, not a driver error."""
        with self._pool_lock:
            if self._pool is None:
                connect(self.dsn).close()  # the clear message for a wrong DSN, a server down, no pgvector
                self._pool = ConnectionPool(self.dsn, min_size=1, max_size=POOL_SIZE, timeout=20, open=True,
                                            kwargs={"autocommit": True, "connect_timeout": 10},
                                            configure=self._configure)
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise StoreError(f"no connection to PostgreSQL at {describe(self.dsn)} ({_one_line(exc)}); "
                             f"{_FIX_DSN}") from None
        except psycopg.errors.UndefinedTable:
            raise StoreError(f"{self.where}: the build being read was removed by a newer ingest; ask again") from None
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL at {describe(self.dsn)} failed ({_one_line(exc)}); {_FIX_DSN}") from None

    def close(self) -> None:
        """Close the readers' pool (it reopens on the next use)."""
        with self._pool_lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    def _configure(self, conn: Any) -> None:
        _prepare(conn, self.dsn)

    def live_name(self) -> str | None:
        with self.connection() as conn:
            try:
                row = conn.execute("SELECT b.name FROM rag.current c JOIN rag.builds b ON b.id = c.build_id").fetchone()
            except psycopg.errors.UndefinedTable:
                return None  # nothing written to this database yet
        return row[0] if row else None

    def load(self, name: str | None = None, expect_model: str | None = None,
             expect_dimension: int | None = None) -> Build:
        with self.connection() as conn:
            return self._load(conn, name, expect_model, expect_dimension)

    def _load(self, conn: Any, name: str | None, expect_model: str | None, expect_dimension: int | None) -> Build:
        with conn.transaction():  # the build's tables locked against a DROP while they are read
            try:
                row = conn.execute(
                    "SELECT b.id, b.name, b.manifest FROM rag.builds b " +
                    ("WHERE b.name = %s" if name else "JOIN rag.current c ON c.build_id = b.id"),
                    (name,) if name else ()).fetchone()
            except psycopg.errors.UndefinedTable:
                row = None
            if row is None:
                if name:
                    raise StoreError(f"{self.where}: build {name} is not in the database; {FIX}")
                raise IndexNotFoundError(f"no index in {self.where}; run 'rag ingest' to build one")
            build_id, name, text = int(row[0]), row[1], row[2]
            where = f"{self.where} build {name}"
            manifest = Manifest.from_json(text, where)
            check_manifest(where, manifest, expect_model, expect_dimension)
            s = _schema(build_id)
            try:
                chunks = tuple(chunk_from_json(r[0]) for r in conn.execute(
                    f"SELECT record FROM {s}.chunks ORDER BY position"))
                documents = {d.doc: d for d in (document_from_json(r[0]) for r in conn.execute(
                    f"SELECT record FROM {s}.documents"))}
                sentence_rows = conn.execute(f"SELECT spans, vectors FROM {s}.sentences ORDER BY position").fetchall()
                count, dimension = conn.execute(
                    f"SELECT (SELECT count(*) FROM {s}.chunks), atttypmod FROM pg_attribute "
                    f"WHERE attrelid = '{s}.chunks'::regclass AND attname = 'embedding'").fetchone()
            except (ValueError, TypeError, KeyError) as exc:
                raise StoreError(f"{where}: damaged chunk or document records ({exc}); {FIX}") from None
            lexical = _load_lexical(conn, s, len(chunks), where)
        if len(sentence_rows) != len(chunks):
            raise StoreError(f"{where}: {len(sentence_rows)} sentence rows for {len(chunks)} chunks; {FIX}")
        corpus = Corpus(chunks, documents, _sentence_table(sentence_rows, manifest.dimension))
        dense = PgVectors(self, build_id, int(dimension), int(count),
                          int(manifest.dense.get("ef_search", _EF_SEARCH_MIN)))
        check_contents(where, manifest, corpus, dense)
        return Build(name, where, manifest, corpus, dense, lexical)

    def write(self, manifest: Manifest, documents: Sequence[Document], chunks: Sequence[Chunk],
              vectors: np.ndarray, sentences: SentenceTable) -> Build:
        """One transaction: the build's schema and rows, its HNSW index, a read-back check, the switch, the prune."""
        check_build_input(manifest, chunks, vectors, sentences)
        name = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        final = Manifest(**{**asdict(manifest), "files": manifest.files, "dense": dict(DENSE),
                            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        conn = connect(self.dsn)
        try:
            _ensure_schema(conn, self.dsn)
            with conn.transaction():
                build_id = int(conn.execute(
                    "INSERT INTO rag.builds (name, model, dimension, chunk_count, manifest) "
                    "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                    (name, final.model, final.dimension, len(chunks), final.to_json())).fetchone()[0])
                ef, recall = _write_tables(conn, _schema(build_id), final.dimension, documents, chunks, vectors,
                                           sentences, self.target_recall)
                final = replace(final, dense={**final.dense, "ef_search": ef, "recall_at_10": round(recall, 4)})
                conn.execute("UPDATE rag.builds SET manifest = %s WHERE id = %s", (final.to_json(), build_id))
                built = self._load(conn, name, final.model, final.dimension)  # this transaction sees its own rows
                live = conn.execute("SELECT build_id FROM rag.current").fetchone()[0]
                conn.execute("UPDATE rag.current SET build_id = %s", (build_id,))  # the switch
                keep = [build_id] + ([int(live)] if live is not None else [])
                for (old,) in conn.execute("SELECT id FROM rag.builds WHERE NOT (id = ANY(%s))", (keep,)).fetchall():
                    conn.execute(f"DROP SCHEMA IF EXISTS {_schema(old)} CASCADE")
                    conn.execute("DELETE FROM rag.builds WHERE id = %s", (old,))
        except psycopg.Error as exc:  # the transaction is rolled back: nothing of the new build remains
            raise StoreError(f"{self.where}: the new build could not be written ({_one_line(exc)}); the live "
                             "build is untouched") from None
        finally:
            conn.close()
        log.info("index build %s is live in %s (%d chunks)", name, self.where, len(chunks))
        return built

    @contextmanager
    def lock(self) -> Iterator[None]:
        """A session advisory lock on its own connection: the server drops it with the connection of a killed
        ingest, so a dead run never blocks the next. The ingest's pooled connections close with it."""
        conn = connect(self.dsn)
        try:
            if not conn.execute("SELECT pg_try_advisory_lock(%s)", (_WRITER_LOCK,)).fetchone()[0]:
                raise IndexBusyError(f"another 'rag ingest' is writing to {self.where}; wait for it to finish, or "
                                     "point store.dsn at another database")
            yield
        finally:
            conn.close()
            self.close()

    def check_writable(self) -> None:
        conn = connect(self.dsn)
        try:
            _ensure_schema(conn, self.dsn)
            if not conn.execute("SELECT has_database_privilege(current_database(), 'CREATE')").fetchone()[0]:
                raise StoreError(f"the role in store.dsn may not create schemas in {describe(self.dsn)}; grant it "
                                 "CREATE on the database (GRANT CREATE ON DATABASE ... TO ...). The live build is "
                                 "untouched")
        finally:
            conn.close()


def _ensure_schema(conn: Any, dsn: str) -> None:
    """Create the `rag` schema on first use; refuse one written by another version of this layout."""
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))  # two first runs at once
            conn.execute(_SCHEMA)
            conn.execute("INSERT INTO rag.meta VALUES ('schema_version', %s) ON CONFLICT DO NOTHING",
                         (str(SCHEMA_VERSION),))
            conn.execute("INSERT INTO rag.current VALUES (true, NULL) ON CONFLICT DO NOTHING")
            found = conn.execute("SELECT value FROM rag.meta WHERE key = 'schema_version'").fetchone()[0]
    except psycopg.errors.InsufficientPrivilege as exc:
        raise StoreError(f"the role in store.dsn may not create the rag schema in {describe(dsn)} "
                         f"({_one_line(exc)}); grant it CREATE on the database") from None
    if found != str(SCHEMA_VERSION):
        raise StoreError(f"{describe(dsn)} holds rag schema version {found}, this version reads {SCHEMA_VERSION}; "
                         "point store.dsn at another database, or drop the schemas rag and rag_b* to rebuild")


def _write_tables(conn: Any, s: str, dim: int, documents: Sequence[Document], chunks: Sequence[Chunk],
                  vectors: np.ndarray, sentences: SentenceTable, target_recall: float) -> tuple[int, float]:
    """The build's tables; returns the ef_search tuned on passages held out of the HNSW graph and its recall."""
    conn.execute(f"CREATE SCHEMA {s}")
    conn.execute(f"CREATE TABLE {s}.documents (doc text PRIMARY KEY, record text NOT NULL)")
    conn.execute(f"CREATE TABLE {s}.chunks (position int PRIMARY KEY, chunk_id text NOT NULL UNIQUE, "
                 f"record text NOT NULL, embedding vector({int(dim)}) NOT NULL)")
    conn.execute(f"CREATE TABLE {s}.sentences (position int PRIMARY KEY, spans bytea NOT NULL, vectors bytea NOT NULL)")
    conn.execute(f"CREATE TABLE {s}.bm25 (name text, part int, data bytea NOT NULL, PRIMARY KEY (name, part))")
    with conn.cursor().copy(f"COPY {s}.documents (doc, record) FROM STDIN") as copy:
        for d in documents:
            copy.write_row((d.doc, document_to_json(d)))
    n = len(chunks)
    held = min(_TUNING_QUERIES, n // 10)  # as the FAISS default: queries the graph was built without
    _copy_chunks(conn, s, chunks, vectors, range(n - held))
    conn.execute(f"CREATE INDEX ON {s}.chunks USING hnsw (embedding vector_cosine_ops) WITH ({HNSW})")
    ef, recall = _tune_ef_search(conn, s, vectors[: n - held], vectors[n - held :], target_recall)
    _copy_chunks(conn, s, chunks, vectors, range(n - held, n))  # inserted into the graph as rows
    conn.execute(f"ANALYZE {s}.chunks")
    with conn.cursor().copy(f"COPY {s}.sentences (position, spans, vectors) FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(["int4", "bytea", "bytea"])
        for p in range(n):
            first, last = int(sentences.offsets[p]), int(sentences.offsets[p + 1])
            copy.write_row((p, np.ascontiguousarray(sentences.spans[first:last, 1:], dtype="<i8").tobytes(),
                            np.ascontiguousarray(sentences.vectors[first:last], dtype="<f2").tobytes()))
    with tempfile.TemporaryDirectory() as tmp, \
            conn.cursor().copy(f"COPY {s}.bm25 (name, part, data) FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(["text", "int4", "bytea"])
        for file in LexicalIndex(chunks).save(Path(tmp)):
            data = (Path(tmp) / file).read_bytes()
            for part, first in enumerate(range(0, max(len(data), 1), _BM25_PART)):
                copy.write_row((file, part, data[first : first + _BM25_PART]))
    return ef, recall


def _copy_chunks(conn: Any, s: str, chunks: Sequence[Chunk], vectors: np.ndarray, rows: range) -> None:
    with conn.cursor().copy(f"COPY {s}.chunks (position, chunk_id, record, embedding) FROM STDIN "
                            "WITH (FORMAT BINARY)") as copy:
        copy.set_types(["int4", "text", "text", "vector"])
        for i in rows:
            copy.write_row((i, chunks[i].chunk_id, chunk_to_json(chunks[i]), np.asarray(vectors[i], dtype=np.float32)))


def _tune_ef_search(conn: Any, s: str, base: np.ndarray, queries: np.ndarray, target: float,
                    k: int = 10) -> tuple[int, float]:
    """The smallest ef_search (doubling from 16, pgvector's cap 1000) whose recall@k against exact search over
    `base` reaches `target`, and that recall; the cap and its recall when none does."""
    if not len(queries) or len(base) <= k:
        return _EF_SEARCH_MIN, 1.0
    base = np.asarray(base, dtype=np.float32)
    exact = np.concatenate([np.argpartition(-(np.asarray(block, dtype=np.float32) @ base.T), k, axis=1)[:, :k]
                            for block in np.array_split(queries, max(1, len(queries) // 16))])  # 16 rows of n at once
    ef = 16
    while True:
        conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(ef),))
        found = [[r[0] for r in conn.execute(f"SELECT position FROM {s}.chunks ORDER BY embedding <=> %s LIMIT %s",
                                             (np.asarray(q, dtype=np.float32), k))] for q in queries]
        recall = float(np.mean([len(set(f) & set(e.tolist())) / k for f, e in zip(found, exact, strict=True)]))
        if recall >= target or ef >= _EF_SEARCH_CAP:
            return ef, recall
        ef = min(ef * 2, _EF_SEARCH_CAP)


def _load_lexical(conn: Any, s: str, chunks: int, where: str) -> LexicalIndex:
    """The build's saved bm25s files, written to a temporary folder and loaded from there: no re-indexing of
    every chunk at each switch (the memory-mapped arrays outlive the folder's removal)."""
    with tempfile.TemporaryDirectory() as tmp:
        for file, data in conn.execute(f"SELECT name, data FROM {s}.bm25 ORDER BY name, part"):
            if file not in LEXICAL_FILES:
                raise StoreError(f"{where}: unexpected BM25 file {file!r}; {FIX}")
            with (Path(tmp) / file).open("ab") as fh:
                fh.write(data)
        try:
            lexical = LexicalIndex.load(Path(tmp), chunks)
        except (ValueError, OSError, KeyError) as exc:
            raise StoreError(f"{where}: damaged BM25 index ({exc}); {FIX}") from None
    if lexical.documents != chunks:
        raise StoreError(f"{where}: the BM25 index covers {lexical.documents} chunks, not {chunks}; {FIX}")
    return lexical


def _sentence_table(rows: Sequence[tuple[bytes, bytes]], dim: int) -> SentenceTable:
    """The sentence table from one row per chunk: (start, end) int64 pairs and float16 vectors."""
    spans, vectors, offsets = [], [], [0]
    for p, (span_bytes, vector_bytes) in enumerate(rows):
        pairs = np.frombuffer(span_bytes, dtype="<i8").reshape(-1, 2)
        spans.append(np.column_stack([np.full(len(pairs), p, dtype=np.int64), pairs]))
        vectors.append(np.frombuffer(vector_bytes, dtype="<f2").reshape(-1, dim))
        offsets.append(offsets[-1] + len(pairs))
    return SentenceTable(np.concatenate(spans).astype(np.int64) if spans else np.zeros((0, 3), np.int64),
                         np.concatenate(vectors).astype(np.float16) if vectors else np.zeros((0, dim), np.float16),
                         np.array(offsets, dtype=np.int64))


def open_store(settings: Settings) -> PostgresStore:
    return PostgresStore(settings.store.dsn, settings.store.postgres_target_recall)
