"""Hybrid retrieval: BM25 and dense search fused by reciprocal rank, reranked, de-duplicated."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .embedding import Embedder
from .errors import FilterError, QuestionError
from .evidence import evidence_score
from .filters import Filters
from .question import Question, read_question
from .sentence_scorer import default_scorer
from .settings import RetrievalSettings
from .store import Build
from .types import Chunk, Hit

log = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True)
class _Candidate:
    position: int
    dense: float | None
    bm25: float | None
    fused: float


class Retriever:
    """Ranks the chunks of one build for a query, through the build's vector and keyword indexes."""

    def __init__(self, build: Build, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.build = build
        self.embedder = embedder
        self.settings = settings
        self._cross_encoder: Any = None
        if settings.cross_encoder_path:
            from sentence_transformers import CrossEncoder

            self._cross_encoder = CrossEncoder(settings.cross_encoder_path, device="cpu")
        if settings.rerank and settings.answer_rerank:
            default_scorer()  # loaded now, so the first question does not wait for it (about a second)

    def search(
        self,
        query: str,
        k: int | None = None,
        filters: Filters | None = None,
        settings: RetrievalSettings | None = None,
    ) -> list[Hit]:
        """Top-k hits; `settings` overrides the stages (used by the evaluation's ablations)."""
        cfg = settings or self.settings
        k = cfg.k if k is None else k
        if k < 1:
            raise QuestionError(f"k={k} passages asked for; ask for at least 1")
        corpus = self.build.corpus
        # Filters go down to both indexes, which rank only the rows they allow (as if the build held only those).
        rows = corpus.allowed_rows(filters) if filters else None
        depth = min(len(corpus) if rows is None else len(rows), cfg.candidates)
        dense: list[tuple[int, float]] = []
        # Always embedded: answering scores passages by cosine whichever retrievers ran.
        query_vector = self.embedder.encode_query(query)
        if cfg.dense:
            dense = self.build.dense.search(query_vector, depth, rows)
        lexical = self.build.lexical.search(query, depth, rows) if cfg.bm25 else []
        allowed = self._fuse(dense, lexical, cfg.rrf_k)[: max(cfg.candidates, k * 4)]
        if not allowed:
            reason = filters.mismatch(corpus.samples()) if filters else None
            if reason:
                raise FilterError(reason)
            return []
        positions = [c.position for c in allowed]
        vectors = self.build.dense.vectors(positions)
        cosines = vectors @ query_vector
        question = read_question(query)
        scored = []
        for cand, cosine in zip(allowed, cosines, strict=True):
            chunk = corpus.chunks[cand.position]
            closeness = _closeness(float(cosine), corpus.sentence_vectors(chunk.chunk_id), query_vector)
            score = self._score(cfg, cand, closeness, chunk, question)
            scored.append((score, cand, closeness))
        if cfg.rerank and self._cross_encoder is not None:
            scored = self._cross_rerank(query, scored)
        scored.sort(key=lambda t: -t[0])
        answers: dict[int, float] = {}
        if cfg.rerank and cfg.answer_rerank:
            scored, answers = self._answer_rerank(query, query_vector, scored, cfg)
        hits: list[Hit] = []
        kept_vectors: list[np.ndarray] = []
        row_of = {p: row for row, p in enumerate(positions)}
        for score, cand, closeness in scored:
            chunk = corpus.chunks[cand.position]
            vector = vectors[row_of[cand.position]]
            if self._duplicate(chunk, vector, hits, kept_vectors, cfg.dedup_threshold):
                continue
            stages = (("dense", cand.dense or 0.0), ("bm25", cand.bm25 or 0.0), ("fused", cand.fused),
                      ("closeness", closeness),
                      *((("answer", answers[cand.position]),) if cand.position in answers else ()))
            hits.append(Hit(chunk=chunk, score=score, rank=len(hits) + 1, stage_scores=stages))
            kept_vectors.append(vector)
            if len(hits) == k:
                break
        return hits

    @staticmethod
    def _fuse(dense: list[tuple[int, float]], lexical: list[tuple[int, float]], rrf_k: int) -> list[_Candidate]:
        scores: dict[int, float] = {}
        dense_score = dict(dense)
        bm25_score = dict(lexical)
        for ranking in (dense, lexical):
            for rank, (position, _) in enumerate(ranking):
                scores[position] = scores.get(position, 0.0) + 1.0 / (rrf_k + rank + 1)
        order = sorted(scores, key=lambda p: -scores[p])
        return [_Candidate(p, dense_score.get(p), bm25_score.get(p), scores[p]) for p in order]

    @staticmethod
    def _score(cfg: RetrievalSettings, cand: _Candidate, cosine: float, chunk: Chunk, question: Question) -> float:
        """Without rerank: the fused rank score. With it: cosine plus lexical and metadata evidence."""
        if not cfg.rerank:
            if cfg.dense and not cfg.bm25:
                return cosine
            if cfg.bm25 and not cfg.dense:
                return cand.bm25 or 0.0
            return cand.fused
        bm25 = cand.bm25 or 0.0
        lexical = 1.0 - math.exp(-bm25 / 8.0)  # squashes BM25 into [0, 1)
        # Footnotes rarely answer a question on their own; a slight handicap keeps body text first.
        footnote = 0.03 if chunk.kind == "footnote" else 0.0
        return 0.6 * cosine + 0.2 * lexical + evidence_score(question.terms, chunk, question.kind) - footnote

    def _answer_rerank(
        self, query: str, query_vector: np.ndarray, scored: list[tuple[float, _Candidate, float]],
        cfg: RetrievalSettings,
    ) -> tuple[list[tuple[float, _Candidate, float]], dict[int, float]]:
        """The best passages, each with the sentence scorer's probability that its closest sentence holds the
        answer added (weighted): it reads question and sentence together, so a passage that answers moves
        ahead of one that only shares the question's words. The weight (0.15) was chosen on the public tuning
        sets, the depth (5) by latency (rag/models/sentence_scorer.md), not on the evaluation sets."""
        corpus = self.build.corpus
        head = scored[: cfg.answer_rerank_depth]
        texts = []
        for _, cand, _ in head:
            chunk = corpus.chunks[cand.position]
            sentences = corpus.sentence_vectors(chunk.chunk_id)
            if sentences:
                (start, end), _ = max(sentences.items(), key=lambda kv: float(kv[1].astype(np.float32) @ query_vector))
                texts.append(chunk.text[start - chunk.start : end - chunk.start])
            else:
                texts.append(chunk.text)
        probabilities = default_scorer().score(query, texts)
        answers = {cand.position: float(p) for (_, cand, _), p in zip(head, probabilities, strict=True)}
        head = [(score + cfg.answer_rerank * answers[cand.position], cand, closeness)
                for score, cand, closeness in head]
        return sorted(head + scored[cfg.answer_rerank_depth :], key=lambda t: -t[0]), answers

    def _cross_rerank(
        self, query: str, scored: list[tuple[float, _Candidate, float]]
    ) -> list[tuple[float, _Candidate, float]]:
        pairs = [(query, self.build.corpus.chunks[c.position].text) for _, c, _ in scored]
        ce = self._cross_encoder.predict(pairs)
        return [(float(s), c, cos) for s, (_, c, cos) in zip(ce, scored, strict=True)]

    @staticmethod
    def _duplicate(chunk: Chunk, vector: np.ndarray, hits: list[Hit], kept: list[np.ndarray], threshold: float) -> bool:
        """Overlapping pieces of one paragraph, or the same paragraph quoted in two reports."""
        for hit, other in zip(hits, kept, strict=True):
            h = hit.chunk
            if h.doc == chunk.doc and h.start < chunk.end and chunk.start < h.end:
                return True
            if float(vector @ other) >= threshold:
                return True
        return False


def _closeness(cosine: float, sentences: dict[tuple[int, int], np.ndarray], query: np.ndarray) -> float:
    """How close a passage is to the question for reranking: its own cosine averaged with its closest
    sentence's (when closer). A question asks about one sentence, and a long passage's single vector dilutes
    it; the sentence vectors are in the build already. Answering reads it too (a passage's "closeness" stage).
    Equal weights, not tuned: on the three evaluation sets answer correctness rose with both 0.3 and 0.5."""
    if not sentences:
        return cosine
    best = float(np.max(np.stack(list(sentences.values())).astype(np.float32) @ query))
    return 0.5 * cosine + 0.5 * max(best, cosine)
