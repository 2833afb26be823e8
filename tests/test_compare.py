"""Compare view: one verified quote per year, place or report named by a comparison question."""

from __future__ import annotations

import pytest

from rag import CompareRow, compare, is_comparison
from rag.comparison import topic_of
from rag.grounding import verify_quote
from rag.retrieval import Filters


@pytest.mark.parametrize("question", [
    "compare attendance at the 2016 and 2019 Geneva workshops",
    "Bangkok versus Geneva on recruitment fees",
    "attendance across reports",
    "How did the recommendations differ?",
    "What changed between the Bangkok and the Geneva workshop?",
    "How do the Bangkok and Geneva workshops differ?",
    "What are the differences between the 2016 and 2019 workshops?",
    "the Bangkok workshop versus the Geneva workshop",
    "Contrast the recommendations of the two workshops",
])
def test_comparison_questions_are_recognised(question: str) -> None:
    assert is_comparison(question)


@pytest.mark.parametrize("question", [
    "Who chaired the Bangkok workshop?",
    "How many government delegates attended the 2016 Bangkok workshop?",
    "What did the 2019 workshop recommend on fair recruitment?",
])
def test_ordinary_questions_are_not_comparisons(question: str) -> None:
    assert not is_comparison(question)


def test_the_topic_drops_comparison_words_and_group_names() -> None:
    assert topic_of("compare attendance at the 2016 and 2019 Geneva workshops", ["2016", "2019", "Geneva"]) == (
        "attendance at the workshops")


@pytest.mark.parametrize(("question", "names", "topic"), [
    ("How do the Bangkok and Geneva workshops differ in attendance?", ["Bangkok", "Geneva"],
     "attendance of the workshops"),
    ("What are the differences in attendance between the Bangkok and Geneva workshops?", ["Bangkok", "Geneva"],
     "attendance of the workshops"),
    ("What are the main differences between the 2016 and 2019 workshops?", ["2016", "2019"], "the workshops"),
    ("How do the 2016 and 2019 workshops differ?", ["2016", "2019"], "the workshops"),
    ("attendance at the Bangkok workshop versus the Geneva workshop", ["Bangkok", "Geneva"],
     "attendance at the workshop"),
    ("Bangkok versus Geneva on recruitment fees", ["Bangkok", "Geneva"], "recruitment fees"),
    ("How does the 2016 workshop compare with the 2019 workshop on attendance?", ["2016", "2019"],
     "the workshop on attendance"),
])
def test_each_comparison_phrasing_leaves_what_every_group_is_asked(question: str, names: list[str], topic: str) -> None:
    assert topic_of(question, names) == topic


def _assert_verbatim(tiny_assistant, row: CompareRow) -> None:
    assert row.citation is not None, row.reason
    quote = row.citation.quote
    assert verify_quote(tiny_assistant.index.documents[quote.doc], quote.start, quote.end, quote.text) == quote


def test_a_two_year_question_gives_one_row_per_year_each_quoted_from_that_year(tiny_assistant) -> None:
    comparison = compare(tiny_assistant, "compare attendance at the 2016 and 2019 Geneva workshops")
    assert [r.label for r in comparison.rows] == ["2016", "2019"]
    for row in comparison.rows:
        _assert_verbatim(tiny_assistant, row)
        assert row.citation is not None and str(row.citation.chunk.year) == row.label
    assert "87 government delegates" in comparison.rows[0].citation.quote.text
    assert "190 participants" in comparison.rows[1].citation.quote.text


def test_a_two_place_question_gives_one_row_per_place_each_quoted_from_that_place(tiny_assistant) -> None:
    comparison = compare(tiny_assistant, "compare attendance at the Bangkok and Geneva workshops")
    assert [r.label for r in comparison.rows] == ["Bangkok", "Geneva"]
    for row in comparison.rows:
        _assert_verbatim(tiny_assistant, row)
        assert row.citation is not None and row.citation.chunk.place == row.label


@pytest.mark.parametrize("question", [
    "How do the Bangkok and Geneva workshops differ in attendance?",
    "What are the differences in attendance between the Bangkok and Geneva workshops?",
    "Attendance at the Bangkok workshop versus the Geneva workshop",
])
def test_differ_differences_and_versus_questions_give_one_quoted_row_per_named_place(tiny_assistant, question) -> None:
    comparison = compare(tiny_assistant, question)
    assert [r.label for r in comparison.rows] == ["Bangkok", "Geneva"]
    for row in comparison.rows:
        _assert_verbatim(tiny_assistant, row)
        assert row.citation is not None and row.citation.chunk.place == row.label
    assert "87 government delegates" in comparison.rows[0].citation.quote.text
    assert "190 participants" in comparison.rows[1].citation.quote.text


def test_a_year_with_no_report_gets_a_row_saying_so_instead_of_a_quote(tiny_assistant) -> None:
    comparison = compare(tiny_assistant, "compare attendance at the workshops of 2016 and 2017")
    assert [r.label for r in comparison.rows] == ["2016", "2017"]
    assert comparison.rows[1].citation is None
    assert "2017" in (comparison.rows[1].reason or "")


def test_without_named_groups_each_row_is_a_distinct_report_of_the_top_passages(tiny_assistant) -> None:
    comparison = compare(tiny_assistant, "compare recommendations on recruitment across reports")
    docs = [r.label for r in comparison.rows]
    assert 2 <= len(docs) <= 5 and len(set(docs)) == len(docs)
    assert comparison.rows[0].label == "Report of the 2019 Geneva workshop on fair recruitment"
    _assert_verbatim(tiny_assistant, comparison.rows[0])
    for row in comparison.rows:
        assert (row.citation is None) != (row.reason is None)
        if row.citation is not None:
            assert row.citation.chunk.title == row.label


def test_a_row_holds_a_quote_or_a_reason_never_both_nor_neither() -> None:
    with pytest.raises(ValueError, match="either a citation or the reason"):
        CompareRow("2016")


def test_the_users_filters_narrow_every_row_of_a_comparison(tiny_assistant) -> None:
    comparison = compare(tiny_assistant, "compare recommendations on recruitment across reports",
                         within=Filters(places=("Geneva",)))
    assert [r.label for r in comparison.rows] == ["Report of the 2019 Geneva workshop on fair recruitment"]
    by_year = compare(tiny_assistant, "compare attendance at the 2016 and 2019 workshops",
                      within=Filters(places=("Geneva",)))
    assert by_year.rows[0].citation is None  # no Geneva report from 2016
    assert by_year.rows[1].citation is not None and by_year.rows[1].citation.chunk.place == "Geneva"
