"""Sentence vectors computed at ingest, so answering embeds only the question.

Answering scores every sentence of the top passages against the question. Embedding those sentences
per question cost ~200 ms on 2 cores; the build now holds one vector per sentence of every passage,
stored as float16 (cosines move by < 1e-3) beside the passage vectors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .grounding import sentence_spans
from .types import Chunk, Document

Encode = Callable[[Sequence[str]], np.ndarray]


_MIN_SENTENCE_WORDS = 4
_TITLE_WORDS = 14


def _is_title(text: str, chunk: Chunk) -> bool:
    """A heading, agenda line or objective title set as its own paragraph ("(5) Portability of social security
    entitlements and earned benefits"): short, and no sentence ends in it. It tells what the text under it
    is about, not an answer; such lines still reach search through the sections of the passages below."""
    return (chunk.kind in ("body", "list") and len(text.split()) <= _TITLE_WORDS
            and text == chunk.text.strip() and not re.search(r"[.;:!?…][”’\")\]]*$", text))


def embedded(chunk: Chunk, text: str) -> bool:
    """Whether the build holds a vector for this sentence of the passage: four words or more (any cell of a
    table). A title line is kept: answering never quotes it, but it is often what a passage's closest sentence
    to the question is ("Objectives 5, 6 and 23")."""
    return chunk.kind != "heading" and (len(text.split()) >= _MIN_SENTENCE_WORDS or chunk.kind == "table")


def quotable(chunk: Chunk, text: str) -> bool:
    """Whether answering may quote this sentence of the passage: one with a vector that is no title line."""
    return embedded(chunk, text) and not _is_title(text, chunk)


def chunk_sentences(chunk: Chunk) -> list[tuple[int, int, str]]:
    """(start, end, text) of each sentence of a passage, offsets into its document."""
    return [(a, b, chunk.text[a - chunk.start : b - chunk.start]) for a, b in sentence_spans(chunk.text, chunk.start)]


def embedded_sentences(chunk: Chunk) -> list[tuple[int, int, str]]:
    """The sentences the build holds vectors for (none of a heading)."""
    return [s for s in chunk_sentences(chunk) if embedded(chunk, s[2])]


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
    """Embed each distinct sentence once (or take its vector from `reuse`, keyed by text). Fragments
    ("Thank you all.", a bare "b.", under four words) are left out: answering never scores them (10% of the
    sentences of the bundled corpus)."""
    rows: list[tuple[int, int, int]] = []
    texts: list[str] = []
    offsets = [0]
    for position, chunk in enumerate(chunks):
        for start, end, text in embedded_sentences(chunk):
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
