"""The default store: builds as folders beside the live one, verified, then switched atomically.

Layout (see README): `<index>/CURRENT` names the live build; `<index>/builds/<name>/` holds
`manifest.json`, `vectors.faiss`, the chunk and document records with their offset tables (rag/recordfile.py),
the sentence table (`sentence_spans.npy`, `sentence_vectors.npy`) and the BM25 index (`bm25/`, as bm25s saves it).
No pickle anywhere. Loading maps what it can and parses records only when they are read.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .corpus import Corpus
from .errors import IndexBusyError, IndexNotFoundError, StoreError
from .faiss_index import FLAT, DenseKind, FaissIndex, tune_ef_search
from .lexical import FILES as LEXICAL_FILES
from .lexical import LexicalIndex
from .manifest import Manifest
from .recordfile import FILES as RECORD_FILES
from .recordfile import ChunkFile, DocumentFile, write_array, write_records
from .sentences import SentenceTable
from .settings import StoreSettings
from .store import FIX, Build, check_build_input, check_contents, check_manifest
from .types import Chunk, Document

if TYPE_CHECKING:
    from .settings import Settings

log = logging.getLogger(__name__)

_FILES = ("vectors.faiss", *RECORD_FILES, "sentence_spans.npy", "sentence_vectors.npy")
_LEXICAL = "bm25"  # the folder of the saved BM25 index inside a build


def _files(chunk_count: int) -> tuple[str, ...]:
    """Every file a build of this many chunks holds besides its manifest (an empty build has no BM25 index)."""
    return _FILES + (tuple(f"{_LEXICAL}/{f}" for f in LEXICAL_FILES) if chunk_count else ())


LOCK_FILE = ".lock"


class FolderStore:
    """Builds under one index folder; see the module docstring for the layout."""

    def __init__(self, root: Path, settings: StoreSettings | None = None) -> None:
        self.root = root
        self.settings = settings or StoreSettings()

    @property
    def where(self) -> str:
        return str(self.root)

    def live_name(self) -> str | None:
        build = current_build(self.root)
        return build.name if build is not None else None

    def load(self, name: str | None = None, expect_model: str | None = None,
             expect_dimension: int | None = None) -> Build:
        if name is None:
            return load_index(self.root, expect_model, expect_dimension)
        return load_build(self.root / "builds" / name, expect_model, expect_dimension)

    def write(self, manifest: Manifest, documents: Sequence[Document], chunks: Sequence[Chunk],
              vectors: np.ndarray, sentences: SentenceTable) -> Build:
        return write_build(self.root, manifest, documents, chunks, vectors, sentences, self.settings)

    def lock(self) -> AbstractContextManager[None]:
        return index_lock(self.root)

    def check_writable(self) -> None:
        check_writable(self.root)


def open_store(settings: Settings) -> FolderStore:
    return FolderStore(settings.paths.index, settings.store)


def _sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _write_text(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(text)
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
        raise StoreError(f"{pointer} cannot be read ({exc}); {FIX}") from None
    if name and (name != Path(name).name or name.startswith(".")):
        raise StoreError(f"{pointer} names {name!r}, which is not a build in {root / 'builds'}; {FIX}")
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
    documents: Sequence[Document],
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    sentences: SentenceTable,
    settings: StoreSettings | None = None,
) -> Build:
    """Write a new build, verify it by loading it back, then make it the live one."""
    check_build_input(manifest, chunks, vectors, sentences)
    builds = root / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    for stale in builds.glob(".tmp-*"):  # left by a killed build
        shutil.rmtree(stale, ignore_errors=True)
    (root / "CURRENT.tmp").unlink(missing_ok=True)  # left by a run killed between the pointer and the switch
    live = current_build(root)
    name = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
    tmp = builds / f".tmp-{name}"
    tmp.mkdir()
    index, kind = dense_index(manifest.dimension, vectors, settings or StoreSettings())
    index.save(tmp / "vectors.faiss")
    _fsync_file(tmp / "vectors.faiss")  # faiss writes through its own handle; the others fsync as they close
    write_records(tmp, chunks, documents)
    write_array(tmp / "sentence_spans.npy", np.concatenate([sentences.offsets, sentences.spans.reshape(-1)]))
    write_array(tmp / "sentence_vectors.npy", sentences.vectors)
    if LexicalIndex(chunks).save(tmp / _LEXICAL):
        for saved in LEXICAL_FILES:  # bm25s writes without fsync
            _fsync_file(tmp / _LEXICAL / saved)
        _fsync_dir(tmp / _LEXICAL)
    checksums = {f: _sha256_file(tmp / f) for f in _files(len(chunks))}
    final_manifest = Manifest(
        **{**asdict(manifest), "files": manifest.files, "checksums": checksums,
           "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "dense": kind.to_json()}
    )
    _write_text(tmp / "manifest.json", final_manifest.to_json())
    _fsync_dir(tmp)
    verified = load_build(tmp, expect_model=manifest.model, expect_dimension=manifest.dimension, check_records=True)
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
    return replace(verified, name=name, where=str(final))


_TUNING_QUERIES = 200  # passages held out of an HNSW graph to measure its recall (at most a tenth of them)


def dense_index(dimension: int, vectors: np.ndarray, settings: StoreSettings) -> tuple[FaissIndex, DenseKind]:
    """Exact search up to `faiss_approximate_above` passages; above, HNSW with the smallest efSearch that reaches
    the target recall on this build's own vectors."""
    kind = FLAT
    if len(vectors) > max(settings.faiss_approximate_above, 0):
        kind = DenseKind("hnsw", settings.faiss_hnsw_m, settings.faiss_hnsw_ef_construction, ef_search=16)
    index = FaissIndex.empty(dimension, kind)
    began = time.perf_counter()
    n = len(vectors)
    held = min(_TUNING_QUERIES, n // 10) if kind.kind == "hnsw" else 0
    index.add(np.arange(n - held), vectors[: n - held])
    if kind.kind == "hnsw":
        # The last passages, not yet in the graph, ask for their nearest; then they join it (rows stay in order).
        ef, recall = tune_ef_search(index, vectors[: n - held], vectors[n - held :], settings.faiss_target_recall)
        index.add(np.arange(n - held, n), vectors[n - held :])
        kind = replace(kind, ef_search=ef, recall_at_10=round(recall, 4))
        index = FaissIndex(index.raw, kind)
        log.info("HNSW index of %d vectors in %.1fs: efSearch %d, recall@10 %.3f", len(vectors),
                 time.perf_counter() - began, ef, recall)
        if recall < settings.faiss_target_recall:
            log.warning("HNSW recall@10 %.3f is below store.faiss_target_recall %.2f even at efSearch %d; raise "
                        "store.faiss_hnsw_m or store.faiss_approximate_above", recall, settings.faiss_target_recall, ef)
    return index, kind


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


def load_index(root: Path, expect_model: str | None = None, expect_dimension: int | None = None) -> Build:
    """Load the live build, refusing anything damaged or built for another model."""
    name = _pointer(root)
    if name is None:
        raise IndexNotFoundError(f"no index in {root}; run 'rag ingest' to build one")
    build = root / "builds" / name
    if not build.is_dir():
        raise StoreError(f"{root}/CURRENT names missing build {build.name}; {FIX}")
    return load_build(build, expect_model, expect_dimension)


def load_build(build: Path, expect_model: str | None = None, expect_dimension: int | None = None,
               check_records: bool = False) -> Build:
    """Load a build, its files verified against their sha256 in the manifest.

    Records are checked one by one (every chunk verbatim in its document, sentences inside their chunks, the id
    and filter tables) when `check_records` (a build being written) or when the manifest lists no checksums;
    otherwise the checksums prove the files are those checked when the build was written."""
    manifest_path = build / "manifest.json"
    if not manifest_path.exists():
        raise StoreError(f"{build}: manifest.json is missing; {FIX}")
    manifest = Manifest.from_json(manifest_path.read_text(encoding="utf-8"), str(manifest_path))
    check_manifest(str(build), manifest, expect_model, expect_dimension)
    names = _files(manifest.chunk_count)
    for name in names:
        if not (build / name).exists():
            raise StoreError(f"{build / name} is missing; {FIX}")
    if manifest.checksums:
        _verify(build, names, manifest.checksums)
    try:
        kind = DenseKind.from_json(manifest.dense)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{build}: the manifest names a vector index this version cannot read ({exc}); "
                         f"{FIX}") from None
    dense = FaissIndex.read(build / "vectors.faiss", kind)
    try:
        chunks = ChunkFile(build)
        documents = DocumentFile(build)
    except (ValueError, TypeError, KeyError, OSError) as exc:
        raise StoreError(f"{build}: damaged chunk or document records ({exc}); {FIX}") from None
    if not (dense.count() == len(chunks) == manifest.chunk_count):  # before the sentence table is sized by it
        raise StoreError(f"{build}: {dense.count()} vectors, {len(chunks)} chunk records, manifest says "
                         f"{manifest.chunk_count}; {FIX}")
    sentences = _load_sentences(build, len(chunks), manifest.dimension)
    corpus = Corpus(chunks, documents, sentences)
    try:
        check_contents(str(build), manifest, corpus, dense, records=check_records or not manifest.checksums)
    except (ValueError, TypeError, KeyError) as exc:  # a record that does not parse
        raise StoreError(f"{build}: damaged chunk or document records ({exc}); {FIX}") from None
    return Build(build.name, str(build), manifest, corpus, dense, _load_lexical(build, len(chunks)))


