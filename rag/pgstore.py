"""The index in PostgreSQL with pgvector: one database shared by every `rag serve` of a team.

Layout (see README "Serving a team"): schema `rag` holds `rag.builds` (one row per build: name, manifest)
and `rag.current` (one row naming the live build); each build has its own schema `rag_b<id>` with
`documents`, `chunks` (record, filter columns, text hash, `vector(d)` with an HNSW cosine index) and
`sentences` (each passage's sentence spans and float16 vectors). A build is written in ONE transaction that
ends by updating `rag.current`, so readers never see half a build and a killed ingest leaves the previous
build serving. Per-build schemas make the old build's removal a cheap DROP (no HNSW vacuum of deleted rows).

The lexical side stays bm25s in memory, built from the chunks read back (as the FAISS path does): its
scores equal the FAISS path's, so answers match; PostgreSQL's ts_rank is not BM25 and ranks differently.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .errors import IndexBusyError, StoreError
from .records import chunk_from_json, chunk_to_json, document_from_json, document_to_json
from .sentences import SentenceTable
from .store import Manifest
from .types import Chunk, Document

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
EF_SEARCH = 100  # HNSW candidates per query: recall@10 >= 0.95 measured up to 100k (eval/bench_pg.py)
HNSW = "m = 16, ef_construction = 64"  # pgvector's defaults
_WRITER_LOCK = 0x7261675F696E6765  # pg advisory lock key ("rag_inge"): one ingest per database
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
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(dsn)
    except Exception:  # psycopg raises ProgrammingError for a DSN it cannot parse
        return "an unparsable DSN"
    host = parts.get("host") or "localhost"
    return f"{parts.get('user') or '(default user)'}@{host}:{parts.get('port') or 5432}/{parts.get('dbname') or ''}"


@dataclass(frozen=True, slots=True)
class BuildRef:
    """A build row: its id (the schema is rag_b<id>) and name."""

    id: int
    name: str

    @property
    def schema(self) -> str:
        return f"rag_b{int(self.id)}"


@dataclass(frozen=True, slots=True)
class PgBuild:
    """A build read back whole: what the FAISS path keeps in memory, minus the vectors (they stay in SQL)."""

    ref: BuildRef
    manifest: Manifest
    chunks: tuple[Chunk, ...]
    documents: dict[str, Document]
    sentences: SentenceTable


def connect(dsn: str, autocommit: bool = True) -> Any:
    """A connection with pgvector's types registered; StoreError naming the server and the fix if not."""
    import psycopg
    from pgvector.psycopg import register_vector

    if not dsn:
        raise StoreError("store.backend is 'postgres' but store.dsn is empty; set store.dsn or RAG_STORE_DSN, "
                         "e.g. postgresql://rag@db-host:5432/rag")
    try:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())[:300]
        raise StoreError(f"cannot connect to PostgreSQL at {describe(dsn)} ({reason}); {_FIX_DSN}") from None
    try:
        _ensure_vector(conn, dsn)
        register_vector(conn)
    except BaseException:
        conn.close()
        raise
    conn.autocommit = autocommit
    return conn


def _ensure_vector(conn: Any, dsn: str) -> None:
    import psycopg

    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone():
        return
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except psycopg.errors.InsufficientPrivilege:
        raise StoreError(f"the database {describe(dsn)} lacks the pgvector extension and this role may not create "
                         "it; ask its administrator to run CREATE EXTENSION vector in that database") from None
    except psycopg.Error as exc:
        raise StoreError(f"the PostgreSQL server at {describe(dsn)} has no pgvector extension "
                         f"({str(exc).splitlines()[0]}); install pgvector on the server "
                         "(https://github.com/pgvector/pgvector#installation), then retry") from None


