"""Lexical evidence: the question's numbers, years and names matched in a passage and its metadata.

No cross-encoder ships offline, so this is what tells "87 delegates in Bangkok" from a
paragraph on the right topic about the wrong workshop, country or year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from .text import MONTH_NAMES, MONTHS, NUMBER_WORDS, PERSON_TITLES, STOPWORDS, content_words, stem, unmarked
from .types import Chunk

_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")
YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_NAME = re.compile(r"\b[A-Z][A-Za-zÀ-ÿ’'-]*[A-Za-zÀ-ÿ]|\b[A-Z]{2,}\b")
_QUESTION_WORDS = frozenset(
    """what which who whom whose when where why how did does do is are was were according in on at for
    and or the a an tell list name give summarise summarize describe explain please gfmd global forum
    migration development report reports meeting workshop session""".split()
)
_ORDINALS = {w: str(i) for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split(), start=1)}
ORDINAL = re.compile(r"\b(" + "|".join(_ORDINALS) + r")\b", re.IGNORECASE)
# "Roundtable 5", "cluster 3", "Objectives 4 and 8": a number that names something, not a quantity.
_LABELLED = re.compile(r"\b([A-Za-z][A-Za-z-]{2,})\s+(\d{1,3}(?:(?:\s*,\s*|\s+and\s+|\s*&\s*)\d{1,3})*)\b(?![.,]\d)")
_NOT_LABELS = frozenset("than about around over under some nearly almost only top per by".split())


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """What a passage must mention to answer this question, beyond its topic."""

    years: tuple[str, ...]
    numbers: tuple[str, ...]  # non-year numbers, e.g. an objective number
    names: tuple[str, ...]  # proper names and acronyms, lower-cased
    stems: tuple[str, ...]  # stems of the content words
    question: str = ""
    ordinals: tuple[str, ...] = ()  # "fourth" (a passage may say "fourth" or "4")
    labelled: tuple[tuple[str, str], ...] = ()  # ("roundtable", "5"): the label must name that number

    @property
    def specifics(self) -> int:
        """How many years, numbers, names, labels and ordinals the question names."""
        return len(self.years) + len(self.numbers) + len(self.names) + len(self.labelled) + len(self.ordinals)


_DETERMINER = re.compile(r"(?:\b(?:the|its|their|his|her|this|that)|\w['’]s)\s+$", re.IGNORECASE)
_COUNT_AFTER = re.compile(rf"\s+(?:\d+\b(?<!\b(?:19|20)\d\d)|(?:{'|'.join(NUMBER_WORDS)})\b)", re.IGNORECASE)


def _names_one(question: str, match: re.Match[str]) -> bool:
    """"the fourth workshop", "Roosevelt's second term": an ordinal that names one of several, which a passage
    must match; not "first settled", "at first" or "the first three letters" (an adverb, a count)."""
    return (_DETERMINER.search(question, 0, match.start()) is not None
            and _COUNT_AFTER.match(question, match.end()) is None)


def _labelled_numbers(question: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for match in _LABELLED.finditer(question):
        label = match.group(1).lower()
        if label in _NOT_LABELS or label in STOPWORDS or label in MONTHS or label in _QUESTION_WORDS - {
                "session", "workshop", "meeting", "report"}:
            continue
        if label.endswith(("ed", "ing")) and label not in {"meeting", "briefing"}:
            continue  # "attended 87", "including 12": a verb before a quantity, not a label
        pairs += [(label, n) for n in re.findall(r"\d+", match.group(2))]
    return tuple(dict.fromkeys(pairs))


def _labelled_present(label: str, number: str, context: str) -> bool:
    """"roundtable 5" in "Roundtables 3, 4 and 5" or "roundtable 5"; the label's stem, then a number list."""
    root = re.escape(stem(label)[:max(4, len(stem(label)) - 1)])
    between = r"(?:\d{1,3}\s*(?:,|and|&|-|–)\s*)*"
    return re.search(rf"\b{root}\w*\s+(?:no\.?\s*)?{between}{number}\b", context) is not None


