"""Passages carry their context: list items their lead-in, every passage its report and section."""

from __future__ import annotations

from rag.catalog import CatalogEntry
from rag.chunking import chunk_document, embedding_text
from rag.paragraphs import build_document
from rag.settings import ChunkingSettings
from rag.types import RawDocument, RawPage, ReportMeta

AIMS = """# Introduction

The workshop brought together 120 delegates.

Concretely, the workshop aimed to:

- Advance efforts to implement and operationalize the GCM;
- Share practices among States on national implementation plans; and
- Generate input to the report of the Secretary-General.

The second day was given to field visits.
"""


def _document(text: str = AIMS):
    raw = RawDocument("aims.md", "md", (RawPage(text),))
    meta = ReportMeta("Report of the 2019 workshop", "2019-03-21", "Geneva")
    return build_document(raw, CatalogEntry("aims.md", meta))


def _chunks(text: str = AIMS, max_tokens: int = 200):
    settings = ChunkingSettings(max_tokens=max_tokens, overlap_tokens=min(40, max_tokens // 4))
    return chunk_document(_document(text), settings, lambda t: len(t.split()))


def test_each_list_item_carries_the_sentence_that_introduces_its_list():
    items = [c for c in _chunks() if c.text.startswith(("Advance", "Share", "Generate"))]
    assert len(items) == 3
    assert {c.lead for c in items} == {"Concretely, the workshop aimed to:"}
    assert all("workshop aimed to:" in embedding_text(c) for c in items)


def test_a_paragraph_that_is_no_list_item_has_no_lead_in():
    others = [c for c in _chunks() if c.text.startswith(("The workshop brought", "The second day"))]
    assert len(others) == 2
    assert all(c.lead == "" for c in others)


def test_a_short_list_is_also_one_passage_with_its_lead_in_verbatim_from_the_clean_text():
    document = _document()
    blocks = [c for c in _chunks() if c.text.startswith("Concretely") and "Generate input" in c.text]
    assert len(blocks) == 1
    block = blocks[0]
    assert document.text[block.start : block.end] == block.text
    assert block.text.endswith("report of the Secretary-General.")


def test_a_list_too_long_for_one_passage_keeps_only_its_items_with_the_lead_in():
    chunks = _chunks(max_tokens=12)
    assert not [c for c in chunks if c.text.startswith("Concretely") and "Generate input" in c.text]
    assert [c.lead for c in chunks if c.text.startswith("Generate")] == ["Concretely, the workshop aimed to:"]


def test_the_embedded_text_leads_with_report_place_year_and_section():
    chunk = next(c for c in _chunks() if c.text.startswith("The second day"))
    head = embedding_text(chunk).split("\n")[0]
    assert head == "Report of the 2019 workshop (Geneva, 2019) > Introduction"
    assert embedding_text(chunk).endswith(chunk.text)


def test_a_paragraph_of_bare_web_addresses_is_no_passage_but_a_sentence_citing_one_is():
    text = ("# Opening\n\nThe session was opened by the chair.\n\n"
            "https://example.org/a.pdf https://example.org/b.pdf\n\n"
            "The speech is online at https://example.org/a.pdf for all delegations.\n")
    texts = [c.text for c in _chunks(text)]
    assert "https://example.org/a.pdf https://example.org/b.pdf" not in texts
    assert "The speech is online at https://example.org/a.pdf for all delegations." in texts


def test_a_list_ends_where_its_numbering_changes():
    text = ("# Session\n\nThe report made four recommendations:\n\na) Mainstream migration;\n\n"
            "b) Involve local governments;\n\nc) Collect reliable data; and\n\nd) Monitor return.\n\n"
            "4. The Chair opened the floor and invited all participants to respond to the three guiding questions.\n")
    chunks = _chunks(text)
    chair = [c for c in chunks if c.text.startswith("4. The Chair")]
    assert len(chair) == 1 and chair[0].lead == ""  # the next numbered paragraph, not a fifth item
    block = [c for c in chunks if c.text.startswith("The report made") and "Monitor return." in c.text]
    assert len(block) == 1 and "The Chair" not in block[0].text


def test_a_heading_that_is_a_whole_sentence_is_also_a_passage_but_a_title_is_not():
    text = ("# Report\n\n## Question 2: How can the GCM advance the recommendations affirmed in the Sutherland Report "
            "and the New York Declaration?\n\nParticipants stressed regional cooperation.\n\n"
            "## Stocktaking on IMRF Roundtable 1: GCM Objectives 2, 5, 6, 12 and 18\n\nThe Chair opened it.\n")
    chunks = _chunks(text)
    question = [c for c in chunks if c.text.startswith("Question 2:")]
    assert len(question) == 1 and question[0].kind == "body"
    assert not [c for c in chunks if c.text.startswith("Stocktaking")]  # a title stays only a section name
    under = next(c for c in chunks if c.text.startswith("Participants"))
    assert any(s.startswith("Question 2:") for s in under.section)
