"""Compare view: one verified quote per year, place or report, so "compare X across reports" reads as a table."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import GroundingError, QuestionError
from .grounding import verify_quote
from .pipeline import Assistant
from .retrieval import Filters
from .types import Citation

MAX_GROUPS = 5  # rows when the question names no years or places: the distinct reports of the top passages
_SEARCH_DEPTH = 20  # passages looked at to find those reports
_COMPARE = re.compile(
    r"\b(?:compar(?:e|es|ed|ing|ison)|contrast(?:s|ed|ing)?|versus|vs\.?|across|differ(?:s|ed|ence|ences|ent)?)\b"
    r"|\bbetween\b.+\band\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_FILLER = re.compile(
    r"\b(?:compar(?:e|es|ed|ing|ison)(?:\s+(?:with|to))?|contrast(?:s|ed|ing)?(?:\s+with)?|versus|vs\.?|across|"
    r"between|differ(?:s|ed|ence|ences|ent)?|and|reports?|years?|the two|all)\b",
    re.IGNORECASE,
)
_PREPOSITION = r"(?:in|at|of|on|for|from|to|with|by|over|about|regarding|as to|in terms of|with respect to)"
_DANGLING = re.compile(rf"(?:\s+\b(?:{_PREPOSITION}|the))+\s*(?=[?.]?$)", re.IGNORECASE)
_LEADING = re.compile(rf"^(?:{_PREPOSITION}\b\s*)+", re.IGNORECASE)
# The question around a comparison, which no row needs: "how do ... differ", "what are the differences ...",
# "in what ways did ...", "how does ... compare".
_SCAFFOLD = re.compile(
    r"^\s*(?:how\s+(?:do|does|did|have|has|had|is|are|was|were)|in\s+what\s+ways?\s+(?:do|does|did|is|are|was|were)"
    r"|what\s+(?:is|are|was|were)(?:\s+the)?(?:\s+(?:main|key|major|chief))?(?=\s+(?:differ|contrast|compar)))\b",
    re.IGNORECASE,
)
# What the groups differ in: "differ in X", "the differences on X between ...", "... versus ... on X".
_ASPECT = re.compile(
    r"\b(?:differ\w*|contrast\w*|compar\w*|versus|vs\.?)\s+(?:in\s+terms\s+of|with\s+respect\s+to|as\s+to|in|on|over|"
    r"about|regarding)\s+(?P<aspect>.+?)(?=\s+between\b|\s*[?.!]?\s*$)",
    re.IGNORECASE,
)


def is_comparison(question: str) -> bool:
    """True for "compare X ...", "X versus Y", "across reports", "how did X differ", "between A and B"."""
    return bool(_COMPARE.search(question or ""))


@dataclass(frozen=True, slots=True)
class Group:
    """One row of a comparison: its label and the filter that restricts answering to it."""

    label: str
    filters: Filters


@dataclass(frozen=True, slots=True)
class CompareRow:
    """The best verified quote of one group, or why that group has none."""

    label: str
    citation: Citation | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        if (self.citation is None) == (self.reason is None):
            raise ValueError(f"compare row {self.label!r}: give either a citation or the reason there is none")


@dataclass(frozen=True, slots=True)
class Comparison:
    """A question compared across groups: one row per year, place or report, in the order named."""

    question: str
    topic: str  # what was asked of each group (the question without the comparison words and group names)
    rows: tuple[CompareRow, ...]


def _named_places(assistant: Assistant, question: str) -> list[str]:
    places = {c.place for c in assistant.index.corpus.samples() if c.place}
    found = [(m.start(), p) for p in places if (m := re.search(rf"\b{re.escape(p)}\b", question, re.IGNORECASE))]
    return [p for _, p in sorted(found)]


def _named_years(question: str) -> list[int]:
    return list(dict.fromkeys(int(y) for y in _YEAR.findall(question)))


def _tidy(text: str) -> str:
    """Filler words out, spaces and punctuation closed up, repeated words and dangling prepositions dropped."""
    text = _FILLER.sub(" ", text)
    text = re.sub(r"\s+([,?.;:])", r"\1", re.sub(r"\s+", " ", text)).strip(" ,;:")
    # "the the", "the workshop the workshop": what is left where the group names were taken out
    text = re.sub(r"\b((?:\w+\s+){0,2}\w+)(?:\s+\1\b)+", r"\1", text, flags=re.IGNORECASE)
    text = _DANGLING.sub("", text).strip(" ,;:?.!")
    return _LEADING.sub("", text).strip(" ,;:?.!")


def topic_of(question: str, names: list[str]) -> str:
    """The question with the comparison words and the group names taken out: what each group is asked.

    "How do the Bangkok and Geneva workshops differ in attendance?" and "What are the differences in attendance
    between ..." both ask each group about "attendance of the workshops"."""
    text = question
    for name in names:
        text = re.sub(rf"\b{re.escape(name)}\b", " ", text, flags=re.IGNORECASE)
    text = _SCAFFOLD.sub(" ", text)
    aspect = ""
    if found := _ASPECT.search(text):
        aspect = _tidy(found.group("aspect"))
        text = text[: found.start()] + " " + text[found.end():]
    text = _tidy(text)
    if aspect and any(ch.isalpha() for ch in text):
        text = f"{aspect} of {text}"
    elif aspect:
        text = aspect
    return text if any(ch.isalpha() for ch in text) else question


