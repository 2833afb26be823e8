"""The `rag` command's contract, run as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SEARCH_FIELDS = {"rank", "score", "chunk_id", "doc", "title", "section", "paragraph", "page", "text"}
CITATION_FIELDS = {"n", "chunk_id", "doc", "title", "section", "paragraph", "page", "quote", "start", "end"}


def rag(*args: str, env_index=None, check=True):
    env = dict(os.environ)
    if env_index:
        env["RAG_PATHS_INDEX"] = str(env_index)
    proc = subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(proc.stderr)
    return proc


@pytest.fixture(scope="module")
def index_dir(tiny_assistant):
    return tiny_assistant.settings.paths.index


def test_search_json_lists_ranked_passages_with_their_locators(index_dir):
    out = json.loads(rag("search", "recruitment fees", "--json", "-k", "3", "--index", str(index_dir)).stdout)
    assert [p["rank"] for p in out] == [1, 2, 3]
    assert set(out[0]) >= SEARCH_FIELDS
    assert out[0]["doc"] == "geneva-2019-workshop.md"
    assert "abolish all recruitment fees" in out[0]["text"]


def test_ask_batch_answers_each_line_in_order(index_dir, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text("\n".join(json.dumps(x) for x in [
        {"id": "a", "question": "Who chaired the Bangkok workshop?"},
        {"id": 7, "question": "What is the boiling point of liquid nitrogen?"},
        {"id": "c", "question": "   "},
    ]), encoding="utf-8")
    proc = rag("ask", "--batch", str(batch), "--json", "--index", str(index_dir), check=False)
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 1, proc.stderr  # the blank question failed
    assert [r["id"] for r in records] == ["a", 7, "c"]
    assert not records[0]["abstained"]
    assert set(records[0]["citations"][0]) >= CITATION_FIELDS
    assert {"rewrite", "retrieve", "compose", "total"} <= set(records[0]["timings_ms"])
    assert records[1]["abstained"]
    assert records[1]["reason"]
    assert records[1]["passages"]
    assert "empty" in records[2]["error"]


def test_ask_batch_reports_each_broken_line_and_answers_the_rest(index_dir, tmp_path):
    batch = tmp_path / "q.jsonl"
    good = json.dumps({"id": "ok", "question": "Who chaired the Bangkok workshop?"})
    broken = ['{"id": 1, "question": 42}', '{"id": 2, "question": "\\ud800"}', "[" * 100_000,
              '{"id": 3, "question": "Who?"', '["a list"]']
    # A UTF-8 byte-order mark (as Notepad writes) must not cost line 1.
    batch.write_bytes(b"\xef\xbb\xbf" + "\n".join([good, *broken, "", good]).encode())
    proc = rag("ask", "--batch", str(batch), "--index", str(index_dir), check=False)
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert [r.get("line") for r in records] == [None, 2, 3, 4, 5, 6, None]
    assert [r["id"] for r in records] == ["ok", 1, 2, None, None, None, "ok"]
    assert not records[0]["abstained"]
    assert not records[-1]["abstained"]
    assert all(r["error"] for r in records[1:-1])


def test_ask_batch_reads_a_utf16_file_and_exits_0_when_every_line_is_answered(index_dir, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text(json.dumps({"id": 1, "question": "Who chaired the Bangkok workshop?"}, ensure_ascii=False)
                     + "\r\n" + json.dumps({"id": 2, "question": "What was the boiling point of nitrogen?"})
                     + "\r\n", encoding="utf-16")
    proc = rag("ask", "--batch", str(batch), "--index", str(index_dir), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(r["id"], r["abstained"]) for r in records] == [(1, False), (2, True)]


@pytest.mark.parametrize("k", ["-1", "0", "101", "five"])
@pytest.mark.parametrize("command", ["search", "ask"])
def test_k_outside_1_to_100_is_rejected_naming_the_range(command, k):
    proc = rag(command, "fair recruitment", "-k", k, check=False)
    assert proc.returncode == 2
    assert "argument -k" in proc.stderr
    assert "1 to 100" in proc.stderr


def test_a_year_filter_matching_no_report_says_so_and_lists_the_years(index_dir):
    proc = rag("search", "fair recruitment", "--year", "1999", "--index", str(index_dir), check=False)
    assert proc.returncode == 2
    assert "year filter 1999" in proc.stderr
    assert "2016, 2019, 2021" in proc.stderr
    assert "no passage" not in proc.stderr


def test_errors_are_one_line_on_stderr_with_a_non_zero_exit(tmp_path):
    proc = rag("search", "anything", "--index", str(tmp_path / "missing"), check=False)
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0
    assert "rag ingest" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_settings_command_prints_every_setting_with_its_variable():
    out = rag("settings").stdout
    assert "retrieval.k" in out
    assert "RAG_RETRIEVAL_K" in out


@pytest.mark.slow
def test_serve_builds_a_missing_index_then_answers_through_the_web_api(tmp_path):
    import shutil
    import socket
    import time
    import urllib.request
    from pathlib import Path

    from gradio_client import Client

    corpus = tmp_path / "corpus"
    shutil.copytree(Path(__file__).parent / "data" / "tiny_corpus", corpus)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve", "--index", str(tmp_path / "index"), "--corpus", str(corpus),
         "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert server.poll() is None, server.stdout.read()
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "rag serve did not come up in 240 s"
                time.sleep(1)
        assert (tmp_path / "index" / "CURRENT").exists()
        answer = Client(url, verbose=False).predict("Who chaired the Bangkok workshop?", api_name="/ask")
        assert not answer["abstained"] and "Ingrid Halvorsen" in answer["answer"]
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "No index in" in output and f"Serving on {url.rstrip('/')}" in output
