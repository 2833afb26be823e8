"""The text side of a build: chunks looked up by id or row, the documents they quote, their sentence vectors.

A row is a chunk's place in build order; the vector and lexical indexes of the same build key on it. The records
are either in memory (a build being written, the PostgreSQL backend) or read from the build's files as asked
(the FAISS folder, rag/recordfile.py), which then also answers the id lookup and the filter groups.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .filters import Filters
from .recordfile import ChunkFile, chunk_groups, group_key
from .sentences import SentenceTable
from .types import Chunk, Document


@dataclass(frozen=True, eq=False)
class Corpus:
    """Chunks in row order, their documents by corpus-relative name, and one vector per sentence of each chunk."""

    chunks: Sequence[Chunk]  # a tuple, or a ChunkFile read as asked
    documents: Mapping[str, Document]
    sentences: SentenceTable
    _row: Callable[[str], int | None] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.sentences.passages != len(self.chunks):
            raise ValueError(f"a sentence table for {self.sentences.passages} chunks, not {len(self.chunks)}")
        if isinstance(self.chunks, ChunkFile):
            object.__setattr__(self, "_row", self.chunks.row)
        else:
            object.__setattr__(self, "_row", {c.chunk_id: row for row, c in enumerate(self.chunks)}.get)

    def __len__(self) -> int:
        return len(self.chunks)

    def chunk(self, chunk_id: str) -> Chunk | None:
        row = self._row(chunk_id)
        return None if row is None else self.chunks[row]

    def row(self, chunk_id: str) -> int | None:
        return self._row(chunk_id)

    def sentence_vectors(self, chunk_id: str) -> dict[tuple[int, int], np.ndarray]:
        """(start, end) -> vector of each sentence of the chunk; empty for a chunk not in this build."""
        row = self._row(chunk_id)
        return {} if row is None else self.sentences.of(row)

    def samples(self) -> list[Chunk]:
        """One chunk of each filter group (report, title, year, place): all that filters and their menus read."""
        return [sample for sample, _ in self._groups]

    def allowed_rows(self, filters: Filters) -> np.ndarray | None:
        """The sorted rows the filters let through (None: no filter), for the indexes to search within."""
        if not filters:
            return None
        passing = [rows for sample, rows in self._groups if filters.allows(sample)]
        return np.sort(np.concatenate(passing)) if passing else np.zeros(0, dtype=np.int64)

    @cached_property
    def _groups(self) -> list[tuple[Chunk, np.ndarray]]:
        """Rows grouped by what filters read (report, title, year, place): one test per group, not per chunk."""
        groups = self.chunks.groups if isinstance(self.chunks, ChunkFile) else chunk_groups(self.chunks)
        order = np.argsort(groups, kind="stable")
        numbers, firsts = np.unique(groups[order], return_index=True)
        bounds = [*firsts.tolist(), len(order)]
        return [(self.chunks[int(order[bounds[i]])], order[bounds[i] : bounds[i + 1]].astype(np.int64))
                for i in range(len(numbers))]

    def problem(self) -> str | None:
        """Why these records cannot be served (a chunk not verbatim, a sentence outside its chunk), or None."""
        starts, ends = np.zeros(len(self.chunks), dtype=np.int64), np.zeros(len(self.chunks), dtype=np.int64)
        ids: list[str] = []
        groups = np.zeros(len(self.chunks), dtype=np.int32)
        numbers: dict[tuple[str, str, str | None, str | None], int] = {}
        for row, chunk in enumerate(self.chunks):  # one pass: records on disk are parsed as they are read
            doc = self.documents.get(chunk.doc)
            if doc is None or doc.text[chunk.start : chunk.end] != chunk.text:
                return f"chunk {chunk.chunk_id} is not verbatim in {chunk.doc}"
            starts[row], ends[row] = chunk.start, chunk.end
            ids.append(chunk.chunk_id)
            groups[row] = numbers.setdefault(group_key(chunk), len(numbers))
        if isinstance(self.chunks, ChunkFile) and not self.chunks.tables_match(ids, groups):
            return "the chunk id or filter tables do not match the chunk records"
        rows = self.sentences.spans
        if len(rows):
            p = rows[:, 0]
            if (p.min() < 0 or p.max() >= len(self.chunks) or np.any(rows[:, 1] < starts[p])
                    or np.any(rows[:, 1] >= rows[:, 2]) or np.any(rows[:, 2] > ends[p])):
                return "sentence rows lie outside their chunks"
        return None


def corpus_of(chunks: Sequence[Chunk], documents: Sequence[Document], sentences: SentenceTable) -> Corpus:
    """In memory, as a build is before it is written."""
    return Corpus(tuple(chunks), {d.doc: d for d in documents}, sentences)
