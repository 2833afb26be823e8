"""The shared text vocabulary: word tokens, stems, stop words, month names, number words and personal
titles, used alike by search, question reading, evidence and short answers."""

from __future__ import annotations

import re

import Stemmer

STEMMER = Stemmer.Stemmer("english")
_WORD = re.compile(r"[A-Za-zÀ-ÿ0-9]+(?:[-'’][A-Za-zÀ-ÿ0-9]+)*")

STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have how i if in into is it
    its of on or our over say said says should so such than that the their them there these they this those
    to under was we were what when where which while who whom whose why will with would you your about
    according also any between both during each other per via more most much many""".split()
)

MONTH_NAMES = "January|February|March|April|May|June|July|August|September|October|November|December"
# With their abbreviations: "Nov 2021" names a month, not something a passage must mention.
MONTHS = frozenset(MONTH_NAMES.lower().split("|")) | frozenset(
    "jan feb mar apr jun jul aug sep sept oct nov dec".split())
NUMBER_WORDS = tuple(
    "one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred thousand dozen"
    .split())
# Titles before a person's name ("Mr. Ola Henrikson", "H.E. Ambassador ...").
PERSON_TITLES = r"(?:Mr|Ms|Mrs|Dr|Prof|H\.\s?E|Amb|Ambassador|Minister|Secretary|Mayor|Judge)\.?"


def words(text: str) -> list[str]:
    """Lower-cased word tokens, hyphenated compounds kept whole."""
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]


def stem(word: str) -> str:
    return str(STEMMER.stemWord(word))


# A list item's or paragraph's number ("b.", "4.", "(iv)"): it opens a sentence, and is no answer to "how many".
ITEM_MARKER = re.compile(r"\(?(?:[a-zA-Z]|\d{1,3}|[ivxIVX]{1,4})[.)]")
_LEADING_MARKER = re.compile(rf"^\s*{ITEM_MARKER.pattern}(?=\s)")


def unmarked(sentence: str) -> str:
    """The sentence with its leading item number blanked out (same length, so offsets still hold)."""
    return _LEADING_MARKER.sub(lambda m: " " * len(m.group(0)), sentence, count=1)
