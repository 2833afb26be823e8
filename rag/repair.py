"""Extraction damage, line by line: rebuild blocks (paragraphs, headings, list items, footnotes,
tables) from hard-wrapped PDF text or Markdown, dropping page footers and glyph bullets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .inline import clean_inline

_PUA = re.compile(r"[\ue000-\uf8ff]")
_NUMBERED = re.compile(r"^(\d{1,2}\.|\(\d{1,2}\)|[a-z]\)|[IVX]{1,5}\.)\s+\S")
_NUMBERED_PARAGRAPH = re.compile(r"^(\d{1,2}\.|\(\d{1,2}\)|[a-z]\))\s+[A-Z]")
_QUESTION = re.compile(r"^Question \d+\s*:")
_LABEL_LINE = re.compile(r"^(\d{1,3})$")
_ROMAN_NOTE = re.compile(r"^([ivx]{1,5})\.\s+(\S.*)$")
_MD_FOOTNOTE = re.compile(r"^(?:([¹²³⁴⁵⁶⁷⁸⁹⁰]+)|<sup>(\d+)</sup>|\[\^(\w+)\]:)\s*(.*)$")
_MD_LIST = re.compile(r"^\s*[-*+•]\s+(.*)$")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")  # the closing #s are cut by _heading_text
_END = re.compile(r"[.?!:;”\"’)]$")
# A line that is one web address and nothing else: PDF link annotations, listed at a page's foot.
_BARE_URL = re.compile(r"(?:https?://|www\.)\S+")

__all__ = ["Block", "clean_inline", "is_bare_url", "is_double_spaced", "join_lines", "markdown_blocks",
           "pdf_text_blocks", "strip_markers"]


@dataclass
class Block:
    """A paragraph under construction."""

    kind: str  # body, heading, list, footnote, table
    lines: list[str] = field(default_factory=list)
    level: int = 0  # heading level; 0 = inferred
    label: str | None = None  # footnote label
    page: int | None = None
    bullet: bool = False
    refs: list[str] = field(default_factory=list)  # footnote labels cited in the text
    links: bool = False  # a PDF page's run of link addresses: it interrupts the text like a footnote

    @property
    def text(self) -> str:
        return join_lines(self.lines) if self.kind != "table" else "\n".join(self.lines)


_HYPHEN_END = re.compile(r"([A-Za-z]+)-$")
_LOWER_START = re.compile(r"[a-z]+")
# A word mended across a line end is looked up in the vocabulary; no real word is this long, and the
# bound keeps the look-back constant however many hyphenated lines are glued together.
_MAX_WORD = 64


def join_lines(lines: list[str], vocabulary: frozenset[str] = frozenset()) -> str:
    """Join wrapped lines with single spaces, mending words hyphenated across a line end.

    Linear in the text: only the end of the text joined so far is looked at, and the parts are
    joined once at the end (a 1 MB paragraph used to be re-scanned for every line)."""
    parts: list[str] = []
    tail = ""  # the last characters joined so far, enough to read a hyphenated word
    for raw in lines:
        line = " ".join(raw.split())
        if not line:
            continue
        if not parts:
            parts.append(line)
        elif len(tail) >= 2 and tail[-1] == "-" and tail[-2].isascii() and tail[-2].isalpha() and line[:1].islower():
            head = _HYPHEN_END.search(tail)
            word = _LOWER_START.match(line)
            whole = (head.group(1) + word.group(0)).lower() if head and word else ""
            if whole in vocabulary:
                parts[-1] = parts[-1][:-1]  # the last part is one whole line
                tail = tail[:-1]
            parts.append(line)
        else:
            parts.append(" ")
            parts.append(line)
            tail += " "
        tail = (tail + line)[-_MAX_WORD - 1:]
    return "".join(parts)


def is_double_spaced(text: str) -> bool:
    """PDF-to-text output with an empty line after every line.

    Blank lines alone do not tell it from ordinary text with one paragraph per line; the extractor's
    marks do: a wrapped line mostly ends mid-sentence, and extracted lines keep a trailing space,
    while a typed one-line paragraph ends its sentence and its line."""
    lines = text.split("\n")
    if len(lines) <= 10 or sum(1 for line in lines if line == "") < 0.35 * len(lines):
        return False
    filled = [line for line in lines if line.strip()]
    ends = sum(1 for line in filled if _END.search(line.rstrip()))
    trailing = sum(1 for line in filled if line != line.rstrip())
    return ends < 0.5 * len(filled) or trailing >= 0.5 * len(filled)


def pdf_text_blocks(text: str) -> tuple[list[Block], list[int]]:
    """Blocks from double-spaced PDF text; also the page numbers read from page footers."""
    lines = text.split("\n")
    blocks: list[Block] = []
    current: Block | None = None
    footnote: Block | None = None
    in_notes = False
    page: int | None = None
    pages: list[int] = []
    skip = _footer_lines(lines)
    pending_break = False
    for i, line in enumerate(lines):
        if i in skip:
            footer_page = skip[i]
            if footer_page is not None:
                page = footer_page
                pages.append(footer_page - 1)
            continue
        stripped = line.strip()
        after_gap = i == 0 or lines[i - 1] == "" or i - 1 in skip
        if line == "":
            continue
        if not stripped:
            if len(line) >= 20 or set(stripped) == {"_"}:
                in_notes, footnote = True, None
            else:
                pending_break, in_notes = True, False
            continue
        if set(stripped) == {"_"}:
            in_notes, footnote = True, None
            continue
        if in_notes:
            label = _LABEL_LINE.match(stripped)
            roman = _ROMAN_NOTE.match(stripped)
            resumes = line.startswith(" ") and not after_gap and not (footnote is not None and not footnote.lines)
            if label:
                footnote = Block("footnote", label=label.group(1), page=page)
                blocks.append(footnote)
                continue
            if roman:
                footnote = Block("footnote", [roman.group(2)], label=roman.group(1), page=page)
                blocks.append(footnote)
                continue
            if not resumes and footnote is not None:
                footnote.lines.append(stripped)
                continue
            in_notes = False
        previous = current.lines[-1] if current and current.lines else ""
        starts = (
            current is None
            or pending_break
            or (line.startswith(" ") and after_gap)
            or bool(_QUESTION.match(stripped))
            or (bool(_NUMBERED.match(stripped)) and (not previous or bool(_END.search(previous.rstrip()))
                                                     or bool(_NUMBERED_PARAGRAPH.match(stripped))))
            or (previous.endswith("  ") and bool(previous.strip()))
            or (line.startswith(" ") and bool(_END.search(previous.rstrip())) and stripped[:1].isupper())
            or (len(current.lines) == 1 and _looks_like_heading_line(previous) and stripped[:1].isupper())
            or bool(_PUA.match(stripped))
            or _link_run_edge(previous, stripped, after_gap, i + 1 < len(lines) and lines[i + 1] != "")
        )
        if starts:
            bullet = (line.startswith(" ") and after_gap) or bool(_PUA.match(stripped))
            current = Block("body", page=page, bullet=bullet, links=is_bare_url(stripped))
            blocks.append(current)
            pending_break = False
        assert current is not None
        current.lines.append(_PUA.sub("", line))  # trailing spaces kept: two mark a paragraph end
    return blocks, pages


def is_bare_url(text: str) -> bool:
    """True for a line or paragraph made only of web addresses (a PDF's link annotations)."""
    words = text.split()
    return bool(words) and all(_BARE_URL.fullmatch(w) for w in words)


def _link_run_edge(previous: str, line: str, after_gap: bool, single_spaced: bool) -> bool:
    """True where a run of web-address lines starts or ends. Such a run, set single-spaced in double-spaced
    text, is a page's list of link annotations, not prose: it is a block of its own, so neither the text
    before it nor a heading or the next page's text after it joins it."""
    if not previous.strip():
        return False
    if is_bare_url(line):
        return not is_bare_url(previous) and (not after_gap or single_spaced)
    return is_bare_url(previous) and not after_gap


def _looks_like_heading_line(line: str) -> bool:
    """A short line standing alone without end punctuation: a heading, not a paragraph's first line."""
    text = line.strip()
    return 0 < len(text) <= 60 and len(text.split()) <= 9 and not _END.search(text) and not text.endswith(",")


def _footer_lines(lines: list[str]) -> dict[int, int | None]:
    """Line indexes of page footers to drop: a bare page number between blank-ish lines and the running
    footer text above it. The value is the next page's number on the number line, else None."""
    skip: dict[int, int | None] = {}

    def neighbour(i: int, step: int) -> int | None:
        j = i + step
        while 0 <= j < len(lines) and lines[j] == "":
            j += step
        return j if 0 <= j < len(lines) else None

    for i, line in enumerate(lines):
        if not re.fullmatch(r"\s*\d{1,3}\s*", line) or not line.strip():
            continue
        before, after = neighbour(i, -1), neighbour(i, 1)
        if before is None or lines[before].strip() or len(lines[before]) >= 20:
            continue
        if after is not None and lines[after].strip():
            continue
        skip[i] = int(line.strip()) + 1
        skip[before] = None
        if after is not None:
            skip[after] = None
        footer = neighbour(before, -1)
        gaps = before - (footer or 0) - 1
        if footer is not None and gaps == 0 and len(lines[footer].split()) <= 10:
            above = footer - 1
            run = 0
            while above >= 0 and lines[above] == "":
                run, above = run + 1, above - 1
            if run >= 2:
                skip[footer] = None
    return skip


def markdown_blocks(text: str) -> list[Block]:
    """Blocks from Markdown or plain text: blank lines, headings, list items, numbered paragraphs, tables."""
    blocks: list[Block] = []
    current: Block | None = None
    for raw in text.split("\n"):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            current = None
            continue
        heading = _MD_HEADING.match(stripped)
        note = _MD_FOOTNOTE.match(stripped)
        listed = _MD_LIST.match(line)
        if stripped.startswith("|"):
            if re.fullmatch(r"\|?[\s:|-]+\|?", stripped):
                continue
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            row = " | ".join(re.sub(r"\.{3,}", "", c).strip() for c in cells if c.strip())
            if current is None or current.kind != "table":
                current = Block("table")
                blocks.append(current)
            if row:
                current.lines.append(row)
            continue
        if heading:
            blocks.append(Block("heading", [_heading_text(heading.group(2))], level=len(heading.group(1))))
            current = None
            continue
        if note and note.group(4) is not None and (note.group(1) or note.group(2) or note.group(3)):
            label = note.group(2) or note.group(3) or _superscript_digits(note.group(1))
            current = Block("footnote", [note.group(4)], label=label)
            blocks.append(current)
            continue
        if _PUA.match(stripped) or listed:
            current = Block("body", [listed.group(1) if listed else _PUA.sub("", stripped)], bullet=True)
            blocks.append(current)
            continue
        if current is None or current.kind == "table" or _NUMBERED.match(stripped):
            current = Block("body")
            blocks.append(current)
        current.lines.append(stripped)
    return blocks


def _heading_text(text: str) -> str:
    """An ATX heading's text without its optional closing run of #s (which follows a space).

    Not a regex: `(.*?)\\s*#*\\s*$` backtracks cubically on a heading line padded with spaces."""
    text = text.strip()
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1].isspace()):
        return bare.rstrip()
    return text


