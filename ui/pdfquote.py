"""Where a quote is in a PDF's text layer, across pages: a citation gives the page its paragraph starts on,
but the quote may start on the next page or run over a page break.

Quotes come from the cleaned text, so spacing, hyphenation, ligatures and typographic quotes may differ from
the PDF's text layer: both sides are compared on their letters and digits only (case-folded, NFKC). Running
headers, footers and page numbers between two pages are skipped the same way: the quote's first part is looked
for on one page and the rest on the next. When the whole quote is nowhere, the longest run of its words that is
on a page gets highlighted instead.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

MIN_RUN_WORDS = 3  # a shorter run of words is too likely to be found by chance
MIN_RUN_LETTERS = 12
# A piece of a quote shorter than MIN_RUN_LETTERS on one side of a page break counts only this close (in letters
# and digits) to that page's end or start, leaving room for a running header or footer.
EDGE_LETTERS = 80
LOOKAHEAD = 2  # pages after the cited one that may hold the quote


class Located(Enum):
    WHOLE = "whole"
    PART = "part"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Placement:
    """How much of the quote was found and, page by page in order, the range of page characters it covers."""

    located: Located
    pieces: tuple[tuple[int, range], ...]  # (1-based page number, char indices on that page)

    @property
    def pages(self) -> tuple[int, ...]:
        return tuple(page for page, _ in self.pieces)

    def on(self, page: int) -> range:
        """The characters highlighted on `page` (empty when the quote is not there)."""
        return next((chars for number, chars in self.pieces if number == page), range(0))


def _key(text: str) -> tuple[str, list[int]]:
    """Case-folded letters and digits of `text`, and for each the index of the character it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).casefold():
            if c.isalnum():
                chars.append(c)
                origin.append(i)
    return "".join(chars), origin


def _with_edges(page_text: str, chars: range, quote: str, head: bool = True, tail: bool = True) -> range:
    """`chars` widened over the punctuation that opens (`head`) or closes (`tail`) the quote, a final full stop
    or a bracket, where the page has the same characters next to the match."""
    stripped = quote.strip()
    lead = len(stripped) - len(stripped.lstrip("".join(c for c in stripped if not c.isalnum())))
    trail = len(stripped) - len(stripped.rstrip("".join(c for c in stripped if not c.isalnum())))
    start, stop = chars.start, chars.stop
    if head and lead and page_text[max(0, start - lead):start] == stripped[:lead]:
        start -= lead
    if tail and trail and page_text[stop:stop + trail] == stripped[len(stripped) - trail:]:
        stop += trail
    return range(start, stop)


def _span(origin: list[int], at: int, length: int) -> range:
    return range(origin[at], origin[at + length - 1] + 1)


def _whole(page_text: str, quote: str) -> range | None:
    page_key, origin = _key(page_text)
    whole, _ = _key(quote)
    if whole and (at := page_key.find(whole)) >= 0:
        return _with_edges(page_text, _span(origin, at, len(whole)), quote)
    return None


def _part(page_text: str, quote: str) -> range | None:
    """The longest run of the quote's words (at least MIN_RUN_WORDS, MIN_RUN_LETTERS) that `page_text` holds."""
    page_key, origin = _key(page_text)
    words = [k for k in (_key(w)[0] for w in quote.split()) if k]
    for size in range(len(words) - 1, MIN_RUN_WORDS - 1, -1):
        for first in range(len(words) - size + 1):
            run = "".join(words[first:first + size])
            if len(run) >= MIN_RUN_LETTERS and (at := page_key.find(run)) >= 0:
                return _span(origin, at, len(run))
    return None


def find_quote(page_text: str, quote: str) -> tuple[Located, range]:
    """Where the quote (or the longest run of its words) is in `page_text`, as a range of its char indices."""
    if (chars := _whole(page_text, quote)) is not None:
        return Located.WHOLE, chars
    if (chars := _part(page_text, quote)) is not None:
        return Located.PART, chars
    return Located.NONE, range(0)


def _longest(found: Callable[[int], bool], most: int) -> int:
    """The largest n in 0..most with found(n), for a property that holds for every n below one that has it."""
    low, high = 0, most
    while low < high:
        middle = (low + high + 1) // 2
        if found(middle):
            low = middle
        else:
            high = middle - 1
    return low


def split_quote(first: str, second: str, quote: str) -> tuple[range, range] | None:
    """The quote's characters on two consecutive pages when it starts on `first` and ends on `second`."""
    whole, _ = _key(quote)
    key_a, origin_a = _key(first)
    key_b, origin_b = _key(second)
    if len(whole) < 2:
        return None
    head = _longest(lambda n: whole[:n] in key_a, len(whole) - 1)  # every prefix of a found prefix is found
    tail = _longest(lambda n: whole[len(whole) - n:] in key_b, len(whole) - 1)
    if head == 0 or head + tail < len(whole):
        return None
    rest = len(whole) - head
    at_a = key_a.rfind(whole[:head])  # the last occurrence: the page's end
    at_b = key_b.find(whole[head:])  # the first: the next page's start
    if head < MIN_RUN_LETTERS and at_a + head < len(key_a) - EDGE_LETTERS:
        return None  # a few letters found by chance mid-page
    if rest < MIN_RUN_LETTERS and at_b > EDGE_LETTERS:
        return None
    return (_with_edges(first, _span(origin_a, at_a, head), quote, tail=False),
            _with_edges(second, _span(origin_b, at_b, rest), quote, head=False))


def place_quote(pages: Mapping[int, str], cited: int, quote: str) -> Placement:
    """Where the quote is among `pages` (number to text), searched from the cited page onwards: whole on one
    page, else over a page break, else the longest run of its words on the first page that has one."""
    order = sorted(n for n in pages if n >= cited)
    for number in order:
        if (chars := _whole(pages[number], quote)) is not None:
            return Placement(Located.WHOLE, ((number, chars),))
    for number in order:  # only now: a quote whole on the next page would also "span" from a stray letter
        if number + 1 in pages and (split := split_quote(pages[number], pages[number + 1], quote)):
            return Placement(Located.WHOLE, ((number, split[0]), (number + 1, split[1])))
    for number in order:
        if (chars := _part(pages[number], quote)) is not None:
            return Placement(Located.PART, ((number, chars),))
    return Placement(Located.NONE, ())
