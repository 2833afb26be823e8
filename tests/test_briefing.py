"""Briefing notes: the note model, DOCX and Markdown export, and re-verification at export time."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document as WordDocument

from rag.briefing import UNVERIFIED, BriefingNote, NoteItem, reverify, sources, to_docx, to_markdown

DAY = dt.date(2024, 5, 17)


@pytest.fixture(scope="module")
def items(tiny_assistant) -> tuple[NoteItem, NoteItem, NoteItem]:
    chaired = tiny_assistant.ask("Who chaired the Bangkok workshop?")
    recruitment = tiny_assistant.ask("What did the 2019 workshop recommend on fair recruitment?")
    remittances = tiny_assistant.search("global average cost of sending remittances", k=1)
    assert chaired.citations and recruitment.citations and remittances
    return (NoteItem.from_citation(chaired.citations[0]), NoteItem.from_citation(recruitment.citations[0]),
            NoteItem.from_hit(remittances[0]))


def _texts(path: Path) -> list[str]:
    return [p.text for p in WordDocument(str(path)).paragraphs]


def test_a_note_item_keeps_the_citation_of_its_quote(items) -> None:
    chaired = items[0]
    assert "Ingrid Halvorsen" in chaired.text
    assert chaired.doc == "bangkok-2016-workshop.txt"
    assert chaired.citation.startswith(
        "Report of the 2016 Bangkok thematic workshop on labour mobility (Bangkok, 2016-")
    assert "para. 2" in chaired.citation


def test_note_operations_add_move_annotate_remove_and_retitle(items) -> None:
    a, b, c = items
    note = BriefingNote().add(a).add(b).add(c).add(a)  # the same quote is kept once
    assert [i.key for i in note.items] == [a.key, b.key, c.key]
    assert [i.key for i in note.move(2, -1).items] == [a.key, c.key, b.key]
    assert [i.key for i in note.move(0, -1).items] == [a.key, b.key, c.key]  # already first: stays
    assert [i.key for i in note.move(0, 5).items] == [b.key, c.key, a.key]
    assert note.annotate(1, "  check with ILO  ").items[1].annotation == "check with ILO"
    assert [i.key for i in note.remove(0).items] == [b.key, c.key]
    assert note.retitle("  Recruitment brief ").title == "Recruitment brief"
    assert note.retitle("   ").title == "Briefing note"
    assert len(note) == 3 and note.items[1].annotation == ""  # operations return new notes
    with pytest.raises(IndexError):
        note.remove(3)


def test_sources_list_each_report_once_in_order_of_first_use(items) -> None:
    a, b, _ = items
    note = BriefingNote().add(b).add(a)
    assert [s.doc for s in sources(note)] == ["geneva-2019-workshop.md", "bangkok-2016-workshop.txt"]


def test_docx_export_holds_title_date_quotes_citations_annotations_and_sources(tiny_assistant, items, tmp_path) -> None:
    a, b, _ = items
    note = BriefingNote(title="Labour mobility brief").add(a).add(b).annotate(0, "Chair was Norwegian.")
    checked = reverify(note, tiny_assistant)
    assert all(c.verified for c in checked)
    path = to_docx(note, checked, tmp_path / "brief.docx", date=DAY)

    word = WordDocument(str(path))
    texts = [p.text for p in word.paragraphs]
    assert texts[0] == "Labour mobility brief"
    assert "Date: 2024-05-17" in texts
    quotes = [p.text for p in word.paragraphs if p.style.name == "Quote"]
    assert quotes == [a.text, b.text]
    assert f"— {a.citation}" in texts and f"— {b.citation}" in texts
    assert "Note: Chair was Norwegian." in texts
    sources_at = texts.index("Sources")
    assert any("bangkok-2016-workshop.txt" in t for t in texts[sources_at:])
    assert any("geneva-2019-workshop.md" in t for t in texts[sources_at:])
    assert not any(UNVERIFIED in t for t in texts)


def test_markdown_export_quotes_each_passage_as_a_block_quote(tiny_assistant, items) -> None:
    a, b, _ = items
    note = BriefingNote(title="Brief").add(a).add(b).annotate(1, "Follow up in Geneva.")
    text = to_markdown(note, reverify(note, tiny_assistant), date=DAY)
    assert text.startswith("# Brief\n\nDate: 2024-05-17\n")
    assert f"> {a.text}\n\n— {a.citation}" in text
    assert f"> {b.text}\n\n— {b.citation}" in text
    assert "*Note:* Follow up in Geneva." in text
    assert text.index("## Quote 1") < text.index("## Quote 2") < text.index("## Sources")
    assert UNVERIFIED not in text


def test_a_tampered_quote_is_flagged_at_export_not_silently_included(tiny_assistant, items, tmp_path) -> None:
    a, b, _ = items
    forged = replace(a, text=a.text.replace("Norway", "Sweden"))  # same length, same offsets
    note = BriefingNote().add(forged).add(b)
    checked = reverify(note, tiny_assistant)
    assert [c.verified for c in checked] == [False, True]
    assert "not verbatim" in (checked[0].problem or "")

    markdown = to_markdown(note, checked, date=DAY)
    flag = markdown.index(UNVERIFIED)
    assert flag < markdown.index(forged.text) < markdown.index("## Quote 2")
    assert markdown.count(UNVERIFIED) == 1

    texts = _texts(to_docx(note, checked, tmp_path / "flagged.docx", date=DAY))
    flagged = [i for i, t in enumerate(texts) if t.startswith(UNVERIFIED)]
    assert len(flagged) == 1 and texts[flagged[0] + 1] == forged.text


def test_a_quote_from_a_report_no_longer_indexed_is_flagged(tiny_assistant, items) -> None:
    gone = replace(items[0], doc="removed-report.txt")
    (checked,) = reverify(BriefingNote().add(gone), tiny_assistant)
    assert not checked.verified and "no longer in the index" in (checked.problem or "")


def test_docx_export_carries_its_own_core_properties_and_one_heading_level_for_quotes_and_sources(
    tiny_assistant, items, tmp_path
) -> None:
    a, b, _ = items
    note = BriefingNote(title="Labour mobility brief").add(a).add(b)
    word = WordDocument(str(to_docx(note, reverify(note, tiny_assistant), tmp_path / "brief.docx", date=DAY)))
    props = word.core_properties
    assert props.title == "Labour mobility brief"
    assert props.author == props.last_modified_by == "GFMD reports assistant"
    assert props.created == props.modified == dt.datetime(2024, 5, 17, tzinfo=dt.UTC)
    assert props.revision == 1 and not props.comments and not props.keywords
    headings = {p.text: p.style.name for p in word.paragraphs if p.style.name.startswith(("Heading", "Title"))}
    assert headings == {"Labour mobility brief": "Title", "Quote 1": "Heading 1", "Quote 2": "Heading 1",
                        "Sources": "Heading 1"}


def test_markdown_export_keeps_markup_from_reports_and_annotations_inert_but_readable(tiny_assistant) -> None:
    (payload,) = [NoteItem.from_hit(h) for h in tiny_assistant.search("unsafe web forms abused", k=1)]
    assert "<script>alert('x')</script>" in payload.text
    annotation = '<img src=x onerror="alert(1)"> [x](javascript:alert(1))'
    note = BriefingNote(title="<b>Forms</b> & co").add(payload).annotate(0, annotation)
    text = to_markdown(note, reverify(note, tiny_assistant), date=DAY)
    assert "<" not in text
    assert "&lt;script>alert('x')&lt;/script>" in text
    assert "*Note:* &lt;img src=x onerror=\"alert(1)\"> \\[x\\](javascript:alert(1))" in text
    assert text.startswith("# &lt;b>Forms&lt;/b> &amp; co\n")


def test_notes_address_quotes_by_key_so_a_late_event_after_a_reorder_reaches_its_quote(items) -> None:
    a, b, _ = items
    note = BriefingNote().add(a).add(b)
    moved = note.move_key(a.key, 1)
    annotated = moved.annotate_key(a.key, "about the chair")
    assert [(i.key, i.annotation) for i in annotated.items] == [(b.key, ""), (a.key, "about the chair")]
    assert annotated.remove_key(a.key).items == (b,)
    assert annotated.remove_key(a.key).annotate_key(a.key, "late") == annotated.remove_key(a.key)  # gone: no-op


@pytest.fixture(scope="module")
def compared(tiny_assistant) -> tuple[NoteItem, ...]:
    from rag import compare

    comparison = compare(tiny_assistant, "compare attendance at the 2016 and 2019 Geneva workshops")
    return tuple(NoteItem.from_compare_row(r.citation, comparison.question, r.label)
                 for r in comparison.rows if r.citation is not None)


def test_the_rows_of_a_comparison_export_to_markdown_as_one_table_between_plain_quotes(
    tiny_assistant, items, compared
) -> None:
    note = BriefingNote().add(items[0])
    for row in compared:
        note = note.add(row)
    note = note.add(items[1]).annotate(1, "up | down <b>")
    text = to_markdown(note, reverify(note, tiny_assistant), date=DAY)
    table = text[text.index("## Comparison: compare attendance at the 2016 and 2019 Geneva workshops"):]
    table = table[: table.index("\n\n", table.index("|"))].splitlines()
    assert table[2:4] == ["| | Quote | Citation | Note |", "|---|---|---|---|"]
    assert [line.split(" | ")[0] for line in table[4:]] == ["| 2016", "| 2019"]
    assert "87 government delegates" in table[4] and "up \\| down &lt;b>" in table[4]
    assert "190 participants" in table[5] and "Geneva" in table[5]
    assert all(len(re.findall(r"(?<!\\)\|", line)) == 5 for line in table[4:])  # an escaped `|` is no column
    assert "## Quote 1" in text and "## Quote 4" in text  # plain quotes keep their numbers around the table
    assert "<b>" not in text


def test_the_rows_of_a_comparison_export_to_docx_as_a_table(tiny_assistant, compared, tmp_path) -> None:
    note = BriefingNote()
    for row in compared:
        note = note.add(row)
    word = WordDocument(str(to_docx(note, reverify(note, tiny_assistant), tmp_path / "compare.docx", date=DAY)))
    [table] = word.tables
    cells = [[c.text for c in r.cells] for r in table.rows]
    assert cells[0] == ["", "Quote", "Citation", "Note"]
    assert [r[0] for r in cells[1:]] == ["2016", "2019"]
    assert "87 government delegates" in cells[1][1] and "Bangkok" in cells[1][2]
    assert any(p.text.startswith("Comparison: compare attendance") for p in word.paragraphs)
