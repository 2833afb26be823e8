"""The compare view in a real headless Chromium: one row per report with its quote and citation line, each
row addable to the note, exported as a Markdown table with no live tag."""

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
    bot_texts,
    browser,
    click_text,
    feedback_file,
    page_text,
    shot,
    ui_assistant,
    wait,
)

pytestmark = pytest.mark.browser

ROWS = "return [...document.querySelectorAll('#compare-table .rag-compare-row')].map(r => r.innerText)"


def test_a_two_report_compare_question_lists_both_reports_and_a_row_goes_to_the_note_as_a_table(
    browser: WebDriver,
) -> None:
    ask(browser, "compare attendance at the Bangkok and Geneva workshops")
    rows = wait(browser, lambda d: (r := d.execute_script(ROWS)) and len(r) == 2 and r)
    assert rows[0].startswith("Bangkok") and "87 government delegates" in rows[0]
    assert "2016 Bangkok workshop" in rows[0]  # the short citation line of the quote
    assert rows[1].startswith("Geneva") and "190 participants" in rows[1] and "2019 Geneva workshop" in rows[1]
    shot(browser, "compare-view")

    click_text(browser, "button", "Add to note: Geneva")
    wait(browser, lambda d: "Added to the note (1 quote)" in page_text(d))
    click_text(browser, "button", "Add to note: Bangkok")
    wait(browser, lambda d: "Added to the note (2 quotes)" in page_text(d))
    browser.execute_script("document.querySelector('button[role=tab][data-tab-id=note]').click()")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".rag-note-item")) == 2)
    assert "Compare row Geneva of" in browser.find_element(By.CSS_SELECTOR, ".rag-note-item").text
    shot(browser, "compare-note")

    click_text(browser, "button", "Export Markdown")
    link = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#export-file a[download]"))
    wait(browser, lambda d: "re-verified" in d.find_element(By.CSS_SELECTOR, "#export-status").text)
    with urllib.request.urlopen(link.get_attribute("href"), timeout=30) as response:
        markdown = response.read().decode("utf-8")
    (ARTIFACTS / "ui-compare-note.md").write_text(markdown, encoding="utf-8")
    assert "## Comparison: compare attendance at the Bangkok and Geneva workshops" in markdown
    table = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert table[0] == "| | Quote | Citation | Note |"
    assert table[1].startswith("| Geneva | “1. The workshop convened around 190 participants")
    assert table[2].startswith("| Bangkok | “1. The thematic workshop on labour mobility was attended by 87")
    assert "<" not in markdown


def test_the_compare_button_compares_any_question_across_the_reports(browser: WebDriver) -> None:
    box = browser.find_element(By.CSS_SELECTOR, "#question textarea")
    box.send_keys("What did participants recommend on recruitment fees?")
    click_text(browser, "button", "Compare across reports")
    rows = wait(browser, lambda d: (r := d.execute_script(ROWS)) and r)
    assert 2 <= len(rows) <= 5
    assert rows[0].startswith("Report of the 2019 Geneva workshop on fair recruitment")
    assert "abolish all recruitment fees" in rows[0]
    assert any("No passage here answers" in r for r in rows[1:])


def test_a_differ_question_compares_its_places_all_rows_go_to_the_note_and_the_view_survives_a_reload(
    browser: WebDriver,
) -> None:
    ask(browser, "How do the Bangkok and Geneva workshops differ in attendance?")
    rows = wait(browser, lambda d: (r := d.execute_script(ROWS)) and len(r) == 2 and r)
    assert rows[0].startswith("Bangkok") and "87 government delegates" in rows[0]
    assert rows[1].startswith("Geneva") and "190 participants" in rows[1]
    assert "each row asked “attendance of the workshops”" in browser.find_element(By.ID, "compare-table").text
    answered = bot_texts(browser)[-1]  # the chat's own reply (an answer or, on this tiny corpus, a decline)

    click_text(browser, "button", "Add all 2 rows to note")
    wait(browser, lambda d: "Added 2 rows to the note (2 quotes)" in page_text(d))
    browser.execute_script("document.querySelector('button[role=tab][data-tab-id=note]').click()")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".rag-note-item")) == 2)
    items = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".rag-note-item")]
    assert "Compare row Bangkok of" in items[0] and "Compare row Geneva of" in items[1]

    browser.refresh()
    wait(browser, lambda d: (texts := bot_texts(d)) and texts[-1] == answered)
    browser.execute_script("document.querySelector('button[role=tab][data-tab-id=compare]').click()")
    rows = wait(browser, lambda d: (r := d.execute_script(ROWS)) and len(r) == 2 and r)
    assert rows[0].startswith("Bangkok") and rows[1].startswith("Geneva")
    assert browser.find_elements(By.ID, "add-compare-all")
    shot(browser, "compare-after-reload")
