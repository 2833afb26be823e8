"""Briefing notes: quotes collected from answers, re-verified against the index, exported to DOCX or Markdown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from .errors import GroundingError
from .records import section_label
from .types import Chunk, Citation, Hit, Quote

UNVERIFIED = "⚠ could not be re-verified against the current index"
AUTHOR = "GFMD reports assistant"
# Corpus text and annotations are data: in Markdown, `<` and `&` become entities (so no tag or entity from a
# report is live in a renderer; a lone `>` opens nothing) and link brackets are escaped; the words stay readable.
_MD_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", "[": "\\[", "]": "\\]"})


class Verifier(Protocol):
    """Anything that re-proves a quote (the Assistant does)."""

    def verify(self, doc: str, start: int, end: int, text: str) -> Quote: ...


@dataclass(frozen=True, slots=True)
class NoteItem:
    """One quote in a note, with everything needed to cite it and to re-prove it later."""

    doc: str
    start: int
    end: int
    text: str
    title: str
    date: str | None = None
    place: str | None = None
    section: tuple[str, ...] = ()
    paragraph: str | None = None
    page: int | None = None
    chunk_id: str = ""
    annotation: str = ""
    compare: str = ""  # the comparison question this quote answers one row of ("" for a plain quote)
    group: str = ""  # that row's label: a year, place or report

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("a note quote cannot be empty")
        if len(self.text) != self.end - self.start:
            raise ValueError("note quote text length does not match its offsets")

    @classmethod
    def from_quote(cls, quote: Quote, chunk: Chunk) -> NoteItem:
        return cls(
            doc=quote.doc, start=quote.start, end=quote.end, text=quote.text, title=chunk.title,
            date=chunk.date, place=chunk.place, section=chunk.section, paragraph=chunk.paragraph,
            page=chunk.page, chunk_id=chunk.chunk_id,
        )

    @classmethod
    def from_citation(cls, citation: Citation) -> NoteItem:
        return cls.from_quote(citation.quote, citation.chunk)

    @classmethod
    def from_compare_row(cls, citation: Citation, question: str, group: str) -> NoteItem:
        """One row of a comparison: exported with the other rows of the same question as a table."""
        return replace(cls.from_citation(citation), compare=question, group=group)

    @classmethod
    def from_hit(cls, hit: Hit) -> NoteItem:
        """The whole passage of a retrieved hit (chunks are verbatim slices of their document)."""
        c = hit.chunk
        return cls.from_quote(Quote(doc=c.doc, text=c.text, start=c.start, end=c.end), c)

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.doc, self.start, self.end)

    @property
    def citation(self) -> str:
        """Full citation: report (place, date), section, paragraph, page."""
        where = ", ".join(p for p in (self.place, self.date) if p)
        parts = [self.title + (f" ({where})" if where else "")]
        if self.section:
            parts.append(f"section “{section_label(self.section)}”")
        if self.paragraph:
            parts.append(f"para. {self.paragraph}")
        if self.page is not None:
            parts.append(f"p. {self.page}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class BriefingNote:
    """An ordered, titled list of quotes; every operation returns a new note."""

    title: str = "Briefing note"
    items: tuple[NoteItem, ...] = ()

    def __len__(self) -> int:
        return len(self.items)

    def add(self, item: NoteItem) -> BriefingNote:
        """Append a quote; the same quote (document and offsets) is kept once."""
        if any(i.key == item.key for i in self.items):
            return self
        return replace(self, items=(*self.items, item))

    def remove(self, index: int) -> BriefingNote:
        self._check(index)
        return replace(self, items=self.items[:index] + self.items[index + 1 :])

    def move(self, index: int, step: int) -> BriefingNote:
        """Move a quote up (step < 0) or down (step > 0); moves past either end stop there."""
        self._check(index)
        target = max(0, min(len(self.items) - 1, index + step))
        items = list(self.items)
        items.insert(target, items.pop(index))
        return replace(self, items=tuple(items))

    def annotate(self, index: int, annotation: str) -> BriefingNote:
        self._check(index)
        items = list(self.items)
        items[index] = replace(items[index], annotation=annotation.strip())
        return replace(self, items=tuple(items))

    def position(self, key: tuple[str, int, int]) -> int | None:
        """Where the quote with this key is now (None once removed): UI events address quotes by key, so an
        event that arrives after a reorder still reaches the quote it was made for."""
        return next((i for i, item in enumerate(self.items) if item.key == key), None)

    def annotate_key(self, key: tuple[str, int, int], annotation: str) -> BriefingNote:
        index = self.position(key)
        return self if index is None else self.annotate(index, annotation)

    def move_key(self, key: tuple[str, int, int], step: int) -> BriefingNote:
        index = self.position(key)
        return self if index is None else self.move(index, step)

    def remove_key(self, key: tuple[str, int, int]) -> BriefingNote:
        index = self.position(key)
        return self if index is None else self.remove(index)

    def retitle(self, title: str) -> BriefingNote:
        return replace(self, title=title.strip() or "Briefing note")

    def _check(self, index: int) -> None:
        if not 0 <= index < len(self.items):
            raise IndexError(f"the note has no quote {index + 1}")


@dataclass(frozen=True, slots=True)
class CheckedItem:
    """A note quote after re-verification at export time."""

    item: NoteItem
    verified: bool
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Source:
    title: str
    date: str | None
    place: str | None
    doc: str

    @property
    def label(self) -> str:
        where = ", ".join(p for p in (self.place, self.date) if p)
        return self.title + (f" ({where})" if where else "") + f" — {self.doc}"


def reverify(note: BriefingNote, verifier: Verifier) -> tuple[CheckedItem, ...]:
    """Prove every quote again against the current index; a failure is recorded, never dropped."""
    checked = []
    for item in note.items:
        try:
            verifier.verify(item.doc, item.start, item.end, item.text)
        except GroundingError as exc:
            checked.append(CheckedItem(item, False, str(exc)))
        else:
            checked.append(CheckedItem(item, True))
    return tuple(checked)


def sources(note: BriefingNote) -> tuple[Source, ...]:
    """The reports quoted, in order of first use."""
    seen: dict[tuple[str, str], Source] = {}
    for i in note.items:
        seen.setdefault((i.doc, i.title), Source(i.title, i.date, i.place, i.doc))
    return tuple(seen.values())


def _today(date: dt.date | None) -> str:
    return (date or dt.date.today()).isoformat()


def md_text(text: str) -> str:
    """Corpus or user text made inert in Markdown while still reading as the same words."""
    return text.translate(_MD_ENTITIES)


def _md_quote(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in md_text(text).splitlines())


def blocks(checked: Sequence[CheckedItem]) -> list[tuple[int, list[CheckedItem]]]:
    """The note in export order: each plain quote alone, and consecutive rows of one comparison together
    (with the number of the first quote of each block)."""
    out: list[tuple[int, list[CheckedItem]]] = []
    for n, check in enumerate(checked, 1):
        question = check.item.compare
        if question and out and out[-1][1][-1].item.compare == question:
            out[-1][1].append(check)
        else:
            out.append((n, [check]))
    return out


def _md_cell(text: str) -> str:
    return " ".join(md_text(text).replace("|", "\\|").split())


def _md_table(rows: Sequence[CheckedItem]) -> list[str]:
    lines = [f"## Comparison: {_md_cell(rows[0].item.compare)}", "", "| | Quote | Citation | Note |",
             "|---|---|---|---|"]
    for check in rows:
        item = check.item
        flag = "" if check.verified else f"**{UNVERIFIED}:** {_md_cell(check.problem or '')} "
        lines.append(f"| {_md_cell(item.group)} | {flag}“{_md_cell(item.text)}” | {_md_cell(item.citation)} | "
                     f"{_md_cell(item.annotation)} |")
    return [*lines, ""]


def to_markdown(note: BriefingNote, checked: Sequence[CheckedItem], date: dt.date | None = None) -> str:
    """The note as Markdown: title, date, each quote as a block quote with citation and annotation (the rows of
    a comparison as one table), sources."""
    lines = [f"# {md_text(note.title)}", "", f"Date: {_today(date)}", ""]
    for n, block in blocks(checked):
        if block[0].item.compare:
            lines += _md_table(block)
            continue
        check = block[0]
        item = check.item
        lines.append(f"## Quote {n}")
        lines.append("")
        if not check.verified:
            lines += [f"**{UNVERIFIED}:** {md_text(check.problem or '')}", ""]
        lines += [_md_quote(item.text), "", f"— {md_text(item.citation)}", ""]
        if item.annotation:
            lines += [f"*Note:* {md_text(item.annotation)}", ""]
    lines += ["## Sources", ""]
    lines += [f"- {md_text(s.label)}" for s in sources(note)] or ["- (none)"]
    return "\n".join(lines) + "\n"


def _core_properties(word: object, title: str, date: dt.date | None) -> None:
    """The document's own title, author and dates, not the python-docx template's (empty title, 2013)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    when = dt.datetime.combine(date, dt.time()) if date else now
    props = word.core_properties  # type: ignore[attr-defined]
    props.title = title
    props.author = props.last_modified_by = AUTHOR
    props.created = props.modified = when
    props.revision = 1
    props.subject = "Quotes from GFMD reports, re-verified at export"
    props.keywords = props.comments = props.category = ""


