"""A team on one PostgreSQL: two real `rag serve` processes answer 20 concurrent Gradio clients each with no
errors while a real `rag ingest` switches the build underneath them, and both answer from the new build at
the next question; a kill -9 of an ingest inside its write transaction leaves that build serving."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from gradio_client import Client

from rag import ingest
from rag.settings import load_settings
from rag.store_postgres import PostgresStore
from tests.conftest import TINY_CORPUS

ROOT = Path(__file__).resolve().parent.parent
CLIENTS_PER_SERVER = 20
THINK_S = 1.0  # between one client's questions
QUESTIONS = [
    "Who chaired the Bangkok workshop?",
    "How many government delegates attended the Bangkok workshop?",
    "What did the 2019 Geneva workshop recommend on fair recruitment?",
    "What is the global average cost of sending remittances?",
    "What did participants note about seasonal agricultural workers?",
]
NEW_FACT = ("Report of the 2022 Lisbon meeting on ocean fisheries\n\nI. Opening\n\n"
            "1. The Lisbon meeting on ocean fisheries was chaired by Ms. Teodora Vasquez-Lindqvist, "
            "Minister of the Sea of Portugal.\n")
NEW_QUESTION = "Who chaired the Lisbon meeting on ocean fisheries?"
KILLED_FACT = ("Report of the 2023 Oslo meeting on glacier tourism\n\nI. Opening\n\n"
               "1. The Oslo meeting on glacier tourism was chaired by Mr. Bartholomew Okonkwo-Haugen.\n")
KILLED_QUESTION = "Who chaired the Oslo meeting on glacier tourism?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str], index: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "-q", "serve", "--host", "127.0.0.1", "--port",
                             str(port), "--index", str(index)], cwd=ROOT, env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}/"


def _wait_up(proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"rag serve exited with {proc.returncode}: {log.read_text()[-2000:]}"
        try:
            with urllib.request.urlopen(url + "gradio_api/info", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"rag serve did not answer within {timeout:.0f}s: {log.read_text()[-2000:]}")


def _ingest(env: dict[str, str], index: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "rag.cli", "-q", "ingest", "--index", str(index)], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _open_write_transaction(dsn: str) -> bool:
    """Whether some session of this database holds a transaction that has written (an ingest's build)."""
    database = dsn.rsplit("/", 1)[1]
    with psycopg.connect(dsn, autocommit=True) as conn:
        return bool(conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_xid IS NOT "
                                 "NULL AND pid <> pg_backend_pid()", (database,)).fetchone()[0])


def _answered(record: dict[str, Any], name: str) -> bool:
    return not record.get("abstained", True) and name in record["answer"]


@pytest.mark.slow
def test_two_servers_on_one_database_switch_builds_under_load_and_survive_a_killed_ingest(
        tmp_path, pg_dsn, embedder) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(TINY_CORPUS, corpus)
    env = {**os.environ, "RAG_STORE_BACKEND": "postgres", "RAG_STORE_DSN": pg_dsn, "RAG_PATHS_CORPUS": str(corpus),
           "RAG_CONFIG": str(tmp_path / "no-rag.toml")}
    settings = load_settings(overrides={"paths.corpus": corpus, "paths.index": tmp_path / "ingest",
                                        "store.backend": "postgres", "store.dsn": pg_dsn})
    began = time.monotonic()
    ingest(settings, embedder)
    store = PostgresStore(pg_dsn)
    first = store.live_name()

    servers = [_serve(env, tmp_path / f"serve-{i}", tmp_path / f"serve-{i}.log") for i in range(2)]
    try:
        for i, (proc, url) in enumerate(servers):
            _wait_up(proc, url, tmp_path / f"serve-{i}.log")
        up = time.monotonic()
        # A generous HTTP timeout: on a loaded 2-core machine a request can wait seconds for the event loop.
        urls = [url for _, url in servers for _ in range(CLIENTS_PER_SERVER)]
        with ThreadPoolExecutor(8) as pool:
            clients = list(pool.map(lambda url: Client(url, verbose=False, httpx_kwargs={"timeout": 120}), urls))
        switched = threading.Event()
        start = threading.Barrier(len(clients) + 1)

        def session(n: int) -> tuple[int, list[dict[str, Any]]]:
            """Questions until the new build is live, then the question only the new build answers."""
            client, asked, records = clients[n], 0, []
            start.wait()
            while not switched.is_set() or asked < 2:
                records.append(client.predict(QUESTIONS[(n + asked) % len(QUESTIONS)], api_name="/ask"))
                asked += 1
                switched.wait(THINK_S)  # a user reads the answer: the ingest is not starved of CPU
            records.append(client.predict(NEW_QUESTION, api_name="/ask"))
            return n, records

        with ThreadPoolExecutor(len(clients)) as pool:
            futures = [pool.submit(session, n) for n in range(len(clients))]
            start.wait()
            (corpus / "lisbon-2022-meeting.txt").write_text(NEW_FACT, encoding="utf-8")
            proc = _ingest(env, tmp_path / "ingest")
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err.decode(errors="replace")
            switched.set()
            results = [f.result(timeout=300) for f in futures]

        second = store.live_name()
        assert second not in (None, first)
        during = sum(len(records) - 1 for _, records in results)
        for n, records in results:
            assert all("error" not in r for r in records), (n, [r for r in records if "error" in r][:1])
            assert _answered(records[-1], "Vasquez-Lindqvist"), (n, records[-1])  # switched at the next question
        print(f"\n{len(clients)} clients on 2 servers: {during} answers while the build switched, no errors "
              f"(servers up in {up - began:.0f}s, switch phase {time.monotonic() - up:.0f}s)")

        # kill -9 inside the write transaction: the build it was writing never becomes live
        (corpus / "oslo-2023-meeting.txt").write_text(KILLED_FACT, encoding="utf-8")
        proc = _ingest(env, tmp_path / "ingest")
        deadline = time.monotonic() + 300
        while not _open_write_transaction(pg_dsn):
            assert proc.poll() is None, f"the ingest finished before it could be killed: {proc.stderr.read()}"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert store.live_name() == second
        for client in clients[:3] + clients[-3:]:  # both servers, still on the build before the killed one
            assert _answered(client.predict(NEW_QUESTION, api_name="/ask"), "Vasquez-Lindqvist")
            assert not _answered(client.predict(KILLED_QUESTION, api_name="/ask"), "Okonkwo-Haugen")
        deadline = time.monotonic() + 120
        while _open_write_transaction(pg_dsn) and time.monotonic() < deadline:  # the server rolls it back
            time.sleep(0.1)
        with store.connection() as conn:
            assert conn.execute("SELECT count(*) FROM rag.builds").fetchone()[0] == 2  # live and previous only
            assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'rag_b%'").fetchone()[0] == 2
        ingest(settings, embedder)  # the next ingest takes over cleanly
        assert _answered(clients[0].predict(KILLED_QUESTION, api_name="/ask"), "Okonkwo-Haugen")
        print(f"killed inside its write transaction; the live build served on; test {time.monotonic() - began:.0f}s")
    finally:
        store.close()
        for proc, _ in servers:
            proc.kill()
            proc.wait()
