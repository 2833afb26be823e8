"""The FAISS vector index: rows 0..n-1 in build order, inner product of L2-normalised vectors (cosine)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from .errors import StoreError


class FaissIndex:
    """A FAISS index whose ids are the build's rows; filters reach the search as an id selector."""

    def __init__(self, index: Any) -> None:
        self._index = index

    @classmethod
    def flat(cls, dimension: int) -> FaissIndex:
        """Exact search: every query compares with every vector."""
        return cls(faiss.IndexFlatIP(dimension))

    @classmethod
    def read(cls, path: Path) -> FaissIndex:
        try:
            return cls(faiss.read_index(str(path)))
        except RuntimeError as exc:
            raise StoreError(f"{path} cannot be read ({str(exc).splitlines()[0]}); "
                             "run 'rag ingest' to rebuild") from None

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
        params = None
        if allowed is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64)))  # type: ignore[call-arg]
            k = min(k, len(allowed))
        scores, ids = self._index.search(query.reshape(1, -1).astype(np.float32), k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        for row, i in enumerate(ids):
            out[row] = self._index.reconstruct(int(i))
        return out
