"""Reading a `rag ask --batch` file: one {id, question} JSON object a line, each line judged on its own.

A bad line becomes a BatchLine with an error saying what is wrong and how to fix it, so one malformed
line (or a file saved as UTF-16) never costs the answers to the others.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import RagError

Id = str | int | float | None

# Longest first: the UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_UNDECODED = re.compile(r"[\udc00-\udcff]")  # bytes the decoder could not read, kept as lone surrogates
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_EXAMPLE = 'write one JSON object a line, like {"id": 1, "question": "Who chaired the 2019 workshop?"}'


@dataclass(frozen=True, slots=True)
class BatchLine:
    """One non-blank line of a batch file: the question to ask, or why it cannot be asked."""

    number: int  # 1-based line in the file
    id: Id
    question: str | None
    error: str | None = None

    def __post_init__(self) -> None:
        if (self.question is None) == (self.error is None):
            raise ValueError("a batch line has either a question or an error")

    def error_record(self, message: str | None = None) -> dict[str, Any]:
        """The output line for a question that failed, on reading (`error`) or on asking (`message`)."""
        return {"id": self.id, "line": self.number, "error": message or self.error}


def _keep_undecodable(exc: UnicodeError) -> tuple[str, int]:
    """Like "surrogateescape", but for any byte and any codec (a UTF-16 file may end in half a unit)."""
    assert isinstance(exc, UnicodeDecodeError)
    return "".join(chr(0xDC00 + b) for b in exc.object[exc.start : exc.end]), exc.end


codecs.register_error("rag-batch-undecodable", _keep_undecodable)


def decode(data: bytes) -> tuple[str, str]:
    """The text and encoding of a batch file: a byte-order mark decides, UTF-8 otherwise.

    Undecodable bytes are kept as lone surrogates so that only the lines holding them fail.
    """
    encoding, skip = "utf-8", 0
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, skip = name, len(bom)
            break
    return data[skip:].decode(encoding, errors="rag-batch-undecodable"), encoding


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")


def parse_line(text: str, number: int, encoding: str = "utf-8") -> BatchLine:
    """The question on one line of a batch file, or the error that names the problem and the fix."""

    def bad(message: str, item_id: Id = None) -> BatchLine:
        return BatchLine(number, item_id, None, message)

    if _UNDECODED.search(text):
        return bad(f"the line is not valid {encoding.upper()}: save the file as UTF-8")
    if "\x00" in text:
        return bad("the line holds NUL bytes, as a UTF-16 or UTF-32 file without a byte-order mark does: "
                   "save the file as UTF-8")
    try:
        item = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        return bad(f"the JSON is nested too deeply to read: {_EXAMPLE}")
    except json.JSONDecodeError as exc:
        return bad(f"not valid JSON ({exc.msg} at column {exc.colno}): {_EXAMPLE}")
    except ValueError as exc:
        return bad(f"not valid JSON ({exc}): {_EXAMPLE}")
    if not isinstance(item, dict):
        return bad(f"expected a JSON object, got {_kind(item)}: {_EXAMPLE}")
    item_id = item.get("id")
    if isinstance(item_id, dict | list | bool) or (isinstance(item_id, str) and _SURROGATE.search(item_id)):
        return bad("'id' must be a string or a number of real characters: "
                   f"give each line a plain id like \"q1\" or 1 (got {_kind(item_id)})")
    if "question" not in item:
        return bad(f"the object has no 'question': {_EXAMPLE}", item_id)
    question = item["question"]
    if not isinstance(question, str):
        return bad(f"'question' must be a string, got {_kind(question)}: put the question in quotes", item_id)
    if _SURROGATE.search(question):
        return bad("the question holds a lone surrogate escape (like \\ud800), which is not a character: "
                   "fix or remove that escape", item_id)
    return BatchLine(number, item_id, question)


def read_batch(path: Path) -> list[BatchLine]:
    """Every non-blank line of the file at `path`, parsed; a file that cannot be opened is a RagError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RagError(f"cannot read {path}: {exc.strerror}") from None
    text, encoding = decode(data)
    # Split on newlines only: JSON strings may hold U+2028 and other characters str.splitlines breaks at.
    # A mark at the start of a later line (files joined with `cat`) is dropped like the first.
    lines = (line.removesuffix("\r").removeprefix("\ufeff") for line in text.split("\n"))
    return [parse_line(line, n, encoding) for n, line in enumerate(lines, start=1)
            if line.replace("\x00", "").strip()]
