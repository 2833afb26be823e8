"""The question, analysed once: what kind of answer it wants, its specifics and its content stems.

Answering, the learned sentence scorer and short answers all read this one record, so the question's
kind is decided in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .evidence import QueryTerms, query_terms
from .lexical import content_words, stem

AnswerKind = Literal["person", "number", "date", "place", "other"]

_NUMBER_Q = re.compile(r"\bhow (?:many|much|large|big|long|often)\b|\bwhat (?:share|percentage|proportion|number|"
                       r"amount|sum|budget|figure)\b|\bhow much\b", re.IGNORECASE)
_DATE_Q = re.compile(r"^\s*(?:and\s+)?when\b|\bwhat (?:date|day|year|month|time)\b|\bwhich (?:year|month|date|day)\b|"
                     r"\bin which (?:year|month)\b|\bby when\b|\bsince when\b", re.IGNORECASE)
_PERSON_Q = re.compile(r"^\s*(?:and\s+)?(?:who|whom|whose|by whom)\b|\bwhich (?:person|official|minister|speaker|"
                       r"ambassador|director)\b", re.IGNORECASE)
_PLACE_Q = re.compile(r"^\s*(?:and\s+)?where\b|\bin which (?:city|country|place)\b|\bwhich (?:city|country|venue)\b",
                      re.IGNORECASE)

# "… and who presented …", "in 2016 and in 2019", "the Bangkok workshop and the Geneva workshop"; not a topic
# such as "connectivity and business".
SEVERAL_PARTS = re.compile(
    r"\band\s+(?:who|what|when|where|which|how|whom|whose|in how|on what|at|in|\d|the\s+(?:[A-Z]|\d))"
    r"|,\s*and\b|\b(?:compare|both|respectively|versus)\b|\beach\b(?!\s+(?:year|day|month|week))", re.IGNORECASE)


def answer_kind(text: str) -> AnswerKind:
    """The kind of words that answer the question; "other" for what/why/how questions."""
    if _NUMBER_Q.search(text):
        return "number"
    if _DATE_Q.search(text):
        return "date"
    if _PERSON_Q.search(text):
        return "person"
    if _PLACE_Q.search(text):
        return "place"
    return "other"


@dataclass(frozen=True, slots=True)
class Question:
    """A question as the answering stages see it."""

    text: str
    kind: AnswerKind
    stems: tuple[str, ...]  # content stems, in question order, unique
    terms: QueryTerms  # years, numbers, names, labelled numbers, ordinals
    parts: int = 1  # 2 for a question in several parts ("when ... and who ..."), which quotes answer part by part

    @property
    def specifics(self) -> int:
        t = self.terms
        return len(t.years) + len(t.numbers) + len(t.names) + len(t.labelled) + len(t.ordinals)


def analyse(text: str) -> Question:
    stems = tuple(dict.fromkeys(stem(w) for w in content_words(text)))
    parts = 2 if SEVERAL_PARTS.search(text) else 1
    return Question(text=text, kind=answer_kind(text), stems=stems, terms=query_terms(text), parts=parts)
