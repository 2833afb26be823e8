"""Follow-up questions rewritten into standalone queries from earlier turns, without an LLM.

A short follow-up changes one slot of the previous question and keeps the rest: a year ("and in 2016?"),
a labelled number ("and roundtable 4?"), an ordinal ("and the fourth?"), a place or other name ("what
about Bangkok?"), or the topic ("and what about return?"). The slot is substituted where the previous
question had it, so the result stays a grammatical question.
"""

from __future__ import annotations

import re

from .evidence import ORDINAL, YEAR, query_terms

_FOLLOW_UP_LEAD = re.compile(
    r"^\s*(?:and|but|also|so)?\s*(?:what|how)\s+about\s+|^\s*(?:and|but|also)\s+(?:on|for|regarding|about)?\s*",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"\b(?:it|its|they|them|their|this|that|these|those|there|he|she|his|her)\b", re.IGNORECASE)
_TOPIC_TAIL = re.compile(r"\b(on|about|regarding|concerning|for|of)\s+([^?]+?)\s*\??\s*$", re.IGNORECASE)
_PREPOSITION = re.compile(r"^(?:in|at|for|from|during|of|the|then)\s+", re.IGNORECASE)
_LABELLED = re.compile(r"\b([A-Za-z]{3,})\s+(\d{1,3})\b")
_NAME = re.compile(r"\b[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*")
_EVENT = r"(?:workshop|meeting|summit|session|report|forum|conference|roundtable|dialogue)"


def _is_follow_up(question: str) -> bool:
    words = question.split()
    if _FOLLOW_UP_LEAD.match(question) and len(words) <= 8:
        return True
    return len(words) <= 7 and bool(_PRONOUN.search(question)) and not query_terms(question).names


def _strip(focus: str) -> str:
    """The slot's words without the leading preposition or article ("in 2019" -> "2019")."""
    while True:
        shorter = _PREPOSITION.sub("", focus)
        if shorter == focus:
            return focus
        focus = shorter


def _substitute(previous: str, focus: str) -> str | None:
    """`previous` with the one slot `focus` names replaced, or None when `focus` names no slot it has."""
    core = _strip(focus)
    years = YEAR.findall(core)
    if years and YEAR.sub("", core).strip(" ,") in ("", "and"):
        if YEAR.search(previous):  # "the 2019 workshop" -> "the 2016 workshop"
            return YEAR.sub(years[0], previous, count=1)
        event = re.search(rf"\b{_EVENT}s?\b", previous, re.IGNORECASE)
        if event:  # "the Geneva workshop" -> "the 2016 Geneva workshop"
            head = previous[: event.start()]
            article = re.search(r"\b(the|a|an)\s+(?=[^?]*$)", head, re.IGNORECASE)
            if article:
                return f"{previous[: article.end()]}{years[0]} {previous[article.end() :]}"
        return f"{previous.rstrip().rstrip('?')} in {years[0]}?"
    labelled = _LABELLED.fullmatch(core)
    if labelled:  # "roundtable 4" for "Roundtable 3"
        label, number = labelled.groups()
        root = re.escape(label[: max(4, len(label) - 1)])
        pattern = re.compile(rf"\b({root}\w*\s+)\d{{1,3}}\b", re.IGNORECASE)
        if pattern.search(previous):
            return pattern.sub(lambda m: f"{m.group(1)}{number}", previous, count=1)
        return None
    ordinal = ORDINAL.fullmatch(core.lower().removesuffix(" one"))
    if ordinal and ORDINAL.search(previous):  # "the third roundtable" -> "the fourth roundtable"
        return ORDINAL.sub(ordinal.group(1), previous, count=1)
    words = len(core.split())
    if _NAME.fullmatch(core) and (words == 1 or (words == 2 and not _TOPIC_TAIL.search(previous))):
        # A place for a place: the name before "workshop" / "meeting" or after "in" / "at" in the previous
        # question. A longer capitalised phrase ("the Global Compact") is more likely a new topic.
        places = [m for m in _NAME.finditer(previous) if m.start() > 0 and not m.group(0).isupper() and (
            re.match(rf"\s+{_EVENT}", previous[m.end() :], re.IGNORECASE)
            or re.search(r"\b(?:in|at)\s+$", previous[: m.start()], re.IGNORECASE))]
        if places:
            target = places[-1]
            return f"{previous[: target.start()]}{core}{previous[target.end() :]}"
    return None


def rewrite(question: str, history: list[str]) -> str:
    """The standalone query for `question`, given earlier standalone queries (oldest first).

    "and what about return?" after "What did the 2019 workshop recommend on fair recruitment?"
    becomes "What did the 2019 workshop recommend on return?"; "and in 2016?" becomes "What did the
    2016 workshop recommend on fair recruitment?".
    """
    question = question.strip()
    if not history or not _is_follow_up(question):
        return question
    previous = history[-1].strip()
    lead = _FOLLOW_UP_LEAD.match(question)
    if lead:
        focus = question[lead.end():].strip().rstrip("?").strip()
        if not focus:
            return previous
        substituted = _substitute(previous, focus)
        if substituted is not None:
            return substituted
        tail = _TOPIC_TAIL.search(previous)
        if tail:
            return f"{previous[: tail.start(2)]}{focus}?"
        return f"{previous.rstrip('?')} - {focus}?"
    # A pronoun follow-up ("Who chaired it?"): carry over what the previous query was about.
    terms = query_terms(previous)
    carried = [w for w in re.findall(r"[\w’'-]+", previous) if w.lower() in terms.names or w in terms.years]
    tail = _TOPIC_TAIL.search(previous)
    context = [" ".join(carried)] if carried else []
    context += [tail.group(2).strip()] if tail else []
    if not context:
        context = [previous.rstrip("?")]
    return f"{question.rstrip('?')} ({'; '.join(context)})?"