_SUPERSCRIPTS = str.maketrans("¹²³⁴⁵⁶⁷⁸⁹⁰", "1234567890")


def _superscript_digits(text: str) -> str:
    return text.translate(_SUPERSCRIPTS)


def strip_markers(text: str, labels: set[str]) -> tuple[str, list[str]]:
    """Footnote markers out of body text: superscripts, <sup>n</sup>, and digits glued to a word
    when the document has a footnote with that label ("workshop1", "session.2")."""
    found: list[str] = []

    def sup(m: re.Match[str]) -> str:
        found.append(_superscript_digits(m.group(0)))
        return ""

    text = re.sub(r"(?<=\S)[¹²³⁴⁵⁶⁷⁸⁹⁰]+", sup, text)

    def tag(m: re.Match[str]) -> str:
        found.append(m.group(1))
        return ""

    text = re.sub(r"\s?<sup>(\w+)</sup>", tag, text)
    if labels:
        def glued(m: re.Match[str]) -> str:
            if m.group(2) in labels:
                found.append(m.group(2))
                return m.group(1)
            return m.group(0)

        text = re.sub(r"((?:(?<![A-Za-z])[A-Za-z]{3,}+|[A-Za-z][.,;:”’)]))(\d{1,3})(?=[\s,.;:)”’]|$)", glued, text)
    return "\n".join(" ".join(line.split()) for line in text.split("\n")), found
