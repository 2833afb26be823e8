"""Verbatim proof of quotes, sentence spans with offsets, and citation labels."""

from __future__ import annotations

import re

from .errors import GroundingError
from .records import section_label
from .text import ITEM_MARKER
from .types import Chunk, Document, Quote

# A sentence ends at . ? ! (optionally closed by a quote or bracket) before whitespace and a capital,
# digit, quote or bracket, unless the period ends a common abbreviation or an initial.
_BOUNDARY = re.compile(r"(?<=[.?!;])[”’\")\]]?\s+(?=[A-Z0-9“\"‘(\[])")
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Amb|H\.E|E|Hon|St|No|Nos|Art|para|paras|e\.g|i\.e|etc|vs|cf|Vol|Jan|Feb|Mar|"
    r"Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|U\.S|U\.N|Rev|Gov|Sen|Rep|Md|Co|Inc|Ltd)|\b[A-Z])\.$"
)


def verify_quote(document: Document, start: int, end: int, text: str) -> Quote:
    """Return a Quote only if `text` is exactly the document's clean text at [start, end)."""
    if not 0 <= start < end <= len(document.text) or document.text[start:end] != text:
        raise GroundingError(
            f"quote is not verbatim in {document.doc} at {start}..{end}: {text[:60]!r}"
        )
    return Quote(doc=document.doc, text=text, start=start, end=end)


def find_quote(document: Document, text: str) -> Quote | None:
    """Locate text in the document and prove it, or None when it is not there verbatim."""
    position = document.text.find(text)
    if position < 0 or not text.strip():
        return None
    return verify_quote(document, position, position + len(text), text)


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, shifted by `offset`, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    begin = 0
    for match in _BOUNDARY.finditer(text):
        candidate = text[begin : match.start() + 1].rstrip()
        if _ABBREVIATIONS.search(candidate.rstrip("”’\")]")):
            continue
        cut = match.start() + len(match.group(0).rstrip())
        if "\n" in candidate and ITEM_MARKER.fullmatch(candidate.rsplit("\n", 1)[-1].strip()):
            # An item's number ("b.") on a new line is a span of its own, not the end of the sentence before.
            spans.append((begin, begin + candidate.rindex("\n")))
            begin += candidate.rindex("\n")
        spans.append((begin, cut))
        begin = match.end()
    spans.append((begin, len(text)))
    result = []
    for s, e in spans:
        piece = text[s:e]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if piece.strip():
            result.append((offset + s + lead, offset + e - trail))
    return result


def place_year(chunk: Chunk) -> str:
    """"Geneva, 2019": where and when the passage's meeting was, as running text names it."""
    return ", ".join(p for p in (chunk.place, (chunk.date or "")[:4]) if p)


def citation_label(chunk: Chunk) -> str:
    """Human citation: report title (place, date), section, paragraph number, page."""
    where = ", ".join(p for p in (chunk.place, chunk.date) if p)
    parts = [chunk.title + (f" ({where})" if where else "")]
    if chunk.section:
        parts.append(f"section “{section_label(chunk.section)}”")
    if chunk.paragraph:
        parts.append(f"para. {chunk.paragraph}")
    if chunk.page is not None:
        parts.append(f"p. {chunk.page}")
    return ", ".join(parts)
