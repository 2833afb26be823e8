"""The embedder: int8 attention projections by default, close to the float model, never mixed with it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from rag import ingest
from rag.embedding import Embedder, _quantize_qkv
from rag.errors import ModelError, SettingsError, StoreError
from rag.pipeline import Assistant
from rag.settings import Settings, load_settings
from tests.conftest import tiny_settings

PASSAGES = [
    "The 2019 Geneva workshop recommended that recruitment fees never be charged to migrant workers.",
    "Remittances sent home by migrants exceed official development assistance in many countries.",
    "The Friends of the Forum met in hybrid format in November 2021.",
    "Children on the move need access to education and health care wherever they are.",
]
QUERIES = ["Who should pay recruitment fees?", "When did the Friends of the Forum meet?",
           "How large are remittance flows?", "What do migrant children need?"]


def test_the_default_embedder_quantizes_and_says_so_in_its_name(embedder: Embedder) -> None:
    assert Settings().embedding.quantize == "int8-qkv"
    assert embedder.name == "all-MiniLM-L6-v2+int8-qkv"


def test_int8_vectors_stay_close_to_the_float_ones_and_rank_alike(embedder: Embedder,
                                                                 float_embedder: Embedder) -> None:
    int8, full = embedder.encode(PASSAGES + QUERIES), float_embedder.encode(PASSAGES + QUERIES)
    cosines = (int8 * full).sum(axis=1)
    assert cosines.min() > 0.98
    assert cosines.max() < 0.99999  # the weights really are int8: the vectors are not the float ones
    p = len(PASSAGES)
    expected = [0, 2, 1, 3]  # the passage each query asks about
    assert (int8[p:] @ int8[:p].T).argmax(axis=1).tolist() == expected
    assert (full[p:] @ full[:p].T).argmax(axis=1).tolist() == expected


def test_an_index_built_in_float_is_refused_by_the_int8_embedder_with_the_fix(tmp_path: Path, embedder: Embedder,
                                                                             float_embedder: Embedder) -> None:
    settings = tiny_settings(tmp_path)
    ingest(replace(settings, embedding=replace(settings.embedding, quantize="none")), float_embedder)
    with pytest.raises(StoreError, match=r"all-MiniLM-L6-v2.*all-MiniLM-L6-v2\+int8-qkv.*rag ingest"):
        Assistant(settings, embedder)


def test_an_unknown_precision_is_named_in_the_error() -> None:
    settings = load_settings(overrides={"embedding.quantize": "int4"})
    with pytest.raises(SettingsError, match=r"embedding.quantize must be one of int8-qkv, none, got 'int4'"):
        Embedder(settings.embedding)


def test_a_model_without_attention_projections_is_not_silently_left_in_float() -> None:
    import torch

    with pytest.raises(ModelError, match=r"no attention query/key/value layers.*quantize = 'none'"):
        _quantize_qkv(torch.nn.Sequential(torch.nn.Linear(4, 4)), torch)