def query_terms(question: str) -> QueryTerms:
    years = tuple(dict.fromkeys(YEAR.findall(question)))
    numbers = tuple(dict.fromkeys(n for n in _NUMBER.findall(question) if n not in years))
    names = []
    for match in _NAME.finditer(question):
        word = re.sub(r"['’]s$", "", match.group(0))
        lower = word.lower()
        if lower in _QUESTION_WORDS or lower in STOPWORDS or lower in MONTHS:
            continue
        before = question[: match.start()].rstrip()
        if (not before or before[-1] in ".?!") and not word.isupper():
            continue  # a sentence's first word ("Just the headings.") is capitalised for grammar, not as a name
        names.append(lower)
    stems = tuple(dict.fromkeys(stem(w) for w in content_words(question)))
    labelled = _labelled_numbers(question)
    numbers = tuple(n for n in numbers if n not in {number for _, number in labelled})
    ordinals = tuple(dict.fromkeys(m.group(1).lower() for m in ORDINAL.finditer(question) if _names_one(question, m)))
    return QueryTerms(years, numbers, tuple(dict.fromkeys(names)), stems, question, ordinals, labelled)


def context_text(chunk: Chunk) -> str:
    """The passage with what a reader sees around it: list lead-in, report title, date, place, section."""
    return " ".join([chunk.lead, chunk.text, chunk.title, chunk.date or "", chunk.place or "", *chunk.section]).lower()


def _name_present(name: str, context: str) -> bool:
    if name in context:
        return True
    # Demonyms and plurals: "Swedish" ~ "Sweden", "Filipinos" ~ "Philippines" is beyond this, by design.
    if len(name) >= 6 and name[:5] in context:
        return True
    return _misspelt(name, context)


_WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=2048)
def _long_words(context: str) -> dict[str, tuple[str, ...]]:
    """The distinct words of seven letters or more of a passage's context, by first letter."""
    found: dict[str, set[str]] = {}
    for word in _WORD.findall(context):
        if len(word) >= 7:
            found.setdefault(word[0], set()).add(word)
    return {initial: tuple(words) for initial, words in found.items()}


@lru_cache(maxsize=4096)
def _misspelt(name: str, context: str) -> bool:
    """A long name typed with a slip ("Cheasepeake", "Petionvile", "Connectitcut"): a word of the passage with
    the same first letter, as long within one letter, and nearly the same (difflib ratio >= 0.85). Only names of
    eight letters or more: shorter names that close are often other names ("Austria" / "Australia")."""
    if len(name) < 8:
        return False
    for word in _long_words(context).get(name[0], ()):
        if abs(len(word) - len(name)) <= 1:
            matcher = SequenceMatcher(None, name, word)
            if matcher.real_quick_ratio() >= 0.85 and matcher.quick_ratio() >= 0.85 and matcher.ratio() >= 0.85:
                return True
    return False


def missing_terms(terms: QueryTerms, chunk_context: str) -> list[str]:
    """The question's years, numbers and names that this passage and its metadata never mention."""
    missing = [y for y in terms.years if y not in chunk_context]
    missing += [n for n in terms.numbers if not re.search(rf"\b{re.escape(n)}\b", chunk_context)]
    missing += [n for n in terms.names if not _name_present(n, chunk_context)]
    missing += [f"{label} {n}" for label, n in terms.labelled if not _labelled_present(label, n, chunk_context)]
    missing += [o for o in terms.ordinals
                if not re.search(rf"\b(?:{o}|{_ORDINALS[o]}(?:st|nd|rd|th)?)\b", chunk_context)]
    return missing


def evidence_score(terms: QueryTerms, chunk: Chunk, kind: str | None) -> float:
    """A bonus in [-0.15, 0.25] for matching the question's specifics, a penalty for the wrong year."""
    context = context_text(chunk)
    specifics = terms.specifics
    score = 0.0
    if specifics:
        found = specifics - len(missing_terms(terms, context))
        score += 0.2 * found / specifics
    wrong_year = terms.years and chunk.year is not None and str(chunk.year) not in terms.years
    if wrong_year and not any(y in chunk.text for y in terms.years):
        score -= 0.15
    focus = focus_stems(terms, chunk)
    if focus:
        text_stems = {stem(w) for w in content_words(chunk.text)}
        score += 0.1 * sum(s in text_stems for s in focus) / len(focus)
    return score + answer_type_bonus(kind, chunk.text)


_PERSON = re.compile(rf"\b{PERSON_TITLES}\s+[A-Z][a-z]")
_DATE_WORDS = re.compile(rf"\b(?:1\d{{3}}|20\d{{2}}|{MONTH_NAMES})\b")  # a year 1000-2099 or a month
_HAS_NUMBER = re.compile(r"\d")


