"""Fit the sentence scorer (rag/models/sentence_scorer.json) on public QA data, and test it on held-out splits.

Data: SQuAD-Shifts (Miller et al. 2020, CC BY 4.0) as shipped in the `bigbench==1.0.0` sdist on PyPI
(`bigbench/benchmark_tasks/squad_shifts/*.json`). The sdist's install needs a git dependency, so read it
straight from the archive:

    curl -sO https://files.pythonhosted.org/packages/95/f8/c019b3579df548a04cac12342cfcb878e50ddf6cfcd7fddba8cfc721c157/bigbench-1.0.0.tar.gz
    .venv/bin/python eval/train_scorer.py --sdist bigbench-1.0.0.tar.gz

Training uses the `reddit`, `amazon_reviews` and `new_wiki` splits; `nyt` and `squaddev` are kept out of
training and of the threshold, and only reported. For each question the candidates are the sentences of
its own paragraph (the one holding the answer span is positive) and of the paragraphs BM25 ranks next
(hard negatives). The answer/decline threshold is the best probability that best separates a candidate set
holding the question's paragraph from one where that paragraph is removed (the corpus lacks the answer).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

sys.path.insert(0, str(Path(__file__).parents[3]))

from rag.scorer import FEATURES, MODEL_PATH, Candidate, SentenceScorer, features, idf_table

from rag.embedding import Embedder
from rag.grounding import sentence_spans
from rag.question import analyse
from rag.settings import EmbeddingSettings
from rag.text import STEMMER as _STEMMER

TRAIN = ("reddit_v1.0", "amazon_reviews_v1.0", "new_wiki_v1.0")
TEST = ("nyt_v1.0", "squaddev_v1.1")
NEGATIVE_PASSAGES = 4  # at run time five passages are read: the right one and four others, or five others


@dataclass
class Paragraph:
    title: str
    text: str
    spans: list[tuple[int, int]]
    questions: list[tuple[str, list[int]]]  # question, answer start offsets


def load_split(archive: tarfile.TarFile, name: str) -> list[Paragraph]:
    member = f"bigbench-1.0.0/bigbench/benchmark_tasks/squad_shifts/{name}.json"
    handle = archive.extractfile(member)
    if handle is None:
        raise SystemExit(f"{member} not found in the archive")
    out = []
    for article in json.load(handle)["data"]:
        title = article.get("title", "").replace("_", " ")
        title = "" if title.startswith("http") else title
        for p in article["paragraphs"]:
            qas = [(q["question"], [a["answer_start"] for a in q["answers"]]) for q in p["qas"] if q.get("answers")]
            out.append(Paragraph(title, p["context"], sentence_spans(p["context"]), qas))
    return out


def build_examples(paragraphs: list[Paragraph], embedder: Embedder, per_paragraph: int, rng: random.Random):
    """Feature rows, labels, and per question the (row range of own paragraph, rows of negatives)."""
    texts = [p.text for p in paragraphs]
    idf = idf_table(texts)
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER, show_progress=False), show_progress=False)
    sentences = [p.text[a:b] for p in paragraphs for a, b in p.spans]
    questions = [(i, q, starts) for i, p in enumerate(paragraphs) for q, starts in rng.sample(
        p.questions, min(per_paragraph, len(p.questions)))]
    began = time.perf_counter()
    s_vec = embedder.encode(sentences)
    p_vec = embedder.encode(texts)
    q_vec = embedder.encode([q for _, q, _ in questions])
    print(f"  embedded {len(sentences)} sentences, {len(texts)} paragraphs, {len(questions)} questions "
          f"in {time.perf_counter() - began:.0f}s", flush=True)
    first_row = np.cumsum([0] + [len(p.spans) for p in paragraphs])
    rows: list[list[float]] = []
    labels: list[int] = []
    groups: list[tuple[list[int], list[int]]] = []  # (own rows, negative rows)
    ids, _ = retriever.retrieve(bm25s.tokenize([q for _, q, _ in questions], stopwords="en", stemmer=_STEMMER,
                                               show_progress=False), k=NEGATIVE_PASSAGES + 1, show_progress=False)
    for qi, (pi, text, starts) in enumerate(questions):
        question = analyse(text)
        ranked = [int(j) for j in ids[qi]]
        negatives = [j for j in ranked if j != pi][:NEGATIVE_PASSAGES]
        # The passages in retrieval order; the question's own paragraph keeps its BM25 rank (last if unranked).
        order = ranked[: NEGATIVE_PASSAGES + 1] if pi in ranked[: NEGATIVE_PASSAGES + 1] else [*negatives, pi]
        own_rows, neg_rows = [], []
        for j in [pi, *negatives]:
            p = paragraphs[j]
            base = first_row[j]
            cos = s_vec[base : base + len(p.spans)] @ q_vec[qi]
            context = " ".join([p.text, p.title]).lower()
            for k, (a, b) in enumerate(p.spans):
                window = p.text[p.spans[max(0, k - 1)][0] : p.spans[min(len(p.spans) - 1, k + 1)][1]]
                neighbour = max([float(cos[m]) for m in (k - 1, k + 1) if 0 <= m < len(p.spans)], default=0.0)
                candidate = Candidate(p.text[a:b], window, context, float(cos[k]), float(p_vec[j] @ q_vec[qi]),
                                      neighbour, k == 0, order.index(j) + 1)
                (own_rows if j == pi else neg_rows).append(len(rows))
                rows.append(features(question, candidate, idf))
                labels.append(int(j == pi and any(a <= s < b for s in starts)))
        groups.append((own_rows, neg_rows))
    return np.asarray(rows, dtype=np.float64), np.asarray(labels), groups


def best_probabilities(p: np.ndarray, groups) -> tuple[np.ndarray, np.ndarray]:
    """Best probability with the question's paragraph among the candidates, and with it removed."""
    with_answer = np.array([p[own + neg].max() for own, neg in groups])
    without = np.array([p[neg].max() if neg else 0.0 for own, neg in groups])
    return with_answer, without