def ensure_schema(conn: Any) -> None:
    """Create the `rag` schema on first use; refuse one written by another version of this layout."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITER_LOCK + 1,))  # two first runs at once
        conn.execute(_SCHEMA)
        conn.execute("INSERT INTO rag.meta VALUES ('schema_version', %s) ON CONFLICT DO NOTHING",
                     (str(SCHEMA_VERSION),))
        conn.execute("INSERT INTO rag.current (only_row, build_id) VALUES (true, NULL) ON CONFLICT DO NOTHING")
        found = conn.execute("SELECT value FROM rag.meta WHERE key = 'schema_version'").fetchone()[0]
    if found != str(SCHEMA_VERSION):
        raise StoreError(f"the database holds rag schema version {found}, this version reads {SCHEMA_VERSION}; "
                         "use another database (store.dsn) or drop the schemas rag and rag_b* to rebuild")


def current(conn: Any) -> BuildRef | None:
    """The live build (one cheap indexed read, asked at every question); None before the first build."""
    import psycopg

    try:
        row = conn.execute("SELECT b.id, b.name FROM rag.current c JOIN rag.builds b ON b.id = c.build_id").fetchone()
    except psycopg.errors.UndefinedTable:
        return None  # nothing written to this database yet
    return BuildRef(int(row[0]), row[1]) if row else None


@contextmanager
def writer_lock(conn: Any, where: str) -> Iterator[None]:
    """One ingest per database; a session advisory lock, released by the server when a killed ingest's
    connection drops, so a dead run never blocks the next."""
    if not conn.execute("SELECT pg_try_advisory_lock(%s)", (_WRITER_LOCK,)).fetchone()[0]:
        holder = conn.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND granted",
            (_WRITER_LOCK & 0xFFFFFFFF,)).fetchone()
        raise IndexBusyError(f"another 'rag ingest' (server backend {holder[0] if holder else '?'}) is writing to "
                             f"{where}; wait for it to finish, or point store.dsn at another database")
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_WRITER_LOCK,))


def text_hash(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def write_build(conn: Any, manifest: Manifest, documents: Sequence[Document], chunks: Sequence[Chunk],
                vectors: np.ndarray, sentences: SentenceTable, hashes: Sequence[str]) -> BuildRef:
    """Write a build and make it live in one transaction; prune all but it and the one it replaces.

    `hashes[i]` is the text chunk i's vector was computed from (its embedding text), so the next ingest
    can take unchanged vectors from this build."""
    dim = manifest.dimension
    if vectors.shape != (len(chunks), dim) or len(hashes) != len(chunks) or sentences.passages != len(chunks):
        raise StoreError(f"internal: {vectors.shape} vectors, {len(hashes)} hashes, {sentences.passages} sentence "
                         f"rows for {len(chunks)} chunks of {dim}-d")
    name = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
    final = Manifest(**{**asdict(manifest), "files": manifest.files, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO rag.builds (name, model, dimension, chunk_count, manifest) VALUES (%s, %s, %s, %s, %s) "
            "RETURNING id", (name, final.model, dim, len(chunks), final.to_json())).fetchone()
        ref = BuildRef(int(row[0]), name)
        s = ref.schema
        conn.execute(f"CREATE SCHEMA {s}")
        conn.execute(f"CREATE TABLE {s}.documents (doc text PRIMARY KEY, record text NOT NULL)")
        conn.execute(f"CREATE TABLE {s}.chunks (position int PRIMARY KEY, chunk_id text NOT NULL UNIQUE, "
                     "doc_lc text NOT NULL, title_lc text NOT NULL, place_lc text NOT NULL, year int, "
                     f"text_hash bytea NOT NULL, record text NOT NULL, embedding vector({int(dim)}) NOT NULL)")
        conn.execute(f"CREATE TABLE {s}.sentences (position int PRIMARY KEY, spans bytea NOT NULL, "
                     "vectors bytea NOT NULL)")
        with conn.cursor().copy(f"COPY {s}.documents (doc, record) FROM STDIN") as copy:
            for d in documents:
                copy.write_row((d.doc, document_to_json(d)))
        with conn.cursor().copy(f"COPY {s}.chunks (position, chunk_id, doc_lc, title_lc, place_lc, year, "
                                "text_hash, record, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "text", "text", "text", "text", "int4", "bytea", "text", "vector"])
            for i, c in enumerate(chunks):
                copy.write_row((i, c.chunk_id, c.doc.lower(), c.title.lower(), (c.place or "").lower(), c.year,
                                text_hash(hashes[i]), chunk_to_json(c), np.asarray(vectors[i], dtype=np.float32)))
        with conn.cursor().copy(f"COPY {s}.sentences (position, spans, vectors) FROM STDIN "
                                "WITH (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "bytea", "bytea"])
            for p in range(len(chunks)):
                first, last = int(sentences.offsets[p]), int(sentences.offsets[p + 1])
                copy.write_row((p, np.ascontiguousarray(sentences.spans[first:last, 1:], dtype="<i8").tobytes(),
                                np.ascontiguousarray(sentences.vectors[first:last], dtype="<f2").tobytes()))
        conn.execute(f"CREATE INDEX ON {s}.chunks USING hnsw (embedding vector_cosine_ops) WITH ({HNSW})")
        conn.execute(f"ANALYZE {s}.chunks")
        counted = conn.execute(f"SELECT count(*) FROM {s}.chunks").fetchone()[0]
        if counted != len(chunks):
            raise StoreError(f"internal: {counted} chunk rows written for {len(chunks)} chunks")
        live = current(conn)
        conn.execute("UPDATE rag.current SET build_id = %s", (ref.id,))  # the switch
        keep = {ref.id} | ({live.id} if live else set())
        for (old,) in conn.execute("SELECT id FROM rag.builds WHERE NOT (id = ANY(%s))", (list(keep),)).fetchall():
            conn.execute(f"DROP SCHEMA IF EXISTS {BuildRef(int(old), '').schema} CASCADE")
            conn.execute("DELETE FROM rag.builds WHERE id = %s", (old,))
    log.info("index build %s is live in PostgreSQL (%d chunks)", name, len(chunks))
    return ref


def load_build(conn: Any, ref: BuildRef, expect_model: str | None = None,
               expect_dimension: int | None = None) -> PgBuild:
    """Read a build's records back, refusing one built for another model."""
    import psycopg

    fix = "run 'rag ingest' to rebuild"
    row = conn.execute("SELECT manifest FROM rag.builds WHERE id = %s", (ref.id,)).fetchone()
    if row is None:
        raise StoreError(f"build {ref.name} is no longer in the database; {fix}")
    manifest = Manifest.from_json(row[0], f"PostgreSQL build {ref.name}")  # type: ignore[arg-type]
    if expect_model and manifest.model != expect_model:
        raise StoreError(f"build {ref.name}: built with model {manifest.model!r}, settings ask for {expect_model!r}; "
                         f"{fix}")
    if expect_dimension and manifest.dimension != expect_dimension:
        raise StoreError(f"build {ref.name}: {manifest.dimension}-d vectors, the model gives {expect_dimension}; {fix}")
    s = ref.schema
    try:
        with conn.transaction():  # one snapshot: a prune cannot drop half of what is read
            documents = {d.doc: d for d in (document_from_json(r[0]) for r in
                                            conn.execute(f"SELECT record FROM {s}.documents"))}
            chunks = tuple(chunk_from_json(r[0]) for r in
                           conn.execute(f"SELECT record FROM {s}.chunks ORDER BY position"))
            rows = conn.execute(f"SELECT spans, vectors FROM {s}.sentences ORDER BY position").fetchall()
    except psycopg.errors.UndefinedTable:
        raise StoreError(f"build {ref.name} was removed while it was read; {fix}") from None
    if len(chunks) != manifest.chunk_count or len(rows) != len(chunks):
        raise StoreError(f"build {ref.name}: {len(chunks)} chunks, {len(rows)} sentence rows, manifest says "
                         f"{manifest.chunk_count}; {fix}")
    return PgBuild(ref, manifest, chunks, documents, _sentence_table(rows, manifest.dimension))


