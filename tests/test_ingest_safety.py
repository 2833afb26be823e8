"""Ingest reads only what the corpus holds, never loses the live build, decodes what a file says,
and reports every file it did not index with the reason and the fix."""

from __future__ import annotations

import codecs
import os
import random
import re
from pathlib import Path

import pytest

from rag import ingest
from rag.chunking import chunk_document
from rag.errors import LoaderError, StoreError
from rag.loaders import load_file
from rag.paragraphs import build_document
from rag.settings import ChunkingSettings
from rag.store_faiss import current_build, load_index


def _statuses(report):
    return {f.doc: f for f in report.files}


def _indexed_text(settings) -> str:
    return "\n".join(c.text for c in load_index(settings.paths.index).chunks)


# 1. Links ------------------------------------------------------------------------------------------

def test_links_out_of_the_corpus_broken_or_looping_are_not_read_and_are_listed_with_the_reason(
        tiny_corpus_settings, embedder, tmp_path):
    corpus = tiny_corpus_settings.paths.corpus
    outside = tmp_path / "secret.txt"
    outside.write_text("The launch code of the vault is ZEBRA-STRIPE-4242.", encoding="utf-8")
    (corpus / "secret.txt").symlink_to(outside)
    (corpus / "dangling.md").symlink_to(tmp_path / "gone.md")
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    (corpus / "again.md").symlink_to(corpus / "geneva-2019-workshop.md")
    (corpus / "elsewhere").symlink_to(tmp_path, target_is_directory=True)

    report = ingest(tiny_corpus_settings, embedder)

    status = _statuses(report)
    assert {d for d, f in status.items() if f.status == "skipped"} == {
        "secret.txt", "dangling.md", "loop.txt", "again.md", "elsewhere"}
    assert "outside the corpus" in status["secret.txt"].error
    assert "broken symbolic link" in status["dangling.md"].error
    assert "broken symbolic link" in status["loop.txt"].error
    assert "geneva-2019-workshop.md" in status["again.md"].error
    assert "folder" in status["elsewhere"].error
    assert "ZEBRA-STRIPE" not in _indexed_text(tiny_corpus_settings)
    assert status["geneva-2019-workshop.md"].status == "ok"


def test_a_pipe_in_the_corpus_is_skipped_without_blocking_the_build(tiny_corpus_settings, embedder):
    os.mkfifo(tiny_corpus_settings.paths.corpus / "pipe.txt")
    status = _statuses(ingest(tiny_corpus_settings, embedder))
    assert status["pipe.txt"].status == "skipped" and "not a regular file" in status["pipe.txt"].error


# 2. Pruning keys on what was live --------------------------------------------------------------------

def test_a_build_killed_before_its_switch_never_costs_the_previous_live_build(
        tiny_corpus_settings, embedder, monkeypatch):
    root = tiny_corpus_settings.paths.index
    ingest(tiny_corpus_settings, embedder)
    (tiny_corpus_settings.paths.corpus / "extra.md").write_text("The forum met again in Rabat.", encoding="utf-8")
    ingest(tiny_corpus_settings, embedder)
    live_before = current_build(root).name

    real_replace = os.replace

    def killed_at_the_switch(src, dst):
        if Path(dst).name == "CURRENT":
            raise KeyboardInterrupt  # the process dies between the build rename and the switch
        return real_replace(src, dst)

    (tiny_corpus_settings.paths.corpus / "extra.md").write_text("The forum met again in Dakar.", encoding="utf-8")
    monkeypatch.setattr(os, "replace", killed_at_the_switch)
    with pytest.raises(KeyboardInterrupt):
        ingest(tiny_corpus_settings, embedder)
    monkeypatch.setattr(os, "replace", real_replace)
    never_live = {p.name for p in (root / "builds").iterdir()} - {live_before}
    assert current_build(root).name == live_before and (root / "CURRENT.tmp").exists()
    assert never_live  # the killed build's folder is there, with a name that sorts after the live one

    ingest(tiny_corpus_settings, embedder)

    kept = {p.name for p in (root / "builds").iterdir()}
    assert kept == {current_build(root).name, live_before}
    assert not (root / "CURRENT.tmp").exists()
    assert "Dakar" in _indexed_text(tiny_corpus_settings)


# 3. One-line paragraphs are not double-spaced PDF text ---------------------------------------------

ONE_LINE_PARAGRAPHS = "\n\n".join(
    f"Recommendation {i}: states should extend {topic} to all migrant workers." for i, topic in
    enumerate(["social protection", "fair recruitment", "skills recognition", "health care", "legal aid",
               "portable pensions", "language courses", "housing support", "family reunification",
               "labour inspection", "remittance services", "return support"], 1)) + "\n"


