"""Sentence vectors in the build: answering embeds the question and nothing else."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rag import ingest
from rag.embedding import Embedder
from rag.pipeline import Assistant
from rag.sentences import chunk_sentences
from rag.store_faiss import load_index


class CountingEmbedder(Embedder):
    """The real model, recording every text it is asked to embed."""

    def __init__(self, real: Embedder) -> None:
        super().__init__(real.settings)
        self.__dict__["model"] = real.model  # share the loaded weights
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str], progress=None) -> np.ndarray:
        self.texts.extend(texts)
        return super().encode(texts, progress)


def test_the_build_holds_the_model_vector_of_every_sentence_of_every_passage(tiny_assistant, embedder):
    index = load_index(tiny_assistant.settings.paths.index)
    table = index.sentences
    assert table.passages == len(index.chunks)
    checked = 0
    for position, chunk in enumerate(index.chunks):
        stored = table.of(position)
        expected = [] if chunk.kind == "heading" else chunk_sentences(chunk)
        assert sorted(stored) == sorted((start, end) for start, end, _ in expected)
        if expected:
            now = embedder.encode([text for _, _, text in expected])
            got = np.stack([stored[(start, end)] for start, end, _ in expected])
            assert np.all(np.sum(now * got, axis=1) > 0.999)  # float16 storage moves cosines by < 1e-3
            checked += len(expected)
    assert checked >= 10


def test_answering_a_question_embeds_only_the_question_once(tiny_corpus_settings, embedder):
    ingest(tiny_corpus_settings, embedder)
    counting = CountingEmbedder(embedder)
    assistant = Assistant(tiny_corpus_settings, counting)
    question = "How many government delegates attended the Bangkok workshop?"
    answer = assistant.ask(question)
    assert not answer.abstained and answer.citations
    assert counting.texts == [question]


def test_an_unchanged_corpus_is_rebuilt_without_embedding_a_sentence(tiny_corpus_settings, embedder):
    ingest(tiny_corpus_settings, embedder)
    counting = CountingEmbedder(embedder)
    ingest(tiny_corpus_settings, counting)
    assert counting.texts == []
    (tiny_corpus_settings.paths.corpus / "new-note.txt").write_text(
        "Extra note\n\nThe secretariat received eleven new submissions in March. "
        "Each submission was reviewed by two readers.\n", encoding="utf-8")
    ingest(tiny_corpus_settings, counting)
    assert "The secretariat received eleven new submissions in March." in counting.texts
    assert not any("Bangkok" in text for text in counting.texts)  # the other files' sentences were reused


def test_texts_embedded_together_come_back_in_their_own_order(embedder):
    # The embedder sorts texts by length so that a batch holds texts of like length; rows must still match.
    texts = ["A long sentence about fair recruitment of migrant workers in the Gulf region.", "Short.",
             "Return and reintegration.", "Skills partnerships between countries of origin and destination."]
    together = embedder.encode(texts)
    for text, row in zip(texts, together, strict=True):
        assert float(row @ embedder.encode([text])[0]) > 0.9999
