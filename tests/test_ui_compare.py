"""The compare table's HTML: corpus text is data, never markup."""

from __future__ import annotations

from rag import CompareRow, Comparison, compare
from ui.compare import comparison_html


def test_markup_quoted_from_a_report_is_shown_as_text_in_the_compare_table(tiny_assistant) -> None:
    comparison = compare(tiny_assistant, "compare unsafe web forms across reports")
    quoted = [r for r in comparison.rows if r.citation is not None and "<script>" in r.citation.quote.text]
    assert quoted, [r.citation.quote.text if r.citation else r.reason for r in comparison.rows]
    page = comparison_html(comparison, lambda chunk: chunk.title)
    assert "<script" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_a_row_without_a_quote_says_why_and_labels_and_questions_are_escaped() -> None:
    comparison = Comparison('<b>compare</b> "fees"', "fees", (CompareRow("<i>2017</i>", reason="no report <2017>"),))
    page = comparison_html(comparison, lambda chunk: "")
    assert "No passage here answers: no report &lt;2017&gt;" in page
    assert "<b>" not in page and "<i>" not in page and "&lt;i&gt;2017&lt;/i&gt;" in page


def test_a_note_entry_from_a_comparison_names_its_row_and_question(tiny_assistant) -> None:
    from rag.briefing import NoteItem
    from ui.render import note_item_html

    comparison = compare(tiny_assistant, "compare attendance at the 2016 and <i>2019</i> workshops")
    row = comparison.rows[1]
    assert row.citation is not None
    page = note_item_html(2, NoteItem.from_compare_row(row.citation, comparison.question, row.label))
    assert "Compare row <b>2019</b> of “compare attendance at the 2016 and &lt;i&gt;2019&lt;/i&gt; workshops”" in page
    assert "190 participants" in page