def top1(p: np.ndarray, labels: np.ndarray, groups) -> float:
    """Share of questions whose best-scored candidate is the sentence holding the answer."""
    hits = [labels[own + neg][int(np.argmax(p[own + neg]))] == 1 for own, neg in groups if labels[own].any()]
    return float(np.mean(hits))


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    scores = np.concatenate([positive, negative])
    ranks = scores.argsort().argsort() + 1
    return float((ranks[: len(positive)].sum() - len(positive) * (len(positive) + 1) / 2)
                 / (len(positive) * len(negative)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sdist", type=Path, default=Path("bigbench-1.0.0.tar.gz"))
    parser.add_argument("--paragraphs", type=int, default=250, help="paragraphs sampled per training split")
    parser.add_argument("--test-paragraphs", type=int, default=150, help="paragraphs sampled per test split")
    parser.add_argument("--per-paragraph", type=int, default=3, help="questions per paragraph")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    from sklearn.linear_model import LogisticRegression

    if not args.sdist.is_file():
        raise SystemExit(f"{args.sdist} not found: download it first (see this script's docstring)")
    rng = random.Random(args.seed)
    embedder = Embedder(EmbeddingSettings())
    data = {}
    with tarfile.open(args.sdist) as archive:
        for name in TRAIN + TEST:
            paragraphs = load_split(archive, name)
            count = args.paragraphs if name in TRAIN else args.test_paragraphs
            # Whole neighbourhoods (consecutive paragraphs of one article) keep hard negatives hard.
            begin = rng.randrange(0, max(1, len(paragraphs) - count))
            print(f"{name}: paragraphs {begin}..{begin + count} of {len(paragraphs)}", flush=True)
            data[name] = build_examples(paragraphs[begin : begin + count], embedder, args.per_paragraph, rng)

    x = np.concatenate([data[n][0] for n in TRAIN])
    y = np.concatenate([data[n][1] for n in TRAIN])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=1.0, max_iter=2000).fit((x - mean) / scale, y)
    provisional = SentenceScorer(FEATURES, tuple(mean), tuple(scale), tuple(model.coef_[0]),
                                 float(model.intercept_[0]), 0.5)
    # The decline threshold: the best probability that best separates "the answer's paragraph is among the
    # candidates" from "it is not", on the training splits only.
    with_all, without_all = [], []
    for name in TRAIN:
        w, wo = best_probabilities(provisional.probabilities(data[name][0]), data[name][2])
        with_all.append(w)
        without_all.append(wo)
    w, wo = np.concatenate(with_all), np.concatenate(without_all)
    grid = np.linspace(0.01, 0.99, 99)
    accuracy = [((w >= t).mean() + (wo < t).mean()) / 2 for t in grid]
    threshold = float(grid[int(np.argmax(accuracy))])
    scorer = SentenceScorer(FEATURES, tuple(mean), tuple(scale), tuple(model.coef_[0]), float(model.intercept_[0]),
                            threshold)

    figures: dict[str, dict[str, float]] = {}
    for name in TRAIN + TEST:
        x_, y_, groups = data[name]
        p = scorer.probabilities(x_)
        cos_only = x_[:, FEATURES.index("cos_sentence")]
        w, wo = best_probabilities(p, groups)
        figures[name] = {
            "questions": len(groups),
            "top1_learned": round(top1(p, y_, groups), 3),
            "top1_cosine": round(top1(cos_only, y_, groups), 3),
            "answerable_auc": round(auc(w, wo), 3),
            "answered_when_answerable": round(float((w >= threshold).mean()), 3),
            "declined_when_not": round(float((wo < threshold).mean()), 3),
        }
        print(name, figures[name], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(scorer.to_json({
        "data": "SQuAD-Shifts (CC BY 4.0) from bigbench==1.0.0: trained on " + ", ".join(TRAIN)
                + "; tested on " + ", ".join(TEST),
        "reproduce": "python eval/train_scorer.py --sdist bigbench-1.0.0.tar.gz "
                     f"--paragraphs {args.paragraphs} --test-paragraphs {args.test_paragraphs} "
                     f"--per-paragraph {args.per_paragraph} --seed {args.seed}",
        "figures": figures}) + "\n", encoding="utf-8")
    print("weights:", dict(zip(FEATURES, (round(float(c), 3) for c in model.coef_[0]), strict=True)))
    print(f"threshold {threshold:.2f} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
