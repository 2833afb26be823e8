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
