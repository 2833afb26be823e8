"""A PDF page rendered to PNG with a quote's characters highlighted, so a source can be checked on the page.

Quotes come from the cleaned text, so spacing, hyphenation, ligatures and typographic quotes may differ from
the PDF's text layer: both sides are compared on their letters and digits only (case-folded, NFKC). When the
whole quote is not on the page (it may run onto the next one), the longest run of its words that is gets
highlighted instead.
"""

from __future__ import annotations

import io
import threading
import unicodedata
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageDraw

HIGHLIGHT = (255, 200, 0, 110)  # amber at ~43% opacity: text under it stays legible
SCALE = 2.0  # 144 dpi
MIN_RUN_WORDS = 3  # a shorter run of words is too likely to be found by chance
MIN_RUN_LETTERS = 12
_PDFIUM = threading.Lock()  # PDFium is not thread-safe; the server renders from a thread pool


class Located(Enum):
    WHOLE = "whole"
    PART = "part"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class PageView:
    """A rendered page: the PNG, how much of the quote it highlights, and the highlight boxes in pixels."""

    png: bytes
    located: Located
    boxes: tuple[tuple[int, int, int, int], ...]  # (left, top, right, bottom)
    width: int
    height: int


def _key(text: str) -> tuple[str, list[int]]:
    """Case-folded letters and digits of `text`, and for each the index of the character it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).casefold():
            if c.isalnum():
                chars.append(c)
                origin.append(i)
    return "".join(chars), origin


def _page_chars(textpage: pdfium.PdfTextPage) -> str:
    """The page's characters one per PDFium char index (so a match maps straight to char boxes)."""
    return "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i) or 32) for i in range(textpage.count_chars()))


def _with_edges(page_text: str, chars: range, quote: str) -> range:
    """`chars` widened over the punctuation that opens or closes the quote (a final full stop, a bracket)
    where the page has the same characters next to the match."""
    stripped = quote.strip()
    lead = len(stripped) - len(stripped.lstrip("".join(c for c in stripped if not c.isalnum())))
    tail = len(stripped) - len(stripped.rstrip("".join(c for c in stripped if not c.isalnum())))
    start, stop = chars.start, chars.stop
    if lead and page_text[max(0, start - lead):start] == stripped[:lead]:
        start -= lead
    if tail and page_text[stop:stop + tail] == stripped[len(stripped) - tail:]:
        stop += tail
    return range(start, stop)


def find_quote(page_text: str, quote: str) -> tuple[Located, range]:
    """Where the quote (or the longest run of its words) is in `page_text`, as a range of its char indices."""
    page_key, origin = _key(page_text)
    whole, _ = _key(quote)
    if whole and (at := page_key.find(whole)) >= 0:
        return Located.WHOLE, _with_edges(page_text, range(origin[at], origin[at + len(whole) - 1] + 1), quote)
    words = [k for k in (_key(w)[0] for w in quote.split()) if k]
    for size in range(len(words) - 1, MIN_RUN_WORDS - 1, -1):
        for first in range(len(words) - size + 1):
            run = "".join(words[first:first + size])
            if len(run) >= MIN_RUN_LETTERS and (at := page_key.find(run)) >= 0:
                return Located.PART, range(origin[at], origin[at + len(run) - 1] + 1)
    return Located.NONE, range(0)


def _line_boxes(textpage: pdfium.PdfTextPage, chars: range, text: str) -> list[tuple[float, float, float, float]]:
    """The char boxes of `chars` merged into one box per line, in page coordinates (left, bottom, right, top)."""
    lines: list[list[float]] = []
    for i in chars:
        if text[i].isspace():
            continue
        left, bottom, right, top = textpage.get_charbox(i, loose=True)
        line = lines[-1] if lines else None
        middle = (bottom + top) / 2
        if line and line[1] <= middle <= line[3] and left >= line[0] - 1:
            line[:] = [min(line[0], left), min(line[1], bottom), max(line[2], right), max(line[3], top)]
        else:
            lines.append([left, bottom, right, top])
    return [(a, b, c, d) for a, b, c, d in lines]


def render_page(pdf: Path, page_number: int, quote: str, scale: float = SCALE) -> PageView:
    """Render page `page_number` (1-based) of `pdf` with the quote's characters highlighted.

    Raises:
        IndexError: the page is not in the document.
        pypdfium2.PdfiumError: the file is not a readable PDF.
    """
    with _PDFIUM:
        document = pdfium.PdfDocument(pdf)
        try:
            if not 1 <= page_number <= len(document):
                raise IndexError(f"{pdf.name} has no page {page_number}")
            page = document[page_number - 1]
            textpage = page.get_textpage()
            text = _page_chars(textpage)
            located, chars = find_quote(text, quote)
            bitmap = page.render(scale=scale)
            convert = bitmap.get_posconv(page)
            boxes = []
            for left, bottom, right, top in _line_boxes(textpage, chars, text):
                x0, y0 = convert.to_bitmap(left, bottom)
                x1, y1 = convert.to_bitmap(right, top)
                boxes.append((min(x0, x1) - 1, min(y0, y1) - 1, max(x0, x1) + 1, max(y0, y1) + 1))
            image = bitmap.to_pil().convert("RGBA")
        finally:
            document.close()
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for box in boxes:
        draw.rectangle(box, fill=HIGHLIGHT)
    out = io.BytesIO()
    Image.alpha_composite(image, overlay).convert("RGB").save(out, format="PNG", optimize=False)
    return PageView(out.getvalue(), located, tuple(boxes), image.width, image.height)


def locate_on_page(pdf: Path, page_number: int, quote: str) -> Located:
    """How much of the quote is on the page, without rendering it (for the viewer's note)."""
    with _PDFIUM:
        document = pdfium.PdfDocument(pdf)
        try:
            if not 1 <= page_number <= len(document):
                raise IndexError(f"{pdf.name} has no page {page_number}")
            return find_quote(_page_chars(document[page_number - 1].get_textpage()), quote)[0]
        finally:
            document.close()
