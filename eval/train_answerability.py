"""Fit rag/models/answerability.json: the logistic model that decides whether the assistant answers or declines.

Data: SQuAD-Shifts `reddit` and `amazon_reviews` (Miller et al. 2020, CC BY 4.0) from the `bigbench==1.0.0`
sdist on PyPI. `new_wiki` is our external evaluation set and `nyt` / `squaddev` are held-out test data: none
of them is read. For each split, eval/external.py's builder makes a corpus of ~300 paragraphs with questions
whose paragraph is in it (answerable) and questions whose paragraph was left out and whose answer text occurs
nowhere in it (unanswerable: near misses from the same articles, and questions from other articles). The
library's own ingest and `rag eval` run on each with the decision switched off
(`RAG_ANSWERING_MIN_ANSWERABILITY=0`), and the composer's measurements for each question (rag.answerability
.FEATURES, written to items.json) are the model's inputs; the label is whether the answer it would give holds
the gold answer (so an unanswerable question, and an answerable one whose quotes miss, are both negatives).
Each answerable question also gets an unanswerable twin with its year, number or name swapped for one its
paragraph never mentions (SQuAD 2.0 style near misses, see near_misses()).

    curl -sO https://files.pythonhosted.org/packages/95/f8/c019b3579df548a04cac12342cfcb878e50ddf6cfcd7fddba8cfc721c157/bigbench-1.0.0.tar.gz
    .venv/bin/python eval/train_answerability.py --source bigbench-1.0.0.tar.gz

About 8 minutes on 2 cores (embedding the two corpora). The threshold is the probability at which
`--correct-declined` (0.10) of the training questions answered correctly would be declined: the operating point
the product asks for (at most one answerable question in ten declined), chosen on the training data only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

import external  # noqa: E402  (eval/external.py: the SQuAD-Shifts reader and set builder)

from rag import ANSWERABILITY_FEATURES as FEATURES  # noqa: E402
from rag import ANSWERABILITY_MODEL_PATH as MODEL_PATH  # noqa: E402
from rag import AnswerabilityModel, query_terms  # noqa: E402

SPLITS = {"reddit": "rd", "amazon_reviews": "am"}
# The kind of answer asked for ("how many", "when") is a requirement checked apart, so not weighed.
WEIGHED = tuple(f for f in FEATURES if f not in ("kind_missing", "count_missing"))
MEMBER_DIR = "bigbench-1.0.0/bigbench/benchmark_tasks/squad_shifts/"


def articles(source: Path, split: str) -> list[external.Article]:
    """The split's articles; reddit's one 'article' of 2,035 posts becomes one document per post."""
    found = external.articles_of(external.read_source(source, MEMBER_DIR + external.TRAINING[split]))
    if len(found) == 1:
        posts = found[0].paragraphs
        found = [external.Article(f"Post {i:04d}", (external.Paragraph(f"Post {i:04d}", 0, p.context, p.questions),))
                 for i, p in enumerate(posts)]
    return found


_CAPITALISED = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]{3,}\b")


def near_misses(items: list[dict], corpus: list[external.Article], rng: random.Random, limit: int) -> list[dict]:
    """Unanswerable twins of answerable questions, SQuAD 2.0 style: the question's year, number or name swapped
    for one its paragraph never mentions ("... in 1917?" -> "... in 1920?"), so the paragraph that answered it
    is still the closest but no longer answers. Questions from reports rarely miss by topic; they miss by a
    detail (another year, place or meeting), which the left-out paragraphs alone seldom show."""
    paragraphs = {p.context for a in corpus for p in a.paragraphs}
    names = sorted({m.group(0) for text in paragraphs for m in _CAPITALISED.finditer(text)})
    out = []
    for item in items:
        if not item["answerable"] or len(out) >= limit:
            continue
        own = next((p for p in paragraphs if item["evidence"][0]["quote"] in external.one_line(p)), "")
        terms = query_terms(item["question"])
        question = item["question"]
        if terms.years:
            year = terms.years[0]
            shifts = rng.sample([-4, -3, -2, 2, 3, 5], 6)
            new = next(str(int(year) + d) for d in shifts if str(int(year) + d) not in own)
            changed = re.sub(rf"\b{year}\b", new, question, count=1)
        elif terms.numbers:
            number = terms.numbers[0]
            new = next(str(int(number) + d) for d in rng.sample(range(2, 12), 10) if str(int(number) + d) not in own)
            changed = re.sub(rf"\b{re.escape(number)}\b", new, question, count=1)
        elif terms.names:
            found = re.search(rf"\b{re.escape(terms.names[0])}\b", question, re.IGNORECASE)
            pool = [n for n in names if n.lower() not in own.lower() and n.lower() not in question.lower()]
            if found is None or not pool:
                continue
            changed = question[: found.start()] + rng.choice(pool) + question[found.end():]
        else:
            continue
        out.append({**item, "id": f"{item['id']}x", "question": changed, "answerable": False, "answer": "",
                    "answer_aliases": [], "evidence": [], "kind": "unanswerable", "perturbed_from": item["id"]})
    return out


def make_sets(source: Path, work: Path, seed: int, scale: int = 1) -> list[Path]:
    golds = []
    rng = random.Random(seed)
    for split, prefix in SPLITS.items():
        corpus, items = external.build(articles(source, split), seed, paragraphs=300 * scale, answerable=200 * scale,
                                       unanswerable=100 * scale, held_out=50 * scale, prefix=prefix)
        items += near_misses(items, corpus, rng, limit=100 * scale)
        out = work / split
        external.write(out, corpus, items, split=split)
        golds.append(out / "questions.jsonl")
        print(f"{split}: {sum(len(a.paragraphs) for a in corpus)} paragraphs, "
              f"{sum(i['answerable'] for i in items)} answerable + {sum(not i['answerable'] for i in items)} not")
    return golds


def measure(golds: list[Path], work: Path) -> list[dict]:
    """Each question's features and label, from `rag eval` with the decision switched off."""
    out = work / "eval"
    env = {**os.environ, "RAG_ANSWERING_MIN_ANSWERABILITY": "0"}
    command = [str(Path(sys.executable).parent / "rag"), "-q", "eval", "--no-ablations", "--out", str(out)]
    for gold in golds:
        command += ["--gold", str(gold)]
    subprocess.run(command, check=True, env=env, cwd=ROOT)
    rows = []
    for items in sorted(out.glob("*/items.json")):
        for item in json.loads(items.read_text(encoding="utf-8"))[0]["items"]:
            if item.get("answerability"):
                rows.append({"set": items.parent.name, "answerable": item["answerable"], "correct": item["correct"],
                             **item["answerability"]})
    return rows


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    order = np.argsort(scores)
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    pos = labels == 1
    return float((ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum()))


