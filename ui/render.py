"""HTML and chat text for answers, source cards and note items. Every corpus or user string is escaped here."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import quote as url_quote
from urllib.parse import urlencode

import gradio as gr

from rag import Answer, BriefingNote, Chunk, NoteItem, Paragraph

from .citation import Locator

# Characters a front-end template or Markdown/LaTeX renderer could act on, beyond HTML's own.
_EXTRA = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;", "\\": "&#92;"})
_MARKDOWN = re.compile(r"([*_\[\]()#+!|~-])")
_LIST_START = re.compile(r"^(\s*\d+)\.", re.MULTILINE)
_MARKER = re.compile(r"\\\[(\d+)\\\]")

def _theme() -> gr.themes.Base:
    """Gradio's default look with every text colour at WCAG AA (4.5:1) or better on its background:
    the default orange accent (2.8:1 under white text) and grey secondary text (1.9:1) are darkened."""
    return gr.themes.Default().set(
        body_text_color_subdued="*neutral_600",
        body_text_color_subdued_dark="*neutral_300",
        color_accent="*primary_700",
        color_accent_soft="*primary_50",
        link_text_color="*primary_700",
        link_text_color_visited="*primary_800",
        input_placeholder_color="*neutral_600",
        block_label_text_color="*neutral_600",
        block_info_text_color="*neutral_600",
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_text_color="white",
    )


THEME = _theme()

CSS = """
.rag-card {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; margin: 4px 0;
           background: var(--background-fill-secondary);}
.rag-card.rag-nearest {border-style: dashed;}
.rag-card-head {font-weight: 600; margin-bottom: 2px;}
.rag-n {display: inline-block; min-width: 2em; margin-right: 4px; color: var(--color-accent);}
.rag-meta {font-size: 0.85em; color: var(--body-text-color-subdued); margin-bottom: 6px; overflow-wrap: anywhere;}
.rag-para {margin: 6px 0; padding-left: 10px; border-left: 3px solid var(--color-accent); white-space: pre-wrap;
           overflow-wrap: anywhere;}
