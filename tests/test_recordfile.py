"""Records on disk read by row: offsets, the chunk-id table, filter groups, and refusal of tables that disagree."""

from __future__ import annotations

import numpy as np
import pytest

from rag import recordfile
from rag.corpus import Corpus
from rag.recordfile import ChunkFile, DocumentFile, chunk_key, write_records
from rag.sentences import SentenceTable
from rag.types import Chunk, Document, ReportMeta

TEXT = "Première phrase. Second sentence here. Third one, in 2019."


def _records(ids: list[str]) -> tuple[list[Chunk], list[Document]]:
    doc = Document("r é.md", "md", TEXT, (), ReportMeta("Report", "2019-03-21", "Genève"))
    chunks = [Chunk(i, doc.doc, 0, "body", TEXT[n : n + 5], n, n + 5, title="Report", date="2019-03-21")
              for n, i in enumerate(ids)]
    return chunks, [doc]


def _ids_far_apart() -> list[str]:
    """Ids whose 64-bit keys are of both signs and far apart (their difference overflows int64)."""
    ids = [f"c{i}" for i in range(200)]
    low = min(ids, key=chunk_key)
    high = max(ids, key=chunk_key)
    assert chunk_key(high) - chunk_key(low) > 2**63
    return [high, low]


def _corpus(folder, chunks) -> Corpus:
    empty = SentenceTable(np.zeros((0, 3), dtype=np.int64), np.zeros((0, 4), dtype=np.float16),
                          np.zeros(len(chunks) + 1, dtype=np.int64))
    return Corpus(ChunkFile(folder), DocumentFile(folder), empty)


def test_records_written_are_read_back_by_row_by_id_and_by_name(tmp_path):
    chunks, documents = _records(_ids_far_apart())
    write_records(tmp_path, chunks, documents)
    corpus = _corpus(tmp_path, chunks)
    assert list(corpus.chunks) == chunks and corpus.chunks[-1] == chunks[-1] and corpus.chunks[1:] == tuple(chunks[1:])
    assert [corpus.row(c.chunk_id) for c in chunks] == [0, 1] and corpus.chunk("absent") is None
    assert corpus.documents["r é.md"] == documents[0] and "other" not in corpus.documents
    assert corpus.problem() is None  # the sorted keys span more than 2**63: compared, never subtracted
    assert [c.chunk_id for c in corpus.samples()] == [chunks[0].chunk_id]


def test_ids_sharing_a_key_are_told_apart_by_their_records(tmp_path, monkeypatch):
    monkeypatch.setattr(recordfile, "chunk_key", lambda chunk_id: 7)
    chunks, documents = _records(["a", "b", "c"])
    write_records(tmp_path, chunks, documents)
    files = ChunkFile(tmp_path)
    assert [files.row(i) for i in ("c", "a", "b", "d")] == [2, 0, 1, None]


def test_a_key_table_that_disagrees_with_the_records_is_found_by_the_record_check(tmp_path):
    chunks, documents = _records(["a", "b", "c"])
    write_records(tmp_path, chunks, documents)
    keys = np.load(tmp_path / "chunk_keys.npy")
    keys[1] = keys[1][::-1]
    np.save(tmp_path / "chunk_keys.npy", keys)
    assert "chunk id or filter tables" in _corpus(tmp_path, chunks).problem()


def test_an_offset_table_that_does_not_fit_its_file_is_refused(tmp_path):
    chunks, documents = _records(["a", "b"])
    write_records(tmp_path, chunks, documents)
    with (tmp_path / "chunks.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("{}\n")
    with pytest.raises(ValueError, match=r"offset table of chunks\.jsonl"):
        ChunkFile(tmp_path)