def _within(group: Filters, within: Filters) -> Filters:
    """The group's filter inside the user's: what the group names replaces that kind of filter, the rest stays."""
    return Filters(docs=group.docs or within.docs, years=group.years or within.years,
                   places=group.places or within.places)


def groups_of(
    assistant: Assistant, question: str, max_groups: int = MAX_GROUPS, within: Filters | None = None
) -> tuple[tuple[Group, ...], str]:
    """The groups a question names (two or more years, else two or more places), else the distinct reports
    among its top passages (under `within`, the user's filters); with the topic each group is asked."""
    within = within or Filters()
    years = _named_years(question)
    places = _named_places(assistant, question)
    topic = topic_of(question, [*(str(y) for y in years), *places])  # a named year would clash with other rows
    if len(years) >= 2:
        return tuple(Group(str(y), _within(Filters(years=(y,)), within)) for y in years), topic
    if len(places) >= 2:
        return tuple(Group(p, _within(Filters(places=(p,)), within)) for p in places), topic
    reports: dict[str, str] = {}
    for hit in assistant.search(topic, k=_SEARCH_DEPTH, filters=within):
        reports.setdefault(hit.chunk.doc, hit.chunk.title or hit.chunk.doc)
        if len(reports) == max_groups:
            break
    return tuple(Group(title, _within(Filters(docs=(doc,)), within)) for doc, title in reports.items()), topic


def _row(assistant: Assistant, group: Group, topic: str) -> CompareRow:
    try:
        answer = assistant.ask(topic, filters=group.filters, generate=False)
    except QuestionError as exc:  # a named year or place with no report in the index
        return CompareRow(group.label, reason=str(exc))
    if answer.abstained or not answer.citations:
        return CompareRow(group.label, reason=answer.reason or f"no passage from {group.label} answers this")
    citation = answer.citations[0]
    document = assistant.index.documents.get(citation.quote.doc)
    if document is None:
        return CompareRow(group.label, reason=f"{citation.quote.doc} is no longer in the index")
    try:
        quote = verify_quote(document, citation.quote.start, citation.quote.end, citation.quote.text)
    except GroundingError as exc:
        return CompareRow(group.label, reason=str(exc))
    if not group.filters.allows(citation.chunk):
        return CompareRow(group.label, reason=f"no passage from {group.label} answers this")
    return CompareRow(group.label, citation=Citation(citation.n, quote, citation.chunk))


def compare(
    assistant: Assistant, question: str, max_groups: int = MAX_GROUPS, within: Filters | None = None
) -> Comparison:
    """One row per group with its best verified quote (the first citation of the answer within that group);
    `within` (the user's report, year and place filters) narrows every group."""
    groups, topic = groups_of(assistant, question, max_groups, within)
    return Comparison(question, topic, tuple(_row(assistant, g, topic) for g in groups))
