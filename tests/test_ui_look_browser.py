"""How the UI reads in a real headless Chromium: contrast of every text, short citation lines, controls that
look like what they do, at a desktop and a phone viewport."""

# ruff: noqa: F811 - pytest fixtures imported from tests.browser_support are parameters here

from __future__ import annotations

import time
import urllib.parse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser_support import (  # noqa: F401  (fixtures)
    SIZES,
    app_url,
    ask,
    browser,
    click_text,
    contrast_failures,
    feedback_file,
    page_text,
    shot,
    ui_assistant,
    wait,
)

pytestmark = pytest.mark.browser


def test_every_visible_text_has_aa_contrast_against_its_background(browser: WebDriver) -> None:
    ask(browser, "Who chaired the Bangkok workshop?")
    click_text(browser, "summary", "Show in context")
    click_text(browser, "button", "Add [1] to note")
    wait(browser, lambda d: "Added to the note" in page_text(d))
    time.sleep(0.6)  # the toast's fade-in is over: its text is judged at full opacity
    failures = {}
    for size in ("desktop", "phone"):
        browser.set_window_size(*SIZES[size])
        failures[size] = contrast_failures(browser)
    browser.execute_script("document.querySelector('button[role=tab][data-tab-id=note]').click()")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".rag-note-item"))
    failures["note"] = contrast_failures(browser)
    assert failures == {"desktop": [], "phone": [], "note": []}, failures


def test_the_compare_view_a_declined_answer_and_the_pdf_viewer_have_aa_contrast(
    browser: WebDriver, app_url: str
) -> None:
    failures = {}
    ask(browser, "compare attendance at the Bangkok and Geneva workshops")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#compare-table .rag-compare-row")) == 2)
    for size in ("desktop", "phone"):
        browser.set_window_size(*SIZES[size])
        failures[f"compare-{size}"] = contrast_failures(browser)
    browser.set_window_size(*SIZES["desktop"])
    ask(browser, "What is the boiling point of liquid nitrogen?", card=".rag-card.rag-nearest")
    browser.execute_script("document.querySelector('button[role=tab][data-tab-id=sources]').click()")
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#not-an-answer").is_displayed())
    failures["declined"] = contrast_failures(browser)
    query = urllib.parse.urlencode({"doc": "lisbon-2018-meeting.pdf", "page": 1, "quote": "not in this report"})
    browser.get(f"{app_url}pdfview?{query}")
    wait(browser, lambda d: d.find_element(By.ID, "located"))
    failures["pdf-viewer"] = contrast_failures(browser)
    assert all(not f for f in failures.values()), failures


def test_a_card_cites_in_one_short_line_with_the_nearest_heading_and_paragraph(browser: WebDriver) -> None:
    ask(browser, "Who chaired the Bangkok workshop?")
    shot(browser, "citation-line")
    line = browser.find_element(By.CSS_SELECTOR, ".rag-card .rag-meta").text
    assert line == "2016 Bangkok workshop · I. Opening Session · para. 2"
