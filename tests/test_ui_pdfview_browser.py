"""The PDF viewer in a real headless Chromium: a PDF source's link opens its cited page rendered with the
quote highlighted (on the next page, or on both sides of a page break, when that is where the quote is), and
the viewer refuses documents outside the index."""

# ruff: noqa: F811 - pytest fixtures imported from tests.browser_support are parameters here

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser_support import (  # noqa: F401  (fixtures)
    app_url,
    ask,
    browser,
    feedback_file,
    shot,
    ui_assistant,
    wait,
)

pytestmark = pytest.mark.browser

# How many pixels of a loaded page image have the highlight's amber over white paper (drawn on a canvas: same
# origin, so readable).
AMBER = """
const amber = img => {
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] > 240 && data[i + 1] > 215 && data[i + 1] < 245 && data[i + 2] > 120 && data[i + 2] < 170) count++;
  }
  return count;
};
"""

# The viewer's page image: its natural size, the address it came from and its amber pixels.
READ_IMAGE = AMBER + """
const img = document.querySelector('#page-image');
if (!img || !img.complete || !img.naturalWidth) return null;
const loaded = performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('page.png'));
return {width: img.naturalWidth, height: img.naturalHeight, src: img.currentSrc, amber: amber(img), loaded: loaded};
"""


def test_a_pdf_source_opens_a_viewer_with_the_quote_highlighted_on_its_page(browser: WebDriver) -> None:
    ask(browser, "Who chaired the Lisbon meeting?")
    link = browser.find_element(By.CSS_SELECTOR, ".rag-card a.rag-pdf")
    assert link.text == "open PDF at p. 2"
    view = urllib.parse.urlsplit(link.get_attribute("href"))
    args = urllib.parse.parse_qs(view.query)
    assert view.path == "/pdfview" and args["doc"] == ["lisbon-2018-meeting.pdf"] and args["page"] == ["2"]
    assert "Tomasz Wierzbicki" in args["quote"][0]
    app = browser.current_window_handle
    link.click()
    wait(browser, lambda d: len(d.window_handles) == 2)
    browser.switch_to.window(next(h for h in browser.window_handles if h != app))
    image = wait(browser, lambda d: d.execute_script(READ_IMAGE))
    shot(browser, "pdf-viewer")
    assert image["width"] > 0 and image["height"] > 0
    assert urllib.parse.urlsplit(image["src"]).path == "/pdfview/page.png" and image["loaded"]
    assert image["amber"] > 500  # the quote's line is highlighted
    assert browser.find_element(By.ID, "located").text == "The quote is highlighted on the page."
    assert browser.find_element(By.ID, "raw-pdf").get_attribute("href").endswith("lisbon-2018-meeting.pdf#page=2")
    assert browser.title == "lisbon-2018-meeting.pdf, p. 2"


# Every shown page image, once all are loaded: its page and its amber pixels.
READ_PAGES = AMBER + """
const images = [...document.querySelectorAll('img.page-image')];
if (!images.length || images.some(img => !img.complete || !img.naturalWidth)) return null;
return images.map(img => ({page: img.dataset.page, amber: amber(img)}));
"""


def _open_viewer(driver: WebDriver, app_url: str, page: int, quote: str) -> list[dict[str, object]]:
    query = urllib.parse.urlencode({"doc": "lisbon-2018-meeting.pdf", "page": page, "quote": quote})
    driver.get(f"{app_url}pdfview?{query}")
    return wait(driver, lambda d: d.execute_script(READ_PAGES))


def test_a_quote_over_a_page_break_is_highlighted_on_both_pages(browser: WebDriver, app_url: str) -> None:
    pages = _open_viewer(browser, app_url, 1, "opened with remarks by the host. 2. The Lisbon meeting was chaired")
    assert [p["page"] for p in pages] == ["1", "2"] and all(p["amber"] > 200 for p in pages), pages
    assert browser.find_element(By.ID, "located").text == (
        "The quote runs from page 1 onto page 2; it is highlighted on both.")
    shot(browser, "pdf-viewer-page-break")


def test_a_quote_starting_on_the_page_after_the_cited_one_is_shown_highlighted_there(
    browser: WebDriver, app_url: str
) -> None:
    pages = _open_viewer(browser, app_url, 1, "The Lisbon meeting was chaired by Mr. Tomasz Wierzbicki")
    assert [p["page"] for p in pages] == ["2"] and pages[0]["amber"] > 500, pages
    assert browser.find_element(By.ID, "located").text == (
        "The quote is on page 2 (its paragraph starts on page 1); it is highlighted there.")
    assert "could not be located" not in browser.find_element(By.TAG_NAME, "body").text
    shot(browser, "pdf-viewer-next-page")


@pytest.mark.parametrize("doc", ["remittances-2021.html", "../lisbon-2018-meeting.pdf", "/etc/passwd"])
def test_the_viewer_refuses_a_document_outside_the_indexed_pdfs(browser: WebDriver, app_url: str, doc: str) -> None:
    query = urllib.parse.urlencode({"doc": doc, "page": 1, "quote": "x"})
    browser.get(f"{app_url}pdfview?{query}")
    assert "Not found" in browser.find_element(By.TAG_NAME, "body").text
    assert not browser.find_elements(By.ID, "page-image")
    for path in ("pdfview", "pdfview/page.png"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{app_url}{path}?{query}", timeout=30)
        assert refused.value.code == 404
