"""Extractive answers: the sentences that answer, each proved verbatim and cited, or an abstention.

Which sentence answers, and whether any does, is decided by the learned sentence scorer (`scorer.py`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .embedding import Embedder
from .evidence import context_text, gives_required_type, missing_terms
from .grounding import sentence_spans, short_title, verify_quote
from .question import Question
from .scorer import Candidate, SentenceScorer, features
from .settings import AnsweringSettings
from .spans import counted_noun, short_span
from .types import Answer, Citation, Document, Hit, Quote

_PASSAGES_READ = 5
_MIN_SENTENCE_WORDS = 4
# Margins in log-odds below the likeliest sentence: a sentence whose passage names every specific may lead
# from this far back; another paragraph joins as a second quote from this close; for a question in several
# parts, a sentence that supplies a missing part joins from this far back.
_LEAD_MARGIN = 1.0
_CLOSE_SECOND = 0.25
_PART_MARGIN = 1.0


@dataclass(frozen=True, slots=True)
class _Sentence:
    hit: Hit
    start: int
    end: int
    text: str
    score: float


def _stage(hit: Hit, name: str) -> float:
    return dict(hit.stage_scores).get(name, hit.score)


def _candidates(question: Question, hits: list[Hit], embedder: Embedder, scorer: SentenceScorer,
                idf: Mapping[str, float]) -> list[_Sentence]:
    """Every sentence of the passages read, scored by the learned scorer (probability it answers)."""
    spans: list[tuple[Hit, int, int, str, int, list[tuple[int, int]]]] = []
    for hit in hits[:_PASSAGES_READ]:
        chunk = hit.chunk
        if chunk.kind == "heading":
            continue
        all_spans = sentence_spans(chunk.text, chunk.start)
        for k, (start, end) in enumerate(all_spans):
            text = chunk.text[start - chunk.start : end - chunk.start]
            if len(text.split()) >= _MIN_SENTENCE_WORDS or chunk.kind == "table":
                spans.append((hit, start, end, text, k, all_spans))
    if not spans:
        return []
    vectors = embedder.encode([question.text] + [s[3] for s in spans])
    cosines = {(s[0].chunk.chunk_id, s[4]): float(c) for s, c in zip(spans, vectors[1:] @ vectors[0], strict=True)}
    rows = []
    for hit, start, end, text, k, all_spans in spans:
        chunk = hit.chunk
        first, last = all_spans[max(0, k - 1)][0], all_spans[min(len(all_spans) - 1, k + 1)][1]
        neighbours = [cosines.get((chunk.chunk_id, m), 0.0) for m in (k - 1, k + 1) if 0 <= m < len(all_spans)]
        candidate = Candidate(text, chunk.text[first - chunk.start : last - chunk.start], context_text(chunk),
                              cosines[(chunk.chunk_id, k)], _stage(hit, "cosine"), max(neighbours, default=0.0),
                              k == 0, hit.rank)
        rows.append(features(question, candidate, idf))
    probabilities = scorer.probabilities(np.asarray(rows, dtype=np.float64))
    sentences = [_Sentence(hit, start, end, text, float(p))
                 for (hit, start, end, text, _, _), p in zip(spans, probabilities, strict=True)]
    sentences.sort(key=lambda s: -s.score)
    return sentences


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _select(sentences: list[_Sentence], question: Question, settings: AnsweringSettings,
            threshold: float) -> tuple[list[_Sentence], list[str]]:
    """The likeliest answer first (preferring, among near-equals, one whose passage names every specific the
    question asks about and that answers in kind), then sentences nearly as likely from other paragraphs; a
    question in several parts also takes a likely sentence naming a specific the others lack. Returns the
    quotes and the specifics still unmentioned."""
    top = _logit(sentences[0].score)

    def close(s: _Sentence, margin: float) -> bool:
        return s.score >= threshold and _logit(s.score) >= top - margin

    def in_kind(s: _Sentence) -> bool:
        return question.parts > 1 or question.kind not in ("number", "date") or gives_required_type(
            question.text, s.text, question.terms)

    complete = [s for s in sentences if close(s, _LEAD_MARGIN) and in_kind(s)
                and not missing_terms(question.terms, context_text(s.hit.chunk))]
    best = complete[0] if complete else sentences[0]
    chosen = [best]
    missing = missing_terms(question.terms, context_text(best.hit.chunk))
    for sentence in (s for s in sentences if s is not best):
        if len(chosen) == settings.max_quotes:
            break
        where = (sentence.hit.chunk.doc, sentence.hit.chunk.paragraph_index)
        if any((s.hit.chunk.doc, s.hit.chunk.paragraph_index) == where for s in chosen):
            continue
        lacks = missing_terms(question.terms, context_text(sentence.hit.chunk))
        if question.parts == 1:
            if not lacks and close(sentence, _CLOSE_SECOND):
                chosen.append(sentence)
            continue
        covers = [m for m in missing if m not in lacks]
        if (covers and in_kind(sentence) and close(sentence, _PART_MARGIN)) or (
                not covers and close(sentence, _CLOSE_SECOND)):
            chosen.append(sentence)
            missing = [m for m in missing if m not in covers]
    return chosen, missing


def _widen(sentence: _Sentence, scores: dict[tuple[str, int], float], budget: int) -> _Sentence:
    """The sentence with the neighbours of its passage that score best, while the quote stays within
    `budget` words: the answer is often the sentence next to the one worded most like the question."""
    chunk = sentence.hit.chunk
    spans = sentence_spans(chunk.text, chunk.start)
    try:
        first = last = next(i for i, (a, b) in enumerate(spans) if a <= sentence.start < b)
    except StopIteration:
        return sentence

    counts = [len(chunk.text[a - chunk.start : b - chunk.start].split()) for a, b in spans]
    while True:
        options = [i for i in (first - 1, last + 1) if 0 <= i < len(spans)
                   and sum(counts[min(first, i) : max(last, i) + 1]) <= budget]
        if not options:
            break
        pick = max(options, key=lambda i: scores.get((chunk.doc, spans[i][0]), -1.0))
        first, last = min(first, pick), max(last, pick)
    start, end = spans[first][0], spans[last][1]
    return _Sentence(sentence.hit, start, end, chunk.text[start - chunk.start : end - chunk.start], sentence.score)


def _attribution(hit: Hit, first: bool, previous_title: str | None) -> str:
    chunk = hit.chunk
    if chunk.title == previous_title:
        return "The same report adds:" if not first else f"{short_title(chunk.title)} says:"
    where = ", ".join(p for p in (chunk.place, (chunk.date or "")[:4]) if p)
    lead = "According to" if first else "Also, according to"
    return f"{lead} {short_title(chunk.title)}{f' ({where})' if where else ''}:"


def abstain(question: str, query: str, hits: list[Hit], reason: str) -> Answer:
    text = f"The reports do not answer this: {reason} The nearest passages are listed below; none of them is an answer."
    return Answer(question, query, text, True, reason, (), tuple(hits))


def decline(question: str, query: str, reason: str) -> Answer:
    """An abstention before any search: the question itself cannot be read, so no passage is shown."""
    return Answer(question, query, f"This question cannot be answered: {reason}", True, reason, (), ())


def compose(
    question: Question,
    query: str,
    hits: list[Hit],
    documents: dict[str, Document],
    embedder: Embedder,
    settings: AnsweringSettings,
    scorer: SentenceScorer,
    idf: Mapping[str, float],
    asked: str | None = None,
) -> Answer:
    """Answer from verified quotes of the top passages, or decline with the reason."""
    asked = asked or question.text
    if not hits:
        return abstain(asked, query, hits, "no passage in the index matches the question.")
    sentences = _candidates(question, hits, embedder, scorer, idf)
    if not sentences:
        return abstain(asked, query, hits, "no sentence in the closest passages answers the question.")
    if sentences[0].score < scorer.threshold:
        return abstain(asked, query, hits, "no sentence in the closest passages answers the question (the "
                       f"likeliest answers with {sentences[0].score:.2f}, below {scorer.threshold:.2f}).")
    chosen, missing = _select(sentences, question, settings, scorer.threshold)
    # What any answer must hold, whatever its score: a one-part how-many / when question is answered by a
    # number / date, and the quotes together name every year, number and name the question asks about.
    if question.parts == 1 and question.kind in ("number", "date") and not gives_required_type(
            question.text, chosen[0].text, question.terms):
        return abstain(asked, query, hits, "the closest passages are on this topic but none gives the "
                       f"{question.kind} the question asks for.")
    if missing:
        shown = ", ".join(f"“{m}”" for m in missing)
        return abstain(asked, query, hits, f"the closest passages are on this topic but never mention {shown}.")
    citations: list[Citation] = []
    parts: list[str] = []
    short = _short_answer(question, chosen[0], documents)
    if settings.quote_words:
        scores = {(s.hit.chunk.doc, s.start): s.score for s in sentences}
        chosen = [_widen(s, scores, settings.quote_words) for s in chosen]
    noun = counted_noun(question.text)
    if short is None and noun and not any(short_span(question.text, question.terms, s.text) for s in chosen):
        # A count of something else ("38 member countries" for "how many signatories") is not the answer.
        return abstain(asked, query, hits, "the closest passages are on this topic but none gives the count it "
                       f"asks for (“how many {noun}”).")
    if short is not None:
        parts.append(f"Short answer: “{short.text}” [1]")
    previous_title: str | None = None
    for n, sentence in enumerate(chosen, start=1):
        document = documents[sentence.hit.chunk.doc]
        quote = verify_quote(document, sentence.start, sentence.end, sentence.text)
        citations.append(Citation(n=n, quote=quote, chunk=sentence.hit.chunk))
        parts.append(f"{_attribution(sentence.hit, n == 1, previous_title)} “{quote.text}” [{n}]")
        previous_title = sentence.hit.chunk.title
    return Answer(asked, query, "\n".join(parts), False, None, tuple(citations), tuple(hits), short=short)


def _short_answer(question: Question, lead: _Sentence, documents: dict[str, Document]) -> Quote | None:
    span = short_span(question.text, question.terms, lead.text)
    if span is None:
        return None
    start, end = lead.start + span[0], lead.start + span[1]
    return verify_quote(documents[lead.hit.chunk.doc], start, end, lead.text[span[0] : span[1]])

