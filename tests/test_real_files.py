"""Real PDFs and DOCX files from pypdf's and python-docx's own test suites, next to good reports: the
readable ones are indexed, the locked ones skipped with the reason, and the build lands."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag import ingest
from rag.pipeline import Assistant
from rag.settings import load_settings
from tests.conftest import TINY_CORPUS

REAL = Path(__file__).parent / "data" / "real_files"


@pytest.mark.slow
def test_real_files_ingest_beside_good_reports_and_locked_ones_are_skipped_with_the_reason(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(TINY_CORPUS, corpus)
    for path in REAL.iterdir():
        if path.suffix in (".pdf", ".docx"):
            shutil.copy(path, corpus / path.name)
    settings = load_settings(overrides={"paths.corpus": corpus, "paths.index": tmp_path / "index"})
    report = ingest(settings, embedder)
    status = {f.doc: f for f in report.files}
    for locked in ("crazyones-encrypted-256.pdf", "r2-user-password.pdf"):
        assert status[locked].status != "ok"
        assert "password" in (status[locked].error or ""), status[locked]
    readable = ("crazyones.pdf", "r2-owner-password.pdf", "r2-empty-password.pdf", "comments-rich-para.docx",
                "par-hyperlinks.docx", "bangkok-2016-workshop.txt")
    for name in readable:
        assert status[name].status == "ok", status[name]
        assert status[name].chunks > 0, name
    hits = Assistant(settings, embedder).search("Here's to the crazy ones, the misfits, the rebels", k=3)
    assert hits[0].chunk.doc in {"crazyones.pdf", "r2-owner-password.pdf", "r2-empty-password.pdf"}
