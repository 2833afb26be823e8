"""The seam between the library and where builds live: what a build offers readers and what a backend provides.

Everything above this module (ingest, retrieval, the assistant) speaks only these types. A backend is one module
`rag/store_<name>.py` with a function `open_store(settings) -> Store`, chosen by `store.backend`; the FAISS folder
(`rag/store_faiss.py`) is the default.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from .corpus import Corpus
from .errors import SettingsError, StoreError
from .manifest import FORMAT_VERSION, FileStatus, Manifest
from .sentences import SentenceTable
from .types import Chunk, Document

if TYPE_CHECKING:
    from .settings import Settings

FIX = "run 'rag ingest' to rebuild"


@runtime_checkable
class VectorIndex(Protocol):
    """Dense vectors of one build keyed by row; inner product of L2-normalised float32 vectors (cosine).

    Persistence belongs to the Store that writes and loads the build (a database index has no file to save)."""

    @property
    def dimension(self) -> int: ...

    def count(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, cosine) of the k nearest rows, best first; only rows in `allowed` (sorted) when given."""
        ...

    def vectors(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The float32 vectors of these rows, in the order asked."""
        ...


@runtime_checkable
class LexicalRanker(Protocol):
    """Keyword ranking of the rows of one build."""

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, score) of up to k rows with a positive score, best first; only rows in `allowed` when given."""
        ...


@dataclass(frozen=True, eq=False)
class Build:
    """One verified build, read together so a reader never mixes two: manifest, texts, vectors, keyword index.

    `name` identifies the build within its store (the switch compares names); `where` says where it lives, for
    messages."""

    name: str
    where: str
    manifest: Manifest
    corpus: Corpus
    dense: VectorIndex
    lexical: LexicalRanker

    @property
    def chunks(self) -> Sequence[Chunk]:
        return self.corpus.chunks

    @property
    def documents(self) -> Mapping[str, Document]:
        return self.corpus.documents

    @property
    def sentences(self) -> SentenceTable:
        return self.corpus.sentences


class Store(Protocol):
    """Where builds are written and read. A backend keeps these guarantees: a build is checked before it becomes
    live, readers see the old build or the new one whole, a killed ingest leaves the previous build serving, and
    every refusal is a StoreError naming the fix."""

    @property
    def where(self) -> str: ...

    def live_name(self) -> str | None:
        """The live build's name, cheaply (asked before every question); None when there is none or it is unreadable."""
        ...

    def load(self, name: str | None = None, expect_model: str | None = None,
             expect_dimension: int | None = None) -> Build:
        """The named build, or the live one; IndexNotFoundError when there is none, StoreError when damaged."""
        ...

    def write(self, manifest: Manifest, documents: Sequence[Document], chunks: Sequence[Chunk],
              vectors: np.ndarray, sentences: SentenceTable) -> Build:
        """Write a build, load it back and check it, then make it the live one; returns it as loaded."""
        ...

    def lock(self) -> AbstractContextManager[None]:
        """Held by one ingest at a time; a second writer gets IndexBusyError."""
        ...

    def check_writable(self) -> None:
        """Refuse early, with the reason, a store that cannot take a new build."""
        ...


def backends() -> list[str]:
    """The names `store.backend` accepts: one per `rag/store_<name>.py` module."""
    import rag

    return sorted(m.name.removeprefix("store_") for m in pkgutil.iter_modules(rag.__path__)
                  if m.name.startswith("store_"))


def open_store(settings: Settings) -> Store:
    """The store `store.backend` names, opened with the settings."""
    backend = settings.store.backend
    known = ", ".join(backends())
    if not re.fullmatch(r"[a-z][a-z0-9_]*", backend):
        raise SettingsError(f"setting 'store.backend' is {backend!r}; use one of {known}")
    module_name = f"rag.store_{backend}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            raise SettingsError(f"setting 'store.backend' is {backend!r}, which is not a backend; use one of "
                                f"{known}") from None
        raise SettingsError(f"store.backend {backend!r} needs the Python package {exc.name!r}, which is not "
                            f"installed; install it or set store.backend = \"faiss\"") from None
    store: Store = module.open_store(settings)
    return store


def check_manifest(where: str, manifest: Manifest, expect_model: str | None, expect_dimension: int | None) -> None:
    """Refuse a build of another format, model or dimension, with the fix."""
    if manifest.format_version != FORMAT_VERSION:
        raise StoreError(f"{where}: index format {manifest.format_version}, this version reads {FORMAT_VERSION}; "
                         f"{FIX}")
    if expect_model and manifest.model != expect_model:
        raise StoreError(f"{where}: built with model {manifest.model!r}, settings ask for {expect_model!r}; {FIX}")
    if expect_dimension and manifest.dimension != expect_dimension:
        raise StoreError(f"{where}: {manifest.dimension}-d vectors, the model gives {expect_dimension}; {FIX}")


def check_contents(where: str, manifest: Manifest, corpus: Corpus, dense: VectorIndex, records: bool = True) -> None:
    """Refuse a build whose parts disagree: counts, dimension, and with `records` (a pass over every record) a chunk
    not verbatim, a sentence outside its chunk."""
    if not (dense.count() == len(corpus) == manifest.chunk_count):
        raise StoreError(f"{where}: {dense.count()} vectors, {len(corpus)} chunk records, manifest says "
                         f"{manifest.chunk_count}; {FIX}")
    if dense.dimension != manifest.dimension:
        raise StoreError(f"{where}: vector dimension {dense.dimension} != manifest {manifest.dimension}; {FIX}")
    problem = corpus.problem() if records else None
    if problem:
        raise StoreError(f"{where}: {problem}; {FIX}")


def check_build_input(manifest: Manifest, chunks: Sequence[Chunk], vectors: np.ndarray,
                      sentences: SentenceTable) -> None:
    """A programming error, not a user's: the parts handed to `Store.write` must agree."""
    if vectors.shape != (len(chunks), manifest.dimension):
        raise StoreError(f"internal: {vectors.shape} vectors for {len(chunks)} chunks")
    if sentences.passages != len(chunks) or sentences.vectors.shape[1:] != (manifest.dimension,):
        raise StoreError(f"internal: a sentence table for {sentences.passages} chunks of "
                         f"{sentences.vectors.shape[1:]} vectors, not {len(chunks)} of {manifest.dimension}")


__all__ = ["FIX", "Build", "FileStatus", "LexicalRanker", "Manifest", "Store", "VectorIndex", "backends",
           "check_build_input", "check_contents", "check_manifest", "open_store"]
