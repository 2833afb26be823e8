"""Filters in a real headless Chromium: an active filter shows as a chip above the chat even with the panel
closed, a decline under a filter says so, and a chip removes its filter."""

# ruff: noqa: F811 - pytest fixtures imported from tests.browser_support are parameters here

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser_support import (  # noqa: F401  (fixtures)
    app_url,
    ask,
    bot_texts,
    browser,
    click_text,
    feedback_file,
    shot,
    ui_assistant,
    wait,
)

pytestmark = pytest.mark.browser


def _chips(driver: WebDriver) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('#active-filters button.rag-chip')].map(b => b.innerText.trim())")


def _choose(driver: WebDriver, menu: str, value: str) -> None:
    box = driver.find_element(By.CSS_SELECTOR, f"{menu} input")
    box.click()
    box.send_keys(value)
    box.send_keys(Keys.ENTER)
    box.send_keys(Keys.ESCAPE)


def test_an_active_filter_is_visible_with_the_panel_closed_and_its_decline_says_so(browser: WebDriver) -> None:
    click_text(browser, "button", "Filters")
    _choose(browser, "#filter-year", "2019")
    wait(browser, lambda d: _chips(d) == ["Year: 2019 ✕"])
    click_text(browser, "button", "Filters (1 on)")  # close the panel: the chip stays in view above the chat
    wait(browser, lambda d: not d.find_element(By.CSS_SELECTOR, "#filter-year").is_displayed())
    chip = browser.find_element(By.CSS_SELECTOR, "#active-filters button.rag-chip")
    assert chip.is_displayed()
    chat_top = browser.find_element(By.CSS_SELECTOR, "#chat").rect["y"]
    assert chip.rect["y"] < chat_top

    ask(browser, "Who chaired the Bangkok workshop?", card=".rag-card.rag-nearest")
    shot(browser, "filter-decline")
    declined = bot_texts(browser)[-1]
    assert "Not an answer" in declined and "No passage in the 2019 reports answers this" in declined
    assert "try again without it" in declined
    assert "No passage in the 2019 reports answers this question (try again without the filter)" in (
        browser.find_element(By.CSS_SELECTOR, "#not-an-answer").text)

    chip.click()
    wait(browser, lambda d: _chips(d) == [] and "Filters (" not in d.find_element(By.CSS_SELECTOR, "#filters").text)
    ask(browser, "Who chaired the Bangkok workshop?")
    assert "Ingrid Halvorsen" in bot_texts(browser)[-1]
