"""Report, year and place filters: which chunks a question may be answered from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .types import Chunk

_SHOWN_REPORTS = 10  # report names listed when a report filter matches none


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrict results to some reports, years or places (case-insensitive substring match)."""

    docs: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    places: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.docs or self.years or self.places)

    def allows(self, chunk: Chunk) -> bool:
        if self.docs and not any(d.lower() in chunk.doc.lower() or d.lower() in chunk.title.lower()
                                 for d in self.docs):
            return False
        if self.years and chunk.year not in self.years:
            return False
        return not (self.places and not any(p.lower() in (chunk.place or "").lower() for p in self.places))

    def mismatch(self, chunks: Sequence[Chunk]) -> str | None:
        """Why no chunk passes these filters, naming what the index does hold; None if some chunk passes."""
        if not chunks or any(self.allows(c) for c in chunks):
            return None
        fix = "pick one of those or drop the filter"
        if self.years and not any(Filters(years=self.years).allows(c) for c in chunks):
            asked = ", ".join(str(y) for y in self.years)
            years = ", ".join(str(y) for y in sorted({c.year for c in chunks if c.year}))
            return f"no report in the index matches the year filter {asked}; the reports are from {years}: {fix}"
        if self.places and not any(Filters(places=self.places).allows(c) for c in chunks):
            asked = ", ".join(repr(p) for p in self.places)
            places = ", ".join(sorted({c.place for c in chunks if c.place}))
            return f"no report in the index matches the place filter {asked}; the places are {places}: {fix}"
        if self.docs and not any(Filters(docs=self.docs).allows(c) for c in chunks):
            asked = ", ".join(repr(d) for d in self.docs)
            docs = sorted({c.doc for c in chunks})
            more = f" and {len(docs) - _SHOWN_REPORTS} more" if len(docs) > _SHOWN_REPORTS else ""
            return (f"no report in the index matches the report filter {asked} (a file name or title part); "
                    f"the reports are {', '.join(docs[:_SHOWN_REPORTS])}{more}: {fix}")
        given = [*(repr(d) for d in self.docs), *(str(y) for y in self.years), *(repr(p) for p in self.places)]
        return f"no report in the index matches the filters {' and '.join(given)} together: drop one of them"
