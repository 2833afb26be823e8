"""Shared fixtures: the real bundled model loaded once, a tiny corpus with known answers,
and every test's index pointed at its own temporary folder."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def float_embedder() -> Embedder:
    """The same model with every weight in float (embedding.quantize = "none")."""
    from dataclasses import replace

    return Embedder(replace(Settings().embedding, quantize="none"))


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


@pytest.fixture(scope="session")
def bundled_assistant(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder):
    """The bundled corpus ingested once into a FAISS folder (read-only for tests): the quality gate evaluates it
    and the PostgreSQL comparison copies its records, so the run embeds the corpus once, not twice."""
    from rag import ingest
    from rag.pipeline import Assistant

    root = tmp_path_factory.mktemp("bundled")
    shutil.copytree(Path(__file__).parent.parent / "corpus", root / "corpus")
    settings = load_settings(overrides={"paths.corpus": root / "corpus", "paths.index": root / "index"})
    ingest(settings, embedder)
    return Assistant(settings, embedder)


@pytest.fixture(scope="session")
def bundled_gold_run(bundled_assistant):
    """Our gold set asked of the bundled corpus's FAISS build, once: the quality gate checks its figures and the
    PostgreSQL comparison compares its own run with it (about 10 s each time it is asked)."""
    from rag.evaluation import evaluate, load_gold

    assistant = bundled_assistant
    return evaluate(load_gold(Path(__file__).parent.parent / "eval" / "gold.jsonl"),
                    lambda q, r: assistant.ask(q, k=10, retrieval=r), assistant.index.documents,
                    assistant.settings.retrieval)


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL 16 with pgvector on 127.0.0.1 for the whole run (tests/pg_support.py). Where none can
    start, every test that needs it fails with the reason: never a silent skip."""
    from tests.pg_support import ServerUnavailable, start_server

    try:
        server = start_server()
    except ServerUnavailable as exc:
        pytest.fail(f"no PostgreSQL with pgvector could be started for the postgres backend tests: {exc}",
                    pytrace=False)
    print(f"\nPostgreSQL with pgvector on 127.0.0.1:{server.port}, started in {server.start_seconds:.1f}s")
    yield server
    server.stop()


@pytest.fixture
def pg_dsn(pg_server) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped afterwards."""
    dsn = pg_server.create_database()
    yield dsn
    pg_server.drop_database(dsn)
