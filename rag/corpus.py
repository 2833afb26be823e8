"""The text side of a build: chunks looked up by id or row, the documents they quote, their sentence vectors.

A row is a chunk's place in build order; the vector and lexical indexes of the same build key on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .filters import Filters
from .sentences import SentenceTable
from .types import Chunk, Document


@dataclass(frozen=True, eq=False)
class Corpus:
    """Chunks in row order, their documents by corpus-relative name, and one vector per sentence of each chunk."""

    chunks: tuple[Chunk, ...]
    documents: dict[str, Document]
    sentences: SentenceTable
    _rows: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.sentences.passages != len(self.chunks):
            raise ValueError(f"a sentence table for {self.sentences.passages} chunks, not {len(self.chunks)}")
        object.__setattr__(self, "_rows", {c.chunk_id: row for row, c in enumerate(self.chunks)})

    def __len__(self) -> int:
        return len(self.chunks)

    def chunk(self, chunk_id: str) -> Chunk | None:
        row = self._rows.get(chunk_id)
        return None if row is None else self.chunks[row]

    def row(self, chunk_id: str) -> int | None:
        return self._rows.get(chunk_id)

    def sentence_vectors(self, chunk_id: str) -> dict[tuple[int, int], np.ndarray]:
        """(start, end) -> vector of each sentence of the chunk; empty for a chunk not in this build."""
        row = self._rows.get(chunk_id)
        return {} if row is None else self.sentences.of(row)

    def allowed_rows(self, filters: Filters) -> np.ndarray | None:
        """The sorted rows the filters let through (None: no filter), for the indexes to search within."""
        if not filters:
            return None
        passing = [rows for sample, rows in self._groups if filters.allows(sample)]
        return np.sort(np.concatenate(passing)) if passing else np.zeros(0, dtype=np.int64)

    @cached_property
    def _groups(self) -> list[tuple[Chunk, np.ndarray]]:
        """Rows grouped by what filters read (report, title, year, place): one test per group, not per chunk."""
        groups: dict[tuple[str, str, str | None, str | None], list[int]] = {}
        first: dict[tuple[str, str, str | None, str | None], Chunk] = {}
        for row, c in enumerate(self.chunks):
            key = (c.doc, c.title, c.date[:4] if c.date else None, c.place)
            groups.setdefault(key, []).append(row)
            first.setdefault(key, c)
        return [(first[key], np.array(rows, dtype=np.int64)) for key, rows in groups.items()]

    def problem(self) -> str | None:
        """Why these records cannot be served (a chunk not verbatim, a sentence outside its chunk), or None."""
        for chunk in self.chunks:
            doc = self.documents.get(chunk.doc)
            if doc is None or doc.text[chunk.start : chunk.end] != chunk.text:
                return f"chunk {chunk.chunk_id} is not verbatim in {chunk.doc}"
        rows = self.sentences.spans
        if len(rows):
            starts = np.array([c.start for c in self.chunks], dtype=np.int64)
            ends = np.array([c.end for c in self.chunks], dtype=np.int64)
            p = rows[:, 0]
            if (p.min() < 0 or p.max() >= len(self.chunks) or np.any(rows[:, 1] < starts[p])
                    or np.any(rows[:, 1] >= rows[:, 2]) or np.any(rows[:, 2] > ends[p])):
                return "sentence rows lie outside their chunks"
        return None


def corpus_of(chunks: Sequence[Chunk], documents: Sequence[Document], sentences: SentenceTable) -> Corpus:
    return Corpus(tuple(chunks), {d.doc: d for d in documents}, sentences)
