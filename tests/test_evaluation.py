"""The evaluation's metrics, and the quality gate catching a deliberately broken retriever."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from rag.evaluation import (
    Evidence,
    GoldItem,
    ItemResult,
    answer_correct,
    evaluate,
    evidence_in,
    gate,
    load_gold,
    seed_names,
    summarise,
)
from rag.pipeline import Assistant
from rag.retrieval import Retriever

TINY_GOLD = [
    {"id": "t1", "question": "Who was in the chair at the Bangkok meeting?", "answerable": True,
     "answer": "Ingrid Halvorsen", "answer_aliases": ["Halvorsen"], "required": [],
     "evidence": [{"doc": "bangkok-2016-workshop.txt", "quote": "chaired by Ms. Ingrid Halvorsen"}],
     "multi_hop": False, "kind": "who"},
    {"id": "t2", "question": "What should happen to the fees that recruiters charge migrant workers?",
     "answerable": True, "answer": "abolish", "answer_aliases": [], "required": [],
     "evidence": [{"doc": "geneva-2019-workshop.md", "quote": "abolish all recruitment fees"}],
     "multi_hop": False, "kind": "recommendation"},
    {"id": "t3", "question": "How cheap were remittances, as a share of the amount sent, in 2020?",
     "answerable": True, "answer": "6.5 percent", "answer_aliases": ["6.5"], "required": [],
     "evidence": [{"doc": "remittances-2021.html", "quote": "fell to 6.5 percent in 2020"}],
     "multi_hop": False, "kind": "number"},
    {"id": "t4", "question": "How many people attended the 2018 Marrakesh workshop?", "answerable": False,
     "answer": "", "answer_aliases": [], "required": [], "evidence": [], "multi_hop": False,
     "kind": "unanswerable"},
]


@pytest.fixture
def gold_file(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in TINY_GOLD), encoding="utf-8")
    return path


def test_evidence_matches_despite_whitespace_and_quote_style_but_not_in_another_doc():
    ev = Evidence("a.txt", "the workshop’s  chair was Ms. X")
    assert evidence_in(ev, "a.txt", "In 2016 the workshop's chair\nwas Ms. X, who opened it.")
    assert not evidence_in(ev, "b.txt", "the workshop's chair was Ms. X")
    assert not evidence_in(ev, "a.txt", "an unrelated passage about fisheries")


def test_evidence_copied_from_a_raw_markdown_file_matches_the_clean_passage():
    # The devset copies quotes byte for byte from the raw files; the clean text drops Markdown marks and
    # superscript footnote markers. Before this, 14 of its 182 quotes matched no passage at all.
    ev = Evidence("a.md", "*The objectives of the **Permanent Migratory Statutes**⁵¹ with **Peru, Colombia** are")
    assert evidence_in(ev, "a.md", "The objectives of the Permanent Migratory Statutes with Peru, Colombia are: ensure")
    assert not evidence_in(ev, "a.md", "The objectives of the Joint Information Bureaus are to inform migrants.")


def test_a_list_answer_needs_every_required_element():
    item = GoldItem("x", "q", True, "", (), (("Philippines",), ("Bahrain", "Kingdom of Bahrain")), (), False, "list")
    assert answer_correct(item, "co-convened by the Philippines and Bahrain")
    assert not answer_correct(item, "co-convened by the Philippines")


def test_answers_are_graded_as_token_sequences_like_the_devset():
    item = GoldItem("x", "q", True, "6,000", ("Secretary-General",), (), (), False, "numeric")
    assert answer_correct(item, "some 6 000 workers")
    assert answer_correct(item, "the secretary general said")
    assert not answer_correct(item, "16,000 workers")  # a token, not a substring


def test_devset_evidence_naming_a_seed_file_maps_to_the_corpus_file_with_the_same_bytes(tmp_path):
    corpus, seeds = tmp_path / "corpus", tmp_path / "seeds"
    corpus.mkdir()
    seeds.mkdir()
    (corpus / "report-2019.txt").write_text("The workshop met in Geneva.", encoding="utf-8")
    (seeds / "004_abc.txt").write_text("The workshop met in Geneva.", encoding="utf-8")
    (seeds / "005_other.txt").write_text("Not in the corpus.", encoding="utf-8")
    gold = tmp_path / "questions.jsonl"
    gold.write_text(json.dumps({"id": "d1", "question": "Where?", "answerable": True, "answer": "Geneva",
                                "evidence": [{"file": "004_abc.txt", "quote": "met in Geneva"}]}) + "\n")
    names = seed_names(corpus, seeds)
    assert names == {"004_abc.txt": "report-2019.txt"}
    assert load_gold(gold, names)[0].evidence == (Evidence("report-2019.txt", "met in Geneva"),)


def test_the_pipeline_scores_well_on_a_tiny_gold_set(tiny_assistant, gold_file):
    items = load_gold(gold_file)
    run = evaluate(items, lambda q, r: tiny_assistant.ask(q, k=10, retrieval=r), tiny_assistant.index.documents,
                   tiny_assistant.settings.retrieval)
    m = run.metrics
    assert m["hit@1"] == 1.0
    assert m["verbatim_rate"] == 1.0
    assert m["answer_correct"] == 1.0
    assert m["unanswerable_declined"] == 1.0
    assert m["abstention_accuracy"] == 1.0
    assert m["latency_total_p50_ms"] > 0


def _given(id_: str, answer: str, answerable: bool = True, abstained: bool = False) -> ItemResult:
    return ItemResult(id=id_, question="q", answerable=answerable, abstained=abstained, correct=False,
                      first_relevant_rank=None, relevant_ranks=(), citations=0, citations_supported=0,
                      citations_verbatim=0, evidence_cited=0, evidence_total=1, timings_ms={}, answer=answer,
                      retrieved=(), expected=())


def test_answer_length_is_the_median_of_answers_given_to_answerable_questions_and_of_their_quotes():
    m = summarise([
        _given("a", "Short answer: “87 delegates” [1]\n“In all, 87 delegates came.” [1]"),  # 11 words, 7 quoted
        _given("b", "“One two three four five six seven eight nine ten eleven twelve.” [1]"),  # 13 words, 12 quoted
        _given("c", "“Four words quoted here.” [1]\n“And three more.” [2]"),  # 9 words, 7 quoted
        _given("d", "The reports do not answer this: " + "word " * 40, abstained=True),  # a decline: not counted
        _given("e", "“" + "word " * 40 + "” [1]", answerable=False),  # an unanswerable item: not counted
    ])
    assert m["answer_words_p50"] == 11
    assert m["quoted_words_p50"] == 7


class _BrokenRetriever(Retriever):
    """Deliberately broken: returns the least relevant passages first."""

    def search(self, query, k=None, filters=None, settings=None):
        hits = super().search(query, 50, filters, settings)[::-1][: k or 5]
        return [replace(h, rank=i + 1) for i, h in enumerate(hits)]


def test_the_quality_gate_fails_a_deliberately_broken_retriever(tiny_assistant, gold_file):
    items = load_gold(gold_file)
    good = evaluate(items, lambda q, r: tiny_assistant.ask(q, k=10, retrieval=r), tiny_assistant.index.documents,
                    tiny_assistant.settings.retrieval)
    assert gate(good.metrics, good.metrics, 0.03) == []
    class _BrokenAssistant(Assistant):
        retriever_class = _BrokenRetriever

    broken = _BrokenAssistant(tiny_assistant.settings, tiny_assistant.embedder, tiny_assistant.index)
    bad = evaluate(items, lambda q, r: broken.ask(q, k=10, retrieval=r), broken.index.documents,
                   broken.settings.retrieval)
    failures = gate(bad.metrics, good.metrics, 0.03)
    assert any(f.startswith("hit@5") or f.startswith("mrr") for f in failures)
