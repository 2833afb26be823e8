"""RawDocument to Document: repaired paragraphs with their locators (report, section path, the
report's own paragraph number, page, footnotes) and offsets into the clean text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .catalog import CatalogEntry, infer_meta
from .errors import LoaderError
from .repair import (
    Block,
    clean_inline,
    is_bare_url,
    is_double_spaced,
    join_lines,
    markdown_blocks,
    pdf_text_blocks,
    strip_markers,
)
from .types import Document, Paragraph, RawDocument, ReportMeta

# A source cited within a footnote and set as a paragraph of its own: capitalised, short, ending in its address
# or in a comma before the address on the next line
# ("ILO, Abolition of Forced Labor Convention, C105, 1957," or "…, 1957, https://…").
_CITATION = re.compile(r"[A-Z][^\n]{0,160}?(?:,|\s\[?https?://\S+)$")
_NUMBER = re.compile(r"^(\d{1,2}\.|\(\d{1,2}\)|[a-z]\)|[IVX]{1,5}\.)\s+")
_ROMAN_HEADING = re.compile(r"^[IVX]{1,5}\.\s+\S")
_TERMINAL = re.compile(r"[.?!:;,”\"’)]$")


@dataclass(frozen=True, slots=True)
class QualityReport:
    doc: str
    paragraphs: int
    footnotes: int
    tables: int
    headings: int
    pages: int | None
    warnings: tuple[str, ...]


def quality_report(document: Document) -> QualityReport:
    kinds = [p.kind for p in document.paragraphs]
    return QualityReport(document.doc, kinds.count("body") + kinds.count("list"), kinds.count("footnote"),
                         kinds.count("table"), kinds.count("heading"), document.pages, document.warnings)


def _vocabulary(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in re.findall(r"[A-Za-z]{3,}", text))


def _blocks(raw: RawDocument) -> tuple[list[Block], bool]:
    """All pages' blocks in order; PDF pages carry their page number."""
    blocks: list[Block] = []
    pdf_like = False
    for page in raw.pages:
        if raw.format in ("txt", "pdf") and is_double_spaced(page.text):
            pdf_like = True
            page_blocks, _ = pdf_text_blocks(page.text)
        else:
            page_blocks = markdown_blocks(page.text)
        for b in page_blocks:
            b.page = page.number if page.number is not None else b.page
        blocks.extend(page_blocks)
    return blocks, pdf_like


def _is_heading_text(text: str) -> bool:
    words = text.split()
    return (0 < len(words) <= 14 and not _TERMINAL.search(text) and text[:1].isupper()
            and not re.fullmatch(r"[\d\W]+", text))


def _classify(block: Block, text: str, markdown: bool, previous: str) -> tuple[str, int]:
    """(kind, heading level) of an assembled block; `previous` is the text before it."""
    if block.kind in ("footnote", "table", "heading"):
        return block.kind, block.level
    if block.bullet and previous.endswith((";", ":", "; and", "; or")):
        return "list", 0  # an item of a running list, however short
    if re.search(r"\b(?:and|or|of|the|to|in|for|with)$", text):
        return ("list" if block.bullet else "body"), 0
    if markdown and re.fullmatch(r"\*\*[^*]+\*\*:?", " ".join(" ".join(block.lines).split())):
        return "heading", 0
    if _ROMAN_HEADING.match(text) and len(text.split()) <= 14 and not text.endswith("."):
        return "heading", 1
    if re.match(r"^Question \d+\s*:", text) and len(text.split()) <= 60:
        return "heading", 3
    if not markdown and _is_heading_text(text) and (not _NUMBER.match(text) or len(text.split()) <= 12):
        return "heading", 2
    if not markdown and len(text.split()) <= 30 and not _TERMINAL.search(text) and text[:1].isupper():
        return "heading", 1  # a title block standing alone, e.g. a report's cover lines
    if block.bullet and not _NUMBER.match(text):
        return "list", 0
    return "body", 0


def _merge_interrupted(items: list[tuple[Block, str]], vocabulary: frozenset[str]) -> list[tuple[Block, str]]:
    """A paragraph cut by a footnote block or page break comes back whole: join a body paragraph that
    does not end a sentence with the next body paragraph when that one starts in lower case.

    Linear: pieces are collected per paragraph and joined once, and the last paragraph that is not a
    footnote is remembered rather than searched for."""
    out: list[tuple[Block, list[str]]] = []
    last_text: int | None = None  # index in `out` of the last item that is not a footnote
    for block, text in items:
        if out and out[-1][0].kind == "footnote" and block.kind == "body" and (
                re.match(r"https?://\S+$", text) or _CITATION.match(text)):
            # A footnote's URL wrapped onto its own line, or the next source it lists ("ILO, …, 1957, https://…")
            out[-1][1].extend((" ", text))
            continue
        links = block.links and is_bare_url(text)
        if (block.kind == "body" and text[:1].islower() and not _NUMBER.match(text) and not links
                and last_text is not None):
            prev_block, pieces = out[last_text]
            if prev_block.kind in ("body", "list") and not re.search(r"[.?!:;”\"]$", pieces[-1]):
                prev_block.refs.extend(block.refs)
                pieces.append(text)
                continue
        if block.kind != "footnote" and not links:
            last_text = len(out)
        out.append((block, [text]))
    # A footnote's pieces are its text and " ", URL pairs, joined as they are; a paragraph's pieces are
    # paragraphs, joined as wrapped lines (mending a word hyphenated across the cut).
    return [(block, "".join(pieces) if block.kind == "footnote" or len(pieces) == 1 else join_lines(pieces, vocabulary))
            for block, pieces in out]


