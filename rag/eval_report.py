"""The evaluation's outputs: a Markdown report with tables and PNG plots, and JSON."""

from __future__ import annotations

import json
from pathlib import Path

from .evaluation import HEADLINE, EvalRun, compare, run_to_json

_TABLE_METRICS = ("hit@1", "hit@3", "hit@5", "hit@10", "mrr", "ndcg@10", "citation_precision",
                  "citation_recall", "verbatim_rate", "answer_correct", "unanswerable_declined",
                  "answerable_declined", "abstention_precision", "abstention_accuracy", "answer_words_p50",
                  "quoted_words_p50")


def metrics_table(runs: list[EvalRun], metrics: tuple[str, ...] = _TABLE_METRICS) -> str:
    head = "| metric | " + " | ".join(r.config for r in runs) + " |"
    rule = "|---|" + "---:|" * len(runs)
    def cell(m: str, value: float) -> str:
        return f"{value:.1f}" if m.endswith("words_p50") else f"{value:.3f}"

    rows = [f"| {m} | " + " | ".join(cell(m, r.metrics.get(m, 0.0)) for r in runs) + " |" for m in metrics]
    return "\n".join([head, rule, *rows])


def latency_table(run: EvalRun) -> str:
    stages = sorted({k.split("_")[1] for k in run.metrics if k.startswith("latency_")})
    rows = [f"| {s} | {run.metrics[f'latency_{s}_p50_ms']:.1f} | {run.metrics[f'latency_{s}_p95_ms']:.1f} |"
            for s in stages]
    return "\n".join(["| stage | p50 ms | p95 ms |", "|---|---:|---:|", *rows])


def failures(run: EvalRun) -> str:
    lines = []
    for r in run.results:
        wrong_decline = r.answerable and r.abstained
        wrong_answer = (r.answerable and not r.abstained and not r.correct) or (not r.answerable and not r.abstained)
        if not (wrong_decline or wrong_answer or r.error):
            continue
        what = "error" if r.error else "declined an answerable question" if wrong_decline else (
            "answered an unanswerable question" if not r.answerable else "answer lacks the gold answer")
        lines.append(f"### {r.id}: {what}\n\n**Q:** {r.question}\n")
        if r.error:
            lines.append(f"Error: {r.error}\n")
        lines.append("Expected evidence:\n" + "\n".join(f"- {e}" for e in r.expected) + "\n")
        lines.append(f"First relevant rank: {r.first_relevant_rank or 'not in top 10'}\n")
        lines.append("Retrieved:\n" + "\n".join(f"- {x}" for x in r.retrieved) + "\n")
        lines.append("Answer:\n\n> " + r.answer.replace("\n", "\n> ") + "\n")
    return "\n".join(lines) or "None."


def _plots(runs: list[EvalRun], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(runs)
    for i, run in enumerate(runs):
        ax.bar([x + i * width for x in range(len(HEADLINE))], [run.metrics.get(m, 0.0) for m in HEADLINE],
               width, label=run.config)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(HEADLINE))], HEADLINE, rotation=20)
    ax.set_ylim(0, 1.05)
    ax.legend()
    ax.set_title("Headline metrics per configuration")
    fig.tight_layout()
    fig.savefig(out / "metrics.png", dpi=100)
    plt.close(fig)
    names.append("metrics.png")
    main = runs[-1]
    totals = [r.timings_ms["total"] for r in main.results if "total" in r.timings_ms]
    if totals:
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.hist(totals, bins=30)
        ax.set_xlabel("ask latency, ms (total)")
        ax.set_ylabel("questions")
        ax.set_title(f"Latency distribution ({main.config})")
        fig.tight_layout()
        fig.savefig(out / "latency.png", dpi=100)
        plt.close(fig)
        names.append("latency.png")
    return names


def write_report(runs: list[EvalRun], out: Path, gold: Path, baseline: dict[str, float] | None = None) -> Path:
    """Write report.md, metrics.json (headline run + ablations) and plots; return the report path."""
    out.mkdir(parents=True, exist_ok=True)
    main = runs[-1]
    (out / "metrics.json").write_text(json.dumps(
        {"gold": str(gold), "config": main.config, "metrics": main.metrics,
         "ablations": {r.config: r.metrics for r in runs}}, indent=2), encoding="utf-8")
    (out / "items.json").write_text(json.dumps([run_to_json(r) for r in runs], indent=1, ensure_ascii=False),
                                    encoding="utf-8")
    plots = _plots(runs, out)
    parts = [f"# Evaluation report\n\nGold set: `{gold}` ({len(main.results)} items). "
             f"Headline configuration: `{main.config}`.\n",
             "## Metrics and ablations\n", metrics_table(runs), "\n## Latency (headline configuration)\n",
             latency_table(main), ""]
    if baseline:
        parts += ["## Against the baseline\n", "| metric | baseline | now | change |", "|---|---:|---:|---:|"]
        parts += [f"| {k} | {b:.3f} | {c:.3f} | {d:+.3f} |" for k, b, c, d in compare(main.metrics, baseline)]
        parts.append("")
    parts += [f"![{p}]({p})" for p in plots]
    parts += ["\n## Failures (headline configuration)\n", failures(main)]
    report = out / "report.md"
    report.write_text("\n".join(parts), encoding="utf-8")
    return report
