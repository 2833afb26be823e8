"""BM25 over chunk text with its section heading and report title, built in memory at load."""

from __future__ import annotations

from collections.abc import Sequence

import bm25s
import numpy as np

from .text import STEMMER, content_words
from .types import Chunk


def _document_text(chunk: Chunk) -> str:
    # The heading often names the topic that the paragraph itself only implies.
    return " ".join([chunk.text, *chunk.section[-1:], chunk.lead])


class LexicalIndex:
    """Ranks chunk rows by BM25 for a query."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.size = len(chunks)
        self._bm25 = bm25s.BM25()
        if chunks:
            tokens = bm25s.tokenize(
                [_document_text(c) for c in chunks], stopwords="en", stemmer=STEMMER, show_progress=False
            )
            self._bm25.index(tokens, show_progress=False)

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, bm25 score) of up to k chunks with a positive score; only rows in `allowed` when given."""
        if not self.size or not content_words(query) or (allowed is not None and not len(allowed)):
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
