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
    lines = rag("ask", "--batch", str(batch), "--json", "--index", str(index_dir)).stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records] == ["a", 7, "c"]
    assert not records[0]["abstained"]
    assert set(records[0]["citations"][0]) >= CITATION_FIELDS
    assert {"rewrite", "retrieve", "compose", "total"} <= set(records[0]["timings_ms"])
    assert records[1]["abstained"]
    assert records[1]["reason"]
    assert records[1]["passages"]
    assert "empty" in records[2]["error"]


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
