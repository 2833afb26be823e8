"""The answer-or-decline decision is one calibrated probability from a model shipped in the package."""

from __future__ import annotations

import json
import math

import pytest

from rag.answerability import FEATURES, MODEL_PATH, default_model, read_model

# A sentence that plainly answers: high scores, every specific found.
CLEAR = {"best_sentence": 0.75, "lead_sentence": 0.75, "top_passage": 0.7, "lead_passage": 0.7, "coverage": 0.9,
         "specifics": 1.0, "missing_share": 0.0, "missing_detail": 0.0, "kind_missing": 0.0, "count_missing": 0.0}


def test_the_shipped_model_loads_with_its_figures_and_known_scores():
    model = default_model()
    raw = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert set(model.names) <= set(FEATURES)
    assert "reddit" in raw["data"] and "new_wiki" not in raw["data"] and raw["figures"]["auc_5fold"] > 0.7
    # Known scores of the committed weights (eval/train_answerability.py reproduces them).
    assert model.probability(CLEAR) == pytest.approx(0.7988, abs=1e-3)
    columns = zip(raw["features"], raw["mean"], raw["scale"], raw["weights"], strict=True)
    z = raw["bias"] + sum(w * (CLEAR[f] - m) / s for f, m, s, w in columns)
    assert model.probability(CLEAR) == pytest.approx(1 / (1 + math.exp(-z)))
    assert model.threshold == pytest.approx(0.2136, abs=1e-4)


def test_a_passage_that_never_mentions_the_year_asked_is_less_likely_to_answer():
    model = default_model()
    missing = {**CLEAR, "missing_share": 1.0, "missing_detail": 1.0}
    weak = {**CLEAR, "best_sentence": 0.3, "lead_sentence": 0.3, "coverage": 0.3}
    assert model.judge(CLEAR).answers
    assert model.probability(missing) < model.probability(CLEAR) / 3
    assert not model.judge(weak).answers
    assert model.judge(weak, threshold=0.0).answers  # min_answerability = 0: never decline
    assert dict(model.judge(CLEAR).features) == CLEAR  # every measurement is kept, for the trainer


def test_a_damaged_or_foreign_model_file_is_named_with_the_fix(tmp_path):
    broken = tmp_path / "answerability.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"cannot be read.*train_answerability"):
        read_model(broken)
    broken.write_text(json.dumps({"features": ["shoe_size"], "mean": [0], "scale": [1], "weights": [1],
                                  "bias": 0, "threshold": 0.5}), encoding="utf-8")
    with pytest.raises(RuntimeError, match="does not match this version"):
        read_model(broken)


def test_answers_and_declines_carry_the_probability_they_were_decided_by(tiny_assistant):
    answered = tiny_assistant.ask("Who chaired the Bangkok workshop?")
    declined = tiny_assistant.ask("Who chaired the 2031 Bangkok workshop on space tourism?")
    assert not answered.abstained and answered.answerability.answers
    assert declined.abstained and declined.answerability is not None and not declined.answerability.answers
    assert "2031" in declined.reason
    assert f"(answerability {declined.answerability.probability:.2f}, below 0.21)" in declined.reason
