"""Short answers: the exact words of the lead quote that answer a who / how-many / when question
("87 government delegates", "Mr. Ola Henrikson", "29 March 2016"). A span is always a slice of the
quote, so it can say nothing the quote does not; questions of other kinds get none."""

from __future__ import annotations

import re

from .evidence import QueryTerms
from .text import MONTH_NAMES, NUMBER_WORDS, PERSON_TITLES, STOPWORDS, content_words, stem, unmarked

_NAME_WORD = r"[A-Z][\w'’-]*\.?"
_PERSON = re.compile(
    rf"\b{PERSON_TITLES}\s+(?:{_NAME_WORD}\s+|(?:de|da|van|von|der|del|al|bin|la)\s+){{0,4}}[A-Z][\w'’-]*")
_BY_NAME = re.compile(
    r"\w*\s+by\s+((?:[A-Z][\w'’.-]*)(?:\s+(?:(?:de|da|van|von|der|del|al|bin|la)\s+)?[A-Z][\w'’-]*){0,4})")
_NOT_DATE_CUES = frozenset("what when which does will were have that this with from each until since".split())
_QUANTITY = re.compile(
    r"(?:\b(?:around|about|over|more than|less than|fewer than|up to|nearly|almost|some|at least)\s+)?"
    r"(?:(?:USD|US\$|EUR|\$|€)\s?)?"
    rf"(?:\b\d[\d,]*(?:\.\d+)?|\b(?:{'|'.join(NUMBER_WORDS)})\b)"
    r"(?:\s?(?:%|percent|per cent|million|billion))?",
    re.IGNORECASE,
)
_NOUN_WORD = re.compile(r"\s+([A-Za-z][\w'’-]*)")
_PHRASE_END = frozenset(
    """from representing in at to and or were was who which that by for of on with as had have has is are
    during since until each per""".split()
)
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:\s*[-–]\s*\d{{1,2}})?\s+(?:{MONTH_NAMES})(?:\s+(?:19|20)\d{{2}})?"
    rf"|(?:{MONTH_NAMES})\s+\d{{1,2}}(?:,\s*(?:19|20)\d{{2}})?"
    rf"|(?:{MONTH_NAMES})\s+(?:19|20)\d{{2}}"
    r"|(?:19|20)\d{2})\b"
)


def _stems(text: str) -> set[str]:
    text = re.sub(r"iz(?=e|ation|ing)", "is", text.lower())  # "organizations" counts "organisations"
    return {stem(w) for w in content_words(text)}


def _quantities(sentence: str, terms: QueryTerms) -> list[tuple[int, int]]:
    spans = []
    for match in _QUANTITY.finditer(sentence):
        digits = re.sub(r"\D", "", match.group(0))
        if digits and (digits in terms.years or digits in {re.sub(r"\D", "", n) for n in terms.numbers}):
            continue  # the question's own year or number is not its answer
        if re.fullmatch(r"(?:19|20)\d{2}", match.group(0).strip()):
            continue  # a year is a date, not a count
        end = match.end()
        for _ in range(3):  # the counted noun: up to three words, stopping at a function word
            word = _NOUN_WORD.match(sentence, end)
            if not word or word.group(1).lower() in _PHRASE_END:
                break
            end = word.end()
        spans.append((match.start(), end))
    return spans


def _cue_positions(words: list[str], sentence: str) -> list[tuple[int, int]]:
    """Where the question's words (by their first five letters) occur in the sentence."""
    found = []
    for word in words:
        found += [m.span() for m in re.finditer(rf"\b{re.escape(word[:5])}", sentence, re.IGNORECASE)]
    return found


def _near(span: tuple[int, int], cues: list[tuple[int, int]], reach: int = 40) -> int | None:
    """Characters between a span and the closest cue on either side, if within reach."""
    gaps = [max(span[0] - c_end, c_start - span[1]) for c_start, c_end in cues]
    gaps = [g for g in gaps if -1 <= g <= reach]
    return min(gaps) if gaps else None


_CONJUNCT_WORDS = 3


def counted_noun(question: str) -> str | None:
    """The noun phrase a "how many" question counts ("Member States", "Latin American and Caribbean states and
    associate members"), if it names one: up to three words, then as many more after each "and" / "or", to a
    function word."""
    counted = re.search(r"\bhow many\s+", question, re.IGNORECASE)
    if not counted:
        return None
    end, taken = counted.end(), 0
    for word in re.finditer(r"[\w'’-]+", question[counted.end():]):
        lower = word.group(0).lower()
        if lower in ("and", "or") and taken:
            taken = 0  # a coordinated noun: "… states and associate members"
            continue
        if lower in _PHRASE_END or lower in STOPWORDS or taken == _CONJUNCT_WORDS:
            break
        end, taken = counted.end() + word.end(), taken + 1
    phrase = question[counted.end() : end].strip()
    return phrase if phrase and _stems(phrase) else None


def short_span(kind: str | None, question: str, terms: QueryTerms, sentence: str) -> tuple[int, int] | None:
    """(start, end) of the `kind` of short answer ("person", "number", "date") inside `sentence`, or None
    when the sentence does not single one out: a wrong short answer would be a claim the quote does not
    make, so this errs towards none."""
    if kind is None:
        return None
    sentence = unmarked(sentence)  # "4. The Chair …": the paragraph's number is not a count
    if kind == "person":
        # Next to the question's own verb: "chaired by Mr. X", "Ms. Y moderated"; never just the first name.
        verb = re.match(r"\s*(?:who|by whom)\s+(?:was|were|is|are|did|has|had)?\s*(\w+)", question, re.IGNORECASE)
        if verb is None or len(verb.group(1)) < 4:
            return None
        cues = _cue_positions([verb.group(1)], sentence)
        people = [(gap, m.span()) for m in _PERSON.finditer(sentence)
                  if (gap := _near(m.span(), cues)) is not None]
        if people:
            return min(people)[1]
        # No title: "chaired by Begum Samsun Nahar, …", "developed by IOM".
        for _, cue_end in cues:
            by = _BY_NAME.match(sentence, cue_end)
            if by:
                return by.span(1)
        return None
    if kind == "number":
        # "How many Member States …": the quantity of that noun, not the first number in the sentence.
        counted = counted_noun(question)
        if counted is None:  # "how much …": the three words after it
            much = re.search(r"\bhow much\s+((?:[\w'’-]+\s*){1,3})", question, re.IGNORECASE)
            counted = much.group(1) if much else ""
        noun = _stems(counted)
        scored = [(len(_stems(sentence[a:b]) & noun), -a, (a, b)) for a, b in _quantities(sentence, terms)]
        scored = [s for s in scored if s[0] > 0]
        return max(scored)[2] if scored else None
    words = [w for w in re.findall(r"[A-Za-z]{4,}", question) if w.lower() not in _NOT_DATE_CUES]
    cues = _cue_positions(words, sentence)
    dates = [(gap, m.span()) for m in _DATE.finditer(sentence)
             if m.group(0) not in terms.years and (gap := _near(m.span(), cues)) is not None]
    return min(dates)[1] if dates else None
