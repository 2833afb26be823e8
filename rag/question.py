"""What a question asks, read once: its specifics, its parts, the kind of answer it wants and what a
quoted sentence must hold. Retrieval and answering use this record instead of re-reading the text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .evidence import QueryTerms, answer_kind, query_terms, required_kind
from .spans import counted_noun

# "… and who presented …", "in 2016 and in 2019", "the Bangkok workshop and the Geneva workshop"; not a topic
# such as "connectivity and business".
SEVERAL_PARTS = re.compile(
    r"\band\s+(?:who|what|when|where|which|how|whom|whose|in how|on what|at|in|\d|the\s+(?:[A-Z]|\d))"
    r"|,\s*and\b|\b(?:compare|both|respectively|versus)\b|\beach\b(?!\s+(?:year|day|month|week))", re.IGNORECASE)
# Looser: any "and", comma or comparison. Such a question may take extra quotes that supply a specific it
# names (a second year, place or report) which the first quote lacks; a one-part question may not, or
# "the 2015 Summit" would be answered by a 2021 passage plus any passage that says "2015".
_JOINED = re.compile(r"\b(?:and|both|each|compare|respectively|versus|vs)\b|,", re.IGNORECASE)

# "…, and what roles did they have?", "… and in how many phases …?", "…; and …": where a second question
# begins. A topic joined by "and" ("connectivity and business") is not a second question.
_PART_BOUNDARY = re.compile(
    r",?\s+and\s+(?=(?:(?:in|on|at|for|from|by|across)\s+)?(?:who|whom|whose|what|when|where|which|why|how)\b)"
    r"|,\s*and\s+|;\s*(?:and\s+)?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    terms: QueryTerms  # the years, numbers, names and labels a passage must mention
    parts: tuple[str, ...]  # the questions it joins; (text,) for one
    several_parts: bool  # asks several things: no short answer, no answer-kind gate on the first quote
    joined: bool  # any "and", comma or comparison (see _JOINED)
    kind: str | None  # "person", "number" or "date": the answer a one-part question wants
    required: str | None  # what a one-part question's quote must visibly hold: a sum of money, a share, ...
    counted: str | None  # the noun a "how many" question counts ("Member States")

    @property
    def short_kind(self) -> str | None:
        """The kind of short answer a span of the first quote can give; none for a question in parts."""
        return None if self.several_parts else self.kind


def question_parts(question: str) -> tuple[str, ...]:
    """The questions a question joins ("How many posters …, and how long was its video?" -> two), each at
    least two words; a question in one part is returned whole."""
    parts = [p.strip(" ,;?") for p in _PART_BOUNDARY.split(question)]
    parts = [p for p in parts if len(p.split()) >= 2]
    return tuple(parts) if len(parts) > 1 else (question,)


@lru_cache(maxsize=256)
def read_question(text: str) -> Question:
    """The question analysed once: retrieval and answering both ask for it, and get the same frozen record."""
    several = SEVERAL_PARTS.search(text) is not None
    kind = answer_kind(text)
    return Question(
        text=text, terms=query_terms(text), parts=question_parts(text), several_parts=several,
        joined=_JOINED.search(text) is not None, kind=kind, required=required_kind(text),
        counted=counted_noun(text) if kind == "number" and not several else None,
    )
