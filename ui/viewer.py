"""The PDF viewer routes: `/pdfview` (the page or pages holding the quote, highlighted, and a link to the raw PDF) and
`/pdfview/page.png` (the rendered page). Only indexed PDFs are served, named exactly as the index names them."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from urllib.parse import urlencode

from pypdfium2 import PdfiumError
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from .pdfview import Located, Placement, locate_quote, render_page
from .render import MAX_QUOTE, VIEW_PATH, esc, raw_pdf_url

IMAGE_PATH = "/pdfview/page.png"
# The viewer runs no script and loads only its own images.
_HEADERS = {"Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


def _note(placement: Placement | None, cited: int) -> str:
    """What the viewer says about where the quote is, naming the page(s) when they are not the cited one."""
    if placement is None:
        return "No quote to highlight: this is the cited page."
    pages = placement.pages
    if placement.located is Located.NONE:
        return "The quote could not be located on this page or the next."
    if placement.located is Located.PART:
        return (f"Only part of the quote was located on page {pages[0]} (it may continue on the next); "
                "that part is highlighted.")
    if len(pages) == 2:
        return f"The quote runs from page {pages[0]} onto page {pages[1]}; it is highlighted on both."
    if pages[0] != cited:
        return (f"The quote is on page {pages[0]} (its paragraph starts on page {cited}); "
                "it is highlighted there.")
    return "The quote is highlighted on the page."


def _image(doc: str, page: int, quote: str, cited: int, i: int) -> str:
    """One shown page: the first is #page-image, the next #page-image-2; each names its page."""
    src = f"{IMAGE_PATH}?{urlencode({'doc': doc, 'page': page, 'quote': quote, 'cited': cited})}"
    return (f'<img id="page-image{f"-{i + 1}" if i else ""}" class="page-image" data-page="{page}" '
            f'src="{esc(src)}" alt="Page {page} of {esc(doc)} with the quote highlighted">')


def _not_found() -> Response:
    return PlainTextResponse("Not found: only the indexed PDFs can be viewed.", status_code=404)


def viewer_routes(corpus: Path, documents: Callable[[], Collection[str]]) -> list[Route]:
    """The viewer's routes over the PDFs that `documents()` (the live index's names) lists in `corpus`."""
    root = corpus.resolve()

    def request_args(request: Request) -> tuple[Path, str, int, str] | None:
        doc = request.query_params.get("doc", "")
        quote = request.query_params.get("quote", "")[:MAX_QUOTE]
        try:
            page = int(request.query_params.get("page", "1"))
        except ValueError:
            return None
        if not doc.lower().endswith(".pdf") or doc not in documents():
            return None
        path = (root / doc).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        return path, doc, page, quote

    def image(request: Request) -> Response:
        args = request_args(request)
        if args is None:
            return _not_found()
        path, _, number, quote = args
        try:
            cited = int(request.query_params.get("cited", number))
            view = render_page(path, number, quote, cited=cited)
        except (ValueError, IndexError, PdfiumError):
            return _not_found()
        return Response(view.png, media_type="image/png",
                        headers={**_HEADERS, "X-Quote-Located": view.located.value})

    def page(request: Request) -> Response:
        args = request_args(request)
        if args is None:
            return _not_found()
        path, doc, number, quote = args
        try:
            placement = locate_quote(path, number, quote) if quote.strip() else None
        except (IndexError, PdfiumError):
            return _not_found()
        shown = placement.pages if placement and placement.pages else (number,)
        images = "\n".join(_image(doc, shown_page, quote, number, i) for i, shown_page in enumerate(shown))
        pages = " and ".join(str(n) for n in shown)
        quoted = f'<blockquote class="quote">“{esc(quote)}”</blockquote>' if quote.strip() else ""
        located = placement.located.value if placement else "plain"
        body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(doc)}, p. {number}</title>
<style>
body {{font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1000px; padding: 12px; color: #1f2937;}}
h1 {{font-size: 1.1em; overflow-wrap: anywhere;}}
.note {{padding: 6px 10px; border-left: 4px solid #b45309; background: #fff7e0;}}
.note.none {{border-left-color: #c0392b; background: #fdecea;}}
.quote {{margin: 8px 0; padding-left: 10px; border-left: 3px solid #9ca3af; white-space: pre-wrap;}}
img {{display: block; max-width: 100%; margin-bottom: 12px; border: 1px solid #d1d5db;
      box-shadow: 0 1px 4px rgba(0,0,0,.15);}}
a {{color: #1d4ed8;}}
</style></head><body>
<h1>{esc(doc)} · page{"s" if len(shown) > 1 else ""} {pages}</h1>
<p id="located" class="note {located}">{esc(_note(placement, number))}</p>
{quoted}
<p><a id="raw-pdf" href="{esc(raw_pdf_url(corpus, doc, shown[0]))}">Open the PDF itself at page {shown[0]}</a></p>
{images}
</body></html>"""
        return HTMLResponse(body, headers=_HEADERS)

    return [Route(IMAGE_PATH, image), Route(VIEW_PATH, page)]
