"""BM25 over chunk text with its section heading and report title, built in memory at load."""

from __future__ import annotations

import bm25s

from .text import STEMMER, content_words
from .types import Chunk


def _document_text(chunk: Chunk) -> str:
    # The heading often names the topic that the paragraph itself only implies.
    return " ".join([chunk.text, *chunk.section[-1:], chunk.lead])


class LexicalIndex:
    """Ranks chunk positions by BM25 for a query."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.size = len(chunks)
        self._bm25 = bm25s.BM25()
        if chunks:
            tokens = bm25s.tokenize(
                [_document_text(c) for c in chunks], stopwords="en", stemmer=STEMMER, show_progress=False
            )
            self._bm25.index(tokens, show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """(position, bm25 score) of up to k chunks with a positive score."""
        if not self.size or not content_words(query):
            return []
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=STEMMER, show_progress=False)
        if not tokens.vocab:
            return []
        ids, scores = self._bm25.retrieve(tokens, k=min(k, self.size), show_progress=False)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if s > 0]