@pytest.mark.parametrize("name", ["notes.txt", "notes.md"])
def test_text_with_one_paragraph_per_line_keeps_every_paragraph(tmp_path, name):
    (tmp_path / name).write_text(ONE_LINE_PARAGRAPHS, encoding="utf-8")
    doc = build_document(load_file(tmp_path / name, tmp_path), None)
    assert len([p for p in doc.paragraphs if p.kind != "heading"]) == 12


def test_wrapped_pdf_text_without_trailing_spaces_is_still_joined_into_paragraphs(tmp_path):
    wrapped = ["The workshop convened around 190 participants from 89 UN Member States and over",
               "40 representatives from civil society, who discussed how the recommendations of",
               "the review could be carried into national plans for labour migration.", ""] * 4
    (tmp_path / "extracted.txt").write_text("\n\n".join(wrapped), encoding="utf-8")
    doc = build_document(load_file(tmp_path / "extracted.txt", tmp_path), None)
    bodies = [p.text for p in doc.paragraphs if p.kind == "body"]
    assert bodies[0].startswith("The workshop convened") and bodies[0].endswith("labour migration.")


# 4. Decoding ----------------------------------------------------------------------------------------

SENTENCE = "Delegates from São Tomé and Côte d’Ivoire met in Genève – a “fair recruitment” session.\n" * 3


@pytest.mark.parametrize(("label", "data", "expected"), [
    ("utf-8", SENTENCE.encode(), SENTENCE),
    ("utf-8 with BOM", codecs.BOM_UTF8 + SENTENCE.encode(), SENTENCE),
    ("utf-16 with BOM", SENTENCE.encode("utf-16"), SENTENCE),
    ("utf-16-be with BOM", codecs.BOM_UTF16_BE + SENTENCE.encode("utf-16-be"), SENTENCE),
    ("utf-32 with BOM", SENTENCE.encode("utf-32"), SENTENCE),
    ("cp1252", SENTENCE.encode("cp1252"), SENTENCE),
    ("latin-1", "Delegates from São Tomé met.\n".encode("latin-1"), "Delegates from São Tomé met.\n"),
    ("cp1251", ("Глобальный форум по миграции и развитию провёл встречу в Женеве. " * 4).encode("cp1251"),
     "Глобальный форум по миграции и развитию провёл встречу в Женеве. " * 4),
    ("gbk", ("全球移民与发展论坛在日内瓦举行会议。与会者讨论了公平招聘问题。" * 4).encode("gbk"),
     "全球移民与发展论坛在日内瓦举行会议。与会者讨论了公平招聘问题。" * 4),
    ("shift-jis", ("移住と開発に関するグローバル・フォーラムはジュネーブで会合を開いた。" * 4).encode("shift_jis"),
     "移住と開発に関するグローバル・フォーラムはジュネーブで会合を開いた。" * 4),
])
def test_text_in_any_common_encoding_comes_back_as_written(tmp_path, label, data, expected):
    (tmp_path / "r.txt").write_bytes(data)
    raw = load_file(tmp_path / "r.txt", tmp_path)
    assert raw.pages[0].text == expected
    assert not re.search("[\x80-\x9f]|Ã", raw.pages[0].text)
    if not label.startswith("utf"):
        assert any("not UTF-8" in w for w in raw.warnings)  # said in the quality report, not guessed silently


def test_one_bad_byte_in_utf8_is_replaced_and_reported_while_the_rest_stays_utf8(tmp_path):
    (tmp_path / "r.md").write_bytes(SENTENCE.encode() + b"\xff" + SENTENCE.encode())
    doc = build_document(load_file(tmp_path / "r.md", tmp_path), None)
    assert "São Tomé" in doc.text and "Ã" not in doc.text and "\ufffd" in doc.text
    assert any("1 invalid UTF-8" in w for w in doc.warnings)


@pytest.mark.parametrize("data", [
    random.Random(7).randbytes(20_000),
    b"\x89PNG\r\n\x1a\n" + random.Random(8).randbytes(5_000),
])
def test_bytes_that_decode_to_no_readable_text_are_refused_with_a_reason(tmp_path, data):
    (tmp_path / "noise.txt").write_bytes(data)
    with pytest.raises(LoaderError, match=r"noise\.txt: .*(binary|not readable).*export"):
        load_file(tmp_path / "noise.txt", tmp_path)


# 5. Passages are capped by characters ---------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "x" * 1_048_576,  # one "token" to the splitter
    "https://example.org/" + "a1b2c3" * 20_000 + " ends here.",
    "Geneva " * 15_000,
])
def test_no_passage_exceeds_the_character_cap_and_every_passage_is_verbatim(tmp_path, text, embedder):
    (tmp_path / "long.txt").write_text("Intro paragraph.\n\n" + text + "\n", encoding="utf-8")
    doc = build_document(load_file(tmp_path / "long.txt", tmp_path), None)
    settings = ChunkingSettings()
    chunks = chunk_document(doc, settings, embedder.count_tokens)
    assert max(len(c.text) for c in chunks) <= settings.max_chars
    assert all(doc.text[c.start:c.end] == c.text for c in chunks)
    covered = sum(len(c.text) for c in chunks if c.paragraph_index == 1)
    assert covered >= 0.99 * len(text.strip())  # nothing dropped (overlaps may add a little)


