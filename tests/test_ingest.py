"""Ingesting a corpus folder: incremental rebuilds, bad files skipped, crashes leave the old index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag import ingest
from rag.store_faiss import current_build, load_index


def test_vectors_computed_from_other_text_are_never_reused(tiny_corpus_settings, embedder, monkeypatch):
    import rag.indexing

    first = ingest(tiny_corpus_settings, embedder)
    monkeypatch.setattr(rag.indexing, "EMBEDDED_TEXT", "title > section: chunk text")
    second = ingest(tiny_corpus_settings, embedder)
    assert second.embedded_chunks == second.chunks == first.chunks
    assert second.reused_files == ()


def test_reingest_embeds_only_the_changed_file_and_drops_removed_ones(tiny_corpus_settings, embedder):
    settings = tiny_corpus_settings
    first = ingest(settings, embedder)
    assert first.embedded_chunks == first.chunks
    assert not first.failed
    corpus = settings.paths.corpus
    (corpus / "bangkok-2016-workshop.txt").open("a", encoding="utf-8").write(
        "\n6. A closing reception was offered by the Ministry of Labour.\n"
    )
    (corpus / "remittances-2021.html").unlink()
    second = ingest(settings, embedder)
    assert second.reused_files == ("geneva-2019-workshop.md",)
    assert 1 <= second.embedded_chunks <= 2  # only the new paragraph (and its neighbour if re-split)
    index = load_index(settings.paths.index)
    assert {c.doc for c in index.chunks} == {"bangkok-2016-workshop.txt", "geneva-2019-workshop.md"}
    assert any("closing reception" in c.text for c in index.chunks)


def test_unreadable_files_are_skipped_and_reported_while_the_rest_ingests(tiny_corpus_settings, embedder):
    corpus = tiny_corpus_settings.paths.corpus
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<>> garbage")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (corpus / "empty.md").write_text("", encoding="utf-8")
    (corpus / "data.xlsx").write_bytes(b"PK\x03\x04")
    report = ingest(tiny_corpus_settings, embedder)
    failed = {f.doc: f.error for f in report.failed}
    assert set(failed) == {"broken.pdf", "binary.txt", "empty.md", "data.xlsx"}
    for doc, error in failed.items():  # the reason and the fix, without the name printed beside it
        assert not error.startswith(doc) and ";" in error
    ok = {f.doc for f in report.files if f.status == "ok"}
    assert ok == {"bangkok-2016-workshop.txt", "geneva-2019-workshop.md", "remittances-2021.html"}
    manifest = load_index(tiny_corpus_settings.paths.index).manifest
    assert manifest.file("broken.pdf").status == "failed"


def test_an_exception_in_the_middle_of_a_build_leaves_the_previous_index_serving(tiny_corpus_settings, embedder):
    settings = tiny_corpus_settings
    ingest(settings, embedder)
    before = current_build(settings.paths.index)
    (settings.paths.corpus / "new-report.txt").write_text("A new paragraph about fisheries.\n", encoding="utf-8")

    def cancel(stage: str, done: int, total: int) -> None:
        if stage == "embed":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest(settings, embedder, progress=cancel)
    assert current_build(settings.paths.index) == before
    assert all(c.doc != "new-report.txt" for c in load_index(settings.paths.index).chunks)


@pytest.mark.slow
def test_a_killed_build_leaves_the_previous_index_serving(tiny_corpus_settings, embedder):
    settings = tiny_corpus_settings
    ingest(settings, embedder)
    before = current_build(settings.paths.index)
    big = settings.paths.corpus / "big.txt"

    def fill(paragraphs: int) -> None:
        big.write_text("\n\n".join(f"Paragraph {i} on migration governance, item {i * 7}." for i in range(paragraphs)),
                       encoding="utf-8")

    fill(3000)
    env = {**os.environ, "RAG_PATHS_INDEX": str(settings.paths.index), "RAG_PATHS_CORPUS": str(settings.paths.corpus)}
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "ingest"], env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 120
    seen = ""
    while time.monotonic() < deadline and "embed" not in seen:
        seen += proc.stderr.read(1) or ""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert "embed" in seen
    assert current_build(settings.paths.index) == before
    index = load_index(settings.paths.index)
    assert all(c.doc != "big.txt" for c in index.chunks)
    # and the next build cleans up whatever the killed one left behind (the file cut short: its 3,000 paragraphs
    # were only there to keep the killed build busy, and would take a minute of embedding here)
    fill(30)
    report = ingest(settings, embedder)
    assert not list((Path(settings.paths.index) / "builds").glob(".tmp-*"))
    assert "big.txt" in {f.doc for f in report.files}


def test_a_running_assistant_switches_to_a_new_build_and_keeps_serving_if_one_is_damaged(
    tiny_corpus_settings, embedder
):
    from rag.errors import GroundingError
    from rag.pipeline import Assistant

    ingest(tiny_corpus_settings, embedder)
    assistant = Assistant(tiny_corpus_settings, embedder)
    question = "Who chaired the Lisbon meeting on student mobility?"
    assert assistant.ask(question).abstained
    chaired = assistant.ask("Who chaired the Bangkok workshop?").citations[0].quote

    corpus = tiny_corpus_settings.paths.corpus
    (corpus / "lisbon-2018-meeting.txt").write_text(
        "1. The Lisbon meeting on student mobility was chaired by Mr. Tomasz Wierzbicki of Poland.\n",
        encoding="utf-8")
    (corpus / "bangkok-2016-workshop.txt").unlink()
    ingest(tiny_corpus_settings, embedder)

    answer = assistant.ask(question)  # the same object, no restart
    assert not answer.abstained and "Tomasz Wierzbicki" in answer.text
    with pytest.raises(GroundingError, match="no longer in the index"):
        assistant.verify(chaired.doc, chaired.start, chaired.end, chaired.text)

    serving = assistant.index.name
    damaged = tiny_corpus_settings.paths.index / "builds" / "damaged"
    damaged.mkdir()
    (damaged / "manifest.json").write_text("{not json", encoding="utf-8")
    (tiny_corpus_settings.paths.index / "CURRENT").write_text("damaged", encoding="utf-8")
    answer = assistant.ask(question)
    assert not answer.abstained and "Tomasz Wierzbicki" in answer.text
    assert assistant.index.name == serving