def check_text_size(raw: RawDocument, max_text_mb: float) -> None:
    """Refuse, before repair, a file whose text is over `repair.max_text_mb` (0: no limit)."""
    size = sum(len(p.text) for p in raw.pages)
    if max_text_mb > 0 and size > max_text_mb * 1_000_000:
        raise LoaderError(
            f"{raw.doc}: {size / 1_000_000:.1f} million characters of text, over the repair.max_text_mb limit of "
            f"{max_text_mb:g}; split the report into smaller files or raise the limit (RAG_REPAIR_MAX_TEXT_MB)")


def build_document(raw: RawDocument, entry: CatalogEntry | None, sha256: str = "") -> Document:
    """Repair a raw document into paragraphs that tile its clean text."""
    full = "\n".join(p.text for p in raw.pages)
    vocabulary = _vocabulary(full)
    blocks, pdf_like = _blocks(raw)
    markdown = raw.format in ("md", "html", "docx") or not pdf_like
    # Headings are marked up in Markdown, HTML and DOCX; in text, PDF-extracted or typed, they are inferred.
    marked_up = raw.format in ("md", "html", "docx")
    labels = {b.label for b in blocks if b.kind == "footnote" and b.label}
    items: list[tuple[Block, str]] = []
    for block in blocks:
        text = join_lines(block.lines, vocabulary) if block.kind != "table" else "\n".join(block.lines)
        if markdown or block.kind == "table":
            text = "\n".join(clean_inline(line) for line in text.split("\n")) if block.kind == "table" else (
                clean_inline(text))
        if block.kind != "footnote":
            text, block.refs = strip_markers(text, labels if pdf_like else set())
        if not any(ch.isalnum() for ch in text):
            continue
        kind, level = _classify(block, text, marked_up, items[-1][1] if items else "")
        block.kind, block.level = kind, level
        items.append((block, text))
    return _assemble(raw, entry, _group_tables(_merge_interrupted(items, vocabulary)), sha256)


def _group_tables(items: list[tuple[Block, str]]) -> list[tuple[Block, str]]:
    """A flattened table (a header line, then a run of short cell fragments) becomes one table
    paragraph: the header row, then one line per cell, so its rows stay readable."""
    out: list[tuple[Block, str]] = []
    i = 0
    while i < len(items):
        block, text = items[i]
        run = i + 1
        while (block.kind == "heading" and block.level == 2 and run < len(items) and items[run][0].kind == "list"
               and len(items[run][1].split()) <= 14 and not items[run][1].endswith(".")):
            run += 1  # only after a heading: scanning every item's run would be quadratic in a long list
        if run - i - 1 >= 3:
            cells = [t for _, t in items[i + 1 : run]]
            table = Block("table", page=block.page)
            out.append((table, "\n".join([text, *cells])))
            i = run
            continue
        out.append((block, text))
        i += 1
    return out


def _assemble(raw: RawDocument, entry: CatalogEntry | None, items: list[tuple[Block, str]], sha256: str) -> Document:
    headings = [t for b, t in items if b.kind == "heading"]
    base = entry.meta if entry else infer_meta(raw.doc, headings, "\n".join(p.text for p in raw.pages))
    parts = list(entry.parts) if entry else []
    report: ReportMeta = parts[0].meta if parts else base
    next_part = 1 if parts else 0
    section: list[tuple[int, str]] = []
    paragraphs: list[Paragraph] = []
    texts: list[str] = []
    offset = 0
    last_body: int | None = None
    labels_seen: dict[str, int] = {}
    warnings = list(raw.warnings)
    numbers: list[int] = []
    for block, text in items:
        if next_part < len(parts) and text.startswith(parts[next_part].starts_with) and paragraphs:
            report, next_part, section, numbers = parts[next_part].meta, next_part + 1, [], []
        number = None
        match = _NUMBER.match(text)
        if match and block.kind in ("body", "list", "heading"):
            number = match.group(1)
        if block.kind == "heading":
            level = block.level or (section[-1][0] + 1 if section else 2)
            section = [s for s in section if s[0] < level] + [(level, text)]
        path = tuple(s[1] for s in section)
        if number and re.fullmatch(r"\d+\.", number) and block.kind == "body":
            value = int(number[:-1])
            if numbers and value > numbers[-1] + 1:
                warnings.append(f"numbering gap: {numbers[-1]}. then {value}.")
            numbers.append(value)
        index = len(paragraphs)
        footnotes = tuple(dict.fromkeys(block.refs)) if block.kind != "footnote" else ()
        for label in footnotes:
            labels_seen.setdefault(label, index)
        cited_by = None
        if block.kind == "footnote":
            cited_by = labels_seen.get(block.label or "", last_body)
        para = Paragraph(
            doc=raw.doc, index=index, kind=block.kind,  # type: ignore[arg-type]
            text=text, start=offset, end=offset + len(text), section=path, number=number, page=block.page,
            footnote_label=block.label if block.kind == "footnote" else None,
            cited_by=cited_by, footnotes=footnotes, report=report,
        )
        paragraphs.append(para)
        texts.append(text)
        offset += len(text) + 2
        if block.kind in ("body", "list", "table"):
            last_body = index
    if sum(text.count("\ufffd") for text in texts) > 0.01 * max(1, offset):
        warnings.append("garbled text: many unreadable characters; check the source file's encoding")
    clean = "\n\n".join(texts)
    pages = max((p.number for p in raw.pages if p.number is not None), default=None)
    return Document(doc=raw.doc, format=raw.format, text=clean, paragraphs=tuple(paragraphs), report=base,
                    sha256=sha256, pages=pages, warnings=tuple(dict.fromkeys(warnings)))