def _sentence_table(rows: Sequence[tuple[bytes, bytes]], dim: int) -> SentenceTable:
    spans, vectors, offsets = [], [], [0]
    for p, (span_bytes, vector_bytes) in enumerate(rows):
        pairs = np.frombuffer(span_bytes, dtype="<i8").reshape(-1, 2)
        spans.append(np.column_stack([np.full(len(pairs), p, dtype=np.int64), pairs]))
        vectors.append(np.frombuffer(vector_bytes, dtype="<f2").reshape(-1, dim))
        offsets.append(offsets[-1] + len(pairs))
    return SentenceTable(np.concatenate(spans).astype(np.int64) if spans else np.zeros((0, 3), np.int64),
                         np.concatenate(vectors).astype(np.float16) if vectors else np.zeros((0, dim), np.float16),
                         np.array(offsets, dtype=np.int64))


@dataclass(frozen=True, slots=True)
class SqlFilter:
    """Report, year and place filters as SQL over the lower-cased columns (Python's lower() on both sides,
    so the match is the same as `Filters.allows`)."""

    docs: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    places: tuple[str, ...] = ()

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self.docs:
            clauses.append("(" + " OR ".join(["strpos(doc_lc, %s) > 0 OR strpos(title_lc, %s) > 0"] * len(self.docs))
                           + ")")
            for d in self.docs:
                params += [d.lower(), d.lower()]
        if self.years:
            clauses.append("year = ANY(%s)")
            params.append(list(self.years))
        if self.places:
            clauses.append("(" + " OR ".join(["strpos(place_lc, %s) > 0"] * len(self.places)) + ")")
            params += [p.lower() for p in self.places]
        return (" AND ".join(clauses) or "true"), params


