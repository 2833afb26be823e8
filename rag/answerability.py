"""Whether the closest passages answer the question: one probability from a logistic model over what the
answer composer measured, fitted on public QA data (SQuAD-Shifts reddit and amazon, see
eval/train_answerability.py and rag/models/answerability.md), never on our own or the independent questions.

It replaces a cascade of hard rules (any named term missing, no number for "how many", ...) that each
declined on their own: those signals are now features, weighed together, so one missing word no longer
refuses an answer the passage plainly gives, and several weak signals together can still decline.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .types import Answerability

MODEL_PATH = Path(__file__).parent / "models" / "answerability.json"

# What compose() measures for the answer it would give, in the model's order.
FEATURES = (
    "best_sentence",  # the best sentence's score (cosine, passage cosine, focus words, answer type)
    "lead_sentence",  # the score of the sentence the answer leads with
    "top_passage",  # the best passage closeness among those read (cosine mixed with its best sentence's)
    "lead_passage",  # the closeness of the lead sentence's passage
    "coverage",  # share of the question's content words the lead passage and its headings hold
    "specifics",  # how many years, numbers, names and labels the question names (capped at 3)
    "missing_share",  # share of those the lead passage and its metadata never mention
    "missing_detail",  # one of those never mentioned is a year, number, ordinal or label ("cluster 5"), not a name
    "kind_missing",  # asks for a number / date / sum / share the lead quote does not hold
    "count_missing",  # "how many X" and no quote counts X
)


@dataclass(frozen=True, slots=True)
class AnswerabilityModel:
    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * (features[n] - m) / s
                            for n, m, s, w in zip(self.names, self.mean, self.scale, self.weights, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def judge(self, features: dict[str, float], threshold: float | None = None) -> Answerability:
        cut = self.threshold if threshold is None else threshold
        return Answerability(round(self.probability(features), 4), cut,
                             tuple((n, round(features[n], 4)) for n in FEATURES))

    def to_json(self) -> dict:
        return {"features": list(self.names), "mean": list(self.mean), "scale": list(self.scale),
                "weights": list(self.weights), "bias": self.bias, "threshold": self.threshold}


def read_model(path: Path) -> AnswerabilityModel:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        model = AnswerabilityModel(tuple(raw["features"]), tuple(raw["mean"]), tuple(raw["scale"]),
                                   tuple(raw["weights"]), float(raw["bias"]), float(raw["threshold"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RuntimeError(f"the answerability model {path} cannot be read ({exc}); reinstall the package "
                           "or rebuild it with eval/train_answerability.py") from exc
    unknown = set(model.names) - set(FEATURES)
    if unknown or not (len(model.names) == len(model.mean) == len(model.scale) == len(model.weights)):
        raise RuntimeError(f"the answerability model {path} does not match this version (features {sorted(unknown)}); "
                           "rebuild it with eval/train_answerability.py")
    return model


@cache
def default_model() -> AnswerabilityModel:
    return read_model(MODEL_PATH)
