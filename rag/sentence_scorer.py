"""Which sentence holds the answer: a small cross-encoder that reads the question and one sentence together.

The bi-encoder's cosine finds the sentence worded like the question, which is often the one naming the
meeting or the speaker; the answer is then in the sentence after it. A cross-encoder reads both texts at
once and learns, from public QA data, what an answer looks like (see eval/train_sentence_scorer.py and
rag/models/sentence_scorer.md).

It is built from the packaged all-MiniLM-L6-v2 weights: the embeddings and lower layers are used as
packaged, and the file shipped here holds only the retrained top layers and the classification head.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from .embedding import default_model_path
from .errors import ModelError
from .settings import offline_environment

MODEL_PATH = Path(__file__).parent / "models" / "sentence_scorer"
_WEIGHTS = "weights.safetensors"
_META = "training.json"
_MAX_LENGTH = 128
_OFF = "set retrieval.answer_rerank = 0 (RAG_RETRIEVAL_ANSWER_RERANK=0)"
_LAYERS = 6


def _base_digest(base: Path) -> str:
    with open(base / "model.safetensors", "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class SentenceScorer:
    """Probability that a sentence answers a question, for a batch of sentences."""

    def __init__(self, model: Any, tokenizer: Any, trained_layers: int, base: Path) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.trained_layers = trained_layers
        self.base = base
        self.max_length = _MAX_LENGTH
        self._lock = threading.Lock()

    @staticmethod
    def _build(trained_layers: int) -> SentenceScorer:
        offline_environment()
        import transformers

        transformers.utils.logging.set_verbosity_error()  # the new head's "newly initialized" warning
        try:
            base = default_model_path()
        except ModelError as exc:
            raise ModelError(f"the sentence scorer is built on the packaged all-MiniLM-L6-v2 weights ({exc}); "
                             f"or run without it: {_OFF}") from None
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(base))
        model = transformers.AutoModelForSequenceClassification.from_pretrained(str(base), num_labels=1)
        for name, parameter in model.named_parameters():
            parameter.requires_grad = SentenceScorer._trained(name, trained_layers)
        return SentenceScorer(model, tokenizer, trained_layers, base)

    @staticmethod
    def _trained(name: str, layers: int) -> bool:
        if name.startswith(("classifier.", "bert.pooler.")):
            return True
        return any(name.startswith(f"bert.encoder.layer.{i}.") for i in range(_LAYERS - layers, _LAYERS))

    @classmethod
    def untrained(cls, trained_layers: int) -> SentenceScorer:
        """The packaged encoder with a fresh head, its top `trained_layers` layers open to training."""
        return cls._build(trained_layers)

    def save(self, folder: Path, meta: dict) -> None:
        from safetensors.torch import save_file

        folder.mkdir(parents=True, exist_ok=True)
        state = {n: p.detach().to("cpu").half().contiguous() for n, p in self.model.named_parameters()
                 if self._trained(n, self.trained_layers)}
        save_file(state, str(folder / _WEIGHTS))
        meta = {**meta, "trained_layers": self.trained_layers, "max_length": self.max_length,
                "base_sha256": _base_digest(self.base)}
        (folder / _META).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path = MODEL_PATH) -> SentenceScorer:
        """The packaged encoder with the shipped layers laid over it; a missing, damaged or mismatched file is
        named with the fix."""
        fix = f"reinstall the package, rebuild it with eval/train_sentence_scorer.py, or run without it: {_OFF}"
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            meta = json.loads((folder / _META).read_text(encoding="utf-8"))
            state = load_file(str(folder / _WEIGHTS))
            layers = int(meta["trained_layers"])
        except (OSError, ValueError, KeyError, TypeError, SafetensorError) as exc:
            raise ModelError(f"the sentence scorer in {folder} cannot be read ({exc}); {fix}") from exc
        scorer = cls._build(layers)
        if meta.get("base_sha256") != _base_digest(scorer.base):
            raise ModelError(f"the sentence scorer in {folder} was trained on other embedding weights than "
                             f"{scorer.base}; {fix}")
        import torch

        own = dict(scorer.model.named_parameters())
        if set(state) != {n for n in own if cls._trained(n, layers)}:
            raise ModelError(f"the sentence scorer in {folder} does not match this version; {fix}")
        with torch.no_grad():
            for name, value in state.items():
                own[name].copy_(value.float())
        scorer.max_length = int(meta.get("max_length", _MAX_LENGTH))
        scorer.model.eval()
        for parameter in scorer.model.parameters():
            parameter.requires_grad = False
        return scorer

    def score(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """P(sentence holds the answer to `question`), one per sentence."""
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        import torch

        with self._lock, torch.inference_mode():
            encoded = self.tokenizer([question] * len(sentences), list(sentences), truncation=True,
                                     max_length=self.max_length, padding=True, return_tensors="pt")
            logits = self.model(**encoded).logits.squeeze(-1)
            return torch.sigmoid(logits).float().numpy()


@cache
def default_scorer() -> SentenceScorer:
    return SentenceScorer.load(MODEL_PATH)
