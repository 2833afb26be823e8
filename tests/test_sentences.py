"""Sentence vectors in the build: answering embeds the question and nothing else."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rag import ingest
from rag.embedding import Embedder
from rag.pipeline import Assistant
from rag.sentences import build_table, chunk_sentences, embedded_sentences, quotable
from rag.store_faiss import load_index
from rag.types import Chunk


class CountingEmbedder(Embedder):
    """The real model, recording every text it is asked to embed."""

    def __init__(self, real: Embedder) -> None:
        super().__init__(real.settings)
        self.__dict__["model"] = real.model  # share the loaded weights
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str], progress=None) -> np.ndarray:
        self.texts.extend(texts)
        return super().encode(texts, progress)


def test_the_build_holds_the_vector_of_every_sentence_of_four_words_or_more_of_every_passage(tiny_assistant, embedder):
    index = load_index(tiny_assistant.settings.paths.index)
    table = index.sentences
    assert table.passages == len(index.chunks)
    checked = 0
    for position, chunk in enumerate(index.chunks):
        stored = table.of(position)
        expected = embedded_sentences(chunk)
        assert sorted(stored) == sorted((start, end) for start, end, _ in expected)
        if expected:
            now = embedder.encode([text for _, _, text in expected])
            got = np.stack([stored[(start, end)] for start, end, _ in expected])
            # float16 storage moves cosines by < 1e-3; int8 activations are scaled per batch, so a sentence
            # embedded alone (as here) moves by < 0.01 from the one embedded among others at ingest.
            assert np.all(np.sum(now * got, axis=1) > 0.99)
            # ... and each stored vector is still closest to its own sentence among the passage's sentences.
            assert (got @ now.T).argmax(axis=1).tolist() == list(range(len(expected)))
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


def test_texts_embedded_together_come_back_in_their_own_order(embedder, float_embedder):
    # The embedder sorts texts by length so that a batch holds texts of like length; rows must still match.
    texts = ["A long sentence about fair recruitment of migrant workers in the Gulf region.", "Short.",
             "Return and reintegration.", "Skills partnerships between countries of origin and destination."]
    together = embedder.encode(texts)
    alone = np.stack([embedder.encode([text])[0] for text in texts])
    similarity = together @ alone.T
    assert similarity.argmax(axis=1).tolist() == [0, 1, 2, 3]
    assert np.all(np.diag(similarity) > 0.99)  # int8 activations are scaled per batch: close, not identical
    # In float a text's vector does not depend on its batch at all.
    full_together = float_embedder.encode(texts)
    for text, row in zip(texts, full_together, strict=True):
        assert float(row @ float_embedder.encode([text])[0]) > 0.9999


def test_fragments_under_four_words_are_not_embedded_at_ingest_and_title_lines_are_but_are_never_quoted():
    text = "The forum met twice. Thank you all. It adopted a plan on return and reintegration."
    body = Chunk("c1", "r.txt", 0, "body", text, 0, len(text))
    title = "(5) Portability of social security entitlements"
    heading_like = Chunk("c2", "r.txt", 1, "list", title, 100, 100 + len(title))
    embedded: list[str] = []

    def encode(texts):
        embedded.extend(texts)
        return np.ones((len(texts), 4), np.float32) / 2

    table = build_table([body, heading_like], encode, 4)
    assert [t for _, _, t in chunk_sentences(body)] == [
        "The forum met twice.", "Thank you all.", "It adopted a plan on return and reintegration."]
    assert sorted(table.of(0)) == [(0, 20), (36, len(text))]
    assert sorted(table.of(1)) == [(100, 100 + len(title))]  # a passage's closest line to a question, often
    assert embedded == ["The forum met twice.", "It adopted a plan on return and reintegration.", title]
    assert not quotable(heading_like, title)
    assert quotable(body, "The forum met twice.") and not quotable(body, "Thank you all.")
