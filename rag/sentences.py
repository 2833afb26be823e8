"""Sentence vectors computed at ingest, so answering embeds only the question.

Answering scores every sentence of the top passages against the question. Embedding those sentences
per question cost ~200 ms on 2 cores; the build now holds one vector per sentence of every passage,
stored as float16 (cosines move by < 1e-3) beside the passage vectors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .grounding import sentence_spans
from .types import Chunk, Document

Encode = Callable[[Sequence[str]], np.ndarray]


def chunk_sentences(chunk: Chunk) -> list[tuple[int, int, str]]:
    """(start, end, text) of each sentence of a passage, offsets into its document."""
    return [(a, b, chunk.text[a - chunk.start : b - chunk.start]) for a, b in sentence_spans(chunk.text, chunk.start)]


@dataclass(frozen=True)
class SentenceTable:
    """One row per sentence of every passage, in passage order: `spans[i] = (passage position, start, end)`;
    the rows of passage p are `offsets[p]:offsets[p + 1]`."""

    spans: np.ndarray  # (S, 3) int64
    vectors: np.ndarray  # (S, d) float16, L2-normalised before rounding
    offsets: np.ndarray  # (P + 1,) int64

    def __post_init__(self) -> None:
        if self.spans.ndim != 2 or self.spans.shape[1] != 3 or len(self.vectors) != len(self.spans):
            raise ValueError(f"{len(self.spans)} sentence spans, {len(self.vectors)} sentence vectors")
        if len(self.offsets) == 0 or self.offsets[-1] != len(self.spans):
            raise ValueError("sentence offsets do not cover the sentence rows")

    @property
    def passages(self) -> int:
        return len(self.offsets) - 1

    def of(self, position: int) -> dict[tuple[int, int], np.ndarray]:
        """(start, end) -> float32 vector for each sentence of the passage at `position`."""
        first, last = int(self.offsets[position]), int(self.offsets[position + 1])
        vectors = self.vectors[first:last].astype(np.float32)
        return {(int(s[1]), int(s[2])): v for s, v in zip(self.spans[first:last], vectors, strict=True)}

    def texts(self, chunks: Sequence[Chunk], documents: Mapping[str, Document]) -> list[str]:
        return [documents[chunks[int(p)].doc].text[int(a) : int(b)] for p, a, b in self.spans]


def build_table(
    chunks: Sequence[Chunk], encode: Encode, dimension: int, reuse: dict[str, np.ndarray] | None = None
) -> SentenceTable:
    """Embed each distinct sentence once (or take its vector from `reuse`, keyed by text)."""
    rows: list[tuple[int, int, int]] = []
    texts: list[str] = []
    offsets = [0]
    for position, chunk in enumerate(chunks):
        if chunk.kind != "heading":  # headings are never quoted
            for start, end, text in chunk_sentences(chunk):
                rows.append((position, start, end))
                texts.append(text)
        offsets.append(len(rows))
    reuse = reuse or {}
    distinct = list(dict.fromkeys(t for t in texts if t not in reuse))
    fresh = dict(zip(distinct, encode(distinct), strict=True)) if distinct else {}
    vectors = np.zeros((len(texts), dimension), dtype=np.float16)
    for i, text in enumerate(texts):
        vectors[i] = fresh[text] if text in fresh else reuse[text]
    return SentenceTable(np.array(rows, dtype=np.int64).reshape(-1, 3), vectors, np.array(offsets, dtype=np.int64))


def reusable(table: SentenceTable, chunks: Sequence[Chunk], documents: Mapping[str, Document]) -> dict[str, np.ndarray]:
    """A previous build's sentence vectors by text, for the next build to take instead of embedding again."""
    return dict(zip(table.texts(chunks, documents), table.vectors, strict=True))