def fit(rows: list[dict], correct_declined: float, c: float) -> tuple[AnswerabilityModel, dict]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    # A question whose quote lacks the kind of answer it asks for is declined whatever the model says.
    rows = [r for r in rows if not (r["kind_missing"] or r["count_missing"])]
    x = np.array([[r[f] for f in WEIGHED] for r in rows], dtype=float)
    y = np.array([int(r["correct"]) for r in rows])
    answerable = np.array([bool(r["answerable"]) for r in rows])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    held = np.zeros(len(y))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(z, y):
        held[test] = LogisticRegression(C=c, max_iter=1000).fit(z[train], y[train]).predict_proba(z[test])[:, 1]
    model = LogisticRegression(C=c, max_iter=1000).fit(z, y)
    p = model.predict_proba(z)[:, 1]
    threshold = float(np.quantile(p[y == 1], correct_declined))
    declined = p < threshold
    figures = {
        "questions": len(y), "answerable": int(answerable.sum()), "answered_correctly": int(y.sum()),
        "auc_5fold": round(auc(held, y), 3), "auc_train": round(auc(p, y), 3),
        "correct_declined_train": round(float(declined[y == 1].mean()), 3),
        "answerable_declined_train": round(float(declined[answerable].mean()), 3),
        "unanswerable_declined_train": round(float(declined[~answerable].mean()), 3),
        "single_feature_auc": {f: round(auc(x[:, i], y), 3) for i, f in enumerate(WEIGHED)},
    }
    result = AnswerabilityModel(WEIGHED, tuple(round(float(v), 6) for v in mean),
                                tuple(round(float(v), 6) for v in scale),
                                tuple(round(float(v), 6) for v in model.coef_[0]),
                                round(float(model.intercept_[0]), 6), round(threshold, 4))
    return result, figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", type=Path, required=True, help="bigbench-1.0.0.tar.gz")
    ap.add_argument("--work", type=Path, help="where the training sets and their eval go (default: a temp folder)")
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--seed", type=int, default=2020)
    ap.add_argument("--scale", type=int, default=1, help="training sets this many times the default size")
    ap.add_argument("--correct-declined", type=float, default=0.10)
    ap.add_argument("--c", type=float, default=1.0, help="inverse L2 strength of the logistic regression")
    ap.add_argument("--rows", type=Path, help="reuse the measured rows (JSON) of an earlier run")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        if args.rows and args.rows.exists():
            rows = json.loads(args.rows.read_text(encoding="utf-8"))
        else:
            rows = measure(make_sets(args.source, work, args.seed, args.scale), work)
            if args.rows:
                args.rows.write_text(json.dumps(rows), encoding="utf-8")
    model, figures = fit(rows, args.correct_declined, args.c)
    payload = {**model.to_json(), "figures": figures,
               "data": "SQuAD-Shifts reddit + amazon_reviews (CC BY 4.0), eval/train_answerability.py"}
    args.out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=1))
    print(f"-> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
