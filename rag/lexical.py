"""BM25 over chunk text with its section heading and lead-in: built at ingest, saved in the build, memory-mapped
at load (rebuilding it at every load cost seconds per 100k passages)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from .text import STEMMER, content_words
from .types import Chunk

# The files bm25s writes (its defaults, for BM25 "lucene", which has no non-occurrence array).
FILES = ("data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy", "vocab.index.json",
         "params.index.json")


def _document_text(chunk: Chunk) -> str:
    # The heading often names the topic that the paragraph itself only implies.
    return " ".join([chunk.text, *chunk.section[-1:], chunk.lead])


class LexicalIndex:
    """Ranks chunk rows by BM25 for a query."""

    def __init__(self, chunks: Sequence[Chunk] = ()) -> None:
        """Index these chunks in memory (a build saves the result; loading maps it back, see `load`)."""
        self.size = len(chunks)
        self._bm25: bm25s.BM25 | None = None
        if chunks:
            self._bm25 = bm25s.BM25()
            tokens = bm25s.tokenize([_document_text(c) for c in chunks], stopwords="en", stemmer=STEMMER,
                                    show_progress=False)
            self._bm25.index(tokens, show_progress=False)

    def save(self, folder: Path) -> tuple[str, ...]:
        """Write the index into `folder`; returns the names written (none for an empty build)."""
        if self._bm25 is None:
            return ()
        folder.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(folder), show_progress=False)
        return FILES

    @classmethod
    def load(cls, folder: Path, size: int) -> LexicalIndex:
        """The saved index, its score arrays memory-mapped (shared between processes through the page cache)."""
        index = cls()
        if size:
            index._bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False, verbosity=0)
            index.size = size
        return index

    @property
    def documents(self) -> int:
        """How many documents the saved scores cover (checked against the chunk count at load)."""
        return 0 if self._bm25 is None else int(self._bm25.scores["num_docs"])

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, bm25 score) of up to k chunks with a positive score; only rows in `allowed` when given."""
        if self._bm25 is None or not content_words(query) or (allowed is not None and not len(allowed)):
            return []
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=STEMMER, show_progress=False)
        if not tokens.vocab:
            return []
        mask = None
        if allowed is not None:  # scores of the other rows become 0, and positive scores alone are kept
            mask = np.zeros(self.size, dtype=np.float32)
            mask[allowed] = 1.0
        ids, scores = self._bm25.retrieve(tokens, k=min(k, self.size), show_progress=False, weight_mask=mask)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if s > 0]
