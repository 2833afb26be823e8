"""The compare view: one row per year, place or report with its best verified quote and "Add to note"."""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from rag import Assistant, Chunk, CompareRow, Comparison, Filters, NoteItem, RagError, compare

from .chat import Turn
from .citation import locate
from .notes import NOTE_EVENTS, add_all_to_note, add_to_note
from .render import esc

CSS = """
.rag-compare-table {width: 100%; border-collapse: collapse; margin: 4px 0;}
.rag-compare-table th, .rag-compare-table td {border: 1px solid var(--border-color-primary); padding: 6px 8px;
                                              vertical-align: top; text-align: left; overflow-wrap: anywhere;}
.rag-compare-table th[scope=row] {white-space: nowrap;}
.rag-compare-none {color: var(--body-text-color-subdued); font-style: italic;}
"""


def comparison_html(comparison: Comparison, line: Callable[[Chunk], str]) -> str:
    """The comparison as a table: group, its quote (or why it has none), the quote's short citation line.
    Every corpus and user text is escaped."""
    rows = []
    for row in comparison.rows:
        if row.citation is None:
            quote = f'<span class="rag-compare-none">No passage here answers: {esc(row.reason)}</span>'
            where = ""
        else:
            quote = f"“{esc(row.citation.quote.text)}”"
            where = esc(line(row.citation.chunk))
        rows.append(f'<tr class="rag-compare-row"><th scope="row">{esc(row.label)}</th><td>{quote}</td>'
                    f'<td class="rag-meta">{where}</td></tr>')
    return (f'<div class="rag-asked">Compared: “{esc(comparison.question)}” (each row asked “{esc(comparison.topic)}”)'
            '</div><table class="rag-compare-table"><thead><tr><th scope="col">Group</th><th scope="col">Quote</th>'
            f'<th scope="col">Citation</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def compare_question(
    assistant: Assistant, typed: str, turns: list[Turn], within: Filters | None = None
) -> Comparison | None:
    """The comparison of the question in the box, else of the latest question asked, under the user's filters;
    None (with a warning shown) when there is nothing to compare or it cannot be asked."""
    question = (typed or "").strip() or (turns[-1].question if turns else "")
    if not question:
        gr.Warning("Type a question to compare across reports.")
        return None
    try:
        return compare(assistant, question, within=within)
    except RagError as exc:
        gr.Warning(str(exc))
        return None


def compare_panel(assistant: Assistant, demo: gr.Blocks, comparison: gr.State, note: gr.State,
                  version: gr.State) -> None:
    """The compare tab's contents: the table, then "Add all rows to note" and one "Add to note" per quoted row."""

    def line(chunk: Chunk) -> str:
        document = assistant.index.documents.get(chunk.doc)
        return locate(chunk, document.paragraphs if document else ()).line

    def add_button(current: Comparison, row: CompareRow, n: int) -> None:
        if row.citation is None:
            return
        item = NoteItem.from_compare_row(row.citation, current.question, row.label)
        button = gr.Button(f"+ Add to note: {row.label}", size="sm", elem_classes=["rag-add"],
                           elem_id=f"add-compare-{n}")
        button.click(lambda n_, v: add_to_note(n_, v, item), [note, version], [note, version], **NOTE_EVENTS)

    def add_all_button(current: Comparison) -> None:
        items = [NoteItem.from_compare_row(r.citation, current.question, r.label) for r in current.rows
                 if r.citation is not None]
        if len(items) < 2:  # one row has its own button
            return
        button = gr.Button(f"+ Add all {len(items)} rows to note", size="sm", elem_classes=["rag-add"],
                           elem_id="add-compare-all")
        button.click(lambda n_, v: add_all_to_note(n_, v, items), [note, version], [note, version], **NOTE_EVENTS)

    @gr.render(inputs=[comparison], triggers=[comparison.change, demo.load])
    def show(current: Comparison | None) -> None:
        if current is None:
            gr.HTML('<p class="rag-empty">Ask a question such as “compare attendance at the 2016 and 2019 '
                    "workshops”, or press “Compare across reports”: one row per year, place or report appears "
                    "here.</p>")
            return
        gr.HTML(comparison_html(current, line), elem_id="compare-table")
        with gr.Row(elem_id="compare-adds"):
            add_all_button(current)
            for n, row in enumerate(current.rows, 1):
                add_button(current, row, n)