def _docx_table(word: object, rows: Sequence[CheckedItem]) -> None:
    """A comparison as a Word table: one row per group, with its quote, citation and annotation."""
    word.add_heading(f"Comparison: {rows[0].item.compare}", level=1)  # type: ignore[attr-defined]
    table = word.add_table(rows=1, cols=4)  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("", "Quote", "Citation", "Note"), strict=True):
        cell.text = text
    for check in rows:
        item = check.item
        flag = "" if check.verified else f"{UNVERIFIED}: {check.problem} "
        for cell, text in zip(table.add_row().cells, (item.group, f"{flag}“{item.text}”", item.citation,
                                                      item.annotation), strict=True):
            cell.text = text


def to_docx(note: BriefingNote, checked: Sequence[CheckedItem], path: Path, date: dt.date | None = None) -> Path:
    """Write the note as a Word document at `path` (same content as the Markdown export)."""
    from docx import Document as WordDocument
    from docx.shared import RGBColor

    word = WordDocument()
    _core_properties(word, note.title, date)
    word.add_heading(note.title, level=0)
    word.add_paragraph(f"Date: {_today(date)}")
    for n, block in blocks(checked):
        if block[0].item.compare:
            _docx_table(word, block)
            continue
        check = block[0]
        item = check.item
        word.add_heading(f"Quote {n}", level=1)
        if not check.verified:
            run = word.add_paragraph().add_run(f"{UNVERIFIED}: {check.problem}")
            run.bold = True
            run.font.color.rgb = RGBColor(0xB0, 0x00, 0x00)
        word.add_paragraph(item.text, style="Quote")
        word.add_paragraph(f"— {item.citation}")
        if item.annotation:
            p = word.add_paragraph()
            p.add_run("Note: ").italic = True
            p.add_run(item.annotation)
    word.add_heading("Sources", level=1)
    for s in sources(note):
        word.add_paragraph(s.label, style="List Bullet")
    path.parent.mkdir(parents=True, exist_ok=True)
    word.save(str(path))
    return path
