"""The Gradio chat over the reports: streamed, cited answers, source cards, briefing notes.

One Assistant (model and index) per process, shared by every session; all per-user state lives in
gr.State, so concurrent users never see each other's conversation.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import gradio as gr

from rag import (
    Assistant,
    BriefingNote,
    Citation,
    Filters,
    IndexNotFoundError,
    IngestProgress,
    Settings,
    is_comparison,
    open_store,
)

from .chat import Turn, ask_turn, filter_choices, make_filters, next_history, record_feedback, turn_record
from .citation import locate
from .citelinks import CSS as CITE_CSS
from .citelinks import SCRIPT as CITE_SCRIPT
from .citelinks import inline_sources, link_markers
from .compare import CSS as COMPARE_CSS
from .compare import compare_panel, compare_question
from .filters import CSS as FILTER_CSS
from .filters import filter_chips, filtered_decline, panel_label
from .memory import SESSION_CAPACITY, limit_heap_growth
from .notes import note_panel, notes_menu_update
from .persist import (
    LEAVE_SCRIPT,
    Notebook,
    browser_secret,
    load_comparison,
    load_conversation,
    load_notebook,
    new_browser_id,
    save_comparison,
    save_conversation,
    save_notebook,
    valid_id,
)
from .render import CSS, THEME, answer_markdown, chat_text, error_markdown
from .sources import sources_panel
from .viewer import viewer_routes

log = logging.getLogger(__name__)

EXAMPLES = [
    "Who chaired the working session on cluster 3?",
    "How many government delegates attended the 2016 Bangkok workshop?",
    "What was recommended on fair recruitment?",
    "What did the 2021 Friends of the Forum meeting discuss?",
]
ASK_LABEL, BUSY_LABEL = "Ask", "Answering…"
# Enter (or Ask) while an answer is coming is queued, not dropped, and says so at once under the box: the
# page holds the question until the current answer is complete, then sends it, so the two never run side by
# side on the same session's state (which would lose one of the turns).
QUEUE_NOTICE_JS = """
(...args) => {
  const ask = document.querySelector('#ask');
  const busy = () => ask && ask.innerText.includes('BUSY');
  if (!busy()) return args;
  let note = document.querySelector('#queued-note');
  if (!note) {
    note = document.createElement('div');
    note.id = 'queued-note';
    note.setAttribute('role', 'status');
    document.querySelector('#question').after(note);
  }
  note.textContent = 'Queued: your question will be asked as soon as the current answer is complete.';
  return new Promise(resolve => {
    const wait = setInterval(() => {
      if (busy()) return;
      clearInterval(wait);
      note.remove();
      resolve(args);
    }, 50);
  });
}
""".replace("BUSY", BUSY_LABEL)
STYLES = CSS + CITE_CSS + FILTER_CSS + COMPARE_CSS
CONCURRENCY = 8
CHAT_HEIGHT = 360  # at 1366x900 the question box, filters and examples all fit above the fold


def _answer_turn(
    assistant: Assistant, question: str, history: list[str], turns: list[Turn],
    reports: list[str], years: list[str], places: list[str],
) -> Iterator[tuple[Any, ...]]:
    """Chat handler: show the question at once, then the whole answer when it is ready.

    The answer is composed in one piece from verified quotes, so nothing is released word by word: the
    message says it is searching, and the Ask button says "Answering…", until the answer is there. The chat
    is redrawn from this session's turns (server-side state), never from the messages the page sent: a
    question queued while another was answered must not write over that answer."""
    skip = gr.skip()
    if not (question or "").strip():
        yield skip, skip, skip, skip, skip, skip
        return
    pending = [{"role": "user", "content": chat_text(question)},
               {"role": "assistant", "content": "*Searching the reports…*"}]
    yield "", chat_messages(assistant, turns) + pending, skip, skip, skip, gr.update(value=BUSY_LABEL)
    turn = ask_turn(assistant, question, history, make_filters(reports, years, places))
    turns = [*turns, turn]
    yield (skip, chat_messages(assistant, turns), next_history(history, turn), turns, len(turns) - 1,
           gr.update(value=ASK_LABEL))


def chat_messages(assistant: Assistant, turns: list[Turn]) -> list[dict[str, str]]:
    """The chat as the Chatbot shows it: each turn's question and its answer (or the reason it was refused),
    the answer's [n] markers linked to its source cards."""

    def line(citation: Citation) -> str:
        document = assistant.index.documents.get(citation.chunk.doc)
        return locate(citation.chunk, document.paragraphs if document else ()).line

    messages = []
    for i, turn in enumerate(turns):
        if turn.answer is None:
            content = error_markdown(turn.error or "")
        else:
            answer = turn.answer
            if answer.abstained and turn.filters:  # the filter, not the reports, may be why
                answer = replace(answer, text=filtered_decline(turn.filters, answer.reason))
            content = answer_markdown(answer, lambda body, a=answer, i=i: link_markers(body, a, i, line))
            content += inline_sources(answer, line)
        messages += [{"role": "user", "content": chat_text(turn.question)}, {"role": "assistant", "content": content}]
    return messages


