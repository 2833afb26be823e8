"""Extractive answers: the sentences that answer, each proved verbatim and cited, or an abstention."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .answerability import default_model
from .embedding import Embedder
from .evidence import QueryTerms, answer_type_bonus, context_text, focus_stems, gives_required_type, missing_terms
from .grounding import sentence_spans, verify_quote
from .question import Question, read_question
from .sentences import quotable
from .settings import AnsweringSettings
from .spans import short_span
from .text import ITEM_MARKER, content_words, stem
from .types import Answer, Answerability, Chunk, Citation, Document, Hit, Quote

# The precomputed vectors of a passage's sentences, by (start, end) in its document.
SentenceVectors = Callable[[Chunk], dict[tuple[int, int], np.ndarray]]

_PASSAGES_READ = 5


@dataclass(frozen=True, slots=True)
class _Sentence:
    hit: Hit
    start: int
    end: int
    text: str
    score: float
    vector: np.ndarray


def _stage(hit: Hit, name: str) -> float:
    return dict(hit.stage_scores).get(name, hit.score)


def _overlap(focus: tuple[str, ...], text: str) -> float:
    if not focus:
        return 0.0
    stems = {stem(w) for w in content_words(text)}
    return sum(s in stems for s in focus) / len(focus)


_URL = re.compile(r"https?://|www\.", re.IGNORECASE)


def _reference_penalty(hit: Hit, text: str) -> float:
    """Footnotes and sentences with URLs mostly name a source ("ILO Principles …, 2016, http://…")
    rather than say anything; they should not outrank a sentence that does. (A penalty on title-case
    fragments was tried too: answer correctness fell 0.783 -> 0.726, names look like titles.)"""
    penalty = 0.1 if hit.chunk.kind == "footnote" else 0.0
    return penalty + (0.2 if _URL.search(text) else 0.0)


def _candidates(question: Question, hits: list[Hit], embedder: Embedder, known: SentenceVectors,
                answer_weight: float) -> list[_Sentence]:
    spans: list[tuple[Hit, int, int, str]] = []
    vectors: list[np.ndarray | None] = []
    for hit in hits[:_PASSAGES_READ]:
        chunk = hit.chunk
        if chunk.kind == "heading":
            continue
        stored = known(chunk)
        for start, end in sentence_spans(chunk.text, chunk.start):
            text = chunk.text[start - chunk.start : end - chunk.start]
            if quotable(chunk, text):
                spans.append((hit, start, end, text))
                vectors.append(stored.get((start, end)))
    if not spans:
        return []
    missing = [i for i, v in enumerate(vectors) if v is None]
    if missing:  # not in the build (none are, unless sentence splitting changed since): embed them now
        for i, vector in zip(missing, embedder.encode([spans[i][3] for i in missing]), strict=True):
            vectors[i] = vector
    matrix = np.stack([v for v in vectors if v is not None])
    cosines = matrix @ embedder.encode_query(question.text)
    sentences = []
    for (hit, start, end, text), cosine, vector in zip(spans, cosines, matrix, strict=True):
        sentences.append(_Sentence(hit, start, end, text, _score(question, hit, text, float(cosine), answer_weight),
                                   vector))
    sentences.sort(key=lambda s: -s.score)
    return sentences


def _score(question: Question, hit: Hit, text: str, cosine: float, answer_weight: float) -> float:
    """How well a sentence answers `question`: its cosine, its passage's, the question's focus words it
    holds, the answer type it offers, the sentence scorer's verdict on its passage (retrieval's stage
    `answer`, for the passages it read), less a penalty for references."""
    focus = focus_stems(question.terms, hit.chunk)
    return (0.55 * cosine + 0.25 * _stage(hit, "closeness") + 0.25 * _overlap(focus, text)
            + answer_weight * dict(hit.stage_scores).get("answer", 0.0)
            + answer_type_bonus(question.kind, text) - _reference_penalty(hit, text))


def _overlaps(a: _Sentence, b: _Sentence) -> bool:
    return a.hit.chunk.doc == b.hit.chunk.doc and a.start < b.end and b.start < a.end


def _per_part(sentences: list[_Sentence], chosen: list[_Sentence], question: Question,
              embedder: Embedder, settings: AnsweringSettings) -> list[_Sentence]:
    """For a question in several parts, the best sentence for each part that the quotes do not yet hold,
    scored against that part alone: "…, and how long was its video?" is answered by the sentence on the video,
    which scores low against the whole question."""
    for text in question.parts:
        if len(chosen) >= settings.max_quotes:
            break
        part = read_question(text)
        vector = embedder.encode_query(text)
        scored = [(_score(part, s.hit, s.text, float(s.vector @ vector), settings.answer_weight), s)
                  for s in sentences
                  if not missing_terms(part.terms, context_text(s.hit.chunk))]
        if not scored:
            continue
        score, best = max(scored, key=lambda t: t[0])
        if score >= settings.min_sentence_score and not any(_overlaps(best, c) for c in chosen):
            chosen.append(best)
    return chosen


def _strip_specifics(terms: QueryTerms, text: str) -> str:
    for value in (*terms.years, *terms.numbers):
        text = text.replace(value, " ")
    return text


_LEAD_MARGIN = 0.25
# A second sentence of the leading paragraph is quoted too when it scores this close to the best: the answer
# is often two sentences after the one worded like the question, past what widening reaches.
# (0.05 / 0.1 / 0.15 gave new_wiki answer correct 0.835 / 0.840 / 0.845, devset 0.578 each, gold 0.802 each.)
_SAME_MARGIN = 0.1


def _select(
    sentences: list[_Sentence], question: Question, settings: AnsweringSettings
) -> tuple[list[_Sentence], list[str]]:
    """Best sentence first, then others that score nearly as well, or that supply a specific the
    question names (a second report, place or year) while answering in kind (a number for "how many")."""
    # A passage that mentions every specific the question names (its year, place, "Roundtable 4") leads,
    # ahead of a closer-worded sentence about another meeting, if it answers nearly as well.
    # A one-part "how many" / "when" question is led by a sentence that holds a number / date.
    terms = question.terms
    complete = [s for s in sentences if s.score >= settings.min_sentence_score
                and s.score >= sentences[0].score - _LEAD_MARGIN
                and not missing_terms(terms, context_text(s.hit.chunk))
                and (question.several_parts or gives_required_type(question.required, s.text, terms))]
    best = complete[0] if complete else sentences[0]
    sentences = [best, *(s for s in sentences if s is not best)]
    chosen = [best]
    missing = missing_terms(terms, context_text(best.hit.chunk))
    # A "how many" question joined with a second place or year must get a number for each.
    counting = question.kind == "number"
    one_part = not question.joined
    for sentence in sentences[1:]:
        if len(chosen) == settings.max_quotes:
            break
        where = (sentence.hit.chunk.doc, sentence.hit.chunk.paragraph_index)
        same = any((s.hit.chunk.doc, s.hit.chunk.paragraph_index) == where for s in chosen)
        if (one_part or sentence.hit.chunk.kind == "list") and same and not (
                one_part and sentence.score >= best.score - _SAME_MARGIN):
            continue
        if any(_overlaps(s, sentence) for s in chosen):
            continue
        context = context_text(sentence.hit.chunk)
        if one_part:
            margin = _SAME_MARGIN if same else 0.05
            if not missing_terms(terms, context) and sentence.score >= best.score - margin:
                chosen.append(sentence)
            continue
        covers = [m for m in missing if m not in missing_terms(terms, context)]
        in_kind = not counting or answer_type_bonus("number", _strip_specifics(terms, sentence.text)) > 0
        if covers and in_kind and sentence.score >= max(settings.min_sentence_score, best.score - 0.2):
            chosen.append(sentence)
            missing = [m for m in missing if m not in covers]
        elif not covers and len(question.parts) == 1 and sentence.score >= best.score - (
                _SAME_MARGIN if same else 0.05):
            chosen.append(sentence)  # a question in parts keeps the room for a quote per part (_per_part)
    return chosen, missing


def _widen(sentence: _Sentence, scores: dict[tuple[str, int], float], budget: int,
           taken: tuple[_Sentence, ...] = ()) -> _Sentence:
    """The sentence with the neighbours of its passage that score best, while the quote stays within
    `budget` words: the answer is often the sentence next to the one worded most like the question.
    It does not grow into `taken` (the quotes before it), so that neither hides the other."""
    chunk = sentence.hit.chunk
    spans = sentence_spans(chunk.text, chunk.start)
    try:
        first = last = next(i for i, (a, b) in enumerate(spans) if a <= sentence.start < b)
    except StopIteration:
        return sentence

    counts = [len(chunk.text[a - chunk.start : b - chunk.start].split()) for a, b in spans]
    free = [not any(t.hit.chunk.doc == chunk.doc and t.start < b and a < t.end for t in taken) for a, b in spans]
    while True:
        options = [i for i in (first - 1, last + 1) if 0 <= i < len(spans) and free[i]
                   and sum(counts[min(first, i) : max(last, i) + 1]) <= budget]
        if not options:
            break
        pick = max(options, key=lambda i: scores.get((chunk.doc, spans[i][0]), -1.0))
        first, last = min(first, pick), max(last, pick)
    last = _enumeration_end(chunk, spans, counts, free, first, last, 2 * budget)
    # A quote never ends on the number of an item it does not hold ("… discontinued. b.").
    while last > first and ITEM_MARKER.fullmatch(_text_of(chunk, spans[last])):
        last -= 1
    start, end = spans[first][0], spans[last][1]
    return _Sentence(sentence.hit, start, end, chunk.text[start - chunk.start : end - chunk.start], sentence.score,
                     sentence.vector)


# The next item of an enumeration: "2) that it will…", "(b) …", "- …", "second, …", "Finally, …".
_NEXT_ITEM = re.compile(r"^\s*(?:\(?\d{1,2}[.)]\s|\(?[a-h]\)\s|[-•–]\s|(?:second|third|fourth|fifth|finally|lastly)\b)",
                        re.IGNORECASE)


# A sentence that spells out the one before: "…the architecture to govern labor mobility. This includes …".
_ELABORATION = re.compile(r"^\s*(?:This|These|They|Such measures|Such steps)\s+(?:includes?|included|involves?|"
                          r"comprises?|consists?|cover(?:s|ed)?|are|were)\b")


def _text_of(chunk: Chunk, span: tuple[int, int]) -> str:
    return chunk.text[span[0] - chunk.start : span[1] - chunk.start]


def _enumeration_end(chunk: Chunk, spans: list[tuple[int, int]], counts: list[int], free: list[bool], first: int,
                     last: int, cap: int) -> int:
    """A quote that announces a list ("…four outcomes: 1) …") runs on through the list's items in its passage,
    up to `cap` words: a lead-in or a first item alone does not answer "what were the outcomes". An item
    that ends in a semicolon ("…; and") says another follows."""
    while last + 1 < len(spans) and free[last + 1] and sum(counts[first : last + 2]) <= cap:
        following = _text_of(chunk, spans[last + 1])
        if not (_text_of(chunk, spans[last]).rstrip().endswith((":", ";", "; and", "; or"))
                or _NEXT_ITEM.match(following) or _ELABORATION.match(following)):
            break
        last += 1
    return last


def abstain(question: str, query: str, hits: list[Hit], reason: str,
            answerability: Answerability | None = None) -> Answer:
    text = f"The reports do not answer this: {reason} The nearest passages are listed below; none of them is an answer."
    return Answer(question, query, text, True, reason, (), tuple(hits), answerability=answerability)


def decline(question: str, query: str, reason: str) -> Answer:
    """An abstention before any search: the question itself cannot be read, so no passage is shown."""
    return Answer(question, query, f"This question cannot be answered: {reason}", True, reason, (), ())


def compose(
    question: str,
    query: str,
    hits: list[Hit],
    documents: Mapping[str, Document],
    embedder: Embedder,
    settings: AnsweringSettings,
    sentence_vectors: SentenceVectors,
) -> Answer:
    """Answer from verified quotes of the top passages, or decline with the reason."""
    if not hits:
        return abstain(question, query, hits, "no passage in the index matches the question.")
    asked = read_question(query)
    sentences = _candidates(asked, hits, embedder, sentence_vectors, settings.answer_weight)
    if not sentences:
        return abstain(question, query, hits, "no sentence in the closest passages answers the question.")
    chosen, missing = _select(sentences, asked, settings)
    if len(asked.parts) > 1:
        chosen = _per_part(sentences, chosen, asked, embedder, settings)
        # A part's quote may hold the specific the first quote lacks ("2019" beside a 2021 passage).
        missing = [m for m in missing
                   if all(m in missing_terms(asked.terms, context_text(s.hit.chunk)) for s in chosen)]
    kind_missing = not asked.several_parts and not gives_required_type(asked.required, chosen[0].text, asked.terms)
    lead = chosen[0]
    short = _short_answer(asked, lead, documents)
    if settings.quote_words:
        scores = {(s.hit.chunk.doc, s.start): s.score for s in sentences}
        widened: list[_Sentence] = []
        for sentence in chosen:
            # A second part answered in the same paragraph may already sit inside the first quote, widened.
            if not any(_overlaps(t, sentence) for t in widened):
                widened.append(_widen(sentence, scores, settings.quote_words, tuple(widened)))
        chosen = widened
    # A count of something else ("38 member countries" for "how many signatories") is not the answer.
    # So is a count in a passage about another year or meeting ("340 practitioners" in 2017, asked of 2021).
    count_missing = bool(short is None and asked.counted
                         and not any(short_span("number", query, asked.terms, s.text) for s in chosen
                                     if not missing_terms(asked.terms, context_text(s.hit.chunk))))
    top = max(_stage(h, "closeness") for h in hits[:_PASSAGES_READ])
    verdict = _judge(asked, sentences[0], lead, top, missing, kind_missing, count_missing, settings)
    # The answer's kind is a requirement, not a weight: "how many" is not answered by a sentence without a count.
    if not verdict.answers or kind_missing or count_missing:
        reason = _reason(asked, missing, kind_missing, count_missing, top, settings)
        if not verdict.answers:
            reason = f"{reason[:-1]} (answerability {verdict.probability:.2f}, below {verdict.threshold:.2f})."
        return abstain(question, query, hits, reason, verdict)
    citations: list[Citation] = []
    lines: list[str] = []
    if short is not None:
        lines.append(f"Short answer: “{short.text}” [1]")
    # The quotes alone, each with its marker: the report, place, date and section of [n] are in the citation
    # printed under the answer (the UI's source cards and marker links), not repeated in the text. An
    # "According to <title> (<place>, <year>):" line had taken 18 of a devset answer's median 75 words.
    for n, sentence in enumerate(chosen, start=1):
        document = documents[sentence.hit.chunk.doc]
        quote = verify_quote(document, sentence.start, sentence.end, sentence.text)
        citations.append(Citation(n=n, quote=quote, chunk=sentence.hit.chunk))
        lines.append(f"“{quote.text}” [{n}]")
    return Answer(question, query, "\n".join(lines), False, None, tuple(citations), tuple(hits), short=short,
                  answerability=verdict)


def answer_features(question: Question, best: _Sentence, lead: _Sentence, top: float, missing: list[str],
                    kind_missing: bool, count_missing: bool) -> dict[str, float]:
    """What the answerability model weighs (rag.answerability.FEATURES), for the answer compose() would give."""
    specifics = question.terms.specifics
    chunk = lead.hit.chunk
    return {
        "best_sentence": best.score, "lead_sentence": lead.score, "top_passage": top,
        "lead_passage": _stage(lead.hit, "closeness"),
        "coverage": _overlap(question.terms.stems, context_text(chunk)),
        "specifics": float(min(specifics, 3)),
        "missing_share": len(missing) / specifics if specifics else 0.0,
        "missing_detail": float(any(m not in question.terms.names for m in missing)),
        "kind_missing": float(kind_missing), "count_missing": float(count_missing),
    }


def _judge(question: Question, best: _Sentence, lead: _Sentence, top: float, missing: list[str],
           kind_missing: bool, count_missing: bool, settings: AnsweringSettings) -> Answerability:
    features = answer_features(question, best, lead, top, missing, kind_missing, count_missing)
    cut = settings.min_answerability
    return default_model().judge(features, None if cut < 0 else cut)


def _reason(question: Question, missing: list[str], kind_missing: bool, count_missing: bool, top: float,
            settings: AnsweringSettings) -> str:
    """The plainest of the signals that weighed against answering, in words a reader can check."""
    if kind_missing:
        return f"the closest passages are on this topic but none gives the {question.required} the question asks for."
    if missing:
        shown = ", ".join(f"“{m}”" for m in missing)
        return f"the closest passages are on this topic but never mention {shown}."
    if count_missing:
        return (f"the closest passages are on this topic but none gives the count it asks for "
                f"(“how many {question.counted}”).")
    if top < settings.min_passage_score:
        return (f"even the closest passage is only loosely related (similarity {top:.2f}, "
                f"below {settings.min_passage_score:.2f}).")
    return "no sentence in the closest passages answers the question."


def _short_answer(question: Question, lead: _Sentence, documents: Mapping[str, Document]) -> Quote | None:
    span = short_span(question.short_kind, question.text, question.terms, lead.text)
    if span is None:
        return None
    start, end = lead.start + span[0], lead.start + span[1]
    return verify_quote(documents[lead.hit.chunk.doc], start, end, lead.text[span[0] : span[1]])

