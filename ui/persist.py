"""Conversations, briefing notes and the compare view that survive a reload and a server restart.

Kept server-side, one folder per browser, under `<index>/ui-sessions/<browser id>/`: `chat.json` (the turns,
answers included, and the rewriting history), `notes.json` (every note of that browser and which one is
open) and `compare.json` (the latest compare view). The browser keeps only its random id, in localStorage
(gr.BrowserState). Files are JSON written to a temporary name and switched with os.replace, so a crash never
leaves half a file; no pickle.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import secrets
import threading
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag import BriefingNote, Comparison

from .chat import Turn

log = logging.getLogger(__name__)

FOLDER = "ui-sessions"
FORMAT = 1
MAX_TURNS = 100  # turns kept per browser (the oldest dropped first)
_ID = re.compile(r"^[0-9a-f]{32}$")
_LOCK = threading.Lock()  # serialises file switches; holds no user data


def new_browser_id() -> str:
    return secrets.token_hex(16)


def valid_id(browser_id: Any) -> bool:
    """Only ids this module made are used in paths (no traversal from a forged localStorage value)."""
    return isinstance(browser_id, str) and bool(_ID.match(browser_id))


def browser_secret(root: Path) -> str:
    """The key gr.BrowserState encrypts the browser id with, kept so ids stay readable after a restart."""
    path = root / FOLDER / "browser-secret.txt"
    with _LOCK:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            _write(path, secrets.token_hex(32))
    return path.read_text(encoding="utf-8").strip()


def _decode(kind: Any, data: Any) -> Any:
    """Rebuild a value of type `kind` (dataclass, tuple, optional, primitive) from its JSON form."""
    if data is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(kind) if a is not type(None)]
        return _decode(inner[0], data)
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], d) for d in data)
        return tuple(_decode(a, d) for a, d in zip(args, data, strict=True))
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        names = {f.name for f in dataclasses.fields(kind) if f.init}
        return kind(**{k: _decode(hints[k], v) for k, v in data.items() if k in names})
    return data


def _encode(value: Any) -> Any:
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value


@dataclass(frozen=True, slots=True)
class Conversation:
    turns: tuple[Turn, ...] = ()
    history: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Notebook:
    """Every note of one browser; `current` is the one open in the panel."""

    notes: tuple[BriefingNote, ...] = (BriefingNote(),)
    current: int = 0

    @property
    def open_note(self) -> BriefingNote:
        return self.notes[self.current] if 0 <= self.current < len(self.notes) else BriefingNote()

    def with_open(self, note: BriefingNote) -> Notebook:
        """This notebook with the open note replaced by its new version."""
        if not 0 <= self.current < len(self.notes):
            return Notebook((*self.notes, note), len(self.notes))
        return dataclasses.replace(self, notes=(*self.notes[: self.current], note, *self.notes[self.current + 1 :]))


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _folder(root: Path, browser_id: str) -> Path:
    if not valid_id(browser_id):
        raise ValueError("not a browser id made by this server")
    return root / FOLDER / browser_id


def _save(root: Path, browser_id: str, name: str, record: dict[str, Any]) -> None:
    folder = _folder(root, browser_id)
    with _LOCK:
        folder.mkdir(parents=True, exist_ok=True)
        _write(folder / name, json.dumps({"format": FORMAT, **record}, ensure_ascii=False))


def _load(root: Path, browser_id: str, name: str, what: str) -> dict[str, Any] | None:
    """The saved record without its format tag; None when missing, of another format or damaged (logged)."""
    path = _folder(root, browser_id) / name
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(record, dict) or record.pop("format", None) != FORMAT:
            return None
        return record
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("cannot restore the %s in %s: %s", what, path, exc)
        return None


def save_conversation(root: Path, browser_id: str, turns: list[Turn], history: list[str]) -> None:
    _save(root, browser_id, "chat.json", {"turns": [_encode(t) for t in turns[-MAX_TURNS:]], "history": list(history)})


def load_conversation(root: Path, browser_id: str) -> Conversation:
    """The saved conversation, or an empty one (a missing, damaged or older file is logged, never fatal)."""
    record = _load(root, browser_id, "chat.json", "conversation")
    try:
        return Conversation() if record is None else Conversation(
            tuple(_decode(Turn, t) for t in record["turns"]), tuple(record.get("history", ())))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("cannot restore the conversation of %s: %s", browser_id, exc)
        return Conversation()


def save_notebook(root: Path, browser_id: str, notebook: Notebook) -> None:
    _save(root, browser_id, "notes.json", _encode(notebook))


def load_notebook(root: Path, browser_id: str) -> Notebook:
    record = _load(root, browser_id, "notes.json", "notes")
    try:
        notebook = Notebook() if record is None else _decode(Notebook, record)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("cannot restore the notes of %s: %s", browser_id, exc)
        return Notebook()
    return notebook if notebook.notes else Notebook()


def save_comparison(root: Path, browser_id: str, comparison: Comparison | None) -> None:
    _save(root, browser_id, "compare.json", {"comparison": _encode(comparison)})


def load_comparison(root: Path, browser_id: str) -> Comparison | None:
    """The compare view shown last, or None (a missing or damaged file is logged, never fatal)."""
    record = _load(root, browser_id, "compare.json", "compare view")
    try:
        return None if record is None else _decode(Comparison | None, record.get("comparison"))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("cannot restore the compare view of %s: %s", browser_id, exc)
        return None


# Page script: everything is saved on the server as it changes, so the only work a reload can lose is an
# edit still on its way (typed in the last moments) or an answer still being composed: leaving then warns.
LEAVE_SCRIPT = """
<script>
(() => {
  let lastEdit = 0;
  document.addEventListener('input', e => {
    if (e.target.closest && e.target.closest('#note-tab, #note-title, .rag-annotation')) lastEdit = Date.now();
  }, true);
  window.addEventListener('beforeunload', e => {
    const ask = document.querySelector('#ask');
    const answering = ask && ask.innerText.includes('Answering');
    if (answering || Date.now() - lastEdit < 3000) { e.preventDefault(); e.returnValue = ''; }
  });
})();
</script>
"""
