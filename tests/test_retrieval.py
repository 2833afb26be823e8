"""Hybrid retrieval over the tiny corpus: stages, filters, de-duplication."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from rag.errors import FilterError, QuestionError
from rag.retrieval import Filters


def test_hybrid_search_ranks_the_attendance_paragraph_first(tiny_assistant):
    hits = tiny_assistant.search("How many government delegates came to the Bangkok meeting?", k=3)
    assert "87 government delegates" in hits[0].chunk.text
    assert hits[0].chunk.place == "Bangkok"
    assert hits[0].chunk.paragraph == "1."


@pytest.mark.parametrize(("bm25", "dense", "rerank"), [(True, False, False), (False, True, False),
                                                       (True, True, False), (True, True, True)])
def test_every_stage_combination_still_finds_a_plain_fact(tiny_assistant, bm25, dense, rerank):
    cfg = replace(tiny_assistant.settings.retrieval, bm25=bm25, dense=dense, rerank=rerank)
    hits = tiny_assistant.search("recruitment fees charged to migrant workers", k=3, retrieval=cfg)
    assert "abolish all recruitment fees" in hits[0].chunk.text


def test_bm25_alone_finds_nothing_for_a_question_with_no_shared_words(tiny_assistant):
    cfg = replace(tiny_assistant.settings.retrieval, bm25=True, dense=False, rerank=False)
    assert tiny_assistant.search("zebra xylophone", k=3, retrieval=cfg) == []


def test_filters_restrict_results_by_year_place_and_report(tiny_assistant):
    question = "What did participants say?"
    by_year = tiny_assistant.search(question, k=10, filters=Filters(years=(2019,)))
    assert by_year
    assert {h.chunk.doc for h in by_year} == {"geneva-2019-workshop.md"}
    by_place = tiny_assistant.search(question, k=10, filters=Filters(places=("new york",)))
    assert by_place
    assert {h.chunk.doc for h in by_place} == {"remittances-2021.html"}
    by_report = tiny_assistant.search(question, k=10, filters=Filters(docs=("bangkok",)))
    assert by_report
    assert {h.chunk.doc for h in by_report} == {"bangkok-2016-workshop.txt"}


@pytest.mark.parametrize(("filters", "message"), [
    (Filters(years=(1999,)), "year filter 1999; the reports are from 2016, 2019, 2021"),
    (Filters(places=("Paris",)), "place filter 'Paris'; the places are Bangkok, Geneva, New York"),
    (Filters(docs=("marrakesh",)), "report filter 'marrakesh'"),
    (Filters(years=(2019,), places=("Bangkok",)), "filters 2019 and 'Bangkok' together"),
])
def test_a_filter_matching_no_report_is_an_error_naming_it_not_an_empty_result(tiny_assistant, filters, message):
    with pytest.raises(FilterError, match=re.escape(message)):
        tiny_assistant.search("What did participants say?", k=10, filters=filters)
    with pytest.raises(FilterError, match=re.escape(message)):
        tiny_assistant.ask("What did participants say?", filters=filters)


def test_k_below_1_is_an_error_not_the_default_or_everything(tiny_assistant):
    with pytest.raises(QuestionError, match="at least 1"):
        tiny_assistant.search("fair recruitment", k=0)
    with pytest.raises(QuestionError, match="at least 1"):
        tiny_assistant.search("fair recruitment", k=-1)


def test_no_two_hits_overlap_in_the_same_document(tiny_assistant):
    hits = tiny_assistant.search("migrant workers recruitment labour", k=10)
    for i, a in enumerate(hits):
        for b in hits[i + 1:]:
            assert a.chunk.doc != b.chunk.doc or a.chunk.end <= b.chunk.start or b.chunk.end <= a.chunk.start
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_a_passage_is_as_close_as_the_mean_of_its_cosine_and_its_closest_sentences():
    import numpy as np

    from rag.retrieval import _closeness

    query = np.array([1.0, 0.0], dtype=np.float32)
    sentences = {(0, 10): np.array([0.6, 0.8], dtype=np.float16), (11, 20): np.array([0.9, 0.436], dtype=np.float16)}
    assert _closeness(0.5, sentences, query) == pytest.approx(0.5 * 0.5 + 0.5 * 0.9, abs=1e-3)
    assert _closeness(0.95, sentences, query) == pytest.approx(0.95)  # a sentence farther than the passage: no pull
    assert _closeness(0.5, {}, query) == 0.5  # no sentence vectors (an older build): the cosine alone


def test_the_best_passages_carry_the_sentence_scorers_probability_and_are_reordered_by_it(tiny_assistant):
    question = "How many government delegates came to the Bangkok meeting?"
    base = tiny_assistant.settings.retrieval
    plain = tiny_assistant.search(question, k=6, retrieval=replace(base, answer_rerank=0.0))
    scored = tiny_assistant.search(question, k=6, retrieval=replace(base, answer_rerank=0.15, answer_rerank_depth=3))
    assert all("answer" not in dict(h.stage_scores) for h in plain)
    answers = [dict(h.stage_scores).get("answer") for h in scored]
    assert sum(a is not None for a in answers) == 3  # only the depth asked for is read
    assert all(0.0 <= a <= 1.0 for a in answers if a is not None)
    # Each reread passage gained exactly its weighted probability over the score it had without the stage.
    before = {h.chunk.chunk_id: h.score for h in plain}
    for hit, answer in zip(scored, answers, strict=True):
        if answer is not None and hit.chunk.chunk_id in before:
            assert hit.score == pytest.approx(before[hit.chunk.chunk_id] + 0.15 * answer, abs=1e-6)
    assert "87 government delegates" in scored[0].chunk.text
