"""JSON forms of the core records, for the index on disk and the CLI's --json output."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from .types import Answer, Chunk, Citation, Document, Hit, Paragraph, ReportMeta


def report_from_json(data: dict[str, Any] | None) -> ReportMeta | None:
    return ReportMeta(**data) if data else None


def paragraph_from_json(data: dict[str, Any]) -> Paragraph:
    return Paragraph(
        **{
            **data,
            "section": tuple(data["section"]),
            "footnotes": tuple(data["footnotes"]),
            "report": report_from_json(data.get("report")),
        }
    )


def document_to_json(document: Document) -> str:
    return json.dumps(asdict(document), ensure_ascii=False)


def document_from_json(line: str) -> Document:
    data = json.loads(line)
    report = report_from_json(data["report"])
    assert report is not None
    return Document(
        **{
            **data,
            "paragraphs": tuple(paragraph_from_json(p) for p in data["paragraphs"]),
            "report": report,
            "warnings": tuple(data["warnings"]),
        }
    )


def chunk_to_json(chunk: Chunk) -> str:
    return json.dumps(asdict(chunk), ensure_ascii=False)


def chunk_from_json(line: str) -> Chunk:
    data = json.loads(line)
    return Chunk(**{**data, "section": tuple(data["section"])})


def section_label(section: tuple[str, ...]) -> str:
    return " > ".join(section)


def hit_record(hit: Hit) -> dict[str, Any]:
    """The passage object of the CLI contract."""
    c = hit.chunk
    return {
        "rank": hit.rank,
        "score": round(hit.score, 4),
        "chunk_id": c.chunk_id,
        "doc": c.doc,
        "title": c.title,
        "date": c.date,
        "place": c.place,
        "section": section_label(c.section),
        "paragraph": c.paragraph,
        "page": c.page,
        "kind": c.kind,
        "text": c.text,
    }


def citation_record(citation: Citation) -> dict[str, Any]:
    c = citation.chunk
    return {
        "n": citation.n,
        "chunk_id": c.chunk_id,
        "doc": c.doc,
        "title": c.title,
        "date": c.date,
        "place": c.place,
        "section": section_label(c.section),
        "paragraph": c.paragraph,
        "page": c.page,
        "quote": citation.quote.text,
        "start": citation.quote.start,
        "end": citation.quote.end,
    }


def answer_record(answer: Answer, item_id: Any = None) -> dict[str, Any]:
    """The answer object of the `rag ask --json` contract."""
    return {
        "id": item_id,
        "question": answer.question,
        "query": answer.query,
        "answer": answer.text,
        "abstained": answer.abstained,
        "reason": answer.reason,
        "short_answer": None if answer.short is None else {
            "text": answer.short.text, "citation": 1, "start": answer.short.start, "end": answer.short.end},
        "citations": [citation_record(c) for c in answer.citations],
        "passages": [hit_record(h) for h in answer.passages],
        "timings_ms": {name: round(ms, 2) for name, ms in answer.timings_ms},
    }
