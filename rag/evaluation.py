"""Offline evaluation against gold Q&A pairs: retrieval, citations, answers, abstention, latency.

No LLM judge: relevance is gold evidence text found in a passage; correctness is the gold answer
(or every required element) found in the answer text.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import statistics
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from .errors import RagError, SettingsError
from .settings import RetrievalSettings
from .types import Answer

HEADLINE = ("hit@5", "mrr", "citation_precision", "answer_correct", "abstention_accuracy", "verbatim_rate")
ABLATIONS: dict[str, dict[str, bool]] = {
    "bm25": {"bm25": True, "dense": False, "rerank": False},
    "dense": {"bm25": False, "dense": True, "rerank": False},
    "hybrid": {"bm25": True, "dense": True, "rerank": False},
    "hybrid+rerank": {"bm25": True, "dense": True, "rerank": True},
}


@dataclass(frozen=True, slots=True)
class Evidence:
    doc: str
    quote: str


@dataclass(frozen=True, slots=True)
class GoldItem:
    id: str
    question: str
    answerable: bool
    answer: str
    aliases: tuple[str, ...]
    required: tuple[tuple[str, ...], ...]
    evidence: tuple[Evidence, ...]
    multi_hop: bool
    kind: str


def seed_names(corpus: Path, seeds: Path) -> dict[str, str]:
    """Seed file name -> corpus file name, for files with identical bytes (the devset names seed files)."""
    if not seeds.is_dir() or not corpus.is_dir():
        return {}
    by_hash = {hashlib.sha256(f.read_bytes()).hexdigest(): f.name for f in corpus.iterdir() if f.is_file()}
    return {f.name: by_hash[h] for f in seeds.iterdir()
            if f.is_file() and (h := hashlib.sha256(f.read_bytes()).hexdigest()) in by_hash}


def load_gold(path: Path, names: dict[str, str] | None = None) -> list[GoldItem]:
    """Gold items; evidence may name its file as `doc` (a corpus file) or `file` (a seed file, mapped
    through `names`), as the independent devset does."""
    names = names or {}
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SettingsError(f"cannot read gold file {path}: {exc.strerror}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            items.append(GoldItem(
                id=str(d["id"]), question=d["question"], answerable=bool(d["answerable"]),
                answer=d.get("answer") or "", aliases=tuple(d.get("answer_aliases") or ()),
                required=tuple(tuple(alts) for alts in d.get("required") or ()),
                evidence=tuple(Evidence(e["doc"] if "doc" in e else names.get(e["file"], e["file"]), e["quote"])
                               for e in d.get("evidence") or ()),
                multi_hop=bool(d.get("multi_hop")), kind=d.get("kind", ""),
            ))
        except (ValueError, KeyError, TypeError) as exc:
            raise SettingsError(f"{path}:{number}: not a valid gold item ({exc})") from None
    return items


def own_corpus(gold: Path) -> Path | None:
    """The `corpus/` folder beside a gold file, if any: such a set is scored against an index of that
    folder (an external set with its own documents), not against the assistant's index."""
    folder = gold.parent / "corpus"
    return folder if folder.is_dir() else None


def set_name(gold: Path) -> str:
    """A gold set's name for its output folder: `eval-gold`, `devset-questions`, and for a set with its own
    corpus the two folders above it (`eval/external/newwiki/questions.jsonl` -> `external-newwiki`)."""
    folder = gold.resolve().parent
    return f"{folder.parent.name}-{folder.name}" if own_corpus(gold) else f"{folder.name}-{gold.stem}"


_SUPERSCRIPTS = dict.fromkeys(map(ord, "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾"))


def evidence_in(evidence: Evidence, doc: str, text: str) -> bool:
    """Gold evidence is in a passage if most of the quote's words appear there in order.

    Compared as word tokens: the devset copies quotes from the raw files, with Markdown marks (`**`, `#`,
    `[..](#)`) and superscript footnote markers that the clean text drops.
    """
    if evidence.doc != doc:
        return False
    quote, passage = _tokens(evidence.quote.translate(_SUPERSCRIPTS)), _tokens(text)
    if quote in passage:
        return True
    match = SequenceMatcher(None, quote, passage, autojunk=False).find_longest_match(0, len(quote), 0, len(passage))
    return match.size >= 0.6 * len(quote)


