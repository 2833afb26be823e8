"""Chunk and document records on disk, read one at a time by row or name instead of parsed whole at load.

A build's `chunks.jsonl` and `documents.jsonl` stay one JSON record per line; beside them, offset tables give each
line's place (`chunk_offsets.npy`, `document_offsets.npy`), `document_names.json` names the documents in file
order, `chunk_keys.npy` finds a chunk's row from its id (a sorted 64-bit hash of each id, with its row) and
`chunk_groups.npy` numbers each row's filter group (report, title, year, place). Loading maps these files; a
record is parsed when asked for, and the last few are kept. At 1M passages parsing everything at load took
about a minute and several GB (eval/benchmark.py --build-load).
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Generic, TypeVar, overload

import numpy as np

from .records import chunk_from_json, chunk_to_json, document_from_json, document_to_json
from .types import Chunk, Document

CHUNKS, CHUNK_OFFSETS, CHUNK_KEYS, CHUNK_GROUPS = ("chunks.jsonl", "chunk_offsets.npy", "chunk_keys.npy",
                                                   "chunk_groups.npy")
DOCUMENTS, DOCUMENT_OFFSETS, DOCUMENT_NAMES = "documents.jsonl", "document_offsets.npy", "document_names.json"
FILES = (CHUNKS, CHUNK_OFFSETS, CHUNK_KEYS, CHUNK_GROUPS, DOCUMENTS, DOCUMENT_OFFSETS, DOCUMENT_NAMES)

R = TypeVar("R")


def chunk_key(chunk_id: str) -> int:
    """A chunk id's 64-bit key in `chunk_keys.npy` (two ids may share one; the record settles it)."""
    return int.from_bytes(hashlib.blake2b(chunk_id.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


def group_key(chunk: Chunk) -> tuple[str, str, str | None, str | None]:
    """What filters read of a chunk: chunks with equal keys pass or fail every filter together."""
    return (chunk.doc, chunk.title, chunk.date[:4] if chunk.date else None, chunk.place)


def chunk_groups(chunks: Sequence[Chunk] | Iterator[Chunk]) -> np.ndarray:
    """The filter group of each chunk, numbered by first appearance."""
    numbers: dict[tuple[str, str, str | None, str | None], int] = {}
    return np.array([numbers.setdefault(group_key(c), len(numbers)) for c in chunks], dtype=np.int32)


def _write_lines(path: Path, lines: Iterator[str]) -> np.ndarray:
    """Write one record per line, fsynced; the byte offset of each line and of the end."""
    offsets = [0]
    with path.open("wb") as fh:
        for line in lines:
            data = (line + "\n").encode("utf-8")
            fh.write(data)
            offsets.append(offsets[-1] + len(data))
        fh.flush()
        os.fsync(fh.fileno())
    return np.array(offsets, dtype=np.int64)


def write_array(path: Path, array: np.ndarray) -> None:
    """One array as .npy, fsynced."""
    with path.open("wb") as fh:
        np.save(fh, np.ascontiguousarray(array), allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())


def write_records(folder: Path, chunks: Sequence[Chunk], documents: Sequence[Document]) -> None:
    """Write FILES into `folder` (each fsynced)."""
    write_array(folder / CHUNK_OFFSETS, _write_lines(folder / CHUNKS, (chunk_to_json(c) for c in chunks)))
    keys = np.array([chunk_key(c.chunk_id) for c in chunks], dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    write_array(folder / CHUNK_KEYS, np.stack([keys[order], order.astype(np.int64)]))
    write_array(folder / CHUNK_GROUPS, chunk_groups(chunks))
    offsets = _write_lines(folder / DOCUMENTS, (document_to_json(d) for d in documents))
    write_array(folder / DOCUMENT_OFFSETS, offsets)
    with (folder / DOCUMENT_NAMES).open("w", encoding="utf-8") as fh:
        json.dump([d.doc for d in documents], fh, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())


class _Lines(Generic[R]):
    """Records of one JSON-lines file, parsed by line number, the last `keep` of them cached."""

    def __init__(self, path: Path, offsets: np.ndarray, parse: Callable[[str], R], keep: int) -> None:
        self.path = path
        self._offsets = offsets
        self._parse = parse
        self._keep = keep
        self._cache: OrderedDict[int, R] = OrderedDict()
        self._lock = threading.Lock()  # the cache is shared by the threads serving questions
        size = path.stat().st_size
        if (offsets.ndim != 1 or not len(offsets) or offsets[0] != 0 or offsets[-1] != size
                or np.any(np.diff(offsets) <= 0)):
            raise ValueError(f"the offset table of {path.name} does not match the file")
        with path.open("rb") as fh:
            self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else None

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def _text(self, row: int) -> str:
        assert self._map is not None
        return self._map[int(self._offsets[row]) : int(self._offsets[row + 1])].decode("utf-8")

    def get(self, row: int) -> R:
        with self._lock:
            if row in self._cache:
                self._cache.move_to_end(row)
                return self._cache[row]
        record = self._parse(self._text(row))
        with self._lock:
            self._cache[row] = record
            if len(self._cache) > self._keep:
                self._cache.popitem(last=False)
        return record

    def scan(self) -> Iterator[R]:
        """Every record in order, parsed afresh and not cached (a full pass would only evict the useful ones)."""
        for row in range(len(self)):
            yield self._parse(self._text(row))


class ChunkFile(Sequence[Chunk]):
    """The chunks of a build in row order, parsed when read (`chunks.jsonl` through `chunk_offsets.npy`)."""

    def __init__(self, folder: Path, keep: int = 4096) -> None:
        self._lines = _Lines(folder / CHUNKS, np.load(folder / CHUNK_OFFSETS, allow_pickle=False),
                             chunk_from_json, keep)
        self._keys = np.load(folder / CHUNK_KEYS, mmap_mode="r", allow_pickle=False)
        self.groups = np.load(folder / CHUNK_GROUPS, mmap_mode="r", allow_pickle=False)
        n = len(self._lines)
        if self._keys.shape != (2, n) or self.groups.shape != (n,):
            raise ValueError(f"the chunk key or group table does not cover the {n} chunk records")

    def __len__(self) -> int:
        return len(self._lines)

    @overload
    def __getitem__(self, row: int) -> Chunk: ...

    @overload
    def __getitem__(self, row: slice) -> Sequence[Chunk]: ...

    def __getitem__(self, row: int | slice) -> Chunk | Sequence[Chunk]:
        if isinstance(row, slice):
            return tuple(self._lines.get(r) for r in range(*row.indices(len(self))))
        if not -len(self) <= row < len(self):
            raise IndexError(f"chunk row {row} out of range")
        return self._lines.get(row % len(self))

    def __iter__(self) -> Iterator[Chunk]:
        return self._lines.scan()

    def tables_match(self, ids: Sequence[str], groups: np.ndarray) -> bool:
        """Whether the id and group tables agree with the records' ids and filter groups (read in one pass)."""
        rows = np.asarray(self._keys[1])
        if not np.array_equal(np.sort(rows), np.arange(len(self))):
            return False
        keys = np.array([chunk_key(i) for i in ids], dtype=np.int64)
        sorted_keys = self._keys[0]  # compared, not subtracted: a difference of two 64-bit hashes overflows
        return bool(np.all(sorted_keys[1:] >= sorted_keys[:-1]) and np.array_equal(sorted_keys, keys[rows])
                    and np.array_equal(self.groups, groups))

    def row(self, chunk_id: str) -> int | None:
        """The row of the chunk with this id, or None."""
        keys, key = self._keys[0], np.int64(chunk_key(chunk_id))
        for i in range(int(np.searchsorted(keys, key, "left")), int(np.searchsorted(keys, key, "right"))):
            row = int(self._keys[1, i])
            if self._lines.get(row).chunk_id == chunk_id:
                return row
        return None


class DocumentFile(Mapping[str, Document]):
    """The documents of a build by name, parsed when read (`documents.jsonl` through `document_offsets.npy`)."""

    def __init__(self, folder: Path, keep: int = 16) -> None:
        names = json.loads((folder / DOCUMENT_NAMES).read_text(encoding="utf-8"))
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError(f"{DOCUMENT_NAMES} is not a list of names")
        self._rows = {name: row for row, name in enumerate(names)}
        self._lines = _Lines(folder / DOCUMENTS, np.load(folder / DOCUMENT_OFFSETS, allow_pickle=False),
                             document_from_json, keep)
        if len(self._lines) != len(self._rows):
            raise ValueError(f"{len(self._rows)} document names for {len(self._lines)} document records")

    def __getitem__(self, name: str) -> Document:
        row = self._rows.get(name)
        if row is None:
            raise KeyError(name)
        return self._lines.get(row)

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, name: object) -> bool:
        return name in self._rows
