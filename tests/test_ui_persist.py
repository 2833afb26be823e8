"""Conversations and notes saved server-side per browser: exact round trips, safe ids, damaged files."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.briefing import BriefingNote, NoteItem
from rag.retrieval import Filters
from ui.chat import ask_turn
from ui.persist import (
    Notebook,
    load_comparison,
    load_conversation,
    load_notebook,
    new_browser_id,
    save_comparison,
    save_conversation,
    save_notebook,
    valid_id,
)


def test_a_conversation_comes_back_exactly_as_it_was_saved(tiny_assistant, tmp_path: Path) -> None:
    turns = [ask_turn(tiny_assistant, "Who chaired the Bangkok workshop?", []),
             ask_turn(tiny_assistant, "What is the boiling point of liquid nitrogen?", []),
             ask_turn(tiny_assistant, "?!", []),
             ask_turn(tiny_assistant, "Who chaired the Bangkok workshop?", [], Filters(years=(2019,)))]
    assert turns[0].answer.citations and turns[1].answer.abstained and turns[2].error
    browser = new_browser_id()
    save_conversation(tmp_path, browser, turns, ["Who chaired the Bangkok workshop?"])
    restored = load_conversation(tmp_path, browser)
    assert list(restored.turns) == turns
    assert restored.history == ("Who chaired the Bangkok workshop?",)


def test_every_note_and_the_open_one_come_back(tiny_assistant, tmp_path: Path) -> None:
    item = NoteItem.from_citation(tiny_assistant.ask("Who chaired the Bangkok workshop?").citations[0])
    notebook = Notebook((BriefingNote("First").add(item).annotate(0, "check"), BriefingNote("Second")), current=1)
    browser = new_browser_id()
    save_notebook(tmp_path, browser, notebook)
    assert load_notebook(tmp_path, browser) == notebook


def test_an_unknown_browser_starts_empty_and_a_damaged_file_is_not_fatal(tmp_path: Path) -> None:
    browser = new_browser_id()
    assert load_conversation(tmp_path, browser).turns == ()
    assert load_notebook(tmp_path, browser) == Notebook()
    save_conversation(tmp_path, browser, [], [])
    (tmp_path / "ui-sessions" / browser / "chat.json").write_text("{not json", encoding="utf-8")
    assert load_conversation(tmp_path, browser).turns == ()


def test_only_ids_the_server_made_reach_the_file_system(tmp_path: Path) -> None:
    assert valid_id(new_browser_id())
    for forged in ("../../etc", "", None, "A" * 32, "0" * 31):
        assert not valid_id(forged)
    with pytest.raises(ValueError, match="not a browser id"):
        save_conversation(tmp_path, "../escape", [], [])


def test_rows_added_from_a_comparison_come_back_with_their_question_and_group(tiny_assistant, tmp_path: Path) -> None:
    from rag import compare

    comparison = compare(tiny_assistant, "compare attendance at the 2016 and 2019 workshops")
    rows = [NoteItem.from_compare_row(r.citation, comparison.question, r.label) for r in comparison.rows
            if r.citation is not None]
    assert len(rows) == 2
    notebook = Notebook((BriefingNote("Attendance").add(rows[0]).add(rows[1]),))
    browser = new_browser_id()
    save_notebook(tmp_path, browser, notebook)
    restored = load_notebook(tmp_path, browser)
    assert restored == notebook
    assert [(i.compare, i.group) for i in restored.open_note.items] == [
        ("compare attendance at the 2016 and 2019 workshops", "2016"),
        ("compare attendance at the 2016 and 2019 workshops", "2019")]


def test_the_compare_view_comes_back_exactly_rows_without_a_quote_included(tiny_assistant, tmp_path: Path) -> None:
    from rag import compare

    comparison = compare(tiny_assistant, "compare attendance at the workshops of 2016 and 2017")
    assert comparison.rows[0].citation is not None and comparison.rows[1].citation is None
    browser = new_browser_id()
    assert load_comparison(tmp_path, browser) is None
    save_comparison(tmp_path, browser, comparison)
    assert load_comparison(tmp_path, browser) == comparison
    (tmp_path / "ui-sessions" / browser / "compare.json").write_text('{"format": 1, "comparison": [1]}', "utf-8")
    assert load_comparison(tmp_path, browser) is None  # damaged: logged, the view starts empty