def answer_type_bonus(kind: str | None, sentence: str) -> float:
    """Who wants a person, how many a number, when a date: a small push toward sentences of that type."""
    sentence = unmarked(sentence)
    if kind == "person":
        return 0.12 if _PERSON.search(sentence) else 0.0
    if kind == "number":
        return 0.08 if _HAS_NUMBER.search(sentence) else 0.0
    if kind == "date":
        return 0.08 if _DATE_WORDS.search(sentence) else 0.0
    return 0.0


_MONEY_Q = re.compile(r"\bbudget\b|\bhow much (?:money|funding|did\b.*\bcost|has\b.*\bcontribut)|"
                      r"\bcontributed financially\b|\bamount of (?:money|funding)\b|\bsize of the\b.*\bfund\b",
                      re.IGNORECASE)
_MONEY = re.compile(r"(?:USD|US\$|EUR|CHF|GBP|\$|€|£)\s?\d|\d[\d,.]*\s?(?:million|billion|thousand)?\s?"
                    r"(?:dollars|euros|francs|USD|EUR|CHF)\b", re.IGNORECASE)
_SHARE_Q = re.compile(r"\bwhat (?:\w+\s)?(?:proportion|percentage|share|rate)\b|\bwhat per ?cent\b", re.IGNORECASE)
# A fraction, not an ordinal: "a third of", "two-thirds", not "the third is voluntary".
_SHARE = re.compile(r"\d\s?(?:%|percent|per cent)|\b(?:half|majority|fraction|one in \w+)\b"
                    r"|\b(?:a|one|two)[\s-](?:third|quarter)s?\b|\bthree[\s-]quarters\b", re.IGNORECASE)
_DAY_Q = re.compile(r"\b(?:on )?what (?:date|day)\b", re.IGNORECASE)
_DAY = re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTH_NAMES})|\b(?:{MONTH_NAMES})\s+\d{{1,2}}\b")


_COUNT_Q = re.compile(r"\bhow (?:many|much)\b|\bwhat (?:share|percentage|number)\b", re.IGNORECASE)
_DATE_Q = re.compile(r"^\s*when\b|\bwhat date\b|\bwhich year\b|\bin which month\b", re.IGNORECASE)
_COUNT = re.compile(r"\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|million|billion)\b",
                    re.IGNORECASE)
# (what the question asks for, the question form, what a sentence must hold), most specific first.
_REQUIRED = (("sum of money", _MONEY_Q, _MONEY), ("share", _SHARE_Q, _SHARE), ("day", _DAY_Q, _DAY),
             ("number", _COUNT_Q, _COUNT), ("date", _DATE_Q, _DATE_WORDS))


def answer_kind(question: str) -> str | None:
    """"person" (who, by whom, chaired), "number" (how many / much, what share / percentage / number) or
    "date" (when, what date or day, which year, in which month): the one reading of the question's form."""
    q = question.lower()
    if re.match(r"\s*(?:who|by whom)\b", q) or " chaired " in f" {q} ":
        return "person"
    if _COUNT_Q.search(question):
        return "number"
    if _DATE_Q.search(question) or _DAY_Q.search(question):
        return "date"
    return None


def required_kind(question: str) -> str | None:
    """What a one-part question asks for that a sentence must visibly hold, if anything."""
    return next((name for name, form, _ in _REQUIRED if form.search(question)), None)


def gives_required_type(required: str | None, sentence: str, terms: QueryTerms) -> bool:
    """A question that asks for a sum of money, a share, a day, a count or a date needs a sentence holding
    one (beyond the numbers it names itself); a sentence without one is on the topic but cannot be the
    answer. Other question types are not gated."""
    rest = unmarked(sentence)
    for value in (*terms.years, *terms.numbers):
        rest = re.sub(rf"\b{re.escape(value)}\b", " ", rest)
    return required is None or next(must for name, _, must in _REQUIRED if name == required).search(rest) is not None


def focus_stems(terms: QueryTerms, chunk: Chunk) -> tuple[str, ...]:
    """The question's content stems that the passage's report title and place do not already account
    for: what the passage itself must be about ("return" in "...Geneva workshop ... on return?")."""
    meta = " ".join([chunk.title, chunk.place or ""])
    meta_stems = {stem(w) for w in content_words(meta)}
    focus = tuple(s for s in terms.stems if s not in meta_stems)
    return focus or terms.stems
