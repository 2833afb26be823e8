"""Cold ingest of the bundled corpus, side by side: the working tree against earlier commits, in one run.

    .venv/bin/python eval/bench_ingest.py --against HEAD 73ff992~1 [--rounds 2] [--out eval/out/ingest.json]

Each commit is checked out into a temporary git worktree; every round runs `rag ingest` once per code version,
alternating, each in a fresh process into an empty index folder (model load, reading, chunking, embedding
passages and sentences, writing). Machines here are shared and noisy, so the figures to quote are the medians
and their ratios, measured in the same run. 73ff992~1 is the last commit before sentence vectors joined the build.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _ingest_seconds(source: Path, corpus: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as index:
        env = {**os.environ, "RAG_PATHS_CORPUS": str(corpus), "RAG_PATHS_INDEX": index, "PYTHONPATH": str(source)}
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rag.cli", "-q", "ingest"], cwd=source, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", nargs="+", default=["HEAD"], help="commits to compare the working tree with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "out" / "ingest.json")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-trees-") as trees:
        sources = {"working tree": ROOT}
        for rev in args.against:
            tree = Path(trees) / rev.replace("/", "_").replace("~", "-")
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), rev], check=True)
            sources[rev] = tree
        try:
            seconds: dict[str, list[float]] = {name: [] for name in sources}
            for round_ in range(1, args.rounds + 1):
                for name, source in sources.items():
                    seconds[name].append(_ingest_seconds(source, args.corpus.resolve()))
                    print(f"round {round_}  {name:14s} {seconds[name][-1]:6.1f} s", flush=True)
        finally:
            for rev in args.against:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(sources[rev])],
                               check=False)
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    new = medians["working tree"]
    # A round's versions run back to back, so the ratio within a round is less exposed to a neighbour's load than
    # the ratio of medians; both are reported, with the spread of the per-round ratios.
    per_round = {rev: [w / r for w, r in zip(seconds["working tree"], seconds[rev], strict=True)]
                 for rev in args.against}
    report = {"corpus": str(args.corpus), "rounds": args.rounds, "seconds": seconds, "median_s": medians,
              "ratio_working_tree_to": {rev: new / medians[rev] for rev in args.against},
              "per_round_ratio": per_round,
              "per_round_ratio_median": {rev: statistics.median(r) for rev, r in per_round.items()}}
    print()
    for rev in args.against:
        ratios = per_round[rev]
        print(f"working tree / {rev}: {new:.1f} / {medians[rev]:.1f} s = {new / medians[rev]:.2f}x; per round "
              f"median {statistics.median(ratios):.2f}x (min {min(ratios):.2f}, max {max(ratios):.2f})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
