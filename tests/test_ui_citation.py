"""The short citation line of a source card."""

from __future__ import annotations

from ui.citation import locate, short_report


def test_a_report_is_named_by_year_place_and_kind_of_event() -> None:
    title = "Report of the 2016 Bangkok thematic workshop on labour mobility"
    assert short_report(title, 2016, "Bangkok") == "2016 Bangkok workshop"
    assert short_report("Summary Report of the Meeting of the GFMD Friends of the Forum", 2021, None) == "2021 meeting"
    long_title = "Thematic notes prepared for the Global Compact for Safe, Orderly and Regular Migration"
    assert short_report(long_title, None, None) == "Thematic notes prepared for the Global Compact…"


def _chunk_with(tiny_assistant, text: str):
    return next(c for c in tiny_assistant.index.chunks if text in c.text)


def test_a_passage_with_the_reports_own_number_is_cited_by_it(tiny_assistant) -> None:
    chunk = _chunk_with(tiny_assistant, "Ingrid Halvorsen")
    paragraphs = tiny_assistant.index.documents[chunk.doc].paragraphs
    assert locate(chunk, paragraphs).line == "2016 Bangkok workshop · I. Opening Session · para. 2"


def test_a_passage_without_a_number_is_cited_by_its_position_under_the_nearest_heading(tiny_assistant) -> None:
    chunk = _chunk_with(tiny_assistant, "Digital transfer channels")
    paragraphs = tiny_assistant.index.documents[chunk.doc].paragraphs
    assert locate(chunk, paragraphs).line == "2021 New York dialogue · Costs · ¶ 2"


def test_a_passage_from_a_report_no_longer_indexed_keeps_what_its_chunk_knows(tiny_assistant) -> None:
    chunk = _chunk_with(tiny_assistant, "Ingrid Halvorsen")
    assert locate(chunk, ()).line == "2016 Bangkok workshop · I. Opening Session · para. 2"
