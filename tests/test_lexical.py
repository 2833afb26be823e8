"""BM25 saved in the build and memory-mapped at load ranks exactly as one built in memory."""

from __future__ import annotations

import numpy as np
import pytest

from rag import Filters
from rag.lexical import LexicalIndex

QUESTIONS = ["recruitment fees charged to migrant workers", "How many government delegates came to Bangkok?",
             "cost of remittances", "diaspora engagement in development", "zebra xylophone", "the of and"]


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_saved_bm25_ranks_exactly_as_one_built_in_memory(tiny_assistant, question):
    build = tiny_assistant.index
    fresh = LexicalIndex(build.chunks)
    assert build.lexical.search(question, 40) == fresh.search(question, 40)
    rows = build.corpus.allowed_rows(Filters(years=(2019,)))
    assert build.lexical.search(question, 10, rows) == fresh.search(question, 10, rows)


def test_the_saved_bm25_is_memory_mapped_not_read_into_the_process(tiny_assistant):
    scores = tiny_assistant.index.lexical._bm25.scores  # type: ignore[attr-defined]
    assert isinstance(scores["data"], np.memmap) and scores["num_docs"] == len(tiny_assistant.index.chunks)


def test_an_empty_build_has_an_empty_keyword_index(tmp_path):
    empty = LexicalIndex([])
    assert empty.save(tmp_path / "bm25") == () and empty.search("anything", 5) == []
    assert LexicalIndex.load(tmp_path / "bm25", 0).search("anything", 5) == []
