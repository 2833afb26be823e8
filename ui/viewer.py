"""The PDF viewer routes: `/pdfview` (a page with the quote highlighted, and a link to the raw PDF) and
`/pdfview/page.png` (the rendered page). Only indexed PDFs are served, named exactly as the index names them."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from urllib.parse import urlencode

from pypdfium2 import PdfiumError
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from .pdfview import Located, locate_on_page, render_page
from .render import MAX_QUOTE, VIEW_PATH, esc, raw_pdf_url

IMAGE_PATH = "/pdfview/page.png"
# The viewer runs no script and loads only its own image.
_HEADERS = {"Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
_NOTES = {
    Located.WHOLE: "The quote is highlighted on the page.",
    Located.PART: "Only part of the quote was located on this page (it may continue on the next); "
                  "that part is highlighted.",
    Located.NONE: "The quote could not be located on this page.",
}


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
            view = render_page(path, number, quote)
        except (IndexError, PdfiumError):
            return _not_found()
        return Response(view.png, media_type="image/png",
                        headers={**_HEADERS, "X-Quote-Located": view.located.value})

    def page(request: Request) -> Response:
        args = request_args(request)
        if args is None:
            return _not_found()
        path, doc, number, quote = args
        try:
            located = locate_on_page(path, number, quote) if quote.strip() else None
        except (IndexError, PdfiumError):
            return _not_found()
        src = f"{IMAGE_PATH}?{urlencode({'doc': doc, 'page': number, 'quote': quote})}"
        note = _NOTES[located] if located else "No quote to highlight: this is the cited page."
        quoted = f'<blockquote class="quote">“{esc(quote)}”</blockquote>' if quote.strip() else ""
        body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(doc)}, p. {number}</title>
<style>
body {{font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1000px; padding: 12px; color: #1f2937;}}
h1 {{font-size: 1.1em; overflow-wrap: anywhere;}}
.note {{padding: 6px 10px; border-left: 4px solid #b45309; background: #fff7e0;}}
.note.none {{border-left-color: #c0392b; background: #fdecea;}}
.quote {{margin: 8px 0; padding-left: 10px; border-left: 3px solid #9ca3af; white-space: pre-wrap;}}
img {{max-width: 100%; border: 1px solid #d1d5db; box-shadow: 0 1px 4px rgba(0,0,0,.15);}}
a {{color: #1d4ed8;}}
</style></head><body>
<h1>{esc(doc)} · page {number}</h1>
<p id="located" class="note {located.value if located else 'plain'}">{esc(note)}</p>
{quoted}
<p><a id="raw-pdf" href="{esc(raw_pdf_url(corpus, doc, number))}">Open the PDF itself at page {number}</a></p>
<img id="page-image" src="{esc(src)}" alt="Page {number} of {esc(doc)} with the quote highlighted">
</body></html>"""
        return HTMLResponse(body, headers=_HEADERS)

    return [Route(IMAGE_PATH, image), Route(VIEW_PATH, page)]
