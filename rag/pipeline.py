"""The assistant: one loaded index and model, answering questions. CLI, UI and eval use only this."""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import replace

from .answering import abstain, compose
from .conversation import rewrite
from .embedding import Embedder
from .errors import GroundingError, QuestionError, StoreError
from .generator import rephrase
from .grounding import verify_quote
from .ingest import IngestProgress, IngestReport, ingest
from .retrieval import Filters, Retriever
from .settings import RetrievalSettings, Settings
from .store import LoadedIndex, load_index
from .types import Answer, Hit, Paragraph, Quote

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_question(question: str, max_words: int) -> str:
    """The question with control characters removed, or a QuestionError saying what is wrong."""
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", question or "")).strip()
    text = re.sub(r"\s+", " ", text)
    if not text:
        raise QuestionError("the question is empty: type a question about the reports")
    if not any(ch.isalnum() for ch in text):
        raise QuestionError("the question has no words, only punctuation or symbols: type a question")
    words = len(text.split())
    if words > max_words:
        raise QuestionError(
            f"the question has {words} words; the limit is {max_words} (answering.max_question_words): "
            "ask one shorter, focused question"
        )
    return text


class Assistant:
    """Holds the model and the index once per process; safe to share between threads for reading."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, index: LoadedIndex | None = None):
        self.settings = settings
        self.embedder = embedder or Embedder(settings.embedding)
        # The index first: a missing or damaged index is reported before the model is loaded.
        self.index = index or load_index(settings.paths.index, expect_model=self.embedder.name)
        if self.index.manifest.dimension != self.embedder.dimension:
            raise StoreError(
                f"{self.index.path}: {self.index.manifest.dimension}-d vectors, the model gives "
                f"{self.embedder.dimension}; run 'rag ingest' to rebuild"
            )
        self.retriever = Retriever(self.index, self.embedder, settings.retrieval)
        self._chunks = {c.chunk_id: c for c in self.index.chunks}

    @classmethod
    def build(cls, settings: Settings, progress: IngestProgress | None = None) -> tuple[Assistant, IngestReport]:
        """Ingest the corpus (only what changed) and load the result."""
        embedder = Embedder(settings.embedding)
        report = ingest(settings, embedder, progress)
        return cls(settings, embedder), report

    def search(
        self, query: str, k: int | None = None, filters: Filters | None = None,
        retrieval: RetrievalSettings | None = None,
    ) -> list[Hit]:
        text = clean_question(query, self.settings.answering.max_question_words)
        return self.retriever.search(text, k, filters, retrieval)

    def ask(
        self,
        question: str,
        history: Sequence[str] = (),
        k: int | None = None,
        filters: Filters | None = None,
        retrieval: RetrievalSettings | None = None,
        generate: bool = True,
    ) -> Answer:
        """Answer `question`; `history` holds the earlier standalone queries of this conversation.

        `generate=False` skips the optional generator even when one is configured.
        """
        began = time.perf_counter()
        text = clean_question(question, self.settings.answering.max_question_words)
        query = rewrite(text, list(history))
        rewritten = time.perf_counter()
        hits = self.retriever.search(query, k, filters, retrieval)
        retrieved = time.perf_counter()
        if not any(ch.isalpha() for ch in query):
            answer = abstain(text, query, hits, "the question has no words to search for.")
        else:
            answer = compose(text, query, hits, self.index.documents, self.embedder, self.settings.answering)
        composed = time.perf_counter()
        if generate and self.settings.answering.generator_url:
            answer = rephrase(answer, self.settings.answering)
        done = time.perf_counter()
        timings = (
            ("rewrite", (rewritten - began) * 1000),
            ("retrieve", (retrieved - rewritten) * 1000),
            ("compose", (composed - retrieved) * 1000),
            ("generate", (done - composed) * 1000),
            ("total", (done - began) * 1000),
        )
        return replace(answer, timings_ms=timings)

    def context(self, chunk_id: str, before: int = 2, after: int = 2) -> tuple[Paragraph, ...]:
        """The cited paragraph with its neighbours in the same report."""
        chunk = self._chunks[chunk_id]
        paragraphs = self.index.documents[chunk.doc].paragraphs
        i = chunk.paragraph_index
        return paragraphs[max(0, i - before) : i + after + 1]

    def verify(self, doc: str, start: int, end: int, text: str) -> Quote:
        """Re-prove a quote against the current index (raises GroundingError if it no longer holds)."""
        document = self.index.documents.get(doc)
        if document is None:
            raise GroundingError(f"{doc} is no longer in the index; re-run 'rag ingest' or drop the quote")
        return verify_quote(document, start, end, text)