# 6. Owner-password PDFs -----------------------------------------------------------------------------

@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_a_pdf_with_only_an_owner_password_is_read(tmp_path, algorithm):
    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(tmp_path / "plain.pdf"))
    c.drawString(72, 700, "Participants recommended abolishing recruitment fees.")
    c.showPage()
    c.save()
    writer = PdfWriter()
    for page in PdfReader(tmp_path / "plain.pdf").pages:
        writer.add_page(page)
    writer.encrypt(user_password="", owner_password="owner-only", algorithm=algorithm)
    with (tmp_path / "restricted.pdf").open("wb") as fh:
        writer.write(fh)
    raw = load_file(tmp_path / "restricted.pdf", tmp_path)
    assert "abolishing recruitment fees" in raw.pages[0].text


def test_pdf_reader_complaints_are_one_warning_for_the_file_not_a_flood_on_the_terminal(tmp_path, capsys, caplog):
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(tmp_path / "w.pdf"))
    c.drawString(72, 700, "The forum met in Geneva.")
    c.showPage()
    c.save()
    data = re.sub(rb"startxref\s+\d+", b"startxref\n999", (tmp_path / "w.pdf").read_bytes())
    (tmp_path / "w.pdf").write_bytes(data)
    raw = load_file(tmp_path / "w.pdf", tmp_path)
    assert "The forum met in Geneva." in raw.pages[0].text
    assert [w for w in raw.warnings if "PDF reader reported" in w]
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]
    assert capsys.readouterr().err == ""


# 7. A read-only index is refused before any work ----------------------------------------------------

def test_an_index_folder_that_cannot_be_written_is_refused_before_anything_is_read(
        tiny_corpus_settings, embedder, tmp_path):
    from dataclasses import replace

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    settings = replace(tiny_corpus_settings, paths=replace(tiny_corpus_settings.paths, index=blocker / "index"))
    seen: list[str] = []
    with pytest.raises(StoreError, match=r"not writable.*--index"):
        ingest(settings, embedder, progress=lambda stage, done, total: seen.append(stage))
    assert seen == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_index_folder_is_refused_and_the_existing_index_kept(tiny_corpus_settings, embedder):
    ingest(tiny_corpus_settings, embedder)
    root = tiny_corpus_settings.paths.index
    live = current_build(root)
    root.chmod(0o555)
    try:
        with pytest.raises(StoreError, match="not writable"):
            ingest(tiny_corpus_settings, embedder)
    finally:
        root.chmod(0o755)
    assert current_build(root) == live and load_index(root).chunks


# 10. Messages --------------------------------------------------------------------------------------

def test_skipped_files_name_their_whole_type_the_fix_and_the_file_only_once(tiny_corpus_settings, embedder):
    corpus = tiny_corpus_settings.paths.corpus
    (corpus / "bundle.tar.gz").write_bytes(b"\x1f\x8b\x08\x00" + bytes(100))
    (corpus / "app.html").write_text("<html><body><script>document.write('Hello')</script></body></html>",
                                     encoding="utf-8")
    status = _statuses(ingest(tiny_corpus_settings, embedder))
    assert "'.tar.gz'" in status["bundle.tar.gz"].error and "extract" in status["bundle.tar.gz"].error
    assert status["app.html"].status == "failed" and "no readable text" in status["app.html"].error
    assert all(f.doc not in (f.error or "") for f in status.values())


def test_a_first_build_reuses_nothing_and_a_rebuild_reuses_every_unchanged_file(tmp_path, embedder):
    from tests.conftest import tiny_settings

    settings = tiny_settings(tmp_path)
    first = ingest(settings, embedder)
    assert first.reused_files == () and first.embedded_chunks == first.chunks
    second = ingest(settings, embedder)
    assert set(second.reused_files) == {f.doc for f in second.files if f.status == "ok"}


def test_a_newline_in_a_file_name_does_not_break_the_ingest_table(tiny_corpus_settings, capsys):
    from rag.cli import main

    corpus = tiny_corpus_settings.paths.corpus
    (corpus / "two\nlines.xlsx").write_bytes(b"PK\x03\x04")
    code = main(["-q", "ingest", "--corpus", str(corpus), "--index", str(tiny_corpus_settings.paths.index)])
    out = capsys.readouterr().out
    assert code == 0
    assert "SKIPPED two\\nlines.xlsx: unsupported file type '.xlsx'" in out
    assert all(not line.startswith("lines.xlsx") for line in out.splitlines())
