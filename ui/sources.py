"""The source cards beside an answer: cited passages, or the nearest passages of a declined answer."""

from __future__ import annotations

import gradio as gr

from rag import Assistant, Chunk, NoteItem

from .chat import Turn
from .citation import Locator, locate
from .citelinks import card_anchor
from .filters import scope
from .notes import NOTE_EVENTS, add_to_note
from .render import abstention_banner, asked_html, card_html


def sources_panel(
    assistant: Assistant, demo: gr.Blocks, turns: gr.State, shown: gr.State, note: gr.State, version: gr.State
) -> None:
    """The sources of one answer of this session (`shown`, its index; the latest unless another was clicked).
    Each card's id, `src-<answer>-<n>`, is where a click on that answer's [n] marker scrolls to."""
    corpus = assistant.settings.paths.corpus

    def locator(chunk: Chunk) -> Locator:
        document = assistant.index.documents.get(chunk.doc)
        return locate(chunk, document.paragraphs if document else ())

    def add_button(label: str, item: NoteItem, elem_id: str) -> None:
        button = gr.Button(label, size="sm", elem_classes=["rag-add"], elem_id=elem_id)
        button.click(lambda n, v: add_to_note(n, v, item), [note, version], [note, version], **NOTE_EVENTS)

    @gr.render(inputs=[turns, shown], triggers=[shown.change, demo.load])
    def show_sources(session: list[Turn], index: int | None) -> None:
        current = session[index] if index is not None and 0 <= index < len(session) else None
        if current is None or current.answer is None:
            gr.HTML('<p class="rag-empty">Sources for the latest answer appear here; click an answer or one '
                    "of its [n] markers to see that answer's sources.</p>")
            return
        answer = current.answer
        gr.HTML(asked_html(answer, index + 1, len(session)))
        if answer.abstained:
            where = scope(current.filters) if current.filters else None
            gr.HTML(abstention_banner(answer, where), elem_id="not-an-answer")
            for hit in answer.passages:
                c = hit.chunk
                with gr.Group():
                    gr.HTML(card_html(f"Nearest #{hit.rank} ·", c, c.start, c.start, corpus, assistant.context,
                                      locator(c), nearest=True))
                    add_button(f"+ Add passage {hit.rank} to note", NoteItem.from_hit(hit), f"add-passage-{hit.rank}")
            return
        for citation in answer.citations:
            q = citation.quote
            with gr.Group():
                gr.HTML(card_html(f"[{citation.n}]", citation.chunk, q.start, q.end, corpus, assistant.context,
                                  locator(citation.chunk), anchor=card_anchor(index, citation.n)))
                add_button(f"+ Add [{citation.n}] to note", NoteItem.from_citation(citation), f"add-quote-{citation.n}")
        if not answer.citations:
            gr.HTML('<p class="rag-empty">This answer cites no passage.</p>')
