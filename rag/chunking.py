"""Paragraph-aware chunks: one paragraph per chunk where it fits the model's window; list items keep their
lead-in, and short lists are also one passage."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from itertools import pairwise

from langchain_text_splitters import RecursiveCharacterTextSplitter

from .grounding import place_year, sentence_spans
from .repair import is_bare_url
from .settings import ChunkingSettings
from .types import Chunk, Document, Paragraph

TokenCounter = Callable[[str], int]

# Sentence boundaries first, then clauses, then words: a long paragraph splits where a reader would.
_SEPARATORS = [". ", "? ", "! ", "; ", ": ", ", ", " "]


def chunk_id(doc: str, start: int, text: str) -> str:
    """Stable across rebuilds for unchanged files."""
    return hashlib.sha1(f"{doc}\n{start}\n{text}".encode()).hexdigest()[:16]


def chunk_document(document: Document, settings: ChunkingSettings, count_tokens: TokenCounter) -> list[Chunk]:
    splitter = RecursiveCharacterTextSplitter(
        separators=_SEPARATORS,
        keep_separator="end",
        chunk_size=settings.max_tokens,
        chunk_overlap=settings.overlap_tokens,
        length_function=count_tokens,
        strip_whitespace=True,
    )
    chunks: list[Chunk] = []
    leads = _lead_ins(document)
    blocks = _list_blocks(document, leads, settings, count_tokens)
    for paragraph in document.paragraphs:
        # A heading alone answers nothing; its words reach search through each chunk's section. Nor does a
        # paragraph of bare web addresses (a PDF page's link list): behind its header it would match any question.
        # A heading that is a whole sentence ("Question 2: How can the GCM … and the latest Report of the
        # Secretary General on Migration?") says something, and is a passage as well as its section's name.
        if paragraph.kind == "heading" and _is_sentence(paragraph.text):
            paragraph = replace(paragraph, kind="body")
        if paragraph.kind == "heading" or not paragraph.text.strip() or (
                paragraph.kind == "body" and is_bare_url(paragraph.text)):
            continue
        if paragraph.kind != "list" and any(b.start <= paragraph.start and paragraph.end <= b.end for b in blocks):
            continue  # a lead-in alone ("The workshop aimed to:") says nothing; its list's passage holds it
        lead = leads.get(paragraph.index)
        for start, end in _spans(paragraph, splitter, settings.max_tokens, count_tokens):
            for piece_start, piece_end in _capped(document.text, start, end, settings.max_chars):
                chunks.append(_make_chunk(document, paragraph, piece_start, piece_end,
                                          document.text[lead[0] : lead[1]] if lead else ""))
    return chunks + blocks


_SENTENCE_WORDS = 12


def _is_sentence(text: str) -> bool:
    return len(text.split()) >= _SENTENCE_WORDS and text.rstrip().endswith(("?", ".", "!"))


def _is_item(paragraph: Paragraph) -> bool:
    return paragraph.kind == "list" or (paragraph.kind == "body" and paragraph.number is not None)


def _numbering(paragraph: Paragraph) -> str:
    """How an item is numbered, without its value: "4." and "12." -> "9.", "a)" and "d)" -> "a)", a bullet -> ""."""
    return re.sub(r"[A-Za-z]+", "a", re.sub(r"\d+", "9", paragraph.number or ""))


def _lead_ins(document: Document) -> dict[int, tuple[int, int]]:
    """For each list item, the offsets of the sentence ending in a colon that introduces its list: an item
    ("Advance efforts to implement the GCM;") says nothing on its own about whose aim it is. A list ends
    where the numbering changes: "4. The Chair opened the floor" after items a) to d) is the next paragraph."""
    leads: dict[int, tuple[int, int]] = {}
    lead: tuple[int, int] | None = None
    style: str | None = None  # the numbering of the list's first item
    paragraphs = document.paragraphs
    for previous, paragraph in pairwise(paragraphs):
        if previous.text.rstrip().endswith(":") and previous.kind not in ("heading", "footnote"):
            lead, style = sentence_spans(previous.text, previous.start)[-1], None
        elif lead is not None and not _is_item(previous):
            lead = None
        if lead is not None and _is_item(paragraph) and paragraph.section == previous.section and (
                style is None or _numbering(paragraph) == style):
            leads[paragraph.index] = lead
            style = _numbering(paragraph)
        elif paragraph.kind != "footnote":
            lead = None
    return leads


def _list_blocks(document: Document, leads: dict[int, tuple[int, int]], settings: ChunkingSettings,
                 count_tokens: TokenCounter) -> list[Chunk]:
    """One more passage per short list: its lead-in and every item, a verbatim slice of the clean text, so a
    question about the list as a whole ("what did the workshop aim to do?") finds it in one piece."""
    runs: dict[tuple[int, int], list[Paragraph]] = {}
    for paragraph in document.paragraphs:
        if paragraph.index in leads:
            runs.setdefault(leads[paragraph.index], []).append(paragraph)
    blocks = []
    for (start, _), items in runs.items():
        end = max(p.end for p in items)
        text = document.text[start:end]
        if len(items) < 2 or len(text) > settings.max_chars or count_tokens(text) > settings.max_tokens:
            continue
        blocks.append(replace(_make_chunk(document, items[0], start, end), kind="list"))
    return blocks


def _spans(
    paragraph: Paragraph,
    splitter: RecursiveCharacterTextSplitter,
    max_tokens: int,
    count_tokens: TokenCounter,
) -> Iterator[tuple[int, int]]:
    """Document offsets of the pieces of one paragraph."""
    if len(paragraph.text) <= 20 * max_tokens and count_tokens(paragraph.text) <= max_tokens:
        yield paragraph.start, paragraph.end
        return
    cursor = 0
    for piece in splitter.split_text(paragraph.text):
        found = paragraph.text.find(piece, cursor)
        if found < 0:  # overlap moved the piece before the cursor
            found = paragraph.text.find(piece)
        if found < 0:
            raise AssertionError(f"splitter produced text not in paragraph {paragraph.index}")
        yield paragraph.start + found, paragraph.start + found + len(piece)
        cursor = found + 1


def _capped(text: str, start: int, end: int, max_chars: int) -> Iterator[tuple[int, int]]:
    """Split a span longer than max_chars at the last space before the cap (or at the cap)."""
    while end - start > max_chars:
        cut = text.rfind(" ", start + max_chars // 2, start + max_chars)
        cut = cut if cut > start else start + max_chars
        yield start, cut
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        yield start, end


def embedding_text(chunk: Chunk) -> str:
    """The passage as the embedder sees it, behind a contextual header (report, place, year, section path):
    "the workshop" in a paragraph is then read as the workshop its report is about."""
    where = place_year(chunk)
    head = " > ".join(p for p in (chunk.title + (f" ({where})" if where else ""), *chunk.section) if p.strip())
    text = f"{chunk.lead} … {chunk.text}" if chunk.lead else chunk.text
    return f"{head}\n{text}" if head else text


def _make_chunk(document: Document, paragraph: Paragraph, start: int, end: int, lead: str = "") -> Chunk:
    text = document.text[start:end]
    report = paragraph.report or document.report
    return Chunk(
        chunk_id=chunk_id(document.doc, start, text),
        doc=document.doc,
        paragraph_index=paragraph.index,
        kind=paragraph.kind,
        text=text,
        start=start,
        end=end,
        section=paragraph.section,
        paragraph=paragraph.number,
        page=paragraph.page,
        title=report.title,
        date=report.date,
        place=report.place,
        lead=lead,
    )