def _tokens(text: str) -> str:
    """The devset's grading form: NFKC, lower case, [a-z0-9]+ tokens, joined so that a contiguous token
    subsequence is a substring between spaces."""
    return " " + " ".join(re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKC", text).lower())) + " "


def answer_correct(item: GoldItem, answer_text: str) -> bool:
    """The gold answer or an alias, or every required element, as a token sequence of the answer."""
    text = _tokens(answer_text)

    def found(gold: str) -> bool:
        wanted = _tokens(gold)
        return wanted.strip() != "" and wanted in text

    if item.required:
        return all(any(found(alt) for alt in alts) for alts in item.required)
    return any(found(a) for a in (item.answer, *item.aliases) if a)


@dataclass(frozen=True, slots=True)
class ItemResult:
    id: str
    question: str
    answerable: bool
    abstained: bool
    correct: bool
    first_relevant_rank: int | None
    relevant_ranks: tuple[int, ...]
    citations: int
    citations_supported: int
    citations_verbatim: int
    evidence_cited: int
    evidence_total: int
    timings_ms: dict[str, float]
    answer: str
    retrieved: tuple[str, ...]
    expected: tuple[str, ...]
    error: str | None = None
    short: str | None = None  # the short answer span, when one was given
    short_correct: bool = False
    # The answerability probability and the measurements it weighed (what eval/train_answerability.py reads).
    answerability: dict[str, float] | None = None


def score_item(item: GoldItem, answer: Answer, documents: Mapping[str, Any]) -> ItemResult:
    ranks = tuple(
        h.rank for h in answer.passages if any(evidence_in(e, h.chunk.doc, h.chunk.text) for e in item.evidence)
    )
    supported = verbatim = 0
    for c in answer.citations:
        doc = documents.get(c.quote.doc)
        verbatim += bool(doc is not None and doc.text[c.quote.start : c.quote.end] == c.quote.text)
        holds_answer = item.answerable and answer_correct(item, c.quote.text)
        supported += bool(holds_answer or any(evidence_in(e, c.chunk.doc, c.chunk.text) for e in item.evidence))
    cited = sum(any(evidence_in(e, c.chunk.doc, c.chunk.text) for c in answer.citations) for e in item.evidence)
    return ItemResult(
        id=item.id, question=item.question, answerable=item.answerable, abstained=answer.abstained,
        correct=item.answerable and not answer.abstained and answer_correct(item, answer.text),
        first_relevant_rank=min(ranks) if ranks else None, relevant_ranks=ranks,
        citations=len(answer.citations), citations_supported=supported, citations_verbatim=verbatim,
        evidence_cited=cited, evidence_total=len(item.evidence), timings_ms=dict(answer.timings_ms),
        answer=answer.text,
        retrieved=tuple(f"{h.rank}. {h.chunk.doc} ¶{h.chunk.paragraph or '-'}: {h.chunk.text[:120]}"
                        for h in answer.passages[:5]),
        expected=tuple(f"{e.doc}: {e.quote}" for e in item.evidence),
        short=answer.short.text if answer.short else None,
        short_correct=bool(answer.short and item.answerable and answer_correct(item, answer.short.text)),
        answerability=(None if answer.answerability is None
                       else {"probability": answer.answerability.probability, **dict(answer.answerability.features)}),
    )


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


_QUOTED = re.compile(r"“(.*?)”", re.DOTALL)


def summarise(results: list[ItemResult]) -> dict[str, float]:
    answerable = [r for r in results if r.answerable and r.evidence_total]
    unanswerable = [r for r in results if not r.answerable]
    m: dict[str, float] = {}
    for k in (1, 3, 5, 10):
        m[f"hit@{k}"] = _mean(r.first_relevant_rank is not None and r.first_relevant_rank <= k for r in answerable)
    m["mrr"] = _mean(1 / r.first_relevant_rank if r.first_relevant_rank else 0.0 for r in answerable)
    ndcg = []
    for r in answerable:
        dcg = sum(1 / math.log2(rank + 1) for rank in r.relevant_ranks if rank <= 10)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(10, max(r.evidence_total, len(r.relevant_ranks)))))
        ndcg.append(dcg / ideal if ideal else 0.0)
    m["ndcg@10"] = _mean(ndcg)
    all_citations = sum(r.citations for r in results)
    m["citation_precision"] = sum(r.citations_supported for r in results if r.answerable) / max(
        1, sum(r.citations for r in results if r.answerable))
    m["citation_recall"] = _mean(r.evidence_cited / r.evidence_total for r in answerable)
    m["verbatim_rate"] = sum(r.citations_verbatim for r in results) / all_citations if all_citations else 1.0
    answered = [r for r in results if not r.abstained]
    correct = sum(r.correct for r in results)
    m["answer_correct"] = _mean(r.correct for r in results if r.answerable)
    m["unanswerable_declined"] = _mean(r.abstained for r in unanswerable)
    m["answerable_declined"] = _mean(r.abstained for r in results if r.answerable)
    m["abstention_precision"] = correct / len(answered) if answered else 0.0
    m["abstention_accuracy"] = (correct + sum(r.abstained for r in unanswerable)) / len(results) if results else 0.0
    # Short spans: how often a correct answer gets one, and how often a given span holds the gold answer.
    m["short_answer_rate"] = _mean(r.short is not None for r in results if r.correct)
    m["short_answer_correct"] = _mean(r.short_correct for r in results if r.short is not None and r.answerable)
    # Length of what a reader reads for an answer given to an answerable question: the whole text, and its quotes.
    given = [r.answer for r in results if r.answerable and not r.abstained]
    m["answer_words_p50"] = statistics.median(len(a.split()) for a in given) if given else 0.0
    m["quoted_words_p50"] = statistics.median(
        sum(len(q.split()) for q in _QUOTED.findall(a)) for a in given) if given else 0.0
    stages = sorted({s for r in results for s in r.timings_ms})
    for stage in stages:
        values = [r.timings_ms[stage] for r in results if stage in r.timings_ms]
        m[f"latency_{stage}_p50_ms"] = statistics.median(values)
        m[f"latency_{stage}_p95_ms"] = _percentile(values, 0.95)
    return m


