"""Shared fixtures: the real bundled model loaded once, a tiny corpus with known answers,
and every test's index pointed at its own temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.embedding import Embedder
from rag.settings import Settings, load_settings

TINY_CORPUS = Path(__file__).parent / "data" / "tiny_corpus"


@pytest.fixture(autouse=True)
def _isolated_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the project's own index/ or rag.toml."""
    monkeypatch.setenv("RAG_PATHS_INDEX", str(tmp_path / "index"))
    monkeypatch.setenv("RAG_CONFIG", str(tmp_path / "no-rag.toml"))


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder(Settings().embedding)


def tiny_settings(root: Path) -> Settings:
    corpus = root / "corpus"
    if not corpus.exists():
        shutil.copytree(TINY_CORPUS, corpus)
    return load_settings(overrides={"paths.corpus": corpus, "paths.index": root / "index"})


@pytest.fixture
def tiny_corpus_settings(tmp_path: Path) -> Settings:
    """A private copy of the tiny corpus (tests may change it) and an empty index folder."""
    return tiny_settings(tmp_path)


@pytest.fixture(scope="session")
def tiny_assistant(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder):
    """The tiny corpus ingested once, loaded as an assistant (read-only for tests)."""
    from rag import ingest
    from rag.pipeline import Assistant

    settings = tiny_settings(tmp_path_factory.mktemp("tiny"))
    ingest(settings, embedder)
    return Assistant(settings, embedder)
