"""The answer-sentence scorer: a cross-encoder shipped as the top layers of the packaged MiniLM, trained on
public QA data, that tells the sentence holding the answer from the one merely worded like the question."""

from __future__ import annotations

import json
import shutil

import pytest

from rag import SENTENCE_SCORER_PATH, ModelError, SentenceScorer
from rag.sentence_scorer import default_scorer

# Written for this test, not taken from any evaluation set.
QUESTION = "Which services did the mayor say the new centre would offer to arriving families?"
NAMING = "The opening session was chaired by the mayor of the city, Ms. Ana Duarte, who welcomed the delegates."
ANSWER = "She said the new centre would offer language classes, legal advice and help with finding housing."
UNRELATED = "Coffee was served in the main hall after the session."


def test_the_shipped_model_loads_with_its_data_and_figures():
    meta = json.loads((SENTENCE_SCORER_PATH / "training.json").read_text(encoding="utf-8"))
    assert meta["data"] == ["reddit", "amazon_reviews"]  # never new_wiki, nyt or squaddev
    figures = meta["figures"]
    assert figures["top1_within_paragraph"] > figures["top1_cosine"]  # it beats the bi-encoder it starts from
    assert (SENTENCE_SCORER_PATH / "weights.safetensors").stat().st_size < 20_000_000


def test_the_answer_outscores_the_sentence_naming_the_speaker():
    scores = default_scorer().score(QUESTION, [NAMING, ANSWER, UNRELATED])
    assert scores.shape == (3,) and ((scores >= 0) & (scores <= 1)).all()
    assert scores[1] > max(scores[0], scores[2]) + 0.1
    assert default_scorer().score(QUESTION, []).shape == (0,)
    # A sentence's probability does not depend on the others scored with it (padding is masked).
    alone = default_scorer().score(QUESTION, [ANSWER])
    assert alone[0] == pytest.approx(scores[1], abs=1e-5)


def test_known_scores_of_the_committed_weights():
    scores = default_scorer().score(QUESTION, [NAMING, ANSWER])
    assert scores.tolist() == pytest.approx(KNOWN, abs=2e-3)  # eval/train_sentence_scorer.py reproduces them


def test_a_damaged_or_missing_model_is_named_with_the_fix(tmp_path):
    with pytest.raises(ModelError, match=r"cannot be read.*train_sentence_scorer.*RAG_RETRIEVAL_ANSWER_RERANK=0"):
        SentenceScorer.load(tmp_path / "absent")
    copy = tmp_path / "scorer"
    shutil.copytree(SENTENCE_SCORER_PATH, copy)
    (copy / "weights.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(ModelError, match="cannot be read"):
        SentenceScorer.load(copy)
    shutil.copy(SENTENCE_SCORER_PATH / "weights.safetensors", copy / "weights.safetensors")
    meta = json.loads((copy / "training.json").read_text(encoding="utf-8"))
    (copy / "training.json").write_text(json.dumps({**meta, "base_sha256": "0" * 64}), encoding="utf-8")
    with pytest.raises(ModelError, match="other embedding weights"):
        SentenceScorer.load(copy)


KNOWN = [0.1369, 0.7875]
