"""Follow-up questions rewritten into standalone queries from earlier turns, without an LLM."""

from __future__ import annotations

import re

from .evidence import query_terms

_FOLLOW_UP_LEAD = re.compile(
    r"^\s*(?:and|but|also|so)?\s*(?:what|how)\s+about\s+|^\s*(?:and|but|also)\s+(?:on|for|regarding|about)?\s*",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"\b(?:it|its|they|them|their|this|that|these|those|there|he|she|his|her)\b", re.IGNORECASE)
_TOPIC_TAIL = re.compile(r"\b(on|about|regarding|concerning|for|of)\s+([^?]+?)\s*\??\s*$", re.IGNORECASE)


def _is_follow_up(question: str) -> bool:
    words = question.split()
    if _FOLLOW_UP_LEAD.match(question) and len(words) <= 8:
        return True
    return len(words) <= 7 and bool(_PRONOUN.search(question)) and not query_terms(question).names


def rewrite(question: str, history: list[str]) -> str:
    """The standalone query for `question`, given earlier standalone queries (oldest first).

    "and what about return?" after "What did the 2019 workshop recommend on fair recruitment?"
    becomes "What did the 2019 workshop recommend on return?".
    """
    question = question.strip()
    if not history or not _is_follow_up(question):
        return question
    previous = history[-1].strip()
    lead = _FOLLOW_UP_LEAD.match(question)
    if lead:
        focus = question[lead.end():].strip().rstrip("?").strip()
        tail = _TOPIC_TAIL.search(previous)
        if focus and tail:
            return f"{previous[: tail.start(2)]}{focus}?"
        if focus:
            return f"{previous.rstrip('?')} - {focus}?"
        return previous
    # A pronoun follow-up ("Who chaired it?"): carry over what the previous query was about.
    terms = query_terms(previous)
    carried = [w for w in re.findall(r"[\w’'-]+", previous) if w.lower() in terms.names or w in terms.years]
    tail = _TOPIC_TAIL.search(previous)
    context = [" ".join(carried)] if carried else []
    context += [tail.group(2).strip()] if tail else []
    if not context:
        context = [previous.rstrip("?")]
    return f"{question.rstrip('?')} ({'; '.join(context)})?"
