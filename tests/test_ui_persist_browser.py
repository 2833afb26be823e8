"""Work that survives, in a real headless Chromium: a reload keeps the conversation and the note, notes can
be reopened from a list, and leaving while something is unsaved warns."""

# ruff: noqa: F811 - pytest fixtures imported from tests.browser_support are parameters here

from __future__ import annotations

import time

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
    page_text,
    saved,
    shot,
    ui_assistant,
    wait,
)

pytestmark = pytest.mark.browser


def _open_note_tab(driver: WebDriver) -> None:
    driver.execute_script("document.querySelector('button[role=tab][data-tab-id=note]').click()")


def test_a_reload_keeps_the_conversation_its_sources_and_the_note(ui_assistant, browser: WebDriver) -> None:
    ask(browser, "Who chaired the Bangkok workshop?")
    click_text(browser, "button", "Add [1] to note")
    wait(browser, lambda d: "Added to the note (1 quote)" in page_text(d))
    _open_note_tab(browser)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".rag-annotation textarea, .rag-annotation input"))
    title = browser.find_element(By.CSS_SELECTOR, "#note-title textarea, #note-title input")
    title.clear()
    title.send_keys("Chairs brief")
    browser.find_element(By.CSS_SELECTOR, ".rag-annotation textarea, .rag-annotation input").send_keys("Norwegian")
    wait(browser, lambda d: saved(ui_assistant.settings.paths.index, '"Chairs brief"', '"Norwegian"'))

    browser.refresh()
    wait(browser, lambda d: bot_texts(d) and "Ingrid Halvorsen" in bot_texts(d)[-1])
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#src-0-1"))
    _open_note_tab(browser)
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".rag-note-item")) == 1)
    annotation = browser.find_element(By.CSS_SELECTOR, ".rag-annotation textarea, .rag-annotation input")
    assert annotation.get_attribute("value") == "Norwegian"
    title = browser.find_element(By.CSS_SELECTOR, "#note-title textarea, #note-title input")
    assert title.get_attribute("value") == "Chairs brief"
    shot(browser, "after-reload")

    click_text(browser, "button", "New note")  # the first note stays in the list and reopens from it
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, ".rag-note-item"))
    menu = browser.find_element(By.CSS_SELECTOR, "#notes-menu input")
    menu.click()
    menu.send_keys(Keys.CONTROL, "a")
    menu.send_keys(Keys.BACKSPACE, "1. Chairs brief", Keys.ENTER)
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".rag-note-item")) == 1)


def test_leaving_while_an_edit_is_unsaved_warns(browser: WebDriver) -> None:
    # A synthetic beforeunload also reaches Gradio's own listener, so it is sent only after the work is done.
    leave = ("const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); "
             "return e.defaultPrevented")
    ask(browser, "Who chaired the Bangkok workshop?")
    click_text(browser, "button", "Add [1] to note")
    wait(browser, lambda d: "Added to the note (1 quote)" in page_text(d))
    _open_note_tab(browser)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".rag-annotation textarea, .rag-annotation input"))
    time.sleep(0.5)  # the note panel has settled: the box typed into is the one that stays
    browser.find_element(By.CSS_SELECTOR, ".rag-annotation textarea, .rag-annotation input").send_keys("unsaved")
    assert browser.execute_script(leave) is True
    time.sleep(3.5)  # saved by now (the page counts an edit as in flight for 3 s)
    assert browser.execute_script(leave) is False  # nothing left to lose: no warning


@pytest.mark.slow
def test_the_conversation_and_note_survive_a_server_restart(ui_assistant, browser: WebDriver, tmp_path) -> None:
    from tests.browser_support import free_port
    from ui.app import build_app, launch

    port = free_port()
    started = time.time()
    demo = build_app(ui_assistant, feedback_file=tmp_path / "feedback.jsonl")
    launch(demo, ui_assistant, port=port, block=False)
    try:
        browser.get(f"http://127.0.0.1:{port}/")
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
        ask(browser, "Who chaired the Bangkok workshop?")
        click_text(browser, "button", "Add [1] to note")
        wait(browser, lambda d: "Added to the note (1 quote)" in page_text(d))
        index = ui_assistant.settings.paths.index
        wait(browser, lambda d: saved(index, "Ingrid Halvorsen", since=started)
             and saved(index, "Ingrid Halvorsen", name="chat.json", since=started))
    finally:
        demo.close()
    demo = build_app(ui_assistant, feedback_file=tmp_path / "feedback.jsonl")  # a new process would do the same
    launch(demo, ui_assistant, port=port, block=False)
    try:
        browser.refresh()
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
        wait(browser, lambda d: bot_texts(d) and "Ingrid Halvorsen" in bot_texts(d)[-1])
        _open_note_tab(browser)
        wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".rag-note-item")) == 1)
    finally:
        demo.close()