def _verify(build: Path, names: Sequence[str], checksums: dict[str, str]) -> None:
    """Every file against its sha256, two at a time (hashlib releases the GIL; a 1M build is ~6 GB)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        digests = dict(zip(names, pool.map(lambda name: _sha256_file(build / name), names), strict=True))
    for name in names:
        if digests[name] != checksums.get(name):
            raise StoreError(f"{build / name} is damaged (checksum mismatch); {FIX}")


def _load_lexical(build: Path, chunks: int) -> LexicalIndex:
    try:
        lexical = LexicalIndex.load(build / _LEXICAL, chunks)
    except (ValueError, OSError, KeyError) as exc:
        raise StoreError(f"{build}: damaged BM25 index ({exc}); {FIX}") from None
    if lexical.documents != chunks:
        raise StoreError(f"{build}: the BM25 index covers {lexical.documents} chunks, not {chunks}; {FIX}")
    return lexical


def _load_sentences(build: Path, passages: int, dimension: int) -> SentenceTable:
    try:
        flat = np.load(build / "sentence_spans.npy", mmap_mode="r", allow_pickle=False)
        vectors = np.load(build / "sentence_vectors.npy", mmap_mode="r", allow_pickle=False)
        offsets = flat[: passages + 1]
        table = SentenceTable(flat[passages + 1 :].reshape(-1, 3), vectors, offsets)
    except (ValueError, OSError) as exc:
        raise StoreError(f"{build}: damaged sentence table ({exc}); {FIX}") from None
    if table.passages != passages or vectors.dtype != np.float16 or vectors.shape[1:] != (dimension,):
        raise StoreError(f"{build}: the sentence table does not match its {passages} chunks; {FIX}")
    return table
