"""The `rag` command: a thin shell over the library. Errors print one line and exit non-zero."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag import RagError, Settings, answer_record, citation_label, hit_record, load_settings, read_batch

if TYPE_CHECKING:  # imported lazily at run time: they load the model stack
    from rag import Assistant, Embedder, GoldItem


def _common(p: argparse.ArgumentParser, corpus: bool = False) -> None:
    p.add_argument("--index", type=Path, help="index folder (default: index/)")
    if corpus:
        p.add_argument("--corpus", type=Path, help="corpus folder (default: corpus/)")
    p.add_argument("--config", type=Path, help="settings file (default: rag.toml if present)")


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--report", action="append", default=[], help="only this report (file or title substring)")
    p.add_argument("--year", action="append", type=int, default=[], help="only reports of this year")
    p.add_argument("--place", action="append", default=[], help="only reports held in this place")


MAX_K = 100  # more passages than anyone reads; also bounds the work of one search


def _k(value: str) -> int:
    """The -k flag: a whole number of passages from 1 to MAX_K (0 used to mean the default, -1 'all')."""
    try:
        k = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_K}, got {value!r}") from None
    if not 1 <= k <= MAX_K:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_K} passages, got {k}")
    return k


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="rag", description="Cited answers from GFMD reports.")
    ap.add_argument("-v", "--verbose", action="count", default=0)
    ap.add_argument("-q", "--quiet", action="store_true")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="build or update the index from the corpus folder")
    _common(p, corpus=True)

    p = sub.add_parser("search", help="ranked passages for a question")
    p.add_argument("question")
    p.add_argument("-k", type=_k, help=f"number of passages, 1 to {MAX_K} (default: retrieval.k)")
    p.add_argument("--json", action="store_true")
    _common(p)
    _filters(p)

    p = sub.add_parser("ask", help="an answer quoted verbatim from the reports, with citations")
    p.add_argument("question", nargs="?")
    p.add_argument("--batch", type=Path, help="JSONL file of {id, question}; answers one JSON line each")
    p.add_argument("-k", type=_k, help=f"number of passages, 1 to {MAX_K} (default: retrieval.k)")
    p.add_argument("--json", action="store_true")
    _common(p)
    _filters(p)

    p = sub.add_parser("eval", help="score retrieval, citations, answers and abstention against gold Q&A")
    p.add_argument("--gold", type=Path, action="append",
                   help="a gold Q&A file; repeat to score several sets side by side (default: eval/gold.jsonl)")
    p.add_argument("--seeds", type=Path, default=Path("../shared/seed-corpus"),
                   help="folder of seed files that gold evidence may name (mapped to corpus/ by content)")
    p.add_argument("--out", type=Path, default=Path("eval/out"))
    p.add_argument("--compare", type=Path, help="an earlier metrics.json: print the differences")
    p.add_argument("--gate", type=Path, help="a baseline metrics.json: exit 1 if a headline metric drops")
    p.add_argument("--tolerance", type=float, default=0.03, help="allowed drop for --gate (default 0.03)")
    p.add_argument("--no-ablations", action="store_true", help="only the configured pipeline")
    p.add_argument("--limit", type=int, help="only the first N gold items")
    _common(p)

    p = sub.add_parser("serve", help="the chat UI in a browser (builds the index first if there is none)")
    p.add_argument("--host", default=None, help="interface to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default: 7860)")
    _common(p, corpus=True)

    p = sub.add_parser("settings", help="print the resolved settings and their variables")
    _common(p, corpus=True)
    return ap


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {"paths.index": getattr(args, "index", None),
                                 "paths.corpus": getattr(args, "corpus", None)}
    return load_settings(getattr(args, "config", None), overrides)


def _filters_of(args: argparse.Namespace) -> Any:
    from rag import Filters

    return Filters(tuple(args.report), tuple(args.year), tuple(args.place))


def _ingest_bars(quiet: bool) -> tuple[Callable[[str, int, int], None], Callable[[], None]]:
    """An ingest progress callback drawing one tqdm bar per stage on stderr, and a function closing them."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if quiet:
            return
        if stage not in bars:
            unit = {"read": "file", "sentences": "sentence"}.get(stage, "chunk")
            bars[stage] = tqdm(total=total, desc=stage, unit=unit, file=sys.stderr)
        bar = bars[stage]
        bar.n = done
        bar.refresh()

    def close() -> None:
        for bar in bars.values():
            bar.close()

    return progress, close


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from rag import Assistant

    progress, close = _ingest_bars(args.quiet)
    _, report = Assistant.build(settings, progress)
    close()
    print(f"{'document':<58} {'paras':>5} {'notes':>5} {'tables':>6} {'pages':>5}  warnings")
    for q in report.quality:
        print(f"{_shown(q.doc)[:58]:<58} {q.paragraphs:>5} {q.footnotes:>5} {q.tables:>6} {q.pages or '-':>5}  "
              + ("; ".join(q.warnings) or "-"))
    for f in report.failed:
        print(f"SKIPPED {_shown(f.doc)}: {f.error}")
    print(f"{report.chunks} chunks ({report.embedded_chunks} embedded, {len(report.reused_files)} files reused) "
          f"in {report.seconds:.1f}s -> {report.build}")
    return 0