def build_app(assistant: Assistant, examples: list[str] | None = None, feedback_file: Path | None = None) -> gr.Blocks:
    """The whole UI over one loaded assistant (tests launch it with `launch`)."""
    titles, years, places = filter_choices(assistant)
    settings = assistant.settings
    feedback_path = feedback_file or settings.paths.index / settings.serve.feedback_file

    with gr.Blocks(title="GFMD reports assistant") as demo:
        history = gr.State([])  # this session's standalone queries, oldest first
        turns = gr.State([])  # one Turn per question, aligned with the assistant messages
        shown = gr.State(None)  # index of the turn whose sources are shown
        note = gr.State(BriefingNote())  # the open note
        note_version = gr.State(0)
        notebook = gr.State(Notebook())  # every note of this browser
        comparison = gr.State(None)  # the latest compare view of this session (rag.Comparison)
        root = settings.paths.index
        browser_id = gr.BrowserState(None, storage_key="gfmd-rag-browser", secret=browser_secret(root))

        with gr.Row(elem_id="app-header"):
            gr.Markdown("## GFMD reports assistant\nAnswers quote the reports verbatim and cite report, section, "
                        "paragraph and page. When the reports do not answer, it says so and shows the nearest "
                        "passages.")
            new_chat = gr.Button("New conversation", elem_id="new-conversation", size="sm", scale=0)
        menu = {"multiselect": True, "render": False, "elem_classes": ["rag-filter-menu"]}
        f_reports = gr.Dropdown(titles, label="Report", elem_id="filter-report", **menu)
        f_years = gr.Dropdown(years, label="Year", elem_id="filter-year", **menu)
        f_places = gr.Dropdown(places, label="Place", elem_id="filter-place", **menu)
        with gr.Row(equal_height=False):
            with gr.Column(scale=5):
                filter_chips({"report": f_reports, "year": f_years, "place": f_places})
                chatbot = gr.Chatbot(label="Conversation", height=CHAT_HEIGHT, elem_id="chat", latex_delimiters=[],
                                     buttons=["copy"], feedback_options=("Like", "Dislike"),
                                     placeholder="Ask a question about the GFMD reports.")
                with gr.Row():
                    question = gr.Textbox(placeholder="Ask a question…", show_label=False, scale=6,
                                          elem_id="question", max_lines=4, submit_btn=False)
                    send = gr.Button(ASK_LABEL, variant="primary", scale=1, elem_id="ask")
                compare_button = gr.Button("Compare across reports", size="sm", elem_id="compare")
                examples = gr.Examples(examples or EXAMPLES, inputs=[question], label="Try one of these")
                with gr.Accordion("Filters", open=False, elem_id="filters") as filters_panel, gr.Row():
                    f_reports.render()
                    f_years.render()
                    f_places.render()
            with gr.Column(scale=4), gr.Tabs() as tabs:
                with gr.Tab("Sources", id="sources"):
                    sources_panel(assistant, demo, turns, shown, note, note_version)
                with gr.Tab("Compare", id="compare", elem_id="compare-tab"):
                    compare_panel(assistant, demo, comparison, note, note_version)
                with gr.Tab("Briefing note", id="note", elem_id="note-tab"):
                    note_title, notes_menu = note_panel(assistant, demo, note, note_version, notebook)

        cite_request = gr.Textbox(elem_id="cite-request", show_label=False, container=False)

        def show_answer(request: str, session: list[Turn]) -> Any:
            """A click on an answer ("k::nonce") or on its marker ("k:n:nonce") shows that answer's sources."""
            answer, _, _ = (request or "").partition(":")
            return int(answer) if answer.isdigit() and int(answer) < len(session) else gr.skip()

        cite_request.change(show_answer, [cite_request, turns], [shown], api_visibility="private",
                           show_progress="hidden")

        for menu_box in (f_reports, f_years, f_places):
            menu_box.change(lambda r, y, p: gr.update(label=panel_label(r, y, p)), [f_reports, f_years, f_places],
                            [filters_panel], api_visibility="private", show_progress="hidden")

        def current_choices() -> tuple[Any, ...]:  # a page opened after `rag ingest` lists the new reports
            return tuple(gr.update(choices=c) for c in filter_choices(assistant))

        demo.load(current_choices, None, [f_reports, f_years, f_places], api_visibility="private")

        def restore(known: str | None, version: int) -> tuple[Any, ...]:
            """On (re)load: this browser's saved conversation and notes, or a new id for a new browser."""
            if not valid_id(known):
                known = new_browser_id()
            chat = load_conversation(root, known)
            book = load_notebook(root, known)
            shown_index = len(chat.turns) - 1 if chat.turns else None
            turns_now = list(chat.turns)
            return (known, turns_now, list(chat.history), shown_index, chat_messages(assistant, turns_now),
                    book, book.open_note, version + 1, book.open_note.title, notes_menu_update(book),
                    load_comparison(root, known))

        demo.load(restore, [browser_id, note_version],
                  [browser_id, turns, history, shown, chatbot, notebook, note, note_version, note_title, notes_menu,
                   comparison], api_visibility="private")
        turns.change(lambda b, t, h: valid_id(b) and save_conversation(root, b, t, h), [browser_id, turns, history],
                     None, api_visibility="private")
        notebook.change(lambda b, book: valid_id(b) and save_notebook(root, b, book), [browser_id, notebook], None,
                        api_visibility="private")
        comparison.change(lambda b, c: valid_id(b) and save_comparison(root, b, c), [browser_id, comparison], None,
                          api_visibility="private")

        chat_inputs = [question, history, turns, f_reports, f_years, f_places]
        chat_outputs = [question, chatbot, history, turns, shown, send]

        def chat(*args: Any) -> Iterator[tuple[Any, ...]]:
            yield from _answer_turn(assistant, *args)

        asking = {"api_visibility": "private", "show_progress": "hidden", "trigger_mode": "always_last",
                  "concurrency_id": "chat", "js": QUEUE_NOTICE_JS}
        def show_comparison(typed: str, session: list[Turn], within: Filters | None = None) -> tuple[Any, Any]:
            found = compare_question(assistant, typed, session, within)
            return (gr.skip(), gr.skip()) if found is None else (found, gr.Tabs(selected="compare"))

        def auto_compare(session: list[Turn]) -> tuple[Any, Any]:
            """A question that asks for a comparison also gets the compare view, shown at once."""
            if not session or session[-1].answer is None or not is_comparison(session[-1].question):
                return gr.skip(), gr.skip()
            return show_comparison("", session, session[-1].filters)

        comparing = {"api_visibility": "private", "show_progress": "hidden", "concurrency_id": "compare"}
        compare_button.click(lambda typed, session, r, y, p: show_comparison(typed, session, make_filters(r, y, p)),
                             [question, turns, f_reports, f_years, f_places], [comparison, tabs], **comparing)
        send.click(chat, chat_inputs, chat_outputs, **asking).then(auto_compare, [turns], [comparison, tabs],
                                                                    **comparing)
        question.submit(chat, chat_inputs, chat_outputs, **asking).then(auto_compare, [turns], [comparison, tabs],
                                                                         **comparing)
        examples.load_input_event.then(chat, chat_inputs, chat_outputs, **asking)  # a click asks the example
        new_chat.click(lambda: ([], [], [], None, ""), None, [chatbot, history, turns, shown, question],
                       api_visibility="private")
        chatbot.clear(lambda: ([], [], None), None, [history, turns, shown], api_visibility="private")

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
        reset_button.click(lambda: ([], [], None), None, [history, turns, shown], api_name="reset")
    return demo


