"""Markdown inline markup out of a paragraph's text, every literal character kept.

Quotes are checked verbatim against the cleaned text, so only what is markup may go:

- emphasis: a run of `*` or `_` goes only when it pairs with another run of the same character as
  opener and closer (CommonMark's left/right-flanking rule: an opener is followed by a non-space, a
  closer preceded by one). Unlike CommonMark, a `*` inside a word or number is literal, as `_` is:
  reports write `{{7*7}}`, `2*3=6` and `file_name_here` far more often than mid-word emphasis
  (a footnote superscript counts as punctuation, so `**Plan (GFRID)**²⁹` is bold).
  A run that pairs with nothing stays (`a * b`, a lone `*`), except a run of two or more touching a
  word (`Objective 2:** Minimizing`): that is a converter's broken bold, not text;
- a backslash before ASCII punctuation escapes it: `\\*` is a literal `*`;
- inline code keeps its content literally: `` `x*y` `` is `x*y`;
- a link `[text](url "title")` becomes `text (url)`: the target is shown where the document shows it,
  as a printed page shows it. The text alone when it is itself an address (`[https://x.org](...)`) or
  when the target leads nowhere outside the page (empty, or a `#fragment`);
- an image `![alt](src)` becomes `alt`; an autolink `<https://...>` becomes its address.

Linear in the text: one tokenising pass, stack-matched brackets and delimiters (with CommonMark's
"openers bottom" so unmatched delimiters are not searched again and again).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_TOKEN = re.compile(r"\\[!-/:-@\[-`{-~]|`+|\*+|_+|!\[|[\[\]()]|<(?:https?|mailto):[^<>\s]+>")
_DESTINATION = re.compile(r"\s*(?:<([^<>\n]*)>|(\S*))(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*")
_ADDRESS = re.compile(r"(?:https?://|mailto:|www\.)\S*$")
_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_WORD = re.compile(r"[A-Za-z0-9]")
_SUPERSCRIPTS = frozenset("¹²³⁴⁵⁶⁷⁸⁹⁰")


@dataclass(slots=True)
class _Token:
    kind: str  # text, escape, code, tick, delim, open, image, close, lparen, rparen, auto, gone
    start: int
    end: int
    out: str
    can_open: bool = False
    can_close: bool = False
    left: int = 0  # delimiter characters not (yet) consumed as markup


def clean_inline(text: str) -> str:
    """The paragraph's words as a reader sees them: markup out, literal characters and link targets in."""
    tokens = _tokenize(text)
    tokens = _code_spans(text, tokens)
    _links(text, tokens)
    _emphasis(text, tokens)
    return " ".join("".join(t.out if t.kind != "delim" else _rest(t) for t in tokens).split())


def _rest(t: _Token) -> str:
    """What is left of a delimiter run once pairs took their markup."""
    if t.left == len(t.out) >= 2 and (t.can_open or t.can_close):
        return ""  # `**` touching a word and pairing with nothing: a converter's broken bold, not text
    return t.out[: t.left]


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    at = 0
    for m in _TOKEN.finditer(text):
        if m.start() > at:
            tokens.append(_Token("text", at, m.start(), text[at : m.start()]))
        raw = m.group(0)
        first = raw[0]
        if first == "\\":
            tokens.append(_Token("escape", m.start(), m.end(), raw[1]))
        elif first == "`":
            tokens.append(_Token("tick", m.start(), m.end(), raw))
        elif first in "*_":
            tokens.append(_flanking(text, _Token("delim", m.start(), m.end(), raw, left=len(raw))))
        elif raw == "![":
            tokens.append(_Token("image", m.start(), m.end(), raw))
        elif first == "<":
            tokens.append(_Token("auto", m.start(), m.end(), raw[1:-1]))
        else:
            kind = {"[": "open", "]": "close", "(": "lparen", ")": "rparen"}[first]
            tokens.append(_Token(kind, m.start(), m.end(), raw))
        at = m.end()
    if at < len(text):
        tokens.append(_Token("text", at, len(text), text[at:]))
    return tokens


def _space(ch: str) -> bool:
    return ch.isspace()


def _punct(ch: str) -> bool:
    # A footnote superscript counts as punctuation: "**Bureaus (JISBs)**⁵²" closes its emphasis.
    return unicodedata.category(ch)[0] in "PS" or ch in _SUPERSCRIPTS


