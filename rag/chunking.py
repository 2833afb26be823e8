"""Paragraph-aware chunks: one paragraph per chunk where it fits the model's window."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

from langchain_text_splitters import RecursiveCharacterTextSplitter

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
    for paragraph in document.paragraphs:
        # A heading alone answers nothing; its words reach search through each chunk's section.
        if paragraph.kind == "heading" or not paragraph.text.strip():
            continue
        for start, end in _spans(paragraph, splitter, settings.max_tokens, count_tokens):
            for piece_start, piece_end in _capped(document.text, start, end, settings.max_chars):
                chunks.append(_make_chunk(document, paragraph, piece_start, piece_end))
    return chunks


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


def _make_chunk(document: Document, paragraph: Paragraph, start: int, end: int) -> Chunk:
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
    )
