"""CI's quality gate: the evaluation on the bundled corpus must not fall below the committed baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.evaluation import HEADLINE, evaluate, gate, load_gold

ROOT = Path(__file__).parent.parent


@pytest.mark.slow
def test_the_bundled_corpus_evaluation_stays_within_tolerance_of_the_baseline(bundled_assistant):
    baseline = json.loads((ROOT / "eval" / "baseline.json").read_text(encoding="utf-8"))
    assistant = bundled_assistant
    run = evaluate(load_gold(ROOT / "eval" / "gold.jsonl"), lambda q, r: assistant.ask(q, k=10, retrieval=r),
                   assistant.index.documents, assistant.settings.retrieval)
    report = {k: (round(run.metrics[k], 3), baseline["metrics"][k]) for k in HEADLINE}
    print("headline (now, baseline):", report)
    assert run.metrics["verbatim_rate"] == 1.0
    assert gate(run.metrics, baseline["metrics"], baseline["tolerance"]) == []