def search(conn: Any, ref: BuildRef, query: np.ndarray, k: int, where: SqlFilter | None = None,
           ef_search: int = EF_SEARCH) -> list[tuple[int, float]]:
    """(position, cosine) of the k nearest chunks: HNSW without filters; under filters an exact scan of the
    rows they allow (HNSW filters after its candidate list, which a narrow filter would empty)."""
    q = np.asarray(query, dtype=np.float32).reshape(-1)
    if where and (where.docs or where.years or where.places):
        clause, params = where.where()
        sql = (f"SELECT position, 1 - (embedding <=> %s) FROM {ref.schema}.chunks WHERE {clause} "
               "ORDER BY (embedding <=> %s) + 0 LIMIT %s")  # "+ 0": not the index's order
        rows = conn.execute(sql, [q, *params, q, k]).fetchall()
    else:
        with conn.transaction():
            conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(max(ef_search, k)),))
            rows = conn.execute(f"SELECT position, 1 - (embedding <=> %s) FROM {ref.schema}.chunks "
                                "ORDER BY embedding <=> %s LIMIT %s", [q, q, k]).fetchall()
    return [(int(p), float(c)) for p, c in rows]


def vectors(conn: Any, ref: BuildRef, positions: Sequence[int], dim: int) -> np.ndarray:
    """The stored vectors of chunks by position, in the order asked."""
    out = np.zeros((len(positions), dim), dtype=np.float32)
    if not positions:
        return out
    rows = conn.execute(f"SELECT position, embedding FROM {ref.schema}.chunks WHERE position = ANY(%s)",
                        (list(positions),)).fetchall()
    found = {int(p): v for p, v in rows}
    for i, p in enumerate(positions):
        out[i] = found[int(p)].to_numpy()
    return out


def vectors_by_hash(conn: Any, ref: BuildRef, hashes: Sequence[str], dim: int) -> dict[str, np.ndarray]:
    """The vectors a build holds for these embedding texts (incremental ingest: unchanged text, no embedding)."""
    by_digest = {text_hash(h): h for h in hashes}
    rows = conn.execute(f"SELECT DISTINCT ON (c.text_hash) c.text_hash, c.embedding FROM {ref.schema}.chunks c "
                        "JOIN unnest(%s::bytea[]) AS h (digest) ON c.text_hash = h.digest",
                        (list(by_digest),)).fetchall()
    return {by_digest[bytes(d)]: v.to_numpy().astype(np.float32).reshape(dim) for d, v in rows}


def manifest_json(manifest: Manifest) -> dict[str, Any]:
    return dict(json.loads(manifest.to_json()))
