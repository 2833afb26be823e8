"""The learned sentence scorer: how likely a sentence of a retrieved passage answers the question.

A logistic regression over a dozen features, fitted on public QA data (SQuAD-Shifts reddit, amazon,
new_wiki; see `eval/train_scorer.py` and `rag/models/SENTENCE_SCORER.md`), never on our own questions.
Its best probability over the candidates is also what decides to answer or to decline.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelError
from .evidence import missing_terms
from .lexical import content_words, stem
from .question import Question

MODEL_PATH = Path(__file__).parent / "models" / "sentence_scorer.json"

FEATURES: tuple[str, ...] = (
    "cos_sentence",  # question vs the sentence
    "cos_passage",  # question vs the whole passage
    "cos_neighbour",  # question vs the closer of the sentence's neighbours
    "cover_sentence",  # IDF-weighted share of the question's content stems in the sentence
    "cover_window",  # ... in the sentence with its neighbours
    "cover_passage",  # ... in the passage with its title and section
    "novel",  # share of the sentence's content stems the question does not use: what it adds
    "kind_found",  # the question wants a person / number / date / place and the sentence has one
    "kind_missing",  # ... and the sentence has none
    "specifics_missing",  # share of the question's years, numbers and names absent from the passage
    "log_words",
    "first",  # the passage's first sentence
    "passage_rank",  # 1 / the passage's rank in retrieval: the retriever has read the whole collection
)

_MONTHS = r"January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = re.compile(rf"\b(?:{_MONTHS})\b|\b(?:1[89]|20)\d{{2}}\b")
_NUMBER = re.compile(r"\b\d[\d,.]*\b|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                     r"forty|fifty|hundred|thousand|million|billion|dozen)\b", re.IGNORECASE)
_TITLE = re.compile(r"\b(?:Mr|Ms|Mrs|Dr|Prof|H\.\s?E|Amb|Ambassador|Minister|Secretary|President|Director|Chair)\.?\s+"
                    r"[A-Z]")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zà-ÿ’'-]+(?:\s+(?:de|da|van|von|del|al)?\s*[A-Z][a-zà-ÿ’'-]+)*")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One sentence of a retrieved passage, with what the features read around it."""

    sentence: str
    window: str  # the sentence with its neighbours in the passage
    context: str  # the passage with its report title, place, date and section, lower-cased
    cos_sentence: float
    cos_passage: float
    cos_neighbour: float
    first: bool
    rank: int  # the passage's rank among those read, 1-based


def idf_table(texts: Iterable[str]) -> dict[str, float]:
    """Inverse document frequency of each content stem over a collection of passages."""
    df: Counter[str] = Counter()
    n = 0
    for text in texts:
        n += 1
        df.update({stem(w) for w in content_words(text)})
    return {s: math.log(1 + (n - f + 0.5) / (f + 0.5)) for s, f in df.items()}


def _stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


def _cover(weights: Mapping[str, float], stems: set[str]) -> float:
    total = sum(weights.values())
    return sum(w for s, w in weights.items() if s in stems) / total if total else 0.0


def _has_kind(kind: str, sentence: str, question: Question) -> bool:
    asked = {*question.terms.years, *question.terms.numbers}
    if kind == "number":
        return any(re.sub(r"[,.]$", "", m.group(0)) not in asked and not re.fullmatch(r"(?:19|20)\d{2}", m.group(0))
                   for m in _NUMBER.finditer(sentence))
    if kind == "date":
        return any(m.group(0) not in asked for m in _DATE.finditer(sentence))
    names = [m.group(0) for m in _CAPITALISED.finditer(sentence)]
    new = [n for n in names if n.lower() not in question.text.lower()]
    if kind == "person":
        return bool(_TITLE.search(sentence)) or any(" " in n for n in new)
    return bool(new)  # place


def features(question: Question, candidate: Candidate, idf: Mapping[str, float]) -> list[float]:
    top = max(idf.values(), default=1.0)
    weights = {s: idf.get(s, top) for s in question.stems}
    sentence_stems = _stems(candidate.sentence)
    novel = len(sentence_stems - set(question.stems)) / max(1, len(sentence_stems))
    kind = question.kind
    found = kind != "other" and _has_kind(kind, candidate.sentence, question)
    specifics = question.specifics
    missing = len(missing_terms(question.terms, candidate.context)) / specifics if specifics else 0.0
    return [
        candidate.cos_sentence,
        candidate.cos_passage,
        candidate.cos_neighbour,
        _cover(weights, sentence_stems),
        _cover(weights, _stems(candidate.window)),
        _cover(weights, _stems(candidate.context)),
        novel,
        float(found),
        float(kind != "other" and not found),
        missing,
        math.log1p(len(candidate.sentence.split())),
        float(candidate.first),
        1.0 / candidate.rank,
    ]


@dataclass(frozen=True, slots=True)
class SentenceScorer:
    """Standardised features -> logistic regression -> probability that the sentence answers."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float  # below this best probability the question is declined

    def __post_init__(self) -> None:
        if not (len(self.names) == len(self.mean) == len(self.scale) == len(self.weights)):
            raise ValueError("scorer arrays differ in length")

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        z = (rows - np.asarray(self.mean)) / np.asarray(self.scale)
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.weights) + self.bias)))

    def to_json(self, extra: dict[str, object] | None = None) -> str:
        data: dict[str, object] = {
            "features": list(self.names), "mean": list(self.mean), "scale": list(self.scale),
            "weights": list(self.weights), "bias": self.bias, "threshold": self.threshold}
        return json.dumps({**data, **(extra or {})}, indent=1)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> SentenceScorer:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            scorer = cls(tuple(data["features"]), tuple(data["mean"]), tuple(data["scale"]),
                         tuple(data["weights"]), float(data["bias"]), float(data["threshold"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"cannot load the sentence scorer {path}: {exc}; reinstall the package or re-run "
                             "'python eval/train_scorer.py'") from None
        if scorer.names != FEATURES:
            raise ModelError(f"the sentence scorer {path} was fitted on other features; re-run "
                             "'python eval/train_scorer.py'")
        return scorer
