"""The FAISS vector index: rows 0..n-1 in build order, inner product of L2-normalised vectors (cosine).

Small builds search exactly (flat). Above `store.approximate_above` passages a build uses HNSW, whose
parameters were chosen by measured recall@10 against exact search (eval/benchmark.py); the manifest records
which kind a build holds and with what parameters. Both load memory-mapped: the vectors stay in the page
cache, shared by every process serving the same build.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from .errors import StoreError

# A filter that leaves at most this many rows is searched exactly over them: cheaper than walking a graph
# that skips most of its nodes, and never short of results.
EXACT_WITHIN = 20_000


@dataclass(frozen=True, slots=True)
class DenseKind:
    """Which FAISS index a build holds, with its parameters (recorded in the manifest as `dense`)."""

    kind: str = "flat"  # "flat" (exact) or "hnsw" (approximate)
    m: int = 0  # HNSW: links per node
    ef_construction: int = 0  # HNSW: candidates kept while linking
    ef_search: int = 0  # HNSW: candidates kept while searching
    recall_at_10: float | None = None  # HNSW: measured at build against exact search (see tune_ef_search)

    def __post_init__(self) -> None:
        if self.kind not in ("flat", "hnsw"):
            raise ValueError(f"unknown dense index kind {self.kind!r}")
        if self.kind == "hnsw" and min(self.m, self.ef_construction, self.ef_search) < 1:
            raise ValueError(f"HNSW needs positive m, ef_construction and ef_search, got {self}")

    def to_json(self) -> dict[str, Any]:
        return {"kind": "flat"} if self.kind == "flat" else asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DenseKind:
        return cls(**data)


FLAT = DenseKind()


def _hnsw_params(**values: Any) -> Any:
    """faiss.SearchParametersHNSW, which FAISS's type stubs do not declare."""
    return faiss.SearchParametersHNSW(**values)  # type: ignore[attr-defined]


class FaissIndex:
    """A FAISS index whose ids are the build's rows; filters reach the search as an id selector."""

    def __init__(self, index: Any, kind: DenseKind = FLAT) -> None:
        self._index = index
        self.kind = kind
        if kind.kind == "hnsw":
            index.hnsw.efSearch = kind.ef_search

    @classmethod
    def flat(cls, dimension: int) -> FaissIndex:
        """An empty exact index."""
        return cls.empty(dimension, FLAT)

    @classmethod
    def empty(cls, dimension: int, kind: DenseKind = FLAT) -> FaissIndex:
        if kind.kind == "flat":
            return cls(faiss.IndexFlatIP(dimension), kind)
        index = faiss.IndexHNSWFlat(dimension, kind.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = kind.ef_construction
        return cls(index, kind)

    @classmethod
    def read(cls, path: Path, kind: DenseKind = FLAT) -> FaissIndex:
        """Memory-mapped: the vectors are not copied into the process (IO_FLAG_MMAP_IFC)."""
        try:
            index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
        except RuntimeError as exc:
            raise StoreError(f"{path} cannot be read ({str(exc).splitlines()[0]}); "
                             "run 'rag ingest' to rebuild") from None
        expected = faiss.IndexHNSWFlat if kind.kind == "hnsw" else faiss.IndexFlatIP
        if not isinstance(index, expected):
            raise StoreError(f"{path} holds a {type(index).__name__}, the manifest says {kind.kind}; "
                             "run 'rag ingest' to rebuild")
        return cls(index, kind)

    @property
    def raw(self) -> Any:
        """The FAISS object itself, for measuring it (see tune_ef_search)."""
        return self._index

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    def count(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Append vectors; FAISS numbers them itself, so `ids` must be the next rows in order."""
        n = self.count()
        if not np.array_equal(np.asarray(ids), np.arange(n, n + len(vectors))):
            raise StoreError("internal: FAISS rows must be added in order, from the current count")
        if len(vectors):
            self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        if self.count() == 0 or k < 1 or (allowed is not None and not len(allowed)):
            return []
        query = query.reshape(1, -1).astype(np.float32)
        params = None
        if allowed is not None:
            k = min(k, len(allowed))
            if self.kind.kind != "flat" and len(allowed) <= EXACT_WITHIN:
                return self._exact_within(query[0], k, allowed)
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            if self.kind.kind == "hnsw":
                params = _hnsw_params(sel=selector, efSearch=max(self.kind.ef_search, k))
            else:
                params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        elif self.kind.kind == "hnsw" and k > self.kind.ef_search:
            params = _hnsw_params(efSearch=k)
        scores, ids = self._index.search(query, k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _exact_within(self, query: np.ndarray, k: int, allowed: np.ndarray) -> list[tuple[int, float]]:
        scores = self.vectors(allowed) @ query
        top = np.argsort(-scores, kind="stable")[:k]
        return [(int(allowed[i]), float(scores[i])) for i in top]

    def vectors(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        if not len(ids):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.asarray(self._index.reconstruct_batch(np.asarray(ids, dtype=np.int64)), dtype=np.float32)


def tune_ef_search(index: FaissIndex, base: np.ndarray, queries: np.ndarray, target: float, k: int = 10,
                   cap: int = 4096) -> tuple[int, float]:
    """The smallest efSearch (doubling from 16) whose recall@k reaches `target`, and the recall it measured.

    `index` holds `base`; `queries` are passages held out of it (a passage already in the graph is linked to its
    own neighbours, which flatters the recall). Exact search over `base` is the reference. Returns the cap and its
    recall when no efSearch up to it gets there."""
    if not len(queries) or len(base) <= k:
        return max(index.kind.ef_search, 16), 1.0
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    _, exact = faiss.knn(queries, np.ascontiguousarray(base, dtype=np.float32), k, metric=faiss.METRIC_INNER_PRODUCT)
    ef = 16
    while True:
        _, found = index.raw.search(queries, k, params=_hnsw_params(efSearch=ef))
        recall = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(found.tolist(), exact.tolist(), strict=True)]))
        if recall >= target or ef >= cap:
            return ef, recall
        ef *= 2
