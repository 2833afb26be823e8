"""The Gradio chat over the reports: streamed, cited answers, source cards, briefing notes.

One Assistant (model and index) per process, shared by every session; all per-user state lives in
gr.State, so concurrent users never see each other's conversation.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from rag.briefing import BriefingNote
from rag.errors import IndexNotFoundError
from rag.ingest import IngestProgress
from rag.pipeline import Assistant
from rag.settings import Settings

from .chat import Turn, ask_turn, filter_choices, make_filters, next_history, record_feedback, turn_record
from .memory import SESSION_CAPACITY, limit_heap_growth
from .notes import note_panel
from .render import CSS, THEME, answer_markdown, chat_text, error_markdown, words_stream
from .sources import sources_panel

log = logging.getLogger(__name__)

EXAMPLES = [
    "Who chaired the working session on cluster 3?",
    "How many government delegates attended the 2016 Bangkok workshop?",
    "What was recommended on fair recruitment?",
    "What did the 2021 Friends of the Forum meeting discuss?",
]
STREAM_PAUSE_S = 0.03  # between streamed word groups: visible streaming, negligible total delay
CONCURRENCY = 8


def _stream_turn(
    assistant: Assistant, question: str, messages: list[dict[str, Any]], history: list[str],
    turns: list[Turn], reports: list[str], years: list[str], places: list[str],
) -> Iterator[tuple[Any, ...]]:
    """Chat handler: show the question, ask, then stream the answer a few words at a time."""
    skip = gr.skip()
    if not (question or "").strip():
        yield skip, skip, skip, skip, skip
        return
    messages = [*messages, {"role": "user", "content": chat_text(question)},
                {"role": "assistant", "content": "*Searching the reports…*"}]
    yield "", messages, skip, skip, skip
    turn = ask_turn(assistant, question, history, make_filters(reports, years, places))
    turns = [*turns, turn]
    if turn.answer is None:
        messages[-1] = {"role": "assistant", "content": error_markdown(turn.error or "")}
        yield skip, messages, history, turns, turn
        return
    for i, shown in enumerate(words_stream(turn.answer.text)):
        messages[-1] = {"role": "assistant", "content": answer_markdown(turn.answer, shown)}
        if i == 0:  # the source cards render while the rest of the answer streams
            yield skip, messages, next_history(history, turn), turns, turn
        else:
            yield skip, messages, skip, skip, skip
            time.sleep(STREAM_PAUSE_S)
    messages[-1] = {"role": "assistant", "content": answer_markdown(turn.answer)}
    yield skip, messages, skip, skip, skip


def build_app(assistant: Assistant, examples: list[str] | None = None, feedback_file: Path | None = None) -> gr.Blocks:
    """The whole UI over one loaded assistant (tests launch it with `launch`)."""
    titles, years, places = filter_choices(assistant)
    settings = assistant.settings
    feedback_path = feedback_file or settings.paths.index / settings.serve.feedback_file

    with gr.Blocks(title="GFMD reports assistant") as demo:
        history = gr.State([])  # this session's standalone queries, oldest first
        turns = gr.State([])  # one Turn per question, aligned with the assistant messages
        latest = gr.State(None)  # the Turn whose sources are shown
        note = gr.State(BriefingNote())
        note_version = gr.State(0)

        gr.Markdown("## GFMD reports assistant\nAnswers quote the reports verbatim and cite report, section, "
                    "paragraph and page. When the reports do not answer, it says so and shows the nearest passages.")
        with gr.Row(equal_height=False):
            with gr.Column(scale=5):
                chatbot = gr.Chatbot(label="Conversation", height=480, elem_id="chat", latex_delimiters=[],
                                     buttons=["copy"], feedback_options=("Like", "Dislike"),
                                     placeholder="Ask a question about the GFMD reports.")
                with gr.Row():
                    question = gr.Textbox(placeholder="Ask a question…", show_label=False, scale=6,
                                          elem_id="question", max_lines=4, submit_btn=False)
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                with gr.Accordion("Filters", open=False), gr.Row():
                    f_reports = gr.Dropdown(titles, multiselect=True, label="Report", elem_id="filter-report")
                    f_years = gr.Dropdown(years, multiselect=True, label="Year", elem_id="filter-year")
                    f_places = gr.Dropdown(places, multiselect=True, label="Place", elem_id="filter-place")
                gr.Examples(examples or EXAMPLES, inputs=[question], label="Try one of these")
                new_chat = gr.Button("New conversation", elem_id="new-conversation", size="sm")
            with gr.Column(scale=4), gr.Tabs():
                with gr.Tab("Sources", id="sources"):
                    sources_panel(assistant, latest, note, note_version)
                with gr.Tab("Briefing note", id="note", elem_id="note-tab"):
                    note_panel(assistant, demo, note, note_version)

        def current_choices() -> tuple[Any, ...]:  # a page opened after `rag ingest` lists the new reports
            return tuple(gr.update(choices=c) for c in filter_choices(assistant))

        demo.load(current_choices, None, [f_reports, f_years, f_places], api_visibility="private")

        chat_inputs = [question, chatbot, history, turns, f_reports, f_years, f_places]
        chat_outputs = [question, chatbot, history, turns, latest]

        def chat(*args: Any) -> Iterator[tuple[Any, ...]]:
            yield from _stream_turn(assistant, *args)

        send.click(chat, chat_inputs, chat_outputs, api_visibility="private", show_progress="hidden")
        question.submit(chat, chat_inputs, chat_outputs, api_visibility="private", show_progress="hidden")
        new_chat.click(lambda: ([], [], [], None, ""), None, [chatbot, history, turns, latest, question],
                       api_visibility="private")
        chatbot.clear(lambda: ([], [], None), None, [history, turns, latest], api_visibility="private")

        def feedback(turns_so_far: list[Turn], data: gr.LikeData) -> None:
            index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
            answer_number = int(index) // 2  # messages alternate user, assistant
            if 0 <= answer_number < len(turns_so_far) and data.liked is not None:
                record_feedback(feedback_path, turns_so_far[answer_number], bool(data.liked))
                gr.Info("Thank you: feedback recorded.")

        chatbot.like(feedback, [turns], None, api_visibility="private")

        # A clean API for scripts and the concurrency test: one question in, the CLI's JSON contract out,
        # with this client session's conversation carried in the same gr.State as the chat's.
        api_question = gr.Textbox(visible=False)
        api_answer = gr.JSON(visible=False)
        api_button = gr.Button(visible=False)

        def api_ask(text: str, past: list[str]) -> tuple[dict[str, Any], list[str]]:
            turn = ask_turn(assistant, text, past)
            return turn_record(turn), next_history(past, turn)

        api_button.click(api_ask, [api_question, history], [api_answer, history], api_name="ask")
        reset_button = gr.Button(visible=False)
        reset_button.click(lambda: ([], [], None), None, [history, turns, latest], api_name="reset")
    return demo


def launch(demo: gr.Blocks, assistant: Assistant, host: str = "127.0.0.1", port: int = 7860,
           block: bool = True) -> None:
    """Start the server: a queue with several workers, and the indexed PDFs served so a card can open one at
    its page. Only the PDFs: serving the corpus folder would let its HTML files run in the app's origin.
    Memory stays bounded however long it serves (ui/memory.py says how)."""
    corpus = assistant.settings.paths.corpus.resolve()
    pdfs = [str(corpus / doc) for doc in assistant.index.documents if doc.lower().endswith(".pdf")]
    limit_heap_growth()
    demo.queue(default_concurrency_limit=CONCURRENCY)
    demo.launch(server_name=host, server_port=port, prevent_thread_lock=not block, css=CSS, theme=THEME,
                allowed_paths=pdfs, footer_links=["api"], quiet=True, state_session_capacity=SESSION_CAPACITY)


def terminal_progress() -> IngestProgress:
    """Ingest progress as tqdm bars on stderr."""
    from tqdm import tqdm

    bars: dict[str, Any] = {}
    finished: set[str] = set()

    def progress(stage: str, done: int, total: int) -> None:
        if stage in finished:
            return
        if stage not in bars:
            bars[stage] = tqdm(total=total, desc=stage, unit="file" if stage == "read" else "chunk", file=sys.stderr)
        bars[stage].n = done
        bars[stage].refresh()
        if done >= total:
            bars[stage].close()
            finished.add(stage)

    return progress


def serve(
    settings: Settings, host: str = "127.0.0.1", port: int = 7860, progress: IngestProgress | None = None
) -> None:
    """`rag serve`: load the index (building it first if there is none), then serve the UI until stopped."""
    try:
        assistant = Assistant(settings)
    except IndexNotFoundError:
        print(f"No index in {settings.paths.index}: building one from {settings.paths.corpus} first…", file=sys.stderr)
        assistant, report = Assistant.build(settings, progress or terminal_progress())
        for failed in report.failed:
            print(f"SKIPPED {failed.doc}: {failed.error}", file=sys.stderr)
    print(f"Serving on http://{host}:{port}", file=sys.stderr)
    launch(build_app(assistant), assistant, host, port)