def launch(demo: gr.Blocks, assistant: Assistant, host: str = "127.0.0.1", port: int = 7860,
           block: bool = True) -> None:
    """Start the server: a queue with several workers, the indexed PDFs served so a card can open one at its
    page, and the viewer that shows a quote highlighted on its page (ui/viewer.py). Only the PDFs: serving
    the corpus folder would let its HTML files run in the app's origin.
    Memory stays bounded however long it serves (ui/memory.py says how)."""
    corpus = assistant.settings.paths.corpus.resolve()
    pdfs = [str(corpus / doc) for doc in assistant.index.documents if doc.lower().endswith(".pdf")]
    limit_heap_growth()
    demo.queue(default_concurrency_limit=CONCURRENCY)
    demo.launch(server_name=host, server_port=port, prevent_thread_lock=not block, css=STYLES, theme=THEME,
                head=CITE_SCRIPT + LEAVE_SCRIPT, allowed_paths=pdfs, footer_links=["api"], quiet=True,
                state_session_capacity=SESSION_CAPACITY,
                app_kwargs={"routes": viewer_routes(corpus, lambda: assistant.index.documents)})


def terminal_progress() -> IngestProgress:
    """Ingest progress as tqdm bars on stderr."""
    from tqdm import tqdm

    bars: dict[str, Any] = {}
    finished: set[str] = set()

    def progress(stage: str, done: int, total: int) -> None:
        if stage in finished:
            return
        if stage not in bars:
            unit = {"read": "file", "sentences": "sentence"}.get(stage, "chunk")
            bars[stage] = tqdm(total=total, desc=stage, unit=unit, file=sys.stderr)
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
        where = open_store(settings).where  # a folder, or a PostgreSQL server with store.backend = "postgres"
        print(f"No index in {where}: building one from {settings.paths.corpus} first…", file=sys.stderr)
        assistant, report = Assistant.build(settings, progress or terminal_progress())
        for failed in report.failed:
            print(f"SKIPPED {failed.doc}: {failed.error}", file=sys.stderr)
    print(f"Serving on http://{host}:{port}", file=sys.stderr)
    launch(build_app(assistant), assistant, host, port)
