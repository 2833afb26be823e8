"""BM25 over chunk text with its section heading and report title, built in memory at load."""

from __future__ import annotations

import re

import bm25s
import Stemmer

from .types import Chunk

_STEMMER = Stemmer.Stemmer("english")
_WORD = re.compile(r"[A-Za-zÀ-ÿ0-9]+(?:[-'’][A-Za-zÀ-ÿ0-9]+)*")

STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have how i if in into is it
    its of on or our over say said says should so such than that the their them there these they this those
    to under was we were what when where which while who whom whose why will with would you your about
    according also any between both during each other per via more most much many""".split()
)


def words(text: str) -> list[str]:
    """Lower-cased word tokens, hyphenated compounds kept whole."""
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]


def stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


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
                [_document_text(c) for c in chunks], stopwords="en", stemmer=_STEMMER, show_progress=False
            )
            self._bm25.index(tokens, show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """(position, bm25 score) of up to k chunks with a positive score."""
        if not self.size or not content_words(query):
            return []
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=_STEMMER, show_progress=False)
        if not tokens.vocab:
            return []
        ids, scores = self._bm25.retrieve(tokens, k=min(k, self.size), show_progress=False)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if s > 0]
