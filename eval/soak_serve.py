"""Soak benchmark of `rag serve`: many concurrent sessions for thousands of questions, server RSS sampled.

    .venv/bin/python eval/soak_serve.py [--questions 2000] [--clients 50] [--seconds 900]
        [--session-turns 6] [--sample-every 100] [--env MALLOC_ARENA_MAX=2] [--out eval/out/soak.json]

Starts the real server (`python -m rag.cli serve`, the code `rag serve` runs) on a free loopback port, drives
its /ask API with `gradio_client` from --clients threads, each a user holding a conversation of
--session-turns questions (every third a follow-up that only its own history can rewrite) before starting a
new session. Questions come from the gold file, each tagged uniquely so no cache can absorb them. Every
answer is checked to belong to its own question and session history (cross-session leakage). Prints and
writes JSON: RSS at start, after warm-up, end and max, per-interval figures, errors and leaks.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from gradio_client import Client

from rag import clean_question, load_gold, rewrite_followup

ROOT = Path(__file__).resolve().parent.parent
TOPICS = ("health insurance", "return", "remittance costs", "recruitment fees", "diaspora bonds",
          "labour mobility", "climate change", "skills recognition", "data collection", "irregular migration")
ANSWER_TIMEOUT_S = 120.0
CONNECT_TIMEOUT_S = 60.0


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB (psutil when installed, else /proc)."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        return psutil.Process(pid).memory_info().rss / 2**20
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tag(n: int) -> str:
    """A unique all-letter tag (digits could read as years or paragraph numbers to the retriever)."""
    letters = string.ascii_lowercase
    out = ""
    n += 26 * 26  # at least three letters
    while n:
        n, r = divmod(n, 26)
        out = letters[r] + out
    return out


def start_server(port: int, extra_env: dict[str, str], index: Path | None, corpus: Path | None,
                 log_path: Path, timeout: float = 240.0) -> subprocess.Popen[bytes]:
    """`rag serve` in a child process; returns once the app answers HTTP."""
    cmd = [sys.executable, "-m", "rag.cli", "-q", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if index:
        cmd += ["--index", str(index)]
    if corpus:
        cmd += ["--corpus", str(corpus)]
    log = log_path.open("wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **extra_env}, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/gradio_api/info", timeout=2) as resp:
                if resp.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"the server did not answer within {timeout:.0f}s; see {log_path}")


class Soak:
    """Shared counters of one run: which question is next, what came back, RSS samples."""

    def __init__(self, questions: list[str], total: int, deadline: float, pid: int, sample_every: int) -> None:
        self.questions = questions
        self.total = total
        self.deadline = deadline
        self.pid = pid
        self.sample_every = sample_every
        self.lock = threading.Lock()
        self.issued = 0
        self.done = 0
        self.errors = 0
        self.leaks = 0
        self.error_samples: list[str] = []
        self.leak_samples: list[dict[str, Any]] = []
        self.began = time.perf_counter()
        self.samples: list[dict[str, float]] = [self._sample()]

    def _sample(self) -> dict[str, float]:
        return {"requests": self.done, "seconds": round(time.perf_counter() - self.began, 2),
                "rss_mb": round(rss_mb(self.pid), 1)}

    def take(self) -> int | None:
        """The next request number, or None when the run is over (count or time)."""
        with self.lock:
            if self.issued >= self.total or time.monotonic() > self.deadline:
                return None
            self.issued += 1
            return self.issued - 1

    def failed_to_connect(self, exc: Exception) -> None:
        with self.lock:
            self.errors += 1
            self.error_samples.append(f"connect: {exc!r}")

    def finish(self, error: str | None = None, leak: dict[str, Any] | None = None) -> None:
        with self.lock:
            self.done += 1
            if error is not None:
                self.errors += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(error)
            if leak is not None:
                self.leaks += 1
                if len(self.leak_samples) < 10:
                    self.leak_samples.append(leak)
            if self.done % self.sample_every == 0:
                self.samples.append(self._sample())


def session_worker(url: str, soak: Soak, session_turns: int) -> None:
    """One client: conversations of `session_turns` questions, each in a fresh server session."""
    try:  # a generous timeout: fifty clients connecting to a busy server at once is part of the load
        client = Client(url, verbose=False, httpx_kwargs={"timeout": CONNECT_TIMEOUT_S})
    except Exception as exc:  # a client that cannot connect is an error, though it asked nothing
        soak.failed_to_connect(exc)
        return
    history: list[str] = []
    turn = 0
    try:
        while (n := soak.take()) is not None:
            if session_turns and turn == session_turns:
                client.reset_session()  # a new user: the old session is left to the server to forget
                history, turn = [], 0
            if turn % 3 == 2:
                question = f"and what about {TOPICS[n % len(TOPICS)]} {_tag(n)}?"
            else:
                question = f"Ref {_tag(n)}: {soak.questions[n % len(soak.questions)]}"
            turn += 1
            try:
                record = client.submit(question, api_name="/ask").result(timeout=ANSWER_TIMEOUT_S)
            except (FutureTimeout, Exception) as exc:  # any failure of the server or transport is the datum
                soak.finish(error=f"{question!r}: {exc!r}")
                continue
            if not isinstance(record, dict) or "error" in record:
                soak.finish(error=f"{question!r}: {record!r}"[:300])
                continue
            asked = clean_question(question, 10_000)
            expected = rewrite_followup(asked, history)
            if record.get("question") != asked or record.get("query") != expected:
                soak.finish(leak={"asked": asked, "expected_query": expected,
                                  "got_question": record.get("question"), "got_query": record.get("query")})
            else:
                soak.finish()
            history.append(record["query"])
    finally:
        client.close()


def summarise(soak: Soak, warmup: int, config: dict[str, Any], settle_rss: float) -> dict[str, Any]:
    samples = soak.samples
    warm = next((s for s in samples if s["requests"] >= warmup), samples[-1])
    end = samples[-1]
    after = [s for s in samples if s["requests"] >= warm["requests"]]
    # Growth after warm-up from the median of the first and of the last quarter of those samples: one reading
    # swings by a few percent as requests come and go, a trend does not.
    window = max(1, len(after) // 4)
    first = statistics.median(s["rss_mb"] for s in after[:window])
    last = statistics.median(s["rss_mb"] for s in after[-window:])
    slope = 0.0
    if len(after) >= 2 and after[-1]["requests"] > after[0]["requests"]:
        xs = [s["requests"] for s in after]
        ys = [s["rss_mb"] for s in after]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    intervals = [{"requests": f"{a['requests']}-{b['requests']}", "delta_mb": round(b["rss_mb"] - a["rss_mb"], 1),
                  "req_per_s": round((b["requests"] - a["requests"]) / max(1e-9, b["seconds"] - a["seconds"]), 1)}
                 for a, b in itertools.pairwise(samples)]
    seconds = end["seconds"]
    return {
        "config": config,
        "requests": soak.done,
        "errors": soak.errors,
        "leaks": soak.leaks,
        "seconds": seconds,
        "req_per_s": round(soak.done / max(seconds, 1e-9), 1),
        "rss_mb": {"start": samples[0]["rss_mb"], "after_warmup": warm["rss_mb"], "warmup_requests": warm["requests"],
                   "end": end["rss_mb"], "max": max(s["rss_mb"] for s in samples), "after_settle": settle_rss},
        "growth_after_warmup_pct": round(100 * (last - first) / first, 1),
        "end_vs_warmup_pct": round(100 * (end["rss_mb"] - warm["rss_mb"]) / warm["rss_mb"], 1),
        "slope_mb_per_1000_requests": round(slope * 1000, 1),
        "samples": samples,
        "intervals": intervals,
        "error_samples": soak.error_samples,
        "leak_samples": soak.leak_samples,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    questions = [g.question for g in load_gold(args.gold)]
    extra_env = dict(kv.split("=", 1) for kv in args.env)
    log_path = Path(tempfile.mkdtemp(prefix="rag-soak-")) / "serve.log"
    began = time.perf_counter()
    if args.url:  # a server someone else started (e.g. under tracemalloc): sample its --pid
        proc, url, pid = None, args.url, args.pid
    else:
        port = _free_port()
        proc = start_server(port, extra_env, args.index, args.corpus, log_path)
        url, pid = f"http://127.0.0.1:{port}/", proc.pid
    startup = time.perf_counter() - began
    try:
        soak = Soak(questions, args.questions, time.monotonic() + args.seconds, pid, args.sample_every)
        threads = [threading.Thread(target=session_worker, args=(url, soak, args.session_turns), daemon=True)
                   for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if soak.samples[-1]["requests"] != soak.done:
            soak.samples.append(soak._sample())
        time.sleep(args.settle)
        settle_rss = round(rss_mb(pid), 1)
        if proc is not None and proc.poll() is not None:
            soak.errors += 1
            soak.error_samples.append(f"the server died with {proc.returncode}; see {log_path}")
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    config = {"questions": args.questions, "clients": args.clients, "session_turns": args.session_turns,
              "seconds_limit": args.seconds, "sample_every": args.sample_every, "env": extra_env,
              "gold": str(args.gold), "index": str(args.index or "default"), "startup_s": round(startup, 1),
              "server_log": str(log_path)}
    return summarise(soak, args.warmup if args.warmup is not None else args.questions // 10, config, settle_rss)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--questions", type=int, default=2000, help="questions to ask in all (default 2000)")
    ap.add_argument("--clients", type=int, default=50, help="concurrent client threads (default 50)")
    ap.add_argument("--seconds", type=float, default=900, help="stop asking after this long (default 900)")
    ap.add_argument("--session-turns", type=int, default=6, help="questions per session, 0 = one session per client")
    ap.add_argument("--sample-every", type=int, default=100, help="sample RSS every N answers (default 100)")
    ap.add_argument("--warmup", type=int, help="answers before the baseline RSS (default 10%% of --questions)")
    ap.add_argument("--settle", type=float, default=3.0, help="idle seconds before the last RSS reading")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="extra server environment")
    ap.add_argument("--gold", type=Path, default=ROOT / "eval" / "gold.jsonl")
    ap.add_argument("--index", type=Path, help="index folder (default: the configured one)")
    ap.add_argument("--corpus", type=Path, help="corpus folder (default: the configured one)")
    ap.add_argument("--url", help="drive this running server instead of starting one (needs --pid)")
    ap.add_argument("--pid", type=int, help="the process id of the --url server, for RSS")
    ap.add_argument("--out", type=Path, default=ROOT / "eval" / "out" / "soak.json")
    args = ap.parse_args(argv)
    if bool(args.url) != bool(args.pid):
        ap.error("--url and --pid go together")
    result = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    rss = result["rss_mb"]
    for s in result["samples"]:
        print(f"  {s['requests']:>6} answers  {s['seconds']:>7.1f}s  {s['rss_mb']:>8.1f} MB")
    print(f"{result['requests']} answers in {result['seconds']:.0f}s ({result['req_per_s']}/s) from "
          f"{args.clients} clients; errors {result['errors']}, cross-session leaks {result['leaks']}")
    print(f"server RSS MB: start {rss['start']}, after warm-up ({rss['warmup_requests']}) {rss['after_warmup']}, "
          f"end {rss['end']}, max {rss['max']}, after settle {rss['after_settle']}; "
          f"growth after warm-up {result['growth_after_warmup_pct']}% (first to last quarter, medians), "
          f"{result['slope_mb_per_1000_requests']} MB per 1000 answers -> {args.out}")
    return 0 if result["errors"] == 0 and result["leaks"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
