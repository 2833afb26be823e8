"""The index on disk: builds written beside the live one, verified, then switched atomically.

Layout (see README): `<index>/CURRENT` names the live build; `<index>/builds/<name>/` holds
`manifest.json`, `vectors.faiss`, `chunks.jsonl`, `documents.jsonl` and the sentence table
(`sentence_spans.npy`, `sentence_vectors.npy`). No pickle anywhere.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from .errors import IndexBusyError, IndexNotFoundError, StoreError
from .records import chunk_from_json, chunk_to_json, document_from_json, document_to_json
from .sentences import SentenceTable
from .types import Chunk, Document

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: sentence vectors in the build
_FILES = ("vectors.faiss", "chunks.jsonl", "documents.jsonl", "sentence_spans.npy", "sentence_vectors.npy")


@dataclass(frozen=True, slots=True)
class FileStatus:
    """What happened to one corpus file in a build."""

    doc: str
    sha256: str
    status: str  # "ok", "failed" (could not be read) or "skipped" (not a file the corpus may index)
    error: str | None = None
    chunks: int = 0
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Manifest:
    model: str
    dimension: int
    index_settings: dict[str, Any]
    files: tuple[FileStatus, ...]
    chunk_count: int
    checksums: dict[str, str] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    created: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str, where: Path) -> Manifest:
        try:
            data = json.loads(text)
            files = tuple(FileStatus(**{**f, "warnings": tuple(f["warnings"])}) for f in data.pop("files"))
            return cls(files=files, **data)
        except (ValueError, TypeError, KeyError) as exc:
            raise StoreError(f"{where}: damaged manifest ({exc}); run 'rag ingest' to rebuild") from None

    def file(self, doc: str) -> FileStatus | None:
        return next((f for f in self.files if f.doc == doc), None)


@dataclass
class LoadedIndex:
    """A verified build: FAISS vectors, chunk records in FAISS order, clean documents and the vectors of
    every sentence of the chunks."""

    path: Path
    manifest: Manifest
    chunks: list[Chunk]
    documents: dict[str, Document]
    faiss_index: Any
    sentences: SentenceTable

    def vectors(self, positions: list[int]) -> np.ndarray:
        out = np.zeros((len(positions), self.manifest.dimension), dtype=np.float32)
        for row, pos in enumerate(positions):
            out[row] = self.faiss_index.reconstruct(pos)
        return out

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(position, cosine) of the k nearest chunks."""
        if self.faiss_index.ntotal == 0:
            return []
        scores, ids = self.faiss_index.search(query.reshape(1, -1).astype(np.float32), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_text(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _write_array(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as fh:
        np.save(fh, np.ascontiguousarray(array), allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_file(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    """Make the names in a folder (a new file, a rename) survive a power cut, not only the data."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


LOCK_FILE = ".lock"


@contextmanager
def index_lock(root: Path) -> Iterator[None]:
    """Hold the index folder for one writer; a second ingest is refused, not interleaved.

    flock belongs to the open file: the kernel releases it when the process exits or is killed, so a
    lock file left by a dead run never blocks the next one."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / LOCK_FILE).open("a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise IndexBusyError(f"another 'rag ingest' (process {holder}) is writing to {root}; wait for it to "
                                 "finish, or pass --index DIR for a separate index") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _pointer(root: Path) -> str | None:
    """The build name CURRENT holds (None: no index yet); StoreError if it cannot name a build."""
    pointer = root / "CURRENT"
    if not pointer.exists():
        return None
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"{pointer} cannot be read ({exc}); run 'rag ingest' to rebuild") from None
    if name and (name != Path(name).name or name.startswith(".")):
        raise StoreError(f"{pointer} names {name!r}, which is not a build in {root / 'builds'}; "
                         "run 'rag ingest' to rebuild")
    return name or None


def current_build(root: Path) -> Path | None:
    """The live build folder; None when there is none or CURRENT cannot say (load_index names why)."""
    try:
        name = _pointer(root)
    except StoreError:
        return None
    return root / "builds" / name if name else None


def write_build(
    root: Path,
    manifest: Manifest,
    documents: list[Document],
    chunks: list[Chunk],
    vectors: np.ndarray,
    sentences: SentenceTable,
) -> Path:
    """Write a new build, verify it by loading it back, then make it the live one."""
    if vectors.shape != (len(chunks), manifest.dimension):
        raise StoreError(f"internal: {vectors.shape} vectors for {len(chunks)} chunks")
    if sentences.passages != len(chunks) or sentences.vectors.shape[1:] != (manifest.dimension,):
        raise StoreError(f"internal: a sentence table for {sentences.passages} chunks of "
                         f"{sentences.vectors.shape[1:]} vectors, not {len(chunks)} of {manifest.dimension}")
    builds = root / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    for stale in builds.glob(".tmp-*"):  # left by a killed build
        shutil.rmtree(stale, ignore_errors=True)
    (root / "CURRENT.tmp").unlink(missing_ok=True)  # left by a run killed between the pointer and the switch
    live = current_build(root)
    name = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
    tmp = builds / f".tmp-{name}"
    tmp.mkdir()
    index = faiss.IndexFlatIP(manifest.dimension)
    if len(chunks):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(tmp / "vectors.faiss"))
    _fsync_file(tmp / "vectors.faiss")  # faiss writes through its own handle; the others fsync as they close
    _write_text(tmp / "chunks.jsonl", "".join(chunk_to_json(c) + "\n" for c in chunks))
    _write_text(tmp / "documents.jsonl", "".join(document_to_json(d) + "\n" for d in documents))
    _write_array(tmp / "sentence_spans.npy", np.concatenate([sentences.offsets, sentences.spans.reshape(-1)]))
    _write_array(tmp / "sentence_vectors.npy", sentences.vectors)
    checksums = {f: _sha256_file(tmp / f) for f in _FILES}
    final_manifest = Manifest(
        **{**asdict(manifest), "files": manifest.files, "checksums": checksums,
           "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    )
    _write_text(tmp / "manifest.json", final_manifest.to_json())
    _fsync_dir(tmp)
    load_build(tmp, expect_model=manifest.model, expect_dimension=manifest.dimension)
    final = builds / name
    os.replace(tmp, final)
    _fsync_dir(builds)  # the renamed build is on disk before CURRENT may name it
    pointer_tmp = root / "CURRENT.tmp"
    _write_text(pointer_tmp, name + "\n")
    os.replace(pointer_tmp, root / "CURRENT")
    _fsync_dir(root)
    # The build that was live until now stays as the fallback; any other (older, or written by a run
    # killed before its switch, so never live) goes. Folder names alone cannot tell which was live.
    _prune(builds, keep={name} | ({live.name} if live is not None and live.is_dir() else set()))
    log.info("index build %s is live (%d chunks)", name, len(chunks))
    return final


def _prune(builds: Path, keep: set[str]) -> None:
    for path in builds.iterdir():
        if path.is_dir() and not path.name.startswith(".") and path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


def check_writable(root: Path) -> None:
    """Refuse early, with the reason, an index folder that cannot take a new build."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".write-test-{uuid.uuid4().hex[:8]}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise StoreError(f"index folder {root} is not writable ({exc.strerror}); pass --index DIR with a "
                         "writable folder or fix its permissions. The existing index is untouched") from None


def load_index(root: Path, expect_model: str | None = None, expect_dimension: int | None = None) -> LoadedIndex:
    """Load the live build, refusing anything damaged or built for another model."""
    name = _pointer(root)
    if name is None:
        raise IndexNotFoundError(f"no index in {root}; run 'rag ingest' to build one")
    build = root / "builds" / name
    if not build.is_dir():
        raise StoreError(f"{root}/CURRENT names missing build {build.name}; run 'rag ingest' to rebuild")
    return load_build(build, expect_model, expect_dimension)


def load_build(build: Path, expect_model: str | None = None, expect_dimension: int | None = None) -> LoadedIndex:
    fix = "run 'rag ingest' to rebuild"
    manifest_path = build / "manifest.json"
    if not manifest_path.exists():
        raise StoreError(f"{build}: manifest.json is missing; {fix}")
    manifest = Manifest.from_json(manifest_path.read_text(encoding="utf-8"), manifest_path)
    if manifest.format_version != FORMAT_VERSION:
        raise StoreError(
            f"{build}: index format {manifest.format_version}, this version reads {FORMAT_VERSION}; {fix}"
        )
    if expect_model and manifest.model != expect_model:
        raise StoreError(f"{build}: built with model {manifest.model!r}, settings ask for {expect_model!r}; {fix}")
    if expect_dimension and manifest.dimension != expect_dimension:
        raise StoreError(f"{build}: {manifest.dimension}-d vectors, the model gives {expect_dimension}; {fix}")
    for name in _FILES:
        path = build / name
        if not path.exists():
            raise StoreError(f"{path} is missing; {fix}")
        if manifest.checksums and _sha256_file(path) != manifest.checksums.get(name):
            raise StoreError(f"{path} is damaged (checksum mismatch); {fix}")
    try:
        index = faiss.read_index(str(build / "vectors.faiss"))
    except RuntimeError as exc:
        raise StoreError(f"{build}/vectors.faiss cannot be read ({str(exc).splitlines()[0]}); {fix}") from None
    try:
        chunks = [chunk_from_json(line) for line in _lines(build / "chunks.jsonl")]
        documents = {d.doc: d for d in (document_from_json(line) for line in _lines(build / "documents.jsonl"))}
    except (ValueError, TypeError, KeyError) as exc:
        raise StoreError(f"{build}: damaged chunk or document records ({exc}); {fix}") from None
    if not (index.ntotal == len(chunks) == manifest.chunk_count):
        raise StoreError(
            f"{build}: {index.ntotal} vectors, {len(chunks)} chunk records, manifest says "
            f"{manifest.chunk_count}; {fix}"
        )
    if index.d != manifest.dimension:
        raise StoreError(f"{build}: FAISS dimension {index.d} != manifest {manifest.dimension}; {fix}")
    sentences = _load_sentences(build, len(chunks), manifest.dimension, fix)
    for chunk in chunks:
        doc = documents.get(chunk.doc)
        if doc is None or doc.text[chunk.start : chunk.end] != chunk.text:
            raise StoreError(f"{build}: chunk {chunk.chunk_id} is not verbatim in {chunk.doc}; {fix}")
    rows = sentences.spans
    if len(rows):
        starts = np.array([c.start for c in chunks], dtype=np.int64)
        ends = np.array([c.end for c in chunks], dtype=np.int64)
        p = rows[:, 0]
        if (p.min() < 0 or p.max() >= len(chunks) or np.any(rows[:, 1] < starts[p])
                or np.any(rows[:, 1] >= rows[:, 2]) or np.any(rows[:, 2] > ends[p])):
            raise StoreError(f"{build}: sentence rows lie outside their chunks; {fix}")
    return LoadedIndex(build, manifest, chunks, documents, index, sentences)


def _load_sentences(build: Path, passages: int, dimension: int, fix: str) -> SentenceTable:
    try:
        flat = np.load(build / "sentence_spans.npy", allow_pickle=False)
        vectors = np.load(build / "sentence_vectors.npy", allow_pickle=False)
        offsets = flat[: passages + 1]
        table = SentenceTable(flat[passages + 1 :].reshape(-1, 3), vectors, offsets)
    except (ValueError, OSError) as exc:
        raise StoreError(f"{build}: damaged sentence table ({exc}); {fix}") from None
    if table.passages != passages or vectors.dtype != np.float16 or vectors.shape[1:] != (dimension,):
        raise StoreError(f"{build}: the sentence table does not match its {passages} chunks; {fix}")
    return table


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
