"""The gold Q&A set is well formed and every evidence quote is verbatim in its report."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from rag.catalog import load_catalog
from rag.evaluation import load_gold
from rag.loaders import load_file
from rag.paragraphs import build_document

ROOT = Path(__file__).parent.parent
GOLD = ROOT / "eval" / "gold.jsonl"
FIELDS = {"id", "question", "answerable", "answer", "answer_aliases", "required", "evidence", "multi_hop", "kind"}
KINDS = {"who", "when", "where", "number", "list", "recommendation", "definition", "unanswerable"}


@pytest.fixture(scope="module")
def raw_items():
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def clean_texts():
    corpus = ROOT / "corpus"
    catalog = load_catalog(corpus)
    return {p.name: build_document(load_file(p, corpus), catalog.entry(p.name)).text
            for p in corpus.iterdir() if p.name != "catalog.toml"}


def test_every_item_has_the_fields_ids_are_unique_and_kinds_known(raw_items):
    assert len(raw_items) >= 100
    for item in raw_items:
        assert set(item) == FIELDS, item["id"]
        assert item["kind"] in KINDS
        assert isinstance(item["required"], list) and all(isinstance(r, list) and r for r in item["required"])
    assert len({i["id"] for i in raw_items}) == len(raw_items)
    assert len({i["question"] for i in raw_items}) == len(raw_items)
    assert len(load_gold(GOLD)) == len(raw_items)


def test_the_set_has_enough_multi_hop_and_unanswerable_items_across_all_reports(raw_items, clean_texts):
    assert sum(i["multi_hop"] for i in raw_items) >= 15
    assert sum(not i["answerable"] for i in raw_items) >= 20
    per_doc = Counter(e["doc"] for i in raw_items if i["answerable"] for e in i["evidence"])
    assert set(per_doc) == set(clean_texts)
    for item in raw_items:
        if item["answerable"]:
            assert item["answer"] and item["evidence"], item["id"]
            assert item["kind"] != "unanswerable"
        else:
            assert item["kind"] == "unanswerable" and not item["answer"]
        if item["multi_hop"]:
            assert len(item["evidence"]) >= 2, item["id"]


def test_every_evidence_quote_is_verbatim_in_the_clean_text_of_its_report(raw_items, clean_texts):
    missing = [(i["id"], e["quote"]) for i in raw_items for e in i["evidence"]
               if e["quote"] not in clean_texts[e["doc"]]]
    assert missing == []


def test_each_answer_or_required_element_appears_in_its_evidence_reports(raw_items, clean_texts):
    """Gold answers use the reports' own words, so a quoting system can be scored by substring."""
    problems = []
    for item in (i for i in raw_items if i["answerable"]):
        text = " ".join(clean_texts[e["doc"]] for e in item["evidence"]).lower()
        if item["required"]:
            problems += [(item["id"], alts) for alts in item["required"] if not any(a.lower() in text for a in alts)]
        elif not any(a.lower() in text for a in [item["answer"], *item["answer_aliases"]]):
            problems.append((item["id"], item["answer"]))
    assert problems == []
