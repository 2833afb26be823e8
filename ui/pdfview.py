"""A PDF page rendered to PNG with a quote's characters highlighted, so a source can be checked on the page.

Finding the quote (on the cited page, the next ones, or over a page break) is `ui/pdfquote.py`'s job; this
module reads the pages' text layers and draws the highlight.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageDraw

from .pdfquote import LOOKAHEAD, Located, Placement, find_quote, place_quote

__all__ = ["SCALE", "Located", "PageView", "Placement", "find_quote", "locate_quote", "render_page"]

HIGHLIGHT = (255, 200, 0, 110)  # amber at ~43% opacity: text under it stays legible
SCALE = 2.0  # 144 dpi
_PDFIUM = threading.Lock()  # PDFium is not thread-safe; the server renders from a thread pool


@dataclass(frozen=True, slots=True)
class PageView:
    """A rendered page: the PNG, how much of the quote it highlights, and the highlight boxes in pixels."""

    png: bytes
    located: Located
    boxes: tuple[tuple[int, int, int, int], ...]  # (left, top, right, bottom)
    width: int
    height: int


def _page_chars(textpage: pdfium.PdfTextPage) -> str:
    """The page's characters one per PDFium char index (so a match maps straight to char boxes)."""
    return "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i) or 32) for i in range(textpage.count_chars()))


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


def _open(pdf: Path, page_number: int) -> pdfium.PdfDocument:
    """The document, once it is known to have `page_number`. Call under _PDFIUM."""
    document = pdfium.PdfDocument(pdf)
    if not 1 <= page_number <= len(document):
        document.close()
        raise IndexError(f"{pdf.name} has no page {page_number}")
    return document


def _placement(document: pdfium.PdfDocument, cited: int, quote: str) -> Placement:
    """Where the quote is, from the cited page to LOOKAHEAD pages after it. Call under _PDFIUM."""
    last = min(len(document), cited + LOOKAHEAD)
    pages = {n: _page_chars(document[n - 1].get_textpage()) for n in range(cited, last + 1)}
    return place_quote(pages, cited, quote)


def locate_quote(pdf: Path, cited: int, quote: str) -> Placement:
    """Which pages hold the quote cited at page `cited` (1-based), without rendering them.

    Raises:
        IndexError: the page is not in the document.
        pypdfium2.PdfiumError: the file is not a readable PDF.
    """
    with _PDFIUM:
        document = _open(pdf, cited)
        try:
            return _placement(document, cited, quote)
        finally:
            document.close()


def render_page(pdf: Path, page_number: int, quote: str, cited: int | None = None, scale: float = SCALE) -> PageView:
    """Render page `page_number` (1-based) of `pdf` with its part of the quote highlighted; the quote is
    looked for from page `cited` (default: this page) on, so a part that runs over from there is found.

    Raises:
        IndexError: a page is not in the document.
        pypdfium2.PdfiumError: the file is not a readable PDF.
    """
    cited = page_number if cited is None else cited
    with _PDFIUM:
        document = _open(pdf, max(page_number, cited))
        try:
            if not 1 <= cited <= page_number:
                raise IndexError(f"{pdf.name}: page {page_number} does not follow the cited page {cited}")
            placement = _placement(document, cited, quote)
            chars = placement.on(page_number)
            located = placement.located if chars else Located.NONE
            page = document[page_number - 1]
            textpage = page.get_textpage()
            text = _page_chars(textpage)
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
