"""The briefing note in a real headless Chromium: edits that race each other, and an export that keeps
markup from the reports inert."""

# ruff: noqa: F811 - pytest fixtures imported from tests.browser_support are parameters here

from __future__ import annotations

import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser_support import (  # noqa: F401  (fixtures)
    ARTIFACTS,
    app_url,
    ask,
    browser,
    click_text,
    feedback_file,
    page_text,
    shot,
    ui_assistant,
    wait,
)

pytestmark = pytest.mark.browser


def _open_note(driver: WebDriver, quotes: int) -> None:
    driver.execute_script("document.querySelector('button[role=tab][data-tab-id=note]').click()")
    wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".rag-note-item")) == quotes)


def _export_markdown(driver: WebDriver, name: str) -> str:
    click_text(driver, "button", "Export Markdown")
    link = wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#export-file a[download]"))
    wait(driver, lambda d: "re-verified" in d.find_element(By.CSS_SELECTOR, "#export-status").text)
    with urllib.request.urlopen(link.get_attribute("href"), timeout=30) as response:
        text = response.read().decode("utf-8")
    (ARTIFACTS / name).write_text(text, encoding="utf-8")
    return text


def test_an_annotation_typed_just_before_moving_its_quote_stays_on_that_quote_only(browser: WebDriver) -> None:
    ask(browser, "Who chaired the Bangkok workshop?")
    click_text(browser, "button", "Add [1] to note")
    wait(browser, lambda d: "Added to the note (1 quote)" in page_text(d))
    ask(browser, "How many government delegates attended the Bangkok workshop?")
    click_text(browser, "button", "Add [1] to note")
    wait(browser, lambda d: "Added to the note (2 quotes)" in page_text(d))
    _open_note(browser, 2)

    first_box = browser.find_element(By.CSS_SELECTOR, ".rag-annotation textarea, .rag-annotation input")
    first_box.send_keys("Chair was Norwegian")
    browser.execute_script(  # "↓ Down" of the first quote, clicked at once, while the keystrokes are in flight
        "[...document.querySelectorAll('.rag-note-entry')][0].querySelectorAll('button')[1].click()")
    first_item = "return document.querySelector('.rag-note-item')?.innerText || ''"  # read in one call: it re-renders
    wait(browser, lambda d: "87 government delegates" in d.execute_script(first_item))
    shot(browser, "note-after-move")

    markdown = _export_markdown(browser, "ui-note-race.md")
    assert markdown.count("Chair was Norwegian") == 1
    second = markdown.index("## Quote 2")
    assert "Ingrid Halvorsen" in markdown[second:] and "*Note:* Chair was Norwegian" in markdown[second:]
    boxes = browser.find_elements(By.CSS_SELECTOR, ".rag-annotation textarea, .rag-annotation input")
    assert [b.get_attribute("value") for b in boxes] == ["", "Chair was Norwegian"]


def test_the_markdown_export_of_a_quote_with_markup_holds_no_live_tag(browser: WebDriver) -> None:
    ask(browser, "unsafe web forms")
    click_text(browser, "button", "Add [1] to note")
    wait(browser, lambda d: "Added to the note (1 quote)" in page_text(d))
    _open_note(browser, 1)
    box = browser.find_element(By.CSS_SELECTOR, ".rag-annotation textarea, .rag-annotation input")
    box.send_keys('check <img src=x onerror="alert(1)">')
    markdown = _export_markdown(browser, "ui-note-payload.md")
    assert "<script" not in markdown and "<img" not in markdown and "<" not in markdown
    assert "&lt;script>alert('x')&lt;/script>" in markdown  # the report's words, still readable
    assert '*Note:* check &lt;img src=x onerror="alert(1)">' in markdown
