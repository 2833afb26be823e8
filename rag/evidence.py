"""Lexical evidence: the question's numbers, years and names matched in a passage and its metadata.

No cross-encoder ships offline, so this is what tells "87 delegates in Bangkok" from a
paragraph on the right topic about the wrong workshop, country or year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexical import STOPWORDS, content_words, stem
from .types import Chunk

_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_NAME = re.compile(r"\b[A-Z][A-Za-zÀ-ÿ’'-]*[A-Za-zÀ-ÿ]|\b[A-Z]{2,}\b")
_QUESTION_WORDS = frozenset(
    """what which who whom whose when where why how did does do is are was were according in on at for
    and or the a an tell list name give summarise summarize describe explain please gfmd global forum
    migration development report reports meeting workshop session""".split()
)
_MONTHS = frozenset(
    "january february march april may june july august september october november december".split()
)


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """What a passage must mention to answer this question, beyond its topic."""

    years: tuple[str, ...]
    numbers: tuple[str, ...]  # non-year numbers, e.g. an objective number
    names: tuple[str, ...]  # proper names and acronyms, lower-cased
    stems: tuple[str, ...]  # stems of the content words


def query_terms(question: str) -> QueryTerms:
    years = tuple(dict.fromkeys(_YEAR.findall(question)))
    numbers = tuple(dict.fromkeys(n for n in _NUMBER.findall(question) if n not in years))
    names = []
    for match in _NAME.finditer(question):
        word = match.group(0)
        lower = word.lower()
        if lower in _QUESTION_WORDS or lower in STOPWORDS or lower in _MONTHS:
            continue
        names.append(lower)
    stems = tuple(dict.fromkeys(stem(w) for w in content_words(question)))
    return QueryTerms(years, numbers, tuple(dict.fromkeys(names)), stems)


def context_text(chunk: Chunk) -> str:
    """The passage with what a reader sees around it: report title, date, place, section."""
    return " ".join([chunk.text, chunk.title, chunk.date or "", chunk.place or "", *chunk.section]).lower()


def _name_present(name: str, context: str) -> bool:
    if name in context:
        return True
    # Demonyms and plurals: "Swedish" ~ "Sweden", "Filipinos" ~ "Philippines" is beyond this, by design.
    return len(name) >= 6 and name[:5] in context


def missing_terms(terms: QueryTerms, chunk_context: str) -> list[str]:
    """The question's years, numbers and names that this passage and its metadata never mention."""
    missing = [y for y in terms.years if y not in chunk_context]
    missing += [n for n in terms.numbers if not re.search(rf"\b{re.escape(n)}\b", chunk_context)]
    missing += [n for n in terms.names if not _name_present(n, chunk_context)]
    return missing


def evidence_score(terms: QueryTerms, chunk: Chunk) -> float:
    """A bonus in [-0.15, 0.25] for matching the question's specifics, a penalty for the wrong year."""
    context = context_text(chunk)
    specifics = len(terms.years) + len(terms.numbers) + len(terms.names)
    score = 0.0
    if specifics:
        found = specifics - len(missing_terms(terms, context))
        score += 0.2 * found / specifics
    wrong_year = terms.years and chunk.year is not None and str(chunk.year) not in terms.years
    if wrong_year and not any(y in chunk.text for y in terms.years):
        score -= 0.15
    if terms.stems:
        text_stems = {stem(w) for w in content_words(chunk.text)}
        score += 0.05 * sum(s in text_stems for s in terms.stems) / len(terms.stems)
    return score