.rag-asked {font-size: 0.9em; color: var(--body-text-color-subdued); margin: 0 0 4px 2px;}
.rag-para mark, .rag-context mark {background: #ffe58a; color: #000; padding: 0 1px;}
.rag-context[open] {max-height: 420px; overflow-y: auto;}
.rag-context summary {cursor: pointer; font-size: 0.9em; color: var(--color-accent);}
.rag-context .rag-ctx {margin: 4px 0; font-size: 0.9em; white-space: pre-wrap; overflow-wrap: anywhere;}
.rag-context .rag-ctx.rag-cited {border-left: 3px solid var(--color-accent); padding-left: 6px;}
.rag-banner {border: 2px solid #c0392b; border-radius: 8px; padding: 8px 12px; margin-bottom: 6px;
             background: rgba(192, 57, 43, 0.08);}
.rag-banner b {color: #c0392b;}
.rag-note-item {border-left: 3px solid var(--color-accent); padding: 4px 8px; margin-top: 6px;}
.rag-note-item.rag-note-flagged {border-left-color: #c0392b;}
.rag-empty {color: var(--body-text-color-subdued); font-style: italic;}
button.rag-add {border: 1px solid var(--color-accent); color: var(--color-accent); font-weight: 600; cursor: pointer;
                background: var(--background-fill-primary);}
button.rag-add:hover, button.rag-add:focus-visible {background: var(--color-accent); color: white;}
#queued-note {margin: 4px 2px; padding: 4px 8px; border-left: 3px solid var(--color-accent); font-size: 0.9em;
              color: var(--body-text-color);}
#app-header {align-items: center; flex-wrap: wrap;}
#app-header > * {min-width: 0;}
#new-conversation {flex: 0 0 auto; width: auto; min-width: max-content; white-space: nowrap;
                   border: 1px solid var(--color-accent); color: var(--color-accent); font-weight: 600;
                   background: var(--background-fill-primary);}
"""


def esc(text: str | None) -> str:
    """Inert HTML for any corpus or user text (quotes, $, braces and backticks too)."""
    return html.escape(text or "", quote=True).translate(_EXTRA)


def chat_text(text: str) -> str:
    """Plain text made safe for the chatbot's Markdown: HTML escaped, Markdown syntax neutralised."""
    safe = _LIST_START.sub(r"\1\\.", _MARKDOWN.sub(r"\\\1", text.replace("\\", "\\\\")))
    return html.escape(safe, quote=False).replace("$", "&#36;")


def answer_markdown(answer: Answer, markers: Callable[[str], str] | None = None) -> str:
    """The chat message for an answer; `markers` turns the escaped [n] markers into links (bold otherwise)."""
    body = chat_text(answer.text)
    body = markers(body) if markers else _MARKER.sub(r"**[\1]**", body)
    lines = []
    if answer.query.strip() != answer.question.strip():
        lines.append(f"*Searched as:* “{chat_text(answer.query)}”\n")
    if answer.abstained:
        lines.append("⚠️ **Not an answer.** " + body)
    else:
        lines.append(body)
    return "\n".join(lines)


def error_markdown(message: str) -> str:
    return "⚠️ **Cannot answer:** " + chat_text(message)


VIEW_PATH = "/pdfview"  # served by ui/viewer.py
MAX_QUOTE = 2000  # characters; a citation's quote is far shorter


def view_url(doc: str, page: int, quote: str) -> str:
    """The viewer's address for a quote of `doc` (the index's name for it) on `page`."""
    return f"{VIEW_PATH}?{urlencode({'doc': doc, 'page': page, 'quote': quote[:MAX_QUOTE]})}"


def raw_pdf_url(corpus: Path, doc: str, page: int | None = None) -> str:
    """The PDF itself as Gradio serves it (its `allowed_paths`), opened at `page`."""
    return f"/gradio_api/file={url_quote(str((corpus / doc).resolve()))}" + (f"#page={page}" if page else "")


def pdf_link(corpus: Path, chunk: Chunk, quote: str = "") -> str:
    """For a PDF, a link to the viewer showing the cited page with the quote highlighted, and one to the PDF
    itself at that page; empty for other formats."""
    if not chunk.doc.lower().endswith(".pdf"):
        return ""
    raw = raw_pdf_url(corpus, chunk.doc, chunk.page)
    if not chunk.page:  # no page to render: the PDF itself
        return f'<a class="rag-pdf" href="{esc(raw)}" target="_blank" rel="noopener">open PDF</a>'
    view = view_url(chunk.doc, chunk.page, quote)
    return (f'<a class="rag-pdf" href="{esc(view)}" target="_blank" rel="noopener">open PDF at p. {chunk.page}</a>'
            f' (<a class="rag-pdf-raw" href="{esc(raw)}" target="_blank" rel="noopener">raw PDF</a>)')


def meta_html(chunk: Chunk, corpus: Path, locator: Locator, quote: str = "") -> str:
    """The short citation line (full file name on hover) and, for a PDF, the links to its page."""
    link = pdf_link(corpus, chunk, quote)
    return f'<span title="{esc(chunk.doc)}">{esc(locator.line)}</span>' + (f" · {link}" if link else "")


def highlighted(paragraph: Paragraph | Chunk, start: int, end: int) -> str:
    """The paragraph's text with document offsets [start, end) marked; escaped piece by piece."""
    text = paragraph.text
    a = max(0, min(len(text), start - paragraph.start))
    b = max(a, min(len(text), end - paragraph.start))
    if a == b:
        return esc(text)
    return f"{esc(text[:a])}<mark>{esc(text[a:b])}</mark>{esc(text[b:])}"


def quoted_text(paragraph: Paragraph | Chunk, start: int, end: int) -> str:
    """The text at document offsets [start, end) within the paragraph (empty when none is quoted)."""
    a = max(0, min(len(paragraph.text), start - paragraph.start))
    return paragraph.text[a:max(a, min(len(paragraph.text), end - paragraph.start))]


def context_html(paragraphs: Sequence[Paragraph], chunk: Chunk, start: int, end: int) -> str:
    blocks = []
    for p in paragraphs:
        cited = p.index == chunk.paragraph_index
        body = highlighted(p, start, end) if cited else esc(p.text)
        number = f"<b>{esc(p.number)}</b> " if p.number and not p.text.startswith(p.number) else ""
        tag = "<b>" + body + "</b>" if p.kind == "heading" else body
        page = f' <span class="rag-meta">(p. {p.page})</span>' if p.page is not None else ""
        blocks.append(f'<div class="rag-ctx{" rag-cited" if cited else ""}">{number}{tag}{page}</div>')
    return ('<details class="rag-context"><summary>Show in context</summary>' + "".join(blocks) + "</details>")


def card_html(
    label: str, chunk: Chunk, start: int, end: int, corpus: Path,
    context: Callable[[str, int, int], Sequence[Paragraph]], locator: Locator, nearest: bool = False,
    anchor: str = "",
) -> str:
    """A source card: report, locator, the paragraph with the quote highlighted, and its context."""
    paragraph = next(iter(context(chunk.chunk_id, 0, 0)), None) or chunk
    anchor_id = f' id="{esc(anchor)}"' if anchor else ""
    return (
        f'<div class="rag-card{" rag-nearest" if nearest else ""}"{anchor_id} data-chunk="{esc(chunk.chunk_id)}">'
        f'<div class="rag-card-head"><span class="rag-n">{esc(label)}</span>{esc(chunk.title)}</div>'
        f'<div class="rag-meta">{meta_html(chunk, corpus, locator, quoted_text(paragraph, start, end))}</div>'
        f'<div class="rag-para">{highlighted(paragraph, start, end)}</div>'
        f"{context_html(context(chunk.chunk_id, 2, 2), chunk, start, end)}</div>"
    )


def asked_html(answer: Answer, number: int = 1, of: int = 1) -> str:
    """Which question the cards belong to (the standalone query when it was rewritten), and which answer."""
    which = f" answer {number} of {of}" if of > 1 else ""
    return f'<div class="rag-asked" data-answer="{number - 1}">Sources for{which}: “{esc(answer.query)}”</div>'


def abstention_banner(answer: Answer, scope: str | None = None) -> str:
    """Why the answer was declined; under a filter (`scope`, e.g. "the 2019 reports") it names the filter."""
    where = (f"No passage in {esc(scope)} answers this question (try again without the filter): " if scope
             else "The reports do not answer this question: ")
    return (
        f'<div class="rag-banner"><b>Not an answer.</b> {where}'
        f"{esc(answer.reason)} The passages below are the nearest the search found; "
        "none of them answers the question.</div>"
    )


def note_item_html(n: int, item: NoteItem, flagged: str | None = None) -> str:
    warn = f'<div class="rag-banner"><b>⚠ could not be re-verified:</b> {esc(flagged)}</div>' if flagged else ""
    compared = (f'<div class="rag-meta rag-note-group">Compare row <b>{esc(item.group)}</b> of “{esc(item.compare)}”'
                "</div>") if item.compare else ""
    return (
        f'<div class="rag-note-item{" rag-note-flagged" if flagged else ""}">{warn}{compared}'
        f"<div><b>{n}.</b> “{esc(item.text)}”</div>"
        f'<div class="rag-meta">— {esc(item.citation)}</div></div>'
    )


def note_summary(note: BriefingNote) -> str:
    count = len(note)
    return f"**{count} quote{'s' if count != 1 else ''}** in the note." if count else (
        "*No quotes yet: use “Add to note” on a source card.*"
    )
