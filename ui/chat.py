"""One chat turn and its feedback, independent of Gradio: per-session state is passed in, never kept here."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag import Answer, Assistant, Filters, RagError, answer_record, citation_record

log = logging.getLogger(__name__)
_FEEDBACK_LOCK = threading.Lock()  # serialises appends from concurrent sessions; holds no user data
HISTORY_TURNS = 20  # standalone queries kept per session: rewriting reads only the latest one


@dataclass(frozen=True, slots=True)
class Turn:
    """What one question produced: an answer, or the message saying why it could not be asked."""

    question: str
    answer: Answer | None = None
    error: str | None = None
    filters: Filters = field(default_factory=Filters)  # the filters it was asked under


def make_filters(reports: Sequence[str] | None, years: Sequence[Any] | None, places: Sequence[str] | None) -> Filters:
    return Filters(
        docs=tuple(reports or ()),
        years=tuple(int(y) for y in (years or ())),
        places=tuple(places or ()),
    )


def filter_choices(assistant: Assistant) -> tuple[list[str], list[str], list[str]]:
    """Report titles, years and places present in the index, for the filter menus."""
    chunks = assistant.index.corpus.samples()  # one chunk per report, title, year and place: all the menus read
    titles = sorted({c.title for c in chunks if c.title})
    years = sorted({str(c.year) for c in chunks if c.year})
    places = sorted({c.place for c in chunks if c.place})
    return titles, years, places


def ask_turn(assistant: Assistant, question: str, history: Sequence[str], filters: Filters | None = None) -> Turn:
    """Ask with this session's history; a question the library refuses becomes a readable message."""
    active = filters or Filters()
    try:
        return Turn(question, answer=assistant.ask(question, history=list(history), filters=active or None),
                    filters=active)
    except RagError as exc:
        return Turn(question, error=str(exc), filters=active)


def next_history(history: Sequence[str], turn: Turn) -> list[str]:
    """The session's last HISTORY_TURNS standalone queries after this turn (a refused question adds nothing)."""
    return [*history, turn.answer.query][-HISTORY_TURNS:] if turn.answer else list(history)


def turn_record(turn: Turn) -> dict[str, Any]:
    """The JSON the API returns: the CLI's answer contract, or {"question", "error"}."""
    if turn.answer is None:
        return {"question": turn.question, "error": turn.error}
    return answer_record(turn.answer)


def record_feedback(path: Path, turn: Turn, helpful: bool) -> None:
    """Append one line of feedback (question, answer text, citations) to the local JSONL file."""
    line: dict[str, Any] = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "helpful": helpful,
        "question": turn.question,
    }
    if turn.answer is not None:
        line.update(query=turn.answer.query, answer=turn.answer.text, abstained=turn.answer.abstained,
                    citations=[citation_record(c) for c in turn.answer.citations])
    else:
        line.update(error=turn.error)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _FEEDBACK_LOCK, path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    log.info("feedback recorded in %s", path)
