"""One writer at a time, everything on disk before the switch, and every kind of damage refused with
the fix while the next ingest rebuilds."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rag import ingest
from rag.errors import IndexBusyError, IndexNotFoundError, StoreError
from rag.store_faiss import LOCK_FILE, current_build, index_lock, load_index

ROOT = Path(__file__).resolve().parent.parent
HOLD_LOCK = """
import sys, time
from pathlib import Path
from rag.store_faiss import index_lock
with index_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(120)
"""


# (a) The lock -------------------------------------------------------------------------------------

def test_a_second_ingest_into_the_same_index_is_refused_while_the_first_runs(tiny_corpus_settings, embedder):
    root = tiny_corpus_settings.paths.index
    ingest(tiny_corpus_settings, embedder)
    live = current_build(root)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(root)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexBusyError, match=rf"another 'rag ingest' \(process {holder.pid}\).*wait for it"):
            ingest(tiny_corpus_settings, embedder)
        assert current_build(root) == live and load_index(root).chunks
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # dies holding the lock: the kernel drops it
        holder.wait()
    assert (root / LOCK_FILE).exists()  # a stale lock file ...
    ingest(tiny_corpus_settings, embedder)  # ... never blocks the next run
    assert current_build(root) != live


def test_the_lock_is_refused_to_a_second_holder_and_released_on_exit(tmp_path):
    with index_lock(tmp_path), pytest.raises(IndexBusyError, match=rf"process {os.getpid()}"), \
            index_lock(tmp_path):
        pass
    with index_lock(tmp_path):  # released: taken again at once
        pass


def test_the_cli_refuses_a_busy_index_in_one_line(tiny_corpus_settings, capsys):
    from rag.cli import main

    root = tiny_corpus_settings.paths.index
    with index_lock(root):
        code = main(["-q", "ingest", "--corpus", str(tiny_corpus_settings.paths.corpus), "--index", str(root)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("rag: error: another 'rag ingest'") and "\n" not in err


# (b) fsync before the switch ----------------------------------------------------------------------

def test_build_files_and_folders_are_fsynced_before_current_switches(tiny_corpus_settings, embedder, monkeypatch):
    synced: set[int] = set()
    real_fsync, real_replace = os.fsync, os.replace
    at_switch: set[int] = set()

    def fsync(fd):
        synced.add(os.fstat(fd).st_ino)
        return real_fsync(fd)

    def replace(src, dst):
        if Path(dst).name == "CURRENT":
            at_switch.update(synced)
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    ingest(tiny_corpus_settings, embedder)
    root = tiny_corpus_settings.paths.index
    build = current_build(root)
    needed = {p.stat().st_ino for p in [build, build.parent, *build.rglob("*")]}
    assert needed <= at_switch
    assert root.stat().st_ino in synced  # and the switch itself


# (d) Damage -------------------------------------------------------------------------------------

def _flip(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0x55
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def _edit_manifest(root: Path, **changes) -> None:
    path = current_build(root) / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


def _unchecked_chunk_edit(root: Path) -> None:
    _edit_manifest(root, checksums={})  # no checksums to catch it: the verbatim check must
    path = current_build(root) / "chunks.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["text"] = record["text"][::-1]  # the same bytes in another order: the offset table still fits
    path.write_text("\n".join([json.dumps(record, ensure_ascii=False), *lines[1:]]) + "\n", encoding="utf-8")


def _unchecked_sentence_edit(root: Path) -> None:
    import numpy as np

    _edit_manifest(root, checksums={})  # no checksums to catch it: the bounds check must
    path = current_build(root) / "sentence_spans.npy"
    flat = np.load(path)
    flat[-1] = 10**9  # the last sentence now ends far beyond its passage
    np.save(path, flat)


def _on(name: str, damage):
    return lambda root: damage(current_build(root) / name)


DAMAGE = {
    "flipped byte in vectors.faiss": (_on("vectors.faiss", _flip), r"vectors\.faiss is damaged"),
    "flipped byte in chunks.jsonl": (_on("chunks.jsonl", _flip), r"chunks\.jsonl is damaged"),
    "truncated chunks.jsonl": (_on("chunks.jsonl", _truncate), r"chunks\.jsonl is damaged"),
    "truncated documents.jsonl": (_on("documents.jsonl", _truncate), r"documents\.jsonl is damaged"),
    "missing chunks.jsonl": (_on("chunks.jsonl", Path.unlink), r"chunks\.jsonl is missing"),
    "missing manifest": (_on("manifest.json", Path.unlink), r"manifest\.json is missing"),
    "manifest not JSON": (_on("manifest.json", _truncate), "damaged manifest"),
    "missing CURRENT": (lambda r: (r / "CURRENT").unlink(), "no index"),
    "empty CURRENT": (lambda r: (r / "CURRENT").write_text(""), "no index"),
    "CURRENT not text": (lambda r: (r / "CURRENT").write_bytes(b"\xff\xfe\x00garbage"), "CURRENT cannot be read"),
    "CURRENT names a missing build": (lambda r: (r / "CURRENT").write_text("gone\n"), "names missing build gone"),
    "CURRENT names a path outside builds": (lambda r: (r / "CURRENT").write_text("../..\n"), "not a build"),
    "changed dimension": (lambda r: _edit_manifest(r, dimension=512), "512-d vectors"),
    "chunk edited without checksums": (_unchecked_chunk_edit, "not verbatim"),
    "flipped byte in sentence_vectors.npy": (_on("sentence_vectors.npy", _flip), r"sentence_vectors\.npy is damaged"),
    "missing sentence_spans.npy": (_on("sentence_spans.npy", Path.unlink), r"sentence_spans\.npy is missing"),
    "sentence table edited without checksums": (_unchecked_sentence_edit, "sentence rows lie outside"),
    "flipped byte in the BM25 scores": (_on("bm25/data.csc.index.npy", _flip), r"bm25/data\.csc\.index\.npy is dam"),
    "missing BM25 vocabulary": (_on("bm25/vocab.index.json", Path.unlink), r"bm25/vocab\.index\.json is missing"),
}


@pytest.fixture(scope="module")
def built_index(tmp_path_factory, embedder) -> Path:
    from tests.conftest import tiny_settings

    settings = tiny_settings(tmp_path_factory.mktemp("built"))
    ingest(settings, embedder)
    return settings.paths.index


@pytest.mark.parametrize("case", DAMAGE)
def test_a_damaged_index_is_refused_with_the_fix_and_the_next_ingest_rebuilds_it(
        case, built_index, tiny_corpus_settings, embedder):
    root = tiny_corpus_settings.paths.index
    shutil.copytree(built_index, root)
    expected = [c.text for c in load_index(root).chunks]
    damage, message = DAMAGE[case]
    damage(root)
    with pytest.raises(StoreError, match=message) as refused:
        load_index(root, expect_dimension=384)
    assert "rag ingest" in str(refused.value)
    if case.startswith(("missing CURRENT", "empty CURRENT")):
        assert isinstance(refused.value, IndexNotFoundError)
    ingest(tiny_corpus_settings, embedder)
    assert [c.text for c in load_index(root).chunks] == expected
