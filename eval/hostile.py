"""Hostile corpus run: the tiny corpus plus every generated hostile file, ingested by a real
`rag ingest` process. Prints files tried, refusals by reason, crashes, peak RSS and seconds;
writes eval/out/hostile.json.

    .venv/bin/python eval/hostile.py
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import load_settings, open_store  # noqa: E402 - after the path fix, as a script
from tests.conftest import TINY_CORPUS  # noqa: E402
from tests.hostile_files import HOSTILE_SETTINGS, reason_kind, write_hostile_corpus  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="rag-hostile-") as tmp:
        corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
        shutil.copytree(TINY_CORPUS, corpus)
        expected = write_hostile_corpus(corpus)
        env = {**os.environ, "RAG_PATHS_CORPUS": str(corpus), "RAG_PATHS_INDEX": str(index),
               "RAG_CONFIG": str(Path(tmp) / "none.toml")}
        env.update({"RAG_" + k.replace(".", "_").upper(): str(v) for k, v in HOSTILE_SETTINGS.items()})
        began = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "rag.cli", "-q", "ingest"], env=env, cwd=ROOT,
                              capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - began
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        crashed = proc.returncode != 0 or "Traceback" in proc.stderr
        settings = load_settings(Path(tmp) / "none.toml", {"paths.index": index})
        files = open_store(settings).load().manifest.files if not crashed else ()
    refused = Counter(reason_kind(f.error or "") for f in files if f.status != "ok")
    result = {
        "files_tried": len(files),
        "hostile_files": len(expected),
        "ok": sum(f.status == "ok" for f in files),
        "refused": sum(refused.values()),
        "refused_by_reason": dict(refused.most_common()),
        "crashes": int(crashed),
        "exit_code": proc.returncode,
        "peak_rss_mb": round(peak_mb),
        "seconds": round(seconds, 1),
    }
    print(f"files tried {result['files_tried']} ({result['ok']} indexed, {result['refused']} refused), "
          f"crashes {result['crashes']}, peak RSS {result['peak_rss_mb']} MB, {result['seconds']} s")
    for kind, count in refused.most_common():
        print(f"  {count:>3}  {kind}")
    if crashed:
        print(proc.stderr[-3000:], file=sys.stderr)
    out = ROOT / "eval" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "hostile.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
