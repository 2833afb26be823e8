"""Citations you can follow, in a real headless Chromium: [n] markers that show their quote on hover or
focus and open their card on click, every answer keeping its own sources, and quotes under each answer on
a phone."""

# ruff: noqa: F811 - pytest fixtures imported from tests.browser_support are parameters here

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser_support import (  # noqa: F401  (fixtures)
    SIZES,
    app_url,
    ask,
    browser,
    feedback_file,
    shot,
    ui_assistant,
    wait,
)

pytestmark = pytest.mark.browser

FIRST = "What did the Bangkok workshop discuss?"  # three citations
SECOND = "Who chaired the Bangkok workshop?"


def _marker(driver: WebDriver, answer: int, n: int):
    bots = driver.find_elements(By.CSS_SELECTOR, '#chat [data-testid="bot"]')
    return next(a for a in bots[answer].find_elements(By.CSS_SELECTOR, "a.rag-cite") if a.text == f"[{n}]")


def _in_view(driver: WebDriver, element) -> bool:
    return driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight",
        element)


def _asked(driver: WebDriver) -> str:
    """The sources panel's heading, read in one script call: the panel re-renders when another answer is picked."""
    return driver.execute_script("const e = document.querySelector('.rag-asked'); return e ? e.innerText : '';")


def test_clicking_a_marker_of_an_older_answer_shows_that_answers_card_highlighted(browser: WebDriver) -> None:
    ask(browser, FIRST)
    first_cards = len(browser.find_elements(By.CSS_SELECTOR, ".rag-card"))
    assert first_cards >= 2, "the test needs an answer with a [2] marker"
    ask(browser, SECOND)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#src-1-1"))  # the latest answer's sources are shown
    assert not browser.find_elements(By.CSS_SELECTOR, "#src-0-2")

    _marker(browser, 0, 2).click()
    card = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#src-0-2.rag-flash"))
    assert "Sources for answer 1 of 2" in _asked(browser)
    wait(browser, lambda d: _in_view(d, card))
    shot(browser, "older-answer-card")

    browser.find_elements(By.CSS_SELECTOR, '#chat [data-testid="bot"]')[1].click()  # the answer, not a marker
    wait(browser, lambda d: "Sources for answer 2 of 2" in _asked(d))
    assert "Ingrid Halvorsen" in browser.find_element(By.CSS_SELECTOR, "#src-1-1").text


def test_hovering_or_focusing_a_marker_shows_its_quote_and_citation(browser: WebDriver) -> None:
    ask(browser, SECOND)
    marker = _marker(browser, 0, 1)
    browser.execute_script("arguments[0].focus()", marker)
    tip = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#rag-tip"))
    wait(browser, lambda d: tip.is_displayed())
    assert "Ingrid Halvorsen" in tip.text and "2016 Bangkok workshop · I. Opening Session · para. 2" in tip.text
    shot(browser, "marker-tip")


def test_on_a_phone_each_answer_carries_its_quotes_directly_under_it(browser: WebDriver) -> None:
    ask(browser, SECOND)
    inline = browser.find_element(By.CSS_SELECTOR, '#chat [data-testid="bot"] .rag-inline-sources')
    assert not inline.is_displayed()  # the side panel shows them on a wide screen
    browser.set_window_size(*SIZES["phone"])
    wait(browser, lambda d: inline.is_displayed())
    inline.find_element(By.TAG_NAME, "summary").click()
    assert "Ingrid Halvorsen" in inline.text and "para. 2" in inline.text
    shot(browser, "phone-inline-sources", ("phone",))
