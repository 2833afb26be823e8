"""The briefing-note panel: collected quotes, reorder, annotate, title, export (DOCX, Markdown)."""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import gradio as gr

from rag import Assistant, BriefingNote, NoteItem, reverify, to_docx, to_markdown

from .persist import Notebook
from .render import note_item_html, note_summary

# Every event that changes a note runs alone, in the order it was sent: an annotation typed just before a
# click on "Down" is applied before the move, never concurrently with it (no lost or misplaced update).
NOTE_EVENTS: dict[str, object] = {"concurrency_id": "note", "concurrency_limit": 1, "api_visibility": "private"}


def add_to_note(note: BriefingNote, version: int, item: NoteItem) -> tuple[BriefingNote, int]:
    """Handler body for every "Add to note" button."""
    if any(i.key == item.key for i in note.items):
        gr.Info("That quote is already in the note.")
        return note, version
    count = len(note) + 1
    gr.Info(f"Added to the note ({count} quote{'s' if count > 1 else ''}).")
    return note.add(item), version + 1


def add_all_to_note(note: BriefingNote, version: int, items: list[NoteItem]) -> tuple[BriefingNote, int]:
    """Handler body for "Add all rows to note": one change for every row, in table order; rows already in the
    note are kept once and counted as such."""
    added = note
    for item in items:
        added = added.add(item)
    new = len(added) - len(note)
    if not new:
        gr.Info("Those quotes are already in the note.")
        return note, version
    already = f"; {len(items) - new} already there" if new < len(items) else ""
    gr.Info(f"Added {new} row{'s' if new > 1 else ''} to the note ({len(added)} quote{'s' if len(added) > 1 else ''}"
            f"{already}).")
    return added, version + 1


# Every export of this process goes under one folder, removed when the process exits: a long-running server
# used to leave one temporary folder per export behind (Gradio serves its own copy of the file).
_EXPORTS = tempfile.TemporaryDirectory(prefix="rag-notes-")


def _slug(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60] or "briefing-note"


def export_note(assistant: Assistant, note: BriefingNote, fmt: str) -> tuple[str | None, str]:
    """Re-verify every quote, write the file, and say how many quotes could not be re-verified."""
    if not note.items:
        return None, "*The note is empty: add quotes from the source cards first.*"
    checked = reverify(note, assistant)
    folder = Path(tempfile.mkdtemp(dir=_EXPORTS.name))
    path = folder / f"{_slug(note.title)}.{fmt}"
    if fmt == "docx":
        to_docx(note, checked, path)
    else:
        path.write_text(to_markdown(note, checked), encoding="utf-8")
    bad = sum(not c.verified for c in checked)
    status = (f"⚠️ **{bad} of {len(checked)} quotes could not be re-verified** against the current index; "
              "they are flagged in the export.") if bad else f"All {len(checked)} quotes re-verified."
    return str(path), f"Exported **{fmt.upper()}**. {status}"


def notes_menu_update(book: Notebook) -> dict[str, Any]:
    """The "Saved notes" menu: every note of this browser, the open one selected."""
    choices = [(f"{i + 1}. {n.title} ({len(n)} quote{'s' if len(n) != 1 else ''})", i)
               for i, n in enumerate(book.notes)]
    return gr.update(choices=choices, value=book.current)


def note_panel(
    assistant: Assistant, demo: gr.Blocks, note: gr.State, version: gr.State, notebook: gr.State
) -> tuple[gr.Textbox, gr.Dropdown]:
    """Build the panel inside the current layout; returns the title box and the notes menu (restored on load).
    `version` changes only when the list's shape changes, so typing an annotation never re-renders (or steals
    focus from) its box."""
    with gr.Row(elem_id="notes-bar"):
        menu = gr.Dropdown(label="Saved notes", choices=[("1. Briefing note (0 quotes)", 0)], value=0,
                           elem_id="notes-menu", scale=3)
        new_note = gr.Button("New note", size="sm", elem_id="new-note", scale=1)
    title = gr.Textbox(label="Note title", value="Briefing note", elem_id="note-title")

    def keep(n: BriefingNote, book: Notebook) -> tuple[Notebook, dict[str, Any]]:
        book = book.with_open(n)
        return book, notes_menu_update(book)

    def open_note(index: int, book: Notebook, v: int) -> tuple[Any, ...]:
        book = replace(book, current=index if 0 <= index < len(book.notes) else book.current)
        return book, book.open_note, v + 1, book.open_note.title

    def start_note(book: Notebook, v: int) -> tuple[Any, ...]:
        book = Notebook((*book.notes, BriefingNote()), len(book.notes))
        return book, book.open_note, v + 1, book.open_note.title, notes_menu_update(book)

    note.change(keep, [note, notebook], [notebook, menu], **NOTE_EVENTS)
    menu.input(open_note, [menu, notebook, version], [notebook, note, version, title], **NOTE_EVENTS)
    new_note.click(start_note, [notebook, version], [notebook, note, version, title, menu], **NOTE_EVENTS)
    title.input(lambda t, n: n.retitle(t), [title, note], [note], trigger_mode="always_last", **NOTE_EVENTS)

    @gr.render(inputs=[note], triggers=[version.change, demo.load])
    def show_items(current: BriefingNote) -> None:
        gr.Markdown(note_summary(current), elem_id="note-summary")
        flags = {c.item.key: c.problem for c in reverify(current, assistant) if not c.verified}
        for i, item in enumerate(current.items):
            key = item.key  # handlers address the quote, not its position: a reorder cannot misdirect them
            with gr.Group(elem_classes=["rag-note-entry"]):
                gr.HTML(note_item_html(i + 1, item, flags.get(key)), elem_classes=["rag-note-html"])
                box = gr.Textbox(value=item.annotation, label=f"Annotation for quote {i + 1}", lines=1,
                                 key=f"annotation-{item.doc}-{item.start}-{item.end}", elem_classes=["rag-annotation"])
                box.input(lambda text, n, key=key: n.annotate_key(key, text), [box, note], [note],
                          trigger_mode="always_last", **NOTE_EVENTS)
                with gr.Row():
                    up = gr.Button("↑ Up", size="sm", interactive=i > 0)
                    down = gr.Button("↓ Down", size="sm", interactive=i < len(current) - 1)
                    remove = gr.Button("✕ Remove", size="sm")
                up.click(lambda n, v, key=key: (n.move_key(key, -1), v + 1), [note, version], [note, version],
                         **NOTE_EVENTS)
                down.click(lambda n, v, key=key: (n.move_key(key, 1), v + 1), [note, version], [note, version],
                           **NOTE_EVENTS)
                remove.click(lambda n, v, key=key: (n.remove_key(key), v + 1), [note, version], [note, version],
                             **NOTE_EVENTS)

    with gr.Row():
        docx_btn = gr.Button("Export DOCX", variant="primary", elem_id="export-docx")
        md_btn = gr.Button("Export Markdown", elem_id="export-md")
    status = gr.Markdown(elem_id="export-status")
    file = gr.File(label="Download", interactive=False, elem_id="export-file")
    docx_btn.click(lambda n: export_note(assistant, n, "docx"), [note], [file, status], **NOTE_EVENTS)
    md_btn.click(lambda n: export_note(assistant, n, "md"), [note], [file, status], **NOTE_EVENTS)
    return title, menu