def _flanking(text: str, t: _Token) -> _Token:
    before = text[t.start - 1] if t.start > 0 else " "
    after = text[t.end] if t.end < len(text) else " "
    left = not _space(after) and (not _punct(after) or _space(before) or _punct(before))
    right = not _space(before) and (not _punct(before) or _space(after) or _punct(after))
    if t.out[0] == "_" or (_WORD.match(before) and _WORD.match(after)):
        # CommonMark's rule for `_`; for `*` only between ASCII letters or digits (`7*7`, `x*y`).
        t.can_open = left and (not right or _punct(before))
        t.can_close = right and (not left or _punct(after))
    else:
        t.can_open, t.can_close = left, right
    return t


def _code_spans(text: str, tokens: list[_Token]) -> list[_Token]:
    """A backtick run up to the next run of the same length is code: its content, literally."""
    ticks = [i for i, t in enumerate(tokens) if t.kind == "tick"]
    following: dict[int, int] = {}  # tick token -> the next tick token of the same length
    last: dict[int, int] = {}
    for i in reversed(ticks):
        n = tokens[i].end - tokens[i].start
        if n in last:
            following[i] = last[n]
        last[n] = i
    out: list[_Token] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.kind == "tick" and i in following:
            close = tokens[following[i]]
            out.append(_Token("code", t.start, close.end, text[t.end : close.start]))
            i = following[i] + 1
            continue
        if t.kind == "tick":
            t.kind = "text"
        out.append(t)
        i += 1
    return out


def _pairs(tokens: list[_Token], opens: tuple[str, ...], close: str) -> dict[int, int]:
    stack: list[int] = []
    pairs: dict[int, int] = {}
    for i, t in enumerate(tokens):
        if t.kind in opens:
            stack.append(i)
        elif t.kind == close and stack:
            pairs[stack.pop()] = i
    return pairs


def _links(text: str, tokens: list[_Token]) -> None:
    """`[text](url)` to `text (url)`, `![alt](src)` to `alt`; unmatched brackets stay as written."""
    brackets = _pairs(tokens, ("open", "image"), "close")
    parens = _pairs(tokens, ("lparen",), "rparen")
    for i, t in enumerate(tokens):
        if t.kind not in ("open", "image") or i not in brackets:
            continue
        j = brackets[i]
        k = parens.get(j + 1) if j + 1 < len(tokens) and tokens[j + 1].kind == "lparen" else None
        if k is None:
            continue
        target = _DESTINATION.fullmatch(text, tokens[j + 1].end, tokens[k].start)
        if target is None:
            continue
        url = target.group(1) if target.group(1) is not None else target.group(2)
        label = _UNESCAPE.sub(r"\1", text[t.end : tokens[j].start].strip())
        shown = f" ({url})"
        if t.kind == "image" or not url or url.startswith("#") or _ADDRESS.match(label):
            shown = ""  # alt text; a link to nowhere or within the page; text that is itself the address
        t.kind, t.out = "gone", ""
        tokens[j].kind, tokens[j].out = "gone", shown
        for x in range(j + 1, k + 1):
            tokens[x].kind, tokens[x].out = "gone", ""


def _emphasis(text: str, tokens: list[_Token]) -> None:
    """Pair `*`/`_` runs as CommonMark does (nearest opener first, the rule of three); consumed
    characters are markup, the rest stay."""
    stack: list[_Token] = []
    bottom: dict[tuple[str, bool, int], int] = {}  # no opener below this height suits such a closer
    for closer in tokens:
        if closer.kind != "delim":
            continue
        char, size = closer.out[0], len(closer.out)
        while closer.can_close and closer.left:
            key = (char, closer.can_open, size % 3)
            found = None
            for h in range(len(stack) - 1, min(bottom.get(key, 0), len(stack)) - 1, -1):
                o = stack[h]
                odd = (o.can_close or closer.can_open) and (len(o.out) + size) % 3 == 0 and not (
                    len(o.out) % 3 == 0 and size % 3 == 0)
                if o.out[0] == char and o.left and not odd:
                    found = h
                    break
            if found is None:
                bottom[key] = len(stack)
                break
            opener = stack[found]
            n = 2 if opener.left >= 2 and closer.left >= 2 else 1
            opener.left -= n
            closer.left -= n
            del stack[found + (1 if opener.left else 0):]
            for k in bottom:
                bottom[k] = min(bottom[k], len(stack))
        if closer.can_open and closer.left:
            stack.append(closer)