def _shown(name: str) -> str:
    """A file name on one line: newlines and other control characters in it are escaped."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in name)


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from rag import Assistant

    hits = Assistant(settings).search(args.question, args.k, _filters_of(args))
    if args.json:
        print(json.dumps([hit_record(h) for h in hits], ensure_ascii=False, indent=2))
        return 0
    if not hits:
        print("No passage matches.")
    for h in hits:
        print(f"[{h.rank}] {h.score:.3f}  {citation_label(h.chunk)}\n    {h.chunk.text}\n")
    return 0


def _print_answer(answer: Any) -> None:
    if answer.query != answer.question:
        print(f"(searched for: {answer.query})")
    print(answer.text)
    print()
    for c in answer.citations:
        print(f"[{c.n}] {citation_label(c.chunk)}")
    if answer.abstained:
        for h in answer.passages:
            print(f"  nearest [{h.rank}] {citation_label(h.chunk)}\n      {h.chunk.text[:300]}")


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """One question, or a batch file answered line by line; exit 1 if any batch line failed."""
    from rag import Assistant

    if bool(args.batch) == bool(args.question):
        raise RagError("give either a QUESTION or --batch FILE.jsonl")
    items = read_batch(args.batch) if args.batch else []  # a missing file fails before the model loads
    assistant = Assistant(settings)
    filters = _filters_of(args)
    if not args.batch:
        answer = assistant.ask(args.question, k=args.k, filters=filters)
        if args.json:
            print(json.dumps(answer_record(answer), ensure_ascii=False, indent=2))
        else:
            _print_answer(answer)
        return 0
    failed = 0
    for item in items:
        if item.question is None:
            record = item.error_record()
        else:
            try:
                record = answer_record(assistant.ask(item.question, k=args.k, filters=filters), item.id)
            except RagError as exc:
                record = item.error_record(str(exc))
        failed += "error" in record
        print(json.dumps(record, ensure_ascii=False), flush=True)
    return 1 if failed else 0


def _read_metrics(path: Path) -> dict[str, float]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RagError(f"cannot read metrics from {path}: {exc}") from None
    return dict(data.get("metrics", data))


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Score each gold set: against the configured index, or, for a set with a `corpus/` folder beside it,
    against an index of that folder built (only what changed) in `<out>/eval-cache/<set name>`."""
    from rag import Assistant, load_gold, own_corpus, seed_names, set_name

    golds = args.gold or [Path("eval/gold.jsonl")]
    shared: Assistant | None = None  # the configured index, loaded once when a set needs it
    embedder: Embedder | None = None  # the model, loaded once
    status = 0
    for gold in golds:
        name = set_name(gold)
        out = args.out if len(golds) == 1 else args.out / name
        corpus = own_corpus(gold)
        print(f"== {gold}")
        names = seed_names(settings.paths.corpus, args.seeds) if corpus is None else {}
        items = load_gold(gold, names)[: args.limit]  # a bad gold file fails before any model or index work
        if corpus is None:
            shared = assistant = shared or Assistant(settings, embedder)
        else:
            assistant = _own_index(args, settings, corpus, args.out / "eval-cache" / name, embedder)
        embedder = assistant.embedder
        status = max(status, _eval_set(args, assistant.settings, assistant, items, gold, out))
    return status


