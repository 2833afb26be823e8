"""The short citation line of a source card: "2019 Geneva workshop · Framing Session · para. 12 · p. 4"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag import Chunk, Paragraph

# The kind of event a report is about, most specific first; the short label is "<year> <place> <kind>".
_KINDS = ("working session", "workshop", "meeting", "dialogue", "recollection", "summit", "conference", "session")
MAX_SECTION = 48  # characters of a heading kept in the line (extraction can make headings very long)
MAX_TITLE = 48


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ,;:-") + "…"


def short_report(title: str, year: int | None, place: str | None) -> str:
    """'2016 Bangkok workshop' from 'Report of the 2016 Bangkok thematic workshop on labour mobility'."""
    lowered = title.lower()
    kind = next((k for k in _KINDS if re.search(rf"\b{k}\b", lowered)), None)
    if kind is None or not (year or place):
        return clip(title, MAX_TITLE)
    return " ".join(str(p) for p in (year, place, kind) if p)


@dataclass(frozen=True, slots=True)
class Locator:
    """Where a passage is: short report label, nearest heading above it, paragraph, page."""

    report: str
    section: str | None = None
    paragraph: str | None = None  # "para. 12" (the report's own number) or "¶ 3" (3rd under its heading)
    page: int | None = None

    @property
    def line(self) -> str:
        page = f"p. {self.page}" if self.page is not None else None
        return " · ".join(p for p in (self.report, self.section, self.paragraph, page) if p)


def _para(number: str | None) -> str | None:
    return f"para. {number.strip().rstrip('.')}" if number and number.strip() else None


def _nearest_heading(paragraphs: Sequence[Paragraph], index: int) -> int | None:
    return next((i for i in range(index, -1, -1) if paragraphs[i].kind == "heading"), None)


def locate(chunk: Chunk, paragraphs: Sequence[Paragraph]) -> Locator:
    """The locator of a chunk given its report's paragraphs (empty when the report is no longer indexed)."""
    report = short_report(chunk.title, chunk.year, chunk.place)
    index = chunk.paragraph_index
    if not 0 <= index < len(paragraphs):
        section = clip(chunk.section[-1], MAX_SECTION) if chunk.section else None
        return Locator(report, section, _para(chunk.paragraph), chunk.page)
    paragraph = paragraphs[index]
    heading = _nearest_heading(paragraphs, index)
    section = clip(paragraphs[heading].text, MAX_SECTION) if heading is not None and heading != index else None
    where = _para(paragraph.number or chunk.paragraph)
    if where is None and paragraph.kind != "heading":
        first = 0 if heading is None else heading + 1
        position = sum(1 for p in paragraphs[first : index + 1] if p.kind in ("body", "list", "table"))
        where = f"¶ {position}"
    return Locator(report, section, where, chunk.page)
