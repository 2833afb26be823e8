"""The viewer routes: the cited page with the quote highlighted, everything escaped, and nothing served but
the indexed PDFs (a real Starlette app over the viewer's routes, requests through its test client)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.test_ui_pdfview import QUOTE, write_pdf
from ui.render import view_url
from ui.viewer import viewer_routes


@pytest.fixture
def viewer(tmp_path: Path) -> TestClient:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_pdf(corpus / "lisbon.pdf")
    write_pdf(tmp_path / "outside.pdf")
    (corpus / "notes.html").write_text("<script>alert(1)</script>", encoding="utf-8")
    indexed = {"lisbon.pdf", "notes.html"}
    return TestClient(Starlette(routes=viewer_routes(corpus, lambda: indexed)))


def test_the_viewer_shows_the_page_image_the_escaped_quote_and_a_link_to_the_pdf(viewer: TestClient) -> None:
    page = viewer.get(view_url("lisbon.pdf", 1, QUOTE + " <b>&"))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "&lt;b&gt;&amp;" in page.text and "<b>&" not in page.text
    assert 'id="raw-pdf"' in page.text and "lisbon.pdf#page=1" in page.text
    src = image_sources(page.text)[0]
    image = viewer.get(src)
    assert image.headers["content-type"] == "image/png" and image.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.headers["x-quote-located"] == "part"  # the appended '<b>&' is not on the page


def test_the_viewer_says_when_the_quote_is_not_on_the_page(viewer: TestClient) -> None:
    page = viewer.get(view_url("lisbon.pdf", 2, QUOTE))
    assert page.status_code == 200 and "The quote could not be located on this page or the next." in page.text


def test_a_quote_over_a_page_break_shows_both_pages_each_with_its_part_highlighted(viewer: TestClient) -> None:
    quote = "diaspora bonds, which ends here and continues on the second page"
    page = viewer.get(view_url("lisbon.pdf", 1, quote))
    assert "The quote runs from page 1 onto page 2; it is highlighted on both." in page.text
    sources = image_sources(page.text)
    assert [re.search(r"[?&]page=(\d+)", src).group(1) for src in sources] == ["1", "2"]
    for src in sources:
        image = viewer.get(src)
        assert image.status_code == 200 and image.headers["x-quote-located"] == "whole"


def test_a_quote_starting_on_the_next_page_shows_that_page(viewer: TestClient) -> None:
    page = viewer.get(view_url("lisbon.pdf", 1, "continues on the second page with other words entirely"))
    assert "The quote is on page 2 (its paragraph starts on page 1); it is highlighted there." in page.text
    assert 'data-page="2"' in page.text and 'data-page="1"' not in page.text
    assert "lisbon.pdf#page=2" in page.text


def image_sources(html: str) -> list[str]:
    return [src.replace("&amp;", "&") for src in re.findall(r'<img [^>]*src="([^"]+)"', html)]


@pytest.mark.parametrize("doc", ["notes.html", "outside.pdf", "../outside.pdf", "/etc/passwd", "missing.pdf"])
def test_the_viewer_refuses_anything_but_an_indexed_pdf(viewer: TestClient, doc: str) -> None:
    assert viewer.get(view_url(doc, 1, QUOTE)).status_code == 404
    assert viewer.get("/pdfview/page.png", params={"doc": doc, "page": 1, "quote": QUOTE}).status_code == 404


@pytest.mark.parametrize("page", ["0", "3", "two"])
def test_the_viewer_refuses_a_page_the_pdf_does_not_have(viewer: TestClient, page: str) -> None:
    assert viewer.get("/pdfview", params={"doc": "lisbon.pdf", "page": page, "quote": QUOTE}).status_code == 404