@dataclass
class EvalRun:
    config: str
    metrics: dict[str, float]
    results: list[ItemResult] = field(default_factory=list)


Ask = Callable[[str, RetrievalSettings], Answer]
Progress = Callable[[int, int], None]


def evaluate(items: list[GoldItem], ask: Ask, documents: Mapping[str, Any], retrieval: RetrievalSettings,
             config: str = "hybrid+rerank", progress: Progress | None = None) -> EvalRun:
    results = []
    for done, item in enumerate(items, start=1):
        try:
            answer = ask(item.question, retrieval)
            results.append(score_item(item, answer, documents))
        except RagError as exc:
            results.append(ItemResult(item.id, item.question, item.answerable, True, False, None, (), 0, 0, 0, 0,
                                      len(item.evidence), {}, "", (), (), error=str(exc)))
        if progress:
            progress(done, len(items))
    return EvalRun(config, summarise(results), results)


def ablation_settings(base: RetrievalSettings) -> dict[str, RetrievalSettings]:
    return {name: replace(base, bm25=flags["bm25"], dense=flags["dense"], rerank=flags["rerank"])
            for name, flags in ABLATIONS.items()}


def compare(current: dict[str, float], baseline: dict[str, float]) -> list[tuple[str, float, float, float]]:
    """(metric, baseline, current, change) for every metric both runs have."""
    return [(k, baseline[k], current[k], current[k] - baseline[k]) for k in current if k in baseline]


def gate(current: dict[str, float], baseline: dict[str, float], tolerance: float) -> list[str]:
    """Headline metrics that fell by more than `tolerance` below the baseline."""
    return [
        f"{k}: {current.get(k, 0.0):.3f} < baseline {baseline[k]:.3f} - {tolerance}"
        for k in HEADLINE if k in baseline and current.get(k, 0.0) < baseline[k] - tolerance
    ]


def run_to_json(run: EvalRun) -> dict[str, Any]:
    return {"config": run.config, "metrics": run.metrics, "items": [asdict(r) for r in run.results]}
