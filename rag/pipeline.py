"""The assistant: one loaded index and model, answering questions; the heart of the public API (`rag`)."""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .answering import abstain, compose, decline
from .conversation import rewrite
from .embedding import Embedder
from .errors import GroundingError, QuestionError, RagError, StoreError
from .filters import Filters
from .generator import rephrase
from .grounding import verify_quote
from .indexing import IngestProgress, IngestReport, build_index
from .language import english_only_reason
from .retrieval import Retriever
from .settings import RetrievalSettings, Settings
from .store import Build, Store, open_store
from .types import Answer, Chunk, Hit, Paragraph, Quote

log = logging.getLogger(__name__)

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


@dataclass(frozen=True, slots=True)
class _Live:
    """One loaded build with its retriever, swapped as a whole so readers never mix builds."""

    build: Build
    retriever: Retriever

    def sentence_vectors(self, chunk: Chunk) -> dict[tuple[int, int], np.ndarray]:
        return self.build.corpus.sentence_vectors(chunk.chunk_id)


class Assistant:
    """Holds the model and the index once per process; safe to share between threads for reading."""

    retriever_class: type[Retriever] = Retriever  # a subclass may swap the retrieval strategy

    def __init__(self, settings: Settings, embedder: Embedder | None = None, index: Build | None = None):
        self.settings = settings
        self.store: Store = open_store(settings)
        self.embedder = embedder or Embedder(settings.embedding)
        # The index first: a missing or damaged index is reported before the model is loaded.
        self._live = self._serve(index or self.store.load(expect_model=self.embedder.name))
        self._reload_lock = threading.Lock()
        self._refused: str | None = None  # a new build that failed to load: not retried on every question

    def _serve(self, build: Build) -> _Live:
        if build.manifest.dimension != self.embedder.dimension:
            raise StoreError(
                f"{build.where}: {build.manifest.dimension}-d vectors, the model gives "
                f"{self.embedder.dimension}; run 'rag ingest' to rebuild"
            )
        return _Live(build, self.retriever_class(build, self.embedder, self.settings.retrieval))

    def _current(self) -> _Live:
        """The live build, switching to a newer one when `rag ingest` has finished one meanwhile, so a
        running server answers from (and re-verifies notes against) the current index without a restart.
        A new build that fails to load is logged and the one in use keeps serving."""
        try:
            name = self.store.live_name()
        except (OSError, RagError):  # the store cannot say now (a database away): keep serving what we have
            return self._live
        if name is None or name in (self._live.build.name, self._refused):
            return self._live
        with self._reload_lock:
            if name not in (self._live.build.name, self._refused):
                try:
                    self._live = self._serve(self.store.load(name, expect_model=self.embedder.name))
                    log.info("switched to index build %s", name)
                except RagError as exc:
                    self._refused = name
                    log.warning("new index build %s not loaded, still serving %s: %s",
                                name, self._live.build.name, exc)
        return self._live

    @property
    def index(self) -> Build:
        """The live build (its chunks, documents, manifest); switches to a newer one as questions do."""
        return self._current().build

    @property
    def retriever(self) -> Retriever:
        return self._current().retriever

    @classmethod
    def build(cls, settings: Settings, progress: IngestProgress | None = None,
              embedder: Embedder | None = None) -> tuple[Assistant, IngestReport]:
        """Ingest the corpus (only what changed) and load the result; `embedder` reuses a loaded model."""
        embedder = embedder or Embedder(settings.embedding)
        report, build = build_index(settings, embedder, progress)
        return cls(settings, embedder, build), report

    def search(
        self, query: str, k: int | None = None, filters: Filters | None = None,
        retrieval: RetrievalSettings | None = None,
    ) -> list[Hit]:
        text = clean_question(query, self.settings.answering.max_question_words)
        reason = english_only_reason(text)
        if reason:
            raise QuestionError(reason)
        return self._current().retriever.search(text, k, filters, retrieval)

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
        reason = english_only_reason(text)
        if reason:  # searching would match the vectors of an unreadable question to arbitrary passages
            total = (time.perf_counter() - began) * 1000
            return replace(decline(text, text, reason), timings_ms=(("total", total),))
        query = rewrite(text, list(history))
        live = self._current()
        rewritten = time.perf_counter()
        hits = live.retriever.search(query, k, filters, retrieval)
        retrieved = time.perf_counter()
        if not any(ch.isalpha() for ch in query):
            answer = abstain(text, query, hits, "the question has no words to search for.")
        else:
            answer = compose(text, query, hits, live.build.documents, self.embedder, self.settings.answering,
                             live.sentence_vectors)
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
        live = self._current()
        chunk = live.build.corpus.chunk(chunk_id)
        if chunk is None:  # cited from a build that has since been replaced
            return ()
        paragraphs = live.build.documents[chunk.doc].paragraphs
        i = chunk.paragraph_index
        return paragraphs[max(0, i - before) : i + after + 1]

    def verify(self, doc: str, start: int, end: int, text: str) -> Quote:
        """Re-prove a quote against the current index (raises GroundingError if it no longer holds)."""
        document = self.index.documents.get(doc)
        if document is None:
            raise GroundingError(f"{doc} is no longer in the index; re-run 'rag ingest' or drop the quote")
        return verify_quote(document, start, end, text)