def _own_index(args: argparse.Namespace, settings: Settings, corpus: Path, index: Path,
               embedder: Embedder | None) -> Assistant:
    """An assistant over `corpus`, indexed into `index` with the same settings by the library's own ingest.

    Always a FAISS folder: with store.backend = "postgres" the shared database holds the team's live build,
    which a gold set's own corpus must never replace."""
    from rag import Assistant

    own = settings.with_overrides({"paths.corpus": corpus, "paths.index": index, "store.backend": "faiss"})
    progress, close = _ingest_bars(args.quiet)
    assistant, report = Assistant.build(own, progress, embedder)
    close()
    print(f"corpus {corpus}: {report.chunks} chunks ({report.embedded_chunks} embedded) in {report.seconds:.1f}s "
          f"-> {report.build}")
    for f in report.failed:
        print(f"SKIPPED {_shown(f.doc)}: {f.error}")
    return assistant


def _eval_set(args: argparse.Namespace, settings: Settings, assistant: Assistant, items: list[GoldItem],
              gold: Path, out: Path) -> int:
    from tqdm import tqdm

    from rag import ablation_settings, compare_metrics, evaluate, gate, metrics_table, write_report

    configs = {} if args.no_ablations else ablation_settings(settings.retrieval)
    if settings.retrieval not in configs.values():  # the last configuration is the headline
        configs["configured"] = settings.retrieval
    runs = []
    for name, retrieval in configs.items():
        with tqdm(total=len(items), desc=name, file=sys.stderr, disable=args.quiet) as bar:
            def progress(done: int, total: int, bar: Any = bar) -> None:
                bar.update(done - bar.n)

            runs.append(evaluate(items, lambda q, r: assistant.ask(q, k=10, retrieval=r),
                                 assistant.index.documents, retrieval, name, progress))
    baseline = _read_metrics(args.gate) if args.gate else None
    report = write_report(runs, out, gold, baseline)
    print(metrics_table(runs))
    print(f"report: {report}")
    if args.compare:
        for name, old, new, change in compare_metrics(runs[-1].metrics, _read_metrics(args.compare)):
            print(f"{name:<32} {old:10.3f} {new:10.3f} {change:+10.3f}")
    if baseline is not None:
        drops = gate(runs[-1].metrics, baseline, args.tolerance)
        for line in drops:
            print(f"QUALITY GATE: {line}", file=sys.stderr)
        if drops:
            return 1
        print(f"quality gate passed (tolerance {args.tolerance})")
    return 0


def cmd_settings(args: argparse.Namespace, settings: Settings) -> int:
    for name, value, env in settings.as_rows():
        print(f"{name:<34} {value!s:<28} {env}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from ui.app import serve

    serve(settings, args.host or settings.serve.host, args.port or settings.serve.port)
    return 0


COMMANDS = {"ingest": cmd_ingest, "search": cmd_search, "ask": cmd_ask, "eval": cmd_eval, "serve": cmd_serve,
            "settings": cmd_settings}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    level = logging.WARNING - 10 * args.verbose if not args.quiet else logging.ERROR
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    import bm25s  # noqa: F401 - it sets its own logger's level on import; ours must come after

    logging.getLogger("bm25s").setLevel(max(level, logging.WARNING))
    try:
        settings = _settings(args)
        return COMMANDS[args.command](args, settings)
    except RagError as exc:
        print(f"rag: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rag: interrupted; the previous index is still in place", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
