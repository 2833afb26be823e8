"""Paragraph repair: each kind of extraction damage in the seed reports, on small excerpts,
plus checks over the bundled corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.catalog import load_catalog
from rag.loaders import load_file
from rag.paragraphs import build_document
from rag.types import RawDocument, RawPage

CORPUS = Path(__file__).parent.parent / "corpus"


def repair(text: str, fmt: str = "txt"):
    return build_document(RawDocument("x." + fmt, fmt, (RawPage(text),)), None)


def double_spaced(lines: list[str]) -> str:
    """PDF-to-text style: an empty line after every line."""
    return "\n\n".join(lines) + "\n"


def bodies(doc):
    return [p.text for p in doc.paragraphs if p.kind in ("body", "list")]


def test_hard_wrapped_lines_with_empty_lines_between_come_back_as_numbered_paragraphs():
    doc = repair(double_spaced([
        " 1. The above-entitled working session was chaired by Mr. Ola Henrikson, Director General for ",
        "Migration and Asylum from the Swedish Ministry of Justice.  ",
        " ",
        "2. In opening the session, Mr. Ola Henrikson reflected on major recent advancements in global ",
        "cooperation on migration.  ",
    ] * 3))
    first = doc.paragraphs[0]
    assert first.text == ("1. The above-entitled working session was chaired by Mr. Ola Henrikson, Director General "
                          "for Migration and Asylum from the Swedish Ministry of Justice.")
    assert first.number == "1." and first.kind == "body"
    assert doc.paragraphs[1].number == "2."


def test_whitespace_only_lines_mark_paragraph_breaks():
    doc = repair(double_spaced([
        "The workshop convened around 190 participants from 89 UN Member States and over 40 ",
        "representatives from civil society. ",
        " ",
        "In line with the recommendation of the GFMD Ten-Year review to explore new formats for more ",
        "interactive GFMD meetings, the workshop featured a new format. ",
        " ",
    ] * 2))
    assert bodies(doc)[:2] == [
        "The workshop convened around 190 participants from 89 UN Member States and over 40 representatives "
        "from civil society.",
        "In line with the recommendation of the GFMD Ten-Year review to explore new formats for more interactive "
        "GFMD meetings, the workshop featured a new format.",
    ]


def test_words_hyphenated_across_lines_are_mended_but_true_compounds_keep_their_hyphen():
    doc = repair(double_spaced([
        "Its objective was to keep a people-",
        "centred approach to develop-",
        "ment, as development needs people-centred policies.  ",
    ] * 4))
    assert bodies(doc)[0] == ("Its objective was to keep a people-centred approach to development, as development "
                              "needs people-centred policies.")


def test_glyph_bullets_become_list_items_without_the_glyph():
    doc = repair("Concretely, the workshop aimed to:\n\n\uf0b7 Advance efforts to implement the GCM;\n\n"
                 "\uf0b7 Provide guidance to States.\n")
    lists = [p.text for p in doc.paragraphs if p.kind == "list"]
    assert lists == ["Advance efforts to implement the GCM;", "Provide guidance to States."]
    assert not any("\uf0b7" in p.text for p in doc.paragraphs)


def test_markdown_emphasis_and_escapes_are_removed_links_keep_their_target_and_headings_make_sections():
    doc = repair("# Report\n\n## Opening Remarks\n\n**The UAE** opened the [meeting](http://x.org) on 18\\.11 "
                 "with *three* \\*priorities\\*.\n\n**Closing Remarks**\n\nThe Troika closed it.", "md")
    opening = next(p for p in doc.paragraphs if p.text.startswith("The UAE"))
    assert opening.text == "The UAE opened the meeting (http://x.org) on 18.11 with three *priorities*."
    assert opening.section == ("Report", "Opening Remarks")
    closing = next(p for p in doc.paragraphs if p.text.startswith("The Troika"))
    assert closing.section == ("Report", "Opening Remarks", "Closing Remarks")


def test_superscript_footnote_markers_leave_the_text_and_never_merge_into_numbers():
    doc = repair("# Partnerships\n\nThe Platform for Partnerships⁶ lists 1,000 examples.\n\n"
                 "Bilateral **agreements**¹¹⁶ with 11 countries were signed.\n\n"
                 "⁶ GFMD, Platform for Partnerships.\n\n¹¹⁶ See the annex.", "md")
    texts = bodies(doc)
    assert "The Platform for Partnerships lists 1,000 examples." in texts
    assert "Bilateral agreements with 11 countries were signed." in texts
    notes = {p.footnote_label: p for p in doc.paragraphs if p.kind == "footnote"}
    assert set(notes) == {"6", "116"}
    cited = doc.paragraphs[notes["116"].cited_by]
    assert cited.text.startswith("Bilateral agreements") and cited.footnotes == ("116",)


PDF_WITH_FOOTNOTES = [
    "The workshop1 was co-chaired by Bangladesh GFMD 2016 Chair and Foreign Secretary, H. E. Md. ",
    "Shahidul Haque. It was conducted in a two-part plenary session.2 The first part was ",
    "moderated by Amb. Haque. Referring to diverse ",
    "                                                           ",
    "1",
    " The Workshop drew private sector and civil society. ",
    "2",
    " Due to time constraints, the breakout sessions were dispensed with. ",
]
# The next page starts right after the footnotes, without an empty line, with a leading space.
NEXT_PAGE = " regional experiences, Amb. Haque stressed the need to approach connectivity beyond physical forms.  \n\n"


def test_footnote_text_between_lines_does_not_split_the_paragraph_and_becomes_its_own_passage():
    doc = repair(double_spaced(PDF_WITH_FOOTNOTES).rstrip("\n") + "\n" + NEXT_PAGE + double_spaced(["Filler. "] * 8))
    body = doc.paragraphs[0]
    assert body.text == (
        "The workshop was co-chaired by Bangladesh GFMD 2016 Chair and Foreign Secretary, H. E. Md. Shahidul Haque. "
        "It was conducted in a two-part plenary session. The first part was moderated by Amb. Haque. Referring to "
        "diverse regional experiences, Amb. Haque stressed the need to approach connectivity beyond physical forms.")
    assert body.footnotes == ("1", "2")
    notes = [p for p in doc.paragraphs if p.kind == "footnote"][:2]
    assert [(n.footnote_label, n.text, n.cited_by) for n in notes] == [
        ("1", "The Workshop drew private sector and civil society.", 0),
        ("2", "Due to time constraints, the breakout sessions were dispensed with.", 0),
    ]


def test_a_page_footer_inside_a_sentence_is_removed_and_gives_the_page_number():
    doc = repair(double_spaced([
        "The Regional Economic Communities (RECs), especially in Africa, and the MICIC and Nansen ",
    ]) + "\n\nTW Compendium  As of Oct 13, 2016 \n \n\n19 \n \n\n" + double_spaced([
        "initiatives are some of the functional examples of cooperative frameworks on ",
        "migration.  ",
    ] * 3))
    assert bodies(doc)[0] == ("The Regional Economic Communities (RECs), especially in Africa, and the MICIC and "
                              "Nansen initiatives are some of the functional examples of cooperative frameworks "
                              "on migration.")
    assert "Compendium" not in doc.text
    assert doc.paragraphs[-1].page == 20


def test_a_heading_after_a_run_of_link_addresses_starts_its_own_section():
    # PDF text lists a page's link annotations single-spaced at its foot; the heading that follows
    # (and the text before) must not join them, or the next passage is filed under the old section.
    before = double_spaced([
        " Opening Session ",
        " ",
        "The opening session was chaired by the Ambassador, who welcomed all delegations to the ",
        "workshop and recalled its aims.  ",
        " ",
        "States agreed that business as usual was not an option, and that the work would take years ",
        "to complete across the regions.  ",
        " ",
    ])
    links = "https://example.org/opening.pdf\nhttps://example.org/welcome.pdf\n Framing Session \n \n\n"
    after = double_spaced([
        "The framing session, moderated by Ms. Newland, introduced the focus and format of the three ",
        "sessions to follow.  ",
    ])
    doc = repair(before + links + after)
    framing = next(p for p in doc.paragraphs if p.text.startswith("The framing session"))
    assert framing.section[-1] == "Framing Session"
    addresses = next(p for p in doc.paragraphs if p.text.startswith("https://"))
    assert addresses.text == "https://example.org/opening.pdf https://example.org/welcome.pdf"
    assert addresses.section[-1] == "Opening Session"
    assert any(p.kind == "heading" and p.text == "Framing Session" for p in doc.paragraphs)


def test_text_continuing_after_a_page_of_link_addresses_rejoins_its_sentence():
    doc = repair(double_spaced([
        "The first session heard from the host government on the plans it had drawn up for the ",
        "years ahead.  ",
        " ",
        "Participants stressed, in a long exchange that ran through the morning and into the afternoon, ",
        "the role of local authorities, of civil society, of the private sector and of the United Nations ",
    ]) + "https://example.org/a\nhttps://example.org/b\n" + double_spaced([
        " resident coordinators in carrying the work forward in every region. ",
        " ",
        "The second session then opened with remarks on the budget for the coming year, which ",
        "the chair presented.  ",
    ]))
    assert bodies(doc)[1] == ("Participants stressed, in a long exchange that ran through the morning and into the "
                              "afternoon, the role of local authorities, of civil society, of the private sector and "
                              "of the United Nations resident coordinators in carrying the work forward in every "
                              "region.")
    assert "https://example.org/a https://example.org/b" in bodies(doc)


def test_a_web_address_inside_a_double_spaced_paragraph_stays_in_it():
    doc = repair(double_spaced([
        "The full report of the meeting, with its annexes and the list of participants, is available at ",
        "https://example.org/report.pdf ",
        "for all delegations that took part in it.  ",
    ] * 2))
    assert bodies(doc)[0] == ("The full report of the meeting, with its annexes and the list of participants, is "
                              "available at https://example.org/report.pdf for all delegations that took part in it.")


def test_the_2019_framing_session_text_sits_under_its_own_heading(corpus_docs):
    doc = corpus_docs["gfmd-2019-geneva-workshop-gcm-national-implementation.txt"]
    framing = next(p for p in doc.paragraphs if p.text.startswith("The framing session, moderated by"))
    assert framing.section[-1] == "Framing Session"


def test_a_flattened_table_keeps_one_readable_row_per_line():
    doc = repair(double_spaced([
        "5. The following table outlines the main points of convergence.  ",
        " ",
        "Points of Convergence Practical Recommendations ",
        " role of actors and institutions at the ",
        "national, regional and global levels ",
        " migration as a genuine choice ",
        " mainstream migration in socio-",
        "economic policies; ",
        " ensuring an effective  ",
        "return and reintegration ",
    ]))
    table = next(p for p in doc.paragraphs if p.kind == "table")
    assert table.text.split("\n") == [
        "Points of Convergence Practical Recommendations",
        "role of actors and institutions at the national, regional and global levels",
        "migration as a genuine choice",
        "mainstream migration in socio-economic policies;",
        "ensuring an effective return and reintegration",
    ]


@pytest.mark.parametrize(("text", "number"), [("4. The Chair opened the floor.", "4."),
                                              ("(2) Empowerment of migrants is key.", "(2)"),
                                              ("a) Policy coherence can be enhanced.", "a)")])
def test_the_reports_own_paragraph_numbers_are_kept_as_locators(text, number):
    doc = repair(text + "\n")
    assert doc.paragraphs[0].number == number and doc.paragraphs[0].text == text


def test_a_numbering_gap_is_reported_as_a_warning():
    doc = repair("1. First point.\n\n2. Second point.\n\n4. Fourth point.\n")
    assert "numbering gap: 2. then 4." in doc.warnings


@pytest.fixture(scope="module")
def corpus_docs():
    catalog = load_catalog(CORPUS)
    return {p.name: build_document(load_file(p, CORPUS), catalog.entry(p.name))
            for p in sorted(CORPUS.iterdir()) if p.name != "catalog.toml"}


def test_every_bundled_paragraph_is_clean(corpus_docs):
    for doc in corpus_docs.values():
        for p in doc.paragraphs:
            assert p.text == p.text.strip() and "  " not in p.text, p.text
            assert "TW Compendium" not in p.text
            assert not any("\ue000" <= ch <= "\uf8ff" for ch in p.text)
            assert "**" not in p.text and "](" not in p.text


def test_the_2016_file_holds_three_reports_with_their_own_dates_and_places(corpus_docs):
    doc = corpus_docs["gfmd-2016-thematic-workshops-bangkok-geneva-new-york.txt"]
    places = {p.report.place: p.report.date for p in doc.paragraphs}
    assert places == {"Bangkok": "2016-03-29", "Geneva": "2016-05-18", "New York": "2016-07-19"}
    attendance = next(p for p in doc.paragraphs if "was attended by 87 government delegates" in p.text)
    assert attendance.report.place == "Bangkok" and attendance.text.endswith("a people-centred approach.")
    chaired = next(p for p in doc.paragraphs if p.text.startswith("The workshop was co-chaired by Bangladesh"))
    assert "The Workshop drew" not in chaired.text and "workshop1" not in chaired.text
    assert chaired.footnotes == ("1", "2")
    geneva = next(p for p in doc.paragraphs if "101 government delegates" in p.text)
    assert geneva.kind == "footnote" and geneva.report.place == "Geneva"


def test_footnotes_of_the_2017_recollection_are_passages_linked_to_their_paragraph(corpus_docs):
    doc = corpus_docs["gfmd-2017-thematic-recollection-2007-2017.md"]
    notes = [p for p in doc.paragraphs if p.kind == "footnote"]
    assert len(notes) > 100
    first = notes[0]
    assert first.footnote_label == "1" and first.text.startswith("UNGA, New York Declaration")
    assert "1" in doc.paragraphs[first.cited_by].footnotes
    assert all("¹" not in p.text and "²" not in p.text for p in doc.paragraphs if p.kind == "body")


def test_a_sentence_cut_by_a_footnote_listing_several_sources_comes_back_whole():
    # The 2017 recollection's SDG 8.7 sentence runs on after a page of footnotes, one of which lists two
    # sources, each set as a paragraph ending in its address.
    doc = repair("\n\n".join([
        "The goals aim to eliminate forced labour, and by 2025 end child labor",
        "¹⁴³ ILO, Forced Labor Convention, C029, 1930,",
        "http://www.ilo.org/dyn/normlex/en/f?p=C029;",
        "ILO, Abolition of Forced Labor Convention, C105, 1957,",
        "[https://web.archive.org/web/2013/ilo-c105.](https://web.archive.org/web/2013/ilo-c105)",
        "¹⁴⁴ *Ibid.*, Recommendation 3.",
        "in all its forms (SDG 8.7), and ending abuse of children (SDG 16.2).",
    ]) + "\n", "md")
    assert bodies(doc) == ["The goals aim to eliminate forced labour, and by 2025 end child labor in all its forms "
                           "(SDG 8.7), and ending abuse of children (SDG 16.2)."]
    notes = [p.text for p in doc.paragraphs if p.kind == "footnote"]
    assert len(notes) == 2 and "ILO, Abolition of Forced Labor Convention, C105, 1957," in notes[0]
