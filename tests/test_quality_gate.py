"""CI's quality gate: the evaluation on the bundled corpus must not fall below the committed baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.evaluation import HEADLINE, gate

ROOT = Path(__file__).parent.parent


@pytest.mark.slow
def test_the_bundled_corpus_evaluation_stays_within_tolerance_of_the_baseline(bundled_gold_run):
    baseline = json.loads((ROOT / "eval" / "baseline.json").read_text(encoding="utf-8"))
    run = bundled_gold_run
    report = {k: (round(run.metrics[k], 3), baseline["metrics"][k]) for k in HEADLINE}
    print("headline (now, baseline):", report)
    assert run.metrics["verbatim_rate"] == 1.0
    assert gate(run.metrics, baseline["metrics"], baseline["tolerance"]) == []
