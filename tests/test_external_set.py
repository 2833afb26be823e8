"""The external set (SQuAD-Shifts new_wiki, eval/external/newwiki/) and how `rag eval` scores a gold file
that brings its own corpus: against an index of that corpus, never the configured one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rag.catalog import load_catalog
from rag.chunking import chunk_document
from rag.cli import main
from rag.evaluation import answer_correct, evidence_in, load_gold, own_corpus, set_name
from rag.loaders import load_file
from rag.paragraphs import build_document
from rag.settings import Settings
from rag.store_faiss import current_build, load_index

ROOT = Path(__file__).resolve().parents[1]
SET = ROOT / "eval" / "external" / "newwiki"
GOLD = SET / "questions.jsonl"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _tokens(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "


@pytest.fixture(scope="module")
def items():
    return load_gold(GOLD)


@pytest.fixture(scope="module")
def corpus_text() -> dict[str, str]:
    return {f.name: f.read_text(encoding="utf-8") for f in (SET / "corpus").glob("*.txt")}


def test_the_external_set_loads_with_unique_ids_answerable_and_unanswerable_questions(items):
    assert len({i.id for i in items}) == len(items)
    assert all(re.fullmatch(r"nw\d{3}", i.id) for i in items)
    assert sum(i.answerable for i in items) == 200
    assert sum(not i.answerable for i in items) == 30
    assert all(not i.evidence and not i.answer for i in items if not i.answerable)
    size = sum(f.stat().st_size for f in SET.rglob("*") if f.is_file())
    assert size < 1_000_000  # kept small enough to commit


def test_every_answerable_answer_is_in_its_evidence_sentence_and_that_sentence_in_its_corpus_file(
        items, corpus_text):
    for item in (i for i in items if i.answerable):
        (evidence,) = item.evidence
        assert evidence.doc in corpus_text, item.id
        assert _flat(evidence.quote) in _flat(corpus_text[evidence.doc]), item.id
        assert answer_correct(item, evidence.quote), item.id


def test_no_answer_of_an_unanswerable_question_occurs_anywhere_in_the_corpus(corpus_text):
    corpus = _tokens(" ".join(corpus_text.values()))
    held_out = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]
    held_out = [d for d in held_out if not d["answerable"]]
    assert held_out
    for d in held_out:
        assert d["held_out_answers"], d["id"]
        for answer in d["held_out_answers"]:
            assert _tokens(answer) not in corpus, (d["id"], answer)


def test_every_evidence_quote_falls_inside_one_chunk_of_its_ingested_document(items, embedder):
    corpus = SET / "corpus"
    catalog = load_catalog(corpus)
    chunks = {}
    for path in sorted(corpus.glob("*.txt")):
        document = build_document(load_file(path, corpus), catalog.entry(path.name))
        assert document.report.title == catalog.entry(path.name).meta.title
        chunks[path.name] = chunk_document(document, Settings().chunking, embedder.count_tokens)
    for item in (i for i in items if i.answerable):
        (evidence,) = item.evidence
        assert any(evidence_in(evidence, c.doc, c.text) and answer_correct(item, c.text)
                   for c in chunks[evidence.doc]), item.id


def test_a_gold_set_is_named_by_its_folder_and_one_with_its_own_corpus_by_the_two_above_it():
    assert own_corpus(GOLD) == SET / "corpus"
    assert own_corpus(ROOT / "eval" / "gold.jsonl") is None
    assert set_name(GOLD) == "external-newwiki"
    assert set_name(ROOT / "eval" / "gold.jsonl") == "eval-gold"
    assert set_name(ROOT.parent / "shared" / "devset" / "questions.jsonl") == "devset-questions"


LIGHTHOUSES = """Lighthouses of the Saltmere coast

The Saltmere lighthouse was built in 1847 by the engineer Tobias Wren and stands 41 metres tall.

The keepers of the Saltmere lighthouse were withdrawn in 1962, when its lamp was automated.
"""

OWN_GOLD = [
    {"id": "x1", "question": "Who built the Saltmere lighthouse?", "answerable": True, "answer": "Tobias Wren",
     "answer_aliases": ["Wren"], "required": [], "multi_hop": False, "kind": "who",
     "evidence": [{"doc": "saltmere.txt", "quote": "built in 1847 by the engineer Tobias Wren"}]},
    {"id": "x2", "question": "How many fishing boats are registered in Saltmere harbour?", "answerable": False,
     "answer": "", "answer_aliases": [], "required": [], "evidence": [], "multi_hop": False,
     "kind": "unanswerable"},
]


@pytest.mark.slow
def test_rag_eval_scores_a_gold_file_with_its_own_corpus_against_an_index_of_that_corpus(
        tmp_path, tiny_assistant):
    from tests.test_evaluation import TINY_GOLD

    tiny_gold = tmp_path / "tiny" / "gold.jsonl"
    tiny_gold.parent.mkdir()
    tiny_gold.write_text("\n".join(json.dumps(x) for x in TINY_GOLD), encoding="utf-8")
    own = tmp_path / "sets" / "lights"
    (own / "corpus").mkdir(parents=True)
    (own / "corpus" / "saltmere.txt").write_text(LIGHTHOUSES, encoding="utf-8")
    (own / "questions.jsonl").write_text("\n".join(json.dumps(x) for x in OWN_GOLD), encoding="utf-8")
    index = tiny_assistant.settings.paths.index
    live, builds = current_build(index), sorted(p.name for p in (index / "builds").iterdir())
    out = tmp_path / "out"

    assert main(["-q", "eval", "--no-ablations", "--index", str(index), "--gold", str(tiny_gold),
                 "--gold", str(own / "questions.jsonl"), "--out", str(out), "--seeds", str(tmp_path / "none")]) == 0

    mine = json.loads((out / "sets-lights" / "metrics.json").read_text(encoding="utf-8"))["metrics"]
    assert mine["hit@1"] == 1.0
    assert mine["answer_correct"] == 1.0
    assert mine["unanswerable_declined"] == 1.0
    tiny = json.loads((out / "tiny-gold" / "metrics.json").read_text(encoding="utf-8"))["metrics"]
    assert tiny["hit@1"] == 1.0  # the other set still scored against the configured index
    cached = load_index(out / "eval-cache" / "sets-lights")
    assert [f.doc for f in cached.manifest.files] == ["saltmere.txt"]
    assert current_build(index) == live  # the configured index is not touched
    assert sorted(p.name for p in (index / "builds").iterdir()) == builds
