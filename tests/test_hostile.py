"""Hostile files never cost a build: each is skipped or failed with the problem and the fix, and every
good report beside them is indexed."""

from __future__ import annotations

import logging
import re
import resource
import threading
import time
from collections import Counter

import pytest

from rag import ingest
from rag.errors import FileTimeoutError
from rag.limits import time_limit
from rag.loaders import load_file
from rag.store_faiss import load_index
from tests.conftest import TINY_CORPUS, tiny_settings
from tests.hostile_files import EITHER, FAILED, HOSTILE_SETTINGS, OK, SKIPPED, reason_kind, write_hostile_corpus


@pytest.mark.slow
def test_one_ingest_over_every_hostile_file_refuses_each_with_a_reason_and_indexes_every_good_report(
        tmp_path, embedder, record_property):
    settings = tiny_settings(tmp_path).with_overrides(HOSTILE_SETTINGS)
    expected = write_hostile_corpus(settings.paths.corpus)
    began = time.perf_counter()

    report = ingest(settings, embedder)  # no exception, whatever the corpus holds

    status = {f.doc: f for f in report.files}
    for e in expected:
        got = status[e.doc]
        if e.outcome in (FAILED, SKIPPED) or (e.outcome == EITHER and got.status != OK):
            assert got.status == (SKIPPED if e.outcome == SKIPPED else FAILED), (e.doc, got)
            assert got.error and ";" in got.error, (e.doc, got.error)  # the problem; then the fix
            assert e.reason and re.search(e.reason, got.error), (e.doc, got.error)
        else:
            assert got.status == OK, (e.doc, got.error)
    index = load_index(settings.paths.index)
    per_doc = Counter(c.doc for c in index.chunks)
    good = [p.name for p in TINY_CORPUS.iterdir() if p.name != "catalog.toml"]
    assert all(per_doc[doc] > 0 for doc in good)
    texts = "\n".join(c.text for c in index.chunks)
    for e in expected:
        if e.outcome == OK:
            assert per_doc[e.doc] > 0 and e.phrase in texts, e.doc
    assert {f.doc for f in index.manifest.files} == set(status)  # the manifest records every refusal

    kinds = Counter(reason_kind(f.error) for f in report.files if f.status != OK)
    record_property("hostile_seconds", round(time.perf_counter() - began, 1))
    record_property("hostile_peak_rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    record_property("hostile_refused_by_reason", dict(kinds))
    assert sum(kinds.values()) >= sum(e.outcome in (FAILED, SKIPPED) for e in expected)


def test_a_file_that_takes_longer_than_the_time_limit_fails_with_the_setting_to_raise(
        tiny_corpus_settings, embedder, monkeypatch):
    import rag.indexing

    real = rag.indexing.load_file

    def stalls_on_one_file(path, corpus):
        if path.name == "stuck.txt":
            time.sleep(30)  # a parser in a loop
        return real(path, corpus)

    (tiny_corpus_settings.paths.corpus / "stuck.txt").write_text("Never read.\n", encoding="utf-8")
    monkeypatch.setattr(rag.indexing, "load_file", stalls_on_one_file)
    settings = tiny_corpus_settings.with_overrides({"ingest.file_seconds": 0.5})
    began = time.monotonic()
    status = {f.doc: f for f in ingest(settings, embedder).files}
    assert time.monotonic() - began < 20
    assert status["stuck.txt"].status == FAILED
    assert "longer than 0.5 s" in status["stuck.txt"].error and "RAG_INGEST_FILE_SECONDS" in status["stuck.txt"].error
    assert status["geneva-2019-workshop.md"].status == OK


def test_the_time_limit_is_lifted_after_the_file_and_not_applied_off_the_main_thread():
    with time_limit(0.2, "quick.txt"):
        pass
    time.sleep(0.4)  # no late alarm
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with time_limit(0.1, "ui.txt"):
                time.sleep(0.3)
        except BaseException as exc:  # the test reports anything at all
            errors.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert errors == []
    with pytest.raises(FileTimeoutError, match=r"slow\.txt.*ingest\.file_seconds"), time_limit(0.1, "slow.txt"):
        time.sleep(5)


def test_an_unexpected_reader_error_is_named_in_the_reason_and_traced_only_at_debug_level(
        tiny_corpus_settings, embedder, monkeypatch, caplog):
    import rag.indexing

    real = rag.indexing.build_document

    def buggy(raw, entry, sha256):
        if raw.doc == "bangkok-2016-workshop.txt":
            raise AttributeError("'NoneType' object has no attribute 'text'")
        return real(raw, entry, sha256=sha256)

    monkeypatch.setattr(rag.indexing, "build_document", buggy)
    with caplog.at_level(logging.DEBUG, logger="rag.indexing"):
        status = {f.doc: f for f in ingest(tiny_corpus_settings, embedder).files}
    failed = status["bangkok-2016-workshop.txt"]
    assert failed.status == FAILED and "AttributeError: 'NoneType' object has no attribute 'text'" in failed.error
    traced = [r for r in caplog.records if r.exc_info]
    assert traced and all(r.levelno == logging.DEBUG for r in traced)
    assert status["geneva-2019-workshop.md"].status == OK


def test_a_file_over_the_size_limit_is_refused_unread(tiny_corpus_settings, embedder):
    (tiny_corpus_settings.paths.corpus / "big.txt").write_bytes(b"Migration line.\n" * 200_000)
    settings = tiny_corpus_settings.with_overrides({"ingest.max_file_mb": 1})
    status = {f.doc: f for f in ingest(settings, embedder).files}
    assert status["big.txt"].status == FAILED and status["big.txt"].sha256 == ""
    reason = status["big.txt"].error
    assert "over the size limit (3.2 MB, ingest.max_file_mb is 1 MB)" in reason and "RAG_INGEST_MAX_FILE_MB" in reason


def test_xml_comments_and_processing_instructions_in_a_docx_body_are_passed_over(tmp_path):
    from tests.hostile_files import _docx_with_body, _with_comments

    (tmp_path / "c.docx").write_bytes(_docx_with_body("The Manila forum launched a skills passport.", _with_comments))
    raw = load_file(tmp_path / "c.docx", tmp_path)
    assert "skills passport" in raw.pages[0].text and "reviewer" not in raw.pages[0].text


def test_utf16_without_a_byte_order_mark_is_read_and_reported(tmp_path):
    (tmp_path / "u.txt").write_bytes("Delegates met in Genève.\n".encode("utf-16-le") * 4)
    raw = load_file(tmp_path / "u.txt", tmp_path)
    assert raw.pages[0].text.startswith("Delegates met in Genève.")
    assert any("without a byte-order mark" in w for w in raw.warnings)
